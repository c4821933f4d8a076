/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-conversation-list"

#include "config.h"

#include "confab-conversation-list.h"
#include "confab-conversation.h"

#include <string.h>

struct _ConfabConversationList
{
  GObject     parent_instance;

  GHashTable *by_conv;   /* conv → ConfabConversation (owned) */
  GPtrArray  *visible;   /* sorted, filtered; borrowed from by_conv */
  char       *filter;    /* casefolded, or NULL */
  guint       unread_count;
};

enum {
  PROP_0,
  PROP_FILTER_TEXT,
  PROP_UNREAD_COUNT,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabConversationList, confab_conversation_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* Newest activity first. Messages sent within one millisecond are told apart by their ids,
 * which the server hands out in order; then by conv so the order is stable. */
static int
compare_conversations (ConfabConversation *a,
                       ConfabConversation *b)
{
  gint64 ta = confab_conversation_get_last_message_time (a);
  gint64 tb = confab_conversation_get_last_message_time (b);
  gint64 ia = confab_conversation_get_last_message_id (a);
  gint64 ib = confab_conversation_get_last_message_id (b);

  if (ta != tb)
    return ta > tb ? -1 : 1;
  if (ia != ib)
    return ia > ib ? -1 : 1;
  return g_strcmp0 (confab_conversation_get_conv (a), confab_conversation_get_conv (b));
}

static int
compare_conversation_ptrs (gconstpointer a,
                           gconstpointer b)
{
  return compare_conversations (*(ConfabConversation **) a, *(ConfabConversation **) b);
}

static gboolean
contains_casefold (const char *haystack,
                   const char *needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = g_utf8_casefold (haystack, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
matches_filter (ConfabConversationList *self,
                ConfabConversation     *conv)
{
  if (self->filter == NULL)
    return TRUE;
  return contains_casefold (confab_conversation_get_title (conv), self->filter)
         || contains_casefold (confab_conversation_get_peer (conv), self->filter)
         || contains_casefold (confab_conversation_get_conv (conv), self->filter);
}

static guint
sorted_position (ConfabConversationList *self,
                 ConfabConversation     *conv)
{
  guint lo = 0, hi = self->visible->len;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (compare_conversations (g_ptr_array_index (self->visible, mid), conv) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

static void
recount_unread (ConfabConversationList *self)
{
  GHashTableIter iter;
  gpointer value;
  guint total = 0;

  g_hash_table_iter_init (&iter, self->by_conv);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!confab_conversation_get_muted (value))
      total += confab_conversation_get_unread (value);

  if (total == self->unread_count)
    return;
  self->unread_count = total;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

/* Moves @conv to where it belongs now (or out of / into the visible list). */
static void
reposition (ConfabConversationList *self,
            ConfabConversation     *conv)
{
  guint old_pos;
  gboolean was_visible = g_ptr_array_find (self->visible, conv, &old_pos);
  gboolean visible = matches_filter (self, conv);

  if (was_visible)
    {
      gboolean in_order =
        (old_pos == 0
         || compare_conversations (g_ptr_array_index (self->visible, old_pos - 1), conv) < 0)
        && (old_pos + 1 >= self->visible->len
            || compare_conversations (conv, g_ptr_array_index (self->visible, old_pos + 1)) < 0);

      if (visible && in_order)
        return;
      g_ptr_array_remove_index (self->visible, old_pos);
      g_list_model_items_changed (G_LIST_MODEL (self), old_pos, 1, 0);
    }
  if (visible)
    {
      guint pos = sorted_position (self, conv);

      g_ptr_array_insert (self->visible, pos, conv);
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 0, 1);
    }
  if (was_visible != visible)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void
on_conversation_notify (ConfabConversation     *conv,
                        GParamSpec             *pspec,
                        ConfabConversationList *self)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "unread") || g_str_equal (name, "muted"))
    recount_unread (self);
  else if (g_str_equal (name, "last-message-time") || g_str_equal (name, "last-message-id")
           || g_str_equal (name, "title"))
    reposition (self, conv);
}

static void
rebuild (ConfabConversationList *self)
{
  GHashTableIter iter;
  gpointer value;
  guint old_len = self->visible->len;

  g_ptr_array_set_size (self->visible, 0);
  g_hash_table_iter_init (&iter, self->by_conv);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (matches_filter (self, value))
      g_ptr_array_add (self->visible, value);
  g_ptr_array_sort (self->visible, compare_conversation_ptrs);

  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, self->visible->len);
  if (old_len != self->visible->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static GType
confab_conversation_list_get_item_type (GListModel *model)
{
  return CONFAB_TYPE_CONVERSATION;
}

static guint
confab_conversation_list_get_n_items (GListModel *model)
{
  return CONFAB_CONVERSATION_LIST (model)->visible->len;
}

static gpointer
confab_conversation_list_get_item (GListModel *model,
                                   guint       position)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (model);

  if (position >= self->visible->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->visible, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = confab_conversation_list_get_item_type;
  iface->get_n_items = confab_conversation_list_get_n_items;
  iface->get_item = confab_conversation_list_get_item;
}

static void
confab_conversation_list_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_FILTER_TEXT:
      g_value_set_string (value, self->filter);
      break;
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->visible->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_list_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  switch (prop_id)
    {
    case PROP_FILTER_TEXT:
      confab_conversation_list_set_filter_text (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
disconnect_conversation (gpointer data,
                         gpointer user_data)
{
  g_signal_handlers_disconnect_by_func (data, on_conversation_notify, user_data);
}

static void
confab_conversation_list_dispose (GObject *object)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  if (self->by_conv != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->by_conv);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        disconnect_conversation (value, self);
    }
  g_ptr_array_set_size (self->visible, 0);
  g_clear_pointer (&self->by_conv, g_hash_table_unref);

  G_OBJECT_CLASS (confab_conversation_list_parent_class)->dispose (object);
}

static void
confab_conversation_list_finalize (GObject *object)
{
  ConfabConversationList *self = CONFAB_CONVERSATION_LIST (object);

  g_ptr_array_unref (self->visible);
  g_free (self->filter);

  G_OBJECT_CLASS (confab_conversation_list_parent_class)->finalize (object);
}

static void
confab_conversation_list_class_init (ConfabConversationListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_conversation_list_get_property;
  object_class->set_property = confab_conversation_list_set_property;
  object_class->dispose = confab_conversation_list_dispose;
  object_class->finalize = confab_conversation_list_finalize;

  properties[PROP_FILTER_TEXT] =
    g_param_spec_string ("filter-text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_conversation_list_init (ConfabConversationList *self)
{
  self->by_conv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->visible = g_ptr_array_new ();
}

ConfabConversationList *
confab_conversation_list_new (void)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION_LIST, NULL);
}

void
confab_conversation_list_set_filter_text (ConfabConversationList *self,
                                          const char             *text)
{
  g_autofree char *folded = NULL;

  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  if (text != NULL && text[0] != '\0')
    folded = g_utf8_casefold (text, -1);
  if (g_strcmp0 (folded, self->filter) == 0)
    return;
  g_free (self->filter);
  self->filter = g_steal_pointer (&folded);
  rebuild (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER_TEXT]);
}

const char *
confab_conversation_list_get_filter_text (ConfabConversationList *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_LIST (self), NULL);
  return self->filter;
}

ConfabConversation *
confab_conversation_list_lookup (ConfabConversationList *self,
                                 const char             *conv)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (conv != NULL, NULL);

