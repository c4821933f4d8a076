/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-db"

#include "config.h"

#include "confab-db.h"

struct _ConfabDb
{
  char         *path;
  /* ->handle, ->stmts and ->failure are used only on ->owner once a thread is attached;
   * before (opening) and after (closing), only on the thread that opens and closes. */
  sqlite3      *handle;
  GHashTable   *stmts;          /* SQL text (by address) → sqlite3_stmt */
  char         *failure;        /* the first SQL failure not yet taken */
  GThread      *owner;

  /* Checkpoints run on their own thread and connection, so that copying the log back into the
   * database never holds up a commit (see on_wal_commit). */
  sqlite3      *ckpt_db;
  GThread      *ckpt_thread;
  GMutex        ckpt_lock;
  GCond         ckpt_cond;
  gboolean      ckpt_wanted;
  gboolean      ckpt_stop;
};

static inline void
assert_owner (ConfabDb *self)
{
  g_assert (self->owner == NULL || g_thread_self () == self->owner);
}

/* --- SQL helpers ---------------------------------------------------------------------------- */

static void
fail (ConfabDb *self)
{
  if (self->failure == NULL)
    self->failure = g_strdup (sqlite3_errmsg (self->handle));
}

static sqlite3_stmt *
stmt_get (ConfabDb   *self,
          const char *sql)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->stmts, sql);

  assert_owner (self);

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  if (sqlite3_prepare_v3 (self->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
      != SQLITE_OK)
    {
      fail (self);
      sqlite3_finalize (stmt);
      return NULL;
    }
  g_hash_table_insert (self->stmts, (gpointer) sql, stmt);
  return stmt;
}

static sqlite3_stmt *
stmt_bindv (ConfabDb   *self,
            const char *sql,
            const char *types,
            va_list     args)
{
  sqlite3_stmt *stmt = stmt_get (self, sql);

  if (stmt == NULL)
    return NULL;

  for (int i = 0; types[i] != '\0'; i++)
    {
      int rc = SQLITE_OK;

      switch (types[i])
        {
        case 's':
          {
            const char *s = va_arg (args, const char *);

            if (s != NULL)
              rc = sqlite3_bind_text (stmt, i + 1, s, -1, SQLITE_TRANSIENT);
            else
              rc = sqlite3_bind_null (stmt, i + 1);
          }
          break;
        case 'i':
          rc = sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
          break;
        case 'd':
          rc = sqlite3_bind_int (stmt, i + 1, va_arg (args, int));
          break;
        case 'z':
          {
            gint64 v = va_arg (args, gint64);

            if (v != 0)
              rc = sqlite3_bind_int64 (stmt, i + 1, v);
            else
              rc = sqlite3_bind_null (stmt, i + 1);
          }
          break;
        default:
          g_assert_not_reached ();
        }
      if (rc != SQLITE_OK)
        fail (self);
    }
  return stmt;
}

sqlite3_stmt *
confab_db_query (ConfabDb   *self,
                 const char *sql,
                 const char *types,
                 ...)
{
  sqlite3_stmt *stmt;
  va_list args;

  va_start (args, types);
  stmt = stmt_bindv (self, sql, types, args);
  va_end (args);
  return stmt;
}

int
confab_db_step (ConfabDb     *self,
                sqlite3_stmt *stmt)
{
  int rc;

  assert_owner (self);

  if (stmt == NULL)
    return SQLITE_DONE;

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return rc;
  if (rc != SQLITE_DONE)
    fail (self);
  sqlite3_reset (stmt);
  return SQLITE_DONE;
}

int
confab_db_run (ConfabDb   *self,
               const char *sql,
               const char *types,
               ...)
{
  sqlite3_stmt *stmt;
  va_list args;
  int rc;

  va_start (args, types);
  stmt = stmt_bindv (self, sql, types, args);
  va_end (args);

  if (stmt == NULL)
    return 0;
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      fail (self);
      return 0;
    }
  return sqlite3_changes (self->handle);
}

