/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-broadcast"

#include "config.h"

#include "confab-broadcast.h"
#include "confab-account-store.h"
#include "confab-audit-store.h"
#include "confab-broadcast-store.h"
#include "confab-limits.h"
#include "confab-server-module.h"
#include "confab-validate.h"

#include <string.h>

/* Announcements. One to everyone or to a department is one event in an event stream
 * ("broadcast:all", "broadcast:department:<words>") whose readers are the audience: whatever
 * their number, it is written once, and each reader's replay finds it through their
 * membership. The membership follows the audience: each announcement brings it up to date
 * (joining newcomers, letting go of those who left), which writes rows only for the changes.
 * An announcement to a list of users goes to each of them (at most
 * CONFAB_BROADCAST_MAX_USERS). */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

/* --- The rules -------------------------------------------------------------------------------- */

#define BS(store) CONFAB_BROADCAST_STORE_GET_IFACE (store)
#define BSELF(store) ((ConfabBroadcastStore *) (store))
#define AS(store) CONFAB_ACCOUNT_STORE_GET_IFACE (store)
#define ASELF(store) ((ConfabAccountStore *) (store))

typedef struct
{
  char       *sender;
  char       *address;      /* the sender's, for the audit log */
  char       *body;
  char       *department;   /* for a department */
  GStrv       users;        /* for a list; neither: everyone */
  gboolean    on;
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->sender);
  g_free (args->address);
  g_free (args->body);
  g_free (args->department);
  g_strfreev (args->users);
  g_free (args);
}

/* The stream of a department: its words, folded, so that "Sales team" and "SALES-TEAM" (which
 * the audience query treats as one department) share one stream. */
static char *
department_stream (const char *department)
{
  g_autofree char *words = confab_text_fold_words (department);

  return g_strconcat ("broadcast:department:", words, NULL);
}

/* Brings the readers of @stream to @audience (both sorted): newcomers join, those who left
 * the audience stop reading. */
static void
sync_readers (ConfabStore        *store,
              const char         *stream,
              const char * const *audience)
{
  g_auto(GStrv) readers = BS (store)->stream_readers (BSELF (store), stream);
  guint i = 0;
  guint j = 0;

  while (audience[i] != NULL || readers[j] != NULL)
    {
      int cmp = audience[i] == NULL ? 1 : readers[j] == NULL ? -1 : strcmp (audience[i],
                                                                            readers[j]);

      if (cmp < 0)
        confab_store_stream_join (store, stream, audience[i++]);
      else if (cmp > 0)
        confab_store_stream_leave (store, stream, readers[j++]);
      else
        i++, j++;
    }
}

/* Announcements are administration: each goes into the audit log with its audience. */
static void
audit (ConfabStore *store,
       Args        *args,
       JsonObject  *audience,
       gint64       id,
       gint64       ts)
{
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *details_text = NULL;
  g_autofree char *target = g_strdup_printf ("%" G_GINT64_FORMAT, id);

  json_object_set_object_member (details, "audience", json_object_ref (audience));
  details_text = confab_json_object_to_string (details, NULL);
  CONFAB_AUDIT_STORE_GET_IFACE (store)->record (CONFAB_AUDIT_STORE (store), ts, args->sender,
                                                "broadcast", target, details_text, args->address);
}

