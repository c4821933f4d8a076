/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabctl"

#include "config.h"

#include "confab-ctl.h"

#include <glib/gi18n.h>
#include <string.h>

/* confabctl users … and sessions …: accounts and their sessions. */

#define command_named(name) confab_ctl_command (confab_ctl_users_commands, (name))

/* Parses the command line of @name and signs in; FALSE with *status otherwise. */
static gboolean
start (ConfabCtl          *ctl,
       const char         *name,
       const GOptionEntry *entries,
       int                *argc,
       char             ***argv,
       int                 nargs,
       int                *status)
{
  if (!confab_ctl_parse (ctl, command_named (name), entries, argc, argv, nargs, nargs, status))
    return FALSE;
  *status = confab_ctl_connect (ctl, TRUE);
  return *status == CONFAB_CTL_EXIT_OK;
}

static char *
user_path (const char *username,
           const char *suffix)
{
  g_autofree char *escaped = confab_ctl_escape (username);

  return g_strconcat ("/v1/admin/users/", escaped, suffix, NULL);
}

static void
print_user (JsonObject *user)
{
  static const char * const fields[] = {
    "username", "display_name", "role", "disabled", "permissions", "email", "phone",
    "department", "title", "location", "created_ts", "last_seen_ts", NULL
  };
  const char * const labels[] = {
    _("Username"), _("Name"), _("Role"), _("Disabled"), _("Permissions"), _("Email"),
    _("Phone"), _("Department"), _("Title"), _("Location"), _("Created"), _("Last seen"), NULL
  };

  confab_ctl_print_fields (user, fields, labels);
}

/* Sends @body as the PATCH of @username and shows the account it leaves. */
static int
patch_user (ConfabCtl  *ctl,
            const char *username,
            JsonObject *body,
            const char *done)
{
  g_autofree char *path = user_path (username, "");
  g_autoptr(JsonObject) reply = NULL;
  int status = confab_ctl_request (ctl, "PATCH", path, body, &reply);

  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    g_print ("%s\n", done);
  return CONFAB_CTL_EXIT_OK;
}

/* --- users list, show ------------------------------------------------------------------------- */

static int
users_list (ConfabCtl  *ctl,
            int         argc,
            char      **argv)
{
  g_autofree char *query = NULL;
  int limit = 0;
  int offset = 0;
  const GOptionEntry entries[] = {
    { "query", 'q', 0, G_OPTION_ARG_STRING, &query,
      N_("Only accounts whose username, name or email contains this"), N_("TEXT") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most this many (1 to 100; 20)"),
      N_("N") },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, N_("Skip this many"), N_("N") },
    { NULL }
  };
  static const char * const columns[] = {
    "username", "display_name", "role", "disabled", "permissions", "last_seen_ts", NULL
  };
  const char * const headers[] = {
    _("USERNAME"), _("NAME"), _("ROLE"), _("DISABLED"), _("PERMISSIONS"), _("LAST SEEN"), NULL
  };
  g_autoptr(GString) path = g_string_new ("/v1/admin/users");
  int status;

  if (!start (ctl, "users list", entries, &argc, &argv, 0, &status))
    return status;
  confab_ctl_add_param (path, "query", query);
  confab_ctl_add_page (path, limit, offset);
  return confab_ctl_list (ctl, path->str, "users", columns, headers, offset);
}

static int
users_show (ConfabCtl  *ctl,
            int         argc,
            char      **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  int status;

  if (!start (ctl, "users show", NULL, &argc, &argv, 1, &status))
    return status;
  path = user_path (argv[1], "");
  status = confab_ctl_request (ctl, "GET", path, NULL, &reply);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    print_user (confab_json_get_object (reply, "user"));
  return CONFAB_CTL_EXIT_OK;
}

/* --- users add -------------------------------------------------------------------------------- */

