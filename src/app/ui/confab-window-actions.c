/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-conversation.h"
#include "confab-conversation-list.h"
#include "confab-conversation-view.h"
#include "confab-conversation.h"
#include "confab-error.h"
#include "confab-person-picker.h"
#include "confab-quick-switcher.h"
#include "confab-search-window.h"
#include "confab-ui-util.h"
#include "confab-window-private.h"

/* The window's actions (win.*) and their shortcuts, and the menu actions of its state. */

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

typedef struct
{
  ConfabWindow *window;
  gboolean      call;
} StartDm;

static void
start_dm_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  StartDm *data = user_data;
  g_autoptr(ConfabWindow) self = data->window;
  gboolean call = data->call;
  g_autoptr(GError) error = NULL;
  ConfabConversation *conv;

  g_free (data);
  conv = confab_messaging_start_dm_finish (CONFAB_MESSAGING (object), result, &error);
  if (conv == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND))
        text = g_strdup (_("There is no user with this name on the server."));
      else
        text = confab_error_to_user_text (error, result);
      confab_window_add_toast (self, text);
      return;
    }

  confab_window_open_conversation (self, confab_conversation_get_conv (conv));
  if (call)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.call-audio", NULL);
}

/* Opens the DM with @username (made on the server if new), and calls in it if @call. */
static void
start_dm (ConfabWindow *self,
          const char   *username,
          gboolean      call)
{
  StartDm *data;

  if (self->session == NULL)
    return;
  data = g_new0 (StartDm, 1);
  data->window = g_object_ref (self);
  data->call = call;
  confab_messaging_start_dm_async (_confab_window_messaging (self), username,
                                   self->cancellable, start_dm_cb, data);
}

static void
on_person_chosen (ConfabPersonPicker *picker,
                  const char         *username,
                  ConfabWindow       *self)
{
  start_dm (self, username, FALSE);
}

/* Message and Call from a profile card: the DM with that user, and a call in it. */
static void
message_user_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  start_dm (CONFAB_WINDOW (widget), g_variant_get_string (param, NULL),
            g_str_equal (action_name, "win.call-user"));
}

/* New Conversation: the directory searched as one types; picking a colleague opens the DM. */
static void
new_conversation_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabPersonPicker *picker;

  if (self->session == NULL)
    return;

  picker = confab_person_picker_new (GTK_WINDOW (self), self->session, _("New Conversation"));
  g_signal_connect_object (picker, "chosen", G_CALLBACK (on_person_chosen), self, 0);
  gtk_window_present (GTK_WINDOW (picker));
}

/* Ctrl+Page Up/Down and Alt+Up/Down: the conversation above or below the open one in the
 * sidebar; with none open, the first or the last. */
static void
switch_conversation_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  gboolean next = g_str_equal (action_name, "win.next-conversation");
  g_autoptr(ConfabConversation) target = NULL;
  GListModel *model;
  guint n, pos;

  if (self->session == NULL)
    return;

  model = G_LIST_MODEL (_confab_window_conversations (self));
  n = g_list_model_get_n_items (model);
  pos = self->current != NULL ? _confab_window_find_position (self, self->current)
                              : GTK_INVALID_LIST_POSITION;
  if (n == 0)
    return;
  if (pos == GTK_INVALID_LIST_POSITION)
    pos = next ? 0 : n - 1;
  else if (next && pos + 1 < n)
    pos++;
  else if (!next && pos > 0)
    pos--;
  else
    return;

  target = g_list_model_get_item (model, pos);
  confab_window_open_conversation (self, confab_conversation_get_conv (target));
}

static void
on_quick_switcher_chosen (ConfabWindow *self,
                          const char   *conv)
{
  confab_window_open_conversation (self, conv);
}

static void
quick_switch_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabQuickSwitcher *switcher;

  if (self->session == NULL)
    return;

  /* It searches all conversations, not those the sidebar's search leaves. */
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  confab_conversation_list_set_filter_text (_confab_window_conversations (self), NULL);
  switcher = confab_quick_switcher_new (GTK_WINDOW (self),
                                        G_LIST_MODEL (_confab_window_conversations (self)));
  g_signal_connect_object (switcher, "chosen", G_CALLBACK (on_quick_switcher_chosen), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (switcher));
}

