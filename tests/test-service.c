/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* confabd under a service manager: the real binary started with $NOTIFY_SOCKET (a unix
 * datagram socket of the test's, by path or in the abstract namespace) and $WATCHDOG_USEC,
 * as systemd starts a Type=notify unit. It says READY=1 with a STATUS once it listens, pings
 * WATCHDOG=1 at half the interval while it runs, and STOPPING=1 on its way out. */

#define T CONFAB_TEST_TIMEOUT_MS

typedef struct
{
  GSocket   *socket;
  char      *env;        /* what NOTIFY_SOCKET names it by */
  GPtrArray *messages;   /* the datagrams, as text */
  GSource   *source;
} Listener;

static gboolean
on_datagram (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  Listener *listener = user_data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      char buffer[4096];
      gssize length = g_socket_receive (socket, buffer, sizeof buffer - 1, NULL, &error);

      if (length < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          break;
        }
      buffer[length] = '\0';
      g_ptr_array_add (listener->messages, g_strdup (buffer));
    }
  return G_SOURCE_CONTINUE;
}

static Listener *
listener_new (gboolean abstract)
{
  static guint counter;
  Listener *listener = g_new0 (Listener, 1);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  if (abstract)
    {
      g_autofree char *name = g_strdup_printf ("confab-test-notify-%d-%u", (int) getpid (),
                                               ++counter);

      address = g_unix_socket_address_new_with_type (name, -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
      listener->env = g_strconcat ("@", name, NULL);
    }
  else
    {
      listener->env = g_strdup_printf ("%s/notify-%u.sock", confab_test_get_tmp_dir (),
                                       ++counter);
      address = g_unix_socket_address_new (listener->env);
    }
  listener->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                   G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (listener->socket, address, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (listener->socket, FALSE);
  listener->messages = g_ptr_array_new_with_free_func (g_free);
  listener->source = g_socket_create_source (listener->socket, G_IO_IN, NULL);
  g_source_set_callback (listener->source, (GSourceFunc) (GCallback) on_datagram, listener,
                         NULL);
  g_source_attach (listener->source, NULL);
  return listener;
}

static void
listener_free (Listener *listener)
{
  g_source_destroy (listener->source);
  g_source_unref (listener->source);
  g_object_unref (listener->socket);
  if (listener->env[0] == '/')
    g_unlink (listener->env);
  g_free (listener->env);
  g_ptr_array_unref (listener->messages);
  g_free (listener);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Listener, listener_free)

/* The index of the first datagram with a line @line (or starting with it, with @prefix). */
static int
find (Listener   *listener,
      const char *line,
      gboolean    prefix)
{
  for (guint i = 0; i < listener->messages->len; i++)
    {
      g_auto(GStrv) lines = g_strsplit (g_ptr_array_index (listener->messages, i), "\n", -1);

      for (guint j = 0; lines[j] != NULL; j++)
        if (prefix ? g_str_has_prefix (lines[j], line) : g_str_equal (lines[j], line))
          return i;
    }
  return -1;
}

static guint
count (Listener   *listener,
       const char *message)
{
  guint n = 0;

  for (guint i = 0; i < listener->messages->len; i++)
    n += g_str_equal (g_ptr_array_index (listener->messages, i), message);
  return n;
}

typedef struct
{
  Listener   *listener;
  const char *message;
  guint       wanted;
} Waiting;

static gboolean
arrived (gpointer user_data)
{
  Waiting *waiting = user_data;

  if (waiting->wanted == 0)
    return find (waiting->listener, waiting->message, FALSE) >= 0;
  return count (waiting->listener, waiting->message) >= waiting->wanted;
}

static void
wait_for (Listener   *listener,
          const char *message,
          guint       wanted)
{
  Waiting waiting = { listener, message, wanted };

  if (!confab_test_wait_until (arrived, &waiting, T))
    g_error ("no %s (x%u) from confabd in %u datagrams", message, MAX (wanted, 1),
             listener->messages->len);
}

/* Starts confabd with the environment of a Type=notify unit. */
static ConfabTestServer *
start_server (Listener   *listener,
              const char *watchdog_usec,
              const char *watchdog_pid)
{
  ConfabTestServer *server;

  g_setenv ("NOTIFY_SOCKET", listener->env, TRUE);
  g_setenv ("WATCHDOG_USEC", watchdog_usec, TRUE);
  if (watchdog_pid != NULL)
    g_setenv ("WATCHDOG_PID", watchdog_pid, TRUE);
  server = confab_test_server_new (NULL, NULL);
  g_unsetenv ("NOTIFY_SOCKET");
  g_unsetenv ("WATCHDOG_USEC");
  g_unsetenv ("WATCHDOG_PID");
  return server;
}

static void
test_ready_watchdog (void)
{
  g_autoptr(Listener) listener = listener_new (FALSE);
  g_autoptr(ConfabTestServer) server = start_server (listener, "200000", NULL);
  g_autofree char *status = NULL;
  int ready;

  wait_for (listener, "READY=1", 0);
  ready = find (listener, "READY=1", FALSE);
  status = g_strdup_printf ("STATUS=listening on %s", confab_test_server_get_url (server));
  g_assert_cmpint (find (listener, status, FALSE), ==, ready);

  /* Pings at half of 200 ms, from after it is ready, for as long as it runs. */
  wait_for (listener, "WATCHDOG=1", 3);
  g_assert_cmpint (find (listener, "WATCHDOG=1", FALSE), >, ready);
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/admin/stats", NULL, NULL, NULL, NULL),
                    ==, 401);
  wait_for (listener, "WATCHDOG=1", 6);

  confab_test_server_stop (server);
  wait_for (listener, "STOPPING=1", 0);
  g_assert_cmpint (find (listener, "STOPPING=1", FALSE), >, ready);
}

static void
test_abstract_other_pid (void)
{
  g_autoptr(Listener) listener = listener_new (TRUE);
  g_autoptr(ConfabTestServer) server = start_server (listener, "200000", "1");

  wait_for (listener, "READY=1", 0);
  g_assert_cmpint (find (listener, "STATUS=listening on ", TRUE), >=, 0);
  confab_test_server_stop (server);
  wait_for (listener, "STOPPING=1", 0);
  /* The watchdog was meant for another process: none of its pings came. */
  g_assert_cmpuint (count (listener, "WATCHDOG=1"), ==, 0);
}

static void
test_no_socket (void)
{
  g_autoptr(ConfabTestServer) server = NULL;

  /* Without NOTIFY_SOCKET (started by hand, or by a Type=simple unit) it just runs. */
  g_unsetenv ("NOTIFY_SOCKET");
  g_setenv ("WATCHDOG_USEC", "200000", TRUE);
  server = confab_test_server_new (NULL, NULL);
  g_unsetenv ("WATCHDOG_USEC");
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/admin/stats", NULL, NULL, NULL, NULL),
                    ==, 401);
  confab_test_server_assert_running (server);
}

