/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-test"

#include "config.h"

#include "confab-test-util.h"
#include "confab-fs.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Generous: the first start of a TLS server makes its certificate. */
#define SERVER_START_TIMEOUT_MS 30000
#define SERVER_STOP_TIMEOUT_MS  15000

static char *tmp_dir;
static gboolean run_failed;
static GPtrArray *live_servers;
static guint dir_counter;

/* --- Environment ---------------------------------------------------------------------------- */

/* Under `meson test --setup=asan`, LeakSanitizer checks the programs these tests start (confabd
 * exits on SIGTERM and must free everything), not this harness: at the exit of a long run such
 * as test-server, LeakSanitizer's own tracer crashes ("Tracer caught signal 11") while it
 * stops the harness's threads. AddressSanitizer and UBSan still check the harness. */
int __lsan_is_turned_off (void);

int
__lsan_is_turned_off (void)
{
  return 1;
}

static void
cleanup_at_exit (void)
{
  /* Servers a failed test left behind; a test that aborts leaves them to PR_SET_PDEATHSIG. */
  if (live_servers != NULL)
    {
      for (guint i = 0; i < live_servers->len; i++)
        {
          ConfabTestServer *server = g_ptr_array_index (live_servers, i);
          GPid pid = confab_test_server_get_pid (server);

          if (pid > 0)
            {
              kill (pid, SIGKILL);
              waitpid (pid, NULL, 0);
            }
        }
    }

  if (tmp_dir != NULL)
    {
      if (run_failed || g_getenv ("CONFAB_TEST_KEEP") != NULL)
        g_printerr ("# test files kept in %s\n", tmp_dir);
      else
        confab_fs_remove_tree (tmp_dir);
    }
}

static void
set_dir_env (const char *var,
             const char *name)
{
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

  g_mkdir_with_parents (path, 0700);
  g_setenv (var, path, TRUE);
}

/**
 * confab_test_init:
 *
 * g_test_init() plus a private temporary directory that HOME and the XDG directories point
 * into, so that nothing a test runs touches the real home.
 */
void
confab_test_init (int    *argc,
                  char ***argv)
{
  g_autoptr(GError) error = NULL;

  g_test_init (argc, argv, NULL);

  tmp_dir = g_dir_make_tmp ("confab-test-XXXXXX", &error);
  g_assert_no_error (error);
  set_dir_env ("HOME", "home");
  set_dir_env ("XDG_CONFIG_HOME", "home/.config");
  set_dir_env ("XDG_DATA_HOME", "home/.local/share");
  set_dir_env ("XDG_CACHE_HOME", "home/.cache");
  set_dir_env ("XDG_STATE_HOME", "home/.local/state");
  set_dir_env ("XDG_RUNTIME_DIR", "runtime");

  live_servers = g_ptr_array_new ();
  atexit (cleanup_at_exit);
}

/* g_test_run(); the temporary directory is kept when a test failed. */
int
confab_test_run (void)
{
  int ret;

  /* An abort skips this and keeps the directory too. */
  run_failed = TRUE;
  ret = g_test_run ();
  run_failed = ret != 0;
  return ret;
}

const char *
confab_test_get_tmp_dir (void)
{
  return tmp_dir;
}

