/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-directory"

#include "config.h"

#include "confab-sqlite-directory-query.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

/* A directory search turns what a client typed into an FTS5 expression. Whatever the text and
 * the filters hold, SQLite must accept the expression (a syntax error would answer `internal`)
 * and the builder must not crash, leak or read out of bounds. The input is the free text, a
 * line feed, and a department. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static sqlite3 *db;

static void
open_db (void)
{
  /* The table as schema version 5 of the server's database makes it. */
  static const char schema[] =
    "CREATE VIRTUAL TABLE directory_fts USING fts5 ("
    "  username, display_name, email, title, department, f_department, f_title, f_location,"
    "  tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');"
    "INSERT INTO directory_fts VALUES ('olena.k', 'Olena Kovalenko', 'olena@example.com',"
    " 'Engineer', 'Sales', 'confabstart0 Sales confabend0', 'confabstart0 Engineer confabend0',"
    " 'confabstart0 Kyiv confabend0');";

  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema, NULL, NULL, NULL), ==, SQLITE_OK);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  ConfabDirectoryQuery query = { 0 };
  g_autofree char *expr = NULL;
  char *newline;

  /* Requests reach the builder as validated UTF-8 without NULs. */
  if (strlen (input) != size || !g_utf8_validate (input, -1, NULL))
    return 0;
  if (db == NULL)
    open_db ();

  newline = strchr (input, '\n');
  if (newline != NULL)
    {
      *newline = '\0';
      if (newline[1] != '\0')
        query.department = query.title = query.location = newline + 1;
    }
  query.text = input;
  query.limit = 20;

  expr = confab_sqlite_directory_match (&query);
  if (expr != NULL)
    {
      sqlite3_stmt *stmt = NULL;
      int rc;

      g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM directory_fts"
                                               " WHERE directory_fts MATCH ?", -1, &stmt, NULL),
                       ==, SQLITE_OK);
      sqlite3_bind_text (stmt, 1, expr, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        g_error ("FTS5 refused %s: %s", expr, sqlite3_errmsg (db));
      sqlite3_finalize (stmt);
    }
  return 0;
}
