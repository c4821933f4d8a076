/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message-list"

#include "config.h"

#include "confab-cache.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-message-list-private.h"

#include <string.h>

#define DEFAULT_PAGE 50

struct _ConfabMessageList
{
  GObject       parent_instance;

  ConfabCache  *cache;
  GWeakRef      history_source;   /* the messaging feature, which asks the server */
  ConfabMessageListFetch        fetch;
  ConfabMessageListFetchFinish  fetch_finish;
  char         *conv;
  char         *self_username;
  /* Stored messages by ascending id, then the pending ones in outbox order. */
  GPtrArray    *items;
  guint         n_pending;
  GHashTable   *by_id;       /* gint64 id → ConfabMessage (borrowed from items) */
  GHashTable   *by_client_id; /* client_msg_id → pending ConfabMessage (borrowed) */
  gint64        peer_read;
  gboolean      has_more;
  gboolean      has_newer;   /* the newest stored messages were dropped from the window */
  guint         generation;  /* bumped when the window is dropped: older loads then add nothing */
  guint         loading;
};

enum {
  PROP_0,
  PROP_CONV,
  PROP_HAS_MORE,
  PROP_HAS_NEWER,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabMessageList, confab_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static guint
n_stored (ConfabMessageList *self)
{
  return self->items->len - self->n_pending;
}

static gint64
oldest_id (ConfabMessageList *self)
{
  if (n_stored (self) == 0)
    return 0;
  return confab_message_get_id (g_ptr_array_index (self->items, 0));
}

static void
apply_read_state (ConfabMessageList *self,
                  ConfabMessage     *msg)
{
  if (g_strcmp0 (confab_message_get_sender (msg), self->self_username) == 0
      && confab_message_get_id (msg) > 0 && confab_message_get_id (msg) <= self->peer_read
      && confab_message_get_state (msg) == CONFAB_MESSAGE_STATE_SENT)
    confab_message_set_state (msg, CONFAB_MESSAGE_STATE_READ);
}

static void
set_loading (ConfabMessageList *self,
             gboolean           loading)
{
  gboolean was = self->loading > 0;

  if (loading)
    self->loading++;
  else if (self->loading > 0)
    self->loading--;
  if (was != (self->loading > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
set_has_more (ConfabMessageList *self,
              gboolean           has_more)
{
  if (self->has_more == has_more)
    return;
  self->has_more = has_more;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_MORE]);
}

static gint64
newest_id (ConfabMessageList *self)
{
  if (n_stored (self) == 0)
    return 0;
  return confab_message_get_id (g_ptr_array_index (self->items, n_stored (self) - 1));
}

static void
set_has_newer (ConfabMessageList *self,
               gboolean           has_newer)
{
  if (self->has_newer == has_newer)
    return;
  self->has_newer = has_newer;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_NEWER]);
}

