/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"
#include "confab-test-lines.h"

#include <string.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/stat.h>

/* confabctl, the real binary, against the real confabd: signing in (the token in the keyring,
 * or in a 0600 file where there is none; the certificate pinned), every command in its human
 * and JSON forms, and the exit codes scripts rely on. Run plainly, no Secret Service is
 * reachable; run under tests/run-with-keyring.sh (the ctl-keyring test), a private one is. */

#define T CONFAB_TEST_TIMEOUT_MS

#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"

/* The exit codes of confabctl --help. */
enum
{
  EXIT_OK = 0,
  EXIT_USAGE = 2,
  EXIT_AUTH = 3,
  EXIT_FORBIDDEN = 4,
  EXIT_NOT_FOUND = 5,
  EXIT_CONFLICT = 6,
  EXIT_INVALID = 7,
  EXIT_UNREACHABLE = 8,
  EXIT_CERTIFICATE = 9,
};

typedef struct
{
  ConfabTestServer *server;
  ConfabTestUser   *alice;   /* admin */
  ConfabTestUser   *bob;
  char             *config_dir;
  char             *data_dir;
  char             *out;
  char             *err;
  gboolean          no_leak_check;
} Fixture;

static gboolean
with_keyring (void)
{
  return g_getenv ("CONFAB_KEYRING_INNER") != NULL;
}

static void
setup_server (Fixture          *f,
              ConfabTestServer *server)
{
  f->server = server;
  f->alice = confab_test_user_new (f->server, "alice");
  f->bob = confab_test_user_new (f->server, "bob");
  f->config_dir = confab_test_make_dir ("config");
  f->data_dir = confab_test_make_dir ("data");
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  setup_server (f, confab_test_server_new (NULL, FAST_HASHING));
}

static void
fixture_setup_tls (Fixture       *f,
                   gconstpointer  data)
{
  setup_server (f, confab_test_server_new_tls (NULL, FAST_HASHING));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  confab_test_user_free (f->alice);
  confab_test_user_free (f->bob);
  confab_test_server_free (f->server);
  g_free (f->config_dir);
  g_free (f->data_dir);
  g_free (f->out);
  g_free (f->err);
}

/* Starts confabctl with the NULL-terminated arguments @ap, its standard streams piped. */
static GSubprocess *
ctl_spawn (Fixture    *f,
           va_list     ap,
           GPtrArray  *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  const char *arg;

  g_ptr_array_add (argv, (char *) g_getenv ("CONFABCTL"));
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", f->config_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", f->data_dir, TRUE);
  /* Under AddressSanitizer, a confabctl that refuses a certificate exits with a thread whose
   * dynamic TLS block (GnuTLS, loaded by GIO's TLS module) the LeakSanitizer of GCC 12 cannot
   * walk on glibc 2.36: its tracer crashes instead of reporting. Memory errors are still
   * caught in those runs; leaks are looked for in every other one. */
  if (f->no_leak_check && g_getenv ("ASAN_OPTIONS") != NULL)
    {
      g_autofree char *options = g_strconcat (g_getenv ("ASAN_OPTIONS"), ":detect_leaks=0", NULL);

      g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", options, TRUE);
    }
  /* No Secret Service, unless the private one of run-with-keyring.sh. */
  if (!with_keyring ())
    g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                  "unix:path=/nonexistent/confab-test-bus", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* Runs confabctl with the NULL-terminated arguments, @input on its standard input; its
 * output goes to f->out and f->err. Returns the exit status. */
static int
ctl_v (Fixture    *f,
       const char *input,
       va_list     ap)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = ctl_spawn (f, ap, argv);
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&f->out, g_free);
  g_clear_pointer (&f->err, g_free);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, &f->out, &f->err,
                                                &error));
  g_assert_no_error (error);
  g_test_message ("confabctl %s → wait status 0x%x\n%s%s", (char *) argv->pdata[1],
                  g_subprocess_get_status (process), f->out, f->err);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static int
