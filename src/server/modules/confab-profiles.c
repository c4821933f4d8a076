/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-profiles"

#include "config.h"

#include "confab-profiles.h"
#include "confab-limits.h"
#include "confab-profile-store.h"
#include "confab-protocol.h"
#include "confab-server-module.h"
#include "confab-validate.h"

#include <string.h>

/* Profiles: anyone's public profile, and one's own profile changed (everyone who shares a
 * conversation with the user hears of it, as profile_updated). */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

/* --- The rules -------------------------------------------------------------------------------- */

#define PS(store) CONFAB_PROFILE_STORE_GET_IFACE (store)
#define PSELF(store) ((ConfabProfileStore *) (store))

typedef struct
{
  char *username;
  char *values[CONFAB_N_PROFILE_FIELDS];
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->username);
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    g_free (args->values[i]);
  g_free (args);
}

/* Set once, at registration, before any request runs; read on the store thread. */
static ConfabAvatarFunc avatar_func;

void
confab_profiles_set_avatar_func (ConfabAvatarFunc func)
{
  avatar_func = func;
}

static ConfabStoreReply *
get_work (ConfabStore  *store,
          gpointer      data,
          GError      **error)
{
  Args *args = data;
  JsonObject *user = PS (store)->user (PSELF (store), args->username);
  JsonObject *result;

  if (user == NULL)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                           "no such user");
      return NULL;
    }
  result = json_object_new ();
  json_object_set_object_member (result, "user", user);
  return confab_store_reply_new (result);
}

/* The user and everyone who shares a conversation with them learn of the change. */
JsonObject *
confab_profiles_apply (ConfabStore         *store,
                       ConfabStoreReply    *reply,
                       const char          *username,
                       const char * const  *values,
                       GError             **error)
{
  g_auto(GStrv) peers = NULL;
  g_autoptr(GStrvBuilder) audience = g_strv_builder_new ();
  g_auto(GStrv) users = NULL;
  g_autoptr(JsonObject) event = json_object_new ();
  JsonObject *user;

  if (values[CONFAB_PROFILE_AVATAR_FILE_ID] != NULL
      && *values[CONFAB_PROFILE_AVATAR_FILE_ID] != '\0')
    {
      if (avatar_func == NULL)
        {
          g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               "this server does not accept avatars");
          return NULL;
        }
      if (!avatar_func (store, username, values[CONFAB_PROFILE_AVATAR_FILE_ID], error))
        return NULL;
    }
  if (!PS (store)->update (PSELF (store), username, values))
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                           "no such user");
      return NULL;
    }

  user = PS (store)->user (PSELF (store), username);
  if (user == NULL)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INTERNAL,
                           "the user vanished");
      return NULL;
    }
  json_object_set_object_member (event, "user", json_object_ref (user));

  peers = PS (store)->peers (PSELF (store), username);
  g_strv_builder_add (audience, username);
  g_strv_builder_addv (audience, (const char **) peers);
  users = g_strv_builder_end (audience);
  confab_store_emit_event (store, reply, CONFAB_EVENT_PROFILE_UPDATED, event,
                           (const char * const *) users);
  return user;
}

static ConfabStoreReply *
update_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  g_autoptr(ConfabStoreReply) reply = confab_store_reply_new (NULL);
  JsonObject *user = confab_profiles_apply (store, reply, args->username,
                                            (const char * const *) args->values, error);

  if (user == NULL)
    return NULL;
  json_object_set_object_member (reply->result, "user", user);
  return g_steal_pointer (&reply);
}

void
confab_profiles_get_async (ConfabStore         *store,
                           const char          *username,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_PROFILE_STORE (store));
  g_return_if_fail (username != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  confab_store_run_async (store, "profile_get", CONFAB_STORE_WORK_READ, get_work, args,
                          args_free, cancellable, callback, user_data,
                          confab_profiles_get_async);
}