/* Removes @n stored messages from @pos in one items-changed. */
static void
drop_stored (ConfabMessageList *self,
             guint              pos,
             guint              n)
{
  for (guint i = pos; i < pos + n; i++)
    {
      gint64 id = confab_message_get_id (g_ptr_array_index (self->items, i));

      g_hash_table_remove (self->by_id, &id);
    }
  g_ptr_array_remove_range (self->items, pos, n);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, n, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* After a page was added at one end, the other end (the farthest from what is shown) goes. */
static void
trim_window (ConfabMessageList *self,
             gboolean           keep_oldest)
{
  guint n = n_stored (self);

  if (n <= CONFAB_MESSAGE_LIST_WINDOW)
    return;
  if (keep_oldest)
    {
      drop_stored (self, CONFAB_MESSAGE_LIST_WINDOW, n - CONFAB_MESSAGE_LIST_WINDOW);
      set_has_newer (self, TRUE);
    }
  else
    {
      drop_stored (self, 0, n - CONFAB_MESSAGE_LIST_WINDOW);
      set_has_more (self, TRUE);
    }
}

/* Position among the stored messages where @id belongs. */
static guint
stored_position (ConfabMessageList *self,
                 gint64             id)
{
  guint lo = 0, hi = n_stored (self);

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (confab_message_get_id (g_ptr_array_index (self->items, mid)) < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
insert_stored (ConfabMessageList *self,
               ConfabMessage     *msg)
{
  gint64 id = confab_message_get_id (msg);
  guint pos = stored_position (self, id);
  gint64 *key = g_new (gint64, 1);

  *key = id;
  apply_read_state (self, msg);
  g_ptr_array_insert (self->items, pos, g_object_ref (msg));
  g_hash_table_insert (self->by_id, key, msg);
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Inserts a page of older messages (ascending) in one items-changed. */
static guint
prepend_page (ConfabMessageList *self,
              GPtrArray         *page)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new ();
  gint64 first = oldest_id (self);
  guint old_len;

  for (guint i = 0; i < page->len; i++)
    {
      ConfabMessage *msg = g_ptr_array_index (page, i);
      gint64 id = confab_message_get_id (msg);

      if (g_hash_table_contains (self->by_id, &id) || (first > 0 && id >= first))
        continue;
      g_ptr_array_add (fresh, msg);
    }
  if (fresh->len == 0)
    return 0;

  /* Move what is loaded once, not once per message: the window grows to the whole
   * conversation when scrolled to its start. */
  old_len = self->items->len;
  g_ptr_array_set_size (self->items, old_len + fresh->len);
  memmove (self->items->pdata + fresh->len, self->items->pdata, old_len * sizeof (gpointer));
  for (guint i = 0; i < fresh->len; i++)
    {
      ConfabMessage *msg = g_ptr_array_index (fresh, i);
      gint64 *key = g_new (gint64, 1);

      *key = confab_message_get_id (msg);
      apply_read_state (self, msg);
      self->items->pdata[i] = g_object_ref (msg);
      g_hash_table_insert (self->by_id, key, msg);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, fresh->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  trim_window (self, TRUE);
  return fresh->len;
}

/* Inserts a page of newer messages (ascending) before the pending ones in one items-changed. */
static guint
append_page (ConfabMessageList *self,
             GPtrArray         *page)
{
  gint64 last = newest_id (self);
  guint pos = n_stored (self);
  guint added = 0;

  for (guint i = 0; i < page->len; i++)
    {
      ConfabMessage *msg = g_ptr_array_index (page, i);
      gint64 id = confab_message_get_id (msg);
      gint64 *key;

      if (id <= last || g_hash_table_contains (self->by_id, &id))
        continue;
      key = g_new (gint64, 1);
      *key = id;
      apply_read_state (self, msg);
      g_ptr_array_insert (self->items, pos + added, g_object_ref (msg));
      g_hash_table_insert (self->by_id, key, msg);
      last = id;
      added++;
    }
  if (added == 0)
    return 0;
  g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, added);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  trim_window (self, FALSE);
  return added;
}

/* Loading older messages: cache first, then the server. */

typedef struct
{
  guint   wanted;
  guint   added;
  gint64  before;
  guint   generation;
} LoadData;

static void
history_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessageList *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  confab_cache_store_history_finish (CONFAB_CACHE (object), result, &error);
  if (error != NULL)
    g_message ("cannot store history: %s", error->message);
  set_loading (self, FALSE);
  g_task_return_int (task, ((LoadData *) g_task_get_task_data (task))->added);
}

static void
history_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessageList *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GPtrArray) page = NULL;
  JsonArray *messages = NULL;
  gboolean has_more = FALSE;

  reply = self->fetch_finish (object, result, &error);
  if (reply == NULL)
    {
      /* Offline: what the cache had is all for now; has-more stays as it was. */
      g_debug ("history for %s: %s", self->conv, error->message);
      set_loading (self, FALSE);
      g_task_return_int (task, data->added);
      return;
    }

  messages = confab_json_get_array (reply, "messages");
  page = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      JsonNode *item = json_array_get_element (messages, i);
      ConfabMessage *msg;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      msg = confab_message_new_from_json (json_node_get_object (item));
      if (msg != NULL && g_strcmp0 (confab_message_get_conv (msg), self->conv) == 0)
        g_ptr_array_add (page, msg);
      else
        g_clear_object (&msg);
    }
  if (data->generation == self->generation)
    data->added += prepend_page (self, page);

  set_has_more (self, confab_json_get_bool (reply, "has_more", &has_more) && has_more);

  if (messages != NULL && json_array_get_length (messages) > 0)
    confab_cache_store_history_async (self->cache, messages, NULL, history_stored_cb,
                                      g_steal_pointer (&task));
  else
    {
      set_loading (self, FALSE);
      g_task_return_int (task, data->added);
    }
}

