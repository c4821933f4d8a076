/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabLdapStore: which accounts come from the company directory, under which entry (DN), and
 * which of them the directory's sync disabled. Data access only; the LDAP module holds the
 * rules and calls these from a unit of work on the store thread.
 */

#define CONFAB_TYPE_LDAP_STORE (confab_ldap_store_get_type ())
G_DECLARE_INTERFACE (ConfabLdapStore, confab_ldap_store, CONFAB, LDAP_STORE, ConfabStore)

struct _ConfabLdapStoreInterface
{
  GTypeInterface parent_iface;

  /* Whether @username's account comes from the directory. */
  gboolean (*is_linked)        (ConfabLdapStore  *self,
                                const char       *username);
  /* Records that @username (an existing account) comes from the directory entry @dn, seen
   * at @ts. */
  void     (*link)             (ConfabLdapStore  *self,
                                const char       *username,
                                const char       *dn,
                                gint64            ts);
  /* Every account that comes from the directory, sorted. */
  GStrv    (*linked)           (ConfabLdapStore  *self);
  /* Whether the sync disabled @username (as opposed to an administrator). */
  gboolean (*sync_disabled)    (ConfabLdapStore  *self,
                                const char       *username);
  void     (*set_sync_disabled) (ConfabLdapStore *self,
                                 const char      *username,
                                 gboolean         disabled);
};

G_END_DECLS
