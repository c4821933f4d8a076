/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-avatar.h"
#include "confab-client.h"
#include "confab-conversation-view.h"
#include "confab-conversation.h"
#include "confab-message.h"
#include "confab-presence-feature.h"
#include "confab-session.h"
#include "confab-signin-page.h"
#include "confab-ui-util.h"
#include "confab-window-private.h"

/* The account's session in the window: showing it (after its first frame it connects and the
 * calls start), the own status, the connection state and notifications. */

gboolean
_confab_window_online (ConfabWindow *self)
{
  return self->client != NULL
         && confab_client_get_state (self->client) == CONFAB_CLIENT_STATE_CONNECTED;
}

static gboolean banner_tick_cb (gpointer user_data);

/* The banner says what the connection does while the server cannot be reached: connecting,
 * or waiting to retry (counting down), with a button to retry now. */
static void
update_connection_banner (ConfabWindow *self)
{
  g_autofree char *text = NULL;
  gboolean waiting = FALSE;
  gboolean show = TRUE;

  g_clear_handle_id (&self->banner_tick_id, g_source_remove);
  if (self->client == NULL)
    show = FALSE;
  else
    switch (confab_client_get_state (self->client))
      {
      case CONFAB_CLIENT_STATE_CONNECTED:
        show = FALSE;
        break;
      case CONFAB_CLIENT_STATE_CONNECTING:
      case CONFAB_CLIENT_STATE_SYNCING:
        text = g_strdup (_("Connecting…"));
        break;
      case CONFAB_CLIENT_STATE_WAITING:
        {
          gint64 left_us = confab_client_get_retry_time (self->client) - g_get_monotonic_time ();
          guint seconds = (guint) MAX ((left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1);

          /* Translators: the connection to the server is lost; %u is a number of seconds. */
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Offline. Retrying in %u s",
                                               "Offline. Retrying in %u s", seconds), seconds);
          waiting = TRUE;
          self->banner_tick_id = g_timeout_add_seconds (1, banner_tick_cb, self);
        }
        break;
      case CONFAB_CLIENT_STATE_DISCONNECTED:
      default:
        text = g_strdup (_("Offline"));
        break;
      }

  if (text != NULL)
    gtk_label_set_text (self->connection_banner_label, text);
  gtk_widget_set_visible (self->connection_retry_button, waiting);
  gtk_revealer_set_reveal_child (self->connection_banner, show);
}

static gboolean
banner_tick_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->banner_tick_id = 0;
  update_connection_banner (self);
  return G_SOURCE_REMOVE;
}

void
_confab_window_reconnect (ConfabWindow *self)
{
  if (self->client != NULL)
    confab_client_reconnect_now (self->client);
}

static void
update_connection_state (ConfabWindow *self)
{
  const char *subtitle = "";

  update_connection_banner (self);
  _confab_window_update_call_actions (self);
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

/* The status chosen, shown as away while the user is idle. */
ConfabPresence
_confab_window_own_presence (ConfabWindow *self)
{
  g_autofree char *presence = g_settings_get_string (self->settings, "presence");
  ConfabPresence status = confab_presence_from_string (presence);

  return self->auto_away && status == CONFAB_PRESENCE_ONLINE ? CONFAB_PRESENCE_AWAY : status;
}

void
_confab_window_update_self (ConfabWindow *self)
{
  ConfabPresence status = _confab_window_own_presence (self);
  ConfabContact *contact;
  gboolean online = _confab_window_online (self);
  g_autofree char *tooltip = NULL;

  if (self->session == NULL)
    return;

  contact = confab_profiles_get_self_contact (_confab_window_profiles (self));
  adw_avatar_set_text (self->self_avatar, contact ? confab_contact_get_display_name (contact)
                                                  : confab_session_get_username (self->session));
  confab_avatar_follow (self->self_avatar, self->session, contact);

  for (guint p = CONFAB_PRESENCE_OFFLINE; p <= CONFAB_PRESENCE_INVISIBLE; p++)
    gtk_widget_remove_css_class (self->self_presence_dot, confab_presence_css_class (p));
  /* Without the server nobody sees the chosen status: the dot is grey until it is back. */
  gtk_widget_add_css_class (self->self_presence_dot,
                            confab_presence_css_class (online ? status : CONFAB_PRESENCE_OFFLINE));

  if (online)
    /* Translators: tooltip of the own status button; %s is Online, Away, Busy or Invisible. */
    tooltip = g_strdup_printf (_("Your status: %s"), confab_presence_label (status));
  else
    tooltip = g_strdup (_("You are offline"));
  confab_set_tooltip_and_label (GTK_WIDGET (self->presence_button), tooltip);
}

static void
presence_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error))
    g_debug ("Setting the presence failed: %s", error->message);
  /* The window was kept alive for the request. */
  g_object_unref (user_data);
}