/* A new, empty directory under the test's temporary directory. */
char *
confab_test_make_dir (const char *name)
{
  char *path = g_strdup_printf ("%s/%s-%u", tmp_dir, name, ++dir_counter);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/**
 * confab_test_wait_until:
 * @condition: what to wait for
 * @user_data: its argument
 * @timeout_ms: the deadline
 *
 * Runs the default main context until @condition holds or the deadline passes.
 *
 * Returns: whether @condition holds
 */
gboolean
confab_test_wait_until (ConfabTestCondition condition,
                        gpointer            user_data,
                        guint               timeout_ms)
{
  gboolean expired = FALSE;
  guint source;

  if (condition (user_data))
    return TRUE;

  source = g_timeout_add (timeout_ms, deadline_cb, &expired);
  while (!condition (user_data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (source);

  return condition (user_data);
}

static gboolean
flag_is_set (gpointer user_data)
{
  return *(const gboolean *) user_data;
}

gboolean
confab_test_wait_flag (const gboolean *flag,
                       guint           timeout_ms)
{
  return confab_test_wait_until (flag_is_set, (gpointer) flag, timeout_ms);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

/* Runs the main context for @ms: for checking that something does *not* happen. */
void
confab_test_drain (guint ms)
{
  confab_test_wait_until (never, NULL, ms);
}

static JsonObject *
parse_object (const char *text,
              gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, length, &error))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/**
 * confab_test_object:
 * @format: printf format of a JSON object
 *
 * Returns: (transfer full): the object; the test fails if the text is not one
 */
JsonObject *
confab_test_object (const char *format,
                    ...)
{
  g_autofree char *text = NULL;
  JsonObject *object;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  object = parse_object (text, strlen (text));
  if (object == NULL)
    g_error ("not a JSON object: %s", text);
  return object;
}

char *
confab_test_uuid (void)
{
  return g_uuid_string_random ();
}

char *
confab_test_to_string (JsonObject *object)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

/* --- The server ----------------------------------------------------------------------------- */

struct _ConfabTestServer
{
  char            *dir;
  char            *data_dir;
  char            *config_path;
  GStrv            extra_args;
  gboolean         tls;

  GSubprocess     *process;
  GDataInputStream *stdout_stream;
  GDataInputStream *stderr_stream;
  GString         *log;
  GCancellable    *cancellable;
  gboolean         exited;
  char            *url;
  char            *ws_url;
  char            *listen;

  SoupSession     *session;
  GTlsCertificate *certificate;
  guint            tls_checks;
};

static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  /* The server must not outlive a test that aborts on a failed assertion. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (1);
}

static ConfabTestServer *
server_new (const char * const *extra_args,
            const char         *config_text,
            gboolean            tls)
{
  ConfabTestServer *server = g_new0 (ConfabTestServer, 1);

  server->dir = confab_test_make_dir ("server");
  server->data_dir = g_build_filename (server->dir, "data", NULL);
  server->extra_args = g_strdupv ((char **) extra_args);
  server->tls = tls;
  if (config_text != NULL)
    {
      g_autoptr(GError) error = NULL;

      server->config_path = g_build_filename (server->dir, "confabd.conf", NULL);
      g_file_set_contents (server->config_path, config_text, -1, &error);
      g_assert_no_error (error);
    }
  server->session = soup_session_new ();
  server->log = g_string_new (NULL);
  soup_session_set_timeout (server->session, 30);
  g_ptr_array_add (live_servers, server);

  confab_test_server_start (server);
  return server;
}

/**
 * confab_test_server_new:
 * @extra_args: (nullable): more command-line arguments
 * @config_text: (nullable): the contents of a confabd.conf to pass with --config
 *
 * Starts the confabd named by $CONFABD with an empty data directory, plain HTTP on a free
 * loopback port, and waits until it says where it listens.
 */
ConfabTestServer *
confab_test_server_new (const char * const *extra_args,
                        const char         *config_text)
{
  return server_new (extra_args, config_text, FALSE);
}

/* The same with TLS and the self-signed certificate the server makes on first start. */
ConfabTestServer *
confab_test_server_new_tls (const char * const *extra_args,
                            const char         *config_text)
{
  return server_new (extra_args, config_text, TRUE);
}

static void
process_exited_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  *exited = TRUE;
}

typedef struct
{
  gboolean  done;
  char     *line;
  GError   *error;
} LineRead;

static void
line_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                          NULL, &read->error);
  read->done = TRUE;
}

static void
drain_stdout_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                    NULL, NULL);
  if (line == NULL)
    return;

  /* The server's stdout is read to the end so that it never blocks on a full pipe. */
  g_printerr ("# confabd: %s\n", line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (object), G_PRIORITY_DEFAULT,
                                       user_data, drain_stdout_cb, user_data);
}

static void
read_log_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  ConfabTestServer *server = user_data;
  g_autofree char *line = NULL;
  gsize length;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (object), result, &length,
                                               NULL);
  if (line == NULL)
    return;

  /* Kept for tests that check what the server logs, and passed on to the test's log. */
  g_string_append_len (server->log, line, length);
  g_string_append_c (server->log, '\n');
  if (g_getenv ("CONFAB_TEST_QUIET") == NULL)
    g_printerr ("%s\n", line);
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (object), G_PRIORITY_DEFAULT,
                                       server->cancellable, read_log_cb, server);
}

static gboolean
line_read_or_exited (gpointer user_data)
{
  ConfabTestServer *server = ((gpointer *) user_data)[0];
  LineRead *read = ((gpointer *) user_data)[1];

  return read->done || server->exited;
}

