/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-admin"

#include "config.h"

#include "confab-admin.h"
#include "confab-account-store.h"
#include "confab-accounts.h"
#include "confab-audit-store.h"
#include "confab-broadcast.h"
#include "confab-broadcast-store.h"
#include "confab-ldap-store.h"
#include "confab-limits.h"
#include "confab-profile-store.h"
#include "confab-profiles.h"
#include "confab-server-module.h"
#include "confab-validate.h"

#include <string.h>

/* Administration over HTTP. Every route signs its caller in with the bearer token and answers
 * 403 to anyone whose role is not admin (that refusal is audited too). A change is one unit of
 * work: its checks (the last administrator stays), every field it sets, the revoked tokens and
 * its audit entry commit together or not at all; then the connections of a disabled account,
 * or of one whose tokens went, are closed with 4401. */

#define USERS_PREFIX "/v1/admin/users/"
#define PAGE_DEFAULT 20
#define PAGE_MAX     100

typedef struct
{
  ConfabServer *server;         /* not owned: the server owns the module */
  gint64        started_us;     /* monotonic time at registration */
} Admin;

#define AUS(store) CONFAB_AUDIT_STORE_GET_IFACE (store)
#define AUSELF(store) ((ConfabAuditStore *) (store))
#define AS(store) CONFAB_ACCOUNT_STORE_GET_IFACE (store)
#define ASELF(store) ((ConfabAccountStore *) (store))
#define BS(store) CONFAB_BROADCAST_STORE_GET_IFACE (store)
#define BSELF(store) ((ConfabBroadcastStore *) (store))

/* The permissions an administrator grants. */
static const char * const known_permissions[] = { CONFAB_BROADCAST_PERMISSION, NULL };

/* --- The rules -------------------------------------------------------------------------------- */

typedef struct
{
  char      *actor;
  char      *address;
  char      *target;          /* the username acted on, or the path of a refused request */
  char      *details;         /* the audit entry's details, an object's JSON text */
  /* Lists. */
  char      *query;
  char      *filter_actor;
  char      *filter_action;
  char      *filter_target;
  guint      limit;
  guint      offset;
  /* Creating and changing accounts. */
  char      *password_hash;
  char      *role;            /* NULL: unchanged */
  int        disabled;        /* -1: unchanged */
  GStrv      permissions;     /* NULL: unchanged */
  gboolean   has_profile;
  char      *profile[CONFAB_N_PROFILE_FIELDS];
} Args;

static Args *
args_new (ConfabHttpCall *call)
{
  Args *args = g_new0 (Args, 1);

  args->actor = g_strdup (call->username);
  args->address = g_strdup (call->address);
  args->disabled = -1;
  return args;
}

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->actor);
  g_free (args->address);
  g_free (args->target);
  g_free (args->details);
  g_free (args->query);
  g_free (args->filter_actor);
  g_free (args->filter_action);
  g_free (args->filter_target);
  if (args->password_hash != NULL)
    memset (args->password_hash, 0, strlen (args->password_hash));
  g_free (args->password_hash);
  g_free (args->role);
  g_strfreev (args->permissions);
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    g_free (args->profile[i]);
  g_free (args);
}

static void
audit (ConfabStore *store,
       Args        *args,
       const char  *action)
{
  AUS (store)->record (AUSELF (store), confab_now_ms (), args->actor, action, args->target,
                       args->details, args->address);
  /* In the transaction of the change: it is undone, with the change, only by a failed
   * commit, which is logged too. */
  confab_log (G_LOG_LEVEL_MESSAGE,
              &(ConfabLogFields) { .event = g_str_equal (action, "denied") ? "refused" : "admin",
                                   .user = args->actor, .request = action,
                                   .outcome = g_str_equal (action, "denied") ? "forbidden" : "ok",
                                   .address = args->address, .target = args->target },
              "admin path: %s by %s on %s from %s", action, args->actor,
              args->target != NULL ? args->target : "-", args->address);
}

static ConfabStoreReply *
denied_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  audit (store, data, "denied");
  return confab_store_reply_new (NULL);
}

static ConfabStoreReply *
users_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();
  gint64 total = 0;

  json_object_set_array_member (result, "users",
                                AUS (store)->accounts (AUSELF (store), args->query, args->limit,
                                                       args->offset, &total));
  json_object_set_int_member (result, "total", total);
  return confab_store_reply_new (result);
}