static int
users_add (ConfabCtl  *ctl,
           int         argc,
           char      **argv)
{
  g_autofree char *display_name = NULL;
  g_autofree char *email = NULL;
  g_autofree char *role = NULL;
  gboolean password_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "display-name", 'n', 0, G_OPTION_ARG_STRING, &display_name, N_("The name shown"),
      N_("NAME") },
    { "email", 'e', 0, G_OPTION_ARG_STRING, &email, N_("The email address"), N_("ADDRESS") },
    { "role", 'r', 0, G_OPTION_ARG_STRING, &role, N_("user (the default) or admin"),
      N_("ROLE") },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read the new account’s password from standard input"), NULL },
    { NULL }
  };
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *password = NULL;
  int status;

  if (!start (ctl, "users add", entries, &argc, &argv, 1, &status))
    return status;
  password = confab_ctl_read_password (password_stdin, _("Password of the new account: "));
  if (password == NULL)
    return CONFAB_CTL_EXIT_USAGE;

  json_object_set_string_member (body, "username", argv[1]);
  json_object_set_string_member (body, "password", password);
  memset (password, 0, strlen (password));
  if (display_name != NULL)
    json_object_set_string_member (body, "display_name", display_name);
  if (email != NULL)
    json_object_set_string_member (body, "email", email);
  if (role != NULL)
    json_object_set_string_member (body, "role", role);
  status = confab_ctl_request (ctl, "POST", "/v1/admin/users", body, &reply);
  json_object_set_string_member (body, "password", "");
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    g_print (_("Created the account %s.\n"),
             confab_json_get_string (confab_json_get_object (reply, "user"), "username"));
  return CONFAB_CTL_EXIT_OK;
}

/* --- users disable, enable, set-role, reset-password, grant ----------------------------------- */

static int
set_disabled (ConfabCtl  *ctl,
              int         argc,
              char      **argv,
              gboolean    disabled)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *done = NULL;
  int status;

  if (!start (ctl, disabled ? "users disable" : "users enable", NULL, &argc, &argv, 1,
              &status))
    return status;
  json_object_set_boolean_member (body, "disabled", disabled);
  done = disabled ? g_strdup_printf (_("%s is disabled and was disconnected."), argv[1])
                  : g_strdup_printf (_("%s may sign in again."), argv[1]);
  return patch_user (ctl, argv[1], body, done);
}

static int
users_disable (ConfabCtl  *ctl,
               int         argc,
               char      **argv)
{
  return set_disabled (ctl, argc, argv, TRUE);
}

static int
users_enable (ConfabCtl  *ctl,
              int         argc,
              char      **argv)
{
  return set_disabled (ctl, argc, argv, FALSE);
}

static int
users_set_role (ConfabCtl  *ctl,
                int         argc,
                char      **argv)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *done = NULL;
  int status;

  if (!start (ctl, "users set-role", NULL, &argc, &argv, 2, &status))
    return status;
  json_object_set_string_member (body, "role", argv[2]);
  done = g_strdup_printf (_("%s now has the role %s."), argv[1], argv[2]);
  return patch_user (ctl, argv[1], body, done);
}

static int
users_reset_password (ConfabCtl  *ctl,
                      int         argc,
                      char      **argv)
{
  gboolean password_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read the new password from standard input"), NULL },
    { NULL }
  };
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *password = NULL;
  g_autofree char *done = NULL;
  int status;

  if (!start (ctl, "users reset-password", entries, &argc, &argv, 1, &status))
    return status;
  password = confab_ctl_read_password (password_stdin, _("New password: "));
  if (password == NULL)
    return CONFAB_CTL_EXIT_USAGE;
  json_object_set_string_member (body, "password", password);
  memset (password, 0, strlen (password));
  done = g_strdup_printf (_("The password of %s was reset; all their sessions ended."),
                          argv[1]);
  status = patch_user (ctl, argv[1], body, done);
  json_object_set_string_member (body, "password", "");
  return status;
}