void
confab_test_server_start (ConfabTestServer *server)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *confabd = g_getenv ("CONFABD");
  const char *server_debug = g_getenv ("CONFAB_TEST_SERVER_G_DEBUG");
  GInputStream *out;

  g_assert_null (server->process);
  if (confabd == NULL)
    g_error ("CONFABD is not set; run the tests through meson test");

  g_ptr_array_add (argv, (char *) confabd);
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, server->data_dir);
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, server->listen != NULL ? server->listen : (char *) "127.0.0.1:0");
  if (!server->tls)
    g_ptr_array_add (argv, (char *) "--plain");
  if (server->config_path != NULL)
    {
      g_ptr_array_add (argv, (char *) "--config");
      g_ptr_array_add (argv, server->config_path);
    }
  for (guint i = 0; server->extra_args != NULL && server->extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, server->extra_args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()),
                                         NULL);
  /* A warning about a misbehaving client is the server's right; a critical is a bug. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG",
                                server_debug != NULL ? server_debug : "fatal-criticals", TRUE);

  server->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                  &error);
  g_assert_no_error (error);
  server->exited = FALSE;
  server->cancellable = g_cancellable_new ();
  g_subprocess_wait_async (server->process, NULL, process_exited_cb, &server->exited);

  out = g_subprocess_get_stdout_pipe (server->process);
  server->stdout_stream = g_data_input_stream_new (out);
  server->stderr_stream = g_data_input_stream_new (g_subprocess_get_stderr_pipe (server->process));
  g_data_input_stream_read_line_async (server->stderr_stream, G_PRIORITY_DEFAULT,
                                       server->cancellable, read_log_cb, server);

  for (;;)
    {
      LineRead read = { 0 };
      gpointer both[2] = { server, &read };

      g_data_input_stream_read_line_async (server->stdout_stream, G_PRIORITY_DEFAULT,
                                           server->cancellable, line_read_cb, &read);
      if (!confab_test_wait_until (line_read_or_exited, both, SERVER_START_TIMEOUT_MS))
        g_error ("confabd did not say where it listens within %u ms", SERVER_START_TIMEOUT_MS);
      /* Let a pending read finish before @read goes out of scope. */
      if (!read.done)
        {
          g_cancellable_cancel (server->cancellable);
          confab_test_wait_flag (&read.done, SERVER_START_TIMEOUT_MS);
        }
      if (read.line == NULL)
        {
          confab_test_wait_flag (&server->exited, SERVER_STOP_TIMEOUT_MS);
          g_error ("confabd exited before listening (status %d)",
                   g_subprocess_get_status (server->process));
        }
      if (g_str_has_prefix (read.line, "listening on "))
        {
          g_autofree char *line = read.line;
          const char *url = line + strlen ("listening on ");
          gsize len = strlen (url);

          g_clear_error (&read.error);
          while (len > 0 && url[len - 1] == '/')
            len--;
          g_free (server->url);
          server->url = g_strndup (url, len);
          break;
        }
      g_printerr ("# confabd: %s\n", read.line);
      g_free (read.line);
      g_clear_error (&read.error);
    }

  g_assert_true (g_str_has_prefix (server->url, server->tls ? "https://" : "http://"));
  /* Started again, it listens where it did, as a restarted server does: clients reconnect. */
  if (server->listen == NULL)
    {
      uri = g_uri_parse (server->url, G_URI_FLAGS_NONE, &error);
      g_assert_no_error (error);
      server->listen = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
    }
  g_free (server->ws_url);
  server->ws_url = g_strconcat (server->tls ? "wss" : "ws", strchr (server->url, ':'), "/v1/ws",
                                NULL);

  g_data_input_stream_read_line_async (server->stdout_stream, G_PRIORITY_DEFAULT,
                                       server->cancellable, drain_stdout_cb, server->cancellable);

  if (server->tls)
    {
      g_autofree char *cert_path = g_build_filename (server->data_dir, "tls", "cert.pem", NULL);

      g_clear_object (&server->certificate);
      server->certificate = g_tls_certificate_new_from_file (cert_path, &error);
      g_assert_no_error (error);
    }
}

static void
server_wait_exit (ConfabTestServer *server)
{
  if (!confab_test_wait_flag (&server->exited, SERVER_STOP_TIMEOUT_MS))
    {
      g_subprocess_force_exit (server->process);
      confab_test_wait_flag (&server->exited, SERVER_STOP_TIMEOUT_MS);
      g_error ("confabd did not stop within %u ms of SIGTERM", SERVER_STOP_TIMEOUT_MS);
    }
}

