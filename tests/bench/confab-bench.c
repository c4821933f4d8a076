/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-bench"

#include "config.h"

#include "confab-fs.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Load generator for confabd: authenticated WebSocket connections in pairs sending each other
 * direct messages. Durable messages/s are counted on `ok` responses (the server answers a send
 * only once it is on disk); latency is from the send to the peer's receipt of the event.
 *
 *   confab-bench [--connections N] [--window W] [--duration S]     throughput
 *   confab-bench --rate R ...                                      fixed rate, R messages/s
 *   confab-bench --idle N [--users U]                              idle connections, server RSS
 *   confab-bench --room N [--senders S] [--window W] [--rate R]    one room of N members, one
 *                [--messages M] [--threads T]                      connection each
 *   --tls, --url URL --pid PID (an existing server), --confabd PATH
 *
 * The client side parses only what it needs (no JSON parser) so that it leaves the CPU to the
 * server it measures. In room mode the members who only listen are spread over T reader
 * threads, each with its own main context and session, so that taking in a message's N - 1
 * copies is not one thread's walk over N sources. */

#define OPEN_IN_FLIGHT 64

typedef struct _Bench Bench;
typedef struct _Reader Reader;

typedef struct
{
  Bench                   *bench;
  Reader                  *reader;   /* NULL: on the main thread */
  guint                    index;
  char                    *username;
  char                    *peer;
  char                    *conv;
  char                    *token;
  SoupWebsocketConnection *ws;
  gboolean                 ready;
  gboolean                 hello_pending;
  guint                    in_flight;
  guint64                  sent;
} Conn;

struct _Bench
{
  /* options */
  guint        connections;
  guint        window;
  guint        duration_s;
  guint        warmup_s;
  guint        rate;
  guint        idle;
  guint        users;
  guint        room;        /* members of the room; 0: not room mode */
  guint        senders;
  guint        threads;     /* room mode: reader threads for the members who only listen */
  guint64      messages;    /* room mode: send exactly this many, then stop (0: by duration) */
  guint        body_bytes;
  gboolean     tls;
  char        *url;
  char        *confabd;
  int          pid;

  /* state */
  SoupSession *session;
  GSubprocess *server;
  char        *data_dir;
  GTlsCertificate *certificate;
  GPtrArray   *conns;
  char        *body_pad;
  guint        pending;
  guint        failures;
  gboolean     measuring;
  gboolean     stopping;
  gint64       measure_start;
  guint64      acked;
  guint64      received;
  guint64      errors;
  GArray      *latencies;   /* gint64 µs */
  gint64       rate_start;
  guint64      rate_sent;
  guint        rate_next;
  char        *room_conv;
  GHashTable  *fanout;      /* message key → Fanout: receipts so far */
  guint64      total_sent;
  guint64      total_acked;
  guint64      data_bytes;  /* the data directory once the server stopped */
  GPtrArray   *readers;     /* of Reader */
  gint         readers_ready;
  gint         readers_stop;
};

/* A reader thread: its share of the room's listening members, on its own main context. It
 * counts the copies of each message its connections receive and tells the main thread once all
 * of them have one (Completion), so the main thread hears from it once per message. */
struct _Reader
{
  Bench        *bench;
  GThread      *thread;
  GMainContext *context;
  SoupSession  *session;
  GPtrArray    *conns;      /* of Conn, owned by bench->conns */
  guint         pending;
  GHashTable   *counts;     /* message key → copies received so far (GUINT_TO_POINTER) */
  guint64       received;   /* while measuring */
};

typedef struct
{
  Bench  *bench;
  char   *key;
  guint   copies;
  gint64  last;
} Completion;

/* One room message on its way to the members. */
typedef struct
{
  gint64 sent;
  gint64 last;       /* when the latest receipt so far came */
  guint  receipts;
} Fanout;

static guint *
conn_pending (Conn *conn)
{
  return conn->reader != NULL ? &conn->reader->pending : &conn->bench->pending;
}

static SoupSession *
conn_session (Conn *conn)
{
  return conn->reader != NULL ? conn->reader->session : conn->bench->session;
}

static void
conn_failed (Conn *conn)
{
  g_atomic_int_inc ((gint *) &conn->bench->failures);
}

/* Main thread: @copies more members have the message of @key, the latest at @when. */
static void
fanout_receipts (Bench      *bench,
                 const char *key,
                 guint       copies,
                 gint64      when)
{
  Fanout *fanout = g_hash_table_lookup (bench->fanout, key);

  if (fanout == NULL)
    return;
  fanout->last = MAX (fanout->last, when);
  fanout->receipts += copies;
  if (fanout->receipts >= bench->room - 1)
    {
      gint64 latency = fanout->last - fanout->sent;

      if (bench->measuring)
        g_array_append_val (bench->latencies, latency);
      g_hash_table_remove (bench->fanout, key);
    }
}

static gboolean
deliver_completion (gpointer data)
{
  Completion *completion = data;

  fanout_receipts (completion->bench, completion->key, completion->copies, completion->last);
  return G_SOURCE_REMOVE;
}

