/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-server"

#include "config.h"

#include "confab-server.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-sqlite-store.h"
#include "confab-tls.h"
#include "confab-validate.h"

#include <errno.h>
#include <string.h>

#define LISTEN_BACKLOG 4096

/* Request bodies of the JSON API are small; files have their own endpoint. */
#define MAX_JSON_BODY_BYTES (64 * 1024)

typedef struct
{
  double tokens;
  gint64 updated_us;
} SendBucket;

struct _ConfabServer
{
  GObject          parent_instance;

  ConfabConfig    *config;
  ConfabStore     *store;
  ConfabAuth      *auth;
  ConfabRouter    *router;
  ConfabPresence  *presence;
  ConfabCalls     *calls;
  SoupServer      *soup;
  GTlsCertificate *certificate;
  char            *url;

  GHashTable      *connections;   /* ConfabConnection (owned) set */
  guint            sweep_id;
  GHashTable      *send_buckets;  /* username → SendBucket */
};

G_DEFINE_FINAL_TYPE (ConfabServer, confab_server, G_TYPE_OBJECT)

/* --- HTTP helpers ----------------------------------------------------------------------------- */

static void
send_json (SoupServerMessage *msg,
           guint              status,
           JsonObject        *object)
{
  gsize length;
  char *text = confab_json_object_to_string (object, &length);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

static void
send_error_full (SoupServerMessage *msg,
                 guint              status,
                 const char        *code,
                 const char        *message,
                 JsonObject        *extra)
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonObject *error = json_object_new ();

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  if (extra != NULL)
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *node;

      json_object_iter_init (&iter, extra);
      while (json_object_iter_next (&iter, &member, &node))
        json_object_set_member (error, member, json_node_copy (node));
    }
  json_object_set_object_member (body, "error", error);
  send_json (msg, status, body);
}

static void
send_error (SoupServerMessage   *msg,
            ConfabProtocolError  code,
            const char          *message)
{
  send_error_full (msg, confab_protocol_error_http_status (code),
                   confab_protocol_error_to_string (code), message, NULL);
}

static void
send_gerror (SoupServerMessage *msg,
             const GError      *error)
{
  ConfabProtocolError code = confab_protocol_error_from_gerror (error);

  if (error->domain != CONFAB_PROTOCOL_ERROR)
    {
      g_warning ("request failed: %s", error->message);
      send_error (msg, CONFAB_PROTOCOL_ERROR_INTERNAL, "internal error");
      return;
    }
  send_error (msg, code, error->message);
}

static void
send_rate_limited (SoupServerMessage *msg,
                   gint64             retry_after_ms)
{
  g_autoptr(JsonObject) extra = json_object_new ();
  g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, (retry_after_ms + 999) / 1000);

  json_object_set_int_member (extra, "retry_after_ms", retry_after_ms);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                seconds);
  send_error_full (msg, 429, "rate_limited", "too many failed attempts, try again later", extra);
}

static JsonObject *
read_json_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  if (body->length > MAX_JSON_BODY_BYTES)
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_TOO_LARGE, "the request body is too large");
      return NULL;
    }
  bytes = soup_message_body_flatten (body);
  object = confab_frame_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (object == NULL)
    send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, error->message);
  return object;
}

static char *
bearer_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;
  return g_strstrip (g_strdup (header + 7));
}

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
    send_gerror (call->msg, error);
  else
    {
      g_message ("registered user %s", call->username);
      send_json (call->msg, 201, reply->result);
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
      send_gerror (call->msg, error);
      http_call_finish (call);
      return;
    }
  confab_store_user_create_async (call->server->store, call->username, hash, call->display_name,
                                  call->email, NULL, user_created_cb, call);
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