static void
server_forget_process (ConfabTestServer *server)
{
  /* What the server wrote last matters most when it died: read to the end first. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_cancellable_cancel (server->cancellable);
  g_clear_object (&server->stdout_stream);
  g_clear_object (&server->stderr_stream);
  g_clear_object (&server->process);
  g_clear_object (&server->cancellable);
}

/* SIGTERM: the server must stop cleanly (exit status 0) within the deadline. */
void
confab_test_server_stop (ConfabTestServer *server)
{
  g_assert_nonnull (server->process);
  confab_test_server_assert_running (server);

  g_subprocess_send_signal (server->process, SIGTERM);
  server_wait_exit (server);
  if (!g_subprocess_get_if_exited (server->process)
      || g_subprocess_get_exit_status (server->process) != 0)
    g_error ("confabd did not exit cleanly on SIGTERM (wait status 0x%x)",
             g_subprocess_get_status (server->process));
  server_forget_process (server);
}

/* SIGKILL: as if the machine lost power as far as the process is concerned. */
void
confab_test_server_kill (ConfabTestServer *server)
{
  g_assert_nonnull (server->process);

  g_subprocess_send_signal (server->process, SIGKILL);
  server_wait_exit (server);
  server_forget_process (server);
}

void
confab_test_server_set_config (ConfabTestServer *server,
                               const char       *config_text)
{
  g_autoptr(GError) error = NULL;

  if (config_text == NULL)
    {
      g_clear_pointer (&server->config_path, g_free);
      return;
    }
  if (server->config_path == NULL)
    server->config_path = g_build_filename (server->dir, "confabd.conf", NULL);
  g_file_set_contents (server->config_path, config_text, -1, &error);
  g_assert_no_error (error);
}

/* Starts it again on the same data directory and port. */
void
confab_test_server_restart (ConfabTestServer *server)
{
  if (server->process != NULL)
    confab_test_server_stop (server);
  confab_test_server_start (server);
}

gboolean
confab_test_server_is_running (ConfabTestServer *server)
{
  return server->process != NULL && !server->exited;
}

void
confab_test_server_assert_running (ConfabTestServer *server)
{
  if (server->process == NULL)
    g_error ("confabd is not running");
  /* An exit may be waiting to be noticed. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (server->exited)
    g_error ("confabd died (wait status 0x%x)", g_subprocess_get_status (server->process));
}

void
confab_test_server_free (ConfabTestServer *server)
{
  if (server == NULL)
    return;

  if (server->process != NULL)
    {
      if (!server->exited)
        confab_test_server_stop (server);
      else
        server_forget_process (server);
    }

  g_ptr_array_remove (live_servers, server);
  g_clear_object (&server->session);
  g_clear_object (&server->certificate);
  g_string_free (server->log, TRUE);
  g_free (server->url);
  g_free (server->ws_url);
  g_free (server->listen);
  g_free (server->dir);
  g_free (server->data_dir);
  g_free (server->config_path);
  g_strfreev (server->extra_args);
  g_free (server);
}

const char *
confab_test_server_get_url (ConfabTestServer *server)
{
  return server->url;
}

const char *
confab_test_server_get_data_dir (ConfabTestServer *server)
{
  return server->data_dir;
}

static sqlite3 *
db_open (ConfabTestServer *server,
         int               flags)
{
  g_autofree char *path = g_build_filename (server->data_dir, "confab.db", NULL);
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (path, &db, flags, NULL) != SQLITE_OK)
    g_error ("opening %s: %s", path, sqlite3_errmsg (db));
  return db;
}

/* The first column of the first row of @sql on the server's database, read beside it. */
gint64
confab_test_server_db_int (ConfabTestServer *server,
                           const char       *sql)
{
  sqlite3 *db = db_open (server, SQLITE_OPEN_READONLY);
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK
      || sqlite3_step (stmt) != SQLITE_ROW)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* Runs @sql on the database of the server, which must be stopped (the server's own rules are
 * bypassed: for what no request can do yet, such as disabling an account). Returns the number
 * of rows the last statement changed. */
int
confab_test_server_db_exec (ConfabTestServer *server,
                            const char       *sql)
{
  sqlite3 *db;
  int changes;

  g_assert_null (server->process);
  db = db_open (server, SQLITE_OPEN_READWRITE);
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  changes = sqlite3_changes (db);
  sqlite3_close (db);
  return changes;
}

GPid
confab_test_server_get_pid (ConfabTestServer *server)
{
  const char *id;

  if (server->process == NULL || server->exited)
    return 0;
  id = g_subprocess_get_identifier (server->process);
  return id != NULL ? atoi (id) : 0;
}

/* From now on the server's HTTP and WebSocket clients connect from @local_address, one of the
 * loopback addresses (127.0.0.2, …), as someone elsewhere would; NULL for the default. */
void
confab_test_server_connect_from (ConfabTestServer *server,
                                 const char       *local_address)
{
  g_autoptr(GSocketAddress) address = NULL;

  if (local_address != NULL)
    address = g_inet_socket_address_new_from_string (local_address, 0);
  g_clear_object (&server->session);
  server->session = soup_session_new_with_options ("local-address", address, NULL);
  soup_session_set_timeout (server->session, 30);
}

/* A number from /proc/PID/status of the running server, e.g. "VmRSS" (in KiB) or "Threads". */
guint64
confab_test_server_proc_status (ConfabTestServer *server,
                                const char       *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status",
                                           (int) confab_test_server_get_pid (server));
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, key);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (key), NULL, 10);
}

/* How many files the running server has open. */
guint
confab_test_server_count_fds (ConfabTestServer *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd",
                                           (int) confab_test_server_get_pid (server));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* Everything the server wrote to stderr so far (all its runs). */
const char *
confab_test_server_get_log (ConfabTestServer *server)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return server->log->str;
}

SoupSession *
confab_test_server_get_session (ConfabTestServer *server)
{
  return server->session;
}

static gboolean
on_message_accept_certificate (SoupMessage          *message,
                               GTlsCertificate      *certificate,
                               GTlsCertificateFlags  errors,
                               gpointer              user_data)
{
  ConfabTestServer *server = user_data;

  /* Trust exactly the certificate the server wrote, as a client that pinned it would. */
  if (server->certificate == NULL || !g_tls_certificate_is_same (certificate, server->certificate))
    return FALSE;
  server->tls_checks++;
  return TRUE;
}

void
confab_test_server_trust (ConfabTestServer *server,
                          SoupMessage      *message)
{
  if (server->tls)
    g_signal_connect (message, "accept-certificate", G_CALLBACK (on_message_accept_certificate),
                      server);
}

/* How many times a peer certificate was checked against cert.pem and accepted. */
guint
confab_test_server_tls_checks (ConfabTestServer *server)
{
  return server->tls_checks;
}

/* --- HTTP ----------------------------------------------------------------------------------- */

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} HttpReply;

static void
http_sent_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  HttpReply *reply = user_data;

  reply->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &reply->error);
  reply->done = TRUE;
}

/**
 * confab_test_http:
 * @server: the server
 * @method: GET, POST, ...
 * @path: the path under the server's URL, such as `/v1/login`
 * @token: (nullable): a bearer token
 * @body: (nullable): a request body, sent as application/json
 * @out_json: (out) (optional) (transfer full): the reply if it is a JSON object
 * @out_body: (out) (optional) (transfer full): the reply as text
 *
 * Returns: the HTTP status
 */
