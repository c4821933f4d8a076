/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-client"

#include "config.h"

#include "confab-known-hosts.h"
#include "confab-client.h"
#include "confab-error.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-protocol.h"
#include "confab-validate.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <libsoup/soup.h>
#include <string.h>

#define REQUEST_TIMEOUT_MS       30000
#define MAX_INCOMING_FRAME_BYTES (16 * 1024 * 1024)
#define ERROR_DETAILS_KEY        "confab-error-details"
#define TLS_PROBLEM_KEY          "confab-tls-problem"

typedef enum
{
  TLS_OK,
  TLS_UNKNOWN,
  TLS_CHANGED,
} TlsProblem;

typedef struct
{
  GTask  *task;
  GSource *timeout;
} Pending;

struct _ConfabClient
{
  GObject                  parent_instance;

  char                    *server_url;
  GUri                    *base;         /* NULL if server_url is unusable */
  char                    *server_key;
  GError                  *url_error;
  SoupSession             *session;

  ConfabClientState        state;
  char                    *username;
  char                    *token;
  char                    *device_id;
  JsonObject              *user;
  JsonObject              *hello_result;
  char                    *untrusted_fingerprint;

  gboolean                 running;
  SoupWebsocketConnection *ws;
  GCancellable            *connect_cancellable;
  char                    *hello_id;
  guint                    attempt;
  guint                    retry_source;
  gint64                   retry_at;        /* monotonic µs of the next attempt */
  guint                    backoff_initial_ms;
  guint                    backoff_max_ms;
  guint                    ping_ms;
  guint                    dead_ms;
  guint                    watchdog_source;
  gint64                   last_rx_us;

  gint64                   acked_seq;
  gint64                   seen_seq;
  guint64                  next_request;
  GHashTable              *pending;      /* id → Pending */
};

enum {
  PROP_0,
  PROP_SERVER_URL,
  PROP_STATE,
  PROP_USERNAME,
  PROP_DEVICE_ID,
  PROP_USER,
  PROP_UNTRUSTED_FINGERPRINT,
  PROP_ACKED_SEQ,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  SIGNAL_SYNCED,
  SIGNAL_RESYNC_REQUIRED,
  SIGNAL_SIGNED_OUT,
  SIGNAL_CONNECTION_ERROR,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_QUARK (confab-client-error-quark, confab_client_error)

G_DEFINE_ENUM_TYPE (ConfabClientState, confab_client_state,
                    G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_STATE_DISCONNECTED, "disconnected"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_STATE_SYNCING, "syncing"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_STATE_CONNECTED, "connected"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CLIENT_STATE_WAITING, "waiting"))

G_DEFINE_FINAL_TYPE (ConfabClient, confab_client, G_TYPE_OBJECT)

static void connect_now (ConfabClient *self);
static void drop_connection (ConfabClient *self, gboolean retry);

/* Helpers ---------------------------------------------------------------------------------- */


static void
set_state (ConfabClient      *self,
           ConfabClientState  state)
{
  if (self->state == state)
    return;
  g_debug ("state %d -> %d", self->state, state);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
parse_server_url (ConfabClient *self)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *with_scheme = NULL;
  const char *url = self->server_url;
  const char *scheme;
  const char *host;
  int port;

  if (url != NULL && strstr (url, "://") == NULL)
    url = with_scheme = g_strconcat ("https://", url, NULL);

  uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (uri == NULL || host == NULL || host[0] == '\0'
      || (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0))
    {
      self->url_error = g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_URL,
                                     _("“%s” is not a server address. Use https://host:port."),
                                     self->server_url != NULL ? self->server_url : "");
      return;
    }
  if (g_str_equal (scheme, "http") && !confab_host_is_loopback (host))
    {
      self->url_error = g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_URL,
                                     _("Unencrypted connections are only allowed to this "
                                       "computer. Use https:// for “%s”."), host);
      return;
    }

  port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : CONFAB_DEFAULT_PORT;
  self->base = g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, host, port, "", NULL, NULL);
  self->server_key = confab_known_hosts_server_key (uri);
}

static char *
build_url (ConfabClient *self,
           const char   *path,
           gboolean      websocket)
{
  const char *scheme = g_uri_get_scheme (self->base);

  if (websocket)
    scheme = g_str_equal (scheme, "https") ? "wss" : "ws";
  return g_uri_join (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (self->base),
                     g_uri_get_port (self->base), path, NULL, NULL);
}

/* Certificate pinning ---------------------------------------------------------------------- */

/* Called only when the usual checks failed (self-signed, wrong name…): a pinned certificate
 * is the only other way in. */
