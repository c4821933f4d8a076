/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-config"

#include "config.h"

#include "confab-config.h"
#include "confab-cors.h"
#include "confab-limits.h"

#include <gio/gio.h>
#include <sodium.h>

ConfabConfig *
confab_config_new (void)
{
  ConfabConfig *config = g_new0 (ConfabConfig, 1);

  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = CONFAB_DEFAULT_PORT;
  config->registration = CONFAB_REGISTRATION_OPEN;
  config->tls_priority = g_strdup (CONFAB_DEFAULT_TLS_PRIORITY);
  config->max_frame_bytes = CONFAB_DEFAULT_MAX_FRAME_BYTES;
  config->max_body_chars = CONFAB_DEFAULT_MAX_BODY_CHARS;
  config->max_file_bytes = CONFAB_DEFAULT_MAX_FILE_BYTES;
  config->messages_per_minute = CONFAB_DEFAULT_MESSAGES_PER_MINUTE;
  config->first_request_ms = 10000;
  config->max_pending_connections = 1024;
  config->max_pending_per_address = 256;
  config->hello_timeout_ms = 10000;
  config->ping_interval_s = 30;
  config->idle_timeout_s = 90;
  config->max_queued_bytes = 8 * 1024 * 1024;
  config->slow_reader_s = 10;
  config->bad_frames_before_close = 20;
  config->argon2_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  config->argon2_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  config->login_failures_per_user = 5;
  config->login_failures_per_address = 20;
  config->login_lockout_ms = 30000;
  config->argon2_max_waiting = 64;
  config->event_retention_days = 30;
  config->file_quota_bytes = G_GUINT64_CONSTANT (10) << 30;
  config->uploads_per_user = 32;
  config->upload_expiry_s = 24 * 3600;
  config->ring_timeout_s = 45;
  config->call_grace_s = 60;
  config->turn_ttl_s = 24 * 3600;
  return config;
}

void
confab_config_free (ConfabConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->data_dir);
  g_free (config->backup_dir);
  g_free (config->listen_host);
  g_free (config->tls_certificate);
  g_free (config->tls_key);
  g_free (config->tls_priority);
  g_strfreev (config->stun_urls);
  g_strfreev (config->turn_urls);
  g_free (config->turn_secret);
  g_strfreev (config->metrics_allow);
  g_strfreev (config->cors_origins);
  confab_ldap_config_free (config->ldap);
  g_free (config);
}

gboolean
confab_config_set_listen (ConfabConfig  *config,
                          const char    *listen,
                          GError       **error)
{
  g_autoptr(GSocketConnectable) addr = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *host = NULL;
  guint16 port;

  addr = g_network_address_parse (listen, CONFAB_DEFAULT_PORT, &local_error);
  if (addr == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "invalid listen address '%s': %s", listen, local_error->message);
      return FALSE;
    }

  host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (addr)));
  port = g_network_address_get_port (G_NETWORK_ADDRESS (addr));

  g_free (config->listen_host);
  config->listen_host = g_steal_pointer (&host);
  config->listen_port = port;
  return TRUE;
}