guint
confab_test_http (ConfabTestServer  *server,
                  const char        *method,
                  const char        *path,
                  const char        *token,
                  const char        *body,
                  JsonObject       **out_json,
                  char             **out_body)
{
  g_autofree char *uri = g_strconcat (server->url, path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);
  HttpReply reply = { 0 };
  gsize length = 0;
  const char *data;

  g_assert_nonnull (message);
  confab_test_server_trust (server, message);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization",
                                    value);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (message, "application/json", bytes);
    }

  soup_session_send_and_read_async (server->session, message, G_PRIORITY_DEFAULT, NULL,
                                    http_sent_cb, &reply);
  if (!confab_test_wait_flag (&reply.done, CONFAB_TEST_TIMEOUT_MS * 3))
    g_error ("no HTTP reply to %s %s", method, path);
  if (reply.error != NULL)
    g_error ("HTTP %s %s failed: %s", method, path, reply.error->message);

  data = g_bytes_get_data (reply.body, &length);
  if (out_json != NULL)
    *out_json = length > 0 ? parse_object (data, length) : NULL;
  if (out_body != NULL)
    *out_body = g_strndup (data != NULL ? data : "", length);
  g_bytes_unref (reply.body);

  return soup_message_get_status (message);
}

/* The `error.code` of an HTTP error body, or NULL. */
const char *
confab_test_error_code (JsonObject *json)
{
  JsonObject *error;

  if (json == NULL || !json_object_has_member (json, "error"))
    return NULL;
  error = json_object_get_object_member (json, "error");
  if (error == NULL || !json_object_has_member (error, "code"))
    return NULL;
  return json_object_get_string_member (error, "code");
}

guint
confab_test_register (ConfabTestServer  *server,
                      const char        *username,
                      const char        *password,
                      JsonObject       **out_json)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\","
                                           "\"display_name\":\"User %s\"}",
                                           username, password, username);

  return confab_test_http (server, "POST", "/v1/register", NULL, body, out_json, NULL);
}

/* Logs in (the test fails otherwise) and returns the token. */
char *
confab_test_login (ConfabTestServer  *server,
                   const char        *username,
                   const char        *password,
                   char             **out_device_id)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\","
                                           "\"device_name\":\"test device\"}",
                                           username, password);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *text = NULL;
  guint status;

  status = confab_test_http (server, "POST", "/v1/login", NULL, body, &reply, &text);
  if (status != 200 || reply == NULL)
    g_error ("login of %s: HTTP %u %s", username, status, text);
  g_assert_true (json_object_has_member (reply, "token"));
  if (out_device_id != NULL)
    *out_device_id = g_strdup (json_object_get_string_member (reply, "device_id"));
  return g_strdup (json_object_get_string_member (reply, "token"));
}

/* Registers @username (password "pw-<username>-secret") and logs in. */
ConfabTestUser *
confab_test_user_new (ConfabTestServer *server,
                      const char       *username)
{
  ConfabTestUser *user = g_new0 (ConfabTestUser, 1);
  g_autoptr(JsonObject) reply = NULL;
  guint status;

  user->username = g_strdup (username);
  user->password = g_strdup_printf ("pw-%s-secret", username);
  status = confab_test_register (server, username, user->password, &reply);
  if (status != 201)
    g_error ("registering %s: HTTP %u %s", username, status,
             reply != NULL ? confab_test_error_code (reply) : "");
  user->token = confab_test_login (server, username, user->password, &user->device_id);
  return user;
}

void
confab_test_user_free (ConfabTestUser *user)
{
  if (user == NULL)
    return;
  g_free (user->username);
  g_free (user->password);
  g_free (user->token);
  g_free (user->device_id);
  g_free (user);
}

/**
 * confab_test_raw_http:
 * @server: a plain-HTTP server
 * @request: the request, bytes as they go on the wire
 * @out_response: (out) (optional) (transfer full): what came back
 *
 * Sends @request as it is, for what an HTTP library would clean up (dot segments, encodings).
 *
 * Returns: the status of the response, 0 if there was none
 */
guint
confab_test_raw_http (ConfabTestServer  *server,
                      const char        *request,
                      char             **out_response)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  const char *host_port = strstr (server->url, "://");
  char buffer[4096];
  gssize n;
  guint status = 0;

  g_assert_false (server->tls);
  g_socket_client_set_timeout (socket_client, CONFAB_TEST_TIMEOUT_MS / 1000);
  connection = g_socket_client_connect_to_host (socket_client, host_port + 3, 0, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);

  /* Requests carry "Connection: close", so the response ends when the server closes. */
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                   buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);
  g_clear_error (&error);

  if (g_str_has_prefix (response->str, "HTTP/1."))
    status = (guint) g_ascii_strtoull (response->str + 9, NULL, 10);
  if (out_response != NULL)
    *out_response = g_strdup (response->str);
  return status;
}

/* --- A WebSocket client --------------------------------------------------------------------- */

struct _ConfabTestClient
{
  ConfabTestServer        *server;
  SoupWebsocketConnection *conn;
  GHashTable              *responses;   /* id → GQueue of JsonObject */
  GHashTable              *counts;      /* id → number of responses seen */
  GQueue                   null_id;     /* error responses without an id */
  GQueue                   events;
  gboolean                 closed;
  gushort                  close_code;
  guint                    next_id;
  JsonObject              *hello;
};

