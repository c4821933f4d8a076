/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The keyring promise through the real application, under a private gnome-keyring
 * (tests/run-with-keyring.sh) and Xvfb, against a real confabd: the token a sign-in gets is in
 * the keyring and in no file, the next start signs in without asking, Sign out revokes the
 * token and removes it, and without a secret service the app says so and asks for the password
 * at each start.
 *
 * Each start of the app is its own process (a GTest subprocess) that runs ConfabApplication with
 * g_application_run() as `confab` does, in the parent's HOME and XDG dirs, with its settings in
 * a keyfile there; the parent runs confabd and looks at the keyring, the files and the server
 * from outside. The second and third starts find what the one before left. */
#include "config.h"

#include <adwaita.h>
#include <libsecret/secret.h>

#include "confab-application.h"
#include "confab-client.h"
#include "confab-session.h"
#include "confab-signin-page.h"
#include "confab-test-util.h"
#include "confab-window.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define USERNAME "ann"
#define PASSWORD "correct horse battery"
/* One start of the app, from launch to quit. */
#define START_TIMEOUT_USEC (60 * G_USEC_PER_SEC)

/* What the parent hands to each start besides the environment it inherits. */
#define ENV_SERVER_URL "CONFAB_UI_KEYRING_SERVER"
#define ENV_WALK_DIRS  "CONFAB_UI_KEYRING_DIRS"
#define ENV_PHASE      "CONFAB_UI_KEYRING_PHASE"
/* When set, the start is `confab --server VALUE`. */
#define ENV_SERVER_OPTION "CONFAB_UI_KEYRING_SERVER_OPTION"

static const char * const dir_vars[] = {
  "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
};

/* Written out here rather than taken from confab-keyring.c, so that a renamed schema or
 * attribute fails the test. */
static const SecretSchema token_schema = {
  "im.confab.Confab", SECRET_SCHEMA_NONE,
  {
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

static struct
{
  /* The parent's. */
  ConfabTestServer *server;
  GStrv             outer_dirs;
  char             *token;
} fx;

/* --- Both sides ------------------------------------------------------------------------------ */

/* "host:port", as the client names the server in the keyring. */
static char *
server_key (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  g_assert_nonnull (uri);
  return g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
}

static char *
keyring_lookup (const char *url)
{
  g_autofree char *key = server_key (url);
  g_autoptr(GError) error = NULL;
  char *secret;
  char *token;

  secret = secret_password_lookup_sync (&token_schema, NULL, &error,
                                        "server", key, "username", USERNAME, NULL);
  g_assert_no_error (error);
  token = g_strdup (secret);
  secret_password_free (secret);
  return token;
}

static gboolean
contains (const char *data,
          gsize       length,
          const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; n <= length && i <= length - n; i++)
    if (data[i] == needle[0] && memcmp (data + i, needle, n) == 0)
      return TRUE;

  return FALSE;
}

static void
walk (const char *dir,
      const char *needle,
      GPtrArray  *visited,
      GPtrArray  *hits)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;

  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *data = NULL;
      gsize length = 0;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          walk (path, needle, visited, hits);
          continue;
        }
      /* Sockets and pipes (the keyring's control socket, a bus) hold no data. */
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;

      if (!g_file_get_contents (path, &data, &length, &error))
        {
          /* SQLite's -wal and -shm files and GSettings' temporary files come and go. */
          if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            continue;
          g_assert_no_error (error);
        }
      g_ptr_array_add (visited, g_strdup (path));
      if (contains (data, length, needle))
        g_ptr_array_add (hits, g_strdup (path));
    }
}

/* Reads every file under the dirs the parent named; fails if one holds @token. Returns the
 * paths read. */
