/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-db-backup"

#include "config.h"

#include "confab-db-backup.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

static gboolean
failed (GError     **error,
        sqlite3     *db,
        int          rc,
        const char  *what,
        const char  *path)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s: %s", what, path,
               db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
copy (sqlite3       *source,
      sqlite3       *dest,
      const char    *source_path,
      const char    *dest_path,
      int            pages_per_step,
      GCancellable  *cancellable,
      GError       **error)
{
  sqlite3_backup *backup;
  int rc;

  /* The snapshot: every step reads inside this one transaction. */
  rc = sqlite3_exec (source, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return failed (error, source, rc, "cannot read", source_path);

  backup = sqlite3_backup_init (dest, "main", source, "main");
  if (backup == NULL)
    return failed (error, dest, SQLITE_ERROR, "cannot copy into", dest_path);
  do
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          sqlite3_backup_finish (backup);
          return FALSE;
        }
      rc = sqlite3_backup_step (backup, pages_per_step);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        sqlite3_sleep (10);
      g_debug ("backup: %d of %d pages left", sqlite3_backup_remaining (backup),
               sqlite3_backup_pagecount (backup));
    }
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish (backup);
  if (rc != SQLITE_DONE)
    return failed (error, dest, rc, "cannot copy into", dest_path);
  sqlite3_exec (source, "COMMIT", NULL, NULL, NULL);
  return TRUE;
}

gboolean
confab_db_backup (const char    *source_path,
                  const char    *dest_path,
                  int            pages_per_step,
                  GCancellable  *cancellable,
                  GError       **error)
{
  sqlite3 *source = NULL;
  sqlite3 *dest = NULL;
  gboolean ok = FALSE;
  int rc;

  g_return_val_if_fail (source_path != NULL && dest_path != NULL, FALSE);
  g_return_val_if_fail (pages_per_step > 0, FALSE);

  if (g_file_test (dest_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s exists already", dest_path);
      return FALSE;
    }

  rc = sqlite3_open_v2 (source_path, &source, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      failed (error, source, rc, "cannot open", source_path);
      goto out;
    }
  sqlite3_busy_timeout (source, 5000);
  rc = sqlite3_open_v2 (dest_path, &dest,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      failed (error, dest, rc, "cannot create", dest_path);
      goto out;
    }
  /* The copy is one file, synced when its transaction commits. */
  rc = sqlite3_exec (dest, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;", NULL,
                     NULL, NULL);
  if (rc != SQLITE_OK)
    {
      failed (error, dest, rc, "cannot set up", dest_path);
      goto out;
    }
  ok = copy (source, dest, source_path, dest_path, pages_per_step, cancellable, error);

out:
  if (source != NULL)
    sqlite3_close (source);
  if (dest != NULL && sqlite3_close (dest) != SQLITE_OK && ok)
    ok = failed (error, dest, SQLITE_ERROR, "cannot close", dest_path);
  if (!ok)
    {
      g_autofree char *journal = g_strconcat (dest_path, "-journal", NULL);

      g_unlink (dest_path);
      g_unlink (journal);
    }
  return ok;
}
