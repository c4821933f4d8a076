/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The certificates a user trusts, pinned like ssh's known hosts: one SHA-256 fingerprint per
 * server key ("host:port", "[v6 address]:port"), kept in $XDG_DATA_HOME/confab/known-hosts. The
 * client and confabctl share it. */

char     *confab_known_hosts_server_key (GUri        *uri);
/* Whether @host is this computer ("localhost" or a loopback address): plain http:// is allowed
 * only to it. */
gboolean  confab_host_is_loopback       (const char  *host);
char     *confab_known_hosts_lookup     (const char  *server_key);
gboolean  confab_known_hosts_pin        (const char  *server_key,
                                         const char  *fingerprint,
                                         GError     **error);

typedef enum
{
  CONFAB_PIN_TRUSTED,   /* the pinned certificate */
  CONFAB_PIN_UNKNOWN,   /* none is pinned for the server */
  CONFAB_PIN_CHANGED,   /* another one is */
} ConfabPinCheck;

/* Whether @certificate is the one pinned for @server_key; when not, its fingerprint in
 * @fingerprint. */
ConfabPinCheck confab_known_hosts_check (const char       *server_key,
                                         GTlsCertificate  *certificate,
                                         char            **fingerprint);

G_END_DECLS
