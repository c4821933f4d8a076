/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-call.h"
#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-conversation-view.h"
#include "confab-messaging.h"
#include "confab-session.h"
#include "confab-signin-page.h"
#include "confab-ui-test-util.h"

#include <signal.h>
#include <string.h>

void
confab_ui_test_init (int    *argc,
                     char ***argv)
{
  g_autoptr(GSettings) settings = NULL;

  confab_test_init (argc, argv);
  confab_application_choose_renderer ();
  gtk_init ();
  adw_init ();

  settings = g_settings_new (APP_ID);
  g_settings_set_boolean (settings, "notifications", FALSE);
}

/* --- A window manager and a keyboard ------------------------------------------------------ */

static GSubprocess *window_manager;

static gboolean
xprop (const char *args,
       char      **out)
{
  g_autofree char *command = g_strdup_printf ("xprop %s", args);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, NULL));
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                     NULL, out, NULL, &status, &error))
    g_error ("xprop (x11-utils) cannot run: %s", error->message);
  return g_spawn_check_wait_status (status, NULL);
}

/* The window a running EWMH window manager names on the root window, or NULL: a window
 * manager that has ended may leave the name of its window behind. */
static char *
window_manager_window (void)
{
  g_autofree char *out = NULL;
  g_autofree char *check = NULL;
  g_autofree char *args = NULL;
  const char *id;

  if (!xprop ("-root _NET_SUPPORTING_WM_CHECK", &out)
      || (id = strstr (out, "window id # ")) == NULL)
    return NULL;
  id += strlen ("window id # ");
  args = g_strdup_printf ("-id %.*s _NET_SUPPORTING_WM_CHECK", (int) strcspn (id, " \n"), id);
  if (!xprop (args, &check) || strstr (check, "window id # ") == NULL)
    return NULL;
  return g_strndup (id, strcspn (id, " \n"));
}

void
confab_ui_test_start_window_manager (void)
{
  g_autofree char *openbox = g_find_program_in_path ("openbox");
  g_autofree char *running = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  if (g_getenv ("DISPLAY") == NULL)
    g_error ("no X display for the window manager");
  if ((running = window_manager_window ()) != NULL)
    return;
  if (openbox == NULL)
    g_error ("no window manager: install openbox (.ci/install-deps)");

  window_manager = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                     | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                     openbox, "--sm-disable", NULL);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + CONFAB_TEST_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  while ((running = window_manager_window ()) == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("openbox did not start");
      confab_test_drain (20);
    }
}

void
confab_ui_test_stop_window_manager (void)
{
  if (window_manager == NULL)
    return;
  g_subprocess_send_signal (window_manager, SIGTERM);
  g_subprocess_wait (window_manager, NULL, NULL);
  g_clear_object (&window_manager);
}

void
confab_ui_test_keys (const char *keys)
{
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  g_auto(GStrv) argv = NULL;
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (xdotool == NULL)
    g_error ("no xdotool to type keys: install it (.ci/install-deps)");
  command = g_strdup_printf ("'%s' key --delay 20 %s", xdotool, keys);
  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    g_error ("xdotool key %s: %s", keys, error->message);
}

static gboolean
window_active (gpointer user_data)
{
  return gtk_window_is_active (user_data);
}

static gboolean
on_signin_page (gpointer user_data)
{
  return g_strcmp0 (confab_window_get_page (user_data), "signin") == 0;
}

