/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include "confab-account.h"
#include "confab-application.h"
#include "confab-background.h"
#include "confab-conversation-list.h"
#include "confab-conversation-row.h"
#include "confab-conversation-view.h"
#include "confab-conversation.h"
#include "confab-messaging.h"
#include "confab-room.h"
#include "confab-signin-page.h"
#include "confab-ui-util.h"
#include "confab-window-private.h"

enum {
  PROP_0,
  PROP_ACCOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabWindow, confab_window, ADW_TYPE_APPLICATION_WINDOW)

void
confab_window_add_toast (ConfabWindow *self,
                         const char   *text)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

/* Sidebar */

void
_confab_window_update_sidebar_stack (ConfabWindow *self)
{
  ConfabConversationList *list;
  const char *filter;

  if (self->session == NULL)
    return;

  list = _confab_window_conversations (self);
  filter = confab_conversation_list_get_filter_text (list);

  if (g_list_model_get_n_items (G_LIST_MODEL (list)) > 0)
    gtk_stack_set_visible_child_name (self->sidebar_stack, "list");
  else if (filter != NULL && *filter != '\0')
    gtk_stack_set_visible_child_name (self->sidebar_stack, "no-results");
  else
    gtk_stack_set_visible_child_name (self->sidebar_stack, "empty");
}

static void
update_content_header (ConfabWindow *self)
{
  ConfabConversation *conv = self->current;
  const char *subtitle = NULL;

  g_autofree char *room_subtitle = NULL;

  _confab_window_update_call_actions (self);
  _confab_window_rooms_update_actions (self);

  if (conv == NULL)
    {
      adw_window_title_set_title (self->content_title, "");
      adw_window_title_set_subtitle (self->content_title, "");
      gtk_widget_set_visible (self->conversation_menu_button, FALSE);
      return;
    }

  adw_window_title_set_title (self->content_title, confab_conversation_get_title (conv));

  subtitle = confab_conversation_get_typing_text (conv);
  if (subtitle == NULL && confab_conversation_get_kind (conv) == CONFAB_CONVERSATION_DM)
    subtitle = confab_presence_label (confab_conversation_get_peer_presence (conv));
  if (subtitle == NULL && confab_conversation_get_room (conv) != NULL)
    subtitle = room_subtitle = confab_room_dup_summary (confab_conversation_get_room (conv));
  adw_window_title_set_subtitle (self->content_title, subtitle ? subtitle : "");

  gtk_widget_set_visible (self->conversation_menu_button, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.mute", TRUE);
}

static void
on_current_notify (ConfabWindow *self)
{
  update_content_header (self);
}

static void
apply_mute_state (ConfabWindow *self)
{
  GAction *mute = g_action_map_lookup_action (G_ACTION_MAP (self), "mute");
  gboolean muted = self->current && confab_conversation_get_muted (self->current);

  if (mute != NULL)
    g_simple_action_set_state (G_SIMPLE_ACTION (mute), g_variant_new_boolean (muted));
}

/* The conversation view is made after the first frame of the main page, or when it is first
 * needed if that comes sooner: the list of conversations shows without waiting for it. */
ConfabConversationView *
_confab_window_conversation_view (ConfabWindow *self)
{
  if (self->conversation_view == NULL)
    {
      GtkWidget *view = confab_conversation_view_new ();

      /* The stack owns it. */
      g_set_weak_pointer (&self->conversation_view, CONFAB_CONVERSATION_VIEW (view));
      if (self->session != NULL)
        confab_conversation_view_set_session (self->conversation_view, self->session);
      gtk_stack_add_named (self->content_stack, view, "conversation");
    }
  return self->conversation_view;
}

void
_confab_window_show_conversation (ConfabWindow       *self,
                                  ConfabConversation *conv)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));

  if (self->current != conv)
    {
      if (self->current != NULL)
        g_signal_handlers_disconnect_by_func (self->current, on_current_notify, self);
      g_set_object (&self->current, conv);
      if (conv != NULL)
        g_signal_connect_swapped (conv, "notify", G_CALLBACK (on_current_notify), self);
    }

  if (conv != NULL || self->conversation_view != NULL)
    confab_conversation_view_set_conversation (_confab_window_conversation_view (self), conv);
  gtk_stack_set_visible_child_name (self->content_stack, conv ? "conversation" : "none");
  update_content_header (self);
  apply_mute_state (self);

  if (conv != NULL)
    {
      g_autofree char *id = g_strconcat ("message-", confab_conversation_get_conv (conv), NULL);

      if (app != NULL)
        g_application_withdraw_notification (app, id);
      adw_leaflet_set_visible_child (self->leaflet, self->content);
      confab_conversation_view_focus_composer (self->conversation_view);
    }
}

guint
_confab_window_find_position (ConfabWindow       *self,
                              ConfabConversation *conv)
{
  GListModel *model = G_LIST_MODEL (_confab_window_conversations (self));
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabConversation) item = g_list_model_get_item (model, i);

      if (item == conv)
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

