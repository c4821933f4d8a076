/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "confab-sqlite-store.h"
#include "confab-audit-store.h"
#include "confab-backup-store.h"
#include "confab-broadcast-store.h"
#include "confab-contact-store.h"
#include "confab-db.h"
#include "confab-directory-store.h"
#include "confab-file-store.h"
#include "confab-ldap-store.h"
#include "confab-room-store.h"

G_BEGIN_DECLS

/* What the files of the SQLite backend share: each per-capability interface may live in a
 * file of its own (confab-sqlite-<capability>.c) that works on the store's database. Worker
 * thread only, like everything a unit of work touches. */

#define CONFAB_SQLITE_USER_COLUMNS \
  "username, display_name, email, phone, department, title, location, avatar_file_id, role, " \
  "bot, timezone"
#define CONFAB_SQLITE_USER_COLUMNS_U \
  "u.username, u.display_name, u.email, u.phone, u.department, u.title, u.location, " \
  "u.avatar_file_id, u.role, u.bot, u.timezone"
#define CONFAB_SQLITE_N_USER_COLUMNS 11

ConfabDb   *confab_sqlite_store_get_db          (ConfabSqliteStore        *self);
/* The database's file; any thread. */
const char *confab_sqlite_store_get_path        (ConfabSqliteStore        *self);
/* The protocol's User from the CONFAB_SQLITE_USER_COLUMNS of @stmt, starting at @col. */
JsonObject *confab_sqlite_user_from_row         (sqlite3_stmt             *stmt,
                                                 int                       col);

/* confab-sqlite-rooms.c */
void        confab_sqlite_room_store_iface_init (ConfabRoomStoreInterface *iface);
JsonObject *confab_sqlite_rooms_load            (ConfabSqliteStore        *self,
                                                 const char               *room_id);

/* confab-sqlite-contacts.c, confab-sqlite-directory.c, confab-sqlite-broadcast.c */
void confab_sqlite_contact_store_iface_init   (ConfabContactStoreInterface   *iface);
void confab_sqlite_directory_store_iface_init (ConfabDirectoryStoreInterface *iface);
void confab_sqlite_broadcast_store_iface_init (ConfabBroadcastStoreInterface *iface);

/* confab-sqlite-audit.c */
void confab_sqlite_audit_store_iface_init     (ConfabAuditStoreInterface     *iface);

/* confab-sqlite-backup.c */
void confab_sqlite_backup_store_iface_init    (ConfabBackupStoreInterface    *iface);

/* confab-sqlite-files.c */
void confab_sqlite_file_store_iface_init      (ConfabFileStoreInterface      *iface);

/* confab-sqlite-ldap.c */
void confab_sqlite_ldap_store_iface_init      (ConfabLdapStoreInterface      *iface);

G_END_DECLS