static JsonObject *
account_result (ConfabStore  *store,
                const char   *username,
                GError      **error)
{
  JsonObject *account = AUS (store)->account (AUSELF (store), username);
  JsonObject *result;

  if (account == NULL)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                   "no such user: %s", username);
      return NULL;
    }
  result = json_object_new ();
  json_object_set_object_member (result, "user", account);
  return result;
}

static ConfabStoreReply *
user_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  JsonObject *result = account_result (store, args->target, error);

  return result != NULL ? confab_store_reply_new (result) : NULL;
}

static ConfabStoreReply *
create_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;

  if (!AS (store)->user_insert (ASELF (store), args->target, args->password_hash,
                                args->profile[CONFAB_PROFILE_DISPLAY_NAME],
                                args->profile[CONFAB_PROFILE_EMAIL], args->role,
                                confab_now_ms ()))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT, "this username is taken");
      return NULL;
    }
  audit (store, args, "user_create");
  return confab_store_reply_new (account_result (store, args->target, error));
}

/* Whether @account administers the server: role admin, not disabled. */
static gboolean
is_active_admin (JsonObject *account,
                 const char *role,
                 int         disabled)
{
  if (role == NULL)
    role = json_object_get_string_member (account, "role");
  if (disabled < 0)
    disabled = json_object_get_boolean_member (account, "disabled");
  return g_strcmp0 (role, "admin") == 0 && !disabled;
}

static ConfabStoreReply *
patch_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  g_autoptr(ConfabStoreReply) reply = confab_store_reply_new (NULL);
  g_autoptr(JsonObject) account = AUS (store)->account (AUSELF (store), args->target);
  JsonObject *result;

  if (account == NULL)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                   "no such user: %s", args->target);
      return NULL;
    }
  if (is_active_admin (account, NULL, -1)
      && !is_active_admin (account, args->role, args->disabled)
      && AUS (store)->count_admins (AUSELF (store)) <= 1)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                 "the server would have no administrator left");
      return NULL;
    }
  /* A password Confab would keep but never check: the directory's is the one that counts. */
  if (args->password_hash != NULL
      && CONFAB_LDAP_STORE_GET_IFACE (store)->is_linked ((ConfabLdapStore *) store, args->target))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                 "this account's password is kept in the company directory; "
                                 "reset it there");
      return NULL;
    }

  if (args->disabled >= 0)
    AUS (store)->set_disabled (AUSELF (store), args->target, args->disabled);
  if (args->role != NULL)
    AUS (store)->set_role (AUSELF (store), args->target, args->role);
  if (args->password_hash != NULL)
    {
      AS (store)->set_password (ASELF (store), args->target, args->password_hash);
      reply->revoked_devices = AS (store)->devices_revoke (ASELF (store), args->target, NULL);
    }
  for (guint i = 0; args->permissions != NULL && known_permissions[i] != NULL; i++)
    BS (store)->set_permission (BSELF (store), args->target, known_permissions[i],
                                g_strv_contains ((const char * const *) args->permissions,
                                                 known_permissions[i]));
  if (args->has_profile)
    {
      JsonObject *user = confab_profiles_apply (store, reply, args->target,
                                                (const char * const *) args->profile, error);

      if (user == NULL)
        return NULL;
      json_object_unref (user);
    }
  audit (store, args, "user_update");

  result = account_result (store, args->target, error);
  if (result == NULL)
    return NULL;
  json_object_unref (reply->result);
  reply->result = result;
  return g_steal_pointer (&reply);
}

static ConfabStoreReply *
sessions_kill_work (ConfabStore  *store,
                    gpointer      data,
                    GError      **error)
{
  Args *args = data;
  g_autoptr(JsonObject) account = AUS (store)->account (AUSELF (store), args->target);
  g_autoptr(JsonObject) details = json_object_new ();
  ConfabStoreReply *reply;
  JsonObject *result;
  guint revoked;

  if (account == NULL)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                   "no such user: %s", args->target);
      return NULL;
    }

  result = json_object_new ();
  reply = confab_store_reply_new (result);
  reply->revoked_devices = AS (store)->devices_revoke (ASELF (store), args->target, NULL);
  revoked = g_strv_length (reply->revoked_devices);
  json_object_set_int_member (result, "revoked", revoked);
  json_object_set_int_member (details, "revoked", revoked);
  g_free (args->details);
  args->details = confab_json_object_to_string (details, NULL);
  audit (store, args, "sessions_kill");
  return reply;
}