gint64
confab_db_query_int (ConfabDb   *self,
                     gint64      fallback,
                     const char *sql,
                     const char *types,
                     ...)
{
  sqlite3_stmt *stmt;
  va_list args;
  gint64 value = fallback;

  va_start (args, types);
  stmt = stmt_bindv (self, sql, types, args);
  va_end (args);

  if (confab_db_step (self, stmt) == SQLITE_ROW)
    {
      if (sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        value = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  return value;
}

char *
confab_db_query_text (ConfabDb   *self,
                      const char *sql,
                      const char *types,
                      ...)
{
  sqlite3_stmt *stmt;
  va_list args;
  char *value = NULL;

  va_start (args, types);
  stmt = stmt_bindv (self, sql, types, args);
  va_end (args);

  if (confab_db_step (self, stmt) == SQLITE_ROW)
    {
      value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  return value;
}

gboolean
confab_db_exec (ConfabDb   *self,
                const char *sql)
{
  sqlite3_stmt *stmt = stmt_get (self, sql);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      fail (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
exec_script (sqlite3     *db,
             const char  *sql,
             GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "SQLite: %s",
                   message != NULL ? message : sqlite3_errmsg (db));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_db_exec_script (ConfabDb    *self,
                       const char  *sql,
                       GError     **error)
{
  assert_owner (self);
  return exec_script (self->handle, sql, error);
}

const char *
confab_db_failed (ConfabDb *self)
{
  return self->failure;
}

gboolean
confab_db_take_failure (ConfabDb   *self,
                        const char *what)
{
  if (self->failure == NULL)
    return FALSE;
  g_warning ("%s: SQLite: %s", what, self->failure);
  g_clear_pointer (&self->failure, g_free);
  return TRUE;
}

void
confab_db_clear_failure (ConfabDb *self)
{
  g_clear_pointer (&self->failure, g_free);
}

/* --- Transactions --------------------------------------------------------------------------- */

/* Statements left in the middle of their rows would keep the transaction from ending cleanly. */
void
confab_db_reset_statements (ConfabDb *self)
{
  assert_owner (self);

  for (sqlite3_stmt *stmt = sqlite3_next_stmt (self->handle, NULL); stmt != NULL;
       stmt = sqlite3_next_stmt (self->handle, stmt))
    if (sqlite3_stmt_busy (stmt))
      sqlite3_reset (stmt);
}

gboolean
confab_db_begin (ConfabDb *self,
                 gboolean  write)
{
  if (confab_db_exec (self, write ? "BEGIN IMMEDIATE" : "BEGIN"))
    return TRUE;
  confab_db_take_failure (self, "begin");
  return FALSE;
}

gboolean
confab_db_commit (ConfabDb *self)
{
  confab_db_reset_statements (self);
  if (confab_db_exec (self, "COMMIT"))
    return TRUE;
  confab_db_take_failure (self, "commit");
  if (!sqlite3_get_autocommit (self->handle))
    confab_db_exec (self, "ROLLBACK");
  confab_db_clear_failure (self);
  return FALSE;
}

void
confab_db_rollback (ConfabDb *self)
{
  confab_db_reset_statements (self);
  if (!sqlite3_get_autocommit (self->handle))
    confab_db_exec (self, "ROLLBACK");
  confab_db_clear_failure (self);
}

gboolean
confab_db_in_transaction (ConfabDb *self)
{
  assert_owner (self);
  return !sqlite3_get_autocommit (self->handle);
}

gint64
confab_db_total_changes (ConfabDb *self)
{
  assert_owner (self);
  return sqlite3_total_changes64 (self->handle);
}

gint64
confab_db_last_insert_id (ConfabDb *self)
{
  assert_owner (self);
  return sqlite3_last_insert_rowid (self->handle);
}

/* --- Checkpoints ---------------------------------------------------------------------------
 *
 * In WAL mode every commit appends to the log, and a checkpoint copies the log back into the
 * database. SQLite's automatic checkpoint runs inside the commit that crosses the threshold:
 * with a 32 MiB log that held every request behind it for hundreds of milliseconds. A PASSIVE
 * checkpoint from a second connection runs beside the writer instead, and the writer starts
 * the log over on its own once a checkpoint has caught up. */

#define CHECKPOINT_FRAMES      4096   /* pages in the log that ask for a checkpoint: 16 MiB */
#define CHECKPOINT_PERIOD_US   (5 * G_USEC_PER_SEC)

static int
on_wal_commit (void       *user_data,
               sqlite3    *db,
               const char *db_name,
               int         frames)
{
  ConfabDb *self = user_data;

  if (frames >= CHECKPOINT_FRAMES)
    {
      g_mutex_lock (&self->ckpt_lock);
      self->ckpt_wanted = TRUE;
      g_cond_signal (&self->ckpt_cond);
      g_mutex_unlock (&self->ckpt_lock);
    }
  return SQLITE_OK;
}

static gpointer
checkpoint_thread (gpointer data)
{
  ConfabDb *self = data;

  g_mutex_lock (&self->ckpt_lock);
  while (!self->ckpt_stop)
    {
      int log_frames = 0;
      int copied = 0;
      int rc;

      /* Also now and then without being asked, so a quiet server's log is copied back too. */
      if (!self->ckpt_wanted)
        g_cond_wait_until (&self->ckpt_cond, &self->ckpt_lock,
                           g_get_monotonic_time () + CHECKPOINT_PERIOD_US);
      if (self->ckpt_stop)
        break;
      self->ckpt_wanted = FALSE;
      g_mutex_unlock (&self->ckpt_lock);

      rc = sqlite3_wal_checkpoint_v2 (self->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_frames,
                                      &copied);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY)
        g_warning ("checkpoint of %s failed: %s", self->path, sqlite3_errmsg (self->ckpt_db));
      else
        g_debug ("checkpoint: %d of %d log pages copied", copied, log_frames);

      g_mutex_lock (&self->ckpt_lock);
    }
  g_mutex_unlock (&self->ckpt_lock);
  return NULL;
}

static gboolean
start_checkpoints (ConfabDb  *self,
                   GError   **error)
{
  int rc = sqlite3_open_v2 (self->path, &self->ckpt_db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s for checkpoints: %s",
                   self->path,
                   self->ckpt_db != NULL ? sqlite3_errmsg (self->ckpt_db) : sqlite3_errstr (rc));
      g_clear_pointer (&self->ckpt_db, sqlite3_close);
      return FALSE;
    }
  sqlite3_busy_timeout (self->ckpt_db, 5000);
  /* A connection opens the log only when it first reads; until then a checkpoint through it
   * finds no log and copies nothing. */
  if (sqlite3_exec (self->ckpt_db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot read %s for checkpoints: %s",
                   self->path, sqlite3_errmsg (self->ckpt_db));
      g_clear_pointer (&self->ckpt_db, sqlite3_close);
      return FALSE;
    }
  sqlite3_wal_hook (self->handle, on_wal_commit, self);
  self->ckpt_thread = g_thread_new ("confab-checkpoint", checkpoint_thread, self);
  return TRUE;
}

static void
stop_checkpoints (ConfabDb *self)
{
  if (self->ckpt_thread == NULL)
    return;

  g_mutex_lock (&self->ckpt_lock);
  self->ckpt_stop = TRUE;
  g_cond_signal (&self->ckpt_cond);
  g_mutex_unlock (&self->ckpt_lock);
  g_thread_join (g_steal_pointer (&self->ckpt_thread));
  g_clear_pointer (&self->ckpt_db, sqlite3_close);
}

/* --- Opening and closing ------------------------------------------------------------------- */

/* Each migration runs in its own transaction and moves PRAGMA user_version one step up. */
static gboolean
migrate (sqlite3             *db,
         const char * const  *migrations,
         guint                n_migrations,
         GError             **error)
{
  sqlite3_stmt *stmt = NULL;
  int version = 0;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (version > (int) n_migrations)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "the database has schema version %d, newer than this program knows (%u)",
                   version, n_migrations);
      return FALSE;
    }

  for (; version < (int) n_migrations; version++)
    {
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);

      if (!exec_script (db, "BEGIN IMMEDIATE", error))
        return FALSE;
      if (!exec_script (db, migrations[version], error) || !exec_script (db, bump, error))
        {
          exec_script (db, "ROLLBACK", NULL);
          g_prefix_error (error, "migration to schema version %d: ", version + 1);
          return FALSE;
        }
      if (!exec_script (db, "COMMIT", error))
        return FALSE;
      g_debug ("database migrated to schema version %d", version + 1);
    }
  return TRUE;
}