static void
handle_register (ConfabServer      *self,
                 SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) fields = NULL;
  g_autofree char *username = NULL;
  JsonNode *password_node;
  const char *password = NULL;
  const char *display_name;
  const char *email;
  HttpCall *call;

  if (self->config->registration == CONFAB_REGISTRATION_CLOSED)
    {
      send_error_full (msg, 403, "registration_closed",
                       "this server does not accept new accounts; ask an administrator", NULL);
      return;
    }

  body = read_json_body (msg);
  if (body == NULL)
    return;

  if (json_object_has_member (body, "username")
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (body, "username"))
      && json_object_get_string_member_with_default (body, "username", NULL) != NULL)
    username = confab_username_normalize (json_object_get_string_member (body, "username"));
  if (username == NULL)
    add_field_error (&fields, "username", json_object_has_member (body, "username") ? "invalid"
                                                                                     : "missing");

  password_node = json_object_get_member (body, "password");
  if (password_node != NULL && JSON_NODE_HOLDS_VALUE (password_node)
      && json_node_get_value_type (password_node) == G_TYPE_STRING)
    password = json_node_get_string (password_node);
  if (password == NULL || !g_utf8_validate (password, -1, NULL))
    add_field_error (&fields, "password", password == NULL ? "missing" : "invalid");
  else if (strlen (password) < CONFAB_PASSWORD_MIN_BYTES)
    add_field_error (&fields, "password", "too_short");
  else if (strlen (password) > CONFAB_PASSWORD_MAX_BYTES)
    add_field_error (&fields, "password", "too_long");

  display_name = optional_text (body, "display_name", 1, CONFAB_DISPLAY_NAME_MAX_CHARS, &fields);
  email = optional_text (body, "email", 3, CONFAB_PROFILE_FIELD_MAX_CHARS, &fields);
  if (email != NULL && strchr (email, '@') == NULL)
    add_field_error (&fields, "email", "invalid");

  if (fields != NULL)
    {
      g_autoptr(JsonObject) extra = json_object_new ();

      json_object_set_object_member (extra, "fields", g_steal_pointer (&fields));
      send_error_full (msg, 400, "invalid", "some fields are not valid", extra);
      return;
    }

  call = http_call_new (self, msg);
  call->username = g_steal_pointer (&username);
  call->display_name = g_strdup (display_name);
  call->email = g_strdup (email);
  confab_auth_hash_password_async (self->auth, password, NULL, register_hashed_cb, call);
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
    send_gerror (call->msg, error);
  else
    {
      g_autoptr(JsonObject) out = json_object_new ();

      json_object_set_string_member (out, "token", token);
      json_object_set_string_member (out, "device_id",
                                     json_object_get_string_member (reply->result, "device_id"));
      json_object_set_object_member (out, "user", json_object_ref (call->user));
      send_json (call->msg, 200, out);
      g_message ("user %s signed in on a new device", call->username);
    }
  g_object_set_data (G_OBJECT (call->msg), "confab-token", NULL);
  http_call_finish (call);
}

static void
password_checked_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  HttpCall *call = user_data;
  ConfabServer *self = call->server;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;
  gboolean disabled;

  if (!confab_auth_verify_password_finish (CONFAB_AUTH (source), result, &error))
    {
      if (error != NULL)
        send_gerror (call->msg, error);
      else
        {
          confab_auth_login_failed (self->auth, call->username, call->address);
          send_error (call->msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                      "wrong username or password");
        }
      http_call_finish (call);
      return;
    }

  confab_auth_login_succeeded (self->auth, call->username, call->address);

  disabled = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (call->msg), "confab-disabled"));
  if (disabled)
    {
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "this account is disabled");
      http_call_finish (call);
      return;
    }

  confab_auth_new_token (&token, &token_hash);
  /* The token lives on the message only until the response carries it. */
  g_object_set_data_full (G_OBJECT (call->msg), "confab-token", g_steal_pointer (&token), g_free);
  confab_store_device_create_async (self->store, call->username, call->device_name, token_hash,
                                    NULL, device_created_cb, call);
}

