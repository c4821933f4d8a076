/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a screen reader finds in Confab: the AT-SPI tree of the sign-in page, the main window
 * with a conversation open and the call window, read from outside the process by
 * confab-a11y-walk, as Orca would. Every control (anything focusable, and every button, entry,
 * row…) has a name; list rows say what they show. Runs under Xvfb on a private session bus, whose
 * accessibility bus the bus starts on demand. */
#include "config.h"

#include <gst/gst.h>
#include <unistd.h>

#include "confab-call.h"
#include "confab-call-test-devices.h"
#include "confab-call-window.h"
#include "confab-media-devices-private.h"
#include "confab-profile-window.h"
#include "confab-quick-switcher.h"
#include "confab-search-window.h"
#include "confab-ui-test-util.h"

/* The walker's "not on the bus yet" exit status: the application registers asynchronously. */
#define WALK_NOT_FOUND 1

typedef struct
{
  gboolean  done;
  char     *out;
  GError   *error;
  int       status;
} Walk;

static void
walk_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GSubprocess *process = G_SUBPROCESS (source);
  Walk *walk = user_data;

  if (g_subprocess_communicate_utf8_finish (process, result, &walk->out, NULL, &walk->error))
    walk->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                        : -g_subprocess_get_term_sig (process);
  walk->done = TRUE;
}

/* Runs confab-a11y-walk on this process while the main loop answers it; returns its lines. */
static GStrv
walk_tree (void)
{
  const char *walker = g_getenv ("CONFAB_A11Y_WALK");
  g_autofree char *pid = g_strdup_printf ("%d", (int) getpid ());
  gint64 deadline = g_get_monotonic_time () + CONFAB_TEST_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

  g_assert_nonnull (walker);
  for (;;)
    {
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      Walk walk = { 0 };

      process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, walker, pid, NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8_async (process, NULL, NULL, walk_done_cb, &walk);
      g_assert_true (confab_test_wait_flag (&walk.done, 60000));
      g_assert_no_error (walk.error);

      if (walk.status == 0)
        {
          GStrv lines = g_strsplit (walk.out, "\n", -1);

          g_free (walk.out);
          return lines;
        }
      g_free (walk.out);
      /* libatspi in the walker can die when an application leaves the bus while it reads
       * the desktop's list (GetItems on an object already gone): that walk is taken again.
       * Any other failure of the walker fails the test. */
      if (walk.status < 0)
        g_test_message ("confab-a11y-walk died of signal %d; walking again", -walk.status);
      else
        g_assert_cmpint (walk.status, ==, WALK_NOT_FOUND);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      confab_test_drain (100);
    }
}

typedef struct
{
  guint      depth;
  char      *role;
  char      *name;
  gboolean   visible;
  gboolean   control;
} Node;

static gboolean
parse_line (const char *line,
            Node       *node)
{
  g_auto(GStrv) fields = g_strsplit (line, "\t", 4);

  if (g_strv_length (fields) != 4)
    return FALSE;
  node->depth = (guint) g_ascii_strtoull (fields[0], NULL, 10);
  node->role = g_strdup (fields[1]);
  node->name = g_strdup (fields[2]);
  node->visible = strchr (fields[3], 'v') != NULL;
  node->control = strchr (fields[3], 'c') != NULL;
  return TRUE;
}

static void
node_clear (Node *node)
{
  g_clear_pointer (&node->role, g_free);
  g_clear_pointer (&node->name, g_free);
}

/* GTK names an object without a name of its own after its type ("GtkImage"): that is no name
 * to a user. */
static gboolean
is_unnamed (const char *name)
{
  g_autoptr(GRegex) type_name = g_regex_new ("^(Gtk|Adw|Confab)[A-Za-z]+$", 0, 0, NULL);

  return name[0] == '\0' || g_regex_match (type_name, name, 0, NULL);
}

/* Fails, listing each one, if a visible control has no name; returns how many controls on
 * screen have one. */
static guint
assert_controls_named (GStrv lines)
{
  g_autoptr(GString) unnamed = g_string_new (NULL);
  guint named = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      Node node = { 0 };

      if (!parse_line (lines[i], &node))
        continue;
      if (node.control && node.visible)
        {
          if (is_unnamed (g_strstrip (node.name)))
            g_string_append_printf (unnamed, "  a %s \"%s\" at depth %u (line %u)\n", node.role,
                                    node.name, node.depth, i + 1);
          else
            named++;
        }
      node_clear (&node);
    }

  if (unnamed->len > 0)
    {
      g_autofree char *all = g_strjoinv ("\n", lines);

      g_printerr ("The accessibility tree:\n%s\n", all);
      g_error ("controls without a name:\n%s", unnamed->str);
    }
  return named;
}

/* Whether some object of the role shows, with a name holding every one of the words. */
static gboolean
has_named (GStrv               lines,
           const char         *role,
           const char * const *words)
{
  gboolean found = FALSE;

  for (guint i = 0; lines[i] != NULL && !found; i++)
    {
      Node node = { 0 };

      if (parse_line (lines[i], &node) && node.visible && g_strcmp0 (node.role, role) == 0)
        {
          found = TRUE;
          for (guint w = 0; words[w] != NULL; w++)
            found = found && strstr (node.name, words[w]) != NULL;
        }
      node_clear (&node);
    }
  return found;
}

#define assert_has_named(lines, role, ...) \
  G_STMT_START { \
    const char *words_[] = { __VA_ARGS__, NULL }; \
    if (!has_named ((lines), (role), words_)) \
      { \
        g_autofree char *all_ = g_strjoinv ("\n", (lines)); \
        g_printerr ("The accessibility tree:\n%s\n", all_); \
        g_error ("no %s named with: %s", (role), g_strjoinv (", ", (char **) words_)); \
      } \
  } G_STMT_END