static GPtrArray *
assert_on_no_disk (const char *token)
{
  g_auto(GStrv) dirs = g_strsplit (g_getenv (ENV_WALK_DIRS), G_SEARCHPATH_SEPARATOR_S, -1);
  g_autoptr(GPtrArray) visited = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpuint (strlen (token), >=, 32);
  for (guint i = 0; dirs[i] != NULL; i++)
    if (*dirs[i] != '\0')
      walk (dirs[i], token, visited, hits);

  for (guint i = 0; i < hits->len; i++)
    g_printerr ("# the token is in %s\n", (char *) g_ptr_array_index (hits, i));
  g_assert_cmpuint (hits->len, ==, 0);

  return g_steal_pointer (&visited);
}

static void
assert_on_no_disk_after_quit (const char *token)
{
  g_autoptr(GPtrArray) read G_GNUC_UNUSED = assert_on_no_disk (token);
}

static gboolean
has_file_named (GPtrArray  *paths,
                const char *suffix)
{
  for (guint i = 0; i < paths->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (paths, i), suffix))
      return TRUE;

  return FALSE;
}

/* --- One start of the app (in a subprocess) -------------------------------------------------- */

typedef struct _Start Start;

/* Drives one start of the app from inside its main loop. */
typedef void (*StartFunc) (Start *start);

struct _Start
{
  ConfabApplication *app;
  ConfabWindow      *window;
  /* Every page the window showed, in order. */
  GPtrArray         *pages;
  const char        *url;
  StartFunc          body;
  gboolean           quit;
  /* A token to look for on disk once the app has quit. */
  char              *token;
};

static void
on_page_changed (GtkStack   *stack,
                 GParamSpec *pspec,
                 Start      *start)
{
  const char *name = gtk_stack_get_visible_child_name (stack);

  if (name != NULL
      && (start->pages->len == 0
          || g_strcmp0 (g_ptr_array_index (start->pages, start->pages->len - 1), name) != 0))
    g_ptr_array_add (start->pages, g_strdup (name));
}

static void
run_body (gpointer user_data)
{
  Start *start = user_data;

  start->body (start);
}

static void
on_activate (GApplication *app,
             Start        *start)
{
  GtkStack *stack;

  if (start->window != NULL)
    return;

  start->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (start->window);
  stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (start->window),
                                                    CONFAB_TYPE_WINDOW, "main_stack"));
  g_signal_connect (stack, "notify::visible-child-name", G_CALLBACK (on_page_changed), start);
  on_page_changed (stack, NULL, start);

  g_idle_add_once (run_body, start);
}

static void assert_on_no_disk_after_quit (const char *token);

/* One start of the app as `confab` runs it, from g_application_run() to its return; @body
 * drives it from inside its main loop and ends with quit_app(). */
static void
run_app (StartFunc body)
{
  Start start = { 0 };
  const char *server_option = g_getenv (ENV_SERVER_OPTION);
  char *argv[] = { (char *) "confab", (char *) "--server", (char *) server_option, NULL };
  int argc = server_option != NULL ? 3 : 1;

  start.url = server_option != NULL ? server_option : g_getenv (ENV_SERVER_URL);
  g_assert_nonnull (start.url);
  start.pages = g_ptr_array_new_with_free_func (g_free);
  start.body = body;

  /* Desktop notifications need a notification server, which these buses lack. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);

    g_settings_set_boolean (settings, "notifications", FALSE);
  }

  start.app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (start.app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  g_signal_connect_after (start.app, "activate", G_CALLBACK (on_activate), &start);
  g_assert_cmpint (g_application_run (G_APPLICATION (start.app), argc, argv), ==, 0);
  g_assert_true (start.quit);

  g_clear_object (&start.app);
  g_clear_pointer (&start.pages, g_ptr_array_unref);
  if (start.token != NULL)
    {
      /* The cache is closed now; its -wal and -shm files are gone or checkpointed. */
      assert_on_no_disk_after_quit (start.token);
      g_free (start.token);
    }
}

static void
quit_app (Start *start)
{
  /* What Ctrl+Q does: the window goes, and the session and its cache with it. */
  g_action_group_activate_action (G_ACTION_GROUP (start->app), "quit", NULL);
  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (start->app)));
  start->quit = TRUE;
}