static gboolean
on_message_accept_certificate (SoupMessage          *msg,
                               GTlsCertificate      *certificate,
                               GTlsCertificateFlags  errors,
                               ConfabClient         *self)
{
  g_autofree char *fingerprint = NULL;
  ConfabPinCheck check = confab_known_hosts_check (self->server_key, certificate, &fingerprint);

  if (check == CONFAB_PIN_TRUSTED)
    return TRUE;

  g_object_set_data (G_OBJECT (msg), TLS_PROBLEM_KEY,
                     GINT_TO_POINTER (check == CONFAB_PIN_CHANGED ? TLS_CHANGED : TLS_UNKNOWN));
  if (g_strcmp0 (self->untrusted_fingerprint, fingerprint) != 0)
    {
      g_free (self->untrusted_fingerprint);
      self->untrusted_fingerprint = g_steal_pointer (&fingerprint);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNTRUSTED_FINGERPRINT]);
    }
  return FALSE;
}

/* Turns the TLS failure of @msg into the error the UI can act on. */
static GError *
map_transport_error (ConfabClient *self,
                     SoupMessage  *msg,
                     GError       *error)
{
  TlsProblem problem = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (msg), TLS_PROBLEM_KEY));

  if (problem == TLS_UNKNOWN)
    {
      g_error_free (error);
      return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNTRUSTED_CERTIFICATE,
                          _("The server %s presents a certificate that is not known yet. "
                            "Its SHA-256 fingerprint is %s. Trust it only if the server’s "
                            "administrator confirms this fingerprint."),
                          self->server_key, self->untrusted_fingerprint);
    }
  if (problem == TLS_CHANGED)
    {
      g_error_free (error);
      return g_error_new (CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE_CHANGED,
                          _("The certificate of %s has changed since the last connection "
                            "(new SHA-256 fingerprint %s). Someone may be intercepting the "
                            "connection. Ask the server’s administrator before going on."),
                          self->server_key, self->untrusted_fingerprint);
    }
  return error;
}

static SoupMessage *
new_message (ConfabClient *self,
             const char   *method,
             const char   *url)
{
  SoupMessage *msg = soup_message_new (method, url);

  g_signal_connect_object (msg, "accept-certificate",
                           G_CALLBACK (on_message_accept_certificate), self, 0);
  return msg;
}

/* Server errors ---------------------------------------------------------------------------- */

static GError *
error_from_details (JsonObject *details,
                    guint       http_status)
{
  ConfabProtocolError code = CONFAB_PROTOCOL_ERROR_INTERNAL;
  const char *code_str = confab_json_get_string (details, "code");
  const char *message = confab_json_get_string (details, "message");
  gint64 retry_after;

  if (!confab_protocol_error_from_string (code_str, &code))
    {
      switch (http_status)
        {
        case 400: code = CONFAB_PROTOCOL_ERROR_BAD_REQUEST; break;
        case 401: code = CONFAB_PROTOCOL_ERROR_UNAUTHORIZED; break;
        case 403: code = CONFAB_PROTOCOL_ERROR_FORBIDDEN; break;
        case 404: code = CONFAB_PROTOCOL_ERROR_NOT_FOUND; break;
        case 409: code = CONFAB_PROTOCOL_ERROR_CONFLICT; break;
        case 413: code = CONFAB_PROTOCOL_ERROR_TOO_LARGE; break;
        case 429: code = CONFAB_PROTOCOL_ERROR_RATE_LIMITED; break;
        case 503: code = CONFAB_PROTOCOL_ERROR_UNAVAILABLE; break;
        default: code = CONFAB_PROTOCOL_ERROR_INTERNAL; break;
        }
    }

  if (code == CONFAB_PROTOCOL_ERROR_RATE_LIMITED && confab_json_get_int (details, "retry_after_ms",
                                                                         &retry_after))
    {
      guint seconds = (guint) MAX ((retry_after + 999) / 1000, 1);

      return g_error_new (CONFAB_PROTOCOL_ERROR, code,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "Too many attempts. Try again in %u second.",
                                       "Too many attempts. Try again in %u seconds.", seconds),
                          seconds);
    }
  if (message != NULL && message[0] != '\0')
    return g_error_new_literal (CONFAB_PROTOCOL_ERROR, code, message);

  switch (code)
    {
    case CONFAB_PROTOCOL_ERROR_UNAUTHORIZED:
      return g_error_new_literal (CONFAB_PROTOCOL_ERROR, code, _("Not signed in."));
    case CONFAB_PROTOCOL_ERROR_FORBIDDEN:
      return g_error_new_literal (CONFAB_PROTOCOL_ERROR, code, _("Not allowed."));
    case CONFAB_PROTOCOL_ERROR_UNAVAILABLE:
      return g_error_new_literal (CONFAB_PROTOCOL_ERROR, code,
                                  _("The server is not available right now."));
    default:
      return g_error_new (CONFAB_PROTOCOL_ERROR, code, _("The server refused the request (%s)."),
                          confab_protocol_error_to_string (code));
    }
}

static void
task_set_error_details (GTask      *task,
                        JsonObject *details)
{
  if (details != NULL)
    g_object_set_data_full (G_OBJECT (task), ERROR_DETAILS_KEY, json_object_ref (details),
                            (GDestroyNotify) json_object_unref);
}

