/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-server"

#include "config.h"

#include "confab-server.h"
#include "confab-acceptor.h"
#include "confab-cors.h"
#include "confab-frame.h"
#include "confab-http.h"
#include "confab-limits.h"
#include "confab-metrics.h"
#include "confab-modules.h"
#include "confab-server-module.h"
#include "confab-sqlite-store.h"
#include "confab-tls.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LISTEN_BACKLOG 4096

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
  SoupServer      *soup;
  ConfabTlsContext *tls;          /* NULL when plain */
  ConfabAcceptor  *acceptor;
  char            *url;
  int              lock_fd;       /* holds the data directory's lock; -1 before */

  GHashTable      *connections;   /* ConfabConnection (owned) set */
  guint            sweep_id;
  GHashTable      *send_buckets;  /* username → SendBucket */

  GPtrArray       *modules;       /* Module, in registration order */
  GHashTable      *requests;      /* request type → Request */
  GArray          *routes;        /* Route */

  ConfabMetrics   *metrics;
  ConfabMetric    *requests_total;
  ConfabMetric    *http_requests;
  ConfabMetric    *request_seconds;
  ConfabMetric    *batch_size;
  ConfabMetric    *commit_seconds;
  GList           *metrics_allow; /* GInetAddressMask; NULL: loopback peers only */
};

typedef struct
{
  const ConfabServerModule *module;
  gpointer                  instance;
  GDestroyNotify            destroy;
} Module;

typedef struct
{
  ConfabRequestFunc func;
  gpointer          instance;
} Request;

typedef struct
{
  const ConfabHttpRoute *route;
  gpointer               instance;
} Route;

G_DEFINE_FINAL_TYPE (ConfabServer, confab_server, G_TYPE_OBJECT)

/* --- Routing ---------------------------------------------------------------------------------- */

static void
handle_health (gpointer           instance,
               SoupServerMessage *msg)
{
  g_autoptr(JsonObject) body = json_object_new ();

  json_object_set_string_member (body, "status", "ok");
  json_object_set_string_member (body, "version", PACKAGE_VERSION);
  confab_http_send_json (msg, 200, body);
}

static gboolean
metrics_allowed (ConfabServer *self,
                 GInetAddress *peer)
{
  if (self->metrics_allow == NULL)
    return g_inet_address_get_is_loopback (peer);
  for (GList *l = self->metrics_allow; l != NULL; l = l->next)
    if (g_inet_address_mask_matches (l->data, peer))
      return TRUE;
  return FALSE;
}

static void
handle_metrics (gpointer           instance,
                SoupServerMessage *msg)
{
  ConfabServer *self = instance;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GUri *uri = soup_server_message_get_uri (msg);
  gsize length;
  char *text;

  if (!G_IS_INET_SOCKET_ADDRESS (remote)
      || !metrics_allowed (self, g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote))))
    {
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                              "metrics are not served to this address ([metrics] allow)");
      return;
    }
  if (uri != NULL && g_uri_get_query (uri) != NULL)
    {
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                              "/metrics takes no query: every metric is always served");
      return;
    }

  text = confab_metrics_render (self->metrics, &length);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, length);
}

static const ConfabHttpRoute core_routes[] = {
  { "GET", "/v1/health", handle_health },
  { "GET", "/metrics", handle_metrics },
  { NULL }
};

static gboolean
route_matches (const ConfabHttpRoute *route,
               const char            *path)
{
  if ((route->flags & CONFAB_HTTP_ROUTE_PREFIX) != 0)
    return g_str_has_prefix (path, route->path) && path[strlen (route->path)] != '\0';
  return g_str_equal (path, route->path);
}

/* The route of @method on @path; NULL if there is none, with @path_known telling whether
 * another method would have one. */
