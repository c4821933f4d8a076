/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-known-hosts"

#include "config.h"

#include "confab-known-hosts.h"
#include "confab-certificate.h"
#include "confab-limits.h"

#include <errno.h>
#include <string.h>

#define GROUP "known-hosts"

static char *
known_hosts_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "confab", "known-hosts", NULL);
}

/* "host:port" of @uri, the port defaulting to Confab's. */
char *
confab_known_hosts_server_key (GUri *uri)
{
  const char *host = g_uri_get_host (uri);
  int port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : CONFAB_DEFAULT_PORT;

  g_return_val_if_fail (host != NULL, NULL);

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("[%s]:%d", host, port);
  return g_strdup_printf ("%s:%d", host, port);
}

gboolean
confab_host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* The fingerprint pinned for @server_key, or NULL. */
char *
confab_known_hosts_lookup (const char *server_key)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *path = known_hosts_path ();

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL))
    return NULL;
  return g_key_file_get_string (keyfile, GROUP, server_key, NULL);
}

gboolean
confab_known_hosts_pin (const char  *server_key,
                        const char  *fingerprint,
                        GError     **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *path = known_hosts_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  g_return_val_if_fail (server_key != NULL && fingerprint != NULL, FALSE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  g_key_file_load_from_file (keyfile, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
  g_key_file_set_string (keyfile, GROUP, server_key, fingerprint);
  return g_key_file_save_to_file (keyfile, path, error);
}

ConfabPinCheck
confab_known_hosts_check (const char       *server_key,
                          GTlsCertificate  *certificate,
                          char            **fingerprint)
{
  g_autofree char *own = confab_certificate_fingerprint (certificate);
  g_autofree char *pinned = confab_known_hosts_lookup (server_key);

  if (pinned != NULL && g_ascii_strcasecmp (pinned, own) == 0)
    return CONFAB_PIN_TRUSTED;
  *fingerprint = g_steal_pointer (&own);
  return pinned != NULL ? CONFAB_PIN_CHANGED : CONFAB_PIN_UNKNOWN;
}