gboolean
confab_config_set_registration (ConfabConfig  *config,
                                const char    *policy,
                                GError       **error)
{
  if (g_strcmp0 (policy, "open") == 0)
    config->registration = CONFAB_REGISTRATION_OPEN;
  else if (g_strcmp0 (policy, "closed") == 0)
    config->registration = CONFAB_REGISTRATION_CLOSED;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "registration must be 'open' or 'closed', not '%s'", policy);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_config_read_uint (GKeyFile    *kf,
                         const char  *group,
                         const char  *key,
                         guint64      min,
                         guint64      max,
                         guint64     *out,
                         GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  guint64 value;

  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;

  value = g_key_file_get_uint64 (kf, group, key, &local_error);
  if (local_error != NULL || value < min || value > max)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "[%s] %s must be a number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                   group, key, min, max);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

#define READ_UINT(group, key, min, max, field)                                       \
  G_STMT_START {                                                                     \
    guint64 v_ = config->field;                                                      \
    if (!confab_config_read_uint (kf, group, key, min, max, &v_, error))                          \
      return FALSE;                                                                  \
    config->field = v_;                                                              \
  } G_STMT_END

static gboolean
read_string (GKeyFile    *kf,
             const char  *group,
             const char  *key,
             char       **field)
{
  char *value = g_key_file_get_string (kf, group, key, NULL);

  if (value == NULL)
    return FALSE;
  g_free (*field);
  *field = value;
  return TRUE;
}

static void
read_list (GKeyFile    *kf,
           const char  *group,
           const char  *key,
           char      ***field)
{
  char **value = g_key_file_get_string_list (kf, group, key, NULL, NULL);

  if (value == NULL)
    return;
  g_strfreev (*field);
  *field = value;
}

gboolean
confab_config_load_file (ConfabConfig  *config,
                         const char    *path,
                         GError       **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *listen = NULL;
  g_autofree char *registration = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    return FALSE;

  read_string (kf, "server", "data_dir", &config->data_dir);
  read_string (kf, "server", "backup_dir", &config->backup_dir);
  if (read_string (kf, "server", "listen", &listen)
      && !confab_config_set_listen (config, listen, error))
    return FALSE;
  if (read_string (kf, "server", "registration", &registration)
      && !confab_config_set_registration (config, registration, error))
    return FALSE;
  if (g_key_file_has_key (kf, "server", "plain", NULL))
    {
      g_autoptr(GError) local_error = NULL;
      config->plain = g_key_file_get_boolean (kf, "server", "plain", &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  read_string (kf, "tls", "certificate", &config->tls_certificate);
  read_string (kf, "tls", "key", &config->tls_key);
  read_string (kf, "tls", "priority", &config->tls_priority);

  READ_UINT ("limits", "max_frame_bytes", 1024, 16 * 1024 * 1024, max_frame_bytes);
  READ_UINT ("limits", "max_body_chars", 1, 1024 * 1024, max_body_chars);
  READ_UINT ("limits", "max_file_bytes", 1, G_MAXINT64, max_file_bytes);
  READ_UINT ("limits", "messages_per_minute", 0, G_MAXUINT32, messages_per_minute);
  READ_UINT ("limits", "max_queued_bytes", 64 * 1024, 1024 * 1024 * 1024, max_queued_bytes);
  READ_UINT ("limits", "bad_frames_before_close", 1, G_MAXUINT32, bad_frames_before_close);
  READ_UINT ("limits", "max_pending_connections", 1, 1000000, max_pending_connections);
  READ_UINT ("limits", "max_pending_per_address", 1, 1000000, max_pending_per_address);

  READ_UINT ("timeouts", "first_request_ms", 10, 3600 * 1000, first_request_ms);
  READ_UINT ("timeouts", "hello_ms", 10, 3600 * 1000, hello_timeout_ms);
  READ_UINT ("timeouts", "ping_interval_s", 1, 3600, ping_interval_s);
  READ_UINT ("timeouts", "idle_s", 2, 24 * 3600, idle_timeout_s);
  READ_UINT ("timeouts", "slow_reader_s", 1, 3600, slow_reader_s);

  READ_UINT ("security", "argon2_opslimit", crypto_pwhash_OPSLIMIT_MIN,
             crypto_pwhash_OPSLIMIT_SENSITIVE, argon2_opslimit);
  READ_UINT ("security", "argon2_memlimit_kib", crypto_pwhash_MEMLIMIT_MIN / 1024,
             crypto_pwhash_MEMLIMIT_SENSITIVE / 1024, argon2_memlimit);
  if (g_key_file_has_key (kf, "security", "argon2_memlimit_kib", NULL))
    config->argon2_memlimit *= 1024;
  READ_UINT ("security", "login_failures_per_user", 1, 1000, login_failures_per_user);
  READ_UINT ("security", "login_failures_per_address", 1, 100000, login_failures_per_address);
  READ_UINT ("security", "login_lockout_ms", 100, 24 * 3600 * 1000, login_lockout_ms);
  READ_UINT ("security", "argon2_threads", 0, 1024, argon2_threads);
  READ_UINT ("security", "argon2_max_waiting", 1, 100000, argon2_max_waiting);

  READ_UINT ("storage", "event_retention_days", 1, 36500, event_retention_days);

  READ_UINT ("files", "quota_bytes", 0, G_MAXINT64, file_quota_bytes);
  READ_UINT ("files", "uploads_per_user", 1, 100000, uploads_per_user);
  READ_UINT ("files", "upload_expiry_s", 1, 365 * 24 * 3600, upload_expiry_s);
  READ_UINT ("files", "reserve_bytes", 0, G_MAXINT64, file_reserve_bytes);

  READ_UINT ("calls", "ring_timeout_s", 1, 600, ring_timeout_s);
  READ_UINT ("calls", "grace_s", 1, 3600, call_grace_s);
  READ_UINT ("calls", "turn_ttl_s", 60, 30 * 24 * 3600, turn_ttl_s);
  read_list (kf, "calls", "stun", &config->stun_urls);
  read_list (kf, "calls", "turn", &config->turn_urls);
  read_string (kf, "calls", "turn_secret", &config->turn_secret);

  if (g_key_file_has_key (kf, "metrics", "allow", NULL))
    {
      g_strfreev (config->metrics_allow);
      config->metrics_allow = g_key_file_get_string_list (kf, "metrics", "allow", NULL, NULL);
    }
  for (guint i = 0; config->metrics_allow != NULL && config->metrics_allow[i] != NULL; i++)
    {
      g_autoptr(GInetAddressMask) mask = NULL;

      g_strstrip (config->metrics_allow[i]);
      mask = g_inet_address_mask_new_from_string (config->metrics_allow[i], NULL);
      if (mask == NULL)
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[metrics] allow: '%s' is not an address or a network (address/bits)",
                       config->metrics_allow[i]);
          return FALSE;
        }
    }
  read_list (kf, "http", "cors_origins", &config->cors_origins);
  for (guint i = 0; config->cors_origins != NULL && config->cors_origins[i] != NULL; i++)
    {
      if (!confab_cors_origin_is_valid (config->cors_origins[i]))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "[http] cors_origins: '%s' is not an origin (scheme://host[:port], "
                       "lower case, nothing after)", config->cors_origins[i]);
          return FALSE;
        }
    }
  {
    g_autofree char *base_dir = g_path_get_dirname (path);

    g_clear_pointer (&config->ldap, confab_ldap_config_free);
    if (!confab_ldap_config_load (kf, base_dir, &config->ldap, error))
      return FALSE;
  }
  if (config->turn_urls != NULL && config->turn_secret == NULL)
    {
      g_set_error_literal (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                           "[calls] turn needs turn_secret");
      return FALSE;
    }

  return TRUE;
}

