/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGING (confab_messaging_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMessaging, confab_messaging, CONFAB, MESSAGING, ConfabFeature)

/* Conversations and their messages: the conversation list, the open message lists, the outbox,
 * and the events message, message_edited, message_deleted, reaction and read. */
ConfabMessaging        *confab_messaging_new               (ConfabSession   *session);
ConfabMessaging        *confab_messaging_from_session      (ConfabSession   *session);

/* The conversation list is sorted by last activity; property "unread-count" is the total over
 * non-muted conversations. */
ConfabConversationList *confab_messaging_get_conversations (ConfabMessaging *self);
guint                   confab_messaging_get_unread_count  (ConfabMessaging *self);
/* The message list of @conv (the same object while someone holds it); its first page is
 * loaded on creation. */
ConfabMessageList      *confab_messaging_get_messages      (ConfabMessaging *self,
                                                            const char      *conv);

/* send: the message goes to the outbox and into the model as "sending" at once (completes with
 * it), is sent when connected, in order, and turns "sent" (or "failed"). */
void           confab_messaging_send_message_async  (ConfabMessaging *self, const char *conv,
                                                     const char *body, const char *format,
                                                     gint64 reply_to,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
/* The same with @attachments (send's [{file_id, thumbnail_file_id?, width?, height?}], may be
 * NULL; with some, @body may be empty) and the message's @client_msg_id (NULL: a new one). A
 * client_msg_id already in the outbox fails. Finish with confab_messaging_send_message_finish. */
void           confab_messaging_send_attachments_async (ConfabMessaging *self,
                                                        const char *conv, const char *body,
                                                        const char *format, gint64 reply_to,
                                                        JsonArray *attachments,
                                                        const char *client_msg_id,
                                                        GCancellable *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer user_data);
ConfabMessage *confab_messaging_send_message_finish (ConfabMessaging *self,
                                                     GAsyncResult *result, GError **error);
/* Tries a failed outbox message again, or drops it from outbox and model. */
void           confab_messaging_retry_message    (ConfabMessaging *self, ConfabMessage *message);
/* The messages in the outbox (sending or failed): kept for the next sign-in as the same user
 * unless discarded. */
void           confab_messaging_count_unsent_async  (ConfabMessaging *self,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
guint          confab_messaging_count_unsent_finish (ConfabMessaging *self, GAsyncResult *result,
                                                     GError **error);
void           confab_messaging_discard_unsent      (ConfabMessaging *self);
void           confab_messaging_discard_message  (ConfabMessaging *self, ConfabMessage *message);
/* edit, delete, react need the connection (CONFAB_CLIENT_ERROR_NOT_CONNECTED otherwise); their
 * finish, and mark_read's, is confab_feature_request_finish(). */
void           confab_messaging_edit_message_async   (ConfabMessaging *self, gint64 msg_id,
                                                      const char *body,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
void           confab_messaging_delete_message_async (ConfabMessaging *self, gint64 msg_id,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
void           confab_messaging_react_async          (ConfabMessaging *self, gint64 msg_id,
                                                      const char *emoji, gboolean on,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
/* Marks @conv read up to @msg_id (unread drops at once; sent when connected). */
void           confab_messaging_mark_read_async      (ConfabMessaging *self, const char *conv,
                                                      gint64 msg_id,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);

/* Mutes or unmutes @conv: the model at once, the cache (with the conversation) after. */
void           confab_messaging_set_muted_async      (ConfabMessaging *self, const char *conv,
                                                      gboolean muted,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
gboolean       confab_messaging_set_muted_finish     (ConfabMessaging *self,
                                                      GAsyncResult *result, GError **error);

/* Starts (or finds) the DM with @username: checks the user exists (profile_get) and adds the
 * conversation to the list. Errors: CONFAB_PROTOCOL_ERROR_NOT_FOUND for unknown users. */
void                confab_messaging_start_dm_async  (ConfabMessaging *self,
                                                      const char *username,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
ConfabConversation *confab_messaging_start_dm_finish (ConfabMessaging *self,
                                                      GAsyncResult *result, GError **error);

/* Signals:
 *   "message-received" (ConfabConversation *conv, ConfabMessage *msg)  a new message from
 *       someone else, after it is stored
 *   "conversations-listed" (JsonArray *items)  the items of the server's conversations answer
 *       after each sync, for the features that read more of them (rooms)
 *   "message-arrived" (ConfabConversation *conv, ConfabMessage *msg)  a message to tell the user
 *       of (notifications): written by someone else, not a call record, not deleted, above the
 *       user's read mark; one replayed on connecting is told once the replay is over and only
 *       if still unread then, and none from a replay of the whole stream (a new cache)
 *   "message-changed" (ConfabConversation *conv, ConfabMessage *msg)  a stored message was
 *       edited or replayed again: what was told of it is replaced
 *   "message-deleted" (const char *conv, gint64 msg_id)  nothing of it may be shown any more
 */

G_END_DECLS
