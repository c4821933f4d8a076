/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "confab-ldap-config.h"

G_BEGIN_DECLS

/* The blocking side of the company directory: OpenLDAP's libldap, one connection per call.
 * Every function here blocks on the network and runs on a worker thread only, never on the
 * main loop. Errors are CONFAB_PROTOCOL_ERROR: unauthorized (no such user, wrong password),
 * unavailable (the directory cannot be reached, TLS fails, the service bind is refused). */

typedef struct
{
  char *dn;
  char *username;                       /* a valid Confab username */
  char *values[CONFAB_LDAP_N_ATTRS];    /* the first value of each attribute, or NULL */
} ConfabLdapEntry;

void             confab_ldap_entry_free           (ConfabLdapEntry         *entry);

/* @username's entry, once a bind as it with @password succeeded. @username must be a valid
 * Confab username; it is escaped into the user filter all the same. */
ConfabLdapEntry *confab_ldap_client_authenticate  (const ConfabLdapConfig  *config,
                                                   const char              *username,
                                                   const char              *password,
                                                   GError                 **error);
/* Every entry the user filter matches whose username is a valid Confab username. */
GPtrArray       *confab_ldap_client_search_all    (const ConfabLdapConfig  *config,
                                                   GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabLdapEntry, confab_ldap_entry_free)

G_END_DECLS