/* HTTP ------------------------------------------------------------------------------------- */

typedef void (*HttpDone) (ConfabClient *self,
                          GTask        *task,
                          JsonObject   *body);

typedef struct
{
  SoupMessage *msg;
  HttpDone     done;
} HttpData;

static void
http_data_free (HttpData *data)
{
  g_clear_object (&data->msg);
  g_free (data);
}

static void
http_send_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabClient *self = g_task_get_source_object (task);
  HttpData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonObject) body = NULL;
  guint status;
  gsize size = 0;
  const char *text;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, map_transport_error (self, data->msg, g_steal_pointer (&error)));
      return;
    }

  status = soup_message_get_status (data->msg);
  text = g_bytes_get_data (bytes, &size);
  if (size > 0)
    body = confab_frame_parse (text, size, NULL);

  if (status < 200 || status >= 300)
    {
      JsonObject *details = confab_json_get_object (body, "error");

      task_set_error_details (task, details);
      g_task_return_error (task, error_from_details (details, status));
      return;
    }
  if (body == NULL && size > 0)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                               _("The server sent an answer this app does not understand."));
      return;
    }
  if (body == NULL)
    body = json_object_new ();
  data->done (self, task, body);
}

static void
http_request (ConfabClient *self,
              GTask        *task,
              const char   *method,
              const char   *path,
              JsonObject   *body,
              gboolean      with_token,
              HttpDone      done)
{
  g_autofree char *url = NULL;
  HttpData *data;

  if (self->url_error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->url_error));
      g_object_unref (task);
      return;
    }

  url = build_url (self, path, FALSE);
  data = g_new0 (HttpData, 1);
  data->msg = new_message (self, method, url);
  data->done = done;
  g_task_set_task_data (task, data, (GDestroyNotify) http_data_free);

  if (body != NULL)
    {
      gsize length;
      char *json = confab_json_object_to_string (body, &length);

      soup_message_set_request_body_from_bytes (data->msg, "application/json",
                                                g_bytes_new_take (json, length));
    }
  if (with_token && self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);

      soup_message_headers_replace (soup_message_get_request_headers (data->msg),
                                    "Authorization", auth);
    }
  soup_session_send_and_read_async (self->session, data->msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), http_send_cb, task);
}

static void
register_done (ConfabClient *self,
               GTask        *task,
               JsonObject   *body)
{
  JsonObject *user = confab_json_get_object (body, "user");

  if (user == NULL)
    g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                             _("The server sent an answer this app does not understand."));
  else
    g_task_return_pointer (task, json_object_ref (user), (GDestroyNotify) json_object_unref);
}

static void
login_done (ConfabClient *self,
            GTask        *task,
            JsonObject   *body)
{
  const char *token = confab_json_get_string (body, "token");
  const char *device_id = confab_json_get_string (body, "device_id");
  JsonObject *user = confab_json_get_object (body, "user");
  const char *username = confab_json_get_string (user, "username");

  if (token == NULL || user == NULL || username == NULL)
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                               _("The server sent an answer this app does not understand."));
      return;
    }

  confab_client_set_credentials (self, username, token);
  g_free (self->device_id);
  self->device_id = g_strdup (device_id);
  g_clear_pointer (&self->user, json_object_unref);
  self->user = json_object_ref (user);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_ID]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
  g_task_return_boolean (task, TRUE);
}

static void
logout_done (ConfabClient *self,
             GTask        *task,
             JsonObject   *body)
{
  g_task_return_boolean (task, TRUE);
}

/* WebSocket -------------------------------------------------------------------------------- */

static void
pending_free (Pending *pending)
{
  if (pending->timeout != NULL)
    {
      g_source_destroy (pending->timeout);
      g_source_unref (pending->timeout);
    }
  g_clear_object (&pending->task);
  g_free (pending);
}

/* Removes the entry for @id without freeing the Pending, which the caller then owns. */
static void
steal_pending (ConfabClient *self,
               const char   *id)
{
  gpointer key = NULL;

  if (g_hash_table_steal_extended (self->pending, id, &key, NULL))
    g_free (key);
}

static void
fail_pending (ConfabClient *self)
{
  g_autoptr(GHashTable) old = g_steal_pointer (&self->pending);

  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) pending_free);
  if (old != NULL)
    {
      GHashTableIter iter;
      Pending *pending;

      g_hash_table_iter_init (&iter, old);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &pending))
        g_task_return_new_error (pending->task, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                                 _("The connection to the server was lost."));
    }
}

