/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-directory"

#include "config.h"

#include "confab-sqlite-directory-query.h"
#include "confab-word-index.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

/* A directory search cuts what a client typed into folded words and looks each up as a prefix
 * in the word index; an announcement to a department turns the department into an FTS5
 * phrase. Whatever the input, the index must agree with a plain scan of the same records'
 * words, and with FTS5 (unicode61, as directory_fts) where the words are ASCII; SQLite must
 * accept the phrase (a syntax error would answer `internal`); nothing may crash, leak or read
 * out of bounds. The input is the free text, a line feed, and a department. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* username, display name, email, title, department: the searched fields. */
static const char * const records[][5] = {
  { "olena.k", "Olena Kovalenko", "olena@example.com", "Engineer", "Sales" },
  { "angel", "Ángel Fernández", "angel@example.com", "Sales Lead", "Sales-Team" },
  { "yosyp", "Йосип Шевченко", "yosyp@example.com", "Бухгалтер", "Бухгалтерія" },
  { "kai", "Kai Straße", NULL, "QA", NULL },
  { "lukasz", "Łukasz Ørsted", "l.orsted@example.org", "Engineer", "R&D" },
};

static sqlite3 *db;
static ConfabWordIndex *index_;
static GStrv words[G_N_ELEMENTS (records)];

static void
set_up (void)
{
  /* The table as schema version 5 of the server's database makes it. */
  static const char schema[] =
    "CREATE VIRTUAL TABLE directory_fts USING fts5 ("
    "  username, display_name, email, title, department, f_department, f_title, f_location,"
    "  tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');";

  g_assert_cmpint (sqlite3_open (":memory:", &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, schema, NULL, NULL, NULL), ==, SQLITE_OK);
  index_ = confab_word_index_new ();
  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      sqlite3_stmt *stmt = NULL;
      g_autofree char *department = g_strdup_printf ("confabstart0 %s confabend0",
                                                     records[i][4] ? records[i][4] : "");

      g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO directory_fts VALUES"
                                           " (?, ?, ?, ?, ?, ?, NULL, NULL)",
                                           -1, &stmt, NULL), ==, SQLITE_OK);
      for (guint f = 0; f < 5; f++)
        sqlite3_bind_text (stmt, f + 1, records[i][f], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, department, -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_finalize (stmt);

      words[i] = confab_word_index_fold (records[i], 5);
      confab_word_index_add (index_, i, (const char * const *) words[i]);
    }
}

static void
mark (guint32  id,
      gpointer user_data)
{
  guint *found = user_data;

  g_assert_cmpuint (id, <, G_N_ELEMENTS (records));
  found[id]++;
}

static gboolean
has_prefix (GStrv       record_words,
            const char *prefix)
{
  for (guint i = 0; record_words[i] != NULL; i++)
    if (g_str_has_prefix (record_words[i], prefix))
      return TRUE;
  return FALSE;
}

/* How many records FTS5 finds for the words, as a search asked it before the index. */
static int
fts_count (GStrv query)
{
  g_autoptr(GString) expr = g_string_new ("{username display_name email title department} : (");
  sqlite3_stmt *stmt = NULL;
  int count;

  for (guint i = 0; query[i] != NULL; i++)
    g_string_append_printf (expr, "%s\"%s\"*", i > 0 ? " " : "", query[i]);
  g_string_append_c (expr, ')');
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM directory_fts"
                                       " WHERE directory_fts MATCH ?", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, expr->str, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    g_error ("FTS5 refused %s: %s", expr->str, sqlite3_errmsg (db));
  count = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return count;
}

static void
check_words (const char *text)
{
  g_auto(GStrv) query = confab_word_index_query_words (text);
  gboolean ascii = TRUE;
  int matches = 0;

  g_assert_cmpuint (g_strv_length (query), <=, CONFAB_WORD_INDEX_MAX_QUERY_WORDS);
  for (guint w = 0; query[w] != NULL; w++)
    {
      g_assert_true (g_utf8_validate (query[w], -1, NULL));
      g_assert_cmpstr (query[w], !=, "");
      for (const char *p = query[w]; *p != '\0'; p++)
        ascii = ascii && (guchar) *p < 0x80;
    }
  if (query[0] == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (records); i++)
    {
      gboolean all = TRUE;

      for (guint w = 0; query[w] != NULL; w++)
        {
          guint found[G_N_ELEMENTS (records)] = { 0 };

          confab_word_index_foreach_prefix (index_, query[w], mark, found);
          /* Once per word of the record that starts so. */
          g_assert_cmpuint (found[i] > 0, ==, has_prefix (words[i], query[w]));
          all = all && found[i] > 0;
        }
      matches += all;
    }
  if (ascii)
    g_assert_cmpint (matches, ==, fts_count (query));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  char *newline;

  /* Requests reach the search as validated UTF-8 without NULs. */
  if (strlen (input) != size || !g_utf8_validate (input, -1, NULL))
    return 0;
  if (db == NULL)
    set_up ();

  newline = strchr (input, '\n');
  if (newline != NULL)
    {
      *newline = '\0';
      if (newline[1] != '\0')
        {
          g_autofree char *expr = confab_sqlite_directory_whole_value ("f_department",
                                                                       newline + 1);
          sqlite3_stmt *stmt = NULL;

          g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count (*) FROM directory_fts"
                                               " WHERE directory_fts MATCH ?",
                                               -1, &stmt, NULL), ==, SQLITE_OK);
          sqlite3_bind_text (stmt, 1, expr, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) != SQLITE_ROW)
            g_error ("FTS5 refused %s: %s", expr, sqlite3_errmsg (db));
          sqlite3_finalize (stmt);
        }
    }
  check_words (input);
  return 0;
}