ctl (Fixture    *f,
     const char *input,
     ...)
{
  va_list ap;
  int status;

  va_start (ap, input);
  status = ctl_v (f, input, ap);
  va_end (ap);
  return status;
}

/* The JSON object confabctl --json printed. */
static JsonObject *
out_json (Fixture *f)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, f->out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
login_alice (Fixture *f)
{
  g_assert_cmpint (ctl (f, "pw-alice-secret\n", "--server", confab_test_server_get_url (f->server),
                        "login", "--username", "alice", "--password-stdin", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "alice"));
}

static char *
config_file (Fixture    *f,
             const char *name)
{
  return g_build_filename (f->config_dir, "confabctl", name, NULL);
}

/* --- Signing in ------------------------------------------------------------------------------- */

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *token_path = config_file (f, "token");
  g_autofree char *session_path = config_file (f, "session.conf");
  g_autoptr(GKeyFile) session = g_key_file_new ();
  g_autofree char *store = NULL;
  g_autoptr(JsonObject) json = NULL;
  struct stat st;

  /* Not signed in yet. */
  g_assert_cmpint (ctl (f, NULL, "--server", confab_test_server_get_url (f->server), "users",
                        "list", NULL), ==, EXIT_AUTH);
  g_assert_nonnull (strstr (f->err, "confabctl login"));

  /* A wrong password, then the right one. */
  g_assert_cmpint (ctl (f, "wrong password\n", "--server",
                        confab_test_server_get_url (f->server), "login", "-u", "alice",
                        "--password-stdin", NULL), ==, EXIT_AUTH);
  login_alice (f);

  g_assert_true (g_key_file_load_from_file (session, session_path, G_KEY_FILE_NONE, NULL));
  store = g_key_file_get_string (session, "session", "store", NULL);
  g_assert_cmpstr (store, ==, with_keyring () ? "keyring" : "file");
  g_assert_cmpint (g_stat (session_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  if (with_keyring ())
    g_assert_false (g_file_test (token_path, G_FILE_TEST_EXISTS));
  else
    {
      g_autofree char *token = NULL;

      g_assert_cmpint (g_stat (token_path, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      g_assert_true (g_file_get_contents (token_path, &token, NULL, NULL));
      g_assert_cmpuint (strlen (token), >=, 32);
    }

  /* The saved session is used without --server. */
  g_assert_cmpint (ctl (f, NULL, "--json", "users", "list", NULL), ==, EXIT_OK);
  json = out_json (f);
  g_assert_cmpint (json_object_get_int_member (json, "total"), ==, 2);
  g_clear_pointer (&json, json_object_unref);

  /* The session shows among the sessions, named after confabctl. */
  g_assert_cmpint (ctl (f, NULL, "sessions", "list", "--user", "alice", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "confabctl on"));

  /* Signed out: the token is revoked on the server and forgotten here. */
  g_assert_cmpint (ctl (f, NULL, "logout", NULL), ==, EXIT_OK);
  g_assert_false (g_file_test (token_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (session_path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (ctl (f, NULL, "--server", confab_test_server_get_url (f->server), "stats",
                        NULL), ==, EXIT_AUTH);
  g_assert_cmpint (confab_test_server_db_int (f->server,
                                              "SELECT count (*) FROM devices WHERE revoked = 0"
                                              " AND name LIKE 'confabctl on %'"), ==, 0);
}

/* A self-signed certificate: refused until trusted by its fingerprint, then pinned as the
 * desktop client pins it. */
static void
test_certificate (Fixture       *f,
                  gconstpointer  data)
{
  const char *log = confab_test_server_get_log (f->server);
  const char *mark = strstr (log, "fingerprint: ");
  g_autofree char *fingerprint = NULL;
  g_autofree char *known_hosts = g_build_filename (f->data_dir, "confab", "known-hosts", NULL);
  g_autofree char *pinned = NULL;
  const char *url = confab_test_server_get_url (f->server);

  f->no_leak_check = TRUE;
  g_assert_nonnull (mark);
  fingerprint = g_strndup (mark + strlen ("fingerprint: "), strcspn (mark + 13, "\n \""));
  g_assert_cmpuint (strlen (fingerprint), >=, 64);

  g_assert_cmpint (ctl (f, "pw-alice-secret\n", "--server", url, "login", "-u", "alice",
                        "--password-stdin", NULL), ==, EXIT_CERTIFICATE);
  g_assert_nonnull (strstr (f->err, fingerprint));
  g_assert_cmpint (ctl (f, "pw-alice-secret\n", "--server", url, "login", "-u", "alice",
                        "--password-stdin", "--trust", "AB:CD", NULL), ==, EXIT_CERTIFICATE);
  g_assert_false (g_file_test (known_hosts, G_FILE_TEST_EXISTS));

  g_assert_cmpint (ctl (f, "pw-alice-secret\n", "--server", url, "login", "-u", "alice",
                        "--password-stdin", "--trust", fingerprint, NULL), ==, EXIT_OK);
  g_assert_true (g_file_get_contents (known_hosts, &pinned, NULL, NULL));
  g_assert_nonnull (strstr (pinned, fingerprint));
  g_assert_cmpint (ctl (f, NULL, "users", "show", "bob", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "User bob"));

  /* Another certificate under the same name is refused as changed. */
  {
    g_autoptr(GKeyFile) keyfile = g_key_file_new ();
    g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
    g_autofree char *key = g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));

    g_key_file_set_string (keyfile, "known-hosts", key, "00:11:22");
    g_assert_true (g_key_file_save_to_file (keyfile, known_hosts, NULL));
  }
  g_assert_cmpint (ctl (f, NULL, "users", "show", "bob", NULL), ==, EXIT_CERTIFICATE);
  g_assert_nonnull (strstr (f->err, "changed"));
}

/* --- Commands --------------------------------------------------------------------------------- */

static void
test_users (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ConfabTestClient) bob = confab_test_client_new (f->server, f->bob->token, 0);
  g_autoptr(JsonObject) json = NULL;
  JsonObject *user;

  login_alice (f);

  g_assert_cmpint (ctl (f, NULL, "users", "list", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "USERNAME"));
  g_assert_nonnull (strstr (f->out, "User bob"));
  g_assert_cmpint (ctl (f, NULL, "users", "list", "--limit", "1", NULL), ==, EXIT_OK);
  g_assert_null (strstr (f->out, "User bob"));
  g_assert_nonnull (strstr (f->out, "1 to 1 of 2"));
  g_assert_cmpint (ctl (f, NULL, "users", "list", "--query", "BO", "--json", NULL), ==,
                   EXIT_OK);
  json = out_json (f);
  g_assert_cmpint (json_object_get_int_member (json, "total"), ==, 1);
  g_clear_pointer (&json, json_object_unref);

  g_assert_cmpint (ctl (f, "carol's password\n", "users", "add", "carol", "--display-name",
                        "Carol C", "--email", "carol@example.com", "--password-stdin", NULL),
                   ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "carol"));
  g_assert_cmpint (ctl (f, "another password\n", "users", "add", "carol", "--password-stdin",
                        NULL), ==, EXIT_CONFLICT);
  g_assert_cmpint (ctl (f, "short\n", "users", "add", "dave", "--password-stdin", NULL), ==,
                   EXIT_INVALID);
  g_assert_nonnull (strstr (f->err, "password"));
  g_assert_cmpint (ctl (f, NULL, "users", "show", "carol", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "carol@example.com"));
  g_assert_cmpint (ctl (f, NULL, "users", "show", "nobody", NULL), ==, EXIT_NOT_FOUND);

  /* Disabled: bob's connection closes with 4401, his password no longer signs in. */
  g_assert_cmpint (ctl (f, NULL, "users", "disable", "bob", NULL), ==, EXIT_OK);
  g_assert_true (confab_test_client_wait_closed (bob, T));
  g_assert_cmpuint (confab_test_client_get_close_code (bob), ==, 4401);
  g_assert_cmpint (ctl (f, "pw-bob-secret\n", "--server", confab_test_server_get_url (f->server),
                        "login", "-u", "bob", "--password-stdin", NULL), ==, EXIT_FORBIDDEN);
  login_alice (f);
  g_assert_cmpint (ctl (f, NULL, "users", "enable", "bob", NULL), ==, EXIT_OK);

  g_assert_cmpint (ctl (f, NULL, "--json", "users", "set-role", "bob", "admin", NULL), ==,
                   EXIT_OK);
  json = out_json (f);
  user = json_object_get_object_member (json, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "admin");
  g_clear_pointer (&json, json_object_unref);
  g_assert_cmpint (ctl (f, NULL, "users", "set-role", "bob", "king", NULL), ==, EXIT_INVALID);
  g_assert_cmpint (ctl (f, NULL, "users", "set-role", "bob", "user", NULL), ==, EXIT_OK);
  /* alice is the last administrator. */
  g_assert_cmpint (ctl (f, NULL, "users", "disable", "alice", NULL), ==, EXIT_CONFLICT);

  g_assert_cmpint (ctl (f, NULL, "users", "grant", "bob", "broadcast", NULL), ==, EXIT_OK);
  g_assert_cmpint (ctl (f, NULL, "users", "show", "bob", "--json", NULL), ==, EXIT_OK);
  json = out_json (f);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (json_object_get_object_member (json, "user"),
                                                   "permissions"), 0), ==, "broadcast");
  g_clear_pointer (&json, json_object_unref);
  g_assert_cmpint (ctl (f, NULL, "users", "grant", "bob", "broadcast", "--revoke", NULL), ==,
                   EXIT_OK);
  g_assert_cmpint (ctl (f, NULL, "users", "show", "bob", NULL), ==, EXIT_OK);
  g_assert_null (strstr (f->out, "broadcast"));
  g_assert_cmpint (ctl (f, NULL, "users", "grant", "bob", "fly", NULL), ==, EXIT_INVALID);

  g_assert_cmpint (ctl (f, "a new secret for bob\n", "users", "reset-password", "bob",
                        "--password-stdin", NULL), ==, EXIT_OK);
  g_assert_cmpint (ctl (f, "pw-bob-secret\n", "--server", confab_test_server_get_url (f->server),
                        "login", "-u", "bob", "--password-stdin", NULL), ==, EXIT_AUTH);
  login_alice (f);
}

