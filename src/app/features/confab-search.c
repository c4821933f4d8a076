/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-search"

#include "config.h"

#include "confab-message.h"
#include "confab-search.h"
#include "confab-session.h"

struct _ConfabSearch
{
  ConfabFeature parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabSearch, confab_search, CONFAB_TYPE_FEATURE)

static void
confab_search_class_init (ConfabSearchClass *klass)
{
}

static void
confab_search_init (ConfabSearch *self)
{
}

ConfabSearch *
confab_search_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_SEARCH, "session", session, NULL);
}

ConfabSearch *
confab_search_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_SEARCH);
}

void
confab_search_messages_async (ConfabSearch        *self,
                              const char          *query,
                              const char          *conv,
                              guint                limit,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SEARCH (self));
  g_return_if_fail (query != NULL);

  json_object_set_string_member (params, "query", query);
  if (conv != NULL)
    json_object_set_string_member (params, "conv", conv);
  if (limit > 0)
    json_object_set_int_member (params, "limit", limit);
  confab_feature_request (CONFAB_FEATURE (self), "search", params, NULL,
                          confab_search_messages_async, cancellable, callback, user_data);
}

GPtrArray *
confab_search_messages_finish (ConfabSearch  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;
  GPtrArray *messages;
  JsonNode *node;
  JsonArray *array;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  if (reply == NULL)
    return NULL;

  messages = g_ptr_array_new_with_free_func (g_object_unref);
  node = json_object_get_member (reply, "messages");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return messages;

  /* What the server sends is checked as any message is: entries that are not one are left out. */
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      ConfabMessage *message;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      message = confab_message_new_from_json (json_node_get_object (element));
      if (message != NULL)
        g_ptr_array_add (messages, message);
    }
  return messages;
}
