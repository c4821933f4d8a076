/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-account.h"
#include "confab-calls.h"
#include "confab-conversation-row.h"
#include "confab-error.h"
#include "confab-messaging.h"
#include "confab-presence-feature.h"
#include "confab-profiles.h"
#include "confab-ui-util.h"
#include "confab-validate.h"
#include "confab-window.h"

struct _ConfabWindow
{
  AdwApplicationWindow    parent_instance;

  GSettings              *settings;
  ConfabAccount          *account;
  ConfabClient           *client;         /* the session's, while the window shows one */
  ConfabSession          *session;
  GCancellable           *cancellable;
  GtkSingleSelection     *selection;
  ConfabConversation     *current;
  gboolean                signing_in;
  char                   *pending_conv;
  guint                   reselect_id;
  gboolean                first_frame_pending;
  guint                   first_frame_idle_id;
  GtkSliceListModel      *sidebar_slice;
  ConfabCallManager      *call_manager;
  AdwMessageDialog       *incoming_dialog;
  ConfabCallWindow       *call_window;

  AdwToastOverlay        *toast_overlay;
  GtkStack               *main_stack;
  ConfabSigninPage       *signin_page;
  AdwLeaflet             *leaflet;
  GtkWidget              *sidebar;
  GtkWidget              *content;
  GtkMenuButton          *presence_button;
  AdwAvatar              *self_avatar;
  GtkWidget              *self_presence_dot;
  AdwWindowTitle         *sidebar_title;
  GtkToggleButton        *search_button;
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  GtkStack               *sidebar_stack;
  GtkListView            *conversation_list;
  AdwWindowTitle         *content_title;
  GtkWidget              *conversation_menu_button;
  GtkWidget              *audio_call_button;
  GtkWidget              *video_call_button;
  GtkStack               *content_stack;
  ConfabConversationView *conversation_view;
};

enum {
  PROP_0,
  PROP_ACCOUNT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabWindow, confab_window, ADW_TYPE_APPLICATION_WINDOW)

/* Conversations the first frame of the sidebar shows: a tall screen's worth. GTK 4.8's list view
 * makes a row for up to 200 items, visible or not; the rest come in the frame after. */
#define SIDEBAR_FIRST_FRAME 25

static void do_login (ConfabWindow *self);

static ConfabApplication *
get_app (ConfabWindow *self)
{
  return CONFAB_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

static ConfabMessaging *
get_messaging (ConfabWindow *self)
{
  return confab_messaging_from_session (self->session);
}

static ConfabProfiles *
get_profiles (ConfabWindow *self)
{
  return confab_profiles_from_session (self->session);
}

void
confab_window_add_toast (ConfabWindow *self,
                         const char   *text)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static char *
device_name (void)
{
  /* Translators: the name of this device in the list of signed-in devices; %s is the
   * computer's name. */
  return g_strdup_printf (_("Confab on %s"), g_get_host_name ());
}

/* Sidebar */

static void
update_sidebar_stack (ConfabWindow *self)
{
  ConfabConversationList *list;
  const char *filter;

  if (self->session == NULL)
    return;

  list = confab_messaging_get_conversations (get_messaging (self));
  filter = confab_conversation_list_get_filter_text (list);

  if (g_list_model_get_n_items (G_LIST_MODEL (list)) > 0)
    gtk_stack_set_visible_child_name (self->sidebar_stack, "list");
  else if (filter != NULL && *filter != '\0')
    gtk_stack_set_visible_child_name (self->sidebar_stack, "no-results");
  else
    gtk_stack_set_visible_child_name (self->sidebar_stack, "empty");
}

/* Calls --------------------------------------------------------------------------------- */

static char *
display_name (ConfabWindow *self,
              const char   *username)
{
  ConfabContact *contact = self->session != NULL
                           ? confab_profiles_get_contact (get_profiles (self), username) : NULL;
  const char *name = contact != NULL ? confab_contact_get_display_name (contact) : NULL;

  return g_strdup (name != NULL && *name != '\0' ? name : username);
}

static void
update_call_actions (ConfabWindow *self)
{
  gboolean is_dm = self->current != NULL
                   && confab_conversation_get_kind (self->current) == CONFAB_CONVERSATION_DM
                   && confab_conversation_get_peer (self->current) != NULL;
  gboolean free_line = self->call_manager != NULL
                       && confab_call_manager_get_current_call (self->call_manager) == NULL
                       && confab_call_manager_get_incoming_id (self->call_manager) == NULL;

  gtk_widget_set_visible (self->audio_call_button, is_dm);
  gtk_widget_set_visible (self->video_call_button, is_dm);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.call-audio", is_dm && free_line);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.call-video", is_dm && free_line);
}

static void
call_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabCallMedia media = CONFAB_CALL_MEDIA_AUDIO;
  g_autoptr(GError) error = NULL;

  if (self->call_manager == NULL || self->current == NULL
      || confab_conversation_get_peer (self->current) == NULL)
    return;

  if (g_str_equal (action_name, "win.call-video"))
    media |= CONFAB_CALL_MEDIA_VIDEO;

  if (confab_call_manager_start_call (self->call_manager,
                                      confab_conversation_get_peer (self->current), media,
                                      &error) == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_NOT_CONNECTED))
        text = g_strdup (_("You are offline: calls need the connection to the server."));
      else
        /* Translators: %s is a technical reason. */
        text = g_strdup_printf (_("Could not start the call: %s"), error->message);
      confab_window_add_toast (self, text);
    }
}

