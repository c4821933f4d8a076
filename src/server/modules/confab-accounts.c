/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-accounts"

#include "config.h"

#include "confab-accounts.h"
#include "confab-account-store.h"
#include "confab-limits.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-server-module.h"
#include "confab-validate.h"

#include <string.h>

/* Accounts and devices. Signing in and registering are HTTP (a client has no token yet); the
 * rest are requests of a signed-in connection. Passwords are hashed and checked by ConfabAuth
 * off the main thread; tokens are stored only as hashes. */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

/* --- The rules -------------------------------------------------------------------------------- */

#define AS(store) CONFAB_ACCOUNT_STORE_GET_IFACE (store)
#define ASELF(store) ((ConfabAccountStore *) (store))

typedef struct
{
  char     *username;
  char     *target;
  char     *password_hash;
  char     *display_name;
  char     *email;
  char     *device_id;
  char     *device_name;
  char     *token_hash;
  /* credentials: whether a password authority owns the account */
  gboolean (*owns_account)(ConfabStore *store,
                           const char  *username);
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->username);
  g_free (args->target);
  g_free (args->password_hash);
  g_free (args->display_name);
  g_free (args->email);
  g_free (args->device_id);
  g_free (args->device_name);
  g_free (args->token_hash);
  g_free (args);
}

static void
run_work (ConfabStore          *store,
          const char           *name,
          ConfabStoreWorkFlags  flags,
          ConfabStoreWorkFunc   func,
          Args                 *args,
          GCancellable         *cancellable,
          GAsyncReadyCallback   callback,
          gpointer              user_data,
          gpointer              source_tag)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT_STORE (store));

  confab_store_run_async (store, name, flags, func, args, args_free, cancellable, callback,
                          user_data, source_tag);
}

/* The first account ever created administers the server; the batch's transaction makes that
 * decision and the insert one step. Accounts the company directory made do not count: they may
 * come first, when the server syncs the directory at its first start. */