static void
test_sessions (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(ConfabTestClient) bob = confab_test_client_new (f->server, f->bob->token, 0);
  g_autoptr(JsonObject) json = NULL;
  JsonArray *sessions;
  gboolean bob_connected = FALSE;

  login_alice (f);
  g_assert_cmpint (ctl (f, NULL, "sessions", "list", "--json", NULL), ==, EXIT_OK);
  json = out_json (f);
  sessions = json_object_get_array_member (json, "sessions");
  /* alice's test device and confabctl, bob's device. */
  g_assert_cmpuint (json_array_get_length (sessions), ==, 3);
  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      JsonObject *session = json_array_get_object_element (sessions, i);

      if (g_str_equal (json_object_get_string_member (session, "username"), "bob"))
        bob_connected = json_object_get_boolean_member (session, "connected");
    }
  g_assert_true (bob_connected);

  g_assert_cmpint (ctl (f, NULL, "sessions", "kill", "bob", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "1"));
  g_assert_true (confab_test_client_wait_closed (bob, T));
  g_assert_cmpuint (confab_test_client_get_close_code (bob), ==, 4401);
  g_assert_cmpint (ctl (f, NULL, "sessions", "kill", "nobody", NULL), ==, EXIT_NOT_FOUND);
}

static void
test_broadcast_stats_audit (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(ConfabTestClient) bob = confab_test_client_new (f->server, f->bob->token, 0);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) json = NULL;
  JsonArray *entries;

  login_alice (f);
  g_assert_cmpint (ctl (f, NULL, "broadcast", "--all", "Fire", "drill", "at", "noon", NULL), ==,
                   EXIT_OK);
  event = confab_test_client_wait_event (bob, "broadcast", T);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "data"),
                                                  "body"), ==, "Fire drill at noon");
  g_clear_pointer (&event, json_object_unref);
  g_assert_cmpint (ctl (f, NULL, "--json", "broadcast", "--user", "bob", "Hello bob", NULL), ==,
                   EXIT_OK);
  json = out_json (f);
  g_assert_cmpint (json_object_get_int_member (json, "recipients"), ==, 1);
  g_clear_pointer (&json, json_object_unref);
  event = confab_test_client_wait_event (bob, "broadcast", T);
  g_assert_cmpint (ctl (f, NULL, "broadcast", "No audience", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "broadcast", "--all", "--user", "bob", "Two", NULL), ==,
                   EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "broadcast", "--user", "nobody", "Hi", NULL), ==,
                   EXIT_NOT_FOUND);

  g_assert_cmpint (ctl (f, NULL, "stats", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "Accounts:"));
  g_assert_cmpint (ctl (f, NULL, "--json", "stats", NULL), ==, EXIT_OK);
  json = out_json (f);
  g_assert_cmpint (json_object_get_int_member (json, "users"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json, "users_online"), ==, 1);
  g_clear_pointer (&json, json_object_unref);

  g_assert_cmpint (ctl (f, NULL, "audit", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "ACTION"));
  g_assert_nonnull (strstr (f->out, "broadcast"));
  g_assert_cmpint (ctl (f, NULL, "audit", "--json", "--action", "broadcast", "--limit", "1",
                        NULL), ==, EXIT_OK);
  json = out_json (f);
  g_assert_cmpint (json_object_get_int_member (json, "total"), ==, 2);
  entries = json_object_get_array_member (json, "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0),
                                                  "actor"), ==, "alice");
  g_assert_cmpint (ctl (f, NULL, "audit", "--limit", "1000", NULL), ==, EXIT_INVALID);
}