static Route *
find_route (ConfabServer *self,
            const char   *method,
            const char   *path,
            gboolean     *path_known)
{
  *path_known = FALSE;
  for (guint i = 0; i < self->routes->len; i++)
    {
      Route *route = &g_array_index (self->routes, Route, i);

      if (!route_matches (route->route, path))
        continue;
      *path_known = TRUE;
      if (g_str_equal (method, route->route->method))
        return route;
    }
  return NULL;
}

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
  Route *route;

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");

  if (confab_cors_answer_preflight (self->config, msg))
    return;

  route = find_route (self, method, path, &path_known);
  if (route != NULL)
    {
      route->route->func (route->instance, msg);
      return;
    }

  if (path_known)
    {
      confab_http_send_error_full (msg, 405, "bad_request", "method not allowed here", NULL);
      return;
    }
  if (g_str_equal (path, "/v1/ws"))
    {
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                              "this endpoint needs a WebSocket upgrade");
      return;
    }
  confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such endpoint");
}

/* Bodies of the JSON API are limited; a streaming route takes its body itself. */
static void
on_request_got_headers (SoupServerMessage *msg,
                        gpointer           user_data)
{
  ConfabServer *self = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  gboolean path_known;
  Route *route = NULL;

  confab_cors_add_headers (self->config, msg);

  if (uri != NULL && soup_server_message_get_method (msg) != NULL)
    route = find_route (self, soup_server_message_get_method (msg), g_uri_get_path (uri),
                        &path_known);
  if (route != NULL && (route->route->flags & CONFAB_HTTP_ROUTE_STREAM) != 0)
    {
      soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
      if (route->route->got_headers != NULL)
        route->route->got_headers (route->instance, msg);
      return;
    }
  confab_http_limit_body (msg);
}

static void
on_request_started (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_request_got_headers), user_data,
                           0);
}

/* Counted by route, as registered ("POST /v1/login"), never by the path a client sent. */
static void
on_request_finished (SoupServer        *soup,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  ConfabServer *self = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const char *method = soup_server_message_get_method (msg);
  gboolean path_known = FALSE;
  Route *route = NULL;
  char label[128];
  char status[16];

  if (uri != NULL && method != NULL)
    route = find_route (self, method, g_uri_get_path (uri), &path_known);
  if (route != NULL)
    g_snprintf (label, sizeof label, "%s %s", route->route->method, route->route->path);
  else if (uri != NULL && g_strcmp0 (g_uri_get_path (uri), "/v1/ws") == 0)
    g_strlcpy (label, "GET /v1/ws", sizeof label);
  else
    g_strlcpy (label, "other", sizeof label);
  g_snprintf (status, sizeof status, "%u", soup_server_message_get_status (msg));
  confab_metric_add (self->http_requests, label, status, 1);
}

static void
on_websocket_upgraded (SoupServerMessage *msg,
                       gpointer           user_data)
{
  ConfabServer *self = user_data;

  /* Its socket is the connection's now: libsoup does not report it finished. */
  confab_metric_add (self->http_requests, "GET /v1/ws", "101", 1);
  g_hash_table_add (self->connections, confab_connection_new_upgraded (self, msg));
}

/* The WebSocket upgrade is done here rather than by soup_server_add_websocket_handler(), so
 * that the connection runs on a stream that counts its output (see confab-connection-stream.c).
 * No extension is negotiated: with permessage-deflate the bytes queued would not be known. */
static void
on_websocket_request (SoupServer        *soup,
                      SoupServerMessage *msg,
                      const char        *path,
                      GHashTable        *query,
                      gpointer           user_data)
{
  if (soup_websocket_server_process_handshake (msg, NULL, NULL, NULL, NULL))
    g_signal_connect_object (msg, "wrote-informational", G_CALLBACK (on_websocket_upgraded),
                             user_data, 0);
}

/* After a burst (a long replay, a flood of large frames) glibc keeps the freed memory in its
 * arenas, and the server's RSS stays at its peak for good. Once enough is free it goes back to
 * the system; a quiet server finds nothing to return and pays nothing. */
#define RELEASE_THRESHOLD (4 * 1024 * 1024)