static ConfabStoreReply *
send_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  g_autofree char *role = NULL;
  g_autofree char *stream = NULL;
  g_autoptr(JsonObject) audience_json = json_object_new ();
  g_autoptr(JsonObject) event = json_object_new ();
  g_autofree char *audience_text = NULL;
  g_auto(GStrv) audience = NULL;
  gboolean granted = FALSE;
  gboolean sender_in = FALSE;
  guint recipients = 0;
  ConfabStoreReply *reply;
  JsonObject *result;
  gint64 ts = confab_now_ms ();
  gint64 id;

  if (!BS (store)->user_rights (BSELF (store), args->sender, CONFAB_BROADCAST_PERMISSION,
                                &role, &granted)
      || (!granted && g_strcmp0 (role, "admin") != 0))
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                           "only administrators and holders of the broadcast permission may"
                           " make announcements");
      return NULL;
    }

  if (args->users != NULL)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; args->users[i] != NULL; i++)
        {
          if (!AS (store)->user_exists (ASELF (store), args->users[i]))
            {
              g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                           "no such user: %s", args->users[i]);
              return NULL;
            }
          if (g_hash_table_add (seen, args->users[i]))
            g_strv_builder_add (builder, args->users[i]);
        }
      audience = g_strv_builder_end (builder);
      json_object_set_array_member (audience_json, "users", json_array_new ());
      for (guint i = 0; audience[i] != NULL; i++)
        json_array_add_string_element (json_object_get_array_member (audience_json, "users"),
                                       audience[i]);
    }
  else if (args->department != NULL)
    {
      audience = BS (store)->accounts (BSELF (store), args->department);
      stream = department_stream (args->department);
      json_object_set_string_member (audience_json, "department", args->department);
    }
  else
    {
      audience = BS (store)->accounts (BSELF (store), NULL);
      stream = g_strdup ("broadcast:all");
      json_object_set_boolean_member (audience_json, "all", TRUE);
    }

  sender_in = g_strv_contains ((const char * const *) audience, args->sender);
  recipients = g_strv_length (audience) - (sender_in ? 1 : 0);

  audience_text = confab_json_object_to_string (audience_json, NULL);
  id = BS (store)->insert (BSELF (store), args->sender, args->body, audience_text, ts);
  audit (store, args, audience_json, id, ts);
  json_object_set_int_member (event, "id", id);
  json_object_set_string_member (event, "from", args->sender);
  json_object_set_int_member (event, "ts", ts);
  json_object_set_string_member (event, "body", args->body);

  result = json_object_new ();
  json_object_set_int_member (result, "recipients", recipients);
  json_object_set_int_member (result, "id", id);
  reply = confab_store_reply_new (result);

  /* The sender's devices keep what they announced, whether or not they are in the audience
   * (they are not counted among the recipients). */
  if (stream != NULL)
    {
      const char *extra[] = { sender_in ? NULL : args->sender, NULL };

      sync_readers (store, stream, (const char * const *) audience);
      confab_store_emit_stream_event (store, reply, "broadcast", event, stream,
                                      (const char * const *) audience, extra);
    }
  else
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) users = NULL;

      g_strv_builder_addv (builder, (const char **) audience);
      if (!sender_in)
        g_strv_builder_add (builder, args->sender);
      users = g_strv_builder_end (builder);
      confab_store_emit_event (store, reply, "broadcast", event, (const char * const *) users);
    }
  return reply;
}

static ConfabStoreReply *
grant_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;

  if (!BS (store)->set_permission (BSELF (store), args->sender, CONFAB_BROADCAST_PERMISSION,
                                   args->on))
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                           "no such user");
      return NULL;
    }
  return confab_store_reply_new (NULL);
}

/* A refused announcement is audited as `denied`, in a transaction of its own (the refused one
 * wrote nothing), before the refusal is answered. @data is the refused send's Args. */
static ConfabStoreReply *
denied_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;

  CONFAB_AUDIT_STORE_GET_IFACE (store)->record (CONFAB_AUDIT_STORE (store), confab_now_ms (),
                                                args->sender, "denied", "broadcast", NULL,
                                                args->address);
  return confab_store_reply_new (NULL);
}

typedef struct
{
  char   *sender;
  char   *address;
  GError *refusal;
} Sending;

static void
sending_free (gpointer data)
{
  Sending *sending = data;

  g_free (sending->sender);
  g_free (sending->address);
  g_clear_error (&sending->refusal);
  g_free (sending);
}