static void
credentials_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HttpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  const char *hash = NULL;

  if (reply == NULL && !g_error_matches (error, CONFAB_PROTOCOL_ERROR,
                                         CONFAB_PROTOCOL_ERROR_NOT_FOUND))
    {
      send_gerror (call->msg, error);
      http_call_finish (call);
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
  confab_auth_verify_password_async (call->server->auth, hash, call->password, NULL,
                                     password_checked_cb, call);
}

static void
handle_login (ConfabServer      *self,
              SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = read_json_body (msg);
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
      send_gerror (msg, error);
      return;
    }

  username = confab_username_normalize (raw_username);
  if (username == NULL)
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED, "wrong username or password");
      return;
    }

  if (!confab_auth_login_allowed (self->auth, username, soup_server_message_get_remote_host (msg),
                                  &retry_after_ms))
    {
      send_rate_limited (msg, retry_after_ms);
      return;
    }

  call = http_call_new (self, msg);
  call->username = g_steal_pointer (&username);
  call->password = g_strdup (password);
  call->device_name = g_strdup (device_name != NULL ? device_name : "Unnamed device");
  confab_store_credentials_get_async (self->store, call->username, NULL, credentials_cb, call);
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
    send_gerror (call->msg, error);
  else
    {
      confab_router_close_device (call->server->router, call->device_id,
                                  CONFAB_CLOSE_UNAUTHORIZED, "signed out");
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
      send_error (call->msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED, "the token is not valid");
      http_call_finish (call);
      return;
    }

  user = json_object_get_object_member (reply->result, "user");
  call->username = g_strdup (json_object_get_string_member (user, "username"));
  call->device_id = g_strdup (json_object_get_string_member (reply->result, "device_id"));
  confab_store_device_revoke_async (call->server->store, call->username, call->device_id, NULL,
                                    logout_revoked_cb, call);
}

static void
handle_logout (ConfabServer      *self,
               SoupServerMessage *msg)
{
  g_autofree char *token = bearer_token (msg);
  g_autofree char *token_hash = NULL;
  HttpCall *call;

  if (token == NULL || *token == '\0')
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED, "missing bearer token");
      return;
    }

  token_hash = confab_auth_hash_token (token);
  call = http_call_new (self, msg);
  confab_store_session_lookup_async (self->store, token_hash, NULL, logout_lookup_cb, call);
}

/* --- Routing ---------------------------------------------------------------------------------- */

static void
handle_health (ConfabServer      *self,
               SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = json_object_new ();

  json_object_set_string_member (body, "status", "ok");
  json_object_set_string_member (body, "version", PACKAGE_VERSION);
  send_json (msg, 200, body);
}

static const struct
{
  const char *method;
  const char *path;
  void (*handler) (ConfabServer *, SoupServerMessage *);
} routes[] = {
  { "GET", "/v1/health", handle_health },
  { "POST", "/v1/register", handle_register },
  { "POST", "/v1/login", handle_login },
  { "POST", "/v1/logout", handle_logout },
};

static void
on_http_request (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  ConfabServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean path_known = FALSE;

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!g_str_equal (path, routes[i].path))
        continue;
      path_known = TRUE;
      if (g_str_equal (method, routes[i].method))
        {
          routes[i].handler (self, msg);
          return;
        }
    }

  if (path_known)
    {
      send_error_full (msg, 405, "bad_request", "method not allowed here", NULL);
      return;
    }
  if (g_str_equal (path, "/v1/ws"))
    {
      send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "this endpoint needs a WebSocket upgrade");
      return;
    }
  send_error (msg, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such endpoint");
}

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  ConfabServer *self = user_data;
  ConfabConnection *connection;

  connection = confab_connection_new (self, ws, soup_server_message_get_remote_host (msg));
  g_hash_table_add (self->connections, connection);
}

