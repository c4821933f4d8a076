/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-ldap-client.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* The company directory (LDAP, Active Directory), when confabd.conf has an [ldap] section: its
 * users sign in with their directory password, their accounts and profiles follow the
 * directory (at sign-in and by a periodic sync), and those it no longer lists are disabled. */
void confab_ldap_register (ConfabServer *server);

/* result {user, disabled} of the account @entry stands for, made or brought up to date from it
 * (profile fields; one the sync disabled is enabled again). conflict if a local account, not
 * from the directory, has its username. Takes @entry. On any store that implements
 * ConfabLdapStore; completes with confab_store_finish (). */
void confab_ldap_account_update_async (ConfabStore         *store,
                                       ConfabLdapEntry     *entry,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
/* result {created, updated, disabled: [username]}: every entry of @entries as
 * confab_ldap_account_update_async () does it, then every directory account that @entries do
 * not list is disabled and its devices revoked (reply->revoked_devices); the last active
 * administrator is left as it is. Takes @entries. */
void confab_ldap_sync_async           (ConfabStore         *store,
                                       GPtrArray           *entries,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);

G_END_DECLS