static ConfabStoreReply *
sessions_work (ConfabStore  *store,
               gpointer      data,
               GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();
  gint64 total = 0;

  json_object_set_array_member (result, "sessions",
                                AUS (store)->sessions (AUSELF (store), args->target, args->limit,
                                                       args->offset, &total));
  json_object_set_int_member (result, "total", total);
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
stats_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  return confab_store_reply_new (AUS (store)->stats (AUSELF (store)));
}

static ConfabStoreReply *
audit_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();
  gint64 total = 0;

  json_object_set_array_member (result, "entries",
                                AUS (store)->entries (AUSELF (store), args->filter_actor,
                                                      args->filter_action, args->filter_target,
                                                      args->limit, args->offset, &total));
  json_object_set_int_member (result, "total", total);
  return confab_store_reply_new (result);
}

/* --- HTTP ------------------------------------------------------------------------------------- */

typedef void (*AdminFunc) (Admin          *admin,
                           ConfabHttpCall *call);

typedef struct
{
  Admin              *admin;
  AdminFunc           func;
  ConfabHttpCallFunc  other;    /* another module's route (confab_admin_call_start) */
} Start;

/* What a request keeps between its steps on the main thread. */
typedef struct
{
  Admin    *admin;
  char     *username;
  gboolean  close;      /* the user's connections close once the change is in */
  Args     *args;       /* until the store takes them */
  /* After hashing a password: the work to run and its callback. */
  const char          *work_name;
  ConfabStoreWorkFunc  work;
  GAsyncReadyCallback  work_done;
} Pending;

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_free (pending->username);
  g_clear_pointer (&pending->args, args_free);
  g_free (pending);
}

static Pending *
pending_new (Admin          *admin,
             ConfabHttpCall *call)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->admin = admin;
  call->data = pending;
  call->data_free = pending_free;
  return pending;
}

static void
run (ConfabHttpCall       *call,
     const char           *name,
     ConfabStoreWorkFlags  flags,
     ConfabStoreWorkFunc   func,
     Args                 *args,
     GAsyncReadyCallback   callback)
{
  confab_store_run_async (confab_server_get_store (call->server), name, flags, func, args,
                          args_free, NULL, callback, call, confab_admin_register);
}

static void
send_error_and_finish (ConfabHttpCall *call,
                       const GError   *error)
{
  confab_http_send_gerror (call->msg, error);
  confab_http_call_finish (call);
}

static void
refuse_and_finish (ConfabHttpCall      *call,
                   ConfabProtocolError  code,
                   const char          *message)
{
  confab_http_send_error (call->msg, code, message);
  confab_http_call_finish (call);
}

/* The reply of a store operation for @call; NULL after answering its error and finishing. */
static ConfabStoreReply *
finish_or_answer (GObject        *source,
                  GAsyncResult   *result,
                  ConfabHttpCall *call)
{
  g_autoptr(GError) error = NULL;
  ConfabStoreReply *reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    send_error_and_finish (call, error);
  return reply;
}

static void
hashed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  Pending *pending = call->data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = confab_auth_hash_password_finish (CONFAB_AUTH (source), result, &error);

  if (hash == NULL)
    {
      send_error_and_finish (call, error);
      return;
    }
  pending->args->password_hash = g_steal_pointer (&hash);
  run (call, pending->work_name, CONFAB_STORE_WORK_WRITE, pending->work,
       g_steal_pointer (&pending->args), pending->work_done);
}

/* Hashes @password (off the main thread), then runs @work with the pending args. */
static void
hash_then_run (ConfabHttpCall      *call,
               const char          *password,
               const char          *work_name,
               ConfabStoreWorkFunc  work,
               GAsyncReadyCallback  work_done)
{
  Pending *pending = call->data;

  pending->work_name = work_name;
  pending->work = work;
  pending->work_done = work_done;
  confab_auth_hash_password_async (confab_server_get_auth (call->server), password, NULL,
                                   hashed_cb, call);
}

static void
refused_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    g_warning ("could not audit a refused request: %s", error->message);
}