static void
on_call_started (ConfabCallManager *manager,
                 ConfabCall        *call,
                 ConfabWindow      *self)
{
  g_autofree char *name = display_name (self, confab_call_get_peer (call));
  ConfabCallWindow *window;

  update_call_actions (self);

  if (self->call_window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->call_window));
  window = confab_call_window_new (GTK_APPLICATION (get_app (self)), call, name);
  g_set_weak_pointer (&self->call_window, window);
  gtk_window_present (GTK_WINDOW (window));
}

static void
on_call_ended (ConfabCallManager *manager,
               ConfabCall        *call,
               const char        *reason,
               ConfabWindow      *self)
{
  update_call_actions (self);
}

static char *
call_notification_id (const char *call_id)
{
  return g_strconcat ("call-", call_id, NULL);
}

static void
on_incoming_response (AdwMessageDialog *dialog,
                      const char       *response,
                      ConfabWindow     *self)
{
  const char *call_id = g_object_get_data (G_OBJECT (dialog), "call-id");

  if (self->call_manager == NULL || call_id == NULL)
    return;

  if (g_str_equal (response, "accept"))
    confab_window_accept_call (self, call_id);
  else if (g_str_equal (response, "decline"))
    confab_window_decline_call (self, call_id);
}

static void
on_incoming_call (ConfabCallManager *manager,
                  const char        *call_id,
                  const char        *from,
                  ConfabCallMedia    media,
                  ConfabWindow      *self)
{
  GApplication *app = G_APPLICATION (get_app (self));
  g_autofree char *name = display_name (self, from);
  g_autofree char *body = NULL;
  gboolean video = (media & CONFAB_CALL_MEDIA_VIDEO) != 0;
  const char *heading = video ? _("Incoming Video Call") : _("Incoming Call");
  AdwMessageDialog *dialog;
  GtkWidget *avatar;

  update_call_actions (self);

  /* Translators: in the incoming call dialog; %s is the caller's name. */
  body = g_strdup_printf (_("%s is calling you."), name);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));
  avatar = adw_avatar_new (96, name, TRUE);
  gtk_widget_set_halign (avatar, GTK_ALIGN_CENTER);
  adw_message_dialog_set_extra_child (dialog, avatar);
  adw_message_dialog_add_responses (dialog, "decline", _("_Decline"),
                                    "accept", _("_Accept"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "decline", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "accept", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "accept");
  adw_message_dialog_set_close_response (dialog, "decline");
  g_object_set_data_full (G_OBJECT (dialog), "call-id", g_strdup (call_id), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_incoming_response), self, 0);
  if (self->incoming_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->incoming_dialog));
  g_set_weak_pointer (&self->incoming_dialog, dialog);
  gtk_window_present (GTK_WINDOW (dialog));

  /* Someone in another window hears it ring too. */
  if (app != NULL && !gtk_window_is_active (GTK_WINDOW (self))
      && g_settings_get_boolean (self->settings, "notifications"))
    {
      g_autoptr(GNotification) notification = g_notification_new (heading);
      g_autofree char *id = call_notification_id (call_id);

      g_notification_set_body (notification, body);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_URGENT);
      g_notification_add_button_with_target (notification, _("Decline"), "app.decline-call", "s",
                                             call_id);
      g_notification_add_button_with_target (notification, _("Accept"), "app.accept-call", "s",
                                             call_id);
      g_application_send_notification (app, id, notification);
    }
}

static void
withdraw_ringing (ConfabWindow *self,
                  const char   *call_id)
{
  GApplication *app = G_APPLICATION (get_app (self));
  g_autofree char *id = call_notification_id (call_id);

  if (app != NULL)
    g_application_withdraw_notification (app, id);

  if (self->incoming_dialog != NULL
      && g_strcmp0 (g_object_get_data (G_OBJECT (self->incoming_dialog), "call-id"), call_id) == 0)
    {
      AdwMessageDialog *dialog = self->incoming_dialog;

      g_clear_weak_pointer (&self->incoming_dialog);
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
}

static void
on_incoming_call_ended (ConfabCallManager *manager,
                        const char        *call_id,
                        const char        *reason,
                        ConfabWindow      *self)
{
  withdraw_ringing (self, call_id);
  update_call_actions (self);
}

static void
on_missed_call (ConfabCallManager *manager,
                const char        *call_id,
                const char        *from,
                ConfabCallMedia    media,
                gint64             ts,
                ConfabWindow      *self)
{
  GApplication *app = G_APPLICATION (get_app (self));
  g_autofree char *name = display_name (self, from);
  g_autofree char *body = NULL;
  g_autofree char *conv = NULL;

  /* Translators: %s is the caller's name. */
  body = g_strdup_printf (_("%s tried to call you."), name);

  if (gtk_window_is_active (GTK_WINDOW (self)))
    {
      confab_window_add_toast (self, body);
      return;
    }
  if (app == NULL || !g_settings_get_boolean (self->settings, "notifications"))
    return;

  {
    g_autoptr(GNotification) notification = g_notification_new (_("Missed Call"));
    g_autofree char *id = call_notification_id (call_id);
    const char *me = confab_session_get_username (self->session);

    conv = g_strcmp0 (me, from) < 0 ? g_strdup_printf ("dm:%s:%s", me, from)
                                     : g_strdup_printf ("dm:%s:%s", from, me);
    g_notification_set_body (notification, body);
    g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                  conv);
    g_application_send_notification (app, id, notification);
  }
}

