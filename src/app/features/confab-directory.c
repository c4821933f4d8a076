/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-directory"

#include "config.h"

#include "confab-contact.h"
#include "confab-directory.h"
#include "confab-frame.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-session.h"

struct _ConfabDirectory
{
  ConfabFeature parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabDirectory, confab_directory, CONFAB_TYPE_FEATURE)

static void
confab_directory_class_init (ConfabDirectoryClass *klass)
{
}

static void
confab_directory_init (ConfabDirectory *self)
{
}

ConfabDirectory *
confab_directory_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_DIRECTORY, "session", session, NULL);
}

ConfabDirectory *
confab_directory_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_DIRECTORY);
}

static void
set_if_given (JsonObject *params,
              const char *name,
              const char *value)
{
  if (value != NULL && value[0] != '\0')
    json_object_set_string_member (params, name, value);
}

void
confab_directory_search_async (ConfabDirectory     *self,
                               const char          *query,
                               const char          *department,
                               const char          *title,
                               const char          *location,
                               guint                limit,
                               guint                offset,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_DIRECTORY (self));

  set_if_given (params, "query", query);
  set_if_given (params, "department", department);
  set_if_given (params, "title", title);
  set_if_given (params, "location", location);
  if (limit > 0)
    json_object_set_int_member (params, "limit", limit);
  if (offset > 0)
    json_object_set_int_member (params, "offset", offset);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_DIRECTORY_SEARCH, params, NULL,
                          confab_directory_search_async, cancellable, callback, user_data);
}

GPtrArray *
confab_directory_search_finish (ConfabDirectory  *self,
                                GAsyncResult     *result,
                                guint            *total,
                                GError          **error)
{
  g_autoptr(JsonObject) reply = NULL;
  ConfabSession *session;
  ConfabProfiles *profiles;
  GPtrArray *hits;
  JsonArray *users;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  reply = confab_feature_request_reply (CONFAB_FEATURE (self), result, error);
  if (reply == NULL)
    return NULL;
  hits = g_ptr_array_new_with_free_func (g_object_unref);
  if (total != NULL)
    *total = (guint) CLAMP (confab_json_get_int_or (reply, "total", 0), 0, G_MAXUINT);
  session = confab_feature_get_session (CONFAB_FEATURE (self));
  users = confab_json_get_array (reply, "users");
  if (session == NULL || users == NULL)
    return hits;
  profiles = confab_profiles_from_session (session);
  /* Entries that are not a User object are left out. */
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonNode *node = json_array_get_element (users, i);
      ConfabContact *contact;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      contact = confab_profiles_update_user (profiles, json_node_get_object (node));
      if (contact != NULL)
        g_ptr_array_add (hits, g_object_ref (contact));
    }
  return hits;
}