static gboolean
is_loopback (const char *host)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host);

  if (addr != NULL)
    return g_inet_address_get_is_loopback (addr);
  return g_strcmp0 (host, "localhost") == 0;
}

gboolean
confab_config_validate (ConfabConfig  *config,
                        GError       **error)
{
  if (config->data_dir == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "no data directory: use --data-dir or [server] data_dir");
      return FALSE;
    }
  if (config->backup_dir != NULL && !g_path_is_absolute (config->backup_dir))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "[server] backup_dir must be an absolute path");
      return FALSE;
    }
  if (config->plain && !is_loopback (config->listen_host))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "plain HTTP is allowed only on a loopback address, not on '%s'",
                   config->listen_host);
      return FALSE;
    }
  /* A body of max_body_chars characters of 4 UTF-8 bytes each (emoji), with the frame's other
   * members, must fit in one frame. */
  if ((guint64) config->max_frame_bytes < 4 * (guint64) config->max_body_chars + 16384)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "[limits] max_frame_bytes (%u) must be at least 4 × max_body_chars + 16384 "
                   "(%" G_GUINT64_FORMAT "), so that a body of astral characters fits in a frame",
                   config->max_frame_bytes, 4 * (guint64) config->max_body_chars + 16384);
      return FALSE;
    }
  if ((config->tls_certificate == NULL) != (config->tls_key == NULL))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "[tls] certificate and key must be given together");
      return FALSE;
    }
  return TRUE;
}