static void
start_calls (ConfabWindow *self)
{
  ConfabMediaDevices *devices = confab_application_get_media_devices (get_app (self));
  ConfabCalls *calls = confab_calls_from_session (self->session);

  if (calls == NULL)
    {
      calls = confab_calls_new (self->session, devices);
      confab_session_add_feature (self->session, CONFAB_FEATURE (calls));
    }
  self->call_manager = g_object_ref (confab_calls_get_manager (calls));
  g_signal_connect_object (self->call_manager, "call-started", G_CALLBACK (on_call_started),
                           self, 0);
  g_signal_connect_object (self->call_manager, "call-ended", G_CALLBACK (on_call_ended), self, 0);
  g_signal_connect_object (self->call_manager, "incoming-call", G_CALLBACK (on_incoming_call),
                           self, 0);
  g_signal_connect_object (self->call_manager, "incoming-call-ended",
                           G_CALLBACK (on_incoming_call_ended), self, 0);
  g_signal_connect_object (self->call_manager, "missed-call", G_CALLBACK (on_missed_call), self,
                           0);
}

static void
stop_calls (ConfabWindow *self)
{
  if (self->call_manager == NULL)
    return;

  if (confab_call_manager_get_incoming_id (self->call_manager) != NULL)
    withdraw_ringing (self, confab_call_manager_get_incoming_id (self->call_manager));
  g_signal_handlers_disconnect_by_data (self->call_manager, self);
  confab_call_manager_hangup (self->call_manager);
  g_clear_object (&self->call_manager);
}

static void
update_content_header (ConfabWindow *self)
{
  ConfabConversation *conv = self->current;
  const char *subtitle = NULL;

  update_call_actions (self);

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

static void
show_conversation (ConfabWindow       *self,
                   ConfabConversation *conv)
{
  GApplication *app = G_APPLICATION (get_app (self));

  if (self->current != conv)
    {
      if (self->current != NULL)
        g_signal_handlers_disconnect_by_func (self->current, on_current_notify, self);
      g_set_object (&self->current, conv);
      if (conv != NULL)
        g_signal_connect_swapped (conv, "notify", G_CALLBACK (on_current_notify), self);
    }

  confab_conversation_view_set_conversation (self->conversation_view, conv);
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

static guint
find_position (ConfabWindow       *self,
               ConfabConversation *conv)
{
  GListModel *model = G_LIST_MODEL (confab_messaging_get_conversations (get_messaging (self)));
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
      guint pos = find_position (self, self->current);

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
    show_conversation (self, conv);
}

static void
on_conversation_activated (ConfabWindow *self,
                           guint         position)
{
  g_autoptr(ConfabConversation) conv = NULL;

  conv = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  if (conv != NULL)
    show_conversation (self, conv);
}

static void
on_search_changed (ConfabWindow *self)
{
  ConfabConversationList *list;

  if (self->session == NULL)
    return;

  list = confab_messaging_get_conversations (get_messaging (self));
  confab_conversation_list_set_filter_text (list,
                                            gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update_sidebar_stack (self);
}

static void
on_conversations_changed (GListModel   *model,
                          guint         position,
                          guint         removed,
                          guint         added,
                          ConfabWindow *self)
{
  update_sidebar_stack (self);

  /* Earlier versions kept muting in the settings; it moves into the account's cache. */
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(ConfabConversation) conv = g_list_model_get_item (model, i);
      const char *id = confab_conversation_get_conv (conv);

      if (confab_application_is_muted (get_app (self), id))
        {
          confab_messaging_set_muted_async (get_messaging (self), id, TRUE,
                                            NULL, NULL, NULL);
          confab_application_set_muted (get_app (self), id, FALSE);
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

/* Session */

static void
update_connection_state (ConfabWindow *self)
{
  const char *subtitle = "";

  if (self->client == NULL)
    return;

  switch (confab_client_get_state (self->client))
    {
    case CONFAB_CLIENT_STATE_CONNECTED:
      subtitle = "";
      break;
    case CONFAB_CLIENT_STATE_CONNECTING:
    case CONFAB_CLIENT_STATE_SYNCING:
      subtitle = _("Connecting…");
      break;
    case CONFAB_CLIENT_STATE_WAITING:
    case CONFAB_CLIENT_STATE_DISCONNECTED:
    default:
      subtitle = _("Offline");
      break;
    }

  adw_window_title_set_subtitle (self->sidebar_title, subtitle);
}

static void
update_self (ConfabWindow *self)
{
  g_autofree char *presence = g_settings_get_string (self->settings, "presence");
  ConfabPresence status = confab_presence_from_string (presence);
  ConfabContact *contact;
  g_autofree char *tooltip = NULL;

  if (self->session == NULL)
    return;

  contact = confab_profiles_get_self_contact (get_profiles (self));
  adw_avatar_set_text (self->self_avatar, contact ? confab_contact_get_display_name (contact)
                                                  : confab_session_get_username (self->session));

  for (guint p = CONFAB_PRESENCE_OFFLINE; p <= CONFAB_PRESENCE_INVISIBLE; p++)
    gtk_widget_remove_css_class (self->self_presence_dot, confab_presence_css_class (p));
  gtk_widget_add_css_class (self->self_presence_dot, confab_presence_css_class (status));

  /* Translators: tooltip of the own status button; %s is Online, Away, Busy or Invisible. */
  tooltip = g_strdup_printf (_("Your status: %s"), confab_presence_label (status));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->presence_button), tooltip);
}

static void
presence_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error))
    g_debug ("Setting the presence failed: %s", error->message);
}