static GSubprocess *
ctl_start (Fixture *f,
           ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  GSubprocess *process;
  va_list ap;

  va_start (ap, f);
  process = ctl_spawn (f, ap, argv);
  va_end (ap);
  return process;
}

/* The next entry `audit --follow --json` printed: one JSON object a line. */
static JsonObject *
next_entry (ConfabTestLines *lines)
{
  g_auto(GStrv) words = confab_test_lines_wait (lines, "{", T);
  g_autofree char *rest = g_strjoinv (" ", words);
  g_autofree char *text = g_strconcat ("{", rest, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_backup_follow (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GSubprocess) follow = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) json = NULL;
  g_autofree char *backup_name = NULL;
  ConfabTestLines lines;
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  login_alice (f);
  /* An entry from before: bob refused. */
  g_assert_cmpint (confab_test_http (f->server, "GET", "/v1/admin/stats", f->bob->token, NULL,
                                     NULL, NULL), ==, 403);
  g_assert_cmpint (ctl (f, NULL, "audit", "--follow", "--limit", "5", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "audit", "--follow", "--interval", "0", NULL), ==, EXIT_USAGE);

  follow = ctl_start (f, "--json", "audit", "--follow", "--interval", "1", NULL);
  confab_test_lines_init (&lines, "confabctl audit --follow",
                          g_subprocess_get_stdout_pipe (follow));
  g_ptr_array_add (entries, next_entry (&lines));
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 0), "action"), ==,
                   "denied");

  /* What happens next comes as it is written: an account made, a backup. */
  g_assert_cmpint (confab_test_http (f->server, "POST", "/v1/admin/users", f->alice->token,
                                     "{\"username\":\"carol\",\"password\":\"long enough pw\"}",
                                     NULL, NULL), ==, 201);
  g_ptr_array_add (entries, next_entry (&lines));
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 1), "action"), ==,
                   "user_create");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 1), "target"), ==,
                   "carol");

  g_assert_cmpint (ctl (f, NULL, "backup", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "made on the server"));
  g_assert_cmpint (ctl (f, NULL, "--json", "backup", NULL), ==, EXIT_OK);
  json = out_json (f);
  backup_name = g_strdup (json_object_get_string_member (json, "name"));
  g_assert_true (g_file_test (json_object_get_string_member (json, "path"), G_FILE_TEST_IS_DIR));
  g_ptr_array_add (entries, next_entry (&lines));
  g_ptr_array_add (entries, next_entry (&lines));
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 2), "action"), ==,
                   "backup");
  g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 3), "target"), ==,
                   backup_name);
  /* Downloaded: a tar archive of the database and the files, never over an existing file. */
  {
    g_autofree char *dir = confab_test_make_dir ("download");
    g_autofree char *tar = g_build_filename (dir, "backup.tar", NULL);
    g_autofree char *into = g_build_filename (dir, "unpacked", NULL);
    g_autofree char *db_path = NULL;
    g_autofree char *named = NULL;
    const char *untar[] = { "tar", "-xf", tar, "-C", into, NULL };
    int wait_status = 0;
    GStatBuf st;

    g_assert_cmpint (ctl (f, NULL, "backup", tar, NULL), ==, EXIT_OK);
    g_assert_nonnull (strstr (f->out, "Downloaded to"));
    g_assert_cmpint (g_stat (tar, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
    g_assert_cmpint (g_mkdir (into, 0700), ==, 0);
    g_assert_true (g_spawn_sync (NULL, (char **) untar, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 NULL, NULL, &wait_status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
    {
      g_autoptr(GDir) unpacked = g_dir_open (into, 0, NULL);
      const char *name = unpacked != NULL ? g_dir_read_name (unpacked) : NULL;

      /* One directory, the backup, with its database. */
      g_assert_nonnull (name);
      g_assert_nonnull (strstr (f->out, name));
      db_path = g_build_filename (into, name, "confab.db", NULL);
      g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));
      g_assert_null (g_dir_read_name (unpacked));
      g_clear_pointer (&db_path, g_free);
    }
    g_assert_cmpint (ctl (f, NULL, "--json", "backup", tar, NULL), ==, EXIT_FAILURE);
    g_assert_nonnull (strstr (f->err, "cannot write"));
    g_assert_cmpint (ctl (f, NULL, "--json", "backup", dir, NULL), ==, EXIT_OK);
    g_clear_pointer (&json, json_object_unref);
    json = out_json (f);
    named = g_strconcat (json_object_get_string_member (json, "name"), ".tar", NULL);
    db_path = g_build_filename (dir, named, NULL);
    g_assert_cmpstr (json_object_get_string_member (json, "downloaded"), ==, db_path);
    g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));
  }
  /* The refused download made no backup: two backups, two downloads. */
  for (guint i = 0; i < 4; i++)
    {
      g_ptr_array_add (entries, next_entry (&lines));
      g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (entries, 4 + i),
                                                      "action"), ==,
                       i % 2 == 0 ? "backup" : "backup_download");
    }

  /* Each once, oldest first. */
  for (guint i = 1; i < entries->len; i++)
    g_assert_cmpint (json_object_get_int_member (g_ptr_array_index (entries, i - 1), "id"), <,
                     json_object_get_int_member (g_ptr_array_index (entries, i), "id"));

  /* It runs until interrupted. */
  g_assert_false (confab_test_lines_has (&lines, "{"));
  g_assert_false (lines.eof);
  g_subprocess_send_signal (follow, SIGINT);
  g_assert_true (g_subprocess_wait (follow, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_signaled (follow));
  g_assert_cmpint (g_subprocess_get_term_sig (follow), ==, SIGINT);
  confab_test_lines_clear (&lines);
  g_ptr_array_unref (entries);

  /* Not an administrator. */
  g_assert_cmpint (ctl (f, "pw-bob-secret\n", "--server", confab_test_server_get_url (f->server),
                        "login", "-u", "bob", "--password-stdin", NULL), ==, EXIT_OK);
  g_assert_cmpint (ctl (f, NULL, "backup", NULL), ==, EXIT_FORBIDDEN);
}

