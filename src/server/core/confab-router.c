/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-router"

#include "config.h"

#include "confab-router.h"
#include "confab-connection.h"

/* Knows which connections belong to which user and device. Events are delivered by looking up
 * each recipient once; the frame's bytes are shared, never re-serialized per recipient. */
struct _ConfabRouter
{
  GObject     parent_instance;

  GHashTable *by_user;    /* username → GPtrArray of ConfabConnection (borrowed) */
  guint       count;
  guint64     durable_sent;  /* stored events handed to connections */
  guint64     live_sent;     /* live frames handed to connections */
};

G_DEFINE_FINAL_TYPE (ConfabRouter, confab_router, G_TYPE_OBJECT)

static void
confab_router_finalize (GObject *object)
{
  ConfabRouter *self = CONFAB_ROUTER (object);

  g_hash_table_unref (self->by_user);

  G_OBJECT_CLASS (confab_router_parent_class)->finalize (object);
}

static void
confab_router_class_init (ConfabRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = confab_router_finalize;
}

static void
confab_router_init (ConfabRouter *self)
{
  self->by_user = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
}

ConfabRouter *
confab_router_new (void)
{
  return g_object_new (CONFAB_TYPE_ROUTER, NULL);
}

/**
 * confab_router_add:
 *
 * Returns: %TRUE if this is the user's first connection
 */
gboolean
confab_router_add (ConfabRouter     *self,
                   ConfabConnection *connection)
{
  const char *username = confab_connection_get_username (connection);
  GPtrArray *list = g_hash_table_lookup (self->by_user, username);
  gboolean first = FALSE;

  g_return_val_if_fail (username != NULL, FALSE);

  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (self->by_user, g_strdup (username), list);
    }
  if (list->len == 0)
    first = TRUE;
  if (!g_ptr_array_find (list, connection, NULL))
    {
      g_ptr_array_add (list, connection);
      self->count++;
    }
  return first;
}

/**
 * confab_router_remove:
 *
 * Returns: %TRUE if this was the user's last connection
 */
gboolean
confab_router_remove (ConfabRouter     *self,
                      ConfabConnection *connection)
{
  const char *username = confab_connection_get_username (connection);
  GPtrArray *list;

  if (username == NULL)
    return FALSE;

  list = g_hash_table_lookup (self->by_user, username);
  if (list == NULL || !g_ptr_array_remove_fast (list, connection))
    return FALSE;

  self->count--;
  if (list->len == 0)
    {
      g_hash_table_remove (self->by_user, username);
      return TRUE;
    }
  return FALSE;
}

guint
confab_router_count_user (ConfabRouter *self,
                          const char   *username)
{
  GPtrArray *list = g_hash_table_lookup (self->by_user, username);

  return list != NULL ? list->len : 0;
}

guint
confab_router_count (ConfabRouter *self)
{
  return self->count;
}

guint
confab_router_count_users (ConfabRouter *self)
{
  return g_hash_table_size (self->by_user);
}

/* How many frames went to connections so far: stored events (@durable) or live ones. */
guint64
confab_router_count_sent (ConfabRouter *self,
                          gboolean      durable)
{
  return durable ? self->durable_sent : self->live_sent;
}

/* Sends @frame to the connections of @username but @except; with @only_device, just that
 * device's; with @but_device, all but that device's. Returns whether any was sent to. */
static gboolean
send_filtered (ConfabRouter     *self,
               const char       *username,
               GBytes           *frame,
               ConfabConnection *except,
               const char       *only_device,
               const char       *but_device)
{
  GPtrArray *list = g_hash_table_lookup (self->by_user, username);
  gboolean sent = FALSE;

  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      ConfabConnection *connection = g_ptr_array_index (list, i);
      const char *device = confab_connection_get_device_id (connection);

      if (connection == except
          || (only_device != NULL && g_strcmp0 (device, only_device) != 0)
          || (but_device != NULL && g_strcmp0 (device, but_device) == 0))
        continue;
      confab_connection_deliver (connection, 0, frame);
      self->live_sent++;
      sent = TRUE;
    }
  return sent;
}