static void
send_presence (ConfabWindow *self)
{
  g_autofree char *presence = g_settings_get_string (self->settings, "presence");

  if (self->session == NULL || confab_client_get_state (self->client)
                               != CONFAB_CLIENT_STATE_CONNECTED)
    return;

  confab_presence_feature_set_presence_async (confab_presence_feature_from_session (self->session),
                                              confab_presence_from_string (presence),
                                     NULL, self->cancellable, presence_cb, g_object_ref (self));
}

static void
on_client_state (ConfabWindow *self)
{
  update_connection_state (self);

  /* Presence is per connection on the server: announce it again after each reconnect. */
  if (confab_client_get_state (self->client) == CONFAB_CLIENT_STATE_CONNECTED)
    send_presence (self);
}

static void
on_message_received (ConfabMessaging    *messaging,
                     ConfabConversation *conv,
                     ConfabMessage      *message,
                     ConfabWindow       *self)
{
  GApplication *app = G_APPLICATION (get_app (self));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;
  g_autofree char *body = NULL;
  ConfabContact *sender;

  if (!g_settings_get_boolean (self->settings, "notifications") || app == NULL
      || confab_conversation_get_muted (conv))
    return;

  if (gtk_window_is_active (GTK_WINDOW (self)) && self->current == conv
      && adw_leaflet_get_visible_child (self->leaflet) == self->content)
    return;

  sender = confab_profiles_get_contact (get_profiles (self),
                                        confab_message_get_sender (message));
  if (confab_conversation_get_kind (conv) == CONFAB_CONVERSATION_ROOM && sender != NULL)
    body = g_strdup_printf ("%s: %s", confab_contact_get_display_name (sender),
                            confab_message_get_body (message));
  else
    body = g_strdup (confab_message_get_body (message));

  notification = g_notification_new (confab_conversation_get_title (conv));
  g_notification_set_body (notification, body);
  g_notification_set_category (notification, "im.received");
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                confab_conversation_get_conv (conv));

  id = g_strconcat ("message-", confab_conversation_get_conv (conv), NULL);
  g_application_send_notification (app, id, notification);
}

static void
on_signed_out (ConfabAccount *account,
               GError        *error,
               ConfabWindow  *self)
{
  confab_window_sign_out (self);
  confab_signin_page_set_error (self->signin_page, CONFAB_SIGNIN_FIELD_PASSWORD,
                                _("Your session has ended. Sign in again."));
}

static void
stop_session (ConfabWindow *self)
{
  stop_calls (self);
  show_conversation (self, NULL);
  confab_conversation_view_set_session (self->conversation_view, NULL);
  gtk_single_selection_set_model (self->selection, NULL);
  g_clear_object (&self->sidebar_slice);
  g_clear_handle_id (&self->reselect_id, g_source_remove);
  g_clear_handle_id (&self->first_frame_idle_id, g_source_remove);

  /* The account owns the session and the client: the window only lets go of them. */
  if (self->session != NULL)
    {
      ConfabConversationList *list = confab_messaging_get_conversations (get_messaging (self));

      if (self->first_frame_pending)
        confab_session_release_connect (self->session);
      g_signal_handlers_disconnect_by_data (list, self);
      g_signal_handlers_disconnect_by_data (get_messaging (self), self);
      g_signal_handlers_disconnect_by_data (confab_profiles_get_self_contact (get_profiles (self)),
                                            self);
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_clear_object (&self->session);
    }
  self->first_frame_pending = FALSE;

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_clear_object (&self->client);
    }
}

/* What waits for the first frame of the main page: the rest of the sidebar, the calls (GStreamer,
 * device monitor, DTLS key), then connecting, so that no event comes before the calls listen. */
static void
finish_first_frame (ConfabWindow *self)
{
  if (!self->first_frame_pending || self->session == NULL)
    return;
  self->first_frame_pending = FALSE;
  if (self->sidebar_slice != NULL)
    gtk_slice_list_model_set_size (self->sidebar_slice, G_MAXUINT);
  start_calls (self);
  update_call_actions (self);
  confab_session_release_connect (self->session);
}

static gboolean
first_frame_idle_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->first_frame_idle_id = 0;
  finish_first_frame (self);
  return G_SOURCE_REMOVE;
}