static void
completion_free (gpointer data)
{
  Completion *completion = data;

  g_free (completion->key);
  g_free (completion);
}

/* A reader thread: one more of its connections has the message of @key. */
static void
reader_receipt (Reader     *reader,
                const char *key)
{
  guint copies = GPOINTER_TO_UINT (g_hash_table_lookup (reader->counts, key)) + 1;
  Completion *completion;

  if (copies < reader->conns->len)
    {
      g_hash_table_replace (reader->counts, g_strdup (key), GUINT_TO_POINTER (copies));
      return;
    }
  g_hash_table_remove (reader->counts, key);
  completion = g_new0 (Completion, 1);
  completion->bench = reader->bench;
  completion->key = g_strdup (key);
  completion->copies = copies;
  completion->last = g_get_monotonic_time ();
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver_completion, completion,
                              completion_free);
}

static gboolean
wake_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop for @ms. */
static void
run_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, wake_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* --- The server ----------------------------------------------------------------------------- */

static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
start_server (Bench *bench)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *config = NULL;
  g_autofree char *line = NULL;
  g_autofree char *data = NULL;

  bench->data_dir = g_dir_make_tmp ("confab-bench-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (bench->data_dir, "data", NULL);
  config = g_build_filename (bench->data_dir, "confabd.conf", NULL);
  /* No per-minute limit: the benchmark is the flood the limit would stop. A room's thousand
   * accounts are made with the cheapest Argon2id: signing in is not what is measured. */
  g_file_set_contents (config,
                       bench->room > 0
                       ? "[limits]\nmessages_per_minute=0\n"
                       "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"
                       : "[limits]\nmessages_per_minute=0\n",
                       -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  if (bench->tls)
    bench->server = g_subprocess_launcher_spawn (launcher, &error, bench->confabd, "--data-dir",
                                                 data, "--listen", "127.0.0.1:0", "--config",
                                                 config, NULL);
  else
    bench->server = g_subprocess_launcher_spawn (launcher, &error, bench->confabd, "--data-dir",
                                                 data, "--listen", "127.0.0.1:0", "--plain",
                                                 "--config", config, NULL);
  if (bench->server == NULL)
    g_error ("cannot start %s: %s", bench->confabd, error->message);

  /* Blocking is fine here: nothing else runs yet. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bench->server));
  while ((line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error)) != NULL)
    {
      if (g_str_has_prefix (line, "listening on "))
        break;
      g_clear_pointer (&line, g_free);
    }
  if (line == NULL)
    g_error ("confabd did not start");
  bench->url = g_strdup (line + strlen ("listening on "));
  while (g_str_has_suffix (bench->url, "/"))
    bench->url[strlen (bench->url) - 1] = '\0';
  bench->pid = atoi (g_subprocess_get_identifier (bench->server));

  if (bench->tls)
    {
      g_autofree char *cert = g_build_filename (data, "tls", "cert.pem", NULL);

      bench->certificate = g_tls_certificate_new_from_file (cert, &error);
      g_assert_no_error (error);
    }
}

static guint64
tree_bytes (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint64 total = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      GStatBuf st;

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        total += tree_bytes (child);
      else if (g_stat (child, &st) == 0)
        total += st.st_size;
    }
  return total;
}

static void
stop_server (Bench *bench)
{
  if (bench->server == NULL)
    return;
  g_subprocess_send_signal (bench->server, SIGTERM);
  g_subprocess_wait (bench->server, NULL, NULL);
  g_clear_object (&bench->server);
  bench->data_bytes = tree_bytes (bench->data_dir);
  confab_fs_remove_tree (bench->data_dir);
}

static guint64
server_rss_kib (Bench *bench)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", bench->pid);
  g_autofree char *status = NULL;
  const char *line;

  if (bench->pid <= 0 || !g_file_get_contents (path, &status, NULL, NULL))
    return 0;
  line = strstr (status, "VmRSS:");
  return line != NULL ? g_ascii_strtoull (line + 6, NULL, 10) : 0;
}

/* CPU time the server and this process have used, in µs: on a machine shared with other work,
 * the cost per delivery says more than the rate. */
static gint64
server_cpu_us (Bench *bench)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", bench->pid);
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *close_paren;

  if (bench->pid <= 0 || !g_file_get_contents (path, &stat, NULL, NULL))
    return 0;
  close_paren = strrchr (stat, ')');
  if (close_paren == NULL)
    return 0;
  /* After "pid (comm) ": state is field 3, utime 14 and stime 15. */
  fields = g_strsplit (close_paren + 2, " ", 16);
  if (g_strv_length (fields) < 14)
    return 0;
  return (g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10))
         * G_USEC_PER_SEC / sysconf (_SC_CLK_TCK);
}