static gboolean
page_settled (gpointer user_data)
{
  Start *start = user_data;

  return g_strcmp0 (confab_window_get_page (start->window), "loading") != 0;
}

static gboolean
page_is_main (gpointer user_data)
{
  Start *start = user_data;

  return g_strcmp0 (confab_window_get_page (start->window), "main") == 0;
}

static gboolean
page_is_signin (gpointer user_data)
{
  Start *start = user_data;

  return g_strcmp0 (confab_window_get_page (start->window), "signin") == 0;
}

static gboolean
client_connected (gpointer user_data)
{
  Start *start = user_data;
  ConfabSession *session = confab_window_get_session (start->window);

  return session != NULL
         && confab_client_get_state (confab_session_get_client (session))
         == CONFAB_CLIENT_STATE_CONNECTED;
}

static gboolean
showed_page (Start      *start,
             const char *name)
{
  for (guint i = 0; i < start->pages->len; i++)
    if (g_str_equal (g_ptr_array_index (start->pages, i), name))
      return TRUE;

  return FALSE;
}

static GtkWidget *
signin_child (Start      *start,
              const char *name)
{
  GtkWidget *page = GTK_WIDGET (confab_window_get_signin_page (start->window));

  return GTK_WIDGET (gtk_widget_get_template_child (page, CONFAB_TYPE_SIGNIN_PAGE, name));
}

static const char *
password_text (Start *start)
{
  return gtk_editable_get_text (GTK_EDITABLE (signin_child (start, "password_row")));
}

static gboolean
keyring_notice_shown (Start *start)
{
  return gtk_revealer_get_reveal_child (GTK_REVEALER (signin_child (start, "keyring_revealer")));
}

/* Types the password (and the server and username if @fill_all) and presses Sign In. */
static void
sign_in (Start    *start,
         gboolean  fill_all)
{
  ConfabSigninPage *page = confab_window_get_signin_page (start->window);

  g_assert_cmpstr (confab_window_get_page (start->window), ==, "signin");
  if (fill_all)
    {
      confab_signin_page_set_server (page, start->url);
      confab_signin_page_set_username (page, USERNAME);
    }
  gtk_editable_set_text (GTK_EDITABLE (signin_child (start, "password_row")), PASSWORD);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "signin.submit", NULL));

  g_assert_true (confab_test_wait_until (page_is_main, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (client_connected, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_session_get_username (confab_window_get_session (start->window)), ==,
                   USERNAME);
  /* The password is not kept in the form once it served. */
  g_assert_cmpstr (password_text (start), ==, "");
}

static const char *
current_token (Start *start)
{
  ConfabSession *session = confab_window_get_session (start->window);

  g_assert_nonnull (session);
  return confab_client_get_token (confab_session_get_client (session));
}

typedef struct
{
  const char *url;
  const char *token;
} KeyringWait;

static gboolean
keyring_holds (gpointer user_data)
{
  KeyringWait *wait = user_data;
  g_autofree char *stored = keyring_lookup (wait->url);

  return g_strcmp0 (stored, wait->token) == 0;
}

static gboolean
label_shows (GtkWidget  *widget,
             const char *text)
{
  if (!gtk_widget_get_mapped (widget))
    return FALSE;
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)), text) != NULL)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (label_shows (child, text))
      return TRUE;

  return FALSE;
}

static gboolean
window_shows_no_storage_toast (gpointer user_data)
{
  Start *start = user_data;

  return label_shows (GTK_WIDGET (start->window), "you will sign in again at the next start");
}

static gboolean
object_gone (gpointer user_data)
{
  return *(gpointer *) user_data == NULL;
}

/* First start, keyring running: sign in with the password; the token goes to the keyring and
 * nowhere else. */