static void
on_first_frame_painted (GdkFrameClock *clock,
                        ConfabWindow  *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_frame_painted, self);
  if (self->first_frame_pending && self->first_frame_idle_id == 0)
    self->first_frame_idle_id = g_idle_add (first_frame_idle_cb, self);
}

static void
after_first_frame (ConfabWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (clock == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      finish_first_frame (self);
      return;
    }
  g_signal_handlers_disconnect_by_func (clock, on_first_frame_painted, self);
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_first_frame_painted), self, 0);
}

static void
show_session (ConfabWindow *self)
{
  ConfabConversationList *list = confab_messaging_get_conversations (get_messaging (self));

  g_signal_connect_object (list, "items-changed", G_CALLBACK (on_conversations_changed), self,
                           G_CONNECT_AFTER);
  on_conversations_changed (G_LIST_MODEL (list), 0, 0,
                            g_list_model_get_n_items (G_LIST_MODEL (list)), self);
  /* Positions in the slice are those of the list: it starts at 0. */
  g_clear_object (&self->sidebar_slice);
  self->sidebar_slice = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (list)), 0,
                                                  SIDEBAR_FIRST_FRAME);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->sidebar_slice));
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

  confab_signin_page_set_busy (self->signin_page, FALSE);
  confab_signin_page_clear_password (self->signin_page);
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  update_sidebar_stack (self);
  update_self (self);
  update_connection_state (self);
  send_presence (self);
  after_first_frame (self);

  if (confab_account_get_keyring_missing (self->account))
    confab_window_add_toast (self, _("No password storage: you will sign in again at the next "
                                     "start."));
}

static void
on_session_ready (ConfabWindow *self)
{
  if (self->session != NULL && self->session == confab_account_get_session (self->account))
    show_session (self);
}

static void
on_session_failed (ConfabAccount *account,
                   GError        *error,
                   ConfabWindow  *self)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Could not open the local message store: %s"), error->message);
  stop_session (self);
  gtk_stack_set_visible_child_name (self->main_stack, "signin");
  confab_signin_page_set_busy (self->signin_page, FALSE);
  confab_signin_page_set_error (self->signin_page, CONFAB_SIGNIN_FIELD_NONE, text);
}

static void
attach_session (ConfabWindow *self)
{
  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (get_messaging (self), "message-received",
                           G_CALLBACK (on_message_received), self, 0);
  g_signal_connect_object (confab_profiles_get_self_contact (get_profiles (self)), "notify",
                           G_CALLBACK (update_self), self, G_CONNECT_SWAPPED);

  confab_conversation_view_set_session (self->conversation_view, self->session);
}

/* The account made a session (signed in, or restoring) or dropped it. The session reads the
 * cache at once; the window holds its connection until the first frame showed it. */
static void
on_account_session (ConfabWindow *self)
{
  ConfabSession *session = confab_account_get_session (self->account);

  if (session == self->session)
    return;
  stop_session (self);
  if (session == NULL)
    {
      /* Restoring found no token. */
      if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "loading") == 0)
        gtk_stack_set_visible_child_name (self->main_stack, "signin");
      return;
    }

  self->session = g_object_ref (session);
  self->client = g_object_ref (confab_session_get_client (session));
  /* Released by finish_first_frame(). */
  self->first_frame_pending = TRUE;
  confab_session_hold_connect (self->session);
  attach_session (self);
}

static void
on_keyring_missing (ConfabWindow *self)
{
  if (!confab_account_get_keyring_missing (self->account))
    return;
  confab_signin_page_set_keyring_missing (self->signin_page, TRUE);
  /* A restored session says so once it is shown. */
  if (self->session != NULL
      && g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "loading") != 0)
    confab_window_add_toast (self, _("No password storage: you will sign in again at the "
                                     "next start."));
}

/* Sign-in */

static void
fail_signin (ConfabWindow      *self,
             ConfabSigninField  field,
             const char        *text)
{
  self->signing_in = FALSE;
  confab_account_abandon_sign_in (self->account);
  confab_signin_page_set_busy (self->signin_page, FALSE);
  confab_signin_page_set_error (self->signin_page, field, text);
  gtk_stack_set_visible_child_name (self->main_stack, "signin");
}

static void
on_trust_response (AdwMessageDialog *dialog,
                   const char       *response,
                   ConfabWindow     *self)
{
  g_autoptr(GError) error = NULL;
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "fingerprint");

  if (confab_account_get_client (self->account) == NULL)
    return;

  if (!g_str_equal (response, "trust"))
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER,
                   _("The server's certificate was not trusted."));
      return;
    }

  if (!confab_account_trust_certificate (self->account, fingerprint, &error))
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, error->message);
      return;
    }

  if (confab_signin_page_get_create_account (self->signin_page)
      && !confab_account_get_registered (self->account))
    g_signal_emit_by_name (self->signin_page, "submit");
  else
    do_login (self);
}

static char *
format_fingerprint (const char *fingerprint)
{
  GString *out = g_string_new (NULL);
  guint n = 0;

  /* Pairs of hex digits, eight to a line, so it can be compared by eye. */
  for (const char *p = fingerprint; *p; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (n > 0 && n % 2 == 0)
        g_string_append_c (out, n % 16 == 0 ? '\n' : ':');
      g_string_append_c (out, g_ascii_toupper (*p));
      n++;
    }

  return g_string_free (out, FALSE);
}