/* confabd --data-dir DIR --create-admin USERNAME, the password on standard input; returns
 * its exit status, its output in @out. */
static int
create_admin (const char  *data_dir,
              const char  *username,
              const char  *input,
              char       **out)
{
  const char *argv[] = {
    g_getenv ("CONFABD"), "--data-dir", data_dir, "--create-admin", username, NULL
  };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE
                               | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                               &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, out, &err, &error));
  g_assert_no_error (error);
  g_test_message ("confabd --create-admin %s: %s%s", username, *out, err);
  g_assert_true (g_subprocess_get_if_exited (process));
  return g_subprocess_get_exit_status (process);
}

static void
test_create_admin (void)
{
  const char *args[] = { "--registration", "closed", NULL };
  g_autoptr(ConfabTestServer) server = confab_test_server_new (args,
                                                               "[security]\nargon2_opslimit=1\n"
                                                               "argon2_memlimit_kib=8\n");
  const char *data_dir = confab_test_server_get_data_dir (server);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *token = NULL;
  g_autofree char *out = NULL;

  /* Not beside the running server: the data directory is its. */
  g_assert_cmpint (create_admin (data_dir, "root", "long enough pw\n", &out), ==, 1);
  g_clear_pointer (&out, g_free);
  confab_test_server_stop (server);

  g_assert_cmpint (create_admin (data_dir, "root", "short\n", &out), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (create_admin (data_dir, "no such name!", "long enough pw\n", &out), ==, 1);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (create_admin (data_dir, "root", "", &out), ==, 2);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (create_admin (data_dir, "Root", "long enough pw\n", &out), ==, 0);
  g_assert_cmpstr (out, ==, "created the administrator Root\n");
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (create_admin (data_dir, "root", "another long pw\n", &out), ==, 1);

  /* Registration is closed, and the administrator signs in and administers. */
  confab_test_server_start (server);
  g_assert_cmpuint (confab_test_register (server, "mallory", "long enough pw", NULL), ==, 403);
  token = confab_test_login (server, "root", "long enough pw", NULL);
  g_assert_nonnull (token);
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/admin/audit?action=user_create", token,
                                      NULL, &reply, NULL), ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (reply,
                                                                                  "entries"), 0),
                     "actor"), ==, "confabd");
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/service/ready-watchdog", test_ready_watchdog);
  g_test_add_func ("/confab/service/abstract-other-pid", test_abstract_other_pid);
  g_test_add_func ("/confab/service/no-socket", test_no_socket);
  g_test_add_func ("/confab/service/create-admin", test_create_admin);

  return confab_test_run ();
}
