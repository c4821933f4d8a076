/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * ConfabStore: everything confabd keeps on disk, behind one asynchronous interface.
 *
 * Every operation is `confab_store_<op>_async (...)` and completes with
 * `confab_store_finish ()`, which gives a ConfabStoreReply:
 *
 *  - `result`: the JSON object that goes into the response's `result`, in the shape of the
 *    protocol (User, Message, ... objects as protocol-v1 section 5 defines them). It never holds
 *    secrets, except the one documented `credentials_get` member `password_hash`.
 *  - `events`: the durable events the operation created, in seq order. Each carries its seq,
 *    the usernames it is for, and its frame `{"type":"event","event":…,"seq":…,"data":…}`
 *    serialized once; the server sends those same bytes to every connection of every recipient.
 *
 * A state-changing operation completes only after its transaction is on disk. Errors are in
 * CONFAB_PROTOCOL_ERROR (not_found, forbidden, conflict, invalid, ...) with a message fit to
 * show the client; anything else (an SQL failure) is reported to clients as `internal`.
 *
 * Callbacks run in the thread-default main context of the caller.
 */

typedef struct
{
  gint64   seq;
  char    *name;
  GStrv    users;
  GBytes  *frame;
} ConfabStoreEvent;

typedef struct
{
  /* For the hot path of sending, the store writes the result as JSON text (result_text) and
   * the server sends that text as it is; `result` is then NULL until
   * confab_store_reply_get_result() parses it for a reader that wants the object. */
  JsonObject *result;
  char       *result_text;
  GPtrArray  *events;   /* of ConfabStoreEvent, never NULL */
  /* Operation-specific extras that are not part of the response (see each operation). */
  gint64      last_seq;
  gboolean    more;
  gboolean    resync_required;
  GStrv       revoked_devices;
} ConfabStoreReply;

ConfabStoreEvent *confab_store_event_new   (gint64      seq,
                                            const char *name,
                                            const char * const *users,
                                            GBytes     *frame);
void              confab_store_event_free  (ConfabStoreEvent *event);
ConfabStoreReply *confab_store_reply_new   (JsonObject *result);
ConfabStoreReply *confab_store_reply_new_text (char    *result_text);
JsonObject       *confab_store_reply_get_result (ConfabStoreReply *reply);
void              confab_store_reply_free  (ConfabStoreReply *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoreEvent, confab_store_event_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStoreReply, confab_store_reply_free)

typedef enum
{
  CONFAB_MESSAGE_FORMAT_PLAIN,
  CONFAB_MESSAGE_FORMAT_MARKDOWN,
} ConfabMessageFormat;

#define CONFAB_TYPE_STORE (confab_store_get_type ())
G_DECLARE_INTERFACE (ConfabStore, confab_store, CONFAB, STORE, GObject)

typedef struct _ConfabStoreOp ConfabStoreOp;

struct _ConfabStoreInterface
{
  GTypeInterface parent_iface;

  /* Runs @op (an opaque description of one operation, built by the public functions below) and
   * completes @task with a ConfabStoreReply (g_task_return_pointer). */
  void (*submit) (ConfabStore   *self,
                  ConfabStoreOp *op,
                  GTask         *task);
  void (*close)  (ConfabStore   *self);
};

ConfabStoreReply *confab_store_finish (ConfabStore   *self,
                                       GAsyncResult  *result,
                                       GError       **error);
void              confab_store_close  (ConfabStore   *self);

/* --- Accounts and devices ------------------------------------------------------------------ */

/* result {user}. The first account ever created gets role "admin", atomically.
 * conflict if the username exists. */