static void
ask_trust (ConfabWindow *self)
{
  const char *fingerprint = confab_account_get_untrusted_fingerprint (self->account);
  g_autofree char *pretty = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *label;

  if (fingerprint == NULL)
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, _("The server's certificate is not trusted."));
      return;
    }

  pretty = format_fingerprint (fingerprint);
  body = g_strdup_printf (_("The server “%s” uses a certificate that no authority vouches for. "
                            "Trust it only if your administrator confirms that its SHA-256 "
                            "fingerprint is:"),
                          confab_account_get_server_key (self->account));

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Trust This Server?"), body));
  label = gtk_label_new (pretty);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "fingerprint");
  adw_message_dialog_set_extra_child (dialog, label);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "trust", _("_Trust and Connect"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "trust", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "fingerprint", g_strdup (fingerprint), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_trust_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
warn_certificate_changed (ConfabWindow *self)
{
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  body = g_strdup_printf (_("The certificate of “%s” is not the one it had before. Someone may "
                            "be intercepting your connection, or the server was reinstalled. "
                            "Confab refused to connect. Ask your administrator before going "
                            "on."),
                          confab_account_get_server_key (self->account));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Server Certificate Changed"), body));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));

  fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, _("The server's certificate has changed; the "
                                                   "connection was refused."));
}

static const char *
field_error_text (const char *field,
                  const char *reason)
{
  if (g_strcmp0 (field, "password") == 0)
    {
      if (g_strcmp0 (reason, "too_short") == 0)
        return _("The password is too short: use at least 8 characters.");
      if (g_strcmp0 (reason, "too_long") == 0)
        return _("The password is too long.");
      return _("This password is not accepted.");
    }
  if (g_strcmp0 (field, "username") == 0)
    {
      if (g_strcmp0 (reason, "taken") == 0 || g_strcmp0 (reason, "conflict") == 0)
        return _("This username is already taken.");
      return _("A username has 2 to 32 characters: lowercase letters, digits, dots, dashes and "
               "underscores, starting with a letter or digit.");
    }
  if (g_strcmp0 (field, "display_name") == 0)
    return _("This name is not accepted.");
  if (g_strcmp0 (field, "email") == 0)
    return _("This email address is not accepted.");

  return NULL;
}

static ConfabSigninField
field_from_name (const char *name)
{
  if (g_strcmp0 (name, "password") == 0)
    return CONFAB_SIGNIN_FIELD_PASSWORD;
  if (g_strcmp0 (name, "username") == 0)
    return CONFAB_SIGNIN_FIELD_USERNAME;
  if (g_strcmp0 (name, "display_name") == 0)
    return CONFAB_SIGNIN_FIELD_DISPLAY_NAME;
  return CONFAB_SIGNIN_FIELD_NONE;
}

/* Shows the error of a login or register call; TRUE if a dialog took over. */
static void
handle_signin_error (ConfabWindow *self,
                     GError       *error,
                     GAsyncResult *result,
                     gboolean      registering)
{
  JsonObject *details = confab_client_result_get_error_details (result);
  const char *code = details && json_object_has_member (details, "code")
                     ? json_object_get_string_member_with_default (details, "code", NULL) : NULL;
  g_autofree char *text = NULL;

  if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNTRUSTED_CERTIFICATE))
    {
      ask_trust (self);
      return;
    }
  if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE_CHANGED))
    {
      warn_certificate_changed (self);
      return;
    }

  if (error->domain == CONFAB_PROTOCOL_ERROR)
    {
      JsonObject *fields = confab_client_result_get_invalid_fields (result);

      if (fields != NULL && json_object_get_size (fields) > 0)
        {
          g_autoptr(GList) names = json_object_get_members (fields);
          const char *name = names->data;
          const char *reason = json_object_get_string_member_with_default (fields, name, "");
          const char *msg = field_error_text (name, reason);

          fail_signin (self, field_from_name (name), msg ? msg : error->message);
          return;
        }

      if (registering && (g_strcmp0 (code, "registration_closed") == 0
                          || error->code == CONFAB_PROTOCOL_ERROR_FORBIDDEN))
        {
          fail_signin (self, CONFAB_SIGNIN_FIELD_NONE,
                       _("This server does not accept new accounts. Ask your administrator "
                         "for one."));
          return;
        }

      if (registering && error->code == CONFAB_PROTOCOL_ERROR_CONFLICT)
        {
          fail_signin (self, CONFAB_SIGNIN_FIELD_USERNAME, _("This username is already taken."));
          return;
        }

      if (!registering && error->code == CONFAB_PROTOCOL_ERROR_FORBIDDEN)
        {
          fail_signin (self, CONFAB_SIGNIN_FIELD_USERNAME, _("This account is disabled."));
          return;
        }

      text = confab_error_to_user_text (error, result);
      fail_signin (self, error->code == CONFAB_PROTOCOL_ERROR_UNAUTHORIZED
                         ? CONFAB_SIGNIN_FIELD_PASSWORD : CONFAB_SIGNIN_FIELD_NONE, text);
      return;
    }

  text = confab_error_to_user_text (error, result);
  fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, text);
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_account_sign_in_finish (CONFAB_ACCOUNT (object), result, &error))
    {
      /* Overtaken by another sign-in. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      handle_signin_error (self, error, result, FALSE);
      return;
    }

  /* The account made the session; on_account_session() shows it. */
  self->signing_in = FALSE;
}