static void
on_search_result_chosen (ConfabWindow *self,
                         const char   *conv,
                         gint64        msg_id)
{
  confab_window_open_conversation (self, conv);
  if (self->current != NULL && g_strcmp0 (confab_conversation_get_conv (self->current), conv) == 0)
    confab_conversation_view_show_message (_confab_window_conversation_view (self), msg_id);
}

static void
search_messages_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabSearchWindow *search;

  if (self->session == NULL)
    return;

  search = confab_search_window_new (GTK_WINDOW (self), self->session);
  g_signal_connect_object (search, "chosen", G_CALLBACK (on_search_result_chosen), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (search));
}

static void
presence_change (GSimpleAction *action,
                 GVariant      *value,
                 gpointer       user_data)
{
  ConfabWindow *self = user_data;

  g_simple_action_set_state (action, value);
  g_settings_set_string (self->settings, "presence", g_variant_get_string (value, NULL));
  _confab_window_update_self (self);
  _confab_window_send_presence (self);
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
  confab_messaging_set_muted_async (_confab_window_messaging (self),
                                    confab_conversation_get_conv (self->current),
                                    muted, NULL, NULL, NULL);
}

static void
reconnect_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  _confab_window_reconnect (CONFAB_WINDOW (widget));
}

static const GActionEntry win_entries[] = {
  { "presence", NULL, "s", "'online'", presence_change },
  { "mute", NULL, NULL, "false", mute_change },
};

void
_confab_window_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.new-conversation", NULL,
                                   new_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.message-user", "s", message_user_action);
  gtk_widget_class_install_action (widget_class, "win.call-user", "s", message_user_action);
  gtk_widget_class_install_action (widget_class, "win.call-audio", NULL,
                                   _confab_window_call_action);
  gtk_widget_class_install_action (widget_class, "win.call-video", NULL,
                                   _confab_window_call_action);
  gtk_widget_class_install_action (widget_class, "win.reconnect", NULL, reconnect_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.new-conversation", NULL);

  gtk_widget_class_install_action (widget_class, "win.quick-switch", NULL, quick_switch_action);
  gtk_widget_class_install_action (widget_class, "win.search-messages", NULL,
                                   search_messages_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.search-messages", NULL);
  gtk_widget_class_install_action (widget_class, "win.next-conversation", NULL,
                                   switch_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.previous-conversation", NULL,
                                   switch_conversation_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK,
                                       "win.quick-switch", NULL);
}

/* Switching conversations goes before the focused control: the composer's text view would
 * take Ctrl+Page Up/Down (moving by pages) and never let the window see them. */
static void
add_switch_shortcuts (ConfabWindow *self)
{
  static const struct
  {
    guint           keyval;
    GdkModifierType mods;
    const char     *action;
  } keys[] = {
    { GDK_KEY_Page_Down, GDK_CONTROL_MASK, "win.next-conversation" },
    { GDK_KEY_KP_Page_Down, GDK_CONTROL_MASK, "win.next-conversation" },
    { GDK_KEY_Down, GDK_ALT_MASK, "win.next-conversation" },
    { GDK_KEY_Page_Up, GDK_CONTROL_MASK, "win.previous-conversation" },
    { GDK_KEY_KP_Page_Up, GDK_CONTROL_MASK, "win.previous-conversation" },
    { GDK_KEY_Up, GDK_ALT_MASK, "win.previous-conversation" },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                          gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].keyval,
                                                                                    keys[i].mods),
                                                            gtk_named_action_new (keys[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}

void
_confab_window_actions_init (ConfabWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries),
                                   self);
  add_switch_shortcuts (self);
  {
    g_autofree char *presence = g_settings_get_string (self->settings, "presence");
    GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "presence");

    g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_string (presence));
  }
}