  return g_hash_table_lookup (self->by_conv, conv);
}

guint
confab_conversation_list_get_unread_count (ConfabConversationList *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_LIST (self), 0);
  return self->unread_count;
}

ConfabConversation *
confab_conversation_list_add (ConfabConversationList *self,
                              ConfabConversation     *conv)
{
  ConfabConversation *existing;

  g_return_val_if_fail (CONFAB_IS_CONVERSATION_LIST (self), NULL);
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (conv), NULL);

  existing = g_hash_table_lookup (self->by_conv, confab_conversation_get_conv (conv));
  if (existing != NULL)
    return existing;

  g_hash_table_insert (self->by_conv, g_strdup (confab_conversation_get_conv (conv)),
                       g_object_ref (conv));
  g_signal_connect_object (conv, "notify", G_CALLBACK (on_conversation_notify), self, 0);
  reposition (self, conv);
  recount_unread (self);
  return conv;
}

void
confab_conversation_list_remove (ConfabConversationList *self,
                                 const char             *conv)
{
  ConfabConversation *item;
  guint pos;

  g_return_if_fail (CONFAB_IS_CONVERSATION_LIST (self));

  item = g_hash_table_lookup (self->by_conv, conv);
  if (item == NULL)
    return;
  disconnect_conversation (item, self);
  if (g_ptr_array_find (self->visible, item, &pos))
    {
      g_ptr_array_remove_index (self->visible, pos);
      g_list_model_items_changed (G_LIST_MODEL (self), pos, 1, 0);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
  g_hash_table_remove (self->by_conv, conv);
  recount_unread (self);
}