static char *
normalized_username (ConfabWindow *self)
{
  g_autofree char *typed = g_strdup (confab_signin_page_get_username (self->signin_page));

  return g_utf8_strdown (g_strstrip (typed), -1);
}

static void
do_login (ConfabWindow *self)
{
  g_autofree char *username = normalized_username (self);
  g_autofree char *name = device_name ();

  confab_account_sign_in_async (self->account, confab_signin_page_get_server (self->signin_page),
                                username, confab_signin_page_get_password (self->signin_page),
                                name, self->cancellable, login_cb, g_object_ref (self));
}

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  user = confab_account_register_finish (CONFAB_ACCOUNT (object), result, &error);
  if (user == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      handle_signin_error (self, error, result, TRUE);
      return;
    }

  do_login (self);
}

static void
on_signin_submit (ConfabWindow *self)
{
  g_autofree char *url = NULL;
  g_autofree char *username = NULL;
  g_autoptr(GError) error = NULL;

  url = confab_server_address_to_url (confab_signin_page_get_server (self->signin_page), &error);
  if (url == NULL)
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, error->message);
      return;
    }

  username = normalized_username (self);
  if (!confab_username_is_valid (username))
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_USERNAME, field_error_text ("username", "invalid"));
      return;
    }

  if (confab_signin_page_get_create_account (self->signin_page)
      && strlen (confab_signin_page_get_password (self->signin_page)) < 8)
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_PASSWORD,
                   field_error_text ("password", "too_short"));
      return;
    }

  self->signing_in = TRUE;
  confab_signin_page_set_busy (self->signin_page, TRUE);

  if (confab_signin_page_get_create_account (self->signin_page))
    {
      const char *display_name = confab_signin_page_get_display_name (self->signin_page);

      confab_account_register_async (self->account,
                                     confab_signin_page_get_server (self->signin_page), username,
                                     confab_signin_page_get_password (self->signin_page),
                                     *display_name ? display_name : NULL, self->cancellable,
                                     register_cb, g_object_ref (self));
    }
  else
    do_login (self);
}

/* What the window shows of the account it is made for: the application restored the last one
 * (its cache is read while the keyring answers) or signed in before. */
static void
show_account (ConfabWindow *self)
{
  g_autofree char *server = g_settings_get_string (self->settings, "last-server");
  g_autofree char *username = g_settings_get_string (self->settings, "last-username");

  confab_signin_page_set_server (self->signin_page, server);
  confab_signin_page_set_username (self->signin_page, username);
  if (confab_account_get_keyring_missing (self->account))
    confab_signin_page_set_keyring_missing (self->signin_page, TRUE);

  g_signal_connect_object (self->account, "notify::session", G_CALLBACK (on_account_session),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->account, "notify::keyring-missing",
                           G_CALLBACK (on_keyring_missing), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->account, "session-ready", G_CALLBACK (on_session_ready), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->account, "session-failed", G_CALLBACK (on_session_failed),
                           self, 0);
  g_signal_connect_object (self->account, "signed-out", G_CALLBACK (on_signed_out), self, 0);

  if (confab_account_get_session (self->account) == NULL)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "signin");
      return;
    }
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
  on_account_session (self);
  if (confab_account_get_ready (self->account))
    show_session (self);
}

/* Actions */

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->session == NULL)
    return;

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
start_dm_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  ConfabConversation *conv;

  conv = confab_messaging_start_dm_finish (CONFAB_MESSAGING (object), result, &error);
  if (conv == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND))
        text = g_strdup (_("There is no user with this name on the server."));
      else
        text = confab_error_to_user_text (error, result);
      confab_window_add_toast (self, text);
      return;
    }

  confab_window_open_conversation (self, confab_conversation_get_conv (conv));
}

static void
on_new_conversation_response (AdwMessageDialog *dialog,
                              const char       *response,
                              ConfabWindow     *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *username = NULL;

  if (!g_str_equal (response, "start") || self->session == NULL)
    return;

  username = g_utf8_strdown (gtk_editable_get_text (entry), -1);
  g_strstrip (username);
  if (g_str_has_prefix (username, "@"))
    memmove (username, username + 1, strlen (username));

  if (!confab_username_is_valid (username))
    {
      confab_window_add_toast (self, _("This is not a valid username."));
      return;
    }

  confab_messaging_start_dm_async (get_messaging (self), username,
                                   self->cancellable, start_dm_cb,
                                 g_object_ref (self));
}

static void
on_new_conversation_entry_changed (GtkEditable      *entry,
                                   AdwMessageDialog *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "start", *text != '\0');
}

static void
on_new_conversation_entry_activate (GtkEntry         *entry,
                                    AdwMessageDialog *dialog)
{
  if (adw_message_dialog_get_response_enabled (dialog, "start"))
    {
      adw_message_dialog_response (dialog, "start");
      gtk_window_close (GTK_WINDOW (dialog));
    }
}