static void
cache_page_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessageList *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GObject) source = NULL;
  GCancellable *cancellable;
  gint64 before;
  guint limit;

  page = confab_cache_load_messages_finish (CONFAB_CACHE (object), result, &error);
  if (page == NULL)
    {
      set_loading (self, FALSE);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->generation != self->generation)
    {
      set_loading (self, FALSE);
      g_task_return_int (task, 0);
      return;
    }
  data->added = prepend_page (self, page);
  if (page->len >= data->wanted)
    {
      set_loading (self, FALSE);
      g_task_return_int (task, data->added);
      return;
    }

  /* The cache ran out: the history source (the messaging feature) asks the server for what
   * lies before. Without one the list is offline: what the cache had is all for now. */
  source = g_weak_ref_get (&self->history_source);
  if (source == NULL || self->fetch == NULL)
    {
      set_loading (self, FALSE);
      g_task_return_int (task, data->added);
      return;
    }
  before = oldest_id (self);
  limit = MIN (data->wanted - page->len, CONFAB_HISTORY_MAX_LIMIT);
  cancellable = g_task_get_cancellable (task);
  self->fetch (source, self->conv, before, limit, cancellable, history_cb,
               g_steal_pointer (&task));
}

static void
cache_newer_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessageList *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;

  page = confab_cache_load_messages_finish (CONFAB_CACHE (object), result, &error);
  set_loading (self, FALSE);
  if (page == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->generation != self->generation)
    {
      g_task_return_int (task, 0);
      return;
    }
  data->added = append_page (self, page);
  /* Everything stored reaches the cache before the list, so a short page is the newest. */
  if (page->len < data->wanted)
    set_has_newer (self, FALSE);
  g_task_return_int (task, data->added);
}

/* GListModel ------------------------------------------------------------------------------- */

static GType
confab_message_list_get_item_type (GListModel *model)
{
  return CONFAB_TYPE_MESSAGE;
}

static guint
confab_message_list_get_n_items (GListModel *model)
{
  return CONFAB_MESSAGE_LIST (model)->items->len;
}

static gpointer
confab_message_list_get_item (GListModel *model,
                              guint       position)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = confab_message_list_get_item_type;
  iface->get_n_items = confab_message_list_get_n_items;
  iface->get_item = confab_message_list_get_item;
}

/* GObject ---------------------------------------------------------------------------------- */

static void
confab_message_list_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_CONV:
      g_value_set_string (value, self->conv);
      break;
    case PROP_HAS_MORE:
      g_value_set_boolean (value, self->has_more);
      break;
    case PROP_HAS_NEWER:
      g_value_set_boolean (value, self->has_newer);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading > 0);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_list_dispose (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  g_clear_object (&self->cache);
  g_weak_ref_set (&self->history_source, NULL);

  G_OBJECT_CLASS (confab_message_list_parent_class)->dispose (object);
}

static void
confab_message_list_finalize (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  g_weak_ref_clear (&self->history_source);
  g_hash_table_unref (self->by_id);
  g_hash_table_unref (self->by_client_id);
  g_ptr_array_unref (self->items);
  g_free (self->conv);
  g_free (self->self_username);

  G_OBJECT_CLASS (confab_message_list_parent_class)->finalize (object);
}

static void
confab_message_list_class_init (ConfabMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = confab_message_list_get_property;
  object_class->dispose = confab_message_list_dispose;
  object_class->finalize = confab_message_list_finalize;

  properties[PROP_CONV] = g_param_spec_string ("conv", NULL, NULL, NULL, flags);
  properties[PROP_HAS_MORE] = g_param_spec_boolean ("has-more", NULL, NULL, TRUE, flags);
  properties[PROP_HAS_NEWER] = g_param_spec_boolean ("has-newer", NULL, NULL, FALSE, flags);
  properties[PROP_LOADING] = g_param_spec_boolean ("loading", NULL, NULL, FALSE, flags);
  properties[PROP_N_ITEMS] = g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_message_list_init (ConfabMessageList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->by_client_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->has_more = TRUE;
  g_weak_ref_init (&self->history_source, NULL);
}

/* Private API ------------------------------------------------------------------------------ */

ConfabMessageList *
confab_message_list_new (ConfabCache *cache,
                         const char  *conv,
                         const char  *self_username)
{
  ConfabMessageList *self = g_object_new (CONFAB_TYPE_MESSAGE_LIST, NULL);

  self->cache = g_object_ref (cache);
  self->conv = g_strdup (conv);
  self->self_username = g_strdup (self_username);
  return self;
}

void
confab_message_list_set_history_source (ConfabMessageList            *self,
                                        GObject                      *source,
                                        ConfabMessageListFetch        fetch,
                                        ConfabMessageListFetchFinish  fetch_finish)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));
  g_return_if_fail (source == NULL || G_IS_OBJECT (source));

  g_weak_ref_set (&self->history_source, source);
  self->fetch = fetch;
  self->fetch_finish = fetch_finish;
}

