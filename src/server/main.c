/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabd"

#include "config.h"

#include "confab-admin.h"
#include "confab-log.h"
#include "confab-sd-notify.h"
#include "confab-server.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The service manager's watchdog: pinged from the main loop, so a loop that stopped turning
 * (a deadlock, a handler that blocks) gets the service restarted. */
static gboolean
on_watchdog (gpointer user_data)
{
  confab_sd_notify ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  GMainLoop *loop;
  GError    *error;
} Creating;

static void
admin_created_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Creating *creating = user_data;

  confab_admin_create_finish (CONFAB_SERVER (source), result, &creating->error);
  g_main_loop_quit (creating->loop);
}

/* confabd --create-admin USERNAME: the first administrator of a server whose registration is
 * closed, with the password from standard input (one line). The data directory's lock keeps
 * it from running beside the server. Takes @config. */
static int
create_admin (ConfabConfig *config,
              const char   *username)
{
  g_autoptr(ConfabConfig) owned = config;
  g_autoptr(GIOChannel) input = g_io_channel_unix_new (0);
  g_autoptr(ConfabServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  Creating creating = { 0 };
  gsize length = 0;

  if (g_io_channel_read_line (input, &password, &length, NULL, &error) != G_IO_STATUS_NORMAL
      || password == NULL)
    {
      g_printerr ("confabd: --create-admin reads the password from standard input: %s\n",
                  error != NULL ? error->message : "there is none");
      return 2;
    }
  password[strcspn (password, "\r\n")] = '\0';

  server = confab_server_new (g_steal_pointer (&owned), &error);
  if (server == NULL)
    {
      g_printerr ("confabd: %s\n", error->message);
      return 1;
    }
  loop = g_main_loop_new (NULL, FALSE);
  creating.loop = loop;
  confab_admin_create_async (server, username, password, admin_created_cb, &creating);
  g_main_loop_run (loop);
  memset (password, 0, strlen (password));
  confab_server_stop (server);
  if (creating.error != NULL)
    {
      g_printerr ("confabd: cannot create the administrator %s: %s\n", username,
                  creating.error->message);
      g_error_free (creating.error);
      return 1;
    }
  printf ("created the administrator %s\n", username);
  return 0;
}

static gboolean
on_stop_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("stopping");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabConfig) config = confab_config_new ();
  g_autoptr(ConfabServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *config_file = NULL;
  g_autofree char *registration = NULL;
  g_autofree char *status = NULL;
  g_autofree char *first_admin = NULL;
  guint64 watchdog_usec;
  gboolean plain = FALSE;
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      "Where the database and the TLS certificate live", "DIR" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      "Address and port to listen on (port 0 picks a free one)", "HOST:PORT" },
    { "plain", 0, 0, G_OPTION_ARG_NONE, &plain,
      "Serve plain HTTP (loopback addresses only)", NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
      "Configuration file (confabd.conf)", "FILE" },
    { "registration", 0, 0, G_OPTION_ARG_STRING, &registration,
      "Whether people may create accounts themselves", "open|closed" },
    { "create-admin", 0, 0, G_OPTION_ARG_STRING, &first_admin,
      "Create an administrator, the password read from standard input, and exit", "USERNAME" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  /* The database, its journal, the key and every file confabd makes are its own alone. */
  umask (077);
  setlocale (LC_ALL, "");
  confab_log_init ();

  context = g_option_context_new ("— the Confab server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("confabd: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("confabd %s\n", PACKAGE_VERSION);
      return 0;
    }

  if ((config_file != NULL && !confab_config_load_file (config, config_file, &error))
      || (listen != NULL && !confab_config_set_listen (config, listen, &error))
      || (registration != NULL && !confab_config_set_registration (config, registration, &error)))
    {
      g_printerr ("confabd: %s\n", error->message);
      return 2;
    }
  if (data_dir != NULL)
    {
      g_free (config->data_dir);
      config->data_dir = g_steal_pointer (&data_dir);
    }
  if (plain)
    config->plain = TRUE;
  if (!confab_config_validate (config, &error))
    {
      g_printerr ("confabd: %s\n", error->message);
      return 2;
    }

  if (first_admin != NULL)
    return create_admin (g_steal_pointer (&config), first_admin);

  /* Before anything can announce the server: a harness may stop it the moment it is up. */
  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_stop_signal, loop);
  g_unix_signal_add (SIGINT, on_stop_signal, loop);

  server = confab_server_new (g_steal_pointer (&config), &error);
  if (server == NULL || !confab_server_start (server, &error))
    {
      g_printerr ("confabd: %s\n", error->message);
      return 1;
    }

  /* Test harnesses and scripts read this line to learn the port. */
  printf ("listening on %s\n", confab_server_get_url (server));
  fflush (stdout);

  /* Under systemd (Type=notify): ready once it listens; watched for as long as it runs. */
  status = g_strdup_printf ("READY=1\nSTATUS=listening on %s", confab_server_get_url (server));
  confab_sd_notify (status);
  watchdog_usec = confab_sd_watchdog_usec ();
  if (watchdog_usec > 0)
    g_timeout_add (MAX (watchdog_usec / 2 / 1000, 1), on_watchdog, NULL);

  g_main_loop_run (loop);

  confab_sd_notify ("STOPPING=1\nSTATUS=stopping");
  confab_server_stop (server);
  return 0;
}