static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  AdwMessageDialog *dialog;
  GtkWidget *entry;

  if (self->session == NULL)
    return;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("New Conversation"),
                                                       _("Enter the username of the colleague "
                                                         "you want to write to.")));
  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Username"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), FALSE);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "start", _("_Start"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "start", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "start", FALSE);
  adw_message_dialog_set_default_response (dialog, "start");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (entry, "changed", G_CALLBACK (on_new_conversation_entry_changed), dialog);
  g_signal_connect (entry, "activate", G_CALLBACK (on_new_conversation_entry_activate), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_new_conversation_response), self,
                           0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
presence_change (GSimpleAction *action,
                 GVariant      *value,
                 gpointer       user_data)
{
  ConfabWindow *self = user_data;

  g_simple_action_set_state (action, value);
  g_settings_set_string (self->settings, "presence", g_variant_get_string (value, NULL));
  update_self (self);
  send_presence (self);
}

static void
mute_change (GSimpleAction *action,
             GVariant      *value,
             gpointer       user_data)
{
  ConfabWindow *self = user_data;
  gboolean muted = g_variant_get_boolean (value);

  if (self->current == NULL)
    return;

  g_simple_action_set_state (action, value);
  confab_messaging_set_muted_async (get_messaging (self),
                                    confab_conversation_get_conv (self->current),
                                  muted, NULL, NULL, NULL);
}

static const GActionEntry win_entries[] = {
  { "presence", NULL, "s", "'online'", presence_change },
  { "mute", NULL, NULL, "false", mute_change },
};

static void
on_leaflet_folded (ConfabWindow *self)
{
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
      show_conversation (self, NULL);
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

  return GTK_WINDOW_CLASS (confab_window_parent_class)->close_request (window);
}

static void
confab_window_constructed (GObject *object)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  G_OBJECT_CLASS (confab_window_parent_class)->constructed (object);

  g_assert (self->account != NULL);
  show_account (self);
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
  stop_session (self);
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (self->account, self);
  g_clear_object (&self->account);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->selection);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->pending_conv, g_free);
  g_clear_weak_pointer (&self->incoming_dialog);
  g_clear_weak_pointer (&self->call_window);
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

  g_type_ensure (CONFAB_TYPE_SIGNIN_PAGE);
  g_type_ensure (CONFAB_TYPE_CONVERSATION_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/confab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, signin_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, presence_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, self_avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, self_presence_dot);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, conversation_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, conversation_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, audio_call_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, video_call_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, conversation_view);
  gtk_widget_class_bind_template_callback (widget_class, on_signin_submit);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_conversation_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_leaflet_folded);

  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL,
                                   new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.call-audio", NULL, call_action);
  gtk_widget_class_install_action (widget_class, "win.call-video", NULL, call_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.new-conversation", NULL);
}

static void
confab_window_init (ConfabWindow *self)
{
  GtkListItemFactory *factory;

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries),
                                   self);
  {
    g_autofree char *presence = g_settings_get_string (self->settings, "presence");
    GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "presence");

    g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (presence));
  }

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
  g_signal_connect (factory, "bind", G_CALLBACK (factory_bind), NULL);
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

  confab_signin_page_set_server (self->signin_page, server);
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

  list = confab_messaging_get_conversations (get_messaging (self));
  conversation = confab_conversation_list_lookup (list, conv);
  if (conversation == NULL)
    {
      g_free (self->pending_conv);
      self->pending_conv = g_strdup (conv);
      return;
    }

  /* A search may hide it. */
  pos = find_position (self, conversation);
  if (pos == GTK_INVALID_LIST_POSITION)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      confab_conversation_list_set_filter_text (list, NULL);
      pos = find_position (self, conversation);
    }

  show_conversation (self, conversation);
  if (pos != GTK_INVALID_LIST_POSITION)
    gtk_single_selection_set_selected (self->selection, pos);
}

void
confab_window_sign_out (ConfabWindow *self)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  confab_account_sign_out (self->account);
  stop_session (self);
  confab_signin_page_set_busy (self->signin_page, FALSE);
  confab_signin_page_clear_password (self->signin_page);
  gtk_stack_set_visible_child_name (self->main_stack, "signin");
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

  return self->signin_page;
}

ConfabConversationView *
confab_window_get_conversation_view (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->conversation_view;
}

GtkListView *
confab_window_get_conversation_list (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->conversation_list;
}

ConfabCallManager *
confab_window_get_call_manager (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->call_manager;
}

ConfabCallWindow *
confab_window_get_call_window (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->call_window;
}

void
confab_window_accept_call (ConfabWindow *self,
                           const char   *call_id)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (call_id != NULL);

  if (self->call_manager == NULL)
    return;

  withdraw_ringing (self, call_id);
  if (confab_call_manager_accept (self->call_manager, call_id, &error) == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        text = g_strdup (_("The call has ended."));
      else
        /* Translators: %s is a technical reason. */
        text = g_strdup_printf (_("Could not answer the call: %s"), error->message);
      confab_window_add_toast (self, text);
    }
}

void
confab_window_decline_call (ConfabWindow *self,
                            const char   *call_id)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (call_id != NULL);

  if (self->call_manager != NULL)
    confab_call_manager_decline (self->call_manager, call_id);
}