static gboolean
reselect_current (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->reselect_id = 0;
  if (self->session != NULL && self->current != NULL)
    {
      guint pos = _confab_window_find_position (self, self->current);

      if (pos != GTK_INVALID_LIST_POSITION
          && gtk_single_selection_get_selected (self->selection) != pos)
        gtk_single_selection_set_selected (self->selection, pos);
    }

  return G_SOURCE_REMOVE;
}

static void
on_selection_changed (ConfabWindow *self)
{
  ConfabConversation *conv = gtk_single_selection_get_selected_item (self->selection);

  /* The list re-sorts by removing and inserting a conversation, which drops the selection;
   * the open conversation stays open and is selected again. */
  if (conv == NULL)
    {
      if (self->current != NULL && self->reselect_id == 0)
        self->reselect_id = g_idle_add (reselect_current, self);
      return;
    }

  if (conv != self->current)
    _confab_window_show_conversation (self, conv);
}

static void
on_conversation_activated (ConfabWindow *self,
                           guint         position)
{
  g_autoptr(ConfabConversation) conv = NULL;

  conv = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  if (conv != NULL)
    _confab_window_show_conversation (self, conv);
}

static void
on_search_changed (ConfabWindow *self)
{
  ConfabConversationList *list;

  if (self->session == NULL)
    return;

  list = _confab_window_conversations (self);
  confab_conversation_list_set_filter_text (list,
                                            gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  _confab_window_update_sidebar_stack (self);
}

void
_confab_window_on_conversations_changed (GListModel   *model,
                                         guint         position,
                                         guint         removed,
                                         guint         added,
                                         ConfabWindow *self)
{
  g_auto(GStrv) muted = NULL;

  _confab_window_update_sidebar_stack (self);

  /* Earlier versions kept muting in the settings; it moves into the account's cache. The list
   * is read once, not per conversation: it is empty after the first start. */
  muted = g_settings_get_strv (self->settings, "muted-conversations");
  for (guint i = position; muted[0] != NULL && i < position + added; i++)
    {
      g_autoptr(ConfabConversation) conv = g_list_model_get_item (model, i);
      const char *id = confab_conversation_get_conv (conv);

      if (g_strv_contains ((const char * const *) muted, id))
        {
          confab_messaging_set_muted_async (_confab_window_messaging (self), id, TRUE,
                                            NULL, NULL, NULL);
          confab_application_set_muted (_confab_window_app (self), id, FALSE);
        }
    }

  if (self->pending_conv != NULL)
    {
      g_autofree char *conv = g_steal_pointer (&self->pending_conv);

      confab_window_open_conversation (self, conv);
    }
}

static void
factory_setup (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               gpointer                  user_data)
{
  gtk_list_item_set_child (item, confab_conversation_row_new ());
}

static void
factory_bind (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  ConfabWindow *self = user_data;

  confab_conversation_row_set_session (CONFAB_CONVERSATION_ROW (gtk_list_item_get_child (item)),
                                       self->session);
  confab_conversation_row_set_conversation (CONFAB_CONVERSATION_ROW (gtk_list_item_get_child (item)),
                                            gtk_list_item_get_item (item));
}

static void
factory_unbind (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  confab_conversation_row_set_conversation (CONFAB_CONVERSATION_ROW (gtk_list_item_get_child (item)),
                                            NULL);
}

/* @layout (as gtk-decoration-layout says it) without the minimize and maximize buttons. */
static char *
layout_without_min_max (const char *layout)
{
  g_auto(GStrv) sides = g_strsplit (layout != NULL ? layout : "", ":", 2);
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; sides[i] != NULL; i++)
    {
      g_auto(GStrv) buttons = g_strsplit (sides[i], ",", -1);
      gboolean first = TRUE;

      if (i > 0)
        g_string_append_c (out, ':');
      for (guint j = 0; buttons[j] != NULL; j++)
        {
          const char *button = g_strstrip (buttons[j]);

          if (g_str_equal (button, "minimize") || g_str_equal (button, "maximize"))
            continue;
          if (!first)
            g_string_append_c (out, ',');
          g_string_append (out, button);
          first = FALSE;
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Folded, the conversation's header is all the window has: its name needs the room more than
 * the minimize and maximize buttons do (the close button stays). */
static void
update_content_decoration (ConfabWindow *self)
{
  g_autofree char *layout = NULL;
  g_autofree char *narrow = NULL;

  if (!adw_leaflet_get_folded (self->leaflet))
    {
      adw_header_bar_set_decoration_layout (self->content_header, NULL);
      return;
    }
  g_object_get (gtk_widget_get_settings (GTK_WIDGET (self)), "gtk-decoration-layout", &layout,
                NULL);
  narrow = layout_without_min_max (layout);
  adw_header_bar_set_decoration_layout (self->content_header, narrow);
}

static void
on_leaflet_folded (ConfabWindow *self)
{
  update_content_decoration (self);
  /* Unfolded, both panes show; folded without an open conversation, the list. */
  if (adw_leaflet_get_folded (self->leaflet) && self->current == NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
on_leaflet_visible_child (ConfabWindow *self)
{
  /* Going back on a narrow screen closes the conversation, so its notifications come again. */
  if (adw_leaflet_get_folded (self->leaflet)
      && adw_leaflet_get_visible_child (self->leaflet) == self->sidebar
      && !adw_leaflet_get_child_transition_running (self->leaflet)
      && self->current != NULL)
    {
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
      _confab_window_show_conversation (self, NULL);
      adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
    }
}

static gboolean
confab_window_close_request (GtkWindow *window)
{
  ConfabWindow *self = CONFAB_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  /* Closing is not quitting: the window is only hidden, and the application, which holds it,
   * goes on receiving and notifying. Quit in the menu ends it. */
  if (g_settings_get_boolean (self->settings, "run-in-background"))
    {
      gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
      confab_background_request (window, g_settings_get_boolean (self->settings,
                                                                 "start-at-login"));
      return TRUE;
    }

  return GTK_WINDOW_CLASS (confab_window_parent_class)->close_request (window);
}

static void
confab_window_constructed (GObject *object)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  G_OBJECT_CLASS (confab_window_parent_class)->constructed (object);

  g_assert (self->account != NULL);
  _confab_window_show_account (self);
}

static void
confab_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_window_dispose (GObject *object)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->current != NULL)
    g_signal_handlers_disconnect_by_func (self->current, on_current_notify, self);
  g_clear_object (&self->current);
  _confab_window_stop_session (self);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (self->account, self);
  g_clear_object (&self->account);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->notified, g_hash_table_unref);
  g_clear_object (&self->selection);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->pending_conv, g_free);
  g_clear_weak_pointer (&self->incoming_dialog);
  g_clear_weak_pointer (&self->call_window);
  g_clear_weak_pointer (&self->conversation_view);
  g_clear_weak_pointer (&self->signin_page);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_WINDOW);

  G_OBJECT_CLASS (confab_window_parent_class)->dispose (object);
}