static void
queue_free (gpointer data)
{
  g_queue_free_full (data, (GDestroyNotify) json_object_unref);
}

static void
on_connection_message (SoupWebsocketConnection *conn,
                       gint                     type,
                       GBytes                  *message,
                       gpointer                 user_data)
{
  ConfabTestClient *client = user_data;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  g_autoptr(JsonObject) frame = NULL;
  const char *frame_type;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    g_error ("the server sent a binary frame");
  frame = parse_object (data, length);
  if (frame == NULL)
    g_error ("the server sent a frame that is not a JSON object: %.*s", (int) length, data);
  if (g_getenv ("CONFAB_TEST_TRACE") != NULL)
    g_printerr ("# <- %.*s\n", (int) MIN (length, 400), data);

  frame_type = json_object_get_string_member_with_default (frame, "type", "");
  if (g_str_equal (frame_type, "response"))
    {
      JsonNode *id = json_object_get_member (frame, "id");

      if (id == NULL || JSON_NODE_HOLDS_NULL (id))
        {
          g_queue_push_tail (&client->null_id, g_steal_pointer (&frame));
        }
      else
        {
          const char *key = json_node_get_string (id);
          GQueue *queue;

          g_assert_nonnull (key);
          queue = g_hash_table_lookup (client->responses, key);
          if (queue == NULL)
            {
              queue = g_queue_new ();
              g_hash_table_insert (client->responses, g_strdup (key), queue);
            }
          g_hash_table_insert (client->counts, g_strdup (key),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (
                                                   g_hash_table_lookup (client->counts, key)) + 1));
          g_queue_push_tail (queue, g_steal_pointer (&frame));
        }
    }
  else if (g_str_equal (frame_type, "event"))
    {
      g_queue_push_tail (&client->events, g_steal_pointer (&frame));
    }
  else
    {
      g_error ("the server sent a frame of type '%s'", frame_type);
    }
}

static void
on_connection_closed (SoupWebsocketConnection *conn,
                      gpointer                 user_data)
{
  ConfabTestClient *client = user_data;

  client->closed = TRUE;
  client->close_code = soup_websocket_connection_get_close_code (conn);
}

typedef struct
{
  gboolean                 done;
  SoupWebsocketConnection *conn;
  GError                  *error;
} Connecting;

static void
websocket_connected_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Connecting *connecting = user_data;

  connecting->conn = soup_session_websocket_connect_finish (SOUP_SESSION (object), result,
                                                            &connecting->error);
  connecting->done = TRUE;
}

/* Opens /v1/ws without saying hello. */
ConfabTestClient *
confab_test_client_connect (ConfabTestServer *server)
{
  g_autoptr(SoupMessage) message = soup_message_new ("GET", server->ws_url);
  Connecting connecting = { 0 };
  ConfabTestClient *client;

  confab_test_server_trust (server, message);
  soup_session_websocket_connect_async (server->session, message, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, websocket_connected_cb, &connecting);
  if (!confab_test_wait_flag (&connecting.done, CONFAB_TEST_TIMEOUT_MS))
    g_error ("WebSocket connection to %s timed out", server->ws_url);
  if (connecting.error != NULL)
    g_error ("WebSocket connection to %s failed: %s", server->ws_url, connecting.error->message);

  client = g_new0 (ConfabTestClient, 1);
  client->server = server;
  client->conn = connecting.conn;
  client->responses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, queue_free);
  client->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&client->null_id);
  g_queue_init (&client->events);
  /* History pages of long messages exceed libsoup's default of 128 KiB. */
  soup_websocket_connection_set_max_incoming_payload_size (client->conn, 0);
  g_signal_connect (client->conn, "message", G_CALLBACK (on_connection_message), client);
  g_signal_connect (client->conn, "closed", G_CALLBACK (on_connection_closed), client);
  return client;
}

/* Connects and says hello with @token (the test fails unless the server accepts it). */
ConfabTestClient *
confab_test_client_new (ConfabTestServer *server,
                        const char       *token,
                        gint64            since)
{
  ConfabTestClient *client = confab_test_client_connect (server);
  g_autoptr(JsonObject) response = confab_test_client_hello (client, token, since);

  confab_test_assert_ok (response);
  client->hello = json_object_ref (json_object_get_object_member (response, "result"));
  return client;
}

