/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-conversation-list.h"
#include "confab-message-list.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SESSION (confab_session_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSession, confab_session, CONFAB, SESSION, GObject)

/* One signed-in account: ties a ConfabClient (already holding username and token, from
 * login or the keyring) to its ConfabCache and the models. The UI talks only to this. */
ConfabSession          *confab_session_new                 (ConfabClient *client);
ConfabClient           *confab_session_get_client          (ConfabSession *self);
ConfabCache            *confab_session_get_cache           (ConfabSession *self);
const char             *confab_session_get_username        (ConfabSession *self);

/* Opens the cache, fills the models from it, then connects (resuming from the last stored
 * seq) and stays connected. Completes once the cached state is shown, not when online. */
void                    confab_session_start_async         (ConfabSession       *self,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
gboolean                confab_session_start_finish        (ConfabSession       *self,
                                                            GAsyncResult        *result,
                                                            GError             **error);
/* While held (a count), start stops short of connecting: the cache can be read while the token
 * is still being looked up. The last release connects if start got that far. */
void                    confab_session_hold_connect        (ConfabSession *self);
void                    confab_session_release_connect     (ConfabSession *self);
/* Disconnects and closes the cache (the outbox is kept for the next start). */
void                    confab_session_stop                (ConfabSession *self);

/* Models. The conversation list is sorted by last activity; property "unread-count" on the
 * session is the total over non-muted conversations. */
ConfabConversationList *confab_session_get_conversations   (ConfabSession *self);
guint                   confab_session_get_unread_count    (ConfabSession *self);
/* The message list of @conv (the same object while someone holds it); its first page is
 * loaded on creation. */
ConfabMessageList      *confab_session_get_messages        (ConfabSession *self,
                                                            const char    *conv);
/* Contact object for @username, created on demand; presence and profile stay current. */
ConfabContact          *confab_session_get_contact         (ConfabSession *self,
                                                            const char    *username);
ConfabContact          *confab_session_get_self_contact    (ConfabSession *self);

/* Messaging. send: the message goes to the outbox and into the model as "sending" at once
 * (completes with it), is sent when connected, in order, and turns "sent" (or "failed"). */
void           confab_session_send_message_async  (ConfabSession *self, const char *conv,
                                                   const char *body, const char *format,
                                                   gint64 reply_to,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
ConfabMessage *confab_session_send_message_finish (ConfabSession *self, GAsyncResult *result,
                                                   GError **error);
/* Tries a failed outbox message again, or drops it from outbox and model. */
void           confab_session_retry_message    (ConfabSession *self, ConfabMessage *message);
void           confab_session_discard_message  (ConfabSession *self, ConfabMessage *message);
/* edit, delete, react need the connection (CONFAB_CLIENT_ERROR_NOT_CONNECTED otherwise). */
void           confab_session_edit_message_async   (ConfabSession *self, gint64 msg_id,
                                                    const char *body,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
void           confab_session_delete_message_async (ConfabSession *self, gint64 msg_id,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
void           confab_session_react_async          (ConfabSession *self, gint64 msg_id,
                                                    const char *emoji, gboolean on,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
/* Marks @conv read up to @msg_id (unread drops at once; sent when connected). */
void           confab_session_mark_read_async      (ConfabSession *self, const char *conv,
                                                    gint64 msg_id,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
/* The finish of edit, delete, react, mark_read, set_presence, change_password and
 * revoke_device. */
gboolean       confab_session_request_finish       (ConfabSession *self, GAsyncResult *result,
                                                    GError **error);

/* Mutes or unmutes @conv: the model at once, the cache (with the conversation) after. */
void           confab_session_set_muted_async      (ConfabSession *self, const char *conv,
                                                    gboolean muted,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
gboolean       confab_session_set_muted_finish     (ConfabSession *self, GAsyncResult *result,
                                                    GError **error);

/* Typing: call with TRUE on each keystroke (sent at most every 4 s while typing, so the
 * peer's 6 s expiry never fires), FALSE when the entry is cleared or the message sent. */
void           confab_session_set_typing      (ConfabSession *self, const char *conv,
                                               gboolean active);

/* Presence and profile. */
void           confab_session_set_presence_async  (ConfabSession *self, ConfabPresence status,
                                                   const char *text,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
/* Completes with the User object (see confab_session_profile_finish); the contact object is
 * updated too. */
void           confab_session_get_profile_async   (ConfabSession *self, const char *username,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
/* @fields: any of display_name, email, phone, department, title, location, avatar_file_id. */
void           confab_session_update_profile_async (ConfabSession *self, JsonObject *fields,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
JsonObject    *confab_session_profile_finish      (ConfabSession *self, GAsyncResult *result,
                                                   GError **error);
void           confab_session_change_password_async (ConfabSession *self,
                                                     const char *old_password,
                                                     const char *new_password,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);

/* Devices: completes with the "devices" array ({device_id, name, created_ts, last_seen_ts,
 * current}). */
void           confab_session_list_devices_async  (ConfabSession *self,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);
JsonArray     *confab_session_list_devices_finish (ConfabSession *self, GAsyncResult *result,
                                                   GError **error);
void           confab_session_revoke_device_async (ConfabSession *self, const char *device_id,
                                                   GCancellable *cancellable,
                                                   GAsyncReadyCallback callback,
                                                   gpointer user_data);

/* Starts (or finds) the DM with @username: checks the user exists (profile_get) and adds the
 * conversation to the list. Errors: CONFAB_PROTOCOL_ERROR_NOT_FOUND for unknown users. */
void                confab_session_start_dm_async  (ConfabSession *self, const char *username,
                                                    GCancellable *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer user_data);
ConfabConversation *confab_session_start_dm_finish (ConfabSession *self, GAsyncResult *result,
                                                    GError **error);

/* Signals:
 *   "message-received" (ConfabConversation *conv, ConfabMessage *msg)  a new message from
 *       someone else, after it is stored (for notifications)
 *   "event" (detailed) (const char *name, JsonObject *data)  forwarded from the client, for
 *       events the session does not handle itself (calls, rooms, contacts…)
 */

G_END_DECLS
