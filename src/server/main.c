/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabd"

#include "config.h"

#include "confab-log.h"
#include "confab-server.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <sys/stat.h>

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

  g_main_loop_run (loop);

  confab_server_stop (server);
  return 0;
}