static ConfabStoreReply *
user_create_work (ConfabStore  *store,
                  gpointer      data,
                  GError      **error)
{
  Args *args = data;
  const char *role;
  JsonObject *result;

  if (!confab_username_is_valid (args->username))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "invalid username");
      return NULL;
    }

  role = AS (store)->any_user (ASELF (store)) ? "user" : "admin";
  if (!AS (store)->user_insert (ASELF (store), args->username, args->password_hash,
                                args->display_name, args->email, role, confab_now_ms ()))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT, "this username is taken");
      return NULL;
    }

  result = json_object_new ();
  json_object_set_object_member (result, "user",
                                 AS (store)->credentials (ASELF (store), args->username, NULL,
                                                          NULL));
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
credentials_work (ConfabStore  *store,
                  gpointer      data,
                  GError      **error)
{
  Args *args = data;
  g_autofree char *hash = NULL;
  gboolean disabled = FALSE;
  JsonObject *user;
  JsonObject *result;

  user = AS (store)->credentials (ASELF (store), args->username, &hash, &disabled);
  if (user == NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such user");
      return NULL;
    }

  result = json_object_new ();
  json_object_set_object_member (result, "user", user);
  json_object_set_string_member (result, "password_hash", hash);
  json_object_set_boolean_member (result, "disabled", disabled);
  json_object_set_boolean_member (result, "external",
                                  args->owns_account != NULL
                                  && args->owns_account (store, args->username));
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
device_create_work (ConfabStore  *store,
                    gpointer      data,
                    GError      **error)
{
  Args *args = data;
  g_autofree char *device_id = g_uuid_string_random ();
  JsonObject *user = AS (store)->credentials (ASELF (store), args->username, NULL, NULL);
  JsonObject *result;

  if (user == NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such user");
      return NULL;
    }

  AS (store)->device_insert (ASELF (store), device_id, args->username, args->device_name,
                             args->token_hash, confab_now_ms ());
  result = json_object_new ();
  json_object_set_string_member (result, "device_id", device_id);
  json_object_set_object_member (result, "user", user);
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
devices_list_work (ConfabStore  *store,
                   gpointer      data,
                   GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();

  json_object_set_array_member (result, "devices",
                                AS (store)->devices (ASELF (store), args->username,
                                                     args->device_id));
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
device_revoke_work (ConfabStore  *store,
                    gpointer      data,
                    GError      **error)
{
  Args *args = data;
  ConfabStoreReply *reply;

  if (!AS (store)->device_revoke (ASELF (store), args->username, args->device_id))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such device");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  reply->revoked_devices = g_new0 (char *, 2);
  reply->revoked_devices[0] = g_strdup (args->device_id);
  return reply;
}

/* A new password signs out every other device. */
static ConfabStoreReply *
password_set_work (ConfabStore  *store,
                   gpointer      data,
                   GError      **error)
{
  Args *args = data;
  ConfabStoreReply *reply;

  if (!AS (store)->set_password (ASELF (store), args->username, args->password_hash))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such user");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  reply->revoked_devices = AS (store)->devices_revoke (ASELF (store), args->username,
                                                       args->device_id);
  return reply;
}

void
confab_accounts_user_create_async (ConfabStore         *store,
                                   const char          *username,
                                   const char          *password_hash,
                                   const char          *display_name,
                                   const char          *email,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Args *args;

  g_return_if_fail (username != NULL);
  g_return_if_fail (password_hash != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  args->password_hash = g_strdup (password_hash);
  args->display_name = g_strdup (display_name);
  args->email = g_strdup (email);
  run_work (store, "user_create", CONFAB_STORE_WORK_WRITE, user_create_work, args, cancellable,
            callback, user_data, confab_accounts_user_create_async);
}

static void
credentials_get (ConfabStore                   *store,
                 const char                    *username,
                 const ConfabPasswordAuthority *authority,
                 GCancellable                  *cancellable,
                 GAsyncReadyCallback            callback,
                 gpointer                       user_data)
{
  Args *args;

  g_return_if_fail (username != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  args->owns_account = authority != NULL ? authority->owns_account : NULL;
  run_work (store, "credentials_get", CONFAB_STORE_WORK_READ, credentials_work, args,
            cancellable, callback, user_data, confab_accounts_credentials_get_async);
}

void
confab_accounts_credentials_get_async (ConfabStore         *store,
                                       const char          *username,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  credentials_get (store, username, NULL, cancellable, callback, user_data);
}

void
confab_accounts_device_create_async (ConfabStore         *store,
                                     const char          *username,
                                     const char          *device_name,
                                     const char          *token_hash,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Args *args;

  g_return_if_fail (username != NULL);
  g_return_if_fail (token_hash != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  args->device_name = g_strdup (device_name != NULL ? device_name : "");
  args->token_hash = g_strdup (token_hash);
  run_work (store, "device_create", CONFAB_STORE_WORK_WRITE, device_create_work, args,
            cancellable, callback, user_data, confab_accounts_device_create_async);
}

void
confab_accounts_devices_list_async (ConfabStore         *store,
                                    const char          *username,
                                    const char          *current_device_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Args *args;

  g_return_if_fail (username != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  args->device_id = g_strdup (current_device_id);
  run_work (store, "devices_list", CONFAB_STORE_WORK_READ, devices_list_work, args, cancellable,
            callback, user_data, confab_accounts_devices_list_async);
}

void
confab_accounts_device_revoke_async (ConfabStore         *store,
                                     const char          *username,
                                     const char          *device_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Args *args;

  g_return_if_fail (username != NULL);
  g_return_if_fail (device_id != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  args->device_id = g_strdup (device_id);
  run_work (store, "device_revoke", CONFAB_STORE_WORK_WRITE, device_revoke_work, args,
            cancellable, callback, user_data, confab_accounts_device_revoke_async);
}

void
confab_accounts_password_set_async (ConfabStore         *store,
                                    const char          *username,
                                    const char          *password_hash,
                                    const char          *keep_device_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Args *args;

  g_return_if_fail (username != NULL);
  g_return_if_fail (password_hash != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  args->password_hash = g_strdup (password_hash);
  args->device_id = g_strdup (keep_device_id);
  run_work (store, "password_set", CONFAB_STORE_WORK_WRITE, password_set_work, args,
            cancellable, callback, user_data, confab_accounts_password_set_async);
}

/* --- The password authority ------------------------------------------------------------------- */

typedef struct
{
  const ConfabPasswordAuthority *authority;
  gpointer                       instance;
} Authority;

void
confab_accounts_set_password_authority (ConfabServer                  *server,
                                        const ConfabPasswordAuthority *authority,
                                        gpointer                       instance)
{
  Authority *set = g_new0 (Authority, 1);

  g_return_if_fail (authority != NULL);

  set->authority = authority;
  set->instance = instance;
  g_object_set_data_full (G_OBJECT (server), "confab-password-authority", set, g_free);
}

static const ConfabPasswordAuthority *
get_authority (ConfabServer *server,
               gpointer     *instance)
{
  Authority *set = g_object_get_data (G_OBJECT (server), "confab-password-authority");

  if (set == NULL)
    return NULL;
  if (instance != NULL)
    *instance = set->instance;
  return set->authority;
}

/* --- HTTP ------------------------------------------------------------------------------------- */

/* An HTTP request answered later: holds the message paused until then. */
typedef struct
{
  ConfabServer      *server;
  SoupServerMessage *msg;
  char              *address;
  char              *username;
  char              *password;
  char              *display_name;
  char              *email;
  char              *device_name;
  JsonObject        *user;
  char              *device_id;
} HttpCall;

static HttpCall *
http_call_new (ConfabServer      *server,
               SoupServerMessage *msg)
{
  HttpCall *call = g_new0 (HttpCall, 1);

  call->server = g_object_ref (server);
  call->msg = g_object_ref (msg);
  call->address = g_strdup (soup_server_message_get_remote_host (msg));
  soup_server_message_pause (msg);
  return call;
}

static void
http_call_finish (HttpCall *call)
{
  soup_server_message_unpause (call->msg);
  g_object_unref (call->msg);
  g_object_unref (call->server);
  g_free (call->address);
  g_free (call->username);
  if (call->password != NULL)
    {
      memset (call->password, 0, strlen (call->password));
      g_free (call->password);
    }
  g_free (call->display_name);
  g_free (call->email);
  g_free (call->device_name);
  g_clear_pointer (&call->user, json_object_unref);
  g_free (call->device_id);
  g_free (call);
}

/* --- /v1/register ----------------------------------------------------------------------------- */

static void
user_created_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    confab_http_send_gerror (call->msg, error);
  else
    {
      confab_log (G_LOG_LEVEL_MESSAGE,
                  &(ConfabLogFields) { .event = "register", .user = call->username,
                                       .request = "register", .outcome = "ok",
                                       .address = call->address },
                  "registered user %s from %s", call->username, call->address);
      confab_http_send_json (call->msg, 201, reply->result);
    }
  http_call_finish (call);
}

static void
register_hashed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = confab_auth_hash_password_finish (CONFAB_AUTH (source), result, &error);

  if (hash == NULL)
    {
      confab_http_send_gerror (call->msg, error);
      http_call_finish (call);
      return;
    }
  confab_accounts_user_create_async (confab_server_get_store (call->server), call->username, hash,
                                     call->display_name, call->email, NULL, user_created_cb, call);
}

static void
add_field_error (JsonObject **fields,
                 const char  *field,
                 const char  *problem)
{
  if (*fields == NULL)
    *fields = json_object_new ();
  json_object_set_string_member (*fields, field, problem);
}

static const char *
optional_text (JsonObject  *body,
               const char  *name,
               guint        min_chars,
               guint        max_chars,
               JsonObject **fields)
{
  g_autoptr(GError) error = NULL;
  const char *value = NULL;

  if (!confab_params_get_string (body, name, CONFAB_PARAM_OPTIONAL, min_chars, max_chars, &value,
                                 &error))
    {
      add_field_error (fields, name, "invalid");
      return NULL;
    }
  return value;
}

const char *
confab_accounts_password_problem (JsonObject *body,
                                  const char *name)
{
  JsonNode *node = json_object_get_member (body, name);
  const char *password = NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    password = json_node_get_string (node);
  if (password == NULL || !g_utf8_validate (password, -1, NULL))
    return password == NULL ? "missing" : "invalid";
  if (strlen (password) < CONFAB_PASSWORD_MIN_BYTES)
    return "too_short";
  if (strlen (password) > CONFAB_PASSWORD_MAX_BYTES)
    return "too_long";
  return NULL;
}

JsonObject *
confab_accounts_read_new_account (JsonObject  *body,
                                  char       **username,
                                  const char **password,
                                  const char **display_name,
                                  const char **email)
{
  g_autoptr(JsonObject) fields = NULL;
  const char *problem;

  *username = NULL;
  if (json_object_has_member (body, "username")
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (body, "username"))
      && json_object_get_string_member_with_default (body, "username", NULL) != NULL)
    *username = confab_username_normalize (json_object_get_string_member (body, "username"));
  if (*username == NULL)
    add_field_error (&fields, "username", json_object_has_member (body, "username") ? "invalid"
                                                                                     : "missing");

  problem = confab_accounts_password_problem (body, "password");
  if (problem != NULL)
    add_field_error (&fields, "password", problem);
  *password = problem == NULL ? json_object_get_string_member (body, "password") : NULL;

  *display_name = optional_text (body, "display_name", 1, CONFAB_DISPLAY_NAME_MAX_CHARS,
                                 &fields);
  *email = optional_text (body, "email", 3, CONFAB_PROFILE_FIELD_MAX_CHARS, &fields);
  if (*email != NULL && !confab_profiles_email_is_valid (*email))
    add_field_error (&fields, "email", "invalid");
  return g_steal_pointer (&fields);
}

void
confab_accounts_send_invalid (SoupServerMessage *msg,
                              JsonObject        *fields)
{
  g_autoptr(JsonObject) extra = json_object_new ();

  json_object_set_object_member (extra, "fields", json_object_ref (fields));
  confab_http_send_error_full (msg, 400, "invalid", "some fields are not valid", extra);
}

static void
handle_register (gpointer           instance,
                 SoupServerMessage *msg)
{
  ConfabServer *self = instance;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *username = NULL;
  const char *password = NULL;
  const char *display_name;
  const char *email;
  HttpCall *call;

  if (confab_server_get_config (self)->registration == CONFAB_REGISTRATION_CLOSED)
    {
      confab_http_send_error_full (msg, 403, "registration_closed",
                                   "this server does not accept new accounts; "
                                   "ask an administrator", NULL);
      return;
    }

  body = confab_http_read_json_body (msg);
  if (body == NULL)
    return;

  fields = confab_accounts_read_new_account (body, &username, &password, &display_name, &email);
  if (fields != NULL)
    {
      confab_accounts_send_invalid (msg, fields);
      return;
    }

  call = http_call_new (self, msg);
  call->username = g_steal_pointer (&username);
  call->display_name = g_strdup (display_name);
  call->email = g_strdup (email);
  confab_auth_hash_password_async (confab_server_get_auth (self), password, NULL,
                                   register_hashed_cb, call);
}

/* --- /v1/login -------------------------------------------------------------------------------- */

static void
device_created_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  const char *token = g_object_get_data (G_OBJECT (call->msg), "confab-token");

  if (reply == NULL)
    confab_http_send_gerror (call->msg, error);
  else
    {
      g_autoptr(JsonObject) out = json_object_new ();

      json_object_set_string_member (out, "token", token);
      json_object_set_string_member (out, "device_id",
                                     json_object_get_string_member (reply->result, "device_id"));
      json_object_set_object_member (out, "user", json_object_ref (call->user));
      confab_http_send_json (call->msg, 200, out);
      confab_log (G_LOG_LEVEL_MESSAGE,
                  &(ConfabLogFields) { .event = "sign_in", .user = call->username,
                                       .device = json_object_get_string_member (reply->result,
                                                                                "device_id"),
                                       .request = "login", .outcome = "ok",
                                       .address = call->address },
                  "%s signed in on a new device from %s", call->username, call->address);
    }
  g_object_set_data (G_OBJECT (call->msg), "confab-token", NULL);
  http_call_finish (call);
}

static void
refuse_wrong_password (HttpCall *call)
{
  confab_auth_login_failed (confab_server_get_auth (call->server), call->username, call->address);
  confab_log (G_LOG_LEVEL_MESSAGE,
              &(ConfabLogFields) { .event = "refused", .user = call->username,
                                   .request = "login", .outcome = "unauthorized",
                                   .address = call->address },
              "sign-in as %s from %s refused: wrong username or password",
              call->username, call->address);
  confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                          "wrong username or password");
  http_call_finish (call);
}

/* The password was right: a disabled account is refused, anyone else gets a new device. */
static void
signed_in (HttpCall *call,
           gboolean  disabled)
{
  ConfabServer *self = call->server;
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;

  confab_auth_login_succeeded (confab_server_get_auth (self), call->username, call->address);

  if (disabled)
    {
      confab_log (G_LOG_LEVEL_MESSAGE,
                  &(ConfabLogFields) { .event = "refused", .user = call->username,
                                       .request = "login", .outcome = "forbidden",
                                       .address = call->address },
                  "sign-in as %s from %s refused: the account is disabled", call->username,
                  call->address);
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                              "this account is disabled");
      http_call_finish (call);
      return;
    }

  confab_auth_new_token (&token, &token_hash);
  /* The token lives on the message only until the response carries it. */
  g_object_set_data_full (G_OBJECT (call->msg), "confab-token", g_steal_pointer (&token), g_free);
  confab_accounts_device_create_async (confab_server_get_store (self), call->username,
                                       call->device_name, token_hash, NULL, device_created_cb,
                                       call);
}

static void
password_checked_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_auth_verify_password_finish (CONFAB_AUTH (source), result, &error))
    {
      if (error == NULL)
        {
          refuse_wrong_password (call);
          return;
        }
      confab_http_send_gerror (call->msg, error);
      http_call_finish (call);
      return;
    }

  signed_in (call, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (call->msg), "confab-disabled")));
}