static int
users_grant (ConfabCtl  *ctl,
             int         argc,
             char      **argv)
{
  gboolean revoke = FALSE;
  const GOptionEntry entries[] = {
    { "revoke", 0, 0, G_OPTION_ARG_NONE, &revoke, N_("Withdraw the permission instead"),
      NULL },
    { NULL }
  };
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *done = NULL;
  JsonArray *current;
  JsonArray *wanted = json_array_new ();
  int status;

  json_object_set_array_member (body, "permissions", wanted);
  if (!start (ctl, "users grant", entries, &argc, &argv, 2, &status))
    return status;

  /* The server takes the whole list: the others stay as they are. */
  path = user_path (argv[1], "");
  status = confab_ctl_request (ctl, "GET", path, NULL, &reply);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  current = confab_json_get_array (confab_json_get_object (reply, "user"), "permissions");
  for (guint i = 0; current != NULL && i < json_array_get_length (current); i++)
    {
      const char *name = json_array_get_string_element (current, i);

      if (name != NULL && !g_str_equal (name, argv[2]))
        json_array_add_string_element (wanted, name);
    }
  if (!revoke)
    json_array_add_string_element (wanted, argv[2]);

  done = revoke ? g_strdup_printf (_("%s no longer holds the permission %s."), argv[1], argv[2])
                : g_strdup_printf (_("%s now holds the permission %s."), argv[1], argv[2]);
  return patch_user (ctl, argv[1], body, done);
}

/* --- sessions list, kill ---------------------------------------------------------------------- */

static int
sessions_list (ConfabCtl  *ctl,
               int         argc,
               char      **argv)
{
  g_autofree char *user = NULL;
  int limit = 0;
  int offset = 0;
  const GOptionEntry entries[] = {
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user, N_("Only the sessions of this account"),
      N_("USERNAME") },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("At most this many (1 to 100; 20)"),
      N_("N") },
    { "offset", 0, 0, G_OPTION_ARG_INT, &offset, N_("Skip this many"), N_("N") },
    { NULL }
  };
  static const char * const columns[] = {
    "username", "device_id", "name", "created_ts", "last_seen_ts", "connected", NULL
  };
  const char * const headers[] = {
    _("USERNAME"), _("SESSION"), _("DEVICE"), _("SIGNED IN"), _("LAST SEEN"), _("CONNECTED"),
    NULL
  };
  g_autoptr(GString) path = g_string_new ("/v1/admin/sessions");
  int status;

  if (!start (ctl, "sessions list", entries, &argc, &argv, 0, &status))
    return status;
  confab_ctl_add_param (path, "username", user);
  confab_ctl_add_page (path, limit, offset);
  return confab_ctl_list (ctl, path->str, "sessions", columns, headers, offset);
}

static int
sessions_kill (ConfabCtl  *ctl,
               int         argc,
               char      **argv)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) reply = NULL;
  int status;

  if (!start (ctl, "sessions kill", NULL, &argc, &argv, 1, &status))
    return status;
  path = user_path (argv[1], "/sessions");
  status = confab_ctl_request (ctl, "DELETE", path, NULL, &reply);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    {
      int revoked = confab_json_get_int_or (reply, "revoked", 0);

      g_print (g_dngettext (GETTEXT_PACKAGE, "Ended %d session of %s.\n",
                            "Ended %d sessions of %s.\n", revoked),
               revoked, argv[1]);
    }
  return CONFAB_CTL_EXIT_OK;
}

const ConfabCtlCommand confab_ctl_users_commands[] = {
  { "users list", "", N_("List the accounts"), users_list },
  { "users show", "USERNAME", N_("Show an account"), users_show },
  { "users add", "USERNAME", N_("Create an account"), users_add },
  { "users disable", "USERNAME", N_("Disable an account and disconnect it"), users_disable },
  { "users enable", "USERNAME", N_("Let a disabled account sign in again"), users_enable },
  { "users set-role", "USERNAME user|admin", N_("Make an account an administrator, or not"),
    users_set_role },
  { "users reset-password", "USERNAME", N_("Set a new password and end all its sessions"),
    users_reset_password },
  { "users grant", "USERNAME PERMISSION", N_("Grant a permission (broadcast), or --revoke it"),
    users_grant },
  { "sessions list", "", N_("List the signed-in devices"), sessions_list },
  { "sessions kill", "USERNAME", N_("End every session of an account"), sessions_kill },
  { NULL }
};
