/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ldap-config"

#include "config.h"

#include "confab-ldap-config.h"
#include "confab-config.h"
#include "confab-ldap-filter.h"

#include <gio/gio.h>
#include <string.h>

#define GROUP "ldap"

const char * const confab_ldap_attr_keys[CONFAB_LDAP_N_ATTRS] = {
  "username_attribute", "display_name_attribute", "email_attribute", "phone_attribute",
  "department_attribute", "title_attribute", "location_attribute",
};

/* inetOrgPerson's names (OpenLDAP); Active Directory's are in docs/admin.md. */
static const char * const default_attrs[CONFAB_LDAP_N_ATTRS] = {
  "uid", "cn", "mail", "telephoneNumber", "departmentNumber", "title", "l",
};

void
confab_ldap_config_free (ConfabLdapConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->url);
  g_free (config->bind_dn);
  if (config->bind_password != NULL)
    {
      memset (config->bind_password, 0, strlen (config->bind_password));
      g_free (config->bind_password);
    }
  g_free (config->base_dn);
  g_free (config->user_filter);
  g_free (config->ca_file);
  for (guint i = 0; i < CONFAB_LDAP_N_ATTRS; i++)
    g_free (config->attrs[i]);
  g_free (config);
}

ConfabLdapConfig *
confab_ldap_config_copy (const ConfabLdapConfig *config)
{
  ConfabLdapConfig *copy = g_memdup2 (config, sizeof *config);

  copy->url = g_strdup (config->url);
  copy->bind_dn = g_strdup (config->bind_dn);
  copy->bind_password = g_strdup (config->bind_password);
  copy->base_dn = g_strdup (config->base_dn);
  copy->user_filter = g_strdup (config->user_filter);
  copy->ca_file = g_strdup (config->ca_file);
  for (guint i = 0; i < CONFAB_LDAP_N_ATTRS; i++)
    copy->attrs[i] = g_strdup (config->attrs[i]);
  return copy;
}

static gboolean
fail (GError    **error,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (GError    **error,
      const char *format,
      ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, "[ldap] %s", message);
  return FALSE;
}

static char *
get_string (GKeyFile   *kf,
            const char *key)
{
  g_autofree char *value = g_key_file_get_string (kf, GROUP, key, NULL);

  if (value == NULL)
    return NULL;
  g_strstrip (value);
  return *value != '\0' ? g_steal_pointer (&value) : NULL;
}

static char *
get_path (GKeyFile   *kf,
          const char *key,
          const char *base_dir)
{
  g_autofree char *value = get_string (kf, key);

  if (value == NULL)
    return NULL;
  return g_canonicalize_filename (value, base_dir);
}

static gboolean
get_uint (GKeyFile   *kf,
          const char *key,
          guint       min,
          guint       max,
          guint      *out,
          GError    **error)
{
  guint64 value = *out;

  if (!confab_config_read_uint (kf, GROUP, key, min, max, &value, error))
    return FALSE;
  *out = value;
  return TRUE;
}

static gboolean
host_is_loopback (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GInetAddress) addr = NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (host == NULL)
    return FALSE;
  if (g_str_equal (host, "localhost"))
    return TRUE;
  addr = g_inet_address_new_from_string (host);
  return addr != NULL && g_inet_address_get_is_loopback (addr);
}

static gboolean
read_url (GKeyFile         *kf,
          ConfabLdapConfig *config,
          GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GUri) uri = NULL;

  config->url = get_string (kf, "url");
  if (config->url == NULL)
    return fail (error, "url is missing (ldap://host or ldaps://host)");
  uri = g_uri_parse (config->url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0'
      || (g_strcmp0 (g_uri_get_scheme (uri), "ldap") != 0
          && g_strcmp0 (g_uri_get_scheme (uri), "ldaps") != 0)
      || (*g_uri_get_path (uri) != '\0' && !g_str_equal (g_uri_get_path (uri), "/"))
      || g_uri_get_query (uri) != NULL)
    return fail (error, "url must be ldap://host[:port] or ldaps://host[:port], not '%s'",
                 config->url);

  config->starttls = g_str_equal (g_uri_get_scheme (uri), "ldap");
  if (g_key_file_has_key (kf, GROUP, "starttls", NULL))
    {
      gboolean starttls = g_key_file_get_boolean (kf, GROUP, "starttls", &local_error);

      if (local_error != NULL)
        return fail (error, "starttls must be true or false");
      if (starttls && !config->starttls)
        return fail (error, "starttls is for ldap:// URLs; ldaps:// is TLS from the start");
      config->starttls = starttls;
    }
  /* Passwords go to the directory: in the clear only to this machine. */
  if (g_str_equal (g_uri_get_scheme (uri), "ldap") && !config->starttls
      && !host_is_loopback (config->url))
    return fail (error, "an ldap:// URL needs starttls = true unless the directory is on a "
                 "loopback address; or use ldaps://");
  return TRUE;
}