static void
authority_signed_in_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  HttpCall *call = user_data;
  gpointer instance = NULL;
  const ConfabPasswordAuthority *authority = get_authority (call->server, &instance);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = authority->sign_in_finish (instance, result, &error);

  if (out != NULL)
    {
      call->user = json_object_ref (json_object_get_object_member (out, "user"));
      signed_in (call, json_object_get_boolean_member_with_default (out, "disabled", FALSE));
      return;
    }

  if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED))
    {
      refuse_wrong_password (call);
      return;
    }
  if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAVAILABLE))
    {
      g_autoptr(JsonObject) extra = json_object_new ();

      confab_log (G_LOG_LEVEL_MESSAGE,
                  &(ConfabLogFields) { .event = "refused", .user = call->username,
                                       .request = "login", .outcome = "unavailable",
                                       .address = call->address },
                  "sign-in as %s from %s refused: the company directory is unavailable",
                  call->username, call->address);
      json_object_set_string_member (extra, "reason", "directory_unavailable");
      confab_http_send_error_full (call->msg, 503, "unavailable", error->message, extra);
    }
  else
    confab_http_send_gerror (call->msg, error);
  http_call_finish (call);
}

static void
credentials_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  const ConfabPasswordAuthority *authority;
  gpointer instance = NULL;
  const char *hash = NULL;

  if (reply == NULL && !g_error_matches (error, CONFAB_PROTOCOL_ERROR,
                                         CONFAB_PROTOCOL_ERROR_NOT_FOUND))
    {
      confab_http_send_gerror (call->msg, error);
      http_call_finish (call);
      return;
    }

  authority = get_authority (call->server, &instance);
  if (authority != NULL
      && (reply == NULL || json_object_get_boolean_member (reply->result, "external")))
    {
      authority->sign_in_async (instance, call->username, call->password,
                                authority_signed_in_cb, call);
      return;
    }

  if (reply != NULL)
    {
      hash = json_object_get_string_member (reply->result, "password_hash");
      call->user = json_object_ref (json_object_get_object_member (reply->result, "user"));
      g_object_set_data (G_OBJECT (call->msg), "confab-disabled",
                         GINT_TO_POINTER (json_object_get_boolean_member_with_default (
                                            reply->result, "disabled", FALSE)));
    }

  /* Unknown users are checked against a dummy hash: same time, same answer. */
  confab_auth_verify_password_async (confab_server_get_auth (call->server), hash, call->password,
                                     call->username, call->address, NULL, password_checked_cb,
                                     call);
}

