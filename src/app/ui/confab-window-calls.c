/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-application.h"
#include "confab-call-manager.h"
#include "confab-call-types.h"
#include "confab-call-window.h"
#include "confab-call.h"
#include "confab-calls.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-feature.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-window-private.h"
#include "confab-window.h"

/* Calls in the window: the call buttons, a call ringing in, missed calls and the call window.
 * Call state and negotiation stay in the session's ConfabCallManager. */

static char *
dm_conv (const char *me,
         const char *peer)
{
  return g_strcmp0 (me, peer) < 0 ? g_strdup_printf ("dm:%s:%s", me, peer)
                                  : g_strdup_printf ("dm:%s:%s", peer, me);
}

static gboolean
profile_loaded (ConfabWindow *self,
                const char   *username)
{
  return self->session != NULL
         && confab_profiles_is_known (_confab_window_profiles (self), username);
}

/* The profile's display name; before the profile is loaded, the title of the DM with them
 * (the server names a DM after the peer's display name); the username only if neither. */
static char *
display_name (ConfabWindow *self,
              const char   *username)
{
  ConfabContact *contact = self->session != NULL
                           ? confab_profiles_get_contact (_confab_window_profiles (self),
                                                          username) : NULL;
  const char *name = contact != NULL ? confab_contact_get_display_name (contact) : NULL;

  if (self->session != NULL && !profile_loaded (self, username))
    {
      g_autofree char *conv = dm_conv (confab_session_get_username (self->session), username);
      ConfabConversation *dm = confab_conversation_list_lookup (
        _confab_window_conversations (self), conv);

      if (dm != NULL)
        name = confab_conversation_get_title (dm);
    }
  return g_strdup (name != NULL && *name != '\0' ? name : username);
}

void
_confab_window_update_call_actions (ConfabWindow *self)
{
  gboolean is_dm = self->current != NULL
                   && confab_conversation_get_kind (self->current) == CONFAB_CONVERSATION_DM
                   && confab_conversation_get_peer (self->current) != NULL;
  gboolean free_line = self->call_manager != NULL
                       && confab_call_manager_get_current_call (self->call_manager) == NULL
                       && confab_call_manager_get_incoming_id (self->call_manager) == NULL;
  /* A call needs the server: without it the buttons are there but insensitive. */
  gboolean online = _confab_window_online (self);

  gtk_widget_set_visible (self->audio_call_button, is_dm);
  gtk_widget_set_visible (self->video_call_button, is_dm);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.call-audio",
                                 is_dm && free_line && online);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.call-video",
                                 is_dm && free_line && online);
}

void
_confab_window_call_action (GtkWidget  *widget,
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

  _confab_window_update_call_actions (self);

  if (self->call_window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->call_window));
  window = confab_call_window_new (GTK_APPLICATION (_confab_window_app (self)), call, name);
  g_set_weak_pointer (&self->call_window, window);
  gtk_window_present (GTK_WINDOW (window));
}

static void
on_call_ended (ConfabCallManager *manager,
               ConfabCall        *call,
               const char        *reason,
               ConfabWindow      *self)
{
  _confab_window_update_call_actions (self);
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

static const char *
incoming_heading (ConfabCallMedia media)
{
  return (media & CONFAB_CALL_MEDIA_VIDEO) != 0 ? _("Incoming Video Call") : _("Incoming Call");
}

static void
send_incoming_notification (GApplication *app,
                            const char   *call_id,
                            const char   *heading,
                            const char   *body)
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

static void
send_missed_notification (ConfabWindow *self,
                          const char   *call_id,
                          const char   *from,
                          const char   *body)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));
  g_autoptr(GNotification) notification = g_notification_new (_("Missed Call"));
  g_autofree char *id = call_notification_id (call_id);
  g_autofree char *conv = dm_conv (confab_session_get_username (self->session), from);

  g_notification_set_body (notification, body);
  g_notification_set_default_action_and_target (notification, "app.open-conversation", "s",
                                                conv);
  g_application_send_notification (app, id, notification);
}

/* A call told before the caller's profile was loaded names them by username (or the DM's
 * title): once the profile comes, it is told again by the display name. */
typedef struct
{
  GWeakRef         window;
  char            *call_id;
  char            *from;
  ConfabCallMedia  media;
  gboolean         missed;
  gulong           handler;
} CallerName;

static void
caller_name_free (gpointer data,
                  GClosure *closure)
{
  CallerName *pending = data;

  g_weak_ref_clear (&pending->window);
  g_free (pending->call_id);
  g_free (pending->from);
  g_free (pending);
}

