/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-store.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_MESSAGE_FORMAT_PLAIN,
  CONFAB_MESSAGE_FORMAT_MARKDOWN,
} ConfabMessageFormat;

/* Messages: send, edit, delete, react, read marks, history, conversations and search. */
void confab_messages_register (ConfabServer *server);

/* Fills in the attachments of a send: given the `attachments` of the request as JSON text,
 * returns the Attachment list to store as JSON text, or NULL with @error set. It runs on the
 * store thread, inside the send's transaction. The files module provides it; without one, a
 * send with attachments is refused. */
typedef char *(*ConfabAttachmentsFunc) (ConfabStore  *store,
                                        const char   *sender,
                                        const char   *conv,
                                        const char   *client_msg_id,
                                        const char   *requested,
                                        GError      **error);

void confab_messages_set_attachments_func (ConfabAttachmentsFunc func);

/*
 * The operations, on any store that implements ConfabMessageStore. Each completes with
 * confab_store_finish (), whose reply carries the result and the durable events.
 */

/* result {msg}; durable event message {msg} to every participant of @conv (the sender's own
 * other devices included; the server skips the sending connection).
 * Idempotent on (@sender, @client_msg_id): a retry returns the original message and no event.
 * dm: @sender must be one of the two users (forbidden), the other must exist (not_found) and
 * not block @sender (forbidden). room: @sender must be a member (forbidden).
 * @reply_to (0: none) must be a message of @conv (invalid). @attachments may be NULL; they
 * are filled in by the attachments function (see confab_messages_set_attachments_func). */
void confab_messages_send_async          (ConfabStore         *store,
                                          const char          *sender,
                                          const char          *conv,
                                          const char          *client_msg_id,
                                          const char          *body,
                                          ConfabMessageFormat  format,
                                          gint64               reply_to,
                                          JsonArray           *attachments,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {msg}; durable message_edited {msg} to the participants; author only (forbidden);
 * not_found if the message does not exist or @user is not a participant; a deleted message
 * cannot be edited (invalid). */
void confab_messages_edit_async          (ConfabStore         *store,
                                          const char          *user,
                                          gint64               msg_id,
                                          const char          *body,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; durable message_deleted {conv, msg_id}; author or room admin; the body, its
 * search index entry and its reactions are erased. */
void confab_messages_delete_async        (ConfabStore         *store,
                                          const char          *user,
                                          gint64               msg_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; durable reaction {conv, msg_id, user, emoji, on}. A no-op change (adding a
 * reaction that is there) succeeds without an event. */
void confab_messages_react_async         (ConfabStore         *store,
                                          const char          *user,
                                          gint64               msg_id,
                                          const char          *emoji,
                                          gboolean             on,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; durable read {conv, user, msg_id} to all participants. The read mark never moves
 * back: an older @msg_id succeeds without an event. */
void confab_messages_read_async          (ConfabStore         *store,
                                          const char          *user,
                                          const char          *conv,
                                          gint64               msg_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {messages, has_more}; ascending ids; @before/@after exclusive (0: unset; @after
 * negative: from the oldest); without either, the newest @limit. forbidden unless @user is a participant. */
void confab_messages_history_async       (ConfabStore         *store,
                                          const char          *user,
                                          const char          *conv,
                                          gint64               before,
                                          gint64               after,
                                          guint                limit,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {conversations: [{conv, kind, title, peer?, room?, last_msg, unread, last_read}]},
 * by last activity, newest first. */
void confab_messages_conversations_async (ConfabStore         *store,
                                          const char          *user,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {messages}: full-text matches newest first, only from @user's conversations (and
 * only @conv if not NULL). */
void confab_messages_search_async        (ConfabStore         *store,
                                          const char          *user,
                                          const char          *query,
                                          const char          *conv,
                                          guint                limit,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {msg}; a message of kind "call" from @caller in the DM of @caller and @callee, with
 * body "" and `call: @call` ({call_id, media {audio, video}, result ("answered", "missed",
 * "declined", "busy"), duration_ms}); durable event message {msg} to both. Idempotent on
 * @call_id: its client_msg_id is "call:<call_id>". */
void confab_messages_record_call_async   (ConfabStore         *store,
                                          const char          *caller,
                                          const char          *callee,
                                          const char          *call_id,
                                          JsonObject          *call,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

/* result {users}: everyone taking part in @conv (a DM's two users, a room's members), for
 * events that are not stored, such as typing; as history, @user must take part (forbidden
 * for a DM, not_found for a room). */
void confab_messages_participants_async  (ConfabStore         *store,
                                          const char          *user,
                                          const char          *conv,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

/* Store thread, inside a unit of work: adds a kind "system" line from @actor to @conv, with
 * @body (English, for clients that do not read @system) and @system ({action, …}), and its
 * durable `message` event to @recipients (the conversation's members) into @reply. */
void confab_messages_add_system          (ConfabStore         *store,
                                          ConfabStoreReply    *reply,
                                          const char          *conv,
                                          const char          *actor,
                                          const char          *body,
                                          JsonObject          *system,
                                          const char * const  *recipients);

G_END_DECLS
