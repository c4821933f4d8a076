/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-ldap"

#include "config.h"

#include "confab-sqlite-store-private.h"

/* ConfabLdapStore on SQLite: the ldap_accounts table (migration 11), one row per account that
 * comes from the company directory. */

#define DB(store) confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (store))

static gboolean
ls_is_linked (ConfabLdapStore *store,
              const char      *username)
{
  return confab_db_query_int (DB (store), 0,
                              "SELECT 1 FROM ldap_accounts WHERE username = ?",
                              "s", username) == 1;
}

static void
ls_link (ConfabLdapStore *store,
         const char      *username,
         const char      *dn,
         gint64           ts)
{
  confab_db_run (DB (store),
                 "INSERT INTO ldap_accounts (username, dn, synced_ts) VALUES (?1, ?2, ?3)"
                 " ON CONFLICT (username) DO UPDATE SET dn = ?2, synced_ts = ?3",
                 "ssi", username, dn, ts);
}

static GStrv
ls_linked (ConfabLdapStore *store)
{
  ConfabDb *db = DB (store);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt = confab_db_query (db, "SELECT username FROM ldap_accounts"
                                        " ORDER BY username", "");

  while (confab_db_step (db, stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, confab_db_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return g_strv_builder_end (builder);
}

static gboolean
ls_sync_disabled (ConfabLdapStore *store,
                  const char      *username)
{
  return confab_db_query_int (DB (store), 0,
                              "SELECT sync_disabled FROM ldap_accounts WHERE username = ?",
                              "s", username) != 0;
}

static void
ls_set_sync_disabled (ConfabLdapStore *store,
                      const char      *username,
                      gboolean         disabled)
{
  confab_db_run (DB (store), "UPDATE ldap_accounts SET sync_disabled = ? WHERE username = ?",
                 "ds", disabled ? 1 : 0, username);
}

void
confab_sqlite_ldap_store_iface_init (ConfabLdapStoreInterface *iface)
{
  iface->is_linked = ls_is_linked;
  iface->link = ls_link;
  iface->linked = ls_linked;
  iface->sync_disabled = ls_sync_disabled;
  iface->set_sync_disabled = ls_set_sync_disabled;
}
