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

/* Runs on the store's thread after each batch committed: how many units of work it had and how
 * long its commit took. */
typedef void (*ConfabStoreBatchFunc) (guint    jobs,
                                      gint64   commit_us,
                                      gpointer user_data);

#define CONFAB_TYPE_STORE (confab_store_get_type ())
G_DECLARE_INTERFACE (ConfabStore, confab_store, CONFAB, STORE, GObject)

typedef struct _ConfabStoreWork ConfabStoreWork;

struct _ConfabStoreInterface
{
  GTypeInterface parent_iface;

  /* Runs @work (see confab-store-private.h) and completes @task with a ConfabStoreReply
   * (g_task_return_pointer). */
  void   (*submit)         (ConfabStore        *self,
                            ConfabStoreWork    *work,
                            GTask              *task);
  void   (*close)          (ConfabStore        *self);
  /* Optional: see confab_store_set_batch_func. */
  void   (*set_batch_func) (ConfabStore          *self,
                            ConfabStoreBatchFunc  func,
                            gpointer              user_data);

  /* The durable event stream; store thread only, inside a unit of work. */
  gint64 (*event_next_seq) (ConfabStore        *self);
  /* Stores event @seq once: in @stream if not NULL (read by the stream's members, see
   * stream_join), and for each of @users on their own (a per-user inbox). */
  void   (*event_append)   (ConfabStore        *self,
                            gint64              seq,
                            const char         *name,
                            const char         *frame,
                            const char         *stream,
                            const char * const *users);
  /* @user reads @stream from the next event on (a no-op if they already do); and stops
   * reading it after its last event so far. */
  void   (*stream_join)    (ConfabStore        *self,
                            const char         *stream,
                            const char         *user);
  void   (*stream_leave)   (ConfabStore        *self,
                            const char         *stream,
                            const char         *user);
  /* Events of @user with seq > @since, at most @limit, into @reply (see
   * confab_store_events_since_async). */
  void   (*events_since)   (ConfabStore        *self,
                            const char         *user,
                            gint64              since,
                            guint               limit,
                            ConfabStoreReply   *reply);
};

ConfabStoreReply *confab_store_finish (ConfabStore   *self,
                                       GAsyncResult  *result,
                                       GError       **error);
void              confab_store_close  (ConfabStore   *self);
/* Set once, before the first unit of work: who hears of each committed batch. */
void              confab_store_set_batch_func (ConfabStore          *self,
                                               ConfabStoreBatchFunc  func,
                                               gpointer              user_data);

/* --- Units of work ---------------------------------------------------------------------------
 *
 * A module's rules run on the store thread, inside the transaction of the batch their request
 * joins, and reach the data only through the store's per-capability interfaces (such as
 * ConfabMessageStore). The work returns the reply, or NULL with @error set (or, after a storage
 * failure the backend noticed, with nothing set: the request then fails as `internal`). A work
 * that fails after writing is undone; a state-changing one completes once its batch committed.
 * @data belongs to the work and must hold copies only: it is used on another thread. */

typedef ConfabStoreReply *(*ConfabStoreWorkFunc) (ConfabStore  *store,
                                                  gpointer      data,
                                                  GError      **error);

typedef enum
{
  CONFAB_STORE_WORK_READ  = 0,
  CONFAB_STORE_WORK_WRITE = 1 << 0,
} ConfabStoreWorkFlags;

void confab_store_run_async (ConfabStore          *self,
                             const char           *name,
                             ConfabStoreWorkFlags  flags,
                             ConfabStoreWorkFunc   func,
                             gpointer              data,
                             GDestroyNotify        data_free,
                             GCancellable         *cancellable,
                             GAsyncReadyCallback   callback,
                             gpointer              user_data,
                             gpointer              source_tag);

/* Inside a work: stores a durable event @name with @data_json (an object's JSON text) for
 * @users, and adds it to @reply with its frame serialized once. */
void confab_store_emit_event_text (ConfabStore        *self,
                                   ConfabStoreReply   *reply,
                                   const char         *name,
                                   const char         *data_json,
                                   const char * const *users);
void confab_store_emit_event      (ConfabStore        *self,
                                   ConfabStoreReply   *reply,
                                   const char         *name,
                                   JsonObject         *data,
                                   const char * const *users);

/* Inside a work: stores a durable event once in @stream, whose members read it through their
 * membership (no row per member), plus a copy for each of @extra (users outside the stream
 * who must get it too, such as an invitee; may be NULL). The reply's event goes live to
 * @members and @extra: the frame is serialized once whatever their number. */
void confab_store_emit_stream_event_text (ConfabStore        *self,
                                          ConfabStoreReply   *reply,
                                          const char         *name,
                                          const char         *data_json,
                                          const char         *stream,
                                          const char * const *members,
                                          const char * const *extra);
void confab_store_emit_stream_event      (ConfabStore        *self,
                                          ConfabStoreReply   *reply,
                                          const char         *name,
                                          JsonObject         *data,
                                          const char         *stream,
                                          const char * const *members,
                                          const char * const *extra);

/* Inside a work: @user receives the events of @stream emitted from now on (joining), or no
 * more after those emitted so far (leaving). Replay (events_since) follows: a member gets the
 * stream's events from their joining to their leaving, and none from before or after. */
void confab_store_stream_join            (ConfabStore        *self,
                                          const char         *stream,
                                          const char         *user);
void confab_store_stream_leave           (ConfabStore        *self,
                                          const char         *stream,
                                          const char         *user);

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