void
_confab_window_send_presence (ConfabWindow *self)
{
  g_autofree char *text = g_settings_get_string (self->settings, "presence-text");

  if (self->session == NULL || confab_client_get_state (self->client)
      != CONFAB_CLIENT_STATE_CONNECTED)
    return;

  confab_presence_feature_set_presence_async (confab_presence_feature_from_session (self->session),
                                              _confab_window_own_presence (self), text,
                                              self->cancellable, presence_cb, g_object_ref (self));
}

static void
on_client_state (ConfabWindow *self)
{
  /* The hello is answered: what comes until synced is a replay, of the whole stream when the
   * cache is new. */
  if (confab_client_get_state (self->client) == CONFAB_CLIENT_STATE_SYNCING)
    self->replay_from_start = confab_client_get_acked_seq (self->client) == 0;
  update_connection_state (self);
  _confab_window_update_self (self);

  /* Presence is per connection on the server: announce it again after each reconnect. */
  if (confab_client_get_state (self->client) == CONFAB_CLIENT_STATE_CONNECTED)
    _confab_window_send_presence (self);
}

static char *
notification_id (const char *conv)
{
  return g_strconcat ("message-", conv, NULL);
}

/* The title is the conversation's (a DM's follows the peer's display name); in a room the body
 * starts with the sender's display name. Never a username where a name is known. */
static void
send_message_notification (ConfabWindow       *self,
                           ConfabConversation *conv,
                           ConfabMessage      *message)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));
  ConfabContact *sender = confab_profiles_get_contact (_confab_window_profiles (self),
                                                       confab_message_get_sender (message));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = notification_id (confab_conversation_get_conv (conv));
  g_autofree char *body = NULL;
  const char *title;

  if (confab_conversation_get_kind (conv) == CONFAB_CONVERSATION_ROOM)
    {
      title = confab_conversation_get_title (conv);
      body = g_strdup_printf ("%s: %s", confab_contact_get_display_name (sender),
                              confab_message_get_body (message));
    }
  else
    {
      title = confab_contact_get_display_name (sender);
      body = g_strdup (confab_message_get_body (message));
    }

  notification = g_notification_new (title);
  g_notification_set_body (notification, body);
  g_notification_set_category (notification, "im.received");
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                confab_conversation_get_conv (conv));
  g_application_send_notification (app, id, notification);
  g_hash_table_insert (self->notified, g_strdup (confab_conversation_get_conv (conv)),
                       g_memdup2 (&(gint64) { confab_message_get_id (message) }, sizeof (gint64)));
}

typedef struct
{
  ConfabWindow       *window;
  ConfabConversation *conv;
  ConfabMessage      *message;
} PendingNotification;

static void
sender_known_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  PendingNotification *pending = user_data;
  g_autoptr(JsonObject) user = confab_profiles_profile_finish (CONFAB_PROFILES (object), result,
                                                               NULL);

  /* Told even if the profile could not be had: the name then is what is known. */
  if (pending->window->session != NULL
      && CONFAB_PROFILES (object) == _confab_window_profiles (pending->window))
    send_message_notification (pending->window, pending->conv, pending->message);
  g_object_unref (pending->window);
  g_object_unref (pending->conv);
  g_object_unref (pending->message);
  g_free (pending);
}