void
confab_test_client_free (ConfabTestClient *client)
{
  if (client == NULL)
    return;

  if (!client->closed
      && soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    {
      soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      confab_test_wait_flag (&client->closed, 2000);
    }
  g_signal_handlers_disconnect_by_data (client->conn, client);
  g_clear_object (&client->conn);
  g_hash_table_unref (client->responses);
  g_hash_table_unref (client->counts);
  g_queue_clear_full (&client->null_id, (GDestroyNotify) json_object_unref);
  g_queue_clear_full (&client->events, (GDestroyNotify) json_object_unref);
  g_clear_pointer (&client->hello, json_object_unref);
  g_free (client);
}

JsonObject *
confab_test_client_hello (ConfabTestClient *client,
                          const char       *token,
                          gint64            since)
{
  g_autofree char *id = NULL;

  id = confab_test_client_send (client, "hello",
                                "{\"token\":\"%s\",\"since\":%" G_GINT64_FORMAT ","
                                "\"client\":\"confab-test/0.1\"}",
                                token, since);
  return confab_test_client_wait_response (client, id, CONFAB_TEST_TIMEOUT_MS);
}

/* The result of the accepted hello. */
JsonObject *
confab_test_client_get_hello (ConfabTestClient *client)
{
  return client->hello;
}

void
confab_test_client_send_text (ConfabTestClient *client,
                              const char       *text,
                              gsize             length)
{
  g_assert_cmpint (soup_websocket_connection_get_state (client->conn), ==,
                   SOUP_WEBSOCKET_STATE_OPEN);
  if (g_getenv ("CONFAB_TEST_TRACE") != NULL)
    g_printerr ("# -> %.*s\n", (int) MIN (length, 400), text);
  /* send_text needs a NUL-terminated string and checks it for UTF-8; send_message does not. */
  {
    g_autoptr(GBytes) bytes = g_bytes_new (text, length);

    soup_websocket_connection_send_message (client->conn, SOUP_WEBSOCKET_DATA_TEXT, bytes);
  }
}

void
confab_test_client_send_binary (ConfabTestClient *client,
                                const void       *data,
                                gsize             length)
{
  soup_websocket_connection_send_binary (client->conn, data, length);
}

static char *client_send_valist (ConfabTestClient *client,
                                 const char       *type,
                                 const char       *params_format,
                                 va_list           args) G_GNUC_PRINTF (3, 0);

static char *
client_send_valist (ConfabTestClient *client,
                    const char       *type,
                    const char       *params_format,
                    va_list           args)
{
  g_autoptr(JsonObject) frame = NULL;
  g_autofree char *text = NULL;
  char *id = g_strdup_printf ("r%u", ++client->next_id);

  if (params_format != NULL)
    {
      g_autofree char *params = g_strdup_vprintf (params_format, args);

      frame = parse_object (params, strlen (params));
      if (frame == NULL)
        g_error ("not a JSON object: %s", params);
    }
  else
    {
      frame = json_object_new ();
    }
  json_object_set_string_member (frame, "type", type);
  json_object_set_string_member (frame, "id", id);

  text = confab_test_to_string (frame);
  confab_test_client_send_text (client, text, strlen (text));
  return id;
}

/* Sends a request and returns its id without waiting. */
char *
confab_test_client_send (ConfabTestClient *client,
                         const char       *type,
                         const char       *params_format,
                         ...)
{
  va_list args;
  char *id;

  va_start (args, params_format);
  id = client_send_valist (client, type, params_format, args);
  va_end (args);
  return id;
}

typedef struct
{
  ConfabTestClient *client;
  const char       *id;
  const char       *event;
} Waiting;

static gboolean
response_arrived (gpointer user_data)
{
  Waiting *waiting = user_data;
  GQueue *queue = g_hash_table_lookup (waiting->client->responses, waiting->id);

  return (queue != NULL && queue->length > 0) || waiting->client->closed;
}

/* Waits for the response to request @id; NULL if none came in time. */
JsonObject *
confab_test_client_wait_response (ConfabTestClient *client,
                                  const char       *id,
                                  guint             timeout_ms)
{
  Waiting waiting = { client, id, NULL };
  GQueue *queue;

  confab_test_wait_until (response_arrived, &waiting, timeout_ms);
  queue = g_hash_table_lookup (client->responses, id);
  if (queue == NULL || queue->length == 0)
    return NULL;
  return g_queue_pop_head (queue);
}

static gboolean
null_id_arrived (gpointer user_data)
{
  ConfabTestClient *client = user_data;

  return client->null_id.length > 0 || client->closed;
}

/* Waits for an error response with `"id": null`. */
JsonObject *
confab_test_client_wait_null_id (ConfabTestClient *client,
                                 guint             timeout_ms)
{
  confab_test_wait_until (null_id_arrived, client, timeout_ms);
  return g_queue_pop_head (&client->null_id);
}

static JsonObject *client_call_valist (ConfabTestClient *client,
                                       const char       *type,
                                       const char       *params_format,
                                       va_list           args) G_GNUC_PRINTF (3, 0);

static JsonObject *
client_call_valist (ConfabTestClient *client,
                    const char       *type,
                    const char       *params_format,
                    va_list           args)
{
  g_autofree char *id = client_send_valist (client, type, params_format, args);
  JsonObject *response = confab_test_client_wait_response (client, id, CONFAB_TEST_TIMEOUT_MS);

  if (response == NULL)
    g_error ("no response to '%s' (%s)%s", type, id,
             client->closed ? ", the connection closed" : "");
  return response;
}

/* Sends a request and waits for its response. */
JsonObject *
confab_test_client_call (ConfabTestClient *client,
                         const char       *type,
                         const char       *params_format,
                         ...)
{
  va_list args;
  JsonObject *response;

  va_start (args, params_format);
  response = client_call_valist (client, type, params_format, args);
  va_end (args);
  return response;
}

/* Sends a request, asserts that it succeeded and returns (a reference to) its result. */
JsonObject *
confab_test_client_call_ok (ConfabTestClient *client,
                            const char       *type,
                            const char       *params_format,
                            ...)
{
  g_autoptr(JsonObject) response = NULL;
  va_list args;

  va_start (args, params_format);
  response = client_call_valist (client, type, params_format, args);
  va_end (args);
  if (!json_object_get_boolean_member_with_default (response, "ok", FALSE))
    {
      g_autofree char *text = confab_test_to_string (response);

      g_error ("'%s' failed: %s", type, text);
    }
  return json_object_ref (confab_test_assert_ok (response));
}

/* Sends a request and asserts that it failed with @code. */
void
confab_test_client_call_error (ConfabTestClient *client,
                               const char       *code,
                               const char       *type,
                               const char       *params_format,
                               ...)
{
  g_autoptr(JsonObject) response = NULL;
  va_list args;

  va_start (args, params_format);
  response = client_call_valist (client, type, params_format, args);
  va_end (args);
  confab_test_assert_error (response, code);
}

static GList *
find_event (ConfabTestClient *client,
            const char       *name)
{
  for (GList *l = client->events.head; l != NULL; l = l->next)
    if (g_strcmp0 (json_object_get_string_member_with_default (l->data, "event", ""), name) == 0)
      return l;
  return NULL;
}

static gboolean
event_arrived (gpointer user_data)
{
  Waiting *waiting = user_data;

  return find_event (waiting->client, waiting->event) != NULL || waiting->client->closed;
}

/* Waits for the first event @name and takes it out of the queue; other events stay queued.
 * The test fails if none comes within @timeout_ms, so the result is never NULL. */
JsonObject *
confab_test_client_wait_event (ConfabTestClient *client,
                               const char       *name,
                               guint             timeout_ms)
{
  Waiting waiting = { client, NULL, name };
  GList *link;
  JsonObject *event;

  confab_test_wait_until (event_arrived, &waiting, timeout_ms);
  link = find_event (client, name);
  if (link == NULL)
    g_error ("no '%s' event within %u ms (%s)", name, timeout_ms,
             client->closed ? "the connection closed" : "the connection is open");
  event = link->data;
  g_queue_delete_link (&client->events, link);
  return event;
}

/* Waits for event @name and drops it; the test fails if it does not come. */
void
confab_test_client_expect_event (ConfabTestClient *client,
                                 const char       *name)
{
  json_object_unref (confab_test_client_wait_event (client, name, CONFAB_TEST_TIMEOUT_MS));
}

/* The first queued event @name, left in the queue. */
JsonObject *
confab_test_client_peek_event (ConfabTestClient *client,
                               const char       *name)
{
  GList *link = find_event (client, name);

  return link != NULL ? link->data : NULL;
}

/* Every event received so far, in order; the queue is emptied. */
GPtrArray *
confab_test_client_take_events (ConfabTestClient *client)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonObject *event;

  while ((event = g_queue_pop_head (&client->events)) != NULL)
    g_ptr_array_add (events, event);
  return events;
}

