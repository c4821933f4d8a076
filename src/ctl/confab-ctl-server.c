/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabctl"

#include "config.h"

#include "confab-ctl.h"

#include <glib/gi18n.h>

/* confabctl broadcast, stats and audit. */

#define command_named(name) confab_ctl_command (confab_ctl_server_commands, (name))

static int
broadcast (ConfabCtl  *ctl,
           int         argc,
           char      **argv)
{
  gboolean all = FALSE;
  g_autofree char *department = NULL;
  g_auto(GStrv) users = NULL;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all, N_("To everyone"), NULL },
    { "department", 'd', 0, G_OPTION_ARG_STRING, &department, N_("To one department"),
      N_("DEPARTMENT") },
    { "user", 'u', 0, G_OPTION_ARG_STRING_ARRAY, &users,
      N_("To this account (give it once for each)"), N_("USERNAME") },
    { NULL }
  };
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *text = NULL;
  JsonObject *audience = json_object_new ();
  int status;

  json_object_set_object_member (body, "audience", audience);
  if (!confab_ctl_parse (ctl, command_named ("broadcast"), entries, &argc, &argv, 1, G_MAXINT,
                         &status))
    return status;
  if ((all ? 1 : 0) + (department != NULL ? 1 : 0) + (users != NULL ? 1 : 0) != 1)
    {
      g_printerr (_("confabctl broadcast: give one of --all, --department or --user\n"));
      return CONFAB_CTL_EXIT_USAGE;
    }
  status = confab_ctl_connect (ctl, TRUE);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;

  /* The words of the text may come as separate arguments. */
  text = g_strjoinv (" ", argv + 1);
  json_object_set_string_member (body, "body", text);
  if (all)
    json_object_set_boolean_member (audience, "all", TRUE);
  else if (department != NULL)
    json_object_set_string_member (audience, "department", department);
  else
    {
      JsonArray *list = json_array_new ();

      for (guint i = 0; users[i] != NULL; i++)
        json_array_add_string_element (list, users[i]);
      json_object_set_array_member (audience, "users", list);
    }

  status = confab_ctl_request (ctl, "POST", "/v1/admin/broadcast", body, &reply);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    {
      int recipients = confab_json_get_int_or (reply, "recipients", 0);

      g_print (g_dngettext (GETTEXT_PACKAGE, "Announcement %d went to %d person.\n",
                            "Announcement %d went to %d people.\n", recipients),
               (int) confab_json_get_int_or (reply, "id", 0), recipients);
    }
  return CONFAB_CTL_EXIT_OK;
}

static int
stats (ConfabCtl  *ctl,
       int         argc,
       char      **argv)
{
  static const char * const fields[] = {
    "users", "users_online", "connections", "messages", "rooms", "file_bytes", "uptime_s",
    "version", NULL
  };
  const char * const labels[] = {
    _("Accounts"), _("Online"), _("Connections"), _("Messages"), _("Rooms"), _("File bytes"),
    _("Up (seconds)"), _("Version"), NULL
  };
  g_autoptr(JsonObject) reply = NULL;
  int status;

  if (!confab_ctl_parse (ctl, command_named ("stats"), NULL, &argc, &argv, 0, 0, &status))
    return status;
  status = confab_ctl_connect (ctl, TRUE);
  if (status == CONFAB_CTL_EXIT_OK)
    status = confab_ctl_request (ctl, "GET", "/v1/admin/stats", NULL, &reply);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    confab_ctl_print_fields (reply, fields, labels);
  return CONFAB_CTL_EXIT_OK;
}

static int
audit (ConfabCtl  *ctl,
       int         argc,
       char      **argv)
{
  g_autofree char *actor = NULL;
  g_autofree char *action = NULL;
  g_autofree char *target = NULL;
  int limit = 0;
  int offset = 0;
  const GOptionEntry entries[] = {
    { "actor", 0, 0, G_OPTION_ARG_STRING, &actor, N_("Only what this account did"),
      N_("USERNAME") },
    { "action", 0, 0, G_OPTION_ARG_STRING, &action,
      N_("Only this action (user_create, user_update, sessions_kill, broadcast, denied)"),
      N_("ACTION") },
    { "target", 0, 0, G_OPTION_ARG_STRING, &target, N_("Only what was done to this"),
      N_("TARGET") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most this many (1 to 100; 20)"),
      N_("N") },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, N_("Skip this many of the newest"), N_("N") },
    { NULL }
  };
  static const char * const columns[] = {
    "ts", "actor", "action", "target", "address", "details", NULL
  };
  const char * const headers[] = {
    _("TIME"), _("ACTOR"), _("ACTION"), _("TARGET"), _("ADDRESS"), _("DETAILS"), NULL
  };
  g_autoptr(GString) path = g_string_new ("/v1/admin/audit");
  int status;

  if (!confab_ctl_parse (ctl, command_named ("audit"), entries, &argc, &argv, 0, 0, &status))
    return status;
  status = confab_ctl_connect (ctl, TRUE);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  confab_ctl_add_param (path, "actor", actor);
  confab_ctl_add_param (path, "action", action);
  confab_ctl_add_param (path, "target", target);
  confab_ctl_add_page (path, limit, offset);
  return confab_ctl_list (ctl, path->str, "entries", columns, headers, offset);
}

const ConfabCtlCommand confab_ctl_server_commands[] = {
  { "broadcast", "--all|--department D|--user U… TEXT", N_("Send an announcement"), broadcast },
  { "stats", "", N_("Show the server’s figures"), stats },
  { "audit", "", N_("Show the audit log, newest first"), audit },
  { NULL }
};
