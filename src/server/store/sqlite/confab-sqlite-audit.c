/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-audit"

#include "config.h"

#include "confab-sqlite-store-private.h"
#include "confab-frame.h"

#include <string.h>

/* ConfabAuditStore on SQLite: the audit table, and what administrators read and change of
 * users and devices. */

#define DB(store) confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (store))

#define ACCOUNT_COLUMNS \
  CONFAB_SQLITE_USER_COLUMNS ", disabled, permissions, created_ts, last_seen_ts"

static gint64
as_record (ConfabAuditStore *store,
           gint64            ts,
           const char       *actor,
           const char       *action,
           const char       *target,
           const char       *details_json,
           const char       *address)
{
  ConfabDb *db = DB (store);

  confab_db_run (db,
                 "INSERT INTO audit (ts, actor, action, target, details, address)"
                 " VALUES (?, ?, ?, ?, ?, ?)",
                 "isssss", ts, actor, action, target, details_json, address);
  return confab_db_last_insert_id (db);
}

static void
set_text_or_null (JsonObject   *object,
                  const char   *name,
                  sqlite3_stmt *stmt,
                  int           col)
{
  const char *value = confab_db_column_text (stmt, col);

  if (value != NULL)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

static JsonArray *
as_entries (ConfabAuditStore *store,
            const char       *actor,
            const char       *action,
            const char       *target,
            guint             limit,
            guint             offset,
            gint64           *total)
{
  ConfabDb *db = DB (store);
  JsonArray *entries = json_array_new ();
  sqlite3_stmt *stmt;

  *total = confab_db_query_int (db, 0,
                                "SELECT count (*) FROM audit"
                                " WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2)"
                                " AND (?3 IS NULL OR target = ?3)",
                                "sss", actor, action, target);
  stmt = confab_db_query (db,
                          "SELECT id, ts, actor, action, target, details, address FROM audit"
                          " WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2)"
                          " AND (?3 IS NULL OR target = ?3)"
                          " ORDER BY id DESC LIMIT ?4 OFFSET ?5",
                          "sssii", actor, action, target, (gint64) limit, (gint64) offset);
  while (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      JsonObject *entry = json_object_new ();
      const char *details = confab_db_column_text (stmt, 5);
      JsonObject *details_object = NULL;

      json_object_set_int_member (entry, "id", sqlite3_column_int64 (stmt, 0));
      json_object_set_int_member (entry, "ts", sqlite3_column_int64 (stmt, 1));
      json_object_set_string_member (entry, "actor", confab_db_column_text (stmt, 2));
      json_object_set_string_member (entry, "action", confab_db_column_text (stmt, 3));
      set_text_or_null (entry, "target", stmt, 4);
      if (details != NULL)
        details_object = confab_frame_parse (details, strlen (details), NULL);
      json_object_set_object_member (entry, "details",
                                     details_object != NULL ? details_object : json_object_new ());
      set_text_or_null (entry, "address", stmt, 6);
      json_array_add_object_element (entries, entry);
    }
  return entries;
}

static JsonObject *
account_from_row (sqlite3_stmt *stmt)
{
  JsonObject *account = confab_sqlite_user_from_row (stmt, 0);
  int col = CONFAB_SQLITE_N_USER_COLUMNS;
  g_auto(GStrv) permissions = g_strsplit (confab_db_column_text (stmt, col + 1), ",", -1);
  JsonArray *list = json_array_new ();

  json_object_set_boolean_member (account, "disabled", sqlite3_column_int (stmt, col) != 0);
  for (guint i = 0; permissions[i] != NULL; i++)
    if (*permissions[i] != '\0')
      json_array_add_string_element (list, permissions[i]);
  json_object_set_array_member (account, "permissions", list);
  json_object_set_int_member (account, "created_ts", sqlite3_column_int64 (stmt, col + 2));
  if (sqlite3_column_type (stmt, col + 3) == SQLITE_NULL)
    json_object_set_null_member (account, "last_seen_ts");
  else
    json_object_set_int_member (account, "last_seen_ts", sqlite3_column_int64 (stmt, col + 3));
  return account;
}

static JsonObject *
as_account (ConfabAuditStore *store,
            const char       *username)
{
  ConfabDb *db = DB (store);
  sqlite3_stmt *stmt = confab_db_query (db,
                                        "SELECT " ACCOUNT_COLUMNS " FROM users"
                                        " WHERE username = ?",
                                        "s", username);
  JsonObject *account = NULL;

  if (confab_db_step (db, stmt) == SQLITE_ROW)
    account = account_from_row (stmt);
  sqlite3_reset (stmt);
  return account;
}

static JsonArray *
as_accounts (ConfabAuditStore *store,
             const char       *query,
             guint             limit,
             guint             offset,
             gint64           *total)
{
  ConfabDb *db = DB (store);
  g_autofree char *folded = query != NULL ? g_ascii_strdown (query, -1) : NULL;
  JsonArray *accounts = json_array_new ();
  sqlite3_stmt *stmt;

  /* lower () folds ASCII letters only; the query is folded the same way. */
  *total = confab_db_query_int (db, 0,
                                "SELECT count (*) FROM users WHERE ?1 IS NULL"
                                " OR instr (lower (username), ?1) > 0"
                                " OR instr (lower (coalesce (display_name, '')), ?1) > 0"
                                " OR instr (lower (coalesce (email, '')), ?1) > 0",
                                "s", folded);
  stmt = confab_db_query (db,
                          "SELECT " ACCOUNT_COLUMNS " FROM users WHERE ?1 IS NULL"
                          " OR instr (lower (username), ?1) > 0"
                          " OR instr (lower (coalesce (display_name, '')), ?1) > 0"
                          " OR instr (lower (coalesce (email, '')), ?1) > 0"
                          " ORDER BY username LIMIT ?2 OFFSET ?3",
                          "sii", folded, (gint64) limit, (gint64) offset);
  while (confab_db_step (db, stmt) == SQLITE_ROW)
    json_array_add_object_element (accounts, account_from_row (stmt));
  return accounts;
}

static gboolean
as_set_disabled (ConfabAuditStore *store,
                 const char       *username,
                 gboolean          disabled)
{
  ConfabDb *db = DB (store);

  if (confab_db_query_int (db, 0, "SELECT count (*) FROM users WHERE username = ?", "s",
                           username) == 0)
    return FALSE;
  confab_db_run (db, "UPDATE users SET disabled = ?2 WHERE username = ?1 AND disabled != ?2",
                 "sd", username, disabled ? 1 : 0);
  return TRUE;
}

static gboolean
as_set_role (ConfabAuditStore *store,
             const char       *username,
             const char       *role)
{
  ConfabDb *db = DB (store);

  if (confab_db_query_int (db, 0, "SELECT count (*) FROM users WHERE username = ?", "s",
                           username) == 0)
    return FALSE;
  confab_db_run (db, "UPDATE users SET role = ?2 WHERE username = ?1", "ss", username, role);
  return TRUE;
}

static gint64
as_count_admins (ConfabAuditStore *store)
{
  return confab_db_query_int (DB (store), 0,
                              "SELECT count (*) FROM users WHERE role = 'admin' AND disabled = 0",
                              "");
}

static JsonArray *
as_sessions (ConfabAuditStore *store,
             const char       *username,
             guint             limit,
             guint             offset,
             gint64           *total)
{
  ConfabDb *db = DB (store);
  JsonArray *sessions = json_array_new ();
  sqlite3_stmt *stmt;

  *total = confab_db_query_int (db, 0,
                                "SELECT count (*) FROM devices"
                                " WHERE revoked = 0 AND (?1 IS NULL OR username = ?1)",
                                "s", username);
  stmt = confab_db_query (db,
                          "SELECT username, device_id, name, created_ts, last_seen_ts"
                          " FROM devices WHERE revoked = 0 AND (?1 IS NULL OR username = ?1)"
                          " ORDER BY username, created_ts, device_id LIMIT ?2 OFFSET ?3",
                          "sii", username, (gint64) limit, (gint64) offset);
  while (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      JsonObject *session = json_object_new ();

      json_object_set_string_member (session, "username", confab_db_column_text (stmt, 0));
      json_object_set_string_member (session, "device_id", confab_db_column_text (stmt, 1));
      json_object_set_string_member (session, "name", confab_db_column_text (stmt, 2));
      json_object_set_int_member (session, "created_ts", sqlite3_column_int64 (stmt, 3));
      if (sqlite3_column_type (stmt, 4) == SQLITE_NULL)
        json_object_set_null_member (session, "last_seen_ts");
      else
        json_object_set_int_member (session, "last_seen_ts", sqlite3_column_int64 (stmt, 4));
      json_array_add_object_element (sessions, session);
    }
  return sessions;
}

static JsonObject *
as_stats (ConfabAuditStore *store)
{
  ConfabDb *db = DB (store);
  JsonObject *stats = json_object_new ();

  json_object_set_int_member (stats, "users",
                              confab_db_query_int (db, 0, "SELECT count (*) FROM users", ""));
  json_object_set_int_member (stats, "messages",
                              confab_db_query_int (db, 0,
                                                   "SELECT count (*) FROM messages"
                                                   " WHERE deleted = 0 AND kind != 'system'",
                                                   ""));
  json_object_set_int_member (stats, "rooms",
                              confab_db_query_int (db, 0, "SELECT count (*) FROM rooms", ""));
  json_object_set_int_member (stats, "file_bytes",
                              confab_db_query_int (db, 0,
                                                   "SELECT coalesce (sum (received), 0)"
                                                   " FROM files",
                                                   ""));
  return stats;
}

void
confab_sqlite_audit_store_iface_init (ConfabAuditStoreInterface *iface)
{
  iface->record = as_record;
  iface->entries = as_entries;
  iface->account = as_account;
  iface->accounts = as_accounts;
  iface->set_disabled = as_set_disabled;
  iface->set_role = as_set_role;
  iface->count_admins = as_count_admins;
  iface->sessions = as_sessions;
  iface->stats = as_stats;
}
