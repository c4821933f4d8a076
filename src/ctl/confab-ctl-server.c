/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabctl"

#include "config.h"

#include "confab-ctl.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <stdio.h>

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

/* One audit entry a line, as they come: a JSON object with --json. */
static void
print_entry (ConfabCtl          *ctl,
             JsonObject         *entry,
             const char * const *columns)
{
  if (ctl->json)
    {
      g_autofree char *text = confab_json_object_to_string (entry, NULL);

      g_print ("%s\n", text);
      return;
    }
  for (guint i = 0; columns[i] != NULL; i++)
    {
      g_autofree char *text = confab_ctl_value_text (entry, columns[i]);

      g_print (i == 0 ? "%s" : "  %s", text);
    }
  g_print ("\n");
}

static gint
entry_id_compare (gconstpointer a,
                  gconstpointer b)
{
  gint64 id_a = confab_json_get_int_or (*(JsonObject * const *) a, "id", 0);
  gint64 id_b = confab_json_get_int_or (*(JsonObject * const *) b, "id", 0);

  return id_a < id_b ? -1 : id_a > id_b;
}

/* Prints the entries of @query newer than *@last_id, oldest first, paging back through the
 * newest-first list until it reaches *@last_id (all of them the first time, with @first: only
 * the first page). Entries that come in while it pages shift the pages: ids seen twice are
 * printed once. */
static int
follow_round (ConfabCtl          *ctl,
              const char         *query,
              gboolean            first,
              gint64             *last_id,
              const char * const *columns)
{
  g_autoptr(GPtrArray) fresh = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  gint64 newest = *last_id;

  for (int offset = 0;; offset += 100)
    {
      g_autoptr(JsonObject) reply = NULL;
      g_autoptr(GString) path = g_string_new (query);
      JsonArray *entries;
      gboolean reached = FALSE;
      int status;

      confab_ctl_add_page (path, first ? 0 : 100, offset);
      status = confab_ctl_request (ctl, "GET", path->str, NULL, &reply);
      if (status != CONFAB_CTL_EXIT_OK)
        return status;
      entries = confab_json_get_array (reply, "entries");
      for (guint i = 0; entries != NULL && i < json_array_get_length (entries); i++)
        {
          JsonObject *entry = json_array_get_object_element (entries, i);
          gint64 id = entry != NULL ? confab_json_get_int_or (entry, "id", 0) : 0;

          if (id <= *last_id)
            {
              reached = TRUE;
              break;
            }
          if (g_hash_table_contains (seen, &id))
            continue;
          g_hash_table_add (seen, g_memdup2 (&id, sizeof id));
          g_ptr_array_add (fresh, json_object_ref (entry));
          newest = MAX (newest, id);
        }
      if (first || reached || entries == NULL || json_array_get_length (entries) == 0)
        break;
    }

  g_ptr_array_sort (fresh, entry_id_compare);
  for (guint i = 0; i < fresh->len; i++)
    print_entry (ctl, g_ptr_array_index (fresh, i), columns);
  fflush (stdout);
  *last_id = newest;
  return CONFAB_CTL_EXIT_OK;
}

/* The newest entries, then each new one as it is written, until interrupted. The audit log
 * is asked every @interval seconds for what came after the last entry seen. */
static int
follow (ConfabCtl          *ctl,
        const char         *query,
        int                 interval,
        const char * const *columns)
{
  gint64 last_id = 0;
  int status = follow_round (ctl, query, TRUE, &last_id, columns);

  while (status == CONFAB_CTL_EXIT_OK)
    {
      g_usleep ((gulong) interval * G_USEC_PER_SEC);
      status = follow_round (ctl, query, FALSE, &last_id, columns);
    }
  return status;
}