static void
release_memory (void)
{
#if defined(__GLIBC__)
  struct mallinfo2 info = mallinfo2 ();

  if (info.fordblks > RELEASE_THRESHOLD)
    malloc_trim (0);
#endif
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
  release_memory ();
  return G_SOURCE_CONTINUE;
}

/* --- Modules --------------------------------------------------------------------------------- */

static void
module_free (gpointer data)
{
  Module *module = data;

  if (module->destroy != NULL)
    module->destroy (module->instance);
  g_free (module);
}

/**
 * confab_server_add_module:
 * @module: (not nullable): the module's description, static
 * @instance: what its callbacks get back
 * @destroy: (nullable): frees @instance when the server is disposed
 *
 * Registers the request types, HTTP routes and session callbacks of @module. A request type or
 * a route belongs to one module only.
 */
void
confab_server_add_module (ConfabServer             *self,
                          const ConfabServerModule *module,
                          gpointer                  instance,
                          GDestroyNotify            destroy)
{
  Module *entry;

  g_return_if_fail (CONFAB_IS_SERVER (self));
  g_return_if_fail (module != NULL && module->name != NULL);

  entry = g_new0 (Module, 1);
  entry->module = module;
  entry->instance = instance;
  entry->destroy = destroy;
  g_ptr_array_add (self->modules, entry);

  for (const ConfabRequestHandler *r = module->requests; r != NULL && r->type != NULL; r++)
    {
      Request *request;

      g_return_if_fail (!g_hash_table_contains (self->requests, r->type));
      request = g_new0 (Request, 1);
      request->func = r->func;
      request->instance = instance;
      g_hash_table_insert (self->requests, (gpointer) r->type, request);
    }

  for (const ConfabHttpRoute *r = module->routes; r != NULL && r->path != NULL; r++)
    {
      Route route = { r, instance };

      g_array_append_val (self->routes, route);
    }
}

gpointer
confab_server_get_module (ConfabServer *self,
                          const char   *name)
{
  g_return_val_if_fail (CONFAB_IS_SERVER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->modules->len; i++)
    {
      Module *module = g_ptr_array_index (self->modules, i);

      if (g_str_equal (module->module->name, name))
        return module->instance;
    }
  return NULL;
}

/* @type as registered (a static string), or "unknown": a label that only the server's own
 * request types can set. */
const char *
confab_server_request_type (ConfabServer *self,
                            const char   *type)
{
  gpointer key = NULL;

  if (type != NULL && g_hash_table_lookup_extended (self->requests, type, &key, NULL))
    return key;
  return "unknown";
}

/* Request of @type was answered with @outcome ("ok" or an error code) after @elapsed_us. */
void
confab_server_record_request (ConfabServer *self,
                              const char   *type,
                              const char   *outcome,
                              gint64        elapsed_us)
{
  confab_metric_add (self->requests_total, type, outcome, 1);
  confab_metric_observe (self->request_seconds, type, MAX (elapsed_us, 0));
}

/* Returns FALSE if no module answers @type. */
gboolean
confab_server_dispatch (ConfabServer     *self,
                        ConfabConnection *connection,
                        const char       *type,
                        const char       *id,
                        JsonObject       *frame)
{
  Request *request = g_hash_table_lookup (self->requests, type);

  if (request == NULL)
    return FALSE;
  request->func (request->instance, connection, id, frame);
  return TRUE;
}

void
confab_server_session_started (ConfabServer     *self,
                               ConfabConnection *connection,
                               gboolean          first_of_user)
{
  for (guint i = 0; i < self->modules->len; i++)
    {
      Module *module = g_ptr_array_index (self->modules, i);

      if (module->module->session_started != NULL)
        module->module->session_started (module->instance, connection, first_of_user);
    }
}

void
confab_server_describe_session (ConfabServer     *self,
                                ConfabConnection *connection,
                                JsonObject       *hello_result)
{
  for (guint i = 0; i < self->modules->len; i++)
    {
      Module *module = g_ptr_array_index (self->modules, i);

      if (module->module->describe_session != NULL)
        module->module->describe_session (module->instance, connection, hello_result);
    }
}

