/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabctl"

#include "config.h"

#include "confab-ctl.h"
#include "confab-known-hosts.h"
#include "confab-limits.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* confabctl login and logout. */

#define command_named(name) confab_ctl_command (confab_ctl_account_commands, (name))

/* Reaches the server, trusting its certificate if @trust names it or the user says so. */
static int
reach_server (ConfabCtl  *ctl,
              const char *trust)
{
  g_autoptr(JsonObject) health = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *question = NULL;
  int status = confab_ctl_request (ctl, "GET", "/v1/health", NULL, &health);

  if (status != CONFAB_CTL_EXIT_CERTIFICATE)
    return status;

  if (trust != NULL)
    {
      if (g_ascii_strcasecmp (trust, ctl->untrusted_fingerprint) != 0)
        {
          g_printerr (_("confabctl: the server’s certificate has the fingerprint %s, not %s\n"),
                      ctl->untrusted_fingerprint, trust);
          return CONFAB_CTL_EXIT_CERTIFICATE;
        }
    }
  else
    {
      question = g_strdup_printf (_("Trust the certificate of %s with the SHA-256 fingerprint "
                                    "%s?"), ctl->server_key, ctl->untrusted_fingerprint);
      if (!confab_ctl_confirm (question))
        return CONFAB_CTL_EXIT_CERTIFICATE;
    }

  if (!confab_known_hosts_pin (ctl->server_key, ctl->untrusted_fingerprint, &error))
    {
      g_printerr (_("confabctl: cannot remember the certificate: %s\n"), error->message);
      return CONFAB_CTL_EXIT_FAILURE;
    }
  g_clear_pointer (&health, json_object_unref);
  return confab_ctl_request (ctl, "GET", "/v1/health", NULL, &health);
}

static int
login (ConfabCtl  *ctl,
       int         argc,
       char      **argv)
{
  g_autofree char *username = NULL;
  g_autofree char *trust = NULL;
  g_autofree char *device_name = NULL;
  gboolean password_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "username", 'u', 0, G_OPTION_ARG_STRING, &username, N_("The administrator’s username"),
      N_("NAME") },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read the password from standard input"), NULL },
    { "trust", 0, 0, G_OPTION_ARG_STRING, &trust,
      N_("Trust the server’s certificate if it has this SHA-256 fingerprint"),
      N_("FINGERPRINT") },
    { "device-name", 0, 0, G_OPTION_ARG_STRING, &device_name,
      N_("How the session is named in the list of sessions"), N_("NAME") },
    { NULL }
  };
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *password = NULL;
  JsonObject *user;
  const char *role;
  int status;

  if (!confab_ctl_parse (ctl, command_named ("login"), entries, &argc, &argv, 0, 0, &status))
    return status;
  status = confab_ctl_connect (ctl, FALSE);
  if (status == CONFAB_CTL_EXIT_OK)
    status = reach_server (ctl, trust);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;

  if (username == NULL)
    {
      g_autofree char *answer = NULL;

      if (password_stdin || !isatty (STDIN_FILENO))
        {
          g_printerr (_("confabctl: give the username with --username\n"));
          return CONFAB_CTL_EXIT_USAGE;
        }
      g_printerr ("%s", _("Username: "));
      answer = g_malloc0 (64);
      if (fgets (answer, 64, stdin) == NULL)
        return CONFAB_CTL_EXIT_USAGE;
      username = g_strstrip (g_steal_pointer (&answer));
    }
  password = confab_ctl_read_password (password_stdin, _("Password: "));
  if (password == NULL)
    return CONFAB_CTL_EXIT_USAGE;

  if (device_name == NULL)
    device_name = g_strdup_printf ("confabctl on %s", g_get_host_name ());
  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  json_object_set_string_member (body, "device_name", device_name);
  memset (password, 0, strlen (password));
  status = confab_ctl_request (ctl, "POST", "/v1/login", body, &reply);
  json_object_set_string_member (body, "password", "");
  if (status != CONFAB_CTL_EXIT_OK)
    return status;

  user = confab_json_get_object (reply, "user");
  role = user != NULL ? confab_json_get_string (user, "role") : NULL;
  status = confab_ctl_session_save (ctl, confab_json_get_string (user, "username"),
                                    confab_json_get_string (reply, "token"));
  if (status != CONFAB_CTL_EXIT_OK)
    return status;

  if (ctl->json)
    {
      g_autoptr(JsonObject) out = json_object_new ();

      json_object_set_string_member (out, "server", ctl->server);
      json_object_set_object_member (out, "user", json_object_ref (user));
      json_object_set_string_member (out, "device_id",
                                     confab_json_get_string (reply, "device_id"));
      confab_ctl_print_json (out);
    }
  else
    g_print (_("Signed in to %s as %s.\n"), ctl->server_key,
             confab_json_get_string (user, "username"));
  if (g_strcmp0 (role, "admin") != 0)
    g_printerr (_("confabctl: %s is not an administrator; the server will refuse most "
                  "commands\n"), confab_json_get_string (user, "username"));
  return CONFAB_CTL_EXIT_OK;
}

static int
logout (ConfabCtl  *ctl,
        int         argc,
        char      **argv)
{
  int status;

  if (!confab_ctl_parse (ctl, command_named ("logout"), NULL, &argc, &argv, 0, 0, &status))
    return status;
  status = confab_ctl_connect (ctl, TRUE);
  if (status != CONFAB_CTL_EXIT_OK)
    return status;

  /* A token the server no longer knows is gone all the same. */
  status = confab_ctl_request (ctl, "POST", "/v1/logout", NULL, NULL);
  if (status != CONFAB_CTL_EXIT_OK && status != CONFAB_CTL_EXIT_AUTH)
    return status;
  confab_ctl_session_forget (ctl);
  if (!ctl->json)
    g_print (_("Signed out of %s.\n"), ctl->server_key);
  return CONFAB_CTL_EXIT_OK;
}

const ConfabCtlCommand confab_ctl_account_commands[] = {
  { "login", "", N_("Sign in as an administrator and keep the session"), login },
  { "logout", "", N_("Sign out and forget the session"), logout },
  { NULL }
};