static void
denied_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Sending *sending = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    g_warning ("could not audit a refused announcement: %s", error->message);
  g_task_return_error (task, g_steal_pointer (&sending->refusal));
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Sending *sending = g_task_get_task_data (task);
  ConfabStore *store = CONFAB_STORE (source);
  GError *error = NULL;
  ConfabStoreReply *reply = confab_store_finish (store, result, &error);
  Args *args;

  if (reply != NULL)
    g_task_return_pointer (task, reply, (GDestroyNotify) confab_store_reply_free);
  else if (!g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_FORBIDDEN))
    g_task_return_error (task, error);
  else
    {
      sending->refusal = error;
      args = g_new0 (Args, 1);
      args->sender = g_strdup (sending->sender);
      args->address = g_strdup (sending->address);
      confab_store_run_async (store, "broadcast_denied", CONFAB_STORE_WORK_WRITE, denied_work,
                              args, args_free, NULL, denied_cb, g_steal_pointer (&task),
                              sent_cb);
    }
}

void
confab_broadcast_send_async (ConfabStore         *store,
                             const char          *sender,
                             const char          *address,
                             const char          *body,
                             JsonObject          *audience,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Args *args;
  JsonArray *users;
  Sending *sending;
  GTask *task;

  g_return_if_fail (CONFAB_IS_BROADCAST_STORE (store));
  g_return_if_fail (CONFAB_IS_ACCOUNT_STORE (store));
  g_return_if_fail (CONFAB_IS_AUDIT_STORE (store));
  g_return_if_fail (sender != NULL && body != NULL && audience != NULL);

  args = g_new0 (Args, 1);
  args->sender = g_strdup (sender);
  args->address = g_strdup (address);
  args->body = g_strdup (body);
  args->department = g_strdup (json_object_get_string_member_with_default (audience,
                                                                           "department",
                                                                           NULL));
  users = json_object_has_member (audience, "users")
          ? json_object_get_array_member (audience, "users") : NULL;
  if (users != NULL)
    {
      args->users = g_new0 (char *, json_array_get_length (users) + 1);
      for (guint i = 0; i < json_array_get_length (users); i++)
        args->users[i] = g_strdup (json_array_get_string_element (users, i));
    }
  /* The caller finishes it with confab_store_finish (), as any store operation. */
  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_broadcast_send_async);
  sending = g_new0 (Sending, 1);
  sending->sender = g_strdup (sender);
  sending->address = g_strdup (address);
  g_task_set_task_data (task, sending, sending_free);
  confab_store_run_async (store, "broadcast", CONFAB_STORE_WORK_WRITE, send_work, args,
                          args_free, cancellable, sent_cb, task, confab_broadcast_send_async);
}

void
confab_broadcast_grant_async (ConfabStore         *store,
                              const char          *username,
                              gboolean             granted,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_BROADCAST_STORE (store));
  g_return_if_fail (username != NULL);

  args = g_new0 (Args, 1);
  args->sender = g_strdup (username);
  args->on = !!granted;
  confab_store_run_async (store, "broadcast_grant", CONFAB_STORE_WORK_WRITE, grant_work, args,
                          args_free, cancellable, callback, user_data,
                          confab_broadcast_grant_async);
}

/* --- Requests -------------------------------------------------------------------------------- */

/* Checks {body, audience} of a WebSocket frame or an HTTP body; @audience is a normalized
 * copy (usernames lower-cased). */