static gboolean
sweep_silent_connections (gpointer user_data)
{
  ConfabServer *self = user_data;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer connection;

  /* Closing a connection removes it from the table: walk a copy. */
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &connection, NULL))
    g_ptr_array_add (all, g_object_ref (connection));
  for (guint i = 0; i < all->len; i++)
    confab_connection_drop_if_silent (g_ptr_array_index (all, i), now);
  return G_SOURCE_CONTINUE;
}

/* --- Public API ------------------------------------------------------------------------------- */

void
confab_server_connection_closed (ConfabServer     *self,
                                 ConfabConnection *connection)
{
  const char *username = confab_connection_get_username (connection);
  const char *device_id = confab_connection_get_device_id (connection);

  if (username != NULL && confab_router_remove (self->router, connection))
    confab_presence_disconnected (self->presence, username);
  if (username != NULL && self->calls != NULL
      && !confab_router_device_online (self->router, username, device_id))
    confab_calls_device_gone (self->calls, username, device_id);
  g_hash_table_remove (self->connections, connection);
}

gboolean
confab_server_take_send_token (ConfabServer *self,
                               const char   *username,
                               gint64       *retry_after_ms)
{
  guint per_minute = self->config->messages_per_minute;
  gint64 now = g_get_monotonic_time ();
  SendBucket *bucket;

  if (per_minute == 0)
    return TRUE;

  /* A bucket of a minute's allowance: bursts are fine, a sustained flood is not. */
  bucket = g_hash_table_lookup (self->send_buckets, username);
  if (bucket == NULL)
    {
      bucket = g_new0 (SendBucket, 1);
      bucket->tokens = per_minute;
      bucket->updated_us = now;
      g_hash_table_insert (self->send_buckets, g_strdup (username), bucket);
    }

  bucket->tokens = MIN ((double) per_minute,
                        bucket->tokens + (now - bucket->updated_us) * per_minute / 60e6);
  bucket->updated_us = now;
  if (bucket->tokens >= 1.0)
    {
      bucket->tokens -= 1.0;
      return TRUE;
    }

  *retry_after_ms = (gint64) ((1.0 - bucket->tokens) * 60000.0 / per_minute) + 1;
  return FALSE;
}

JsonObject *
confab_server_describe (ConfabServer *self)
{
  JsonObject *server = json_object_new ();
  JsonObject *limits = json_object_new ();

  json_object_set_int_member (limits, "max_frame_bytes", self->config->max_frame_bytes);
  json_object_set_int_member (limits, "max_body_chars", self->config->max_body_chars);
  json_object_set_int_member (limits, "max_file_bytes", self->config->max_file_bytes);
  json_object_set_int_member (limits, "messages_per_minute", self->config->messages_per_minute);
  json_object_set_string_member (server, "version", PACKAGE_VERSION);
  json_object_set_object_member (server, "limits", limits);
  return server;
}

const ConfabConfig *
confab_server_get_config (ConfabServer *self)
{
  return self->config;
}

ConfabStore *
confab_server_get_store (ConfabServer *self)
{
  return self->store;
}

ConfabAuth *
confab_server_get_auth (ConfabServer *self)
{
  return self->auth;
}

ConfabRouter *
confab_server_get_router (ConfabServer *self)
{
  return self->router;
}

ConfabPresence *
confab_server_get_presence (ConfabServer *self)
{
  return self->presence;
}

ConfabCalls *
confab_server_get_calls (ConfabServer *self)
{
  return self->calls;
}

const char *
confab_server_get_url (ConfabServer *self)
{
  return self->url;
}

static void
confab_server_dispose (GObject *object)
{
  ConfabServer *self = CONFAB_SERVER (object);

  confab_server_stop (self);
  g_clear_object (&self->calls);
  g_clear_object (&self->presence);
  g_clear_object (&self->router);
  g_clear_object (&self->auth);
  g_clear_object (&self->store);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (confab_server_parent_class)->dispose (object);
}