static gboolean
send_frame (ConfabClient *self,
            char         *text)
{
  g_autofree char *owned = text;

  if (self->ws == NULL
      || soup_websocket_connection_get_state (self->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  soup_websocket_connection_send_text (self->ws, owned);
  return TRUE;
}

static guint
next_backoff_ms (ConfabClient *self)
{
  guint64 delay = self->backoff_initial_ms;

  for (guint i = 0; i < self->attempt && delay < self->backoff_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->backoff_max_ms);
  /* Half fixed, half random: clients that lost the server together do not return together. */
  return (guint) (delay / 2 + g_random_int_range (0, (gint32) MAX (delay / 2, 1) + 1));
}

static gboolean
retry_cb (gpointer user_data)
{
  ConfabClient *self = user_data;

  self->retry_source = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (ConfabClient *self)
{
  guint delay;

  if (!self->running)
    {
      set_state (self, CONFAB_CLIENT_STATE_DISCONNECTED);
      return;
    }
  delay = next_backoff_ms (self);
  self->attempt++;
  g_debug ("reconnecting in %u ms (attempt %u)", delay, self->attempt);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retry_source = g_timeout_add (delay, retry_cb, self);
  self->retry_at = g_get_monotonic_time () + (gint64) delay * 1000;
  set_state (self, CONFAB_CLIENT_STATE_WAITING);
}

static void
signed_out (ConfabClient *self,
            GError       *error)
{
  self->running = FALSE;
  drop_connection (self, FALSE);
  set_state (self, CONFAB_CLIENT_STATE_DISCONNECTED);
  g_signal_emit (self, signals[SIGNAL_SIGNED_OUT], 0, error);
}

/* The stream's own events: the end of a replay, and the loss of one. Every other event is the
 * business of whoever connects to "event::<name>". Returns FALSE (and the caller logs) if the
 * data does not have what the event needs. */
static gboolean
handle_stream_event (ConfabClient *self,
                     const char   *name,
                     JsonObject   *data)
{
  if (g_str_equal (name, CONFAB_EVENT_SYNCED))
    {
      gint64 last_seq = 0;

      if (!confab_json_get_int (data, "last_seq", &last_seq) || last_seq < 0)
        return FALSE;
      set_state (self, CONFAB_CLIENT_STATE_CONNECTED);
      g_signal_emit (self, signals[SIGNAL_SYNCED], 0, last_seq);
      return TRUE;
    }
  if (g_str_equal (name, CONFAB_EVENT_RESYNC_REQUIRED))
    {
      /* The old stream is gone; whatever comes next starts over. */
      g_signal_emit (self, signals[SIGNAL_RESYNC_REQUIRED], 0);
      return TRUE;
    }
  return TRUE;
}

static void
handle_event (ConfabClient *self,
              JsonObject   *frame)
{
  const char *name = confab_json_get_string (frame, "event");
  JsonNode *seq_node = json_object_get_member (frame, "seq");
  JsonObject *data = confab_json_get_object (frame, "data");
  g_autoptr(JsonObject) empty = NULL;
  gint64 seq = 0;

  if (name == NULL || !confab_token_id_is_valid (name, 64))
    {
      g_message ("skipping event without a valid name");
      return;
    }
  if (seq_node != NULL && !JSON_NODE_HOLDS_NULL (seq_node))
    {
      if (!confab_json_get_int (frame, "seq", &seq) || seq <= 0 || seq > CONFAB_MAX_SAFE_INTEGER)
        {
          g_message ("skipping event '%s' with an invalid seq", name);
          return;
        }
      if (seq <= self->seen_seq)
        {
          g_debug ("dropping duplicate event '%s' seq %" G_GINT64_FORMAT, name, seq);
          return;
        }
    }
  if (data == NULL)
    {
      JsonNode *node = json_object_get_member (frame, "data");

      if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        {
          g_message ("skipping event '%s': data is not an object", name);
          return;
        }
      data = empty = json_object_new ();
    }

  /* A well-formed durable event counts as seen even if its content is skipped below, so a
   * replay does not offer it again within this run. */
  if (seq > 0)
    self->seen_seq = seq;

  if (!handle_stream_event (self, name, data))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_EVENT], g_quark_from_string (name), name, data, seq);
}

static void
handle_hello_response (ConfabClient *self,
                       JsonObject   *frame)
{
  gboolean ok = FALSE;
  JsonObject *result = confab_json_get_object (frame, "result");
  JsonObject *user;

  g_clear_pointer (&self->hello_id, g_free);
  confab_json_get_bool (frame, "ok", &ok);

  if (!ok)
    {
      JsonObject *details = confab_json_get_object (frame, "error");
      g_autoptr(GError) error = error_from_details (details, 0);

      if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED))
        {
          g_autoptr(GError) out = g_error_new_literal (CONFAB_PROTOCOL_ERROR,
                                                       CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                                                       _("The session has ended. Please "
                                                         "sign in again."));
          signed_out (self, out);
          return;
        }
      g_message ("hello refused: %s", error->message);
      g_signal_emit (self, signals[SIGNAL_CONNECTION_ERROR], 0, error);
      drop_connection (self, TRUE);
      return;
    }

  g_clear_pointer (&self->hello_result, json_object_unref);
  self->hello_result = result != NULL ? json_object_ref (result) : json_object_new ();
  user = confab_json_get_object (self->hello_result, "user");
  if (user != NULL)
    {
      g_clear_pointer (&self->user, json_object_unref);
      self->user = json_object_ref (user);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
    }
  if (confab_json_get_string (self->hello_result, "device_id") != NULL
      && g_strcmp0 (self->device_id, confab_json_get_string (self->hello_result, "device_id")) != 0)
    {
      g_free (self->device_id);
      self->device_id = g_strdup (confab_json_get_string (self->hello_result, "device_id"));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_ID]);
    }
  self->attempt = 0;
  set_state (self, CONFAB_CLIENT_STATE_SYNCING);
}