/* --- Public API ------------------------------------------------------------------------------- */

void
confab_server_connection_closed (ConfabServer     *self,
                                 ConfabConnection *connection)
{
  const char *username = confab_connection_get_username (connection);
  const char *device_id = confab_connection_get_device_id (connection);

  if (username != NULL)
    {
      gboolean last_of_user = confab_router_remove (self->router, connection);
      gboolean last_of_device = !confab_router_device_online (self->router, username, device_id);

      for (guint i = 0; self->modules != NULL && i < self->modules->len; i++)
        {
          Module *module = g_ptr_array_index (self->modules, i);

          if (module->module->session_ended != NULL)
            module->module->session_ended (module->instance, connection, last_of_user,
                                           last_of_device);
        }
    }
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

/**
 * confab_server_accept_stream:
 * @stream: a connection accepted elsewhere, ready for HTTP (TLS already done if any)
 *
 * Serves @stream as if the server had accepted it (for the fuzz targets, which feed bytes
 * from memory).
 */
void
confab_server_accept_stream (ConfabServer   *self,
                             GIOStream      *stream,
                             GSocketAddress *local,
                             GSocketAddress *remote)
{
  g_return_if_fail (CONFAB_IS_SERVER (self));

  soup_server_accept_iostream (self->soup, stream, local, remote, NULL);
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

ConfabMetrics *
confab_server_get_metrics (ConfabServer *self)
{
  return self->metrics;
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
  /* Last registered, first gone: a module may lean on one registered before it. */
  while (self->modules != NULL && self->modules->len > 0)
    g_ptr_array_remove_index (self->modules, self->modules->len - 1);
  g_hash_table_remove_all (self->requests);
  g_array_set_size (self->routes, 0);
  g_clear_object (&self->router);
  g_clear_object (&self->auth);
  g_clear_object (&self->store);
  g_clear_pointer (&self->tls, confab_tls_context_free);
  g_list_free_full (g_steal_pointer (&self->metrics_allow), g_object_unref);

  G_OBJECT_CLASS (confab_server_parent_class)->dispose (object);
}

static void
confab_server_finalize (GObject *object)
{
  ConfabServer *self = CONFAB_SERVER (object);

  g_hash_table_unref (self->connections);
  g_hash_table_unref (self->send_buckets);
  g_ptr_array_unref (self->modules);
  g_hash_table_unref (self->requests);
  g_array_unref (self->routes);
  confab_metrics_free (self->metrics);
  confab_config_free (self->config);
  g_free (self->url);
  if (self->lock_fd >= 0)
    close (self->lock_fd);

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
  self->modules = g_ptr_array_new_with_free_func (module_free);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  self->routes = g_array_new (FALSE, FALSE, sizeof (Route));
  self->lock_fd = -1;
  self->metrics = confab_metrics_new ();
}

static const ConfabServerModule core_module = {
  .name = "core",
  .routes = core_routes,
};

/* --- Metrics --------------------------------------------------------------------------------- */

/* Microseconds: 100 µs to 10 s. */
static const guint64 latency_bounds[] = {
  100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
  2500000, 10000000
};
static const guint64 batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };

static double
count_connections (gpointer user_data)
{
  ConfabServer *self = user_data;

  return g_hash_table_size (self->connections);
}

static double
count_sessions (gpointer user_data)
{
  ConfabServer *self = user_data;

  return confab_router_count (self->router);
}

static double
count_users_online (gpointer user_data)
{
  ConfabServer *self = user_data;

  return confab_router_count_users (self->router);
}

static double
count_durable_sent (gpointer user_data)
{
  ConfabServer *self = user_data;

  return confab_router_count_sent (self->router, TRUE);
}

static double
count_live_sent (gpointer user_data)
{
  ConfabServer *self = user_data;

  return confab_router_count_sent (self->router, FALSE);
}

static double
count_replay_backlog (gpointer user_data)
{
  ConfabServer *self = user_data;
  GHashTableIter iter;
  gpointer connection;
  guint backlog = 0;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &connection, NULL))
    backlog += confab_connection_get_replay_backlog (connection);
  return backlog;
}

