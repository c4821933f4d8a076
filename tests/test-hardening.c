/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confabd against a hostile or careless peer, from outside, on the real server: old TLS
 * versions refused, one server per data directory, files readable by confabd alone. */
#include "config.h"

#include "confab-test-util.h"

#include <gnutls/gnutls.h>
#include <string.h>
#include <sys/stat.h>

/* "host:port" of a server's URL. */
static char *
host_port (ConfabTestServer *server)
{
  g_autoptr(GUri) uri = g_uri_parse (confab_test_server_get_url (server), G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
}

/* A TLS handshake with @server offering only what @priority allows. Returns the protocol
 * negotiated, or GNUTLS_VERSION_UNKNOWN if the server refused. */
static gnutls_protocol_t
handshake_with (ConfabTestServer *server,
                const char       *priority)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = host_port (server);
  gnutls_certificate_credentials_t credentials = NULL;
  gnutls_session_t session = NULL;
  gnutls_protocol_t version = GNUTLS_VERSION_UNKNOWN;
  int rc;

  g_socket_client_set_timeout (socket_client, CONFAB_TEST_TIMEOUT_MS / 1000);
  connection = g_socket_client_connect_to_host (socket_client, address, 0, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (gnutls_certificate_allocate_credentials (&credentials), ==, 0);
  g_assert_cmpint (gnutls_init (&session, GNUTLS_CLIENT), ==, 0);
  g_assert_cmpint (gnutls_priority_set_direct (session, priority, NULL), ==, 0);
  g_assert_cmpint (gnutls_credentials_set (session, GNUTLS_CRD_CERTIFICATE, credentials), ==, 0);
  gnutls_transport_set_int (session,
                            g_socket_get_fd (g_socket_connection_get_socket (connection)));
  gnutls_handshake_set_timeout (session, CONFAB_TEST_TIMEOUT_MS);

  do
    rc = gnutls_handshake (session);
  while (rc < 0 && !gnutls_error_is_fatal (rc));
  if (rc == 0)
    version = gnutls_protocol_get_version (session);
  else
    g_test_message ("%s: %s", priority, gnutls_strerror (rc));

  gnutls_deinit (session);
  gnutls_certificate_free_credentials (credentials);
  return version;
}

static void
test_tls_versions (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new_tls (NULL, NULL);

  g_assert_cmpint (handshake_with (server, "NORMAL:-VERS-ALL:+VERS-TLS1.0"), ==,
                   GNUTLS_VERSION_UNKNOWN);
  g_assert_cmpint (handshake_with (server, "NORMAL:-VERS-ALL:+VERS-TLS1.1"), ==,
                   GNUTLS_VERSION_UNKNOWN);
  g_assert_cmpint (handshake_with (server, "NORMAL:-VERS-ALL:+VERS-TLS1.2"), ==, GNUTLS_TLS1_2);
  g_assert_cmpint (handshake_with (server, "NORMAL:-VERS-ALL:+VERS-TLS1.3"), ==, GNUTLS_TLS1_3);
  confab_test_server_assert_running (server);
}

/* confabd with @config_text refuses to start, saying something with @expected in it. */
static void
assert_start_refused (const char *name,
                      const char *config_text,
                      const char *expected)
{
  g_autofree char *data_dir = confab_test_make_dir (name);
  g_autofree char *config_path = g_build_filename (data_dir, "confabd.conf", NULL);
  const char *argv[] = { g_getenv ("CONFABD"), "--data-dir", data_dir, "--config", config_path,
                         "--listen", "127.0.0.1:0", NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_file_set_contents (config_path, config_text, -1, NULL));
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, expected));
}

/* A wrong priority string in the configuration stops the start with a clear message. */
static void
test_tls_priority_checked (void)
{
  assert_start_refused ("bad-priority", "[tls]\npriority=NORMAL:+VERS-NONSENSE\n", "priority");
}

/* A frame limit too small for a body of max_body_chars emoji stops the start. */
static void
test_frame_limit_checked (void)
{
  assert_start_refused ("small-frames", "[limits]\nmax_frame_bytes=65536\n", "max_frame_bytes");
  assert_start_refused ("long-bodies", "[limits]\nmax_body_chars=40000\n", "max_body_chars");
}

/* A web origin that is not one (a path, upper case, another scheme) stops the start. */
static void
test_cors_origins_checked (void)
{
  assert_start_refused ("cors-path", "[http]\ncors_origins=https://web.example.com/app\n",
                        "cors_origins");
  assert_start_refused ("cors-case", "[http]\ncors_origins=https://Web.example.com\n",
                        "cors_origins");
  assert_start_refused ("cors-scheme", "[http]\ncors_origins=ftp://web.example.com\n",
                        "cors_origins");
  assert_start_refused ("cors-any", "[http]\ncors_origins=*\n", "cors_origins");
}

typedef struct
{
  gboolean exited;
} Exit;

static void
second_exited_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Exit *exit = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  exit->exited = TRUE;
}

