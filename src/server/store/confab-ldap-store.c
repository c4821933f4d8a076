/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ldap-store"

#include "config.h"

#include "confab-ldap-store.h"

G_DEFINE_INTERFACE (ConfabLdapStore, confab_ldap_store, CONFAB_TYPE_STORE)

static void
confab_ldap_store_default_init (ConfabLdapStoreInterface *iface)
{
}