static void
sign_in_with_password (Start *start)
{
  KeyringWait wait;
  g_autoptr(GPtrArray) read = NULL;

  g_assert_true (confab_test_wait_until (page_settled, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_false (keyring_notice_shown (start));
  sign_in (start, TRUE);

  start->token = g_strdup (current_token (start));
  g_assert_nonnull (start->token);
  wait.url = start->url;
  wait.token = start->token;
  g_assert_true (confab_test_wait_until (keyring_holds, &wait, CONFAB_TEST_TIMEOUT_MS));
  g_assert_false (keyring_notice_shown (start));

  /* While the app runs its cache is open, with its -wal and -shm files. */
  read = assert_on_no_disk (start->token);
  g_assert_true (has_file_named (read, "cache.sqlite"));

  quit_app (start);
}

/* Second start: the keyring has the token; the main page comes without the sign-in page. */
static void
sign_in_by_itself (Start *start)
{
  g_autofree char *stored = NULL;

  g_assert_true (confab_test_wait_until (page_is_main, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (client_connected, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_false (showed_page (start, "signin"));
  g_assert_cmpstr (password_text (start), ==, "");
  g_assert_cmpstr (confab_session_get_username (confab_window_get_session (start->window)), ==,
                   USERNAME);

  /* It connected with the stored token, not with a new sign-in. */
  stored = keyring_lookup (start->url);
  g_assert_cmpstr (current_token (start), ==, stored);

  quit_app (start);
}

/* Started with --server naming another server than the saved session's: that server is used.
 * No token is kept for it, so the sign-in page asks for the password, with that server and the
 * last username filled in; the other server's token is not sent to it. */
static void
other_server_asks (Start *start)
{
  ConfabSigninPage *page = confab_window_get_signin_page (start->window);

  g_assert_true (confab_test_wait_until (page_settled, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_window_get_page (start->window), ==, "signin");
  g_assert_false (showed_page (start, "main"));
  g_assert_cmpstr (confab_signin_page_get_server (page), ==, start->url);
  g_assert_cmpstr (confab_signin_page_get_username (page), ==, USERNAME);
  quit_app (start);
}

/* Third start: signed in from the keyring, then Sign out from the menu. */
static void
sign_out (Start *start)
{
  KeyringWait wait = { 0 };
  ConfabClient *client;

  g_assert_true (confab_test_wait_until (page_is_main, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (client_connected, start, CONFAB_TEST_TIMEOUT_MS));

  client = confab_session_get_client (confab_window_get_session (start->window));
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);

  g_action_group_activate_action (G_ACTION_GROUP (start->app), "sign-out", NULL);

  g_assert_true (confab_test_wait_until (page_is_signin, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_null (confab_window_get_session (start->window));
  wait.url = start->url;
  g_assert_true (confab_test_wait_until (keyring_holds, &wait, CONFAB_TEST_TIMEOUT_MS));
  /* The client lives until the server answered the logout; quitting before would lose it. */
  g_assert_true (confab_test_wait_until (object_gone, &client, CONFAB_TEST_TIMEOUT_MS));

  quit_app (start);
}

/* No secret service, first start in an empty home: signing in works, and the app says that the
 * password will be asked again. */
static void
sign_in_without_keyring (Start *start)
{
  g_autoptr(GPtrArray) read = NULL;

  g_assert_true (confab_test_wait_until (page_settled, start, CONFAB_TEST_TIMEOUT_MS));
  sign_in (start, TRUE);
  start->token = g_strdup (current_token (start));

  g_assert_true (confab_test_wait_until (window_shows_no_storage_toast, start,
                                         CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (keyring_notice_shown (start));

  read = assert_on_no_disk (start->token);
  g_assert_true (has_file_named (read, "cache.sqlite"));

  quit_app (start);
}

/* No secret service, next start: the sign-in page, with the notice, the server and username
 * filled in and the password asked for. */
static void
asked_for_password (Start *start)
{
  ConfabSigninPage *page = confab_window_get_signin_page (start->window);

  g_assert_true (confab_test_wait_until (page_settled, start, CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_window_get_page (start->window), ==, "signin");
  g_assert_false (showed_page (start, "main"));
  g_assert_true (keyring_notice_shown (start));
  g_assert_cmpstr (confab_signin_page_get_username (page), ==, USERNAME);
  g_assert_cmpstr (password_text (start), ==, "");
}

static void
asked_for_password_and_sign_in (Start *start)
{
  asked_for_password (start);
  sign_in (start, FALSE);
  quit_app (start);
}

static void
asked_for_password_only (Start *start)
{
  asked_for_password (start);
  quit_app (start);
}

/* --- The parent: the server, the keyring and the files from outside -------------------------- */

/* The dirs every start must leave without the token: the test's HOME and XDG dirs, the
 * server's data, and the dirs the keyring daemon runs in. */
static void
set_walk_dirs (void)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) dirs = NULL;
  g_autofree char *joined = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (dir_vars); i++)
    g_strv_builder_add (builder, g_getenv (dir_vars[i]));
  g_strv_builder_add (builder, confab_test_server_get_data_dir (fx.server));
  g_strv_builder_addv (builder, (const char **) fx.outer_dirs);
  dirs = g_strv_builder_end (builder);
  joined = g_strjoinv (G_SEARCHPATH_SEPARATOR_S, dirs);
  g_setenv (ENV_WALK_DIRS, joined, TRUE);
}

static void
run_start (const char *phase)
{
  set_walk_dirs ();
  g_setenv (ENV_PHASE, phase, TRUE);
  g_test_trap_subprocess (NULL, START_TIMEOUT_USEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv (ENV_PHASE);
  g_test_trap_assert_passed ();
}

static gboolean
keyring_available (void)
{
  if (g_getenv ("CONFAB_KEYRING_INNER") != NULL)
    return TRUE;

  g_test_skip ("needs tests/run-with-keyring.sh");
  return FALSE;
}

static gboolean
run_phase (void)
{
  const char *phase;

  if (!g_test_subprocess ())
    return FALSE;

  phase = g_getenv (ENV_PHASE);
  g_assert_nonnull (phase);
  if (g_str_equal (phase, "sign-in"))
    run_app (sign_in_with_password);
  else if (g_str_equal (phase, "second-start"))
    run_app (sign_in_by_itself);
  else if (g_str_equal (phase, "other-server"))
    run_app (other_server_asks);
  else if (g_str_equal (phase, "sign-out"))
    run_app (sign_out);
  else if (g_str_equal (phase, "no-service-first"))
    run_app (sign_in_without_keyring);
  else if (g_str_equal (phase, "no-service-again"))
    run_app (asked_for_password_and_sign_in);
  else if (g_str_equal (phase, "no-bus"))
    run_app (asked_for_password_only);
  else
    g_assert_not_reached ();

  return TRUE;
}

static void
test_sign_in_stores_token (void)
{
  g_autoptr(GPtrArray) read = NULL;
  g_autofree char *hash = NULL;
  const char *url;

  if (run_phase () || !keyring_available ())
    return;

  url = confab_test_server_get_url (fx.server);
  g_assert_null (keyring_lookup (url));

  run_start ("sign-in");

  fx.token = keyring_lookup (url);
  g_assert_nonnull (fx.token);

  /* The app's files after it quit, the server's data and the keyring daemon's own files: none
   * holds the token. The server keeps its SHA-256 instead, which shows that its files were
   * read. */
  read = assert_on_no_disk (fx.token);
  g_assert_true (has_file_named (read, "cache.sqlite"));
  g_assert_true (has_file_named (read, "glib-2.0/settings/keyfile"));
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, fx.token, -1);
  {
    g_autoptr(GPtrArray) server_read = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(GPtrArray) with_hash = g_ptr_array_new_with_free_func (g_free);

    walk (confab_test_server_get_data_dir (fx.server), hash, server_read, with_hash);
    g_assert_cmpuint (with_hash->len, >, 0);
  }
  g_assert_null (strstr (confab_test_server_get_log (fx.server), fx.token));
}

static void
test_second_start_signs_in (void)
{
  g_autofree char *stored = NULL;

  if (run_phase () || !keyring_available ())
    return;
  g_assert_nonnull (fx.token);

  run_start ("second-start");

  stored = keyring_lookup (confab_test_server_get_url (fx.server));
  g_assert_cmpstr (stored, ==, fx.token);
}

/* `confab --server URL` is honoured over the saved session: on another server it asks to sign
 * in there; back on the saved one it signs in by itself. */
static void
test_server_option_over_saved_session (void)
{
  ConfabTestServer *other;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *stored = NULL;

  if (run_phase () || !keyring_available ())
    return;
  g_assert_nonnull (fx.token);

  other = confab_test_server_new (NULL, NULL);
  g_assert_cmpuint (confab_test_register (other, USERNAME, PASSWORD, &reply), ==, 201);
  g_setenv (ENV_SERVER_OPTION, confab_test_server_get_url (other), TRUE);
  run_start ("other-server");
  g_assert_null (keyring_lookup (confab_test_server_get_url (other)));

  g_setenv (ENV_SERVER_OPTION, confab_test_server_get_url (fx.server), TRUE);
  run_start ("second-start");
  g_unsetenv (ENV_SERVER_OPTION);
  confab_test_server_free (other);

  stored = keyring_lookup (confab_test_server_get_url (fx.server));
  g_assert_cmpstr (stored, ==, fx.token);
}

static void
test_sign_out_revokes (void)
{
  g_autoptr(ConfabTestClient) before = NULL;
  g_autoptr(ConfabTestClient) after = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autofree char *stored = NULL;

  if (run_phase () || !keyring_available ())
    return;
  g_assert_nonnull (fx.token);

  /* A connection of our own on the app's token: the server closes it when it revokes. */
  before = confab_test_client_new (fx.server, fx.token, 0);

  run_start ("sign-out");

  stored = keyring_lookup (confab_test_server_get_url (fx.server));
  g_assert_null (stored);

  g_assert_true (confab_test_client_wait_closed (before, CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpuint (confab_test_client_get_close_code (before), ==, 4401);
  after = confab_test_client_connect (fx.server);
  response = confab_test_client_hello (after, fx.token, 0);
  confab_test_assert_error (response, "unauthorized");
  g_assert_cmpuint (confab_test_http (fx.server, "POST", "/v1/logout", fx.token, NULL, NULL,
                                      NULL), ==, 401);
}

static void
bus_child_setup (gpointer user_data)
{
  /* The bus must not outlive a test that aborts. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* A session bus of our own with no services at all: no secret service can be found or
 * started on it. */
static GSubprocess *
start_bare_bus (char **address)
{
  g_autofree char *dir = confab_test_make_dir ("bare-bus");
  g_autofree char *config = g_build_filename (dir, "session.conf", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  GSubprocess *bus;

  text = g_strdup_printf ("<!DOCTYPE busconfig PUBLIC "
                          "\"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
                          "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                          "<busconfig>\n"
                          "  <type>session</type>\n"
                          "  <listen>unix:dir=%s</listen>\n"
                          "  <policy context=\"default\">\n"
                          "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
                          "    <allow eavesdrop=\"true\"/>\n"
                          "    <allow own=\"*\"/>\n"
                          "  </policy>\n"
                          "</busconfig>\n", dir);
  g_file_set_contents (config, text, -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, bus_child_setup, NULL, NULL);
  bus = g_subprocess_launcher_spawn (launcher, &error, "dbus-daemon", "--nofork",
                                     "--print-address=1", "--config-file", config, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus));
  *address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*address);
  return bus;
}

static void
test_no_service (void)
{
  g_autoptr(GSubprocess) bus = NULL;
  g_autofree char *address = NULL;
  g_autofree char *home = NULL;
  g_autofree char *nowhere = NULL;
  g_autofree char *saved_bus = NULL;
  g_autofree char *stored = NULL;
  char *saved_dirs[G_N_ELEMENTS (dir_vars)];
  g_autoptr(GError) error = NULL;

  if (run_phase ())
    return;

  /* A new, empty home: the first start on a desktop without a keyring. */
  home = confab_test_make_dir ("home-no-service");
  for (guint i = 0; i < G_N_ELEMENTS (dir_vars); i++)
    {
      g_autofree char *dir = g_build_filename (home, dir_vars[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      saved_dirs[i] = g_strdup (g_getenv (dir_vars[i]));
      g_setenv (dir_vars[i], dir, TRUE);
    }
  saved_bus = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));

  bus = start_bare_bus (&address);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
  run_start ("no-service-first");
  run_start ("no-service-again");

  /* No session bus at all. */
  nowhere = g_strdup_printf ("unix:path=%s/no-bus", home);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", nowhere, TRUE);
  run_start ("no-bus");

  if (saved_bus != NULL)
    g_setenv ("DBUS_SESSION_BUS_ADDRESS", saved_bus, TRUE);
  else
    g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
  for (guint i = 0; i < G_N_ELEMENTS (dir_vars); i++)
    {
      g_setenv (dir_vars[i], saved_dirs[i], TRUE);
      g_free (saved_dirs[i]);
    }

  g_subprocess_send_signal (bus, SIGTERM);
  g_subprocess_wait (bus, NULL, &error);
  g_assert_no_error (error);

  /* Nothing of it reached the real keyring either. */
  if (g_getenv ("CONFAB_KEYRING_INNER") != NULL)
    {
      stored = keyring_lookup (confab_test_server_get_url (fx.server));
      g_assert_null (stored);
    }
}

int
main (int   argc,
      char *argv[])
{
  char *inherited[G_N_ELEMENTS (dir_vars)];
  int ret;

  for (guint i = 0; i < G_N_ELEMENTS (dir_vars); i++)
    inherited[i] = g_strdup (g_getenv (dir_vars[i]));

  /* Settings go to a file, so that the next start reads them and the search for the token
   * reads them too. */
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);

  confab_test_init (&argc, &argv);

  if (g_test_subprocess ())
    {
      /* A start of the app: it lives in the parent's dirs, not in a temp dir of its own. */
      for (guint i = 0; i < G_N_ELEMENTS (dir_vars); i++)
        if (inherited[i] != NULL)
          g_setenv (dir_vars[i], inherited[i], TRUE);
      /* The buses without services have no accessibility bus either; GTK would warn. */
      g_setenv ("GTK_A11Y", "none", TRUE);
      confab_application_choose_renderer ();
      gtk_init ();
      adw_init ();
    }
  else
    {
      /* The dirs run-with-keyring.sh made for the keyring daemon. */
      g_autoptr(GStrvBuilder) outer = g_strv_builder_new ();
      g_autoptr(JsonObject) reply = NULL;

      if (g_getenv ("CONFAB_KEYRING_INNER") != NULL)
        for (guint i = 0; i < G_N_ELEMENTS (dir_vars); i++)
          if (inherited[i] != NULL)
            g_strv_builder_add (outer, inherited[i]);
      fx.outer_dirs = g_strv_builder_end (outer);
      fx.server = confab_test_server_new (NULL, NULL);
      g_setenv (ENV_SERVER_URL, confab_test_server_get_url (fx.server), TRUE);
      g_assert_cmpuint (confab_test_register (fx.server, USERNAME, PASSWORD, &reply), ==, 201);
    }

  for (guint i = 0; i < G_N_ELEMENTS (dir_vars); i++)
    g_free (inherited[i]);

  g_test_add_func ("/confab/ui/keyring/sign-in-stores-token", test_sign_in_stores_token);
  g_test_add_func ("/confab/ui/keyring/second-start-signs-in", test_second_start_signs_in);
  g_test_add_func ("/confab/ui/keyring/server-option-over-saved-session",
                   test_server_option_over_saved_session);
  g_test_add_func ("/confab/ui/keyring/sign-out-revokes", test_sign_out_revokes);
  g_test_add_func ("/confab/ui/keyring/no-service", test_no_service);
  ret = confab_test_run ();

  g_clear_pointer (&fx.server, confab_test_server_free);
  g_clear_pointer (&fx.outer_dirs, g_strfreev);
  g_clear_pointer (&fx.token, g_free);
  return ret;
}