static void
on_message_arrived (ConfabMessaging    *messaging,
                    ConfabConversation *conv,
                    ConfabMessage      *message,
                    ConfabWindow       *self)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));
  ConfabProfiles *profiles = _confab_window_profiles (self);
  PendingNotification *pending;

  if (!g_settings_get_boolean (self->settings, "notifications") || app == NULL
      || !_confab_window_rooms_should_notify (self, conv, message))
    return;

  if (_confab_window_in_view (self)
      && self->current == conv && adw_leaflet_get_visible_child (self->leaflet) == self->content)
    return;

  if (confab_profiles_is_known (profiles, confab_message_get_sender (message)))
    {
      send_message_notification (self, conv, message);
      return;
    }
  /* The sender's display name first. */
  pending = g_new0 (PendingNotification, 1);
  pending->window = g_object_ref (self);
  pending->conv = g_object_ref (conv);
  pending->message = g_object_ref (message);
  confab_profiles_get_profile_async (profiles, confab_message_get_sender (message),
                                     self->cancellable, sender_known_cb, pending);
}

/* What was told of a message follows it: an edit replaces the text, a deletion takes the
 * notification back. */
static void
on_message_changed (ConfabMessaging    *messaging,
                    ConfabConversation *conv,
                    ConfabMessage      *message,
                    ConfabWindow       *self)
{
  gint64 *told;

  if (conv == NULL)
    return;
  told = g_hash_table_lookup (self->notified, confab_conversation_get_conv (conv));
  if (told == NULL || *told != confab_message_get_id (message))
    return;
  if (confab_message_get_deleted (message))
    {
      g_autofree char *id = notification_id (confab_conversation_get_conv (conv));

      g_application_withdraw_notification (G_APPLICATION (_confab_window_app (self)), id);
      g_hash_table_remove (self->notified, confab_conversation_get_conv (conv));
      return;
    }
  send_message_notification (self, conv, message);
}

static void
on_message_deleted (ConfabMessaging *messaging,
                    const char      *conv,
                    gint64           msg_id,
                    ConfabWindow    *self)
{
  gint64 *told = g_hash_table_lookup (self->notified, conv);
  g_autofree char *id = NULL;

  if (told == NULL || *told != msg_id || _confab_window_app (self) == NULL)
    return;
  id = notification_id (conv);
  g_application_withdraw_notification (G_APPLICATION (_confab_window_app (self)), id);
  g_hash_table_remove (self->notified, conv);
}

static void
on_signed_out (ConfabAccount *account,
               GError        *error,
               ConfabWindow  *self)
{
  confab_window_sign_out (self);
  confab_signin_page_set_error (_confab_window_signin_page (self), CONFAB_SIGNIN_FIELD_PASSWORD,
                                _("Your session has ended. Sign in again."));
}

void
_confab_window_stop_session (ConfabWindow *self)
{
  _confab_window_stop_calls (self);
  _confab_window_rooms_stop (self);
  _confab_window_people_stop (self);
  _confab_window_show_conversation (self, NULL);
  if (self->conversation_view != NULL)
    confab_conversation_view_set_session (self->conversation_view, NULL);
  gtk_single_selection_set_model (self->selection, NULL);
  g_clear_object (&self->sidebar_slice);
  g_clear_handle_id (&self->reselect_id, g_source_remove);
  g_clear_handle_id (&self->first_frame_idle_id, g_source_remove);

  /* The account owns the session and the client: the window only lets go of them. */
  if (self->session != NULL)
    {
      ConfabConversationList *list = _confab_window_conversations (self);

      if (self->first_frame_pending)
        confab_session_release_connect (self->session);
      g_signal_handlers_disconnect_by_data (list, self);
      g_signal_handlers_disconnect_by_data (_confab_window_messaging (self), self);
      g_signal_handlers_disconnect_by_data (
        confab_profiles_get_self_contact (_confab_window_profiles (self)), self);
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_clear_object (&self->session);
    }
  if (self->notified != NULL)
    g_hash_table_remove_all (self->notified);
  self->first_frame_pending = FALSE;

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_clear_object (&self->client);
    }
  g_clear_handle_id (&self->banner_tick_id, g_source_remove);
  if (self->connection_banner != NULL)
    gtk_revealer_set_reveal_child (self->connection_banner, FALSE);
}

/* What waits for the first frame of the main page: the rest of the sidebar, the conversation
 * view, the calls (GStreamer, device monitor, DTLS key), the idle monitor, then connecting, so
 * that no event comes before the calls listen. */