static void
handle_response (ConfabClient *self,
                 JsonObject   *frame)
{
  const char *id = confab_frame_get_id (frame);
  Pending *pending;
  gboolean ok;

  if (id == NULL)
    {
      g_message ("skipping response without a request id");
      return;
    }
  if (self->hello_id != NULL && g_str_equal (id, self->hello_id))
    {
      handle_hello_response (self, frame);
      return;
    }

  pending = g_hash_table_lookup (self->pending, id);
  if (pending == NULL)
    {
      g_message ("skipping response to unknown request '%s'", id);
      return;
    }
  if (!confab_json_get_bool (frame, "ok", &ok))
    {
      g_message ("skipping response '%s' without ok", id);
      return;
    }

  steal_pending (self, id);
  if (ok)
    {
      JsonObject *result = confab_json_get_object (frame, "result");

      g_task_return_pointer (pending->task,
                             result != NULL ? json_object_ref (result) : json_object_new (),
                             (GDestroyNotify) json_object_unref);
    }
  else
    {
      JsonObject *details = confab_json_get_object (frame, "error");

      task_set_error_details (pending->task, details);
      g_task_return_error (pending->task, error_from_details (details, 0));
    }
  pending_free (pending);
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               SoupWebsocketDataType    type,
               GBytes                  *message,
               ConfabClient            *self)
{
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(GError) error = NULL;
  const char *frame_type;
  gsize size;
  const char *data;

  self->last_rx_us = g_get_monotonic_time ();

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_message ("skipping binary frame");
      return;
    }
  data = g_bytes_get_data (message, &size);
  frame = confab_frame_parse (data, size, &error);
  if (frame == NULL)
    {
      g_message ("skipping frame: %s", error->message);
      return;
    }

  frame_type = confab_frame_get_type (frame);
  if (g_strcmp0 (frame_type, "event") == 0)
    handle_event (self, frame);
  else if (g_strcmp0 (frame_type, "response") == 0)
    handle_response (self, frame);
  else
    g_message ("skipping frame of unknown type '%s'", frame_type ? frame_type : "(none)");
}

static void
on_ws_pong (SoupWebsocketConnection *ws,
            GBytes                  *message,
            ConfabClient            *self)
{
  self->last_rx_us = g_get_monotonic_time ();
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              ConfabClient            *self)
{
  gushort code = soup_websocket_connection_get_close_code (ws);

  g_debug ("connection closed (code %u)", code);
  if (code == 4401)
    {
      g_autoptr(GError) error = g_error_new_literal (CONFAB_PROTOCOL_ERROR,
                                                     CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                                                     _("The session has ended. Please sign "
                                                       "in again."));
      signed_out (self, error);
      return;
    }
  drop_connection (self, TRUE);
}

static void
on_ws_error (SoupWebsocketConnection *ws,
             GError                  *error,
             ConfabClient            *self)
{
  g_message ("connection error: %s", error->message);
}

static gboolean
watchdog_cb (gpointer user_data)
{
  ConfabClient *self = user_data;

  if (self->ws != NULL
      && (g_get_monotonic_time () - self->last_rx_us) / 1000 > (gint64) self->dead_ms)
    {
      g_message ("server silent for more than %u ms; reconnecting", self->dead_ms);
      drop_connection (self, TRUE);
    }
  return G_SOURCE_CONTINUE;
}