static gint64
self_cpu_us (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC
         + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static gboolean
on_accept_certificate (SoupMessage          *message,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Bench *bench = user_data;

  /* Our own server: its cert.pem. A server given by --url: whatever it shows. */
  return bench->certificate == NULL || g_tls_certificate_is_same (certificate, bench->certificate);
}

/* --- Accounts ------------------------------------------------------------------------------- */

typedef struct
{
  Bench *bench;
  Conn  *conn;
  int    step;   /* 0 register, 1 login */
} Http;

static void http_step (Http *http);

static void
http_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Http *http = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result,
                                                              &error);
  SoupMessage *message = soup_session_get_async_result_message (SOUP_SESSION (object), result);
  guint status = soup_message_get_status (message);

  if (body == NULL || (http->step == 0 && status != 201 && status != 409)
      || (http->step == 1 && status != 200))
    {
      g_printerr ("account %s: step %d failed (HTTP %u)\n", http->conn->username, http->step,
                  status);
      http->bench->failures++;
      http->bench->pending--;
      g_free (http);
      return;
    }

  if (http->step == 1)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
      const char *t = strstr (text, "\"token\":\"");
      const char *end;

      g_assert_nonnull (t);
      t += strlen ("\"token\":\"");
      end = strchr (t, '"');
      http->conn->token = g_strndup (t, end - t);
      http->bench->pending--;
      g_free (http);
      return;
    }
  http->step++;
  http_step (http);
}

static void
http_step (Http *http)
{
  g_autofree char *uri = g_strconcat (http->bench->url, http->step == 0 ? "/v1/register"
                                                                        : "/v1/login", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("POST", uri);
  g_autofree char *text = g_strdup_printf ("{\"username\":\"%s\",\"password\":"
                                           "\"bench-password-%s\",\"device_name\":\"bench\"}",
                                           http->conn->username, http->conn->username);
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  soup_message_set_request_body_from_bytes (message, "application/json", bytes);
  g_signal_connect (message, "accept-certificate", G_CALLBACK (on_accept_certificate),
                    http->bench);
  soup_session_send_and_read_async (http->bench->session, message, G_PRIORITY_DEFAULT, NULL,
                                    http_done_cb, http);
}

static void
make_accounts (Bench *bench,
               guint  count)
{
  /* Argon2id on the server's thread pool sets the pace; a few at a time keep it busy. */
  guint next = 0;

  while (next < count || bench->pending > 0)
    {
      while (next < count && bench->pending < 8)
        {
          Http *http = g_new0 (Http, 1);

          http->bench = bench;
          http->conn = g_ptr_array_index (bench->conns, next++);
          bench->pending++;
          http_step (http);
        }
      g_main_context_iteration (NULL, TRUE);
    }
  if (bench->failures > 0)
    g_error ("%u accounts failed", bench->failures);
}

/* --- Connections ---------------------------------------------------------------------------- */

static void send_message (Conn *conn);

static void
on_message (SoupWebsocketConnection *ws,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Conn *conn = user_data;
  Bench *bench = conn->bench;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  g_autofree char *text = g_strndup (data, length);

  if (g_str_has_prefix (text, "{\"type\":\"response\""))
    {
      if (!conn->ready)
        {
          conn->hello_pending = FALSE;
          (*conn_pending (conn))--;
          if (strstr (text, "\"ok\":true") == NULL)
            {
              g_printerr ("hello refused: %s\n", text);
              conn_failed (conn);
              return;
            }
          conn->ready = TRUE;
          return;
        }
      if (strstr (text, "\"id\":\"room\"") != NULL)
        {
          const char *r = strstr (text, "\"room\":{\"id\":\"");

          bench->pending--;
          if (r == NULL)
            {
              g_printerr ("room_create failed: %s\n", text);
              bench->failures++;
              return;
            }
          r += strlen ("\"room\":{\"id\":\"");
          bench->room_conv = g_strdup_printf ("room:%.*s", (int) (strchr (r, '"') - r), r);
          return;
        }
      conn->in_flight--;
      if (strstr (text, "\"ok\":true") != NULL)
        {
          bench->total_acked++;
          if (bench->measuring)
            bench->acked++;
        }
      else
        {
          bench->errors++;
          if (bench->errors < 5)
            g_printerr ("error response: %s\n", text);
        }
      if (bench->rate == 0 && !bench->stopping)
        send_message (conn);
      return;
    }

  if (strstr (text, "\"event\":\"message\"") != NULL)
    {
      const char *t = strstr (text, "\"body\":\"t=");

      if (t != NULL && bench->room > 0)
        {
          char *end = NULL;
          g_autofree char *key = NULL;
          const char *quote;

          /* The body is "t=<sent> k=<sender>.<n> <pad>": what follows the time is the key of
           * the message, whose latency runs from the send to the last member's receipt. */
          g_ascii_strtoll (t + strlen ("\"body\":\"t="), &end, 10);
          quote = strchr (end, '"');
          if (g_atomic_int_get (&bench->measuring))
            {
              if (conn->reader != NULL)
                conn->reader->received++;
              else
                bench->received++;
            }
          if (quote == NULL)
            return;
          key = g_strndup (end, quote - end);
          if (conn->reader != NULL)
            reader_receipt (conn->reader, key);
          else
            fanout_receipts (bench, key, 1, g_get_monotonic_time ());
        }
      else if (t != NULL && bench->measuring)
        {
          gint64 sent = g_ascii_strtoll (t + strlen ("\"body\":\"t="), NULL, 10);
          gint64 latency = g_get_monotonic_time () - sent;

          g_array_append_val (bench->latencies, latency);
          bench->received++;
        }
    }
}

static void
on_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  Conn *conn = user_data;

  if (!conn->bench->stopping)
    g_printerr ("connection %u closed (code %u)\n", conn->index,
                soup_websocket_connection_get_close_code (ws));
  if (conn->hello_pending)
    {
      conn->hello_pending = FALSE;
      conn_failed (conn);
      (*conn_pending (conn))--;
    }
  conn->ready = FALSE;
}

