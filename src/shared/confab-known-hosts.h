/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The certificates a user trusts, pinned like ssh's known hosts: one SHA-256 fingerprint per
 * server key ("host:port", "[v6 address]:port"), kept in $XDG_DATA_HOME/confab/known-hosts. The
 * client and confabctl share it. */

char     *confab_known_hosts_server_key (GUri        *uri);
char     *confab_known_hosts_lookup     (const char  *server_key);
gboolean  confab_known_hosts_pin        (const char  *server_key,
                                         const char  *fingerprint,
                                         GError     **error);

G_END_DECLS