static void
handle_login (gpointer           instance,
              SoupServerMessage *msg)
{
  ConfabServer *self = instance;
  g_autoptr(JsonObject) body = confab_http_read_json_body (msg);
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  const char *raw_username = NULL;
  const char *password = NULL;
  const char *device_name = NULL;
  gint64 retry_after_ms = 0;
  HttpCall *call;

  if (body == NULL)
    return;

  if (!confab_params_get_string (body, "username", CONFAB_PARAM_REQUIRED, 1, 64, &raw_username,
                                 &error)
      || !confab_params_get_string (body, "password", CONFAB_PARAM_REQUIRED, 1,
                                    CONFAB_PASSWORD_MAX_BYTES, &password, &error)
      || !confab_params_get_string (body, "device_name", CONFAB_PARAM_OPTIONAL, 1,
                                    CONFAB_DEVICE_NAME_MAX_CHARS, &device_name, &error))
    {
      confab_http_send_gerror (msg, error);
      return;
    }

  username = confab_username_normalize (raw_username);
  if (username == NULL)
    {
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                              "wrong username or password");
      return;
    }

  if (!confab_auth_login_allowed (confab_server_get_auth (self), username,
                                  soup_server_message_get_remote_host (msg), &retry_after_ms))
    {
      /* INFO: a flood of attempts must not become a flood of log lines. */
      confab_log (G_LOG_LEVEL_INFO,
                  &(ConfabLogFields) { .event = "refused", .user = username, .request = "login",
                                       .outcome = "rate_limited",
                                       .address = soup_server_message_get_remote_host (msg) },
                  "sign-in as %s refused: too many failed attempts", username);
      confab_http_send_rate_limited (msg, retry_after_ms);
      return;
    }

  call = http_call_new (self, msg);
  call->username = g_steal_pointer (&username);
  call->password = g_strdup (password);
  call->device_name = g_strdup (device_name != NULL ? device_name : "Unnamed device");
  credentials_get (confab_server_get_store (self), call->username, get_authority (self, NULL),
                   NULL, credentials_cb, call);
}

