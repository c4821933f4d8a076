/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

/* For ConfabMessageState, which the outbox stores. */
#include "confab-message.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CACHE (confab_cache_get_type ())
G_DECLARE_FINAL_TYPE (ConfabCache, confab_cache, CONFAB, CACHE, GObject)

/* The local store of one account: a ConfabDb (src/db: WAL, numbered migrations) that a
 * ConfabDbWorker thread owns. Every call is _async/_finish and runs in submission order, in
 * batches of one transaction each. Objects returned are new each time; the models keep the
 * live ones. Errors are G_IO_ERROR (G_IO_ERROR_FAILED with SQLite's message, G_IO_ERROR_CLOSED
 * before open or after close), or CONFAB_PROTOCOL_ERROR_INTERNAL when a whole transaction
 * failed (a full disk, say). */

/* $XDG_DATA_HOME/confab/<username>@<server_key>/cache.sqlite */
char        *confab_cache_build_path     (const char *server_key,
                                          const char *username);
/* @self_username decides which messages are "own" (outbox matching, unread counting). */
ConfabCache *confab_cache_new            (const char *path,
                                          const char *self_username);
const char  *confab_cache_get_path       (ConfabCache *self);

/* Creates the directory, opens the database and migrates its schema, off the main thread.
 * Calls made meanwhile wait for it and fail with its error if it fails (G_IO_ERROR_NOT_SUPPORTED
 * for a cache from a newer Confab). */