/* Forgets the current connection (closing it if open) and fails pending requests. */
static void
drop_connection (ConfabClient *self,
                 gboolean      retry)
{
  g_clear_handle_id (&self->watchdog_source, g_source_remove);
  g_clear_pointer (&self->hello_id, g_free);
  if (self->connect_cancellable != NULL)
    {
      g_cancellable_cancel (self->connect_cancellable);
      g_clear_object (&self->connect_cancellable);
    }
  if (self->ws != NULL)
    {
      g_autoptr(SoupWebsocketConnection) ws = g_steal_pointer (&self->ws);

      g_signal_handlers_disconnect_by_data (ws, self);
      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  fail_pending (self);
  if (retry)
    schedule_retry (self);
}

static void
websocket_connect_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(SoupMessage) msg = user_data;
  ConfabClient *self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hello = NULL;
  g_autofree char *client_name = NULL;
  SoupWebsocketConnection *ws;

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = g_object_get_data (G_OBJECT (msg), "confab-client");
  g_clear_object (&self->connect_cancellable);

  if (ws == NULL)
    {
      GError *mapped = map_transport_error (self, msg, g_steal_pointer (&error));

      g_message ("cannot connect: %s", mapped->message);
      g_signal_emit (self, signals[SIGNAL_CONNECTION_ERROR], 0, mapped);
      if (mapped->domain == CONFAB_CLIENT_ERROR)
        {
          /* Retrying cannot fix a certificate problem; the user has to decide. */
          self->running = FALSE;
          set_state (self, CONFAB_CLIENT_STATE_DISCONNECTED);
        }
      else
        schedule_retry (self);
      g_error_free (mapped);
      return;
    }

  self->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws, MAX_INCOMING_FRAME_BYTES);
  soup_websocket_connection_set_keepalive_interval (ws, MAX (self->ping_ms / 1000, 1));
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "pong", G_CALLBACK (on_ws_pong), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), self);
  self->last_rx_us = g_get_monotonic_time ();
  self->watchdog_source = g_timeout_add (MAX (self->dead_ms / 4, 100), watchdog_cb, self);

  self->hello_id = g_strdup_printf ("hello-%" G_GUINT64_FORMAT, ++self->next_request);
  hello = json_object_new ();
  json_object_set_string_member (hello, "token", self->token);
  json_object_set_int_member (hello, "since", self->acked_seq);
  client_name = g_strdup_printf ("confab-gtk/%s", PACKAGE_VERSION);
  json_object_set_string_member (hello, "client", client_name);
  send_frame (self, confab_frame_request (CONFAB_REQUEST_HELLO, self->hello_id, hello, NULL));
}

static void
connect_now (ConfabClient *self)
{
  g_autofree char *url = NULL;
  SoupMessage *msg;

  if (!self->running || self->ws != NULL || self->connect_cancellable != NULL)
    return;
  if (self->url_error != NULL || self->token == NULL)
    {
      g_autoptr(GError) error = self->url_error != NULL
        ? g_error_copy (self->url_error)
        : g_error_new_literal (CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                               _("Not signed in."));

      self->running = FALSE;
      set_state (self, CONFAB_CLIENT_STATE_DISCONNECTED);
      g_signal_emit (self, signals[SIGNAL_CONNECTION_ERROR], 0, error);
      return;
    }

  set_state (self, CONFAB_CLIENT_STATE_CONNECTING);
  url = build_url (self, "/v1/ws", TRUE);
  msg = new_message (self, SOUP_METHOD_GET, url);
  g_object_set_data (G_OBJECT (msg), "confab-client", self);
  self->connect_cancellable = g_cancellable_new ();
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        self->connect_cancellable, websocket_connect_cb, msg);
}

static gboolean
request_timeout_cb (gpointer user_data)
{
  GTask *task = user_data;
  ConfabClient *self = g_task_get_source_object (task);
  const char *id = g_object_get_data (G_OBJECT (task), "confab-request-id");
  Pending *pending = g_hash_table_lookup (self->pending, id);

  if (pending != NULL && pending->task == task)
    {
      steal_pending (self, id);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               _("The server did not answer in time."));
      pending_free (pending);
    }
  return G_SOURCE_REMOVE;
}

/* GObject ---------------------------------------------------------------------------------- */

static void
confab_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      g_value_set_string (value, self->server_url);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_USER:
      g_value_set_boxed (value, self->user);
      break;
    case PROP_UNTRUSTED_FINGERPRINT:
      g_value_set_string (value, self->untrusted_fingerprint);
      break;
    case PROP_ACKED_SEQ:
      g_value_set_int64 (value, self->acked_seq);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_SERVER_URL:
      self->server_url = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_client_constructed (GObject *object)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  G_OBJECT_CLASS (confab_client_parent_class)->constructed (object);

  parse_server_url (self);
  if (self->server_key == NULL)
    self->server_key = g_strdup (self->server_url != NULL ? self->server_url : "");
}

static void
confab_client_dispose (GObject *object)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  self->running = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_connection (self, FALSE);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (confab_client_parent_class)->dispose (object);
}

static void
confab_client_finalize (GObject *object)
{
  ConfabClient *self = CONFAB_CLIENT (object);

  g_free (self->server_url);
  g_clear_pointer (&self->base, g_uri_unref);
  g_free (self->server_key);
  g_clear_error (&self->url_error);
  g_free (self->username);
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  g_free (self->device_id);
  g_clear_pointer (&self->user, json_object_unref);
  g_clear_pointer (&self->hello_result, json_object_unref);
  g_free (self->untrusted_fingerprint);
  g_clear_pointer (&self->pending, g_hash_table_unref);

  G_OBJECT_CLASS (confab_client_parent_class)->finalize (object);
}