void
confab_ui_fixture_set_up (ConfabUiFixture *f)
{
  const char *extra[] = { "--registration", "open", NULL };
  g_autoptr(ConfabTestClient) ann_ws = NULL;

  f->server = confab_test_server_new (extra, NULL);
  f->ann = confab_test_user_new (f->server, "ann");
  f->bob = confab_test_user_new (f->server, "bob");
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"display_name\":\"Bob Builder\"}"));
  ann_ws = confab_test_client_new (f->server, f->ann->token, 0);
  json_object_unref (confab_test_client_call_ok (ann_ws, "profile_update",
                                                 "{\"display_name\":\"Ann Example\"}"));

  confab_ui_test_start_window_manager ();

  f->app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (f->app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  g_assert_true (g_application_register (G_APPLICATION (f->app), NULL, NULL));
  g_application_activate (G_APPLICATION (f->app));
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  g_assert_true (confab_test_wait_until (on_signin_page, f->window, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (window_active, f->window, CONFAB_TEST_TIMEOUT_MS));
}

void
confab_ui_fixture_tear_down (ConfabUiFixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  /* As the application's shutdown does: the call engine's start-up thread must not outlive
   * the process's libraries. */
  confab_call_warm_up_wait ();
  g_clear_pointer (&f->bob_ws, confab_test_client_free);
  g_clear_pointer (&f->bob, confab_test_user_free);
  g_clear_pointer (&f->ann, confab_test_user_free);
  g_clear_pointer (&f->server, confab_test_server_free);
  g_clear_object (&f->app);
  confab_ui_test_stop_window_manager ();
}

static gboolean
signed_in_and_connected (gpointer user_data)
{
  ConfabSession *session = confab_window_get_session (user_data);

  return g_strcmp0 (confab_window_get_page (user_data), "main") == 0 && session != NULL
         && confab_client_get_state (confab_session_get_client (session))
         == CONFAB_CLIENT_STATE_CONNECTED;
}

void
confab_ui_fixture_sign_in (ConfabUiFixture *f)
{
  ConfabSigninPage *page = confab_window_get_signin_page (f->window);
  GObject *password = gtk_widget_get_template_child (GTK_WIDGET (page), CONFAB_TYPE_SIGNIN_PAGE,
                                                     "password_row");

  confab_signin_page_set_server (page, confab_test_server_get_url (f->server));
  confab_signin_page_set_create_account (page, FALSE);
  confab_signin_page_set_username (page, "ann");
  gtk_editable_set_text (GTK_EDITABLE (password), f->ann->password);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "signin.submit", NULL));
  g_assert_true (confab_test_wait_until (signed_in_and_connected, f->window,
                                         CONFAB_TEST_TIMEOUT_MS));
}

gint64
confab_ui_fixture_bob_says (ConfabUiFixture *f,
                            const char      *body)
{
  g_autofree char *id = confab_test_uuid ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) params = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_object_set_string_member (params, "conv", "dm:ann:bob");
  json_object_set_string_member (params, "client_msg_id", id);
  json_object_set_string_member (params, "body", body);
  json_node_set_object (node, params);
  text = json_to_string (node, FALSE);
  result = confab_test_client_call_ok (f->bob_ws, "send", "%s", text);
  return json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
}

ConfabConversation *
confab_ui_fixture_lookup (ConfabUiFixture *f,
                          const char      *conv)
{
  ConfabSession *session = confab_window_get_session (f->window);

  if (session == NULL)
    return NULL;
  return confab_conversation_list_lookup (
    confab_messaging_get_conversations (confab_messaging_from_session (session)), conv);
}

typedef struct
{
  ConfabUiFixture *f;
  const char      *conv;
} ConvWait;

static gboolean
conversation_listed (gpointer user_data)
{
  ConvWait *wait = user_data;

  return confab_ui_fixture_lookup (wait->f, wait->conv) != NULL;
}

void
confab_ui_fixture_open (ConfabUiFixture *f,
                        const char      *conv)
{
  ConvWait wait = { f, conv };

  g_assert_true (confab_test_wait_until (conversation_listed, &wait, CONFAB_TEST_TIMEOUT_MS));
  confab_window_open_conversation (f->window, conv);
  g_assert_true (confab_conversation_view_get_conversation (
                   confab_window_get_conversation_view (f->window))
                 == confab_ui_fixture_lookup (f, conv));
}

GtkWidget *
confab_ui_find_widget (GtkWidget *root,
                       GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = confab_ui_find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWindow *
confab_ui_find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      /* The list keeps it while it is open. */
      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

typedef struct
{
  ConfabUiCase run;
} Case;

static void
run_case (gconstpointer data)
{
  const Case *test_case = data;
  ConfabUiFixture f = { 0 };

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  confab_ui_fixture_set_up (&f);
  test_case->run (&f);
  confab_ui_fixture_tear_down (&f);
}

void
confab_ui_test_add (const char   *path,
                    ConfabUiCase  run)
{
  Case *test_case = g_new0 (Case, 1);

  test_case->run = run;
  g_test_add_data_func_full (path, test_case, run_case, g_free);
}
