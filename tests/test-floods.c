/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confabd under floods from one peer, on the real server, TLS and plain: idle connections that
 * never send a request, connections opened and aborted by the thousand. Another client must
 * still get in, and the server must not keep what the flood leaves behind. */
#include "config.h"

#include "confab-test-util.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define IDLE_SOCKETS 5000
#define MAX_PENDING  1000
#define ABORT_ROUNDS 2000
/* 2 000 aborted connections used to keep ~22 KiB each (44 MiB); allocator noise is far below. */
#define ABORT_RSS_BOUND_KIB (12 * 1024)

static guint16
server_port (ConfabTestServer *server)
{
  g_autoptr(GUri) uri = g_uri_parse (confab_test_server_get_url (server), G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return (guint16) g_uri_get_port (uri);
}

static void
raise_fd_limit (void)
{
  struct rlimit limit;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  limit.rlim_cur = limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  if (limit.rlim_cur < IDLE_SOCKETS + 256)
    g_test_message ("only %lu files may be open: fewer idle sockets",
                    (unsigned long) limit.rlim_cur);
}

/* A TCP connection to the server that sends nothing. -1 if none could be made. */
static int
open_idle (guint16 port)
{
  struct sockaddr_in address = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

static GArray *
open_many_idle (ConfabTestServer *server,
                guint             count)
{
  GArray *fds = g_array_new (FALSE, FALSE, sizeof (int));
  guint16 port = server_port (server);
  struct rlimit limit;

  getrlimit (RLIMIT_NOFILE, &limit);
  count = MIN (count, (guint) MIN (limit.rlim_cur - 256, G_MAXUINT));
  for (guint i = 0; i < count; i++)
    {
      int fd = open_idle (port);

      g_assert_cmpint (fd, >=, 0);
      g_array_append_val (fds, fd);
    }
  return fds;
}

static void
close_all (GArray *fds)
{
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  g_array_unref (fds);
}

/* The server closed @fd (end of stream or reset), without anything sent on it. */
static gboolean
closed_by_server (gpointer user_data)
{
  int fd = GPOINTER_TO_INT (user_data);
  char byte;
  gssize n = recv (fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);

  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

typedef struct
{
  ConfabTestServer *server;
  guint             limit;
} FdsBelow;

static gboolean
fds_below (gpointer user_data)
{
  FdsBelow *check = user_data;

  return confab_test_server_count_fds (check->server) <= check->limit;
}

/* A fresh client signs in (WebSocket upgrade and hello answered); the time goes to the log, for
 * docs/benchmarks.md, never into an assertion. */
static ConfabTestClient *
timed_client (ConfabTestServer *server,
              ConfabTestUser   *user,
              const char       *when)
{
  gint64 start = g_get_monotonic_time ();
  ConfabTestClient *client = confab_test_client_new (server, user->token, 0);

  g_test_message ("%s: a fresh client's hello answered in %.1f ms, confabd RSS %" G_GUINT64_FORMAT
                  " KiB", when, (g_get_monotonic_time () - start) / 1000.0,
                  confab_test_server_proc_status (server, "VmRSS"));
  return client;
}

/* --- Idle connections ------------------------------------------------------------------------- */

/* 5 000 connections that never send a byte (they used to hold one GLib thread each for their
 * TLS handshake, for ever): a fresh client still signs in, the server keeps no thread per
 * waiting handshake, and past the cap the oldest waiting connections are closed. */
static void
idle_flood (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  g_autofree char *config = g_strdup_printf ("[timeouts]\nfirst_request_ms=120000\n"
                                             "[limits]\nmax_pending_connections=%u\n",
                                             MAX_PENDING);
  g_autoptr(ConfabTestServer) server = tls ? confab_test_server_new_tls (NULL, config)
                                           : confab_test_server_new (NULL, config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(JsonObject) devices = NULL;
  FdsBelow check = { server, 0 };
  guint64 threads_before;
  guint fds_before;
  GArray *fds;

  raise_fd_limit ();
  threads_before = confab_test_server_proc_status (server, "Threads");
  fds_before = confab_test_server_count_fds (server);

  fds = open_many_idle (server, IDLE_SOCKETS);
  g_test_message ("%u idle connections open", fds->len);

  g_test_message ("before the flood: confabd RSS %" G_GUINT64_FORMAT " KiB",
                  confab_test_server_proc_status (server, "VmRSS"));
  client = timed_client (server, alice, tls ? "5 000 idle TCP connections, TLS"
                                            : "5 000 idle TCP connections, plain");
  g_assert_nonnull (confab_test_client_get_hello (client));
  devices = confab_test_client_call_ok (client, "devices", "{}");

  /* The handshakes that wait hold no thread. */
  g_assert_cmpuint (confab_test_server_proc_status (server, "Threads"), <=, threads_before + 2);

  /* Far more waiting connections than the cap: the oldest went. The deadline is two minutes
   * here, so only the cap can have closed them. */
  check.limit = fds_before + MAX_PENDING + 16;
  g_assert_true (confab_test_wait_until (fds_below, &check, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (closed_by_server (GINT_TO_POINTER (g_array_index (fds, int, 0))));

  /* The client that signed in is not pending: it stays. */
  g_assert_true (confab_test_client_is_open (client));
  g_clear_pointer (&devices, json_object_unref);
  devices = confab_test_client_call_ok (client, "devices", "{}");

  close_all (fds);
  confab_test_server_assert_running (server);
}

/* A connection that sends no request within first_request_ms is closed; one whose request came
 * stays open after that. */
static void
first_request_deadline (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  const char *config = "[timeouts]\nfirst_request_ms=1000\n";
  g_autoptr(ConfabTestServer) server = tls ? confab_test_server_new_tls (NULL, config)
                                           : confab_test_server_new (NULL, config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = confab_test_client_new (server, alice->token, 0);
  g_autoptr(JsonObject) devices = NULL;
  int idle = open_idle (server_port (server));

  g_assert_cmpint (idle, >=, 0);
  g_assert_true (confab_test_wait_until (closed_by_server, GINT_TO_POINTER (idle),
                                         CONFAB_TEST_TIMEOUT_MS));
  close (idle);

  g_assert_true (confab_test_client_is_open (client));
  devices = confab_test_client_call_ok (client, "devices", "{}");
  confab_test_server_assert_running (server);
}

/* --- Aborted connections ---------------------------------------------------------------------- */

/* Closes @fd with a reset, as a client that gives up does. */
static void
abort_socket (int fd)
{
  struct linger linger = { 1, 0 };

  setsockopt (fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
  close (fd);
}

/* One round: connect, get some way into TLS or HTTP, abort. Odd rounds stop mid-way. */
static void
abort_round (guint16                          port,
             gboolean                         tls,
             guint                            round,
             gnutls_certificate_credentials_t credentials)
{
  int fd = open_idle (port);

  g_assert_cmpint (fd, >=, 0);
  if (tls)
    {
      gnutls_session_t session;
      int rc;

      g_assert_cmpint (gnutls_init (&session, GNUTLS_CLIENT), ==, 0);
      g_assert_cmpint (gnutls_set_default_priority (session), ==, 0);
      g_assert_cmpint (gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, credentials), ==, 0);
      gnutls_transport_set_int (session, fd);
      gnutls_handshake_set_timeout (session, CONFAB_TEST_TIMEOUT_MS);
      if (round % 2 == 1)
        {
          /* The ClientHello alone. */
          gnutls_record_set_timeout (session, 1);
          gnutls_handshake_set_timeout (session, 1);
          rc = gnutls_handshake (session);
        }
      else
        {
          const char *request = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";

          do
            rc = gnutls_handshake (session);
          while (rc < 0 && !gnutls_error_is_fatal (rc));
          g_assert_cmpint (rc, ==, 0);
          gnutls_record_send (session, request, strlen (request));
        }
      gnutls_deinit (session);
    }
  else
    {
      const char *request = round % 2 == 1 ? "GET /v1/health HTTP/1.1\r\nHost:"
                                           : "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";

      g_assert_cmpint (send (fd, request, strlen (request), MSG_NOSIGNAL), >, 0);
    }
  abort_socket (fd);
}

static void
abort_rounds (ConfabTestServer *server,
              gboolean          tls,
              guint             rounds)
{
  gnutls_certificate_credentials_t credentials;
  guint16 port = server_port (server);

  g_assert_cmpint (gnutls_certificate_allocate_credentials (&credentials), ==, 0);
  for (guint i = 0; i < rounds; i++)
    abort_round (port, tls, i, credentials);
  gnutls_certificate_free_credentials (credentials);
}

/* 2 000 connections opened and aborted, at every stage: the server keeps nothing of them. */
static void
aborted_connections (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  g_autoptr(ConfabTestServer) server = tls ? confab_test_server_new_tls (NULL, NULL)
                                           : confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = NULL;
  FdsBelow check = { server, 0 };
  guint64 rss_before;
  guint64 rss_after;

  /* Warm up the allocator and the caches first: only growth after that counts. */
  check.limit = confab_test_server_count_fds (server);
  abort_rounds (server, tls, 200);
  g_assert_true (confab_test_wait_until (fds_below, &check, CONFAB_TEST_TIMEOUT_MS));
  rss_before = confab_test_server_proc_status (server, "VmRSS");

  abort_rounds (server, tls, ABORT_ROUNDS);
  g_assert_true (confab_test_wait_until (fds_below, &check, CONFAB_TEST_TIMEOUT_MS));
  rss_after = confab_test_server_proc_status (server, "VmRSS");
  g_test_message ("RSS %" G_GUINT64_FORMAT " KiB before %u aborted connections, %"
                  G_GUINT64_FORMAT " KiB after", rss_before, ABORT_ROUNDS, rss_after);
  g_assert_cmpuint (rss_after, <, rss_before + ABORT_RSS_BOUND_KIB);

  client = timed_client (server, alice, tls ? "after 2 000 aborted connections, TLS"
                                            : "after 2 000 aborted connections, plain");
  confab_test_server_assert_running (server);
}

/* --- Oversized bodies -------------------------------------------------------------------------- */

static gboolean
accept_any (GTlsConnection       *connection,
            GTlsCertificate      *certificate,
            GTlsCertificateFlags  errors,
            gpointer              user_data)
{
  return TRUE;
}

/* A connection to the server, TLS done if @tls. */
static GIOStream *
connect_stream (ConfabTestServer *server,
                gboolean          tls)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GIOStream *stream;

  g_socket_client_set_timeout (client, CONFAB_TEST_TIMEOUT_MS / 1000);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server_port (server), NULL,
                                                &error);
  g_assert_no_error (error);
  if (!tls)
    return G_IO_STREAM (g_steal_pointer (&connection));
  stream = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (stream, "accept-certificate", G_CALLBACK (accept_any), NULL);
  g_tls_connection_handshake (G_TLS_CONNECTION (stream), NULL, &error);
  g_assert_no_error (error);
  return stream;
}

/* Announces a 256 MiB body, sends 1 MiB of it unless refused first, returns the status. */
static guint
post_oversized (ConfabTestServer *server,
                gboolean          tls,
                const char       *chunk)
{
  g_autoptr(GIOStream) stream = connect_stream (server, tls);
  GOutputStream *output = g_io_stream_get_output_stream (stream);
  const char *headers = "POST /v1/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\nContent-Length: 268435456\r\n\r\n";
  char response[64] = { 0 };
  gsize got = 0;

  g_output_stream_write_all (output, headers, strlen (headers), NULL, NULL, NULL);
  for (guint i = 0; i < 16; i++)
    {
      if (!g_output_stream_write_all (output, chunk, 65536, NULL, NULL, NULL))
        break;  /* refused and closed: what matters is the answer */
    }
  g_input_stream_read_all (g_io_stream_get_input_stream (stream), response, sizeof response - 1,
                           &got, NULL, NULL);
  g_io_stream_close (stream, NULL, NULL);
  if (!g_str_has_prefix (response, "HTTP/1."))
    return 0;
  return (guint) g_ascii_strtoull (response + 9, NULL, 10);
}

/* 200 requests announcing 256 MiB bodies, each followed by 1 MiB of it: every one is refused
 * with 413 from its headers, and the server's memory does not grow with what was sent. */
static void
oversized_bodies (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  g_autoptr(ConfabTestServer) server = tls ? confab_test_server_new_tls (NULL, NULL)
                                           : confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = NULL;
  g_autofree char *chunk = g_strnfill (65536, 'x');
  guint64 rss_before;
  guint64 rss_after;

  g_assert_cmpuint (post_oversized (server, tls, chunk), ==, 413);
  rss_before = confab_test_server_proc_status (server, "VmRSS");
  for (guint i = 0; i < 200; i++)
    g_assert_cmpuint (post_oversized (server, tls, chunk), ==, 413);
  rss_after = confab_test_server_proc_status (server, "VmRSS");
  g_test_message ("200 bodies of 256 MiB announced, 1 MiB sent each: confabd RSS %" G_GUINT64_FORMAT
                  " KiB before, %" G_GUINT64_FORMAT " KiB after", rss_before, rss_after);
  g_assert_cmpuint (rss_after, <, rss_before + 16 * 1024);

  client = timed_client (server, alice, tls ? "after 200 oversized bodies, TLS"
                                            : "after 200 oversized bodies, plain");
  confab_test_server_assert_running (server);
}

/* --- One request per connection ------------------------------------------------------------- */

/* Every answer but a WebSocket upgrade says Connection: close and the server closes the
 * connection after it, and nothing of these connections stays once their clients have gone
 * (docs/protocol.md says why there is no keep-alive). */
static void
one_request_per_connection (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  g_autoptr(ConfabTestServer) server = tls ? confab_test_server_new_tls (NULL, NULL)
                                           : confab_test_server_new (NULL, NULL);
  FdsBelow check = { server, confab_test_server_count_fds (server) };

  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GIOStream) stream = connect_stream (server, tls);
      g_autoptr(GString) response = g_string_new (NULL);
      const char *request = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      char buffer[4096];
      gssize n;

      g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (stream), request,
                                                strlen (request), NULL, NULL, NULL));
      /* The answer, then the end of the stream: the server closed its side. Half of the clients
       * close theirs first, right after the answer's headers. */
      while ((n = g_input_stream_read (g_io_stream_get_input_stream (stream), buffer,
                                       sizeof buffer, NULL, NULL)) > 0)
        {
          g_string_append_len (response, buffer, n);
          if (i % 2 == 1 && strstr (response->str, "\r\n\r\n") != NULL)
            break;
        }
      g_assert_true (g_str_has_prefix (response->str, "HTTP/1.1 200"));
      g_assert_nonnull (strstr (response->str, "\r\nConnection: close\r\n"));
      g_io_stream_close (stream, NULL, NULL);
    }
  g_assert_true (confab_test_wait_until (fds_below, &check, CONFAB_TEST_TIMEOUT_MS));
  confab_test_server_assert_running (server);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_data_func ("/confab/server/floods/idle-tcp/tls", GINT_TO_POINTER (TRUE), idle_flood);
  g_test_add_data_func ("/confab/server/floods/idle-tcp/plain", GINT_TO_POINTER (FALSE),
                        idle_flood);
  g_test_add_data_func ("/confab/server/floods/first-request-deadline/tls",
                        GINT_TO_POINTER (TRUE), first_request_deadline);
  g_test_add_data_func ("/confab/server/floods/first-request-deadline/plain",
                        GINT_TO_POINTER (FALSE), first_request_deadline);
  g_test_add_data_func ("/confab/server/floods/aborted-connections/tls", GINT_TO_POINTER (TRUE),
                        aborted_connections);
  g_test_add_data_func ("/confab/server/floods/aborted-connections/plain",
                        GINT_TO_POINTER (FALSE), aborted_connections);
  g_test_add_data_func ("/confab/server/floods/oversized-bodies/tls", GINT_TO_POINTER (TRUE),
                        oversized_bodies);
  g_test_add_data_func ("/confab/server/floods/oversized-bodies/plain", GINT_TO_POINTER (FALSE),
                        oversized_bodies);
  g_test_add_data_func ("/confab/server/floods/one-request-per-connection/tls",
                        GINT_TO_POINTER (TRUE), one_request_per_connection);
  g_test_add_data_func ("/confab/server/floods/one-request-per-connection/plain",
                        GINT_TO_POINTER (FALSE), one_request_per_connection);
  return confab_test_run ();
}