/* --- /v1/logout ------------------------------------------------------------------------------- */

static void
logout_revoked_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    confab_http_send_gerror (call->msg, error);
  else
    {
      confab_router_close_device (confab_server_get_router (call->server), call->device_id,
                                  CONFAB_CLOSE_UNAUTHORIZED, "signed out");
      confab_log (G_LOG_LEVEL_MESSAGE,
                  &(ConfabLogFields) { .event = "sign_out", .user = call->username,
                                       .device = call->device_id, .request = "logout",
                                       .outcome = "ok", .address = call->address },
                  "%s signed out a device from %s", call->username, call->address);
      soup_server_message_set_status (call->msg, 204, NULL);
    }
  http_call_finish (call);
}

static void
logout_lookup_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  JsonObject *user;

  if (reply == NULL)
    {
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                              "the token is not valid");
      http_call_finish (call);
      return;
    }

  user = json_object_get_object_member (reply->result, "user");
  call->username = g_strdup (json_object_get_string_member (user, "username"));
  call->device_id = g_strdup (json_object_get_string_member (reply->result, "device_id"));
  confab_accounts_device_revoke_async (confab_server_get_store (call->server), call->username,
                                       call->device_id, NULL, logout_revoked_cb, call);
}

static void
handle_logout (gpointer           instance,
               SoupServerMessage *msg)
{
  ConfabServer *self = instance;
  g_autofree char *token = confab_http_bearer_token (msg);
  g_autofree char *token_hash = NULL;
  HttpCall *call;

  if (token == NULL || *token == '\0')
    {
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED, "missing bearer token");
      return;
    }

  token_hash = confab_auth_hash_token (token);
  call = http_call_new (self, msg);
  confab_session_lookup_async (confab_server_get_store (self), token_hash, NULL,
                               logout_lookup_cb, call);
}