static gboolean
read_broadcast (ConfabServer  *server,
                JsonObject    *params,
                const char   **body,
                JsonObject   **audience,
                GError       **error)
{
  const ConfabConfig *config = confab_server_get_config (server);
  JsonObject *given = NULL;
  const char *department = NULL;
  JsonArray *users = NULL;
  gboolean all = FALSE;
  guint kinds;

  if (!confab_params_get_string (params, "body", CONFAB_PARAM_REQUIRED | CONFAB_PARAM_MULTILINE,
                                 1, config->max_body_chars, body, error)
      || !confab_params_get_object (params, "audience", CONFAB_PARAM_REQUIRED, &given, error)
      || !confab_params_get_bool (given, "all", CONFAB_PARAM_OPTIONAL, &all, error)
      || !confab_params_get_string (given, "department", CONFAB_PARAM_OPTIONAL, 1,
                                    CONFAB_PROFILE_FIELD_MAX_CHARS, &department, error)
      || !confab_params_get_array (given, "users", CONFAB_PARAM_OPTIONAL,
                                   CONFAB_BROADCAST_MAX_USERS, &users, error))
    return FALSE;

  /* {"all": false} names no audience. */
  kinds = (all ? 1 : 0) + (department != NULL ? 1 : 0) + (users != NULL ? 1 : 0);
  if (kinds != 1 || json_object_get_size (given) != 1)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                           "audience is one of {\"all\":true}, {\"department\":\"…\"},"
                           " {\"users\":[…]}");
      return FALSE;
    }

  *audience = json_object_new ();
  if (all)
    json_object_set_boolean_member (*audience, "all", TRUE);
  else if (department != NULL)
    json_object_set_string_member (*audience, "department", department);
  else
    {
      JsonArray *list = json_array_new ();

      json_object_set_array_member (*audience, "users", list);
      if (json_array_get_length (users) == 0)
        {
          g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                               "audience.users is empty");
          g_clear_pointer (audience, json_object_unref);
          return FALSE;
        }
      for (guint i = 0; i < json_array_get_length (users); i++)
        {
          JsonNode *node = json_array_get_element (users, i);
          g_autofree char *username = NULL;

          if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
            username = confab_username_normalize (json_node_get_string (node));
          if (username == NULL)
            {
              g_set_error_literal (error, CONFAB_PROTOCOL_ERROR,
                                   CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                   "audience.users must be a list of usernames");
              g_clear_pointer (audience, json_object_unref);
              return FALSE;
            }
          json_array_add_string_element (list, username);
        }
    }
  return TRUE;
}

static void
handle_broadcast (gpointer          instance,
                  ConfabConnection *self,
                  const char       *id,
                  JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) audience = NULL;
  const char *body = NULL;

  if (!read_broadcast (confab_connection_get_server (self), frame, &body, &audience, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_broadcast_send_async (STORE (self), confab_connection_get_username (self),
                               confab_connection_get_address (self), body, audience,
                               CONFAB_STORE_CALL (self, id, NULL));
}

/* --- POST /v1/admin/broadcast -------------------------------------------------------------- */

static void
http_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ConfabHttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    confab_http_send_gerror (call->msg, error);
  else
    {
      ConfabRouter *router = confab_server_get_router (call->server);

      confab_http_send_json (call->msg, 200, confab_store_reply_get_result (reply));
      for (guint i = 0; i < reply->events->len; i++)
        confab_router_deliver (router, g_ptr_array_index (reply->events, i), NULL);
    }
  confab_http_call_finish (call);
}

static void
http_signed_in (ConfabHttpCall *call)
{
  g_autoptr(JsonObject) audience = NULL;
  g_autoptr(GError) error = NULL;
  const char *body = NULL;

  if (!read_broadcast (call->server, call->body, &body, &audience, &error))
    {
      confab_http_send_gerror (call->msg, error);
      confab_http_call_finish (call);
      return;
    }
  confab_broadcast_send_async (confab_server_get_store (call->server), call->username,
                               call->address, body, audience, NULL, http_sent_cb, call);
}

static void
handle_http_broadcast (gpointer           instance,
                       SoupServerMessage *msg)
{
  confab_http_call_start (instance, msg, CONFAB_HTTP_CALL_JSON_BODY, http_signed_in, NULL, NULL);
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { "broadcast", handle_broadcast },
  { NULL }
};

static const ConfabHttpRoute routes[] = {
  { "POST", "/v1/admin/broadcast", handle_http_broadcast },
  { NULL }
};

static const char * const events[] = { "broadcast", NULL };

static const ConfabServerModule module = {
  .name = "broadcast",
  .requests = requests,
  .routes = routes,
  .events = events,
};

void
confab_broadcast_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