static gsize sqlite_configured;

/**
 * confab_db_open:
 * @path: the database file, created if missing
 * @migrations: the schema, one script per version
 *
 * Opens the database, brings its schema up to date and starts its checkpoints.
 */
ConfabDb *
confab_db_open (const char          *path,
                const char * const  *migrations,
                guint                n_migrations,
                GError             **error)
{
  ConfabDb *self;
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_once_init_enter (&sqlite_configured))
    {
      /* Memory statistics take a global mutex on every allocation SQLite makes, and nothing
       * here reads them. This must happen before SQLite initializes; a second database in the
       * same process finds it done. */
      sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
      g_once_init_leave (&sqlite_configured, 1);
    }

  self = g_new0 (ConfabDb, 1);
  self->path = g_strdup (path);
  self->stmts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                       (GDestroyNotify) sqlite3_finalize);
  g_mutex_init (&self->ckpt_lock);
  g_cond_init (&self->ckpt_cond);

  rc = sqlite3_open_v2 (path, &self->handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot open %s: %s", path,
                   self->handle != NULL ? sqlite3_errmsg (self->handle) : sqlite3_errstr (rc));
      confab_db_close (self);
      return NULL;
    }
  sqlite3_extended_result_codes (self->handle, 1);
  /* Another connection to the file (the previous session of the same account, still closing)
   * may hold a lock for a moment: wait for it from the first statement on. */
  sqlite3_busy_timeout (self->handle, 5000);

  if (sqlite3_prepare_v2 (self->handle, "PRAGMA journal_mode = WAL", -1, &stmt, NULL)
      != SQLITE_OK
      || sqlite3_step (stmt) != SQLITE_ROW
      || g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") != 0)
    {
      sqlite3_finalize (stmt);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot use WAL mode on %s: %s",
                   path, sqlite3_errmsg (self->handle));
      confab_db_close (self);
      return NULL;
    }
  sqlite3_finalize (stmt);

  if (!exec_script (self->handle,
                    "PRAGMA synchronous = FULL;"
                    "PRAGMA foreign_keys = ON;"
                    /* Freed space is zeroed, so edited and deleted text does not linger. */
                    "PRAGMA secure_delete = ON;"
                    "PRAGMA busy_timeout = 5000;"
                    "PRAGMA temp_store = MEMORY;"
                    "PRAGMA cache_size = -65536;"
                    /* The checkpointer thread copies the log back (on_wal_commit); the
                     * log file is cut back to this size once it has been reused. */
                    "PRAGMA wal_autocheckpoint = 0;"
                    "PRAGMA journal_size_limit = 67108864;",
                    error)
      || !migrate (self->handle, migrations, n_migrations, error)
      || !start_checkpoints (self, error))
    {
      confab_db_close (self);
      return NULL;
    }
  return self;
}

/* Called on the thread that opened @self once no other thread uses it any more. */
void
confab_db_close (ConfabDb *self)
{
  if (self == NULL)
    return;

  g_assert (self->owner == NULL);
  stop_checkpoints (self);
  g_hash_table_remove_all (self->stmts);
  if (self->handle != NULL && sqlite3_close (self->handle) != SQLITE_OK)
    g_warning ("closing %s: %s", self->path, sqlite3_errmsg (self->handle));
  g_hash_table_unref (self->stmts);
  g_free (self->failure);
  g_free (self->path);
  g_mutex_clear (&self->ckpt_lock);
  g_cond_clear (&self->ckpt_cond);
  g_free (self);
}

/* Hands the connection to the calling thread: from now on, only it may use @self. */
void
confab_db_attach_thread (ConfabDb *self)
{
  g_assert (self->owner == NULL);
  self->owner = g_thread_self ();
}

void
confab_db_detach_thread (ConfabDb *self)
{
  g_assert (g_thread_self () == self->owner);
  self->owner = NULL;
}

sqlite3 *
confab_db_get_handle (ConfabDb *self)
{
  assert_owner (self);
  return self->handle;
}
