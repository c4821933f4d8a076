/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-store"

#include "config.h"

#include "confab-store-private.h"
#include "confab-frame.h"

G_DEFINE_INTERFACE (ConfabStore, confab_store, G_TYPE_OBJECT)

static const char * const op_names[] = {
  [CONFAB_STORE_OP_EVENT_ADD] = "event_add",
  [CONFAB_STORE_OP_EVENTS_SINCE] = "events_since",
  [CONFAB_STORE_OP_ACK] = "ack",
  [CONFAB_STORE_OP_WORK] = "work",
};

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

ConfabStoreOp *
confab_store_op_new (ConfabStoreOpKind kind)
{
  ConfabStoreOp *op = g_new0 (ConfabStoreOp, 1);

  op->kind = kind;
  return op;
}

void
confab_store_op_free (ConfabStoreOp *op)
{
  if (op == NULL)
    return;
  g_free (op->user);
  g_free (op->name);
  g_free (op->data);
  g_free (op->device_id);
  g_strfreev (op->users);
  g_free (op->work_name);
  if (op->work_data_free != NULL)
    g_clear_pointer (&op->work_data, op->work_data_free);
  g_free (op);
}

const char *
confab_store_op_name (ConfabStoreOpKind kind)
{
  if ((guint) kind < G_N_ELEMENTS (op_names) && op_names[kind] != NULL)
    return op_names[kind];
  return "private";
}

void
confab_store_op_submit (ConfabStore         *self,
                        ConfabStoreOp       *op,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data,
                        gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;

  g_assert (CONFAB_IS_STORE (self));
  g_assert (op != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_name (task, op->work_name != NULL ? op->work_name : confab_store_op_name (op->kind));
  /* A committed change is reported as such even if the caller lost interest meanwhile. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, op, (GDestroyNotify) confab_store_op_free);

  CONFAB_STORE_GET_IFACE (self)->submit (self, op, task);
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

#define SUBMIT(op, tag) \
  confab_store_op_submit (self, g_steal_pointer (&op), cancellable, callback, user_data, tag)

void
confab_store_event_add_async (ConfabStore         *self,
                              const char          *name,
                              JsonObject          *data,
                              const char * const  *users,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(ConfabStoreOp) op = NULL;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (data != NULL);
  g_return_if_fail (users != NULL);

  op = confab_store_op_new (CONFAB_STORE_OP_EVENT_ADD);
  op->name = g_strdup (name);
  op->data = confab_json_object_to_string (data, NULL);
  op->users = g_strdupv ((char **) users);
  SUBMIT (op, confab_store_event_add_async);
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
  g_autoptr(ConfabStoreOp) op = NULL;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (user != NULL);

  op = confab_store_op_new (CONFAB_STORE_OP_EVENTS_SINCE);
  op->user = g_strdup (user);
  op->since = since;
  op->limit = limit;
  SUBMIT (op, confab_store_events_since_async);
}

void
confab_store_ack_async (ConfabStore         *self,
                        const char          *device_id,
                        gint64               seq,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(ConfabStoreOp) op = NULL;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (device_id != NULL);

  op = confab_store_op_new (CONFAB_STORE_OP_ACK);
  op->device_id = g_strdup (device_id);
  op->seq = seq;
  SUBMIT (op, confab_store_ack_async);
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
  g_autoptr(ConfabStoreOp) op = NULL;

  g_return_if_fail (CONFAB_IS_STORE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (func != NULL);

  op = confab_store_op_new (CONFAB_STORE_OP_WORK);
  op->work_name = g_strdup (name);
  op->work = func;
  op->work_data = data;
  op->work_data_free = data_free;
  op->flag = (flags & CONFAB_STORE_WORK_WRITE) != 0;
  confab_store_op_submit (self, g_steal_pointer (&op), cancellable, callback, user_data,
                          source_tag);
}

void
confab_store_emit_event_text (ConfabStore        *self,
                              ConfabStoreReply   *reply,
                              const char         *name,
                              const char         *data_json,
                              const char * const *users)
{
  ConfabStoreInterface *iface = CONFAB_STORE_GET_IFACE (self);
  gint64 seq = iface->event_next_seq (self);
  g_autoptr(GBytes) bytes = NULL;
  ConfabStoreEvent *event;
  gsize length;
  char *frame;

  frame = confab_frame_event_raw (name, seq, data_json, &length);
  iface->event_append (self, seq, name, frame, users);

  bytes = g_bytes_new_take (frame, length);
  event = g_new0 (ConfabStoreEvent, 1);
  event->seq = seq;
  event->name = g_strdup (name);
  event->users = g_strdupv ((char **) users);
  event->frame = g_steal_pointer (&bytes);
  g_ptr_array_add (reply->events, event);
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
