/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-broadcast"

#include "config.h"

#include "confab-sqlite-store-private.h"
#include "confab-sqlite-directory-query.h"

#include <stdlib.h>
#include <string.h>

/* ConfabBroadcastStore on SQLite: users.permissions (a comma-separated list), the broadcasts
 * table, and the readers of the event streams announcements go to. */

#define DB(store) confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (store))

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static gboolean
bs_user_rights (ConfabBroadcastStore  *store,
                const char            *username,
                const char            *permission,
                char                 **role,
                gboolean              *granted)
{
  ConfabDb *db = DB (store);
  sqlite3_stmt *stmt = confab_db_query (db,
                                        "SELECT role, instr (',' || permissions || ',',"
                                        " ',' || ?2 || ',') > 0 FROM users WHERE username = ?1",
                                        "ss", username, permission);

  if (confab_db_step (db, stmt) != SQLITE_ROW)
    return FALSE;
  *role = g_strdup (confab_db_column_text (stmt, 0));
  *granted = sqlite3_column_int (stmt, 1) != 0;
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
bs_set_permission (ConfabBroadcastStore *store,
                   const char           *username,
                   const char           *permission,
                   gboolean              on)
{
  ConfabDb *db = DB (store);
  g_autofree char *current = confab_db_query_text (db,
                                                   "SELECT permissions FROM users"
                                                   " WHERE username = ?",
                                                   "s", username);
  g_auto(GStrv) old = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;
  g_autofree char *joined = NULL;

  if (current == NULL)
    return FALSE;

  /* The list stays sorted and free of duplicates whatever it held before. */
  old = g_strsplit (current, ",", -1);
  for (guint i = 0; old[i] != NULL; i++)
    if (*old[i] != '\0' && !g_str_equal (old[i], permission))
      g_strv_builder_add (builder, old[i]);
  if (on)
    g_strv_builder_add (builder, permission);
  updated = g_strv_builder_end (builder);
  qsort (updated, g_strv_length (updated), sizeof (char *), compare_strings);
  joined = g_strjoinv (",", updated);
  confab_db_run (db, "UPDATE users SET permissions = ? WHERE username = ?", "ss", joined,
                 username);
  return TRUE;
}

static gint64
bs_insert (ConfabBroadcastStore *store,
           const char           *sender,
           const char           *body,
           const char           *audience_json,
           gint64                ts)
{
  ConfabDb *db = DB (store);

  confab_db_run (db,
                 "INSERT INTO broadcasts (sender, ts, body, audience) VALUES (?, ?, ?, ?)",
                 "siss", sender, ts, body, audience_json);
  return confab_db_last_insert_id (db);
}

static GStrv
collect (ConfabDb     *db,
         sqlite3_stmt *stmt)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  while (confab_db_step (db, stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, confab_db_column_text (stmt, 0));
  return g_strv_builder_end (builder);
}

static GStrv
bs_accounts (ConfabBroadcastStore *store,
             const char           *department)
{
  ConfabDb *db = DB (store);
  g_autofree char *expr = NULL;

  if (department == NULL)
    return collect (db, confab_db_query (db,
                                         "SELECT username FROM users WHERE disabled = 0"
                                         " ORDER BY username",
                                         ""));

  /* The directory's index holds exactly the accounts that are not disabled. */
  expr = confab_sqlite_directory_whole_value ("f_department", department);
  return collect (db, confab_db_query (db,
                                       "SELECT d.username FROM directory_fts f"
                                       " JOIN directory d ON d.id = f.rowid"
                                       " WHERE directory_fts MATCH ? ORDER BY d.username",
                                       "s", expr));
}

static GStrv
bs_stream_readers (ConfabBroadcastStore *store,
                   const char           *stream)
{
  ConfabDb *db = DB (store);

  return collect (db, confab_db_query (db,
                                       "SELECT username FROM stream_members"
                                       " WHERE stream = ? AND to_seq IS NULL ORDER BY username",
                                       "s", stream));
}

void
confab_sqlite_broadcast_store_iface_init (ConfabBroadcastStoreInterface *iface)
{
  iface->user_rights = bs_user_rights;
  iface->set_permission = bs_set_permission;
  iface->insert = bs_insert;
  iface->accounts = bs_accounts;
  iface->stream_readers = bs_stream_readers;
}
