/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-backup"

#include "config.h"

#include "confab-sqlite-store-private.h"
#include "confab-db-backup.h"

#include <glib/gstdio.h>

/* ConfabBackupStore on SQLite: the online backup API from a connection of its own (see
 * confab_db_backup), then the uploads the copy names, read from the copy itself so that they
 * are those of the same moment. */

/* 4 MiB of 4 KiB pages per step. */
#define PAGES_PER_STEP 1024

static JsonArray *
list_files (const char  *path,
            GError     **error)
{
  g_autoptr(JsonArray) files = json_array_new ();
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = NULL;
  int rc;

  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2 (db,
                             "SELECT file_id, received, sha256 IS NOT NULL FROM files"
                             " ORDER BY file_id", -1, &stmt, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *file = json_object_new ();

      json_object_set_string_member (file, "file_id", confab_db_column_text (stmt, 0));
      json_object_set_int_member (file, "bytes", sqlite3_column_int64 (stmt, 1));
      json_object_set_boolean_member (file, "complete", sqlite3_column_int (stmt, 2));
      json_array_add_object_element (files, file);
      rc = SQLITE_OK;
    }
  if (rc != SQLITE_DONE)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read the files of %s: %s", path,
                 db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return rc == SQLITE_DONE ? g_steal_pointer (&files) : NULL;
}

static JsonArray *
bs_backup (ConfabBackupStore  *store,
           const char         *path,
           GCancellable       *cancellable,
           GError            **error)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);
  JsonArray *files;

  if (!confab_db_backup (confab_sqlite_store_get_path (self), path, PAGES_PER_STEP, cancellable,
                         error))
    return NULL;
  files = list_files (path, error);
  if (files == NULL)
    g_unlink (path);
  return files;
}

void
confab_sqlite_backup_store_iface_init (ConfabBackupStoreInterface *iface)
{
  iface->backup = bs_backup;
}