static void
follow_exited_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  *(gboolean *) user_data = TRUE;
}

static void
test_follow_server_gone (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GSubprocess) follow = NULL;
  g_autoptr(JsonObject) entry = NULL;
  ConfabTestLines lines;
  gboolean exited = FALSE;

  login_alice (f);
  g_assert_cmpint (confab_test_http (f->server, "GET", "/v1/admin/stats", f->bob->token, NULL,
                                     NULL, NULL), ==, 403);
  follow = ctl_start (f, "--json", "audit", "--follow", "--interval", "1", NULL);
  confab_test_lines_init (&lines, "confabctl audit --follow",
                          g_subprocess_get_stdout_pipe (follow));
  entry = next_entry (&lines);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "denied");

  /* The server goes: the next round fails, and so does the command, as a script can tell. */
  confab_test_server_stop (f->server);
  g_subprocess_wait_async (follow, NULL, follow_exited_cb, &exited);
  g_assert_true (confab_test_wait_flag (&exited, T));
  g_assert_true (g_subprocess_get_if_exited (follow));
  g_assert_cmpint (g_subprocess_get_exit_status (follow), ==, EXIT_UNREACHABLE);
  confab_test_lines_clear (&lines);
}

static void
test_exit_codes (Fixture       *f,
                 gconstpointer  data)
{
  const char *url = confab_test_server_get_url (f->server);

  /* Usage. */
  g_assert_cmpint (ctl (f, NULL, NULL), ==, EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "frobnicate", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "users", "show", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "users", "list", "--no-such-option", NULL), ==, EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "--server", "ftp://example.com", "stats", NULL), ==,
                   EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "--server", "http://example.com", "stats", NULL), ==,
                   EXIT_USAGE);
  g_assert_cmpint (ctl (f, NULL, "--help", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "users reset-password"));
  g_assert_cmpint (ctl (f, NULL, "users", "add", "--help", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->out, "--password-stdin"));
  g_assert_nonnull (strstr (f->out, "Exit status"));

  /* Signed in, but not an administrator. */
  g_assert_cmpint (ctl (f, "pw-bob-secret\n", "--server", url, "login", "-u", "bob",
                        "--password-stdin", NULL), ==, EXIT_OK);
  g_assert_nonnull (strstr (f->err, "not an administrator"));
  g_assert_cmpint (ctl (f, NULL, "users", "list", NULL), ==, EXIT_FORBIDDEN);
  g_assert_cmpint (ctl (f, NULL, "broadcast", "--all", "hi", NULL), ==, EXIT_FORBIDDEN);

  /* The token revoked behind confabctl's back. */
  login_alice (f);
  g_assert_cmpint (confab_test_http (f->server, "DELETE", "/v1/admin/users/alice/sessions",
                                     f->alice->token, NULL, NULL, NULL), ==, 200);
  g_assert_cmpint (ctl (f, NULL, "stats", NULL), ==, EXIT_AUTH);

  /* No server. */
  login_alice (f);
  confab_test_server_stop (f->server);
  g_assert_cmpint (ctl (f, NULL, "stats", NULL), ==, EXIT_UNREACHABLE);
  confab_test_server_start (f->server);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

#define ADD(path, setup, func) \
  g_test_add ("/confab/ctl/" path, Fixture, NULL, setup, func, fixture_teardown)

  ADD ("login", fixture_setup, test_login);
  ADD ("certificate", fixture_setup_tls, test_certificate);
  ADD ("users", fixture_setup, test_users);
  ADD ("sessions", fixture_setup, test_sessions);
  ADD ("broadcast-stats-audit", fixture_setup, test_broadcast_stats_audit);
  ADD ("exit-codes", fixture_setup, test_exit_codes);
  ADD ("backup-follow", fixture_setup, test_backup_follow);
  ADD ("follow-server-gone", fixture_setup, test_follow_server_gone);

  return confab_test_run ();
}