static void
admin_signed_in (ConfabHttpCall *call)
{
  g_autofree Start *start = g_steal_pointer (&call->data);
  const char *role = json_object_get_string_member_with_default (call->user, "role", NULL);

  call->data_free = NULL;
  if (g_strcmp0 (role, "admin") != 0)
    {
      Args *args = args_new (call);
      g_autoptr(JsonObject) details = json_object_new ();

      json_object_set_string_member (details, "method",
                                     soup_server_message_get_method (call->msg));
      args->target = g_strdup (g_uri_get_path (soup_server_message_get_uri (call->msg)));
      args->details = confab_json_object_to_string (details, NULL);
      confab_store_run_async (confab_server_get_store (call->server), "admin_denied",
                              CONFAB_STORE_WORK_WRITE, denied_work, args, args_free, NULL,
                              refused_cb, NULL, confab_admin_register);
      refuse_and_finish (call, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "only administrators may do this");
      return;
    }
  if (start->other != NULL)
    start->other (call);
  else
    start->func (start->admin, call);
}

static void
admin_start (gpointer           instance,
             SoupServerMessage *msg,
             AdminFunc          func)
{
  Admin *admin = instance;
  Start *start = g_new0 (Start, 1);

  start->admin = admin;
  start->func = func;
  confab_http_call_start (admin->server, msg, CONFAB_HTTP_CALL_NO_BODY, admin_signed_in, start,
                          g_free);
}

void
confab_admin_call_start (ConfabServer       *server,
                         SoupServerMessage  *msg,
                         ConfabHttpCallFunc  func)
{
  Start *start = g_new0 (Start, 1);

  g_return_if_fail (func != NULL);

  start->admin = confab_server_get_module (server, "admin");
  start->other = func;
  confab_http_call_start (server, msg, CONFAB_HTTP_CALL_NO_BODY, admin_signed_in, start, g_free);
}

static gboolean
is_profile_field (const char *name)
{
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    if (g_str_equal (name, confab_profile_field_names[i]))
      return TRUE;
  return FALSE;
}

/* The body, a JSON object with no member but @allowed (and, with @profile, the profile
 * fields); NULL after answering 400. */
static JsonObject *
read_body (ConfabHttpCall      *call,
           const char * const  *allowed,
           gboolean             profile)
{
  g_autoptr(JsonObject) body = confab_http_read_json_body (call->msg);
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  if (body == NULL)
    return NULL;
  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &member, &node))
    if (!g_strv_contains (allowed, member)
        && !(profile && is_profile_field (member)))
      {
        g_autofree char *message = g_strdup_printf ("unknown field: %s", member);

        confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, message);
        return NULL;
      }
  return g_steal_pointer (&body);
}

/* The query parameters, none but @allowed plus limit and offset, into @args (filters are read
 * by the caller from the table); NULL after answering 400. */
static GHashTable *
read_query (ConfabHttpCall      *call,
            const char * const  *allowed,
            Args                *args)
{
  const char *query = g_uri_get_query (soup_server_message_get_uri (call->msg));
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key;
  gpointer value;
  guint64 number;

  if (query == NULL)
    params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  else
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, &error);
  if (params == NULL)
    {
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, error->message);
      return NULL;
    }

  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *message = NULL;

      if (g_str_equal (key, "limit") || g_str_equal (key, "offset"))
        {
          gboolean limit = g_str_equal (key, "limit");

          if (g_ascii_string_to_unsigned (value, 10, limit ? 1 : 0, limit ? PAGE_MAX : G_MAXINT32,
                                          &number, NULL))
            {
              *(limit ? &args->limit : &args->offset) = number;
              continue;
            }
          message = g_strdup_printf ("%s is out of range", (char *) key);
        }
      else if (g_strv_contains (allowed, key) && g_utf8_validate (value, -1, NULL)
               && *(char *) value != '\0')
        continue;
      else
        message = g_strdup_printf ("unknown or empty parameter: %s", (char *) key);
      confab_http_send_error (call->msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, message);
      return NULL;
    }
  if (args->limit == 0)
    args->limit = PAGE_DEFAULT;
  return g_steal_pointer (&params);
}

/* The query of a list into new @args; NULL after answering 400 and finishing @call. */
static GHashTable *
start_list (ConfabHttpCall      *call,
            const char * const  *allowed,
            Args               **args)
{
  GHashTable *params;

  *args = args_new (call);
  params = read_query (call, allowed, *args);
  if (params == NULL)
    {
      g_clear_pointer (args, args_free);
      confab_http_call_finish (call);
    }
  return params;
}

