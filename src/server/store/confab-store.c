/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-store"

#include "config.h"

#include "confab-store-private.h"
#include "confab-frame.h"

G_DEFINE_INTERFACE (ConfabStore, confab_store, G_TYPE_OBJECT)

static void
confab_store_default_init (ConfabStoreInterface *iface)
{
}

ConfabStoreEvent *
confab_store_event_new (gint64              seq,
                        const char         *name,
                        const char * const *users,
                        GBytes             *frame)
{
  ConfabStoreEvent *event;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (frame != NULL, NULL);

  event = g_new0 (ConfabStoreEvent, 1);
  event->seq = seq;
  event->name = g_strdup (name);
  event->users = users != NULL ? g_strdupv ((char **) users) : g_new0 (char *, 1);
  event->frame = g_bytes_ref (frame);
  return event;
}

void
confab_store_event_free (ConfabStoreEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->name);
  g_strfreev (event->users);
  g_bytes_unref (event->frame);
  g_free (event);
}

/* Takes @result (NULL: an empty object). */
ConfabStoreReply *
confab_store_reply_new (JsonObject *result)
{
  ConfabStoreReply *reply = g_new0 (ConfabStoreReply, 1);

  reply->result = result != NULL ? result : json_object_new ();
  reply->events = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_store_event_free);
  return reply;
}

/* Takes @result_text, the result as JSON text of one object. */
ConfabStoreReply *
confab_store_reply_new_text (char *result_text)
{
  ConfabStoreReply *reply = g_new0 (ConfabStoreReply, 1);

  g_return_val_if_fail (result_text != NULL, NULL);

  reply->result_text = result_text;
  reply->events = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_store_event_free);
  return reply;
}

/**
 * confab_store_reply_get_result:
 *
 * Returns: (transfer none): the result as an object, parsed from result_text on first use
 */
JsonObject *
confab_store_reply_get_result (ConfabStoreReply *reply)
{
  g_return_val_if_fail (reply != NULL, NULL);

  if (reply->result == NULL && reply->result_text != NULL)
    {
      g_autoptr(JsonNode) node = json_from_string (reply->result_text, NULL);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
        reply->result = json_object_ref (json_node_get_object (node));
    }
  if (reply->result == NULL)
    reply->result = json_object_new ();
  return reply->result;
}

void
confab_store_reply_free (ConfabStoreReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->result, json_object_unref);
  g_free (reply->result_text);
  g_clear_pointer (&reply->events, g_ptr_array_unref);
  g_clear_pointer (&reply->revoked_devices, g_strfreev);
  g_free (reply);
}

ConfabStoreWork *
confab_store_work_new (const char           *name,
                       ConfabStoreWorkFlags  flags,
                       ConfabStoreWorkFunc   func,
                       gpointer              data,
                       GDestroyNotify        data_free)
{
  ConfabStoreWork *work = g_new0 (ConfabStoreWork, 1);

  work->name = g_strdup (name);
  work->flags = flags;
  work->func = func;
  work->data = data;
  work->data_free = data_free;
  return work;
}

void
confab_store_work_free (ConfabStoreWork *work)
{
  if (work == NULL)
    return;
  if (work->data_free != NULL)
    g_clear_pointer (&work->data, work->data_free);
  g_free (work->name);
  g_free (work->device_id);
  g_free (work);
}