static void
confab_server_finalize (GObject *object)
{
  ConfabServer *self = CONFAB_SERVER (object);

  g_hash_table_unref (self->connections);
  g_hash_table_unref (self->send_buckets);
  confab_config_free (self->config);
  g_free (self->url);

  G_OBJECT_CLASS (confab_server_parent_class)->finalize (object);
}

static void
confab_server_class_init (ConfabServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_server_dispose;
  object_class->finalize = confab_server_finalize;
}

static void
confab_server_init (ConfabServer *self)
{
  self->connections = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  self->send_buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * confab_server_new:
 * @config: (transfer full): the validated configuration
 *
 * Opens the store (creating the data directory) and, unless plain, loads or makes the TLS
 * certificate. Nothing listens until confab_server_start().
 */
ConfabServer *
confab_server_new (ConfabConfig  *config,
                   GError       **error)
{
  g_autoptr(ConfabServer) self = g_object_new (CONFAB_TYPE_SERVER, NULL);
  g_autofree char *db_path = NULL;

  self->config = config;

  if (g_mkdir_with_parents (config->data_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot create the data directory %s: %s", config->data_dir,
                   g_strerror (saved_errno));
      return NULL;
    }

  db_path = g_build_filename (config->data_dir, "confab.db", NULL);
  self->store = CONFAB_STORE (confab_sqlite_store_new (db_path, error));
  if (self->store == NULL)
    return NULL;

  if (!config->plain)
    {
      self->certificate = confab_tls_load_or_create (config->data_dir, config->tls_certificate,
                                                     config->tls_key, error);
      if (self->certificate == NULL)
        return NULL;
    }

  self->auth = confab_auth_new (config->argon2_opslimit, config->argon2_memlimit,
                                config->login_failures_per_user, config->login_failures_per_address,
                                config->login_lockout_ms);
  self->router = confab_router_new ();
  self->presence = confab_presence_new (self->store, self->router);
  self->calls = confab_calls_new (self);

  self->soup = soup_server_new ("server-header", "confabd/" PACKAGE_VERSION,
                                "tls-certificate", self->certificate,
                                NULL);
  soup_server_add_websocket_handler (self->soup, "/v1/ws", NULL, NULL, on_websocket, self, NULL);
  soup_server_add_handler (self->soup, NULL, on_http_request, self, NULL);

  return g_steal_pointer (&self);
}

gboolean
confab_server_start (ConfabServer  *self,
                     GError       **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;
  GSList *uris;

  inet = g_inet_address_new_from_string (self->config->listen_host);
  if (inet == NULL && g_str_equal (self->config->listen_host, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "listen on an IP address, not '%s'", self->config->listen_host);
      return FALSE;
    }

  address = g_inet_socket_address_new (inet, self->config->listen_port);
  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  /* GIO's default backlog of 10 drops handshakes when a few hundred clients reconnect at
   * once (after a restart, or a network blip in the office): they would wait seconds for
   * SYN retries. */
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error)
      || !g_socket_listen (socket, error)
      || !soup_server_listen_socket (self->soup, socket,
                                     self->config->plain ? 0 : SOUP_SERVER_LISTEN_HTTPS, error))
    return FALSE;

  self->sweep_id = g_timeout_add_seconds (MAX (1, self->config->ping_interval_s),
                                          sweep_silent_connections, self);

  uris = soup_server_get_uris (self->soup);
  if (uris != NULL)
    {
      g_autofree char *text = g_uri_to_string (uris->data);
      gsize len = strlen (text);

      /* "https://127.0.0.1:7443/" → without the trailing slash, as people write it. */
      if (len > 0 && text[len - 1] == '/')
        text[len - 1] = '\0';
      self->url = g_steal_pointer (&text);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

void
confab_server_stop (ConfabServer *self)
{
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->soup != NULL)
    {
      soup_server_disconnect (self->soup);
      if (self->router != NULL)
        confab_router_close_all (self->router, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
      g_hash_table_remove_all (self->connections);
      g_clear_object (&self->soup);
    }
  if (self->store != NULL)
    confab_store_close (self->store);
}