void
confab_message_list_add_json (ConfabMessageList *self,
                              JsonObject        *json)
{
  g_autoptr(ConfabMessage) msg = NULL;
  ConfabMessage *existing;
  const char *client_msg_id;
  gint64 id;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  msg = confab_message_new_from_json (json);
  if (msg == NULL || g_strcmp0 (confab_message_get_conv (msg), self->conv) != 0)
    return;
  id = confab_message_get_id (msg);

  existing = g_hash_table_lookup (self->by_id, &id);
  if (existing != NULL)
    {
      confab_message_update_from_json (existing, json);
      return;
    }

  /* Our own message coming back: the pending entry becomes the stored one, in its place
   * among the stored messages, so it is never shown twice. */
  client_msg_id = confab_message_get_client_msg_id (msg);
  if (client_msg_id != NULL && g_strcmp0 (confab_message_get_sender (msg),
                                          self->self_username) == 0)
    {
      ConfabMessage *pending = g_hash_table_lookup (self->by_client_id, client_msg_id);

      if (pending != NULL)
        {
          g_autoptr(ConfabMessage) keep = g_object_ref (pending);
          guint pos;

          if (g_ptr_array_find (self->items, pending, &pos))
            {
              g_ptr_array_remove_index (self->items, pos);
              self->n_pending--;
              g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
            }
          g_hash_table_remove (self->by_client_id, client_msg_id);
          confab_message_update_from_json (keep, json);
          insert_stored (self, keep);
          return;
        }
    }

  /* Outside the window while more is to load on that side: it will come with its page. */
  if (self->has_more && n_stored (self) > 0 && id < oldest_id (self))
    return;
  if (self->has_newer && id > newest_id (self))
    return;
  insert_stored (self, msg);
}

void
confab_message_list_add_pending (ConfabMessageList *self,
                                 ConfabMessage     *msg)
{
  const char *client_msg_id;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (msg));

  client_msg_id = confab_message_get_client_msg_id (msg);
  if (client_msg_id == NULL || g_hash_table_contains (self->by_client_id, client_msg_id))
    return;
  g_hash_table_insert (self->by_client_id, g_strdup (client_msg_id), msg);
  g_ptr_array_add (self->items, g_object_ref (msg));
  self->n_pending++;
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

ConfabMessage *
confab_message_list_lookup_pending (ConfabMessageList *self,
                                    const char        *client_msg_id)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), NULL);
  return g_hash_table_lookup (self->by_client_id, client_msg_id);
}

void
confab_message_list_remove_pending (ConfabMessageList *self,
                                    const char        *client_msg_id)
{
  ConfabMessage *pending;
  guint pos;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  pending = g_hash_table_lookup (self->by_client_id, client_msg_id);
  if (pending == NULL)
    return;
  g_hash_table_remove (self->by_client_id, client_msg_id);
  if (g_ptr_array_find (self->items, pending, &pos))
    {
      g_ptr_array_remove_index (self->items, pos);
      self->n_pending--;
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
}

void
confab_message_list_set_deleted (ConfabMessageList *self,
                                 gint64             msg_id)
{
  ConfabMessage *msg;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  msg = g_hash_table_lookup (self->by_id, &msg_id);
  if (msg != NULL)
    confab_message_set_deleted (msg);
}

void
confab_message_list_set_reaction (ConfabMessageList *self,
                                  gint64             msg_id,
                                  const char        *user,
                                  const char        *emoji,
                                  gboolean           on)
{
  ConfabMessage *msg;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  msg = g_hash_table_lookup (self->by_id, &msg_id);
  if (msg != NULL)
    confab_message_set_reaction (msg, emoji, user, on);
}

void
confab_message_list_set_peer_read (ConfabMessageList *self,
                                   gint64             msg_id)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  if (msg_id <= self->peer_read)
    return;
  self->peer_read = msg_id;
  /* Walk back from the newest: older messages are already read. */
  for (guint i = n_stored (self); i > 0; i--)
    {
      ConfabMessage *msg = g_ptr_array_index (self->items, i - 1);

      if (confab_message_get_id (msg) > msg_id)
        continue;
      if (confab_message_get_state (msg) == CONFAB_MESSAGE_STATE_READ)
        break;
      apply_read_state (self, msg);
    }
}