static void
confab_client_class_init (ConfabClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = confab_client_get_property;
  object_class->set_property = confab_client_set_property;
  object_class->constructed = confab_client_constructed;
  object_class->dispose = confab_client_dispose;
  object_class->finalize = confab_client_finalize;

  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, CONFAB_TYPE_CLIENT_STATE,
                                              CONFAB_CLIENT_STATE_DISCONNECTED, ro);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, ro);
  properties[PROP_DEVICE_ID] = g_param_spec_string ("device-id", NULL, NULL, NULL, ro);
  properties[PROP_USER] = g_param_spec_boxed ("user", NULL, NULL, JSON_TYPE_OBJECT, ro);
  properties[PROP_UNTRUSTED_FINGERPRINT] =
    g_param_spec_string ("untrusted-fingerprint", NULL, NULL, NULL, ro);
  properties[PROP_ACKED_SEQ] = g_param_spec_int64 ("acked-seq", NULL, NULL, 0, G_MAXINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, JSON_TYPE_OBJECT, G_TYPE_INT64);
  signals[SIGNAL_SYNCED] =
    g_signal_new ("synced", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[SIGNAL_RESYNC_REQUIRED] =
    g_signal_new ("resync-required", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SIGNED_OUT] =
    g_signal_new ("signed-out", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_CONNECTION_ERROR] =
    g_signal_new ("connection-error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
confab_client_init (ConfabClient *self)
{
  self->session = soup_session_new_with_options ("timeout", 60, "idle-timeout", 60, NULL);
  self->backoff_initial_ms = 500;
  self->backoff_max_ms = 60000;
  self->ping_ms = 30000;
  self->dead_ms = 90000;
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) pending_free);
}

/* Public API ------------------------------------------------------------------------------- */

SoupSession *
confab_client_get_soup_session (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->session;
}

SoupMessage *
confab_client_new_http_message (ConfabClient  *self,
                                const char    *method,
                                const char    *path,
                                GError       **error)
{
  g_autofree char *url = NULL;
  SoupMessage *msg;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL && path[0] == '/', NULL);

  if (self->url_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->url_error));
      return NULL;
    }
  url = build_url (self, path, FALSE);
  msg = new_message (self, method, url);
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    auth);
    }
  return msg;
}

GError *
confab_client_http_error (ConfabClient *self,
                          SoupMessage  *msg,
                          GBytes       *body,
                          GError       *transport_error)
{
  g_autoptr(JsonObject) json = NULL;
  const char *text;
  gsize size = 0;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);

  if (transport_error != NULL)
    return map_transport_error (self, msg, transport_error);
  text = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  if (size > 0)
    json = confab_frame_parse (text, size, NULL);
  return error_from_details (confab_json_get_object (json, "error"),
                             soup_message_get_status (msg));
}

ConfabClient *
confab_client_new (const char *server_url)
{
  return g_object_new (CONFAB_TYPE_CLIENT, "server-url", server_url, NULL);
}

const char *
confab_client_get_server_url (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->server_url;
}

const char *
confab_client_get_server_key (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->server_key;
}

ConfabClientState
confab_client_get_state (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), CONFAB_CLIENT_STATE_DISCONNECTED);
  return self->state;
}

const char *
confab_client_get_username (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->username;
}

const char *
confab_client_get_token (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->token;
}

const char *
confab_client_get_device_id (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->device_id;
}

JsonObject *
confab_client_get_user (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->user;
}

JsonObject *
confab_client_get_hello_result (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->hello_result;
}

void
confab_client_set_credentials (ConfabClient *self,
                               const char   *username,
                               const char   *token)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (g_strcmp0 (self->username, username) != 0)
    {
      g_free (self->username);
      self->username = g_strdup (username);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
    }
  if (self->token != NULL)
    memset (self->token, 0, strlen (self->token));
  g_free (self->token);
  self->token = g_strdup (token);
}

const char *
confab_client_get_untrusted_fingerprint (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return self->untrusted_fingerprint;
}

char *
confab_client_dup_pinned_fingerprint (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), NULL);
  return confab_known_hosts_lookup (self->server_key);
}

gboolean
confab_client_trust_certificate (ConfabClient  *self,
                                 const char    *fingerprint,
                                 GError       **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (CONFAB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  if (!confab_known_hosts_pin (self->server_key, fingerprint, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Cannot remember the certificate: %s"), local_error->message);
      return FALSE;
    }

  if (g_strcmp0 (self->untrusted_fingerprint, fingerprint) == 0)
    {
      g_clear_pointer (&self->untrusted_fingerprint, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNTRUSTED_FINGERPRINT]);
    }
  return TRUE;
}

void
confab_client_register_async (ConfabClient        *self,
                              const char          *username,
                              const char          *password,
                              const char          *display_name,
                              const char          *email,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  GTask *task;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_register_async);
  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  if (display_name != NULL && display_name[0] != '\0')
    json_object_set_string_member (body, "display_name", display_name);
  if (email != NULL && email[0] != '\0')
    json_object_set_string_member (body, "email", email);
  http_request (self, task, SOUP_METHOD_POST, "/v1/register", body, FALSE, register_done);
}