void         confab_cache_open_async     (ConfabCache *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean     confab_cache_open_finish    (ConfabCache *self, GAsyncResult *result,
                                          GError **error);
/* Waits for queued work and closes the database; the object can be dropped afterwards. Later
 * calls fail with G_IO_ERROR_CLOSED; while opening, close fails with G_IO_ERROR_PENDING. */
void         confab_cache_close_async    (ConfabCache *self, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean     confab_cache_close_finish   (ConfabCache *self, GAsyncResult *result,
                                          GError **error);

/* The last seq acknowledged to the server (0 if none). */
void         confab_cache_get_last_seq_async  (ConfabCache *self, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gint64       confab_cache_get_last_seq_finish (ConfabCache *self, GAsyncResult *result,
                                               GError **error);
/* Raises the stored seq to @seq (never lowers it). */
void         confab_cache_set_last_seq_async  (ConfabCache *self, gint64 seq,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
gboolean     confab_cache_set_last_seq_finish (ConfabCache *self, GAsyncResult *result,
                                               GError **error);

/* Stores a protocol Message (insert or update by id), updates its conversation's last
 * message and unread count, removes the outbox entry with the same client_msg_id when it is
 * our own, and raises the last seq to @seq (0: leave it) — one transaction. Completes with the
 * stored message; *is_new is FALSE when the id was already stored (a duplicate). */
void           confab_cache_store_message_async  (ConfabCache *self, JsonObject *msg,
                                                  gint64 seq, GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
ConfabMessage *confab_cache_store_message_finish (ConfabCache *self, GAsyncResult *result,
                                                  gboolean *is_new, GError **error);
/* A page of history from the server: stores every message (no unread change). Completes
 * with the number stored. */
void         confab_cache_store_history_async  (ConfabCache *self, JsonArray *messages,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
guint        confab_cache_store_history_finish (ConfabCache *self, GAsyncResult *result,
                                                GError **error);
/* message_deleted: erases the body, marks deleted. */
void         confab_cache_delete_message_async  (ConfabCache *self, gint64 msg_id, gint64 seq,
                                                 GCancellable *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer user_data);
gboolean     confab_cache_delete_message_finish (ConfabCache *self, GAsyncResult *result,
                                                 GError **error);
void         confab_cache_set_reaction_async  (ConfabCache *self, gint64 msg_id,
                                               const char *user, const char *emoji,
                                               gboolean on, gint64 seq,
                                               GCancellable *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer user_data);
gboolean     confab_cache_set_reaction_finish (ConfabCache *self, GAsyncResult *result,
                                               GError **error);
/* A read event: our own read sets last_read and recounts unread; others' set peer_read. */
void         confab_cache_set_read_async  (ConfabCache *self, const char *conv,
                                           const char *user, gint64 msg_id, gint64 seq,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback, gpointer user_data);
gboolean     confab_cache_set_read_finish (ConfabCache *self, GAsyncResult *result,
                                           GError **error);

/* Messages of @conv with before_id > id > after_id (0: no bound), ascending; the newest
 * @limit of that range. Completes with a GPtrArray of ConfabMessage. */
void         confab_cache_load_messages_async  (ConfabCache *self, const char *conv,
                                                gint64 before_id, gint64 after_id,
                                                guint limit, GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
/* The oldest @limit messages after @after_id, ascending; finish with load_messages_finish. */
void         confab_cache_load_messages_after_async (ConfabCache *self, const char *conv,
                                                     gint64 after_id, guint limit,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
GPtrArray   *confab_cache_load_messages_finish (ConfabCache *self, GAsyncResult *result,
                                                GError **error);
void         confab_cache_count_messages_async  (ConfabCache *self, const char *conv,
                                                 GCancellable *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer user_data);
gint64       confab_cache_count_messages_finish (ConfabCache *self, GAsyncResult *result,
                                                 GError **error);

/* Conversations: store the result of the `conversations` request (merges; keeps muted). */
void         confab_cache_store_conversations_async  (ConfabCache *self,
                                                      JsonArray *conversations,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
gboolean     confab_cache_store_conversations_finish (ConfabCache *self,
                                                      GAsyncResult *result, GError **error);
/* Completes with a GPtrArray of ConfabConversation (without contacts attached). */
void         confab_cache_load_conversations_async   (ConfabCache *self,
                                                      GCancellable *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer user_data);
GPtrArray   *confab_cache_load_conversations_finish  (ConfabCache *self,
                                                      GAsyncResult *result, GError **error);
/* One conversation (NULL without error if not stored). */
void                confab_cache_load_conversation_async  (ConfabCache *self, const char *conv,
                                                           GCancellable *cancellable,
                                                           GAsyncReadyCallback callback,
                                                           gpointer user_data);
ConfabConversation *confab_cache_load_conversation_finish (ConfabCache *self,
                                                           GAsyncResult *result,
                                                           GError **error);
void         confab_cache_set_muted_async   (ConfabCache *self, const char *conv, gboolean muted,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean     confab_cache_set_muted_finish  (ConfabCache *self, GAsyncResult *result,
                                             GError **error);

/* Users: protocol User objects by username. */
void         confab_cache_store_user_async  (ConfabCache *self, JsonObject *user, gint64 seq,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean     confab_cache_store_user_finish (ConfabCache *self, GAsyncResult *result,
                                             GError **error);
/* Completes with a GPtrArray of JsonObject (User), all stored users. */
void         confab_cache_load_users_async  (ConfabCache *self, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
GPtrArray   *confab_cache_load_users_finish (ConfabCache *self, GAsyncResult *result,
                                             GError **error);

/* Announcements (broadcast events) by id; storing raises the stored seq to @seq in the same
 * transaction, and a copy already stored changes nothing. Loading gives the newest @limit,
 * oldest first, as JsonObjects with a "read" boolean added. */
void         confab_cache_store_announcement_async      (ConfabCache *self,
                                                         JsonObject *announcement, gint64 seq,
                                                         GCancellable *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer user_data);
gboolean     confab_cache_store_announcement_finish     (ConfabCache *self, GAsyncResult *result,
                                                         GError **error);
void         confab_cache_load_announcements_async      (ConfabCache *self, guint limit,
                                                         GCancellable *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer user_data);
GPtrArray   *confab_cache_load_announcements_finish     (ConfabCache *self, GAsyncResult *result,
                                                         GError **error);
void         confab_cache_set_announcements_read_async  (ConfabCache *self, gint64 up_to_id,
                                                         GCancellable *cancellable,
                                                         GAsyncReadyCallback callback,
                                                         gpointer user_data);
gboolean     confab_cache_set_announcements_read_finish (ConfabCache *self, GAsyncResult *result,
                                                         GError **error);

/* Outbox: messages written before the server took them, in order of writing. add completes
 * with the pending ConfabMessage (state sending). @attachments (may be NULL) is send's
 * [{file_id, thumbnail_file_id?, width?, height?}]. */
void           confab_cache_outbox_add_async   (ConfabCache *self, const char *conv,
                                                const char *client_msg_id, const char *body,
                                                const char *format, gint64 reply_to,
                                                JsonArray *attachments,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
ConfabMessage *confab_cache_outbox_add_finish  (ConfabCache *self, GAsyncResult *result,
                                                GError **error);
/* Entries of @conv (NULL: all), oldest first: GPtrArray of ConfabMessage. */
void           confab_cache_outbox_list_async  (ConfabCache *self, const char *conv,
                                                GCancellable *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer user_data);
GPtrArray     *confab_cache_outbox_list_finish (ConfabCache *self, GAsyncResult *result,
                                                GError **error);
void           confab_cache_outbox_set_state_async  (ConfabCache *self,
                                                     const char *client_msg_id,
                                                     ConfabMessageState state,
                                                     GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
gboolean       confab_cache_outbox_set_state_finish (ConfabCache *self, GAsyncResult *result,
                                                     GError **error);
/* @client_msg_id NULL: the whole outbox. */
void           confab_cache_outbox_remove_async  (ConfabCache *self, const char *client_msg_id,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gboolean       confab_cache_outbox_remove_finish (ConfabCache *self, GAsyncResult *result,
                                                  GError **error);

/* Uploads still to finish, each a JSON object that the files feature defines, grouped by the
 * client_msg_id of the message they go with. put: @local_id 0 adds one (completes with its new
 * local_id), otherwise replaces that one's object. */
void           confab_cache_upload_put_async     (ConfabCache *self, gint64 local_id,
                                                  const char *client_msg_id, JsonObject *upload,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gint64         confab_cache_upload_put_finish    (ConfabCache *self, GAsyncResult *result,
                                                  GError **error);
/* All of them, oldest first: GPtrArray of JsonObject, each with "local_id" and
 * "client_msg_id" set. */
void           confab_cache_upload_list_async    (ConfabCache *self, GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
GPtrArray     *confab_cache_upload_list_finish   (ConfabCache *self, GAsyncResult *result,
                                                  GError **error);
/* Removes the uploads of one message. */
void           confab_cache_upload_remove_async  (ConfabCache *self, const char *client_msg_id,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer user_data);
gboolean       confab_cache_upload_remove_finish (ConfabCache *self, GAsyncResult *result,
                                                  GError **error);

G_END_DECLS