void
confab_router_send_to_user (ConfabRouter     *self,
                            const char       *username,
                            GBytes           *frame,
                            ConfabConnection *except)
{
  send_filtered (self, username, frame, except, NULL, NULL);
}

/**
 * confab_router_send_to_user_but_device:
 * @except_device: (nullable): a device to leave out
 *
 * Sends @frame to every connection of @username but those of @except_device; the other devices
 * of someone who answered a call stop ringing this way.
 */
void
confab_router_send_to_user_but_device (ConfabRouter *self,
                                       const char   *username,
                                       const char   *except_device,
                                       GBytes       *frame)
{
  send_filtered (self, username, frame, NULL, NULL, except_device);
}

/**
 * confab_router_send_to_device:
 *
 * Sends @frame to every connection of one device (a device normally has one).
 *
 * Returns: %TRUE if the device had a connection
 */
gboolean
confab_router_send_to_device (ConfabRouter *self,
                              const char   *username,
                              const char   *device_id,
                              GBytes       *frame)
{
  g_return_val_if_fail (device_id != NULL, FALSE);
  return send_filtered (self, username, frame, NULL, device_id, NULL);
}

gboolean
confab_router_device_online (ConfabRouter *self,
                             const char   *username,
                             const char   *device_id)
{
  GPtrArray *list = g_hash_table_lookup (self->by_user, username);

  for (guint i = 0; list != NULL && i < list->len; i++)
    if (g_strcmp0 (confab_connection_get_device_id (g_ptr_array_index (list, i)), device_id) == 0)
      return TRUE;
  return FALSE;
}

void
confab_router_deliver (ConfabRouter     *self,
                       ConfabStoreEvent *event,
                       ConfabConnection *except)
{
  for (guint u = 0; event->users[u] != NULL; u++)
    {
      GPtrArray *list = g_hash_table_lookup (self->by_user, event->users[u]);

      if (list == NULL)
        continue;

      for (guint i = 0; i < list->len; i++)
        {
          ConfabConnection *connection = g_ptr_array_index (list, i);

          if (connection != except)
            {
              confab_connection_deliver (connection, event->seq, event->frame);
              self->durable_sent++;
            }
        }
    }
}

static void
close_matching (ConfabRouter *self,
                const char   *username,
                const char   *device_id,
                gushort       code,
                const char   *reason)
{
  g_autoptr(GPtrArray) victims = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  /* Closing emits signals that edit the lists, so collect first. */
  g_hash_table_iter_init (&iter, self->by_user);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GPtrArray *list = value;

      for (guint i = 0; i < list->len; i++)
        {
          ConfabConnection *connection = g_ptr_array_index (list, i);

          if (username != NULL && g_strcmp0 (confab_connection_get_username (connection), username) != 0)
            continue;
          if (device_id != NULL
              && g_strcmp0 (confab_connection_get_device_id (connection), device_id) != 0)
            continue;
          g_ptr_array_add (victims, g_object_ref (connection));
        }
    }

  for (guint i = 0; i < victims->len; i++)
    confab_connection_close (g_ptr_array_index (victims, i), code, reason);
}

void
confab_router_close_device (ConfabRouter *self,
                            const char   *device_id,
                            gushort       code,
                            const char   *reason)
{
  g_return_if_fail (device_id != NULL);
  close_matching (self, NULL, device_id, code, reason);
}

void
confab_router_close_user (ConfabRouter *self,
                          const char   *username,
                          gushort       code,
                          const char   *reason)
{
  g_return_if_fail (username != NULL);
  close_matching (self, username, NULL, code, reason);
}

void
confab_router_close_all (ConfabRouter *self,
                         gushort       code,
                         const char   *reason)
{
  close_matching (self, NULL, NULL, code, reason);
}