/* The username of /v1/admin/users/<username>@suffix, lower-cased; if the path names none,
 * NULL after answering 404 with @missing and finishing @call. */
static char *
path_username (ConfabHttpCall *call,
               const char     *suffix,
               const char     *missing)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (call->msg));
  g_autofree char *name = NULL;
  char *username = NULL;

  path += strlen (USERS_PREFIX);
  if (g_str_has_suffix (path, suffix))
    {
      name = g_strndup (path, strlen (path) - strlen (suffix));
      username = confab_username_normalize (name);
    }
  if (username == NULL)
    refuse_and_finish (call, CONFAB_PROTOCOL_ERROR_NOT_FOUND, missing);
  return username;
}

static void
respond_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  g_autoptr(ConfabStoreReply) reply = finish_or_answer (source, result, call);

  if (reply == NULL)
    return;
  confab_http_send_json (call->msg, 200, confab_store_reply_get_result (reply));
  confab_http_call_finish (call);
}

/* --- GET /v1/admin/users, /v1/admin/users/<username> ------------------------------------------ */

static void
users_list (Admin          *admin,
            ConfabHttpCall *call)
{
  static const char * const allowed[] = { "query", NULL };
  Args *args = NULL;
  g_autoptr(GHashTable) params = start_list (call, allowed, &args);

  if (params == NULL)
    return;
  args->query = g_strdup (g_hash_table_lookup (params, "query"));
  run (call, "admin_users", CONFAB_STORE_WORK_READ, users_work, args, respond_cb);
}

static void
handle_users_list (gpointer           instance,
                   SoupServerMessage *msg)
{
  admin_start (instance, msg, users_list);
}

static void
user_get (Admin          *admin,
          ConfabHttpCall *call)
{
  g_autofree char *username = path_username (call, "", "no such user");
  Args *args;

  if (username == NULL)
    return;
  args = args_new (call);
  args->target = g_steal_pointer (&username);
  run (call, "admin_user", CONFAB_STORE_WORK_READ, user_work, args, respond_cb);
}

static void
handle_user_get (gpointer           instance,
                 SoupServerMessage *msg)
{
  admin_start (instance, msg, user_get);
}

/* --- POST /v1/admin/users --------------------------------------------------------------------- */

static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  g_autoptr(ConfabStoreReply) reply = finish_or_answer (source, result, call);

  if (reply == NULL)
    return;
  g_message ("administrator %s created user %s", call->username,
             ((Pending *) call->data)->username);
  confab_http_send_json (call->msg, 201, confab_store_reply_get_result (reply));
  confab_http_call_finish (call);
}

static gboolean
role_is_valid (const char *role)
{
  return g_strcmp0 (role, "user") == 0 || g_strcmp0 (role, "admin") == 0;
}

static void
user_create (Admin          *admin,
             ConfabHttpCall *call)
{
  static const char * const allowed[] = {
    "username", "password", "display_name", "email", "role", NULL
  };
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *username = NULL;
  const char *password = NULL;
  const char *display_name = NULL;
  const char *email = NULL;
  const char *role = "user";
  Pending *pending;
  Args *args;

  call->body = read_body (call, allowed, FALSE);
  if (call->body == NULL)
    {
      confab_http_call_finish (call);
      return;
    }

  fields = confab_accounts_read_new_account (call->body, &username, &password, &display_name,
                                             &email);
  if (!confab_params_get_string (call->body, "role", CONFAB_PARAM_OPTIONAL, 1, 16, &role, NULL)
      || !role_is_valid (role != NULL ? role : "user"))
    {
      if (fields == NULL)
        fields = json_object_new ();
      json_object_set_string_member (fields, "role", "invalid");
    }
  if (fields != NULL)
    {
      confab_accounts_send_invalid (call->msg, fields);
      confab_http_call_finish (call);
      return;
    }

  pending = pending_new (admin, call);
  pending->username = g_strdup (username);
  pending->args = args = args_new (call);
  args->target = g_steal_pointer (&username);
  args->role = g_strdup (role != NULL ? role : "user");
  args->profile[CONFAB_PROFILE_DISPLAY_NAME] = g_strdup (display_name);
  args->profile[CONFAB_PROFILE_EMAIL] = g_strdup (email);
  json_object_set_string_member (details, "role", args->role);
  args->details = confab_json_object_to_string (details, NULL);
  hash_then_run (call, password, "admin_user_create", create_work, created_cb);
}