void
confab_store_work_submit (ConfabStore         *self,
                          ConfabStoreWork     *work,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data,
                          gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;

  g_assert (CONFAB_IS_STORE (self));
  g_assert (work != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_name (task, work->name);
  /* A committed change is reported as such even if the caller lost interest meanwhile. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, work, (GDestroyNotify) confab_store_work_free);

  CONFAB_STORE_GET_IFACE (self)->submit (self, work, task);
}

ConfabStoreReply *
confab_store_finish (ConfabStore   *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (CONFAB_IS_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
confab_store_close (ConfabStore *self)
{
  g_return_if_fail (CONFAB_IS_STORE (self));

  if (CONFAB_STORE_GET_IFACE (self)->close != NULL)
    CONFAB_STORE_GET_IFACE (self)->close (self);
}

void
confab_store_set_batch_func (ConfabStore          *self,
                             ConfabStoreBatchFunc  func,
                             gpointer              user_data)
{
  g_return_if_fail (CONFAB_IS_STORE (self));

  if (CONFAB_STORE_GET_IFACE (self)->set_batch_func != NULL)
    CONFAB_STORE_GET_IFACE (self)->set_batch_func (self, func, user_data);
}

/* --- Server-made records and the event stream ----------------------------------------------- */

#define EVENTS_DEFAULT_LIMIT 500
#define EVENTS_MAX_LIMIT     5000

typedef struct
{
  char   *name;
  char   *data;
  GStrv   users;
  gint64  since;
  guint   limit;
} EventArgs;

static void
event_args_free (gpointer data)
{
  EventArgs *args = data;

  g_free (args->name);
  g_free (args->data);
  g_strfreev (args->users);
  g_free (args);
}

static ConfabStoreReply *
event_add_work (ConfabStore  *store,
                gpointer      data,
                GError      **error)
{
  EventArgs *args = data;
  ConfabStoreReply *reply;

  if (args->name[0] == '\0')
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                           "an event needs a name and an object");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  if (args->users[0] != NULL)
    confab_store_emit_event_text (store, reply, args->name, args->data,
                                  (const char * const *) args->users);
  return reply;
}

void
confab_store_event_add_async (ConfabStore         *self,
                              const char          *name,
                              JsonObject          *data,
                              const char * const  *users,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  EventArgs *args;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (data != NULL);
  g_return_if_fail (users != NULL);

  args = g_new0 (EventArgs, 1);
  args->name = g_strdup (name);
  args->data = confab_json_object_to_string (data, NULL);
  args->users = g_strdupv ((char **) users);
  confab_store_run_async (self, "event_add", CONFAB_STORE_WORK_WRITE, event_add_work, args,
                          event_args_free, cancellable, callback, user_data,
                          confab_store_event_add_async);
}

static ConfabStoreReply *
events_since_work (ConfabStore  *store,
                   gpointer      data,
                   GError      **error)
{
  EventArgs *args = data;
  ConfabStoreReply *reply = confab_store_reply_new (NULL);
  guint limit = args->limit;

  if (limit == 0)
    limit = EVENTS_DEFAULT_LIMIT;
  limit = MIN (limit, EVENTS_MAX_LIMIT);
  CONFAB_STORE_GET_IFACE (store)->events_since (store, args->name, args->since, limit, reply);
  return reply;
}

void
confab_store_events_since_async (ConfabStore         *self,
                                 const char          *user,
                                 gint64               since,
                                 guint                limit,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  EventArgs *args;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (user != NULL);

  args = g_new0 (EventArgs, 1);
  args->name = g_strdup (user);
  args->since = since;
  args->limit = limit;
  confab_store_run_async (self, "events_since", CONFAB_STORE_WORK_READ, events_since_work, args,
                          event_args_free, cancellable, callback, user_data,
                          confab_store_events_since_async);
}

void
confab_store_ack_async (ConfabStore         *self,
                        const char          *device_id,
                        gint64               seq,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  ConfabStoreWork *work;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (device_id != NULL);

  work = confab_store_work_new ("ack", CONFAB_STORE_WORK_READ, NULL, NULL, NULL);
  work->device_id = g_strdup (device_id);
  work->seq = seq;
  confab_store_work_submit (self, work, cancellable, callback, user_data,
                            confab_store_ack_async);
}

void
confab_store_run_async (ConfabStore          *self,
                        const char           *name,
                        ConfabStoreWorkFlags  flags,
                        ConfabStoreWorkFunc   func,
                        gpointer              data,
                        GDestroyNotify        data_free,
                        GCancellable         *cancellable,
                        GAsyncReadyCallback   callback,
                        gpointer              user_data,
                        gpointer              source_tag)
{
  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (func != NULL);

  confab_store_work_submit (self, confab_store_work_new (name, flags, func, data, data_free),
                            cancellable, callback, user_data, source_tag);
}

static void
emit_event (ConfabStore        *self,
            ConfabStoreReply   *reply,
            const char         *name,
            const char         *data_json,
            const char         *stream,
            const char * const *members,
            const char * const *users)
{
  ConfabStoreInterface *iface = CONFAB_STORE_GET_IFACE (self);
  gint64 seq = iface->event_next_seq (self);
  g_autoptr(GStrvBuilder) recipients = g_strv_builder_new ();
  g_autoptr(GBytes) bytes = NULL;
  ConfabStoreEvent *event;
  gsize length;
  char *frame;

  frame = confab_frame_event_raw (name, seq, data_json, &length);
  iface->event_append (self, seq, name, frame, stream, users);

  if (members != NULL)
    g_strv_builder_addv (recipients, (const char **) members);
  for (guint i = 0; users != NULL && users[i] != NULL; i++)
    if (members == NULL || !g_strv_contains (members, users[i]))
      g_strv_builder_add (recipients, users[i]);

  bytes = g_bytes_new_take (frame, length);
  event = g_new0 (ConfabStoreEvent, 1);
  event->seq = seq;
  event->name = g_strdup (name);
  event->users = g_strv_builder_end (recipients);
  event->frame = g_steal_pointer (&bytes);
  g_ptr_array_add (reply->events, event);
}

void
confab_store_emit_event_text (ConfabStore        *self,
                              ConfabStoreReply   *reply,
                              const char         *name,
                              const char         *data_json,
                              const char * const *users)
{
  emit_event (self, reply, name, data_json, NULL, NULL, users);
}

void
confab_store_emit_event (ConfabStore        *self,
                         ConfabStoreReply   *reply,
                         const char         *name,
                         JsonObject         *data,
                         const char * const *users)
{
  g_autofree char *data_json = confab_json_object_to_string (data, NULL);

  confab_store_emit_event_text (self, reply, name, data_json, users);
}

void
confab_store_emit_stream_event_text (ConfabStore        *self,
                                     ConfabStoreReply   *reply,
                                     const char         *name,
                                     const char         *data_json,
                                     const char         *stream,
                                     const char * const *members,
                                     const char * const *extra)
{
  const char * const none[] = { NULL };

  g_return_if_fail (stream != NULL);

  emit_event (self, reply, name, data_json, stream, members, extra != NULL ? extra : none);
}

void
confab_store_emit_stream_event (ConfabStore        *self,
                                ConfabStoreReply   *reply,
                                const char         *name,
                                JsonObject         *data,
                                const char         *stream,
                                const char * const *members,
                                const char * const *extra)
{
  g_autofree char *data_json = confab_json_object_to_string (data, NULL);

  confab_store_emit_stream_event_text (self, reply, name, data_json, stream, members, extra);
}

void
confab_store_stream_join (ConfabStore *self,
                          const char  *stream,
                          const char  *user)
{
  g_return_if_fail (stream != NULL && user != NULL);

  CONFAB_STORE_GET_IFACE (self)->stream_join (self, stream, user);
}

void
confab_store_stream_leave (ConfabStore *self,
                           const char  *stream,
                           const char  *user)
{
  g_return_if_fail (stream != NULL && user != NULL);

  CONFAB_STORE_GET_IFACE (self)->stream_leave (self, stream, user);
}
