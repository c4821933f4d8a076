/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-rooms"

#include "config.h"

#include "confab-sqlite-store-private.h"
#include "confab-validate.h"

#include <sqlite3.h>

/* ConfabRoomStore on SQLite: `rooms`, `room_invites`, and the room conversation's rows in
 * `conversations` and `conv_members` (role, read mark). */

#define DB(store)             confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (store))
#define query(store, ...)     confab_db_query (DB (store), __VA_ARGS__)
#define step(store, stmt)     confab_db_step (DB (store), (stmt))
#define run(store, ...)       confab_db_run (DB (store), __VA_ARGS__)
#define query_int(store, ...) confab_db_query_int (DB (store), __VA_ARGS__)
#define query_text(store, ...) confab_db_query_text (DB (store), __VA_ARGS__)
#define col_text(stmt, col)   confab_db_column_text ((stmt), (col))

/* Owners first, then admins, then members. */
#define ROLE_ORDER \
  "CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END"

JsonObject *
confab_sqlite_rooms_load (ConfabSqliteStore *self,
                          const char        *room_id)
{
  g_autofree char *conv = confab_conv_room (room_id);
  sqlite3_stmt *stmt;
  JsonObject *room = NULL;

  /* The owner shown is the longest-standing one: a room may have several. */
  stmt = query (self,
                "SELECT room_id, name, topic, visibility,"
                " coalesce ((SELECT username FROM conv_members WHERE conv = ?2 AND role = 'owner'"
                "            ORDER BY joined_ts, username LIMIT 1), owner),"
                " created_ts, (SELECT count (*) FROM conv_members WHERE conv = ?2)"
                " FROM rooms WHERE room_id = ?1",
                "ss", room_id, conv);
  if (step (self, stmt) == SQLITE_ROW)
    {
      room = json_object_new ();
      json_object_set_string_member (room, "id", col_text (stmt, 0));
      json_object_set_string_member (room, "name", col_text (stmt, 1));
      json_object_set_string_member (room, "topic", col_text (stmt, 2));
      json_object_set_string_member (room, "visibility", col_text (stmt, 3));
      if (col_text (stmt, 4) != NULL)
        json_object_set_string_member (room, "owner", col_text (stmt, 4));
      else
        json_object_set_null_member (room, "owner");
      json_object_set_int_member (room, "created_ts", sqlite3_column_int64 (stmt, 5));
      json_object_set_int_member (room, "member_count", sqlite3_column_int64 (stmt, 6));
      sqlite3_reset (stmt);
    }
  return room;
}

static gboolean
rs_create (ConfabRoomStore *store,
           const char      *room_id,
           const char      *name,
           const char      *topic,
           const char      *visibility,
           const char      *owner,
           gint64           ts)
{
  g_autofree char *conv = confab_conv_room (room_id);

  if (run (store,
           "INSERT INTO rooms (room_id, name, topic, visibility, owner, created_ts)"
           " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
           "sssssi", room_id, name, topic, visibility, owner, ts) == 0)
    return FALSE;
  run (store,
       "INSERT INTO conversations (conv, kind, created_ts, last_activity_ts)"
       " VALUES (?1, 'room', ?2, ?2)",
       "si", conv, ts);
  return TRUE;
}

static JsonObject *
rs_load (ConfabRoomStore *store,
         const char      *room_id)
{
  return confab_sqlite_rooms_load (CONFAB_SQLITE_STORE (store), room_id);
}

static void
rs_update (ConfabRoomStore *store,
           const char      *room_id,
           const char      *name,
           const char      *topic,
           const char      *visibility)
{
  run (store,
       "UPDATE rooms SET name = coalesce (?2, name), topic = coalesce (?3, topic),"
       " visibility = coalesce (?4, visibility) WHERE room_id = ?1",
       "ssss", room_id, name, topic, visibility);
}

static char *
rs_role (ConfabRoomStore *store,
         const char      *room_id,
         const char      *user)
{
  g_autofree char *conv = confab_conv_room (room_id);

  return query_text (store, "SELECT role FROM conv_members WHERE conv = ? AND username = ?",
                     "ss", conv, user);
}

static void
rs_add_member (ConfabRoomStore *store,
               const char      *room_id,
               const char      *user,
               const char      *role,
               gint64           ts)
{
  g_autofree char *conv = confab_conv_room (room_id);

  run (store,
       "INSERT INTO conv_members (conv, username, role, last_read, joined_ts)"
       " VALUES (?1, ?2, ?3, (SELECT coalesce (max (id), 0) FROM messages WHERE conv = ?1), ?4)",
       "sssi", conv, user, role, ts);
}

static void
rs_remove_member (ConfabRoomStore *store,
                  const char      *room_id,
                  const char      *user)
{
  g_autofree char *conv = confab_conv_room (room_id);

  run (store, "DELETE FROM conv_members WHERE conv = ? AND username = ?", "ss", conv, user);
}

