/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabctl"

#include "config.h"

#include "confab-ctl.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <libsecret/secret.h>

/* confabctl: administers a Confab server over its admin API. `confabctl [--server URL]
 * [--json] COMMAND [OPTION…]`; each command is in the table of its group. */

static const ConfabCtlCommand * const groups[] = {
  confab_ctl_account_commands,
  confab_ctl_users_commands,
  confab_ctl_server_commands,
};

/* The command named by the first one or two words of @argv; *words says how many. */
static const ConfabCtlCommand *
find_command (int    argc,
              char **argv,
              int   *words)
{
  g_autofree char *two = argc >= 2 ? g_strconcat (argv[0], " ", argv[1], NULL) : NULL;

  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    for (const ConfabCtlCommand *c = groups[g]; c->name != NULL; c++)
      {
        if (two != NULL && g_str_equal (c->name, two))
          {
            *words = 2;
            return c;
          }
        if (g_str_equal (c->name, argv[0]))
          {
            *words = 1;
            return c;
          }
      }
  return NULL;
}

static char *
commands_text (void)
{
  GString *text = g_string_new (_("Commands:\n"));

  for (guint g = 0; g < G_N_ELEMENTS (groups); g++)
    for (const ConfabCtlCommand *c = groups[g]; c->name != NULL; c++)
      g_string_append_printf (text, "  %-24s %s\n", c->name, _(c->summary));
  g_string_append (text, _("\nRun “confabctl COMMAND --help” for the options of a command.\n"));
  return g_string_free (text, FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(ConfabCtl) ctl = { 0 };
  g_autofree char *server = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[3];
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  g_autofree char *prgname = NULL;
  const ConfabCtlCommand *command;
  int words = 0;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  confab_ctl_global_entries (entries, &server, &json);
  context = g_option_context_new (_("COMMAND [OPTION…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Administers a Confab server: accounts, sessions, "
                                           "announcements, statistics and the audit log."));
  description = commands_text ();
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  /* Options after the command are the command's. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("confabctl: %s\n", error->message);
      return CONFAB_CTL_EXIT_USAGE;
    }
  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return CONFAB_CTL_EXIT_USAGE;
    }

  command = find_command (argc - 1, argv + 1, &words);
  if (command == NULL)
    {
      g_printerr (_("confabctl: unknown command “%s”; run “confabctl --help”\n"), argv[1]);
      return CONFAB_CTL_EXIT_USAGE;
    }

  ctl.server = g_steal_pointer (&server);
  ctl.json = json;
  /* The command sees its name as argv[0], for its --help. */
  prgname = g_strconcat ("confabctl ", command->name, NULL);
  g_set_prgname (prgname);
  argv[words] = prgname;
  status = command->func (&ctl, argc - words, argv + words);
  /* The keyring's proxy, if a command used it, with what it cached, and the D-Bus signals
   * still queued for it on the main context. */
  secret_service_disconnect ();
  while (g_main_context_iteration (NULL, FALSE))
    ;
  return status;
}
