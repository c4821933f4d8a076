/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/*
 * ConfabDb: one SQLite database as Confab uses it: WAL, full sync, foreign keys, a schema
 * brought up to date by numbered migrations, log checkpoints on a thread of their own, and a
 * connection that one thread owns.
 *
 * Opening (and the migrations) happens on the thread that calls confab_db_open(); from then on
 * the thread that calls confab_db_attach_thread() is the only one that may use the connection
 * (every function below asserts it) until it calls confab_db_detach_thread().
 *
 * SQL failures are rare and fatal to the work in progress, so the helpers do not return them:
 * the first one is kept (confab_db_failed) until it is taken or cleared.
 */

typedef struct _ConfabDb ConfabDb;

ConfabDb     *confab_db_open            (const char          *path,
                                         const char * const  *migrations,
                                         guint                n_migrations,
                                         GError             **error);
void          confab_db_close           (ConfabDb            *self);

void          confab_db_attach_thread   (ConfabDb            *self);
void          confab_db_detach_thread   (ConfabDb            *self);

sqlite3      *confab_db_get_handle      (ConfabDb            *self);

/* @types has one letter per parameter: 's' a string (NULL binds NULL), 'i' a gint64, 'd' an
 * int, 'z' a gint64 where 0 binds NULL. Statements are prepared once and kept, by the address
 * of @sql: pass string literals. */
sqlite3_stmt *confab_db_query           (ConfabDb            *self,
                                         const char          *sql,
                                         const char          *types,
                                         ...);
/* SQLITE_ROW or SQLITE_DONE (also after a failure, which it records). */
int           confab_db_step            (ConfabDb            *self,
                                         sqlite3_stmt        *stmt);
/* Runs a statement that returns no rows; returns the number of rows it changed. */
int           confab_db_run             (ConfabDb            *self,
                                         const char          *sql,
                                         const char          *types,
                                         ...);
/* The first column of the first row, or @fallback without a row or for NULL. */
gint64        confab_db_query_int       (ConfabDb            *self,
                                         gint64               fallback,
                                         const char          *sql,
                                         const char          *types,
                                         ...);
char         *confab_db_query_text      (ConfabDb            *self,
                                         const char          *sql,
                                         const char          *types,
                                         ...);
/* Runs one parameterless statement (kept prepared); FALSE on failure, which it records. */
gboolean      confab_db_exec            (ConfabDb            *self,
                                         const char          *sql);
/* Runs a script of statements, not kept. */
gboolean      confab_db_exec_script     (ConfabDb            *self,
                                         const char          *sql,
                                         GError             **error);

/* The first SQL failure since the last take or clear; NULL if none. */
const char   *confab_db_failed          (ConfabDb            *self);
/* Logs the failure as @what's, clears it and returns TRUE if there was one. */
gboolean      confab_db_take_failure    (ConfabDb            *self,
                                         const char          *what);
void          confab_db_clear_failure   (ConfabDb            *self);

/* Transactions. rollback also resets statements left mid-rows and clears the failure. */
gboolean      confab_db_begin           (ConfabDb            *self,
                                         gboolean             write);
gboolean      confab_db_commit          (ConfabDb            *self);
void          confab_db_rollback        (ConfabDb            *self);
void          confab_db_reset_statements (ConfabDb           *self);
gboolean      confab_db_in_transaction  (ConfabDb            *self);
gint64        confab_db_total_changes   (ConfabDb            *self);
gint64        confab_db_last_insert_id  (ConfabDb            *self);

static inline const char *
confab_db_column_text (sqlite3_stmt *stmt,
                       int           col)
{
  return (const char *) sqlite3_column_text (stmt, col);
}

G_END_DECLS