/* Public API ------------------------------------------------------------------------------- */

const char *
confab_message_list_get_conv (ConfabMessageList *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), NULL);
  return self->conv;
}

gboolean
confab_message_list_get_has_more (ConfabMessageList *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), FALSE);
  return self->has_more;
}

gboolean
confab_message_list_get_loading (ConfabMessageList *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), FALSE);
  return self->loading > 0;
}

void
confab_message_list_load_older_async (ConfabMessageList   *self,
                                      guint                count,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  LoadData *data;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_message_list_load_older_async);
  data = g_new0 (LoadData, 1);
  data->wanted = count > 0 ? count : DEFAULT_PAGE;
  data->before = oldest_id (self);
  data->generation = self->generation;
  g_task_set_task_data (task, data, g_free);

  set_loading (self, TRUE);
  confab_cache_load_messages_async (self->cache, self->conv, data->before, 0, data->wanted,
                                    cancellable, cache_page_cb, task);
}

gboolean
confab_message_list_get_has_newer (ConfabMessageList *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), FALSE);
  return self->has_newer;
}

void
confab_message_list_load_newer_async (ConfabMessageList   *self,
                                      guint                count,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  LoadData *data;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_message_list_load_newer_async);
  data = g_new0 (LoadData, 1);
  data->wanted = count > 0 ? count : DEFAULT_PAGE;
  data->generation = self->generation;
  g_task_set_task_data (task, data, g_free);

  if (!self->has_newer)
    {
      g_task_return_int (task, 0);
      g_object_unref (task);
      return;
    }
  set_loading (self, TRUE);
  confab_cache_load_messages_after_async (self->cache, self->conv, newest_id (self),
                                          data->wanted, cancellable, cache_newer_cb, task);
}

guint
confab_message_list_load_newer_finish (ConfabMessageList  *self,
                                       GAsyncResult       *result,
                                       GError            **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  n = g_task_propagate_int (G_TASK (result), error);
  return n > 0 ? (guint) n : 0;
}

guint
confab_message_list_load_older_finish (ConfabMessageList  *self,
                                       GAsyncResult       *result,
                                       GError            **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  n = g_task_propagate_int (G_TASK (result), error);
  return n > 0 ? (guint) n : 0;
}

typedef struct
{
  ConfabMessageList *list;
  guint              generation;
} ReloadData;

static void
reload_newest_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autofree ReloadData *data = user_data;
  g_autoptr(ConfabMessageList) self = data->list;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  guint generation = data->generation;
  guint old = n_stored (self);

  page = confab_cache_load_messages_finish (CONFAB_CACHE (object), result, &error);
  set_loading (self, FALSE);
  if (page == NULL)
    {
      g_debug ("reloading %s: %s", self->conv, error->message);
      return;
    }
  if (generation != self->generation || !self->has_newer)
    return;

  /* One splice, so the view sees the old window replaced, never an empty list. */
  g_hash_table_remove_all (self->by_id);
  g_ptr_array_remove_range (self->items, 0, old);
  for (guint i = 0; i < page->len; i++)
    {
      ConfabMessage *msg = g_ptr_array_index (page, i);
      gint64 *key = g_new (gint64, 1);

      *key = confab_message_get_id (msg);
      apply_read_state (self, msg);
      g_ptr_array_insert (self->items, i, g_object_ref (msg));
      g_hash_table_insert (self->by_id, key, msg);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old, page->len);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  set_has_newer (self, FALSE);
  set_has_more (self, TRUE);
}

void
confab_message_list_reload_newest (ConfabMessageList *self)
{
  ReloadData *data;

  g_return_if_fail (CONFAB_IS_MESSAGE_LIST (self));

  if (!self->has_newer)
    return;
  /* Loads under way were for the window being replaced; the generation tells them to add
   * nothing. */
  data = g_new0 (ReloadData, 1);
  self->generation++;
  data->list = g_object_ref (self);
  data->generation = self->generation;
  set_loading (self, TRUE);
  confab_cache_load_messages_async (self->cache, self->conv, 0, 0,
                                    CONFAB_MESSAGE_LIST_FIRST_PAGE, NULL, reload_newest_cb, data);
}

ConfabMessage *
confab_message_list_lookup (ConfabMessageList *self,
                            gint64             id)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), NULL);
  return g_hash_table_lookup (self->by_id, &id);
}
