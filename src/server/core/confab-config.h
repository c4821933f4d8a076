/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "confab-ldap-config.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_REGISTRATION_OPEN,
  CONFAB_REGISTRATION_CLOSED,
} ConfabRegistration;

/* The server's settings: defaults, overridden by confabd.conf, overridden by the command line. */
/* TLS 1.0 and 1.1 are refused (RFC 8996); GnuTLS's defaults otherwise. */
#define CONFAB_DEFAULT_TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

typedef struct
{
  char               *data_dir;
  char               *backup_dir;        /* NULL: <data_dir>/backups */
  char               *listen_host;
  guint16             listen_port;
  gboolean            plain;
  ConfabRegistration  registration;

  char               *tls_certificate;   /* NULL: <data_dir>/tls/cert.pem, made on first start */
  char               *tls_key;
  char               *tls_priority;      /* GnuTLS priority string: TLS 1.2 and 1.3 by default */

  guint               max_frame_bytes;
  guint               max_body_chars;
  gint64              max_file_bytes;
  guint               messages_per_minute; /* 0: no limit */
  guint               max_queued_bytes;  /* output a connection may have waiting for its peer */
  guint               max_pending_connections;  /* accepted, first request not yet in */
  guint               max_pending_per_address;

  guint               first_request_ms;  /* from accept (and TLS handshake) to request headers */
  guint               hello_timeout_ms;
  guint               ping_interval_s;
  guint               idle_timeout_s;
  guint               slow_reader_s;     /* over max_queued_bytes this long: closed */
  guint               bad_frames_before_close;

  guint64             argon2_opslimit;
  gsize               argon2_memlimit;
  guint               login_failures_per_user;
  guint               login_failures_per_address;
  guint               login_lockout_ms;
  guint               argon2_threads;     /* 0: one per core */
  guint               argon2_max_waiting;

  guint               event_retention_days;

  guint64             file_quota_bytes;  /* per user, finished and unfinished files; 0: none */
  guint               uploads_per_user;  /* unfinished uploads a user may have at once */
  guint               upload_expiry_s;   /* an unfinished upload idle this long is removed */
  guint64             file_reserve_bytes; /* uploads leave this much of the disk free; 0: none */

  guint               ring_timeout_s;
  guint               call_grace_s;      /* a call outlives its parties' signalling this long */
  char              **stun_urls;
  char              **turn_urls;
  char               *turn_secret;
  guint               turn_ttl_s;

  char              **metrics_allow;     /* addresses or networks that may read /metrics;
                                          * NULL: loopback only */
  char              **cors_origins;      /* web origins whose pages may call the HTTP API */

  ConfabLdapConfig   *ldap;              /* [ldap]: the company directory; NULL: none */
} ConfabConfig;

ConfabConfig *confab_config_new          (void);
void          confab_config_free         (ConfabConfig  *config);
gboolean      confab_config_load_file    (ConfabConfig  *config,
                                          const char    *path,
                                          GError       **error);
gboolean      confab_config_set_listen   (ConfabConfig  *config,
                                          const char    *listen,
                                          GError       **error);
gboolean      confab_config_set_registration (ConfabConfig *config,
                                              const char   *policy,
                                              GError      **error);
gboolean      confab_config_validate     (ConfabConfig  *config,
                                          GError       **error);
/* [group] key, if present, into @out: a number from @min to @max, or an error naming both. */
gboolean      confab_config_read_uint    (GKeyFile      *kf,
                                          const char    *group,
                                          const char    *key,
                                          guint64        min,
                                          guint64        max,
                                          guint64       *out,
                                          GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabConfig, confab_config_free)

G_END_DECLS