static void
test_windows_named (void)
{
  ConfabUiFixture f = { 0 };
  g_auto(GStrv) signin_lines = NULL;
  g_auto(GStrv) main_lines = NULL;

  confab_ui_fixture_set_up (&f);

  /* The sign-in page. */
  signin_lines = walk_tree ();
  g_assert_cmpuint (assert_controls_named (signin_lines), >=, 4);
  assert_has_named (signin_lines, "push button", "Main Menu");
  assert_has_named (signin_lines, "push button", "Sign In");

  /* The main window with bob's conversation open. */
  confab_ui_fixture_sign_in (&f);
  confab_ui_fixture_bob_says (&f, "Hi Ann, lunch at noon?");
  confab_ui_fixture_open (&f, "dm:ann:bob");
  confab_test_drain (200);

  main_lines = walk_tree ();
  g_assert_cmpuint (assert_controls_named (main_lines), >=, 10);
  /* The icon-only buttons by what they do. */
  assert_has_named (main_lines, "push button", "Send");
  assert_has_named (main_lines, "push button", "Audio Call");
  assert_has_named (main_lines, "push button", "Video Call");
  assert_has_named (main_lines, "push button", "New Conversation");
  assert_has_named (main_lines, "push button", "Insert Emoji");
  assert_has_named (main_lines, "push button", "Search");
  assert_has_named (main_lines, "push button", "Your status");
  /* Rows say what they show: the conversation's name and last message, and the message's
   * sender, time and text. */
  assert_has_named (main_lines, "list item", "Bob Builder", "lunch at noon");
  assert_has_named (main_lines, "list item", "Bob Builder", "Hi Ann, lunch at noon?", ":");

  confab_ui_fixture_tear_down (&f);
}

static gboolean
has_results (gpointer user_data)
{
  return g_list_model_get_n_items (confab_search_window_get_results (user_data)) > 0;
}

/* The dialogs over the main window: message search with a result, the quick switcher and a
 * profile. */
static void
test_dialogs_named (void)
{
  ConfabUiFixture f = { 0 };
  ConfabSearchWindow *search;
  GtkWindow *dialog;

  confab_ui_fixture_set_up (&f);
  confab_ui_fixture_sign_in (&f);
  confab_ui_fixture_bob_says (&f, "The budget is approved");
  confab_ui_fixture_open (&f, "dm:ann:bob");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.search-messages", NULL));
  search = CONFAB_SEARCH_WINDOW (confab_ui_find_toplevel (CONFAB_TYPE_SEARCH_WINDOW));
  g_assert_nonnull (search);
  confab_search_window_search (search, "budget");
  g_assert_true (confab_test_wait_until (has_results, search, CONFAB_TEST_TIMEOUT_MS));
  confab_test_drain (200);
  {
    g_auto(GStrv) lines = walk_tree ();

    assert_controls_named (lines);
    assert_has_named (lines, "list item", "Bob Builder", "The budget is approved");
  }
  gtk_window_destroy (GTK_WINDOW (search));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f.window), "win.quick-switch", NULL));
  dialog = confab_ui_find_toplevel (CONFAB_TYPE_QUICK_SWITCHER);
  g_assert_nonnull (dialog);
  confab_test_drain (200);
  {
    g_auto(GStrv) lines = walk_tree ();

    assert_controls_named (lines);
    assert_has_named (lines, "list item", "Bob Builder");
  }
  gtk_window_destroy (dialog);

  dialog = GTK_WINDOW (confab_profile_window_new (GTK_WINDOW (f.window),
                                                  confab_window_get_session (f.window), "bob"));
  gtk_window_present (dialog);
  confab_test_drain (200);
  {
    g_auto(GStrv) lines = walk_tree ();

    assert_controls_named (lines);
  }
  gtk_window_destroy (dialog);

  confab_ui_fixture_tear_down (&f);
}

static void
test_call_window_named (void)
{
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(GstDevice) mic = confab_call_test_device_new (CONFAB_CALL_TEST_MICROPHONE,
                                                          "USB Microphone");
  g_autoptr(ConfabCall) call = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  ConfabCallWindow *window;

  confab_media_devices_add_device_for_testing (devices, mic);
  confab_media_devices_set_microphone (devices, mic);
  call = confab_call_new ("call-1", "bob", CONFAB_CALL_ROLE_CALLER,
                          CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, devices, &error);
  g_assert_no_error (error);
  window = confab_call_window_new (NULL, call, "Bob Builder");
  gtk_window_present (GTK_WINDOW (window));
  confab_test_drain (200);

  lines = walk_tree ();
  g_assert_cmpuint (assert_controls_named (lines), >=, 4);
  assert_has_named (lines, "push button", "Mute");
  assert_has_named (lines, "push button", "Camera");
  assert_has_named (lines, "push button", "Devices");
  assert_has_named (lines, "push button", "Hang Up");

  confab_call_hangup (call);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Each case in a process of its own: an application registers on the bus once per process. */
static void
run_case (gconstpointer data)
{
  GTestFunc test_func = (GTestFunc) data;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }
  test_func ();
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  confab_ui_test_init (&argc, &argv);
  gst_init (&argc, &argv);

  g_test_add_data_func ("/confab/a11y/windows-named", test_windows_named, run_case);
  g_test_add_data_func ("/confab/a11y/call-window-named", test_call_window_named, run_case);
  g_test_add_data_func ("/confab/a11y/dialogs-named", test_dialogs_named, run_case);

  ret = confab_test_run ();
  confab_call_warm_up_wait ();
  return ret;
}