static double
resident_bytes (gpointer user_data)
{
  g_autofree char *statm = NULL;
  guint64 pages = 0;

  /* statm: size resident shared ..., in pages. */
  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    {
      const char *resident = strchr (statm, ' ');

      if (resident != NULL)
        pages = g_ascii_strtoull (resident + 1, NULL, 10);
    }
  return (double) pages * sysconf (_SC_PAGESIZE);
}

/* On the store's thread: unlabelled histograms only, which take atomic updates. */
static void
on_store_batch (guint    jobs,
                gint64   commit_us,
                gpointer user_data)
{
  ConfabServer *self = user_data;

  confab_metric_observe (self->batch_size, NULL, jobs);
  confab_metric_observe (self->commit_seconds, NULL, MAX (commit_us, 0));
}

static void
add_core_metrics (ConfabServer *self)
{
  ConfabMetrics *metrics = self->metrics;

  confab_metrics_add_func (metrics, CONFAB_METRIC_GAUGE, "confab_connections_open",
                           "WebSocket connections open, signed in or not", count_connections,
                           self);
  confab_metrics_add_func (metrics, CONFAB_METRIC_GAUGE, "confab_sessions",
                           "Signed-in WebSocket sessions", count_sessions, self);
  confab_metrics_add_func (metrics, CONFAB_METRIC_GAUGE, "confab_users_online",
                           "Users with at least one session", count_users_online, self);
  self->requests_total = confab_metrics_add_counter (
    metrics, "confab_requests_total",
    "WebSocket requests answered, by type and outcome (ok or the error code)", "type", "outcome");
  self->http_requests = confab_metrics_add_counter (
    metrics, "confab_http_requests_total",
    "HTTP requests answered, by route (method and path as the server knows it) and status",
    "route", "status");
  self->request_seconds = confab_metrics_add_histogram (
    metrics, "confab_request_duration_seconds",
    "Time from a WebSocket request to its answer, by type", "type", latency_bounds,
    G_N_ELEMENTS (latency_bounds), 1e6);
  confab_metrics_add_func (metrics, CONFAB_METRIC_COUNTER, "confab_fanout_deliveries_total",
                           "Stored events sent to connections (one per recipient connection)",
                           count_durable_sent, self);
  confab_metrics_add_func (metrics, CONFAB_METRIC_COUNTER, "confab_live_deliveries_total",
                           "Live frames (typing, presence, call signalling) sent to connections",
                           count_live_sent, self);
  confab_metrics_add_func (metrics, CONFAB_METRIC_GAUGE, "confab_replay_backlog",
                           "Events fetched for or held back during hello replays, not sent yet",
                           count_replay_backlog, self);
  self->batch_size = confab_metrics_add_histogram (
    metrics, "confab_store_batch_size", "Units of work per committed store transaction", NULL,
    batch_bounds, G_N_ELEMENTS (batch_bounds), 1);
  self->commit_seconds = confab_metrics_add_histogram (
    metrics, "confab_store_commit_duration_seconds",
    "Time of a store transaction's COMMIT (its write to disk)", NULL, latency_bounds,
    G_N_ELEMENTS (latency_bounds), 1e6);
  confab_metrics_add_func (metrics, CONFAB_METRIC_GAUGE, "process_resident_memory_bytes",
                           "Resident memory of confabd", resident_bytes, NULL);

  for (guint i = 0; self->config->metrics_allow != NULL && self->config->metrics_allow[i]; i++)
    {
      GInetAddressMask *mask = g_inet_address_mask_new_from_string (
        self->config->metrics_allow[i], NULL);

      /* The configuration was checked when read. */
      if (mask != NULL)
        self->metrics_allow = g_list_prepend (self->metrics_allow, mask);
    }

  confab_store_set_batch_func (self->store, on_store_batch, self);
}