static void
rs_set_role (ConfabRoomStore *store,
             const char      *room_id,
             const char      *user,
             const char      *role)
{
  g_autofree char *conv = confab_conv_room (room_id);

  run (store, "UPDATE conv_members SET role = ? WHERE conv = ? AND username = ?", "sss", role,
       conv, user);
}

static guint
rs_count_role (ConfabRoomStore *store,
               const char      *room_id,
               const char      *role)
{
  g_autofree char *conv = confab_conv_room (room_id);

  return (guint) query_int (store, 0,
                            "SELECT count (*) FROM conv_members WHERE conv = ? AND role = ?",
                            "ss", conv, role);
}

static JsonArray *
rs_members (ConfabRoomStore *store,
            const char      *room_id)
{
  g_autofree char *conv = confab_conv_room (room_id);
  JsonArray *members = json_array_new ();
  sqlite3_stmt *stmt;

  stmt = query (store,
                "SELECT m.username, m.role, coalesce (u.last_seen_ts, 0)"
                " FROM conv_members m JOIN users u ON u.username = m.username"
                " WHERE m.conv = ? ORDER BY " ROLE_ORDER ", m.username",
                "s", conv);
  while (step (store, stmt) == SQLITE_ROW)
    {
      JsonObject *member = json_object_new ();

      json_object_set_string_member (member, "user", col_text (stmt, 0));
      json_object_set_string_member (member, "role", col_text (stmt, 1));
      json_object_set_int_member (member, "last_seen", sqlite3_column_int64 (stmt, 2));
      json_array_add_object_element (members, member);
    }
  return members;
}

static gboolean
rs_invite (ConfabRoomStore *store,
           const char      *room_id,
           const char      *user,
           const char      *inviter,
           gint64           ts)
{
  return run (store,
              "INSERT INTO room_invites (room_id, username, inviter, ts) VALUES (?, ?, ?, ?)"
              " ON CONFLICT DO NOTHING",
              "sssi", room_id, user, inviter, ts) > 0;
}

static gboolean
rs_invited (ConfabRoomStore *store,
            const char      *room_id,
            const char      *user)
{
  return query_int (store, 0, "SELECT 1 FROM room_invites WHERE room_id = ? AND username = ?",
                    "ss", room_id, user) != 0;
}

static gboolean
rs_uninvite (ConfabRoomStore *store,
             const char      *room_id,
             const char      *user)
{
  return run (store, "DELETE FROM room_invites WHERE room_id = ? AND username = ?", "ss",
              room_id, user) > 0;
}

#define VISIBLE_ROOMS \
  " FROM rooms r" \
  " LEFT JOIN conv_members m ON m.conv = 'room:' || r.room_id AND m.username = ?1" \
  " LEFT JOIN room_invites i ON i.room_id = r.room_id AND i.username = ?1" \
  " WHERE (r.visibility = 'public' OR m.username IS NOT NULL OR i.username IS NOT NULL)" \
  "  AND (?2 IS NULL OR instr (lower (r.name), lower (?2)) > 0)"

static JsonArray *
rs_list (ConfabRoomStore *store,
         const char      *user,
         const char      *text,
         guint            limit,
         guint            offset,
         gint64          *total)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  JsonArray *rooms = json_array_new ();
  sqlite3_stmt *stmt;

  *total = query_int (store, 0, "SELECT count (*)" VISIBLE_ROOMS, "ss", user, text);
  stmt = query (store,
                "SELECT r.room_id, CASE WHEN m.username IS NOT NULL THEN 'member'"
                " WHEN i.username IS NOT NULL THEN 'invited' END"
                VISIBLE_ROOMS
                " ORDER BY lower (r.name), r.room_id LIMIT ?3 OFFSET ?4",
                "ssdd", user, text, (int) limit, (int) offset);
  while (step (store, stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (ids, g_strdup (col_text (stmt, 0)));
      g_ptr_array_add (kinds, g_strdup (col_text (stmt, 1)));
    }
  for (guint i = 0; i < ids->len; i++)
    {
      JsonObject *room = confab_sqlite_rooms_load (self, g_ptr_array_index (ids, i));
      const char *membership = g_ptr_array_index (kinds, i);

      if (room == NULL)
        continue;
      if (membership != NULL)
        json_object_set_string_member (room, "membership", membership);
      else
        json_object_set_null_member (room, "membership");
      json_array_add_object_element (rooms, room);
    }
  return rooms;
}

void
confab_sqlite_room_store_iface_init (ConfabRoomStoreInterface *iface)
{
  iface->create = rs_create;
  iface->load = rs_load;
  iface->update = rs_update;
  iface->role = rs_role;
  iface->add_member = rs_add_member;
  iface->remove_member = rs_remove_member;
  iface->set_role = rs_set_role;
  iface->count_role = rs_count_role;
  iface->members = rs_members;
  iface->invite = rs_invite;
  iface->invited = rs_invited;
  iface->uninvite = rs_uninvite;
  iface->list = rs_list;
}