static void
handle_user_create (gpointer           instance,
                    SoupServerMessage *msg)
{
  admin_start (instance, msg, user_create);
}

/* --- PATCH /v1/admin/users/<username> --------------------------------------------------------- */

static void
close_user (ConfabHttpCall *call,
            const char     *username,
            const char     *reason)
{
  confab_router_close_user (confab_server_get_router (call->server), username,
                            CONFAB_CLOSE_UNAUTHORIZED, reason);
}

static void
patched_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  Pending *pending = call->data;
  g_autoptr(ConfabStoreReply) reply = finish_or_answer (source, result, call);
  ConfabRouter *router;

  if (reply == NULL)
    return;
  router = confab_server_get_router (call->server);
  g_message ("administrator %s changed user %s", call->username, pending->username);
  confab_http_send_json (call->msg, 200, confab_store_reply_get_result (reply));
  for (guint i = 0; i < reply->events->len; i++)
    confab_router_deliver (router, g_ptr_array_index (reply->events, i), NULL);
  if (pending->close)
    close_user (call, pending->username, "signed out by an administrator");
  confab_http_call_finish (call);
}

/* permissions: a list of known permissions, each at most once. */
static gboolean
read_permissions (JsonObject  *body,
                  GStrv       *out,
                  GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *list = NULL;

  if (!confab_params_get_array (body, "permissions", CONFAB_PARAM_OPTIONAL, 16, &list, error))
    return FALSE;
  if (list == NULL)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      const char *name = NULL;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        name = json_node_get_string (node);
      if (name == NULL || !g_strv_contains (known_permissions, name))
        {
          g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                       "permissions: unknown permission %s",
                       name != NULL ? name : "(not a string)");
          return FALSE;
        }
      g_strv_builder_add (builder, name);
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

/* Checks a PATCH body into @args, with the audit details (the fields given, a password only
 * as "password": true). */
static gboolean
read_patch (JsonObject  *body,
            Args        *args,
            GError     **error)
{
  g_autoptr(JsonObject) profile = json_object_new ();
  g_autoptr(JsonObject) details = json_object_new ();
  const char *role = NULL;
  gboolean disabled = FALSE;
  const char *problem;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  if (json_object_get_size (body) == 0)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "nothing to change");
      return FALSE;
    }
  if (!confab_params_get_bool (body, "disabled", CONFAB_PARAM_OPTIONAL, &disabled, error)
      || !confab_params_get_string (body, "role", CONFAB_PARAM_OPTIONAL, 1, 16, &role, error)
      || !read_permissions (body, &args->permissions, error)
      || !confab_profiles_read_fields (body, profile, error))
    return FALSE;
  if (role != NULL && !role_is_valid (role))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                 "role is user or admin");
      return FALSE;
    }
  problem = json_object_has_member (body, "password")
            ? confab_accounts_password_problem (body, "password") : NULL;
  if (problem != NULL)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                   "a password has %d to %d bytes", CONFAB_PASSWORD_MIN_BYTES,
                   CONFAB_PASSWORD_MAX_BYTES);
      return FALSE;
    }

  if (json_object_has_member (body, "disabled"))
    args->disabled = disabled;
  args->role = g_strdup (role);
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    {
      const char *value = json_object_get_string_member_with_default (
        profile, confab_profile_field_names[i], NULL);

      args->profile[i] = g_strdup (value);
      args->has_profile |= value != NULL;
    }

  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &member, &node))
    if (g_str_equal (member, "password"))
      json_object_set_boolean_member (details, "password", TRUE);
    else
      json_object_set_member (details, member, json_node_copy (node));
  args->details = confab_json_object_to_string (details, NULL);
  return TRUE;
}

static void
user_patch (Admin          *admin,
            ConfabHttpCall *call)
{
  static const char * const allowed[] = { "disabled", "role", "password", "permissions", NULL };
  g_autofree char *username = path_username (call, "", "no such user");
  g_autoptr(GError) error = NULL;
  Pending *pending;
  Args *args;

  if (username == NULL)
    return;
  call->body = read_body (call, allowed, TRUE);
  if (call->body == NULL)
    {
      confab_http_call_finish (call);
      return;
    }

  pending = pending_new (admin, call);
  pending->args = args = args_new (call);
  if (!read_patch (call->body, args, &error))
    {
      send_error_and_finish (call, error);
      return;
    }
  pending->username = g_strdup (username);
  args->target = g_steal_pointer (&username);
  /* Disabled or signed out everywhere: the open connections go at once. */
  pending->close = args->disabled == TRUE || json_object_has_member (call->body, "password");

  if (json_object_has_member (call->body, "password"))
    hash_then_run (call, json_object_get_string_member (call->body, "password"),
                   "admin_user_update", patch_work, patched_cb);
  else
    run (call, "admin_user_update", CONFAB_STORE_WORK_WRITE, patch_work,
         g_steal_pointer (&pending->args), patched_cb);
}