JsonObject *
confab_client_register_finish (ConfabClient  *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
confab_client_login_async (ConfabClient        *self,
                           const char          *username,
                           const char          *password,
                           const char          *device_name,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonObject) body = json_object_new ();
  GTask *task;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_login_async);
  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  json_object_set_string_member (body, "device_name",
                                 device_name != NULL ? device_name : g_get_host_name ());
  http_request (self, task, SOUP_METHOD_POST, "/v1/login", body, FALSE, login_done);
}

gboolean
confab_client_login_finish (ConfabClient  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
confab_client_logout_async (ConfabClient        *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CONFAB_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_logout_async);
  confab_client_stop (self);
  http_request (self, task, SOUP_METHOD_POST, "/v1/logout", NULL, TRUE, logout_done);
  /* The token is forgotten whatever the server answers: signing out must always work. */
  confab_client_set_credentials (self, self->username, NULL);
}

gboolean
confab_client_logout_finish (ConfabClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

JsonObject *
confab_client_result_get_error_details (GAsyncResult *result)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  return g_object_get_data (G_OBJECT (result), ERROR_DETAILS_KEY);
}

gint64
confab_client_result_get_retry_after_ms (GAsyncResult *result)
{
  JsonObject *details = confab_client_result_get_error_details (result);
  gint64 value;

  if (details == NULL || !confab_json_get_int (details, "retry_after_ms", &value) || value < 0)
    return -1;
  return value;
}

JsonObject *
confab_client_result_get_invalid_fields (GAsyncResult *result)
{
  return confab_json_get_object (confab_client_result_get_error_details (result), "fields");
}

void
confab_client_start (ConfabClient *self,
                     gint64        since)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  self->running = TRUE;
  if (since > self->acked_seq)
    {
      self->acked_seq = since;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACKED_SEQ]);
    }
  self->seen_seq = MAX (self->seen_seq, self->acked_seq);
  self->attempt = 0;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  connect_now (self);
}

void
confab_client_stop (ConfabClient *self)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  self->running = FALSE;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  drop_connection (self, FALSE);
  set_state (self, CONFAB_CLIENT_STATE_DISCONNECTED);
}

void
confab_client_reconnect_now (ConfabClient *self)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (!self->running || self->retry_source == 0)
    return;
  g_clear_handle_id (&self->retry_source, g_source_remove);
  connect_now (self);
}

gint64
confab_client_get_retry_time (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), 0);

  return self->retry_source != 0 ? self->retry_at : 0;
}

void
confab_client_ack (ConfabClient *self,
                   gint64        seq)
{
  g_autoptr(JsonObject) frame = NULL;

  g_return_if_fail (CONFAB_IS_CLIENT (self));

  if (seq <= self->acked_seq)
    return;
  self->acked_seq = seq;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACKED_SEQ]);

  frame = json_object_new ();
  json_object_set_string_member (frame, "type", CONFAB_REQUEST_ACK);
  json_object_set_int_member (frame, "seq", seq);
  send_frame (self, confab_json_object_to_string (frame, NULL));
}

gint64
confab_client_get_acked_seq (ConfabClient *self)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (self), 0);
  return self->acked_seq;
}

void
confab_client_request_async (ConfabClient        *self,
                             const char          *type,
                             JsonObject          *params,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Pending *pending;
  char *id;

  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (type != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_client_request_async);

  if (self->ws == NULL || self->hello_id != NULL
      || (self->state != CONFAB_CLIENT_STATE_SYNCING
          && self->state != CONFAB_CLIENT_STATE_CONNECTED))
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_NOT_CONNECTED,
                               _("Not connected to the server."));
      return;
    }

  id = g_strdup_printf ("r%" G_GUINT64_FORMAT, ++self->next_request);
  g_object_set_data_full (G_OBJECT (task), "confab-request-id", g_strdup (id), g_free);
  pending = g_new0 (Pending, 1);
  pending->task = g_object_ref (task);
  pending->timeout = g_timeout_source_new (REQUEST_TIMEOUT_MS);
  g_task_attach_source (task, pending->timeout, request_timeout_cb);
  g_hash_table_insert (self->pending, g_strdup (id), pending);

  send_frame (self, confab_frame_request (type, id, params, NULL));
  g_free (id);
}

JsonObject *
confab_client_request_finish (ConfabClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
confab_client_set_backoff (ConfabClient *self,
                           guint         initial_ms,
                           guint         max_ms)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (initial_ms > 0 && max_ms >= initial_ms);

  self->backoff_initial_ms = initial_ms;
  self->backoff_max_ms = max_ms;
}

void
confab_client_set_keepalive (ConfabClient *self,
                             guint         ping_ms,
                             guint         dead_ms)
{
  g_return_if_fail (CONFAB_IS_CLIENT (self));
  g_return_if_fail (ping_ms > 0 && dead_ms > ping_ms);

  self->ping_ms = ping_ms;
  self->dead_ms = dead_ms;
}