/* --- Password and devices --------------------------------------------------------------------- */

static void
close_revoked_devices (ConfabConnection *self,
                       ConfabStoreReply *reply,
                       gpointer          hook_data)
{
  ConfabRouter *router = confab_server_get_router (confab_connection_get_server (self));

  for (guint i = 0; reply->revoked_devices != NULL && reply->revoked_devices[i] != NULL; i++)
    {
      /* The connection that asked gets its response before it is closed. */
      if (g_strcmp0 (reply->revoked_devices[i], confab_connection_get_device_id (self)) == 0)
        continue;
      confab_router_close_device (router, reply->revoked_devices[i], CONFAB_CLOSE_UNAUTHORIZED,
                                  "device revoked");
    }
}

typedef struct
{
  ConfabConnection *connection;
  char             *id;
  char             *old_password;
  char             *new_password;
} PasswordChange;

static void
free_secret (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

static void
password_change_free (PasswordChange *change)
{
  g_object_unref (change->connection);
  g_free (change->id);
  free_secret (change->old_password);
  free_secret (change->new_password);
  g_free (change);
}

static void
password_hashed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  PasswordChange *change = user_data;
  ConfabConnection *self = change->connection;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = confab_auth_hash_password_finish (CONFAB_AUTH (source), result, &error);

  if (hash == NULL)
    confab_connection_respond_gerror (self, change->id, error);
  else if (!confab_connection_is_closed (self))
    confab_accounts_password_set_async (STORE (self), confab_connection_get_username (self), hash,
                                        confab_connection_get_device_id (self),
                                        CONFAB_STORE_CALL (self, change->id,
                                                           close_revoked_devices));
  password_change_free (change);
}