static void
on_caller_named (ConfabContact *contact,
                 GParamSpec    *pspec,
                 CallerName    *pending)
{
  g_autoptr(ConfabWindow) self = g_weak_ref_get (&pending->window);
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;

  if (self != NULL && self->session != NULL)
    {
      GApplication *app = G_APPLICATION (_confab_window_app (self));
      AdwMessageDialog *dialog = self->incoming_dialog;

      name = display_name (self, pending->from);
      if (pending->missed)
        {
          /* Translators: %s is the caller's name. */
          body = g_strdup_printf (_("%s tried to call you."), name);
          if (app != NULL && g_settings_get_boolean (self->settings, "notifications"))
            send_missed_notification (self, pending->call_id, pending->from, body);
        }
      else if (dialog != NULL
               && g_strcmp0 (g_object_get_data (G_OBJECT (dialog), "call-id"),
                             pending->call_id) == 0)
        {
          /* Translators: in the incoming call dialog; %s is the caller's name. */
          body = g_strdup_printf (_("%s is calling you."), name);
          adw_message_dialog_set_body (dialog, body);
          adw_avatar_set_text (ADW_AVATAR (adw_message_dialog_get_extra_child (dialog)), name);
          if (app != NULL && g_object_get_data (G_OBJECT (dialog), "notified") != NULL)
            send_incoming_notification (app, pending->call_id, incoming_heading (pending->media),
                                        body);
        }
    }
  /* Frees @pending. */
  g_signal_handler_disconnect (contact, pending->handler);
}

static void
watch_caller_name (ConfabWindow    *self,
                   const char      *call_id,
                   const char      *from,
                   ConfabCallMedia  media,
                   gboolean         missed)
{
  ConfabContact *contact;
  CallerName *pending;

  if (self->session == NULL || profile_loaded (self, from))
    return;
  contact = confab_profiles_get_contact (_confab_window_profiles (self), from);
  pending = g_new0 (CallerName, 1);
  g_weak_ref_init (&pending->window, self);
  pending->call_id = g_strdup (call_id);
  pending->from = g_strdup (from);
  pending->media = media;
  pending->missed = missed;
  pending->handler = g_signal_connect_data (contact, "notify::display-name",
                                            G_CALLBACK (on_caller_named), pending,
                                            caller_name_free, 0);
}

static void
on_incoming_call (ConfabCallManager *manager,
                  const char        *call_id,
                  const char        *from,
                  ConfabCallMedia    media,
                  ConfabWindow      *self)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));
  g_autofree char *name = display_name (self, from);
  g_autofree char *body = NULL;
  const char *heading = incoming_heading (media);
  AdwMessageDialog *dialog;
  GtkWidget *avatar;

  _confab_window_update_call_actions (self);

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
  if (app != NULL && !_confab_window_in_view (self)
      && g_settings_get_boolean (self->settings, "notifications"))
    {
      send_incoming_notification (app, call_id, heading, body);
      g_object_set_data (G_OBJECT (dialog), "notified", GINT_TO_POINTER (TRUE));
    }
  watch_caller_name (self, call_id, from, media, FALSE);
}

static void
withdraw_ringing (ConfabWindow *self,
                  const char   *call_id)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));
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
  _confab_window_update_call_actions (self);
}

static void
on_missed_call (ConfabCallManager *manager,
                const char        *call_id,
                const char        *from,
                ConfabCallMedia    media,
                gint64             ts,
                ConfabWindow      *self)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));
  g_autofree char *name = display_name (self, from);
  g_autofree char *body = NULL;

  /* A replay of the whole stream (a new cache) is history: the conversation shows the call,
   * nothing pops up. */
  if (self->replay_from_start && !_confab_window_online (self))
    return;

  /* Translators: %s is the caller's name. */
  body = g_strdup_printf (_("%s tried to call you."), name);

  if (_confab_window_in_view (self))
    {
      confab_window_add_toast (self, body);
      return;
    }
  if (app == NULL || !g_settings_get_boolean (self->settings, "notifications"))
    return;

  send_missed_notification (self, call_id, from, body);
  watch_caller_name (self, call_id, from, media, TRUE);
}

void
_confab_window_start_calls (ConfabWindow *self)
{
  ConfabMediaDevices *devices = confab_application_get_media_devices (_confab_window_app (self));
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

void
_confab_window_stop_calls (ConfabWindow *self)
{
  if (self->call_manager == NULL)
    return;

  if (confab_call_manager_get_incoming_id (self->call_manager) != NULL)
    withdraw_ringing (self, confab_call_manager_get_incoming_id (self->call_manager));
  g_signal_handlers_disconnect_by_data (self->call_manager, self);
  confab_call_manager_hangup (self->call_manager);
  g_clear_object (&self->call_manager);
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