static void
confab_window_class_init (ConfabWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->get_property = confab_window_get_property;
  object_class->set_property = confab_window_set_property;
  object_class->constructed = confab_window_constructed;
  object_class->dispose = confab_window_dispose;
  window_class->close_request = confab_window_close_request;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, CONFAB_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);


  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/confab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, presence_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, self_avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, self_presence_dot);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, connection_banner);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, connection_banner_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, connection_retry_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, invitations_banner);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_header);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, conversation_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, audio_call_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, video_call_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_conversation_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_leaflet_folded);

  _confab_window_class_actions_init (widget_class);
  _confab_window_rooms_class_init (widget_class);
  _confab_window_people_class_init (widget_class);
}

static void
confab_window_init (ConfabWindow *self)
{
  GtkListItemFactory *factory;

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  gtk_widget_init_template (GTK_WIDGET (self));

  _confab_window_people_init (self);
  _confab_window_actions_init (self);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selection_changed), self);
  gtk_list_view_set_model (self->conversation_list, GTK_SELECTION_MODEL (self->selection));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (factory_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (factory_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (factory_unbind), NULL);
  gtk_list_view_set_factory (self->conversation_list, factory);
  g_object_unref (factory);

  g_signal_connect_swapped (self->leaflet, "notify::visible-child",
                            G_CALLBACK (on_leaflet_visible_child), self);
  g_signal_connect_swapped (self->leaflet, "notify::child-transition-running",
                            G_CALLBACK (on_leaflet_visible_child), self);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));

  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

}

ConfabWindow *
confab_window_new (ConfabApplication *application)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (application), NULL);

  return g_object_new (CONFAB_TYPE_WINDOW,
                       "application", application,
                       "account", confab_application_get_account (application),
                       NULL);
}

void
confab_window_set_server (ConfabWindow *self,
                          const char   *server)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  confab_signin_page_set_server (_confab_window_signin_page (self), server);
}

void
confab_window_open_conversation (ConfabWindow *self,
                                 const char   *conv)
{
  ConfabConversationList *list;
  ConfabConversation *conversation;
  guint pos;

  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (conv != NULL);

  if (self->session == NULL)
    {
      g_free (self->pending_conv);
      self->pending_conv = g_strdup (conv);
      return;
    }

  list = _confab_window_conversations (self);
  conversation = confab_conversation_list_lookup (list, conv);
  if (conversation == NULL)
    {
      g_free (self->pending_conv);
      self->pending_conv = g_strdup (conv);
      return;
    }

  /* A search may hide it. */
  pos = _confab_window_find_position (self, conversation);
  if (pos == GTK_INVALID_LIST_POSITION)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      confab_conversation_list_set_filter_text (list, NULL);
      pos = _confab_window_find_position (self, conversation);
    }

  _confab_window_show_conversation (self, conversation);
  if (pos != GTK_INVALID_LIST_POSITION)
    gtk_single_selection_set_selected (self->selection, pos);
}

ConfabSession *
confab_window_get_session (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->session;
}

const char *
confab_window_get_page (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child_name (self->main_stack);
}

ConfabSigninPage *
confab_window_get_signin_page (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return _confab_window_signin_page (self);
}

ConfabConversationView *
confab_window_get_conversation_view (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return _confab_window_conversation_view (self);
}

GtkListView *
confab_window_get_conversation_list (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->conversation_list;
}