static void
old_password_checked_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PasswordChange *change = user_data;
  ConfabConnection *self = change->connection;
  g_autoptr(GError) error = NULL;

  if (!confab_auth_verify_password_finish (CONFAB_AUTH (source), result, &error))
    {
      if (error != NULL)
        confab_connection_respond_gerror (self, change->id, error);
      else
        {
          confab_auth_login_failed (CONFAB_AUTH (source), confab_connection_get_username (self),
                                    confab_connection_get_address (self));
          confab_connection_respond_error (self, change->id, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                           "the current password is wrong");
        }
      password_change_free (change);
      return;
    }

  confab_auth_hash_password_async (CONFAB_AUTH (source), change->new_password, NULL,
                                   password_hashed_cb, change);
}

static void
password_credentials_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PasswordChange *change = user_data;
  ConfabConnection *self = change->connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    {
      confab_connection_respond_gerror (self, change->id, error);
      password_change_free (change);
      return;
    }
  if (json_object_get_boolean_member (reply->result, "external"))
    {
      g_autoptr(JsonObject) extra = json_object_new ();

      json_object_set_string_member (extra, "reason", "directory_account");
      confab_connection_respond_error_full (self, change->id, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                            "this account's password is kept in the company "
                                            "directory; change it there", extra);
      password_change_free (change);
      return;
    }

  confab_auth_verify_password_async (confab_server_get_auth (confab_connection_get_server (self)),
                                     json_object_get_string_member (reply->result, "password_hash"),
                                     change->old_password, confab_connection_get_username (self),
                                     confab_connection_get_address (self), NULL,
                                     old_password_checked_cb, change);
}