static void
handle_user_patch (gpointer           instance,
                   SoupServerMessage *msg)
{
  admin_start (instance, msg, user_patch);
}

/* --- DELETE /v1/admin/users/<username>/sessions ----------------------------------------------- */

static void
killed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  Pending *pending = call->data;
  g_autoptr(ConfabStoreReply) reply = finish_or_answer (source, result, call);

  if (reply == NULL)
    return;
  g_message ("administrator %s signed user %s out", call->username, pending->username);
  confab_http_send_json (call->msg, 200, confab_store_reply_get_result (reply));
  close_user (call, pending->username, "signed out by an administrator");
  confab_http_call_finish (call);
}

static void
sessions_kill (Admin          *admin,
               ConfabHttpCall *call)
{
  g_autofree char *username = path_username (call, "/sessions", "no such endpoint");
  Pending *pending;
  Args *args;

  if (username == NULL)
    return;
  pending = pending_new (admin, call);
  pending->username = g_strdup (username);
  args = args_new (call);
  args->target = g_steal_pointer (&username);
  run (call, "admin_sessions_kill", CONFAB_STORE_WORK_WRITE, sessions_kill_work, args,
       killed_cb);
}

static void
handle_sessions_kill (gpointer           instance,
                      SoupServerMessage *msg)
{
  admin_start (instance, msg, sessions_kill);
}

/* --- GET /v1/admin/sessions ------------------------------------------------------------------- */

static void
sessions_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  g_autoptr(ConfabStoreReply) reply = finish_or_answer (source, result, call);
  ConfabRouter *router;
  JsonArray *sessions;

  if (reply == NULL)
    return;
  router = confab_server_get_router (call->server);
  sessions = json_object_get_array_member (confab_store_reply_get_result (reply), "sessions");
  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      JsonObject *session = json_array_get_object_element (sessions, i);

      json_object_set_boolean_member (session, "connected",
                                      confab_router_device_online (
                                        router, json_object_get_string_member (session, "username"),
                                        json_object_get_string_member (session, "device_id")));
    }
  confab_http_send_json (call->msg, 200, reply->result);
  confab_http_call_finish (call);
}

static void
sessions_list (Admin          *admin,
               ConfabHttpCall *call)
{
  static const char * const allowed[] = { "username", NULL };
  Args *args = NULL;
  g_autoptr(GHashTable) params = start_list (call, allowed, &args);

  if (params == NULL)
    return;
  if (g_hash_table_contains (params, "username"))
    {
      args->target = confab_username_normalize (g_hash_table_lookup (params, "username"));
      if (args->target == NULL)
        {
          args_free (args);
          refuse_and_finish (call, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "username is not a username");
          return;
        }
    }
  run (call, "admin_sessions", CONFAB_STORE_WORK_READ, sessions_work, args, sessions_cb);
}

static void
handle_sessions_list (gpointer           instance,
                      SoupServerMessage *msg)
{
  admin_start (instance, msg, sessions_list);
}

/* --- GET /v1/admin/stats ---------------------------------------------------------------------- */

static void
stats_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  Pending *pending = call->data;
  g_autoptr(ConfabStoreReply) reply = finish_or_answer (source, result, call);
  ConfabRouter *router;
  JsonObject *stats;

  if (reply == NULL)
    return;
  router = confab_server_get_router (call->server);
  stats = confab_store_reply_get_result (reply);
  json_object_set_int_member (stats, "users_online", confab_router_count_users (router));
  json_object_set_int_member (stats, "connections", confab_router_count (router));
  json_object_set_int_member (stats, "uptime_s",
                              (g_get_monotonic_time () - pending->admin->started_us)
                              / G_USEC_PER_SEC);
  json_object_set_string_member (stats, "version", PACKAGE_VERSION);
  confab_http_send_json (call->msg, 200, stats);
  confab_http_call_finish (call);
}

