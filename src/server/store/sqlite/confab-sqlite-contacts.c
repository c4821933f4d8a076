/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-contacts"

#include "config.h"

#include "confab-sqlite-store-private.h"

/* ConfabContactStore on SQLite: the tables contacts (one row per side of a relation) and
 * blocks of the initial schema. */

#define DB(store) confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (store))

static const char * const state_names[] = {
  [CONFAB_CONTACT_NONE] = NULL,
  [CONFAB_CONTACT_PENDING_OUT] = "pending_out",
  [CONFAB_CONTACT_PENDING_IN] = "pending_in",
  [CONFAB_CONTACT_ACCEPTED] = "accepted",
};

static ConfabContactState
cs_state (ConfabContactStore *store,
          const char         *owner,
          const char         *other)
{
  g_autofree char *state = confab_db_query_text (DB (store),
                                                 "SELECT state FROM contacts"
                                                 " WHERE owner = ? AND contact = ?",
                                                 "ss", owner, other);

  for (guint i = 1; state != NULL && i < G_N_ELEMENTS (state_names); i++)
    if (g_str_equal (state, state_names[i]))
      return i;
  return CONFAB_CONTACT_NONE;
}

static void
cs_set_state (ConfabContactStore *store,
              const char         *owner,
              const char         *other,
              ConfabContactState  state,
              const char         *message,
              gint64              ts)
{
  g_return_if_fail (state > CONFAB_CONTACT_NONE && state < G_N_ELEMENTS (state_names));

  confab_db_run (DB (store),
                 "INSERT INTO contacts (owner, contact, state, grp, message, ts)"
                 " VALUES (?1, ?2, ?3, '', ?4, ?5)"
                 " ON CONFLICT (owner, contact) DO UPDATE SET"
                 "  grp = CASE WHEN state = excluded.state THEN grp ELSE '' END,"
                 "  state = excluded.state, message = excluded.message, ts = excluded.ts",
                 "ssssi", owner, other, state_names[state],
                 state == CONFAB_CONTACT_ACCEPTED ? NULL : message, ts);
}

static gboolean
cs_remove (ConfabContactStore *store,
           const char         *owner,
           const char         *other)
{
  return confab_db_run (DB (store), "DELETE FROM contacts WHERE owner = ? AND contact = ?",
                        "ss", owner, other) > 0;
}

static gboolean
cs_set_group (ConfabContactStore *store,
              const char         *owner,
              const char         *other,
              const char         *group)
{
  return confab_db_run (DB (store),
                        "UPDATE contacts SET grp = ?3"
                        " WHERE owner = ?1 AND contact = ?2 AND state = 'accepted'"
                        " AND grp IS NOT ?3",
                        "sss", owner, other, group) > 0;
}

static JsonArray *
cs_list (ConfabContactStore *store,
         const char         *owner,
         ConfabContactState  state)
{
  ConfabDb *db = DB (store);
  JsonArray *list = json_array_new ();
  sqlite3_stmt *stmt;

  g_return_val_if_fail (state > CONFAB_CONTACT_NONE && state < G_N_ELEMENTS (state_names), list);

  stmt = confab_db_query (db,
                          "SELECT " CONFAB_SQLITE_USER_COLUMNS_U ", c.grp, c.message, c.ts,"
                          " coalesce (u.last_seen_ts, 0)"
                          " FROM contacts c JOIN users u ON u.username = c.contact"
                          " WHERE c.owner = ? AND c.state = ?"
                          " ORDER BY coalesce (nullif (u.display_name, ''), u.username)"
                          "  COLLATE NOCASE, u.username",
                          "ss", owner, state_names[state]);
  while (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      JsonObject *item = json_object_new ();
      int col = CONFAB_SQLITE_N_USER_COLUMNS;

      json_object_set_object_member (item, "user", confab_sqlite_user_from_row (stmt, 0));
      if (state == CONFAB_CONTACT_ACCEPTED)
        {
          json_object_set_string_member (item, "group", confab_db_column_text (stmt, col));
          json_object_set_int_member (item, "last_seen", sqlite3_column_int64 (stmt, col + 3));
        }
      else
        {
          const char *message = confab_db_column_text (stmt, col + 1);

          json_object_set_string_member (item, "message", message != NULL ? message : "");
          json_object_set_int_member (item, "ts", sqlite3_column_int64 (stmt, col + 2));
        }
      json_array_add_object_element (list, item);
    }
  return list;
}

static gboolean
cs_blocks (ConfabContactStore *store,
           const char         *blocker,
           const char         *blocked)
{
  return confab_db_query_int (DB (store), 0,
                              "SELECT 1 FROM blocks WHERE blocker = ? AND blocked = ?",
                              "ss", blocker, blocked) != 0;
}

static gboolean
cs_set_block (ConfabContactStore *store,
              const char         *blocker,
              const char         *blocked,
              gboolean            on,
              gint64              ts)
{
  if (on)
    return confab_db_run (DB (store),
                          "INSERT INTO blocks (blocker, blocked, ts) VALUES (?, ?, ?)"
                          " ON CONFLICT DO NOTHING",
                          "ssi", blocker, blocked, ts) > 0;
  return confab_db_run (DB (store), "DELETE FROM blocks WHERE blocker = ? AND blocked = ?",
                        "ss", blocker, blocked) > 0;
}

static GStrv
cs_blocked (ConfabContactStore *store,
            const char         *blocker)
{
  ConfabDb *db = DB (store);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt = confab_db_query (db,
                                        "SELECT blocked FROM blocks WHERE blocker = ?"
                                        " ORDER BY blocked",
                                        "s", blocker);

  while (confab_db_step (db, stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, confab_db_column_text (stmt, 0));
  return g_strv_builder_end (builder);
}

void
confab_sqlite_contact_store_iface_init (ConfabContactStoreInterface *iface)
{
  iface->state = cs_state;
  iface->set_state = cs_set_state;
  iface->remove = cs_remove;
  iface->set_group = cs_set_group;
  iface->list = cs_list;
  iface->blocks = cs_blocks;
  iface->set_block = cs_set_block;
  iface->blocked = cs_blocked;
}