static gboolean
get_password (JsonObject  *frame,
              const char  *name,
              const char **out,
              GError     **error)
{
  gsize len;

  /* The length in bytes decides below, so that any length out of range is `invalid`. */
  if (!confab_params_get_string (frame, name, CONFAB_PARAM_REQUIRED, 0, G_MAXUINT, out, error))
    return FALSE;
  len = strlen (*out);
  if (len < CONFAB_PASSWORD_MIN_BYTES || len > CONFAB_PASSWORD_MAX_BYTES)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                   "a password has %d to %d bytes", CONFAB_PASSWORD_MIN_BYTES,
                   CONFAB_PASSWORD_MAX_BYTES);
      return FALSE;
    }
  return TRUE;
}

static void
handle_password_change (gpointer          instance,
                        ConfabConnection *self,
                        const char       *id,
                        JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *old = NULL;
  const char *new_password = NULL;
  gint64 retry_after_ms = 0;
  PasswordChange *change;

  if (!confab_params_get_string (frame, "old", CONFAB_PARAM_REQUIRED, 1,
                                 CONFAB_PASSWORD_MAX_BYTES, &old, &error)
      || !get_password (frame, "new", &new_password, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  /* Guessing the old password here is guessing a password: the login throttle applies. */
  if (!confab_auth_login_allowed (confab_server_get_auth (confab_connection_get_server (self)),
                                  confab_connection_get_username (self),
                                  confab_connection_get_address (self), &retry_after_ms))
    {
      confab_connection_respond_rate_limited (self, id, retry_after_ms);
      return;
    }

  change = g_new0 (PasswordChange, 1);
  change->connection = g_object_ref (self);
  change->id = g_strdup (id);
  change->old_password = g_strdup (old);
  change->new_password = g_strdup (new_password);
  credentials_get (STORE (self), confab_connection_get_username (self),
                   get_authority (confab_connection_get_server (self), NULL),
                   confab_connection_get_cancellable (self), password_credentials_cb, change);
}

static void
handle_devices (gpointer          instance,
                ConfabConnection *self,
                const char       *id,
                JsonObject       *frame)
{
  confab_accounts_devices_list_async (STORE (self), confab_connection_get_username (self),
                                      confab_connection_get_device_id (self),
                                      CONFAB_STORE_CALL (self, id, NULL));
}

static gboolean
close_later (gpointer user_data)
{
  ConfabConnection *self = user_data;

  confab_connection_close (self, CONFAB_CLOSE_UNAUTHORIZED, "device revoked");
  return G_SOURCE_REMOVE;
}

static void
device_revoke_hook (ConfabConnection *self,
                    ConfabStoreReply *reply,
                    gpointer          hook_data)
{
  close_revoked_devices (self, reply, hook_data);
  if (reply->revoked_devices != NULL
      && g_strv_contains ((const char * const *) reply->revoked_devices,
                          confab_connection_get_device_id (self)))
    g_idle_add_full (G_PRIORITY_DEFAULT, close_later, g_object_ref (self), g_object_unref);
}

static void
handle_device_revoke (gpointer          instance,
                      ConfabConnection *self,
                      const char       *id,
                      JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *device_id = NULL;

  if (!confab_params_get_string (frame, "device_id", CONFAB_PARAM_REQUIRED, 1, 64, &device_id,
                                 &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_accounts_device_revoke_async (STORE (self), confab_connection_get_username (self),
                                       device_id, CONFAB_STORE_CALL (self, id, device_revoke_hook));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { CONFAB_REQUEST_PASSWORD_CHANGE, handle_password_change },
  { CONFAB_REQUEST_DEVICES, handle_devices },
  { CONFAB_REQUEST_DEVICE_REVOKE, handle_device_revoke },
  { NULL }
};

static const ConfabHttpRoute routes[] = {
  { "POST", "/v1/register", handle_register },
  { "POST", "/v1/login", handle_login },
  { "POST", "/v1/logout", handle_logout },
  { NULL }
};

static const ConfabServerModule module = {
  .name = "accounts",
  .requests = requests,
  .routes = routes,
};

void
confab_accounts_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