static void
stats_get (Admin          *admin,
           ConfabHttpCall *call)
{
  pending_new (admin, call);
  run (call, "admin_stats", CONFAB_STORE_WORK_READ, stats_work, args_new (call), stats_cb);
}

static void
handle_stats (gpointer           instance,
              SoupServerMessage *msg)
{
  admin_start (instance, msg, stats_get);
}

/* --- GET /v1/admin/audit ---------------------------------------------------------------------- */

static void
audit_list (Admin          *admin,
            ConfabHttpCall *call)
{
  static const char * const allowed[] = { "actor", "action", "target", NULL };
  Args *args = NULL;
  g_autoptr(GHashTable) params = start_list (call, allowed, &args);

  if (params == NULL)
    return;
  args->filter_actor = g_strdup (g_hash_table_lookup (params, "actor"));
  args->filter_action = g_strdup (g_hash_table_lookup (params, "action"));
  args->filter_target = g_strdup (g_hash_table_lookup (params, "target"));
  run (call, "admin_audit", CONFAB_STORE_WORK_READ, audit_work, args, respond_cb);
}

static void
handle_audit (gpointer           instance,
              SoupServerMessage *msg)
{
  admin_start (instance, msg, audit_list);
}

/* --- confabd --create-admin ------------------------------------------------------------------ */

static void
first_created_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
first_hashed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Args *args = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *hash = confab_auth_hash_password_finish (CONFAB_AUTH (source), result, &error);
  ConfabServer *server = g_task_get_source_object (task);

  if (hash == NULL)
    {
      args_free (args);
      g_task_return_error (task, error);
      return;
    }
  /* The store frees the args from here on. */
  args->password_hash = g_steal_pointer (&hash);
  confab_store_run_async (confab_server_get_store (server), "admin_user_create",
                          CONFAB_STORE_WORK_WRITE, create_work, args, args_free, NULL,
                          first_created_cb, g_steal_pointer (&task), confab_admin_create_async);
}

void
confab_admin_create_async (ConfabServer        *server,
                           const char          *username,
                           const char          *password,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (server, NULL, callback, user_data);
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) fields = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *normalized = NULL;
  const char *checked_password = NULL;
  const char *display_name = NULL;
  const char *email = NULL;
  Args *args;

  g_task_set_source_tag (task, confab_admin_create_async);
  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  fields = confab_accounts_read_new_account (body, &normalized, &checked_password, &display_name,
                                             &email);
  if (fields != NULL)
    {
      g_autofree char *text = confab_json_object_to_string (fields, NULL);

      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               "not a valid account: %s", text);
      return;
    }

  args = g_new0 (Args, 1);
  args->actor = g_strdup ("confabd");
  args->disabled = -1;
  args->target = g_steal_pointer (&normalized);
  args->role = g_strdup ("admin");
  json_object_set_string_member (details, "role", args->role);
  args->details = confab_json_object_to_string (details, NULL);
  g_task_set_task_data (task, args, NULL);
  confab_auth_hash_password_async (confab_server_get_auth (server), checked_password, NULL,
                                   first_hashed_cb, g_steal_pointer (&task));
}

gboolean
confab_admin_create_finish (ConfabServer  *server,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, server), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabHttpRoute routes[] = {
  { "GET", "/v1/admin/users", handle_users_list },
  { "POST", "/v1/admin/users", handle_user_create },
  { "GET", USERS_PREFIX, handle_user_get, CONFAB_HTTP_ROUTE_PREFIX },
  { "PATCH", USERS_PREFIX, handle_user_patch, CONFAB_HTTP_ROUTE_PREFIX },
  { "DELETE", USERS_PREFIX, handle_sessions_kill, CONFAB_HTTP_ROUTE_PREFIX },
  { "GET", "/v1/admin/sessions", handle_sessions_list },
  { "GET", "/v1/admin/stats", handle_stats },
  { "GET", "/v1/admin/audit", handle_audit },
  { NULL }
};

static const ConfabServerModule module = {
  .name = "admin",
  .routes = routes,
};

void
confab_admin_register (ConfabServer *server)
{
  Admin *admin = g_new0 (Admin, 1);

  admin->server = server;
  admin->started_us = g_get_monotonic_time ();
  confab_server_add_module (server, &module, admin, g_free);
}