void confab_store_user_create_async      (ConfabStore         *self,
                                          const char          *username,
                                          const char          *password_hash,
                                          const char          *display_name,
                                          const char          *email,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {user, password_hash, disabled}; not_found. For the server's login; never forwarded. */
void confab_store_credentials_get_async  (ConfabStore         *self,
                                          const char          *username,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {device_id, user}: a new device of @username holding @token_hash (one token per
 * device). */
void confab_store_device_create_async    (ConfabStore         *self,
                                          const char          *username,
                                          const char          *device_name,
                                          const char          *token_hash,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {user, device_id}; unauthorized if no live device holds @token_hash, forbidden if the
 * account is disabled. Also records the device's last_seen_ts. */
void confab_store_session_lookup_async   (ConfabStore         *self,
                                          const char          *token_hash,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {devices: [{device_id, name, created_ts, last_seen_ts, current}]}. */
void confab_store_devices_list_async     (ConfabStore         *self,
                                          const char          *username,
                                          const char          *current_device_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; reply->revoked_devices = {device_id}. not_found unless @device_id is a live device
 * of @username. The token stops working at once. */
void confab_store_device_revoke_async    (ConfabStore         *self,
                                          const char          *username,
                                          const char          *device_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; stores @password_hash and revokes every device of @username but @keep_device_id
 * (NULL: all of them); reply->revoked_devices lists them. */
void confab_store_password_set_async     (ConfabStore         *self,
                                          const char          *username,
                                          const char          *password_hash,
                                          const char          *keep_device_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {user}; not_found. */
void confab_store_profile_get_async      (ConfabStore         *self,
                                          const char          *username,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* @fields holds any of display_name, email, phone, department, title, location, avatar_file_id
 * as strings (already validated; an empty string clears an optional field). result {user};
 * durable event profile_updated {user} to the user and everyone who shares a conversation
 * with them. */
void confab_store_profile_update_async   (ConfabStore         *self,
                                          const char          *username,
                                          JsonObject          *fields,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {users: [username]}: everyone who shares a conversation with @username (DM peers
 * and room co-members), the audience of presence. */
void confab_store_peers_async            (ConfabStore         *self,
                                          const char          *username,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {last_seen: {username: ts}} for the users of @usernames that exist (others absent). */
void confab_store_last_seen_get_async    (ConfabStore         *self,
                                          const char * const  *usernames,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; records @ts as @username's last_seen (when their last device disconnects). */
void confab_store_last_seen_set_async    (ConfabStore         *self,
                                          const char          *username,
                                          gint64               ts,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

/* result {}; @user blocks (@blocked TRUE) or unblocks @target. A blocked user can't DM @user.
 * not_found if @target does not exist; invalid if @target is @user. */
void confab_store_block_set_async        (ConfabStore         *self,
                                          const char          *user,
                                          const char          *target,
                                          gboolean             blocked,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

/* --- Messaging ------------------------------------------------------------------------------ */

/* result {msg}; durable event message {msg} to every participant of @conv (the sender's own
 * other devices included; the server skips the sending connection).
 * Idempotent on (@sender, @client_msg_id): a retry returns the original message and no event.
 * dm: @sender must be one of the two users (forbidden), the other must exist (not_found) and
 * not block @sender (forbidden). room: @sender must be a member (forbidden).
 * @reply_to (0: none) must be a message of @conv (invalid). @attachments may be NULL. */
void confab_store_message_send_async     (ConfabStore         *self,
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
void confab_store_message_edit_async     (ConfabStore         *self,
                                          const char          *user,
                                          gint64               msg_id,
                                          const char          *body,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; durable message_deleted {conv, msg_id}; author or room admin; the body, its
 * search index entry and its reactions are erased. */
void confab_store_message_delete_async   (ConfabStore         *self,
                                          const char          *user,
                                          gint64               msg_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; durable reaction {conv, msg_id, user, emoji, on}. A no-op change (adding a
 * reaction that is there) succeeds without an event. */
void confab_store_react_async            (ConfabStore         *self,
                                          const char          *user,
                                          gint64               msg_id,
                                          const char          *emoji,
                                          gboolean             on,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; durable read {conv, user, msg_id} to all participants. The read mark never moves
 * back: an older @msg_id succeeds without an event. */
void confab_store_read_async             (ConfabStore         *self,
                                          const char          *user,
                                          const char          *conv,
                                          gint64               msg_id,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {messages, has_more}; ascending ids; @before/@after exclusive (0: unset); without
 * either, the newest @limit. forbidden unless @user is a participant. */
void confab_store_history_async          (ConfabStore         *self,
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
void confab_store_conversations_async    (ConfabStore         *self,
                                          const char          *user,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {messages}: full-text matches newest first, only from @user's conversations (and
 * only @conv if not NULL). */
void confab_store_search_async           (ConfabStore         *self,
                                          const char          *user,
                                          const char          *query,
                                          const char          *conv,
                                          guint                limit,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

/* --- Server-made records ------------------------------------------------------------------- */

/* result {}; one durable event @name with @data (an object) to @users. For events the server
 * makes itself, such as call_missed. */
void confab_store_event_add_async        (ConfabStore         *self,
                                          const char          *name,
                                          JsonObject          *data,
                                          const char * const  *users,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {msg}; a message of kind "call" from @caller in the DM of @caller and @callee, with
 * body "" and `call: @call` ({call_id, media {audio, video}, result ("answered", "missed",
 * "declined", "busy"), duration_ms}); durable event message {msg} to both. Idempotent on
 * @call_id: its client_msg_id is "call:<call_id>". */
void confab_store_call_record_async      (ConfabStore         *self,
                                          const char          *caller,
                                          const char          *callee,
                                          const char          *call_id,
                                          JsonObject          *call,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

/* --- The event stream ----------------------------------------------------------------------- */

/* Events of @user with seq > @since, at most @limit, in seq order, in reply->events;
 * reply->last_seq is the user's newest seq, reply->more tells whether more follow.
 * reply->resync_required is set (and no events given) when @since is older than what the
 * store keeps, or newer than anything it has. result {}. */
void confab_store_events_since_async     (ConfabStore         *self,
                                          const char          *user,
                                          gint64               since,
                                          guint                limit,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
/* result {}; the device has stored everything up to @seq. Not worth an fsync of its own. */
void confab_store_ack_async              (ConfabStore         *self,
                                          const char          *device_id,
                                          gint64               seq,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);

G_END_DECLS