static void
send_message (Conn *conn)
{
  Bench *bench = conn->bench;
  g_autofree char *text = NULL;

  if (conn->ws == NULL
      || soup_websocket_connection_get_state (conn->ws) != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  if (bench->messages > 0 && bench->total_sent >= bench->messages)
    return;
  bench->total_sent++;
  conn->sent++;
  if (bench->room > 0)
    {
      gint64 now = g_get_monotonic_time ();
      Fanout *fanout = g_new0 (Fanout, 1);
      char *key = g_strdup_printf (" k=%u.%" G_GUINT64_FORMAT " %s", conn->index, conn->sent,
                                   bench->body_pad);

      /* The receipts are matched on what follows the time in the body, up to its end. */
      fanout->sent = now;
      text = g_strdup_printf ("{\"type\":\"send\",\"id\":\"%" G_GUINT64_FORMAT "\","
                              "\"conv\":\"%s\",\"client_msg_id\":\"%u-%" G_GUINT64_FORMAT "\","
                              "\"body\":\"t=%" G_GINT64_FORMAT "%s\"}", conn->sent, conn->conv,
                              conn->index, conn->sent, now, key);
      g_hash_table_insert (bench->fanout, key, fanout);
      conn->in_flight++;
      soup_websocket_connection_send_text (conn->ws, text);
      return;
    }
  text = g_strdup_printf ("{\"type\":\"send\",\"id\":\"%" G_GUINT64_FORMAT "\",\"conv\":\"%s\","
                          "\"client_msg_id\":\"%u-%" G_GUINT64_FORMAT "\",\"body\":\"t=%"
                          G_GINT64_FORMAT " %s\"}", conn->sent, conn->conv, conn->index,
                          conn->sent, g_get_monotonic_time (), conn->bench->body_pad);
  conn->in_flight++;
  soup_websocket_connection_send_text (conn->ws, text);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Conn *conn = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = NULL;

  conn->ws = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (conn->ws == NULL)
    {
      g_printerr ("connection %u: %s\n", conn->index, error->message);
      conn_failed (conn);
      (*conn_pending (conn))--;
      return;
    }
  soup_websocket_connection_set_max_incoming_payload_size (conn->ws, 0);
  soup_websocket_connection_set_keepalive_interval (conn->ws, 0);
  g_signal_connect (conn->ws, "message", G_CALLBACK (on_message), conn);
  g_signal_connect (conn->ws, "closed", G_CALLBACK (on_closed), conn);
  hello = g_strdup_printf ("{\"type\":\"hello\",\"id\":\"hello\",\"token\":\"%s\",\"since\":0,"
                           "\"client\":\"confab-bench/0.1\"}", conn->token);
  conn->hello_pending = TRUE;
  soup_websocket_connection_send_text (conn->ws, hello);
}

static void
open_connection (Conn *conn)
{
  Bench *bench = conn->bench;
  g_autofree char *ws_url = g_strconcat (bench->tls ? "wss" : "ws", strchr (bench->url, ':'),
                                         "/v1/ws", NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", ws_url);

  g_signal_connect (message, "accept-certificate", G_CALLBACK (on_accept_certificate), bench);
  (*conn_pending (conn))++;
  soup_session_websocket_connect_async (conn_session (conn), message, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, connected_cb, conn);
}

/* Opens @conns (on the calling thread's context, which @pending counts for). */
static void
open_conns (GPtrArray    *conns,
            GMainContext *context,
            guint        *pending)
{
  guint next = 0;

  gint64 start = g_get_monotonic_time ();
  gint64 last_report = start;

  /* Handshakes in flight are bounded, so a slow server is measured rather than flooded. */
  while (next < conns->len || *pending > 0)
    {
      while (next < conns->len && *pending < OPEN_IN_FLIGHT)
        open_connection (g_ptr_array_index (conns, next++));
      g_main_context_iteration (context, TRUE);
      if (g_get_monotonic_time () - last_report > 5 * G_USEC_PER_SEC)
        {
          last_report = g_get_monotonic_time ();
          g_printerr ("  %u opened, %u in progress\n", next - *pending, *pending);
        }
    }
  g_printerr ("%u opened in %.1f s\n", conns->len, (g_get_monotonic_time () - start) / 1e6);
}

static void
open_connections (Bench *bench)
{
  open_conns (bench->conns, NULL, &bench->pending);
  g_printerr ("%u failed\n", bench->failures);
}

static Conn *
conn_new (Bench      *bench,
          guint       index,
          const char *username,
          const char *peer)
{
  Conn *conn = g_new0 (Conn, 1);

  conn->bench = bench;
  conn->index = index;
  conn->username = g_strdup (username);
  if (peer != NULL)
    {
      conn->peer = g_strdup (peer);
      conn->conv = strcmp (username, peer) < 0 ? g_strdup_printf ("dm:%s:%s", username, peer)
                                               : g_strdup_printf ("dm:%s:%s", peer, username);
    }
  return conn;
}

static void
conn_free (Conn *conn)
{
  if (conn->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (conn->ws, conn);
      if (soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (conn->ws);
    }
  g_free (conn->username);
  g_free (conn->peer);
  g_free (conn->conv);
  g_free (conn->token);
  g_free (conn);
}

/* --- Modes ---------------------------------------------------------------------------------- */

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
percentile_ms (GArray *sorted,
               double  p)
{
  guint i;

  if (sorted->len == 0)
    return 0;
  i = (guint) (p * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, gint64, i) / 1000.0;
}

static gboolean
rate_tick (gpointer user_data)
{
  Bench *bench = user_data;
  gint64 elapsed = g_get_monotonic_time () - bench->rate_start;
  guint64 due = (guint64) ((double) elapsed * bench->rate / G_USEC_PER_SEC);

  /* Catch up with the schedule, round robin over the connections (a room's senders). */
  while (bench->rate_sent < due)
    {
      Conn *conn = g_ptr_array_index (bench->conns, bench->rate_next);
      guint n = bench->room > 0 ? bench->senders : bench->conns->len;

      bench->rate_next = (bench->rate_next + 1) % n;
      send_message (conn);
      bench->rate_sent++;
    }
  return G_SOURCE_CONTINUE;
}

static void
run_messaging (Bench *bench)
{
  g_autoptr(GArray) sorted = NULL;
  guint tick = 0;
  gint64 elapsed;
  guint64 rss;

  for (guint i = 0; i < bench->connections; i++)
    {
      g_autofree char *me = g_strdup_printf ("bench%05u", i);
      g_autofree char *peer = g_strdup_printf ("bench%05u", i ^ 1);

      g_ptr_array_add (bench->conns, conn_new (bench, i, me, peer));
    }
  g_printerr ("creating %u accounts...\n", bench->connections);
  make_accounts (bench, bench->connections);
  g_printerr ("opening %u connections...\n", bench->connections);
  open_connections (bench);
  /* Each connection's replay and synced come right after its hello; let them pass. */
  run_for (500);

  if (bench->rate > 0)
    {
      bench->rate_start = g_get_monotonic_time ();
      tick = g_timeout_add (1, rate_tick, bench);
    }
  else
    {
      for (guint i = 0; i < bench->conns->len; i++)
        for (guint w = 0; w < bench->window; w++)
          send_message (g_ptr_array_index (bench->conns, i));
    }

  run_for (bench->warmup_s * 1000);
  bench->measuring = TRUE;
  bench->measure_start = g_get_monotonic_time ();
  run_for (bench->duration_s * 1000);
  bench->measuring = FALSE;
  elapsed = g_get_monotonic_time () - bench->measure_start;
  rss = server_rss_kib (bench);

  bench->stopping = TRUE;
  if (tick != 0)
    g_source_remove (tick);

  sorted = g_array_copy (bench->latencies);
  g_array_sort (sorted, compare_gint64);
  printf ("mode: %s%s, connections: %u, %s: %u, duration: %.1f s\n",
          bench->rate > 0 ? "fixed rate" : "throughput", bench->tls ? " (TLS)" : " (plain)",
          bench->connections, bench->rate > 0 ? "rate" : "window",
          bench->rate > 0 ? bench->rate : bench->window, elapsed / 1e6);
  printf ("durable messages/s: %.0f\n", bench->acked * 1e6 / elapsed);
  printf ("delivered messages/s: %.0f\n", bench->received * 1e6 / elapsed);
  printf ("delivery latency ms: p50 %.2f  p99 %.2f  p999 %.2f  max %.2f  (n=%u)\n",
          percentile_ms (sorted, 0.50), percentile_ms (sorted, 0.99),
          percentile_ms (sorted, 0.999), percentile_ms (sorted, 1.0), sorted->len);
  printf ("error responses: %" G_GUINT64_FORMAT "\n", bench->errors);
  printf ("server RSS: %.1f MiB\n", rss / 1024.0);
}

static void
run_idle (Bench *bench)
{
  guint users = MIN (bench->users, bench->idle);
  g_autoptr(GPtrArray) accounts = g_ptr_array_new ();
  guint64 before;
  guint64 after;
  guint ready = 0;

  for (guint i = 0; i < users; i++)
    {
      g_autofree char *me = g_strdup_printf ("idle%05u", i);

      g_ptr_array_add (bench->conns, conn_new (bench, i, me, NULL));
    }
  g_printerr ("creating %u accounts...\n", users);
  make_accounts (bench, users);
  for (guint i = 0; i < users; i++)
    g_ptr_array_add (accounts, g_ptr_array_index (bench->conns, i));

  /* A token may serve several connections: the rest reuse the accounts' tokens. */
  for (guint i = users; i < bench->idle; i++)
    {
      Conn *account = g_ptr_array_index (accounts, i % users);
      Conn *conn = conn_new (bench, i, account->username, NULL);

      conn->token = g_strdup (account->token);
      g_ptr_array_add (bench->conns, conn);
    }

  run_for (300);
  before = server_rss_kib (bench);
  g_printerr ("opening %u connections...\n", bench->idle);
  open_connections (bench);
  run_for (2000);
  after = server_rss_kib (bench);
  for (guint i = 0; i < bench->conns->len; i++)
    ready += ((Conn *) g_ptr_array_index (bench->conns, i))->ready;

  printf ("mode: idle%s, authenticated connections: %u (users: %u)\n",
          bench->tls ? " (TLS)" : " (plain)", ready, users);
  printf ("server RSS: %.1f MiB before, %.1f MiB with the connections (%.1f KiB each)\n",
          before / 1024.0, after / 1024.0,
          ready > 0 ? (double) (after - before) / ready : 0.0);
  bench->stopping = TRUE;
}

static SoupSession *
new_session (void)
{
  /* No system trust store: the bench accepts exactly its server's certificate
   * (on_accept_certificate), and glib-networking would otherwise load the whole store for every
   * TLS connection, about 4 MiB each. */
  return soup_session_new_with_options ("max-conns", 1 << 20,
                                        "max-conns-per-host", 1 << 20,
                                        "timeout", 120,
                                        "tls-database", NULL,
                                        NULL);
}

static gpointer
reader_thread (gpointer data)
{
  Reader *reader = data;
  Bench *bench = reader->bench;
  gboolean done = FALSE;
  GSource *timeout;

  g_main_context_push_thread_default (reader->context);
  reader->session = new_session ();
  open_conns (reader->conns, reader->context, &reader->pending);
  g_atomic_int_inc (&bench->readers_ready);
  while (!g_atomic_int_get (&bench->readers_stop))
    g_main_context_iteration (reader->context, TRUE);

  /* Close the connections here, on the context they belong to. */
  for (guint i = 0; i < reader->conns->len; i++)
    {
      Conn *conn = g_ptr_array_index (reader->conns, i);

      if (conn->ws == NULL)
        continue;
      g_signal_handlers_disconnect_by_data (conn->ws, conn);
      if (soup_websocket_connection_get_state (conn->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    }
  timeout = g_timeout_source_new (200);
  g_source_set_callback (timeout, wake_cb, &done, NULL);
  g_source_attach (timeout, reader->context);
  g_source_unref (timeout);
  while (!done)
    g_main_context_iteration (reader->context, TRUE);
  for (guint i = 0; i < reader->conns->len; i++)
    g_clear_object (&((Conn *) g_ptr_array_index (reader->conns, i))->ws);
  g_clear_object (&reader->session);
  g_main_context_pop_thread_default (reader->context);
  return NULL;
}

/* Room mode: the first @senders connections (the owner among them) stay on this thread; the
 * others are dealt out to the reader threads, which open them. */
static void
start_readers (Bench     *bench,
               GPtrArray *own)
{
  guint listeners = bench->room - bench->senders;
  guint threads = MIN (bench->threads, listeners);

  bench->readers = g_ptr_array_new ();
  for (guint t = 0; t < threads; t++)
    {
      Reader *reader = g_new0 (Reader, 1);

      reader->bench = bench;
      reader->context = g_main_context_new ();
      reader->conns = g_ptr_array_new ();
      reader->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_ptr_array_add (bench->readers, reader);
    }
  for (guint i = 0; i < bench->conns->len; i++)
    {
      Conn *conn = g_ptr_array_index (bench->conns, i);

      if (i < bench->senders || threads == 0)
        {
          g_ptr_array_add (own, conn);
          continue;
        }
      conn->reader = g_ptr_array_index (bench->readers, (i - bench->senders) % threads);
      g_ptr_array_add (conn->reader->conns, conn);
    }
  for (guint t = 0; t < threads; t++)
    {
      Reader *reader = g_ptr_array_index (bench->readers, t);

      reader->thread = g_thread_new ("confab-bench-reader", reader_thread, reader);
    }
}

/* Stops the reader threads and adds what they counted to the bench's figures. */
static void
stop_readers (Bench *bench)
{
  if (bench->readers == NULL)
    return;
  g_atomic_int_set (&bench->readers_stop, 1);
  for (guint t = 0; t < bench->readers->len; t++)
    g_main_context_wakeup (((Reader *) g_ptr_array_index (bench->readers, t))->context);
  for (guint t = 0; t < bench->readers->len; t++)
    {
      Reader *reader = g_ptr_array_index (bench->readers, t);

      g_thread_join (reader->thread);
      bench->received += reader->received;
      g_main_context_unref (reader->context);
      g_ptr_array_unref (reader->conns);
      g_hash_table_unref (reader->counts);
      g_free (reader);
    }
  g_clear_pointer (&bench->readers, g_ptr_array_unref);
}

static gboolean
all_acked (Bench *bench)
{
  return bench->total_acked + bench->errors >= bench->messages;
}

/* One room of N members, each on a connection of their own; S of them send into it. */
static void
run_room (Bench *bench)
{
  g_autoptr(GString) create = g_string_new (NULL);
  g_autoptr(GArray) sorted = NULL;
  g_autoptr(GPtrArray) own = g_ptr_array_new ();
  Conn *owner;
  guint tick = 0;
  gint64 elapsed;
  gint64 deadline;
  gint64 server_cpu = 0;
  gint64 own_cpu = 0;
  guint64 rss;

  for (guint i = 0; i < bench->room; i++)
    {
      g_autofree char *me = g_strdup_printf ("room%05u", i);

      g_ptr_array_add (bench->conns, conn_new (bench, i, me, NULL));
    }
  g_printerr ("creating %u accounts...\n", bench->room);
  make_accounts (bench, bench->room);
  g_printerr ("opening %u connections...\n", bench->room);
  start_readers (bench, own);
  open_conns (own, NULL, &bench->pending);
  while ((guint) g_atomic_int_get (&bench->readers_ready) < bench->readers->len)
    run_for (20);
  g_printerr ("%u failed\n", bench->failures);
  if (bench->failures > 0)
    g_error ("connections failed");
  run_for (500);

  owner = g_ptr_array_index (bench->conns, 0);
  g_string_append (create, "{\"type\":\"room_create\",\"id\":\"room\",\"name\":\"Bench\","
                   "\"visibility\":\"public\",\"members\":[");
  for (guint i = 1; i < bench->room; i++)
    g_string_append_printf (create, "%s\"room%05u\"", i > 1 ? "," : "", i);
  g_string_append (create, "]}");
  bench->pending++;
  soup_websocket_connection_send_text (owner->ws, create->str);
  while (bench->pending > 0)
    g_main_context_iteration (NULL, TRUE);
  if (bench->room_conv == NULL)
    g_error ("no room");
  for (guint i = 0; i < bench->conns->len; i++)
    {
      Conn *conn = g_ptr_array_index (bench->conns, i);

      conn->conv = g_strdup (bench->room_conv);
    }
  /* Everyone hears of the room and its first line before the clock starts. */
  run_for (2000);

  if (bench->messages > 0)
    {
      bench->measuring = TRUE;
      bench->measure_start = g_get_monotonic_time ();
      server_cpu = server_cpu_us (bench);
      own_cpu = self_cpu_us ();
    }
  if (bench->rate > 0)
    {
      bench->rate_start = g_get_monotonic_time ();
      tick = g_timeout_add (1, rate_tick, bench);
    }
  else
    {
      for (guint i = 0; i < bench->senders; i++)
        for (guint w = 0; w < bench->window; w++)
          send_message (g_ptr_array_index (bench->conns, i));
    }

  if (bench->messages > 0)
    {
      deadline = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;
      while (!all_acked (bench) && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
      /* The last receipts. */
      run_for (1000);
    }
  else
    {
      run_for (bench->warmup_s * 1000);
      bench->measuring = TRUE;
      bench->measure_start = g_get_monotonic_time ();
      server_cpu = server_cpu_us (bench);
      own_cpu = self_cpu_us ();
      run_for (bench->duration_s * 1000);
    }
  g_atomic_int_set (&bench->measuring, FALSE);
  elapsed = g_get_monotonic_time () - bench->measure_start;
  server_cpu = server_cpu_us (bench) - server_cpu;
  own_cpu = self_cpu_us () - own_cpu;
  rss = server_rss_kib (bench);
  bench->stopping = TRUE;
  if (tick != 0)
    g_source_remove (tick);
  stop_readers (bench);

  sorted = g_array_copy (bench->latencies);
  g_array_sort (sorted, compare_gint64);
  printf ("mode: room%s, members and connections: %u, senders: %u, %s: %u, reader threads: %u,"
          " duration: %.1f s\n",
          bench->tls ? " (TLS)" : " (plain)", bench->room, bench->senders,
          bench->rate > 0 ? "rate" : "window", bench->rate > 0 ? bench->rate : bench->window,
          bench->threads, elapsed / 1e6);
  printf ("durable messages/s: %.0f\n", bench->acked * 1e6 / elapsed);
  printf ("deliveries/s (messages x members reached): %.0f\n", bench->received * 1e6 / elapsed);
  printf ("send to last member ms: p50 %.2f  p99 %.2f  p999 %.2f  max %.2f  (n=%u)\n",
          percentile_ms (sorted, 0.50), percentile_ms (sorted, 0.99),
          percentile_ms (sorted, 0.999), percentile_ms (sorted, 1.0), sorted->len);
  printf ("messages sent: %" G_GUINT64_FORMAT ", error responses: %" G_GUINT64_FORMAT "\n",
          bench->total_sent, bench->errors);
  printf ("CPU while measured: server %.2f s (%.1f us per delivery), load generator %.2f s "
          "(%.1f us per delivery)\n",
          server_cpu / 1e6, bench->received > 0 ? (double) server_cpu / bench->received : 0.0,
          own_cpu / 1e6, bench->received > 0 ? (double) own_cpu / bench->received : 0.0);
  printf ("server RSS: %.1f MiB\n", rss / 1024.0);
}

static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  Bench bench = { 0 };
  int connections = 32;
  int window = 64;
  int duration = 10;
  int warmup = 2;
  int rate = 0;
  int idle = 0;
  int users = 100;
  int body = 64;
  int room = 0;
  int senders = 4;
  int threads = 2;
  gint64 messages = 0;
  const GOptionEntry entries[] = {
    { "connections", 'c', 0, G_OPTION_ARG_INT, &connections, "Connections, in pairs", "N" },
    { "window", 'w', 0, G_OPTION_ARG_INT, &window, "Sends in flight per connection", "W" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &duration, "Seconds measured", "S" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Seconds before measuring", "S" },
    { "rate", 'r', 0, G_OPTION_ARG_INT, &rate, "Fixed total rate, messages/s", "R" },
    { "idle", 'i', 0, G_OPTION_ARG_INT, &idle, "Open N idle authenticated connections", "N" },
    { "users", 'u', 0, G_OPTION_ARG_INT, &users, "Accounts the idle connections share", "U" },
    { "body", 'b', 0, G_OPTION_ARG_INT, &body, "Message body bytes", "B" },
    { "room", 0, 0, G_OPTION_ARG_INT, &room, "One room of N members, a connection each", "N" },
    { "senders", 0, 0, G_OPTION_ARG_INT, &senders, "Members who send into the room", "S" },
    { "messages", 0, 0, G_OPTION_ARG_INT64, &messages, "Room: send this many, then stop", "M" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      "Room: reader threads for the members who only listen (0: all on one thread)", "T" },
    { "tls", 0, 0, G_OPTION_ARG_NONE, &bench.tls, "Use TLS", NULL },
    { "url", 0, 0, G_OPTION_ARG_STRING, &bench.url, "An already running server", "URL" },
    { "pid", 0, 0, G_OPTION_ARG_INT, &bench.pid, "Its process id, for RSS", "PID" },
    { "confabd", 0, 0, G_OPTION_ARG_FILENAME, &bench.confabd, "The server to start", "PATH" },
    { NULL }
  };

  context = g_option_context_new ("- load confabd and measure it");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  bench.connections = MAX (2, connections & ~1);
  bench.window = MAX (1, window);
  bench.duration_s = MAX (1, duration);
  bench.warmup_s = MAX (0, warmup);
  bench.rate = MAX (0, rate);
  bench.idle = MAX (0, idle);
  bench.users = MAX (1, users);
  bench.body_pad = g_strnfill (MAX (0, body), 'x');
  bench.room = room > 0 ? CLAMP (room, 2, 1000) : 0;
  bench.senders = CLAMP (senders, 1, MAX (1, (int) bench.room));
  bench.messages = MAX (0, messages);
  bench.threads = bench.room > 0 ? (guint) CLAMP (threads, 0, 64) : 0;
  if (bench.room > 0)
    bench.threads = MIN (bench.threads, bench.room - bench.senders);
  bench.fanout = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  bench.conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  bench.latencies = g_array_sized_new (FALSE, FALSE, sizeof (gint64), 1 << 20);
  if (bench.confabd == NULL)
    bench.confabd = g_strdup (g_getenv ("CONFABD") != NULL ? g_getenv ("CONFABD") : CONFABD_PATH);

  raise_fd_limit ();
  bench.session = new_session ();

  if (bench.url == NULL)
    start_server (&bench);
  g_printerr ("server %s (pid %d)\n", bench.url, bench.pid);

  if (bench.idle > 0)
    run_idle (&bench);
  else if (bench.room > 0)
    run_room (&bench);
  else
    run_messaging (&bench);

  g_ptr_array_unref (bench.conns);
  run_for (200);
  stop_server (&bench);
  if (bench.room > 0 && bench.data_bytes > 0)
    printf ("data directory after stopping: %" G_GUINT64_FORMAT " bytes\n", bench.data_bytes);
  g_hash_table_unref (bench.fanout);
  g_object_unref (bench.session);
  g_array_unref (bench.latencies);
  return 0;
}