static gboolean
read_bind_password (GKeyFile         *kf,
                    const char       *base_dir,
                    ConfabLdapConfig *config,
                    GError          **error)
{
  g_autofree char *file = get_path (kf, "bind_password_file", base_dir);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;

  config->bind_password = g_key_file_get_string (kf, GROUP, "bind_password", NULL);
  if (file == NULL)
    return TRUE;
  if (config->bind_password != NULL)
    return fail (error, "give bind_password or bind_password_file, not both");
  if (!g_file_get_contents (file, &contents, NULL, &local_error))
    return fail (error, "bind_password_file: %s", local_error->message);
  /* The file's one line, without its line end. */
  contents[strcspn (contents, "\r\n")] = '\0';
  config->bind_password = g_strdup (contents);
  memset (contents, 0, strlen (contents));
  return TRUE;
}

gboolean
confab_ldap_config_load (GKeyFile          *kf,
                         const char        *base_dir,
                         ConfabLdapConfig **out,
                         GError           **error)
{
  g_autoptr(ConfabLdapConfig) config = NULL;

  g_return_val_if_fail (out != NULL, FALSE);

  if (!g_key_file_has_group (kf, GROUP))
    return TRUE;

  config = g_new0 (ConfabLdapConfig, 1);
  config->sync_interval_s = 900;
  config->timeout_s = 10;
  if (!read_url (kf, config, error) || !read_bind_password (kf, base_dir, config, error))
    return FALSE;
  config->bind_dn = get_string (kf, "bind_dn");
  if (config->bind_dn != NULL && config->bind_password == NULL)
    return fail (error, "bind_dn needs bind_password or bind_password_file");
  config->base_dn = get_string (kf, "base_dn");
  if (config->base_dn == NULL)
    return fail (error, "base_dn is missing (where users are searched, as "
                 "ou=people,dc=example,dc=com)");
  config->user_filter = get_string (kf, "user_filter");
  if (config->user_filter == NULL)
    config->user_filter = g_strdup ("(&(objectClass=inetOrgPerson)(uid=%s))");
  else
    {
      g_autoptr(GError) local_error = NULL;

      if (!confab_ldap_filter_check (config->user_filter, &local_error))
        return fail (error, "user_filter: %s", local_error->message);
    }
  config->ca_file = get_path (kf, "ca_file", base_dir);
  if (config->ca_file != NULL && !g_file_test (config->ca_file, G_FILE_TEST_IS_REGULAR))
    return fail (error, "ca_file %s is not a file", config->ca_file);
  if (!get_uint (kf, "sync_interval_s", 0, 7 * 24 * 3600, &config->sync_interval_s, error)
      || !get_uint (kf, "timeout_s", 1, 600, &config->timeout_s, error))
    return FALSE;
  for (guint i = 0; i < CONFAB_LDAP_N_ATTRS; i++)
    {
      config->attrs[i] = get_string (kf, confab_ldap_attr_keys[i]);
      if (config->attrs[i] == NULL)
        config->attrs[i] = g_strdup (default_attrs[i]);
      else if (strspn (config->attrs[i], "abcdefghijklmnopqrstuvwxyz"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-;.") != strlen (config->attrs[i]))
        return fail (error, "%s: '%s' is not an attribute name", confab_ldap_attr_keys[i],
                     config->attrs[i]);
    }

  *out = g_steal_pointer (&config);
  return TRUE;
}
