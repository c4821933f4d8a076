/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-file-store"

#include "config.h"

#include "confab-sqlite-store-private.h"

#include <sqlite3.h>

/* ConfabFileStore on SQLite: the `files` and `file_refs` tables (migration 3). */

#define DB(self) confab_sqlite_store_get_db (CONFAB_SQLITE_STORE (self))

#define FILE_COLUMNS \
  "file_id, owner, name, mime, metadata, sha256, thumbnail_file_id, size, received, created_ts, " \
  "expires_ts, width, height"

static void
fs_create (ConfabFileStore        *self,
           const ConfabFileRecord *r)
{
  confab_db_run (DB (self),
                 "INSERT INTO files (" FILE_COLUMNS ") VALUES (?, ?, ?, ?, ?, NULL, ?, ?, 0, ?, ?,"
                 " ?, ?)",
                 "ssssssiiidd", r->file_id, r->owner, r->name, r->mime, r->metadata,
                 r->thumbnail_file_id, r->size, r->created_ts, r->expires_ts, r->width,
                 r->height);
}

static ConfabFileRecord *
fs_get (ConfabFileStore *self,
        const char      *file_id)
{
  ConfabDb *db = DB (self);
  ConfabFileRecord *r = NULL;
  sqlite3_stmt *stmt;

  stmt = confab_db_query (db, "SELECT " FILE_COLUMNS " FROM files WHERE file_id = ?", "s",
                          file_id);
  if (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      r = g_new0 (ConfabFileRecord, 1);
      r->file_id = g_strdup (confab_db_column_text (stmt, 0));
      r->owner = g_strdup (confab_db_column_text (stmt, 1));
      r->name = g_strdup (confab_db_column_text (stmt, 2));
      r->mime = g_strdup (confab_db_column_text (stmt, 3));
      r->metadata = g_strdup (confab_db_column_text (stmt, 4));
      r->sha256 = g_strdup (confab_db_column_text (stmt, 5));
      r->thumbnail_file_id = g_strdup (confab_db_column_text (stmt, 6));
      r->size = sqlite3_column_int64 (stmt, 7);
      r->offset = sqlite3_column_int64 (stmt, 8);
      r->created_ts = sqlite3_column_int64 (stmt, 9);
      r->expires_ts = sqlite3_column_int64 (stmt, 10);
      r->width = sqlite3_column_int (stmt, 11);
      r->height = sqlite3_column_int (stmt, 12);
      sqlite3_reset (stmt);
    }
  return r;
}

static void
fs_set_offset (ConfabFileStore *self,
               const char      *file_id,
               gint64           offset,
               gint64           expires_ts)
{
  confab_db_run (DB (self),
                 "UPDATE files SET received = max (received, ?2), expires_ts = ?3"
                 " WHERE file_id = ?1 AND sha256 IS NULL",
                 "sii", file_id, offset, expires_ts);
}

static void
fs_complete (ConfabFileStore *self,
             const char      *file_id,
             const char      *sha256)
{
  confab_db_run (DB (self),
                 "UPDATE files SET received = size, sha256 = ?2, expires_ts = 0 WHERE file_id = ?1",
                 "ss", file_id, sha256);
}

static void
fs_remove (ConfabFileStore *self,
           const char      *file_id)
{
  confab_db_run (DB (self), "DELETE FROM file_refs WHERE file_id = ?", "s", file_id);
  confab_db_run (DB (self), "DELETE FROM files WHERE file_id = ?", "s", file_id);
}

static void
fs_usage (ConfabFileStore *self,
          const char      *owner,
          gint64          *bytes,
          guint           *unfinished)
{
  ConfabDb *db = DB (self);
  sqlite3_stmt *stmt;

  *bytes = 0;
  *unfinished = 0;
  stmt = confab_db_query (db,
                          "SELECT total (size), count (*) FILTER (WHERE sha256 IS NULL)"
                          " FROM files WHERE owner = ?",
                          "s", owner);
  if (confab_db_step (db, stmt) == SQLITE_ROW)
    {
      *bytes = (gint64) sqlite3_column_double (stmt, 0);
      *unfinished = (guint) sqlite3_column_int (stmt, 1);
      sqlite3_reset (stmt);
    }
}

static GStrv
fs_expired (ConfabFileStore *self,
            gint64           now_ms,
            guint            limit)
{
  ConfabDb *db = DB (self);
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  sqlite3_stmt *stmt;

  stmt = confab_db_query (db,
                          "SELECT file_id FROM files"
                          " WHERE sha256 IS NULL AND expires_ts <= ? ORDER BY expires_ts LIMIT ?",
                          "id", now_ms, (int) limit);
  while (confab_db_step (db, stmt) == SQLITE_ROW)
    g_strv_builder_add (ids, confab_db_column_text (stmt, 0));
  return g_strv_builder_end (ids);
}

static void
fs_add_ref (ConfabFileStore *self,
            const char      *file_id,
            const char      *conv,
            const char      *sender,
            const char      *client_msg_id)
{
  confab_db_run (DB (self),
                 "INSERT INTO file_refs (file_id, conv, sender, client_msg_id) VALUES (?, ?, ?, ?)"
                 " ON CONFLICT DO NOTHING",
                 "ssss", file_id, conv, sender, client_msg_id);
}

static gboolean
fs_shared_with (ConfabFileStore *self,
                const char      *file_id,
                const char      *user)
{
  return confab_db_query_int (DB (self), 0,
                              "SELECT 1 FROM file_refs r"
                              " JOIN conv_members c ON c.conv = r.conv AND c.username = ?2"
                              " JOIN messages m ON m.sender = r.sender"
                              "  AND m.client_msg_id = r.client_msg_id"
                              " WHERE r.file_id = ?1 AND m.deleted = 0 LIMIT 1",
                              "ss", file_id, user) != 0;
}

static gboolean
fs_is_avatar (ConfabFileStore *self,
              const char      *file_id)
{
  return confab_db_query_int (DB (self), 0,
                              "SELECT 1 FROM users WHERE avatar_file_id = ? LIMIT 1",
                              "s", file_id) != 0;
}

static gboolean
fs_in_use (ConfabFileStore *self,
           const char      *file_id)
{
  return fs_is_avatar (self, file_id)
         || confab_db_query_int (DB (self), 0,
                                 "SELECT 1 FROM file_refs r"
                                 " JOIN messages m ON m.sender = r.sender"
                                 "  AND m.client_msg_id = r.client_msg_id"
                                 " WHERE r.file_id = ? AND m.deleted = 0 LIMIT 1",
                                 "s", file_id) != 0;
}

void
confab_sqlite_file_store_iface_init (ConfabFileStoreInterface *iface)
{
  iface->create = fs_create;
  iface->get = fs_get;
  iface->set_offset = fs_set_offset;
  iface->complete = fs_complete;
  iface->remove = fs_remove;
  iface->usage = fs_usage;
  iface->expired = fs_expired;
  iface->add_ref = fs_add_ref;
  iface->shared_with = fs_shared_with;
  iface->is_avatar = fs_is_avatar;
  iface->in_use = fs_in_use;
}