/* One confabd per data directory: a second one would find the database locked and answer
 * `internal` to every write. The lock goes with the process, also when it is killed. */
static gboolean
lock_data_dir (ConfabServer  *self,
               GError       **error)
{
  g_autofree char *path = g_build_filename (self->config->data_dir, "confabd.lock", NULL);
  g_autofree char *pid = g_strdup_printf ("%d\n", (int) getpid ());
  int saved_errno;

  self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (self->lock_fd >= 0 && flock (self->lock_fd, LOCK_EX | LOCK_NB) == 0)
    {
      /* For the administrator: which process holds it. */
      if (ftruncate (self->lock_fd, 0) != 0 || write (self->lock_fd, pid, strlen (pid)) < 0)
        g_debug ("could not write the pid into %s", path);
      return TRUE;
    }

  saved_errno = errno;
  if (saved_errno == EWOULDBLOCK)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                 "another confabd is using the data directory %s", self->config->data_dir);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "cannot lock %s: %s",
                 path, g_strerror (saved_errno));
  return FALSE;
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

  if (!lock_data_dir (self, error))
    return NULL;

  db_path = g_build_filename (config->data_dir, "confab.db", NULL);
  self->store = CONFAB_STORE (confab_sqlite_store_new (db_path, error));
  if (self->store == NULL)
    return NULL;

  if (!config->plain)
    {
      self->tls = confab_tls_context_new (config->data_dir, config->tls_certificate,
                                          config->tls_key, config->tls_priority, error);
      if (self->tls == NULL)
        return NULL;
    }

  self->auth = confab_auth_new (config->argon2_opslimit, config->argon2_memlimit,
                                config->login_failures_per_user, config->login_failures_per_address,
                                config->login_lockout_ms, config->argon2_threads,
                                config->argon2_max_waiting);
  self->router = confab_router_new ();
  add_core_metrics (self);
  confab_server_add_module (self, &core_module, self, NULL);
  confab_modules_register_all (self);

  self->soup = soup_server_new ("server-header", "confabd/" PACKAGE_VERSION, NULL);
  soup_server_add_handler (self->soup, "/v1/ws", on_websocket_request, self, NULL);
  soup_server_add_handler (self->soup, NULL, on_http_request, self, NULL);
  g_signal_connect (self->soup, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished), self);

  return g_steal_pointer (&self);
}

gboolean
confab_server_start (ConfabServer  *self,
                     GError       **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *host = NULL;
  ConfabAcceptorLimits limits;

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
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;

  /* Connections are accepted here, not by SoupServer: see confab-acceptor.c. */
  limits.deadline_ms = self->config->first_request_ms;
  limits.max_pending = self->config->max_pending_connections;
  limits.max_pending_per_address = self->config->max_pending_per_address;
  self->acceptor = confab_acceptor_new (self->soup, self->tls, &limits);
  if (!confab_acceptor_listen (self->acceptor, socket, error))
    return FALSE;

  self->sweep_id = g_timeout_add_seconds (MAX (1, self->config->ping_interval_s),
                                          sweep_silent_connections, self);

  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;
  host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound)));
  self->url = g_strdup_printf (strchr (host, ':') != NULL ? "%s://[%s]:%u" : "%s://%s:%u",
                               self->config->plain ? "http" : "https", host,
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  return TRUE;
}

void
confab_server_stop (ConfabServer *self)
{
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  if (self->soup != NULL)
    {
      /* Nothing new comes in; what is still pending goes. */
      g_clear_pointer (&self->acceptor, confab_acceptor_free);
      soup_server_disconnect (self->soup);
      if (self->router != NULL)
        confab_router_close_all (self->router, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
      g_hash_table_remove_all (self->connections);
      g_clear_object (&self->soup);
    }
  if (self->store != NULL)
    confab_store_close (self->store);
}