void
confab_profiles_update_async (ConfabStore         *store,
                              const char          *username,
                              JsonObject          *fields,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_PROFILE_STORE (store));
  g_return_if_fail (username != NULL);
  g_return_if_fail (fields != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    {
      JsonNode *node = json_object_get_member (fields, confab_profile_field_names[i]);

      if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING)
        args->values[i] = g_strdup (json_node_get_string (node));
      else if (node != NULL && JSON_NODE_HOLDS_NULL (node))
        args->values[i] = g_strdup ("");
    }
  confab_store_run_async (store, "profile_update", CONFAB_STORE_WORK_WRITE, update_work, args,
                          args_free, cancellable, callback, user_data,
                          confab_profiles_update_async);
}

/* --- Requests -------------------------------------------------------------------------------- */

static void
handle_profile_get (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;

  if (!confab_request_get_username (frame, "user", &user, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_profiles_get_async (STORE (self), user, CONFAB_STORE_CALL (self, id, NULL));
}

gboolean
confab_profiles_email_is_valid (const char *email)
{
  return g_utf8_strlen (email, -1) >= 3 && strchr (email, '@') != NULL;
}

/* A name of the right form (so that no path reaches the loader) that GTimeZone loads. */
const char *
confab_profiles_timezone_check (const char *timezone)
{
  g_autoptr(GTimeZone) tz = NULL;

  if (strlen (timezone) > CONFAB_TIMEZONE_MAX_CHARS)
    return "too_long";
  if (!confab_timezone_name_is_valid (timezone))
    return "invalid";
  tz = g_time_zone_new_identifier (timezone);
  return tz == NULL ? "unknown" : NULL;
}

gboolean
confab_profiles_read_fields (JsonObject  *params,
                             JsonObject  *values,
                             GError     **error)
{
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    {
      const char *name = confab_profile_field_names[i];
      const char *value = NULL;
      guint min = i == CONFAB_PROFILE_DISPLAY_NAME ? 1 : 0;
      guint max = i == CONFAB_PROFILE_DISPLAY_NAME ? CONFAB_DISPLAY_NAME_MAX_CHARS
                                                   : CONFAB_PROFILE_FIELD_MAX_CHARS;

      if (!confab_params_get_string (params, name, CONFAB_PARAM_OPTIONAL, min, max, &value,
                                     error))
        return FALSE;
      if (value != NULL)
        json_object_set_string_member (values, name, value);
    }

  /* An empty email clears it; any other must be one register would take. */
  if (json_object_has_member (values, "email")
      && *json_object_get_string_member (values, "email") != '\0'
      && !confab_profiles_email_is_valid (json_object_get_string_member (values, "email")))
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                           "not an email address");
      return FALSE;
    }
  /* An empty time zone clears it. */
  if (*json_object_get_string_member_with_default (values, "timezone", "") != '\0'
      && confab_profiles_timezone_check (json_object_get_string_member (values, "timezone"))
      != NULL)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                           "not a known time zone");
      return FALSE;
    }
  return TRUE;
}

static void
handle_profile_update (gpointer          instance,
                       ConfabConnection *self,
                       const char       *id,
                       JsonObject       *frame)
{
  g_autoptr(JsonObject) values = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *timezone = json_object_get_member (frame, "timezone");

  /* A time zone refused is told with the reason, as `fields`. */
  if (timezone != NULL && JSON_NODE_HOLDS_VALUE (timezone)
      && json_node_get_value_type (timezone) == G_TYPE_STRING
      && *json_node_get_string (timezone) != '\0')
    {
      const char *reason = confab_profiles_timezone_check (json_node_get_string (timezone));

      if (reason != NULL)
        {
          confab_connection_respond_invalid (self, id, "not a known time zone", "timezone",
                                             reason);
          return;
        }
    }
  if (!confab_profiles_read_fields (frame, values, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (json_object_get_size (values) == 0)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "nothing to update");
      return;
    }
  confab_profiles_update_async (STORE (self), confab_connection_get_username (self), values,
                                CONFAB_STORE_CALL (self, id, NULL));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { CONFAB_REQUEST_PROFILE_GET, handle_profile_get },
  { CONFAB_REQUEST_PROFILE_UPDATE, handle_profile_update },
  { NULL }
};

static const char * const events[] = { CONFAB_EVENT_PROFILE_UPDATED, NULL };

static const ConfabServerModule module = {
  .name = "profiles",
  .requests = requests,
  .events = events,
};

void
confab_profiles_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