/* A second confabd on a data directory in use is refused at start, and the first goes on. */
static void
test_data_dir_lock (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GBytes) err_bytes = NULL;
  g_autoptr(GError) error = NULL;
  Exit exit = { FALSE };
  g_autofree char *err = NULL;

  second = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                             &error, g_getenv ("CONFABD"), "--data-dir",
                             confab_test_server_get_data_dir (server), "--listen", "127.0.0.1:0",
                             "--plain", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (second, NULL, second_exited_cb, &exit);
  if (!confab_test_wait_flag (&exit.exited, CONFAB_TEST_TIMEOUT_MS))
    {
      g_subprocess_force_exit (second);
      g_error ("a second confabd on the same data directory kept running");
    }
  g_assert_false (g_subprocess_get_successful (second));
  err_bytes = g_input_stream_read_bytes (g_subprocess_get_stderr_pipe (second), 4096, NULL,
                                         &error);
  g_assert_no_error (error);
  err = g_strndup (g_bytes_get_data (err_bytes, NULL), g_bytes_get_size (err_bytes));
  g_assert_nonnull (strstr (err, "another confabd is using the data directory"));

  confab_test_server_assert_running (server);
  alice = confab_test_user_new (server, "alice");
  g_assert_nonnull (alice->token);

  /* Once the first is gone, even killed, the directory is free again. */
  confab_test_server_kill (server);
  confab_test_server_start (server);
  confab_test_server_assert_running (server);
}

/* Every file under @dir is its owner's alone. Returns how many were looked at. */
static guint
assert_private_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint seen = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      struct stat st;

      g_assert_cmpint (lstat (path, &st), ==, 0);
      if ((st.st_mode & 077) != 0)
        g_error ("%s has mode %o", path, st.st_mode & 07777);
      seen++;
      if (S_ISDIR (st.st_mode))
        seen += assert_private_files (path);
    }
  return seen;
}

static void
test_private_files (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new_tls (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob G_GNUC_UNUSED = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) client = confab_test_client_new (server, alice->token, 0);
  g_autofree char *db = g_build_filename (confab_test_server_get_data_dir (server), "confab.db",
                                          NULL);
  g_autofree char *cmid = confab_test_uuid ();
  g_autoptr(JsonObject) result = NULL;

  result = confab_test_client_call_ok (client, "send",
                                       "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"%s\","
                                       "\"body\":\"hi\"}", cmid);
  g_assert_true (g_file_test (db, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (assert_private_files (confab_test_server_get_data_dir (server)), >=, 3);
}

/* Sends @request on a new plain connection and reads what comes back until the server closes
 * or CONFAB_TEST_TIMEOUT_MS pass. Returns the status, 0 if none came. */
static guint
send_raw (ConfabTestServer *server,
          const char       *request,
          gsize             length,
          char            **out_response)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  g_autofree char *address = host_port (server);
  char buffer[4096];
  gssize n;

  g_socket_client_set_timeout (socket_client, CONFAB_TEST_TIMEOUT_MS / 1000);
  connection = g_socket_client_connect_to_host (socket_client, address, 0, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             length, NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);
  if (error != NULL)
    g_test_message ("reading the response: %s", error->message);

  if (out_response != NULL)
    *out_response = g_strdup (response->str);
  if (!g_str_has_prefix (response->str, "HTTP/1."))
    return 0;
  return (guint) g_ascii_strtoull (response->str + 9, NULL, 10);
}

/* A body larger than any request takes is refused when its headers say so, without waiting for
 * it (a client announcing 99 999 999 999 999 bytes used to be read forever). */
static void
test_body_refused_at_headers (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  const char *request = "POST /v1/register HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: 99999999999999\r\n"
                        "\r\n";
  g_autofree char *response = NULL;

  g_assert_cmpuint (send_raw (server, request, strlen (request), &response), ==, 413);
  g_assert_nonnull (strstr (response, "\"too_large\""));
  confab_test_server_assert_running (server);
}

/* A chunked body is counted as it comes and refused once past the limit, before its end. */
static void
test_chunked_body_counted (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(GString) request = g_string_new ("POST /v1/register HTTP/1.1\r\n"
                                             "Host: 127.0.0.1\r\n"
                                             "Content-Type: application/json\r\n"
                                             "Transfer-Encoding: chunked\r\n"
                                             "\r\n");
  g_autofree char *chunk = g_strnfill (1024, 'x');
  g_autofree char *response = NULL;

  /* 65 KiB and no last chunk: only a server that counts answers before the body ends. */
  for (guint i = 0; i < 65; i++)
    g_string_append_printf (request, "400\r\n%s\r\n", chunk);
  g_assert_cmpuint (send_raw (server, request->str, request->len, &response), ==, 413);
  confab_test_server_assert_running (server);

  /* Small bodies still work, chunked or not. */
  {
    const char *small = "POST /v1/register HTTP/1.1\r\n"
                        "Host: 127.0.0.1\r\n"
                        "Content-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n"
                        "Connection: close\r\n"
                        "\r\n"
                        "38\r\n{\"username\":\"carol\",\"password\":\"a long enough password\"}\r\n"
                        "0\r\n\r\n";

    g_clear_pointer (&response, g_free);
    g_assert_cmpuint (send_raw (server, small, strlen (small), &response), ==, 201);
  }
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/server/hardening/tls-versions", test_tls_versions);
  g_test_add_func ("/confab/server/hardening/tls-priority-checked", test_tls_priority_checked);
  g_test_add_func ("/confab/server/hardening/frame-limit-checked", test_frame_limit_checked);
  g_test_add_func ("/confab/server/hardening/cors-origins-checked", test_cors_origins_checked);
  g_test_add_func ("/confab/server/hardening/data-dir-lock", test_data_dir_lock);
  g_test_add_func ("/confab/server/hardening/private-files", test_private_files);
  g_test_add_func ("/confab/server/hardening/body-refused-at-headers",
                   test_body_refused_at_headers);
  g_test_add_func ("/confab/server/hardening/chunked-body-counted", test_chunked_body_counted);
  return confab_test_run ();
}