static int
audit (ConfabCtl  *ctl,
       int         argc,
       char      **argv)
{
  g_autofree char *actor = NULL;
  g_autofree char *action = NULL;
  g_autofree char *target = NULL;
  gboolean follow_new = FALSE;
  int interval = 2;
  int limit = 0;
  int offset = 0;
  const GOptionEntry entries[] = {
    { "actor", 0, 0, G_OPTION_ARG_STRING, &actor, N_("Only what this account did"),
      N_("USERNAME") },
    { "action", 0, 0, G_OPTION_ARG_STRING, &action,
      N_("Only this action (user_create, user_update, sessions_kill, broadcast, backup, "
         "backup_download, denied)"),
      N_("ACTION") },
    { "target", 0, 0, G_OPTION_ARG_STRING, &target, N_("Only what was done to this"),
      N_("TARGET") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most this many (1 to 100; 20)"),
      N_("N") },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, N_("Skip this many of the newest"), N_("N") },
    { "follow", 'f', 0, G_OPTION_ARG_NONE, &follow_new,
      N_("Keep printing new entries, one a line, until interrupted"), NULL },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval,
      N_("With --follow: ask for new entries every this many seconds (2)"), N_("SECONDS") },
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
  if (follow_new && (offset != 0 || limit != 0 || interval < 1 || interval > 3600))
    {
      g_printerr (_("confabctl audit: --follow takes no --limit or --offset, and an "
                    "--interval of 1 to 3600 seconds\n"));
      return CONFAB_CTL_EXIT_USAGE;
    }
  status = confab_ctl_connect (ctl, TRUE);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  confab_ctl_add_param (path, "actor", actor);
  confab_ctl_add_param (path, "action", action);
  confab_ctl_add_param (path, "target", target);
  if (follow_new)
    return follow (ctl, path->str, interval, columns);
  confab_ctl_add_page (path, limit, offset);
  return confab_ctl_list (ctl, path->str, "entries", columns, headers, offset);
}

static int
backup (ConfabCtl  *ctl,
        int         argc,
        char      **argv)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *dest = NULL;
  int status;

  if (!confab_ctl_parse (ctl, command_named ("backup"), NULL, &argc, &argv, 0, 1, &status))
    return status;
  /* Before the server works for nothing: a file that exists is never replaced. */
  if (argc > 1 && g_file_test (argv[1], G_FILE_TEST_EXISTS)
      && !g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    {
      g_printerr (_("confabctl: cannot write %s: %s\n"), argv[1], g_strerror (EEXIST));
      return CONFAB_CTL_EXIT_FAILURE;
    }
  status = confab_ctl_connect (ctl, TRUE);
  if (status == CONFAB_CTL_EXIT_OK)
    status = confab_ctl_request (ctl, "POST", "/v1/admin/backup", NULL, &reply);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;

  /* DEST: a file to make, or a directory to make NAME.tar in. */
  if (argc > 1)
    {
      const char *name = confab_json_get_string (reply, "name");
      g_autofree char *escaped = confab_ctl_escape (name != NULL ? name : "");
      g_autofree char *path = g_strconcat ("/v1/admin/backups/", escaped, NULL);

      if (g_file_test (argv[1], G_FILE_TEST_IS_DIR))
        {
          g_autofree char *file = g_strconcat (name != NULL ? name : "backup", ".tar", NULL);

          dest = g_build_filename (argv[1], file, NULL);
        }
      else
        dest = g_strdup (argv[1]);
      status = confab_ctl_download (ctl, path, dest);
      if (status != CONFAB_CTL_EXIT_OK)
        return status;
      json_object_set_string_member (reply, "downloaded", dest);
    }

  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    {
      g_autofree char *size = g_format_size (confab_json_get_int_or (reply, "size", 0));
      int files = confab_json_get_int_or (reply, "files", 0);

      /* TRANSLATORS: the backup's name, where it is on the server, its size, a file count */
      g_print (g_dngettext (GETTEXT_PACKAGE, "Backup %s made on the server in %s: %s, %d file.\n",
                            "Backup %s made on the server in %s: %s, %d files.\n", files),
               confab_json_get_string (reply, "name"), confab_json_get_string (reply, "path"),
               size, files);
      if (dest != NULL)
        g_print (_("Downloaded to %s.\n"), dest);
    }
  return CONFAB_CTL_EXIT_OK;
}

const ConfabCtlCommand confab_ctl_server_commands[] = {
  { "broadcast", "--all|--department D|--user U… TEXT", N_("Send an announcement"), broadcast },
  { "stats", "", N_("Show the server’s figures"), stats },
  { "audit", "", N_("Show the audit log, newest first"), audit },
  { "backup", "[DEST]",
    N_("Make a backup of the database and the files on the server (and download it to DEST)"),
    backup },
  { NULL }
};