guint
confab_test_client_count_events (ConfabTestClient *client,
                                 const char       *name)
{
  guint count = 0;

  for (GList *l = client->events.head; l != NULL; l = l->next)
    if (g_strcmp0 (json_object_get_string_member_with_default (l->data, "event", ""), name) == 0)
      count++;
  return count;
}

/* How many responses to request @id arrived (the contract says exactly one). */
guint
confab_test_client_count_responses (ConfabTestClient *client,
                                    const char       *id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (client->counts, id));
}

gboolean
confab_test_client_wait_closed (ConfabTestClient *client,
                                guint             timeout_ms)
{
  return confab_test_wait_flag (&client->closed, timeout_ms);
}

gboolean
confab_test_client_is_open (ConfabTestClient *client)
{
  return !client->closed
         && soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN;
}

gushort
confab_test_client_get_close_code (ConfabTestClient *client)
{
  return client->close_code;
}

void
confab_test_client_close (ConfabTestClient *client)
{
  if (confab_test_client_is_open (client))
    soup_websocket_connection_close (client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  confab_test_client_wait_closed (client, CONFAB_TEST_TIMEOUT_MS);
}

SoupWebsocketConnection *
confab_test_client_get_connection (ConfabTestClient *client)
{
  return client->conn;
}

/* --- Results -------------------------------------------------------------------------------- */

/* Asserts `ok: true` and returns the result (owned by @response). */
JsonObject *
confab_test_assert_ok (JsonObject *response)
{
  g_autofree char *text = NULL;

  if (response == NULL)
    g_error ("no response");
  if (json_object_get_boolean_member_with_default (response, "ok", FALSE)
      && json_object_has_member (response, "result"))
    return json_object_get_object_member (response, "result");

  text = confab_test_to_string (response);
  g_error ("expected success, got %s", text);
}

const char *
confab_test_response_error_code (JsonObject *response)
{
  JsonObject *error;

  if (response == NULL || json_object_get_boolean_member_with_default (response, "ok", TRUE))
    return NULL;
  error = json_object_get_object_member (response, "error");
  return error != NULL ? json_object_get_string_member_with_default (error, "code", NULL) : NULL;
}

void
confab_test_assert_error (JsonObject *response,
                          const char *code)
{
  g_autofree char *text = NULL;

  if (response == NULL)
    g_error ("no response, expected error '%s'", code);
  if (g_strcmp0 (confab_test_response_error_code (response), code) == 0)
    return;

  text = confab_test_to_string (response);
  g_error ("expected error '%s', got %s", code, text);
}