static void
finish_first_frame (ConfabWindow *self)
{
  if (!self->first_frame_pending || self->session == NULL)
    return;
  self->first_frame_pending = FALSE;
  if (self->sidebar_slice != NULL)
    gtk_slice_list_model_set_size (self->sidebar_slice, G_MAXUINT);
  _confab_window_conversation_view (self);
  _confab_window_start_calls (self);
  _confab_window_update_call_actions (self);
  _confab_window_people_after_first_frame (self);
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
  ConfabConversationList *list = _confab_window_conversations (self);

  g_signal_connect_object (list, "items-changed",
                           G_CALLBACK (_confab_window_on_conversations_changed), self,
                           G_CONNECT_AFTER);
  _confab_window_on_conversations_changed (G_LIST_MODEL (list), 0, 0,
                                           g_list_model_get_n_items (G_LIST_MODEL (list)), self);
  /* Positions in the slice are those of the list: it starts at 0. */
  g_clear_object (&self->sidebar_slice);
  self->sidebar_slice = gtk_slice_list_model_new (g_object_ref (G_LIST_MODEL (list)), 0,
                                                  SIDEBAR_FIRST_FRAME);
  gtk_single_selection_set_model (self->selection, G_LIST_MODEL (self->sidebar_slice));
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

  if (self->signin_page != NULL)
    {
      confab_signin_page_set_busy (self->signin_page, FALSE);
      confab_signin_page_clear_password (self->signin_page);
    }
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  _confab_window_update_sidebar_stack (self);
  _confab_window_update_self (self);
  update_connection_state (self);
  _confab_window_send_presence (self);
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
  _confab_window_stop_session (self);
  _confab_window_show_signin (self);
  confab_signin_page_set_busy (_confab_window_signin_page (self), FALSE);
  confab_signin_page_set_error (_confab_window_signin_page (self), CONFAB_SIGNIN_FIELD_NONE, text);
}

static void
attach_session (ConfabWindow *self)
{
  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (_confab_window_messaging (self), "message-arrived",
                           G_CALLBACK (on_message_arrived), self, 0);
  g_signal_connect_object (_confab_window_messaging (self), "message-changed",
                           G_CALLBACK (on_message_changed), self, 0);
  g_signal_connect_object (_confab_window_messaging (self), "message-deleted",
                           G_CALLBACK (on_message_deleted), self, 0);
  g_signal_connect_object (confab_profiles_get_self_contact (_confab_window_profiles (self)),
                           "notify",
                           G_CALLBACK (_confab_window_update_self), self, G_CONNECT_SWAPPED);

  if (self->conversation_view != NULL)
    confab_conversation_view_set_session (self->conversation_view, self->session);
  _confab_window_rooms_start (self);
  _confab_window_people_start (self);
}

/* The account made a session (signed in, or restoring) or dropped it. The session reads the
 * cache at once; the window holds its connection until the first frame showed it. */
static void
on_account_session (ConfabWindow *self)
{
  ConfabSession *session = confab_account_get_session (self->account);

  if (session == self->session)
    return;
  _confab_window_stop_session (self);
  if (session == NULL)
    {
      /* Restoring found no token. */
      if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "loading") == 0)
        _confab_window_show_signin (self);
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
  if (self->signin_page != NULL)
    confab_signin_page_set_keyring_missing (self->signin_page, TRUE);
  /* A restored session says so once it is shown. */
  if (self->session != NULL
      && g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "loading") != 0)
    confab_window_add_toast (self, _("No password storage: you will sign in again at the "
                                     "next start."));
}

/* What the window shows of the account it is made for: the application restored the last one
 * (its cache is read while the keyring answers) or signed in before. */
void
_confab_window_show_account (ConfabWindow *self)
{
  g_signal_connect_object (self->account, "notify::session",
                           G_CALLBACK (on_account_session),
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
      _confab_window_show_signin (self);
      return;
    }
  gtk_stack_set_visible_child_name (self->main_stack, "loading");
  on_account_session (self);
  if (confab_account_get_ready (self->account))
    show_session (self);
}


gint64
confab_window_get_notified_message (ConfabWindow *self,
                                    const char   *conv)
{
  gint64 *told;

  g_return_val_if_fail (CONFAB_IS_WINDOW (self), 0);
  g_return_val_if_fail (conv != NULL, 0);

  told = g_hash_table_lookup (self->notified, conv);
  return told != NULL ? *told : 0;
}
