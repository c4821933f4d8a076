/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-directory"

#include "config.h"

#include "confab-sqlite-directory-query.h"

/* The FTS5 expression of a directory search, made from what a client typed. FTS5 has a query
 * syntax of its own; nothing a user types may reach it as syntax, so every word becomes a
 * quoted string and every filter a quoted phrase. tests/fuzz/fuzz-directory checks that
 * SQLite accepts whatever comes out. */

#define MAX_TERMS 16

/* Appends the words of @text to @expr as FTS5 strings ("word"), each a prefix if @prefix.
 * Words are runs of letters, digits and marks, as unicode61 cuts them; nothing the user
 * types can make the expression malformed. Returns the number of words. */
static guint
append_words (GString    *expr,
              const char *text,
              gboolean    prefix,
              guint       max_words)
{
  g_autoptr(GString) word = g_string_new (NULL);
  guint n = 0;

  for (const char *p = text; ; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != 0 && (g_unichar_isalnum (c) || g_unichar_ismark (c)))
        {
          g_string_append_unichar (word, c);
          continue;
        }
      if (word->len > 0 && n < max_words)
        {
          g_string_append_printf (expr, "%s\"%s\"%s", n > 0 ? " " : "", word->str,
                                  prefix ? "*" : "");
          n++;
        }
      g_string_truncate (word, 0);
      if (c == 0)
        break;
    }
  return n;
}

/* A whole value of @column: the phrase between the marker words that the triggers store. */
char *
confab_sqlite_directory_whole_value (const char *column,
                                     const char *value)
{
  GString *expr = g_string_new (NULL);

  g_string_append_printf (expr, "%s : \"confabstart0 ", column);
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (expr, ' ');
      else
        g_string_append_c (expr, *p);
    }
  g_string_append (expr, " confabend0\"");
  return g_string_free (expr, FALSE);
}

static void
append_whole_value (GString    *expr,
                    const char *column,
                    const char *value)
{
  g_autofree char *phrase = confab_sqlite_directory_whole_value (column, value);

  if (expr->len > 0)
    g_string_append (expr, " AND ");
  g_string_append (expr, phrase);
}

/* NULL when the query asks for everyone: no words (text of only spaces or punctuation is no
 * text) and no filters. */
char *
confab_sqlite_directory_match (const ConfabDirectoryQuery *query)
{
  g_autoptr(GString) expr = g_string_new (NULL);

  if (query->text != NULL)
    {
      g_autoptr(GString) words = g_string_new (NULL);

      if (append_words (words, query->text, TRUE, MAX_TERMS) > 0)
        g_string_append_printf (expr, "{username display_name email title department} : (%s)",
                                words->str);
    }
  if (query->department != NULL)
    append_whole_value (expr, "f_department", query->department);
  if (query->title != NULL)
    append_whole_value (expr, "f_title", query->title);
  if (query->location != NULL)
    append_whole_value (expr, "f_location", query->location);

  return expr->len > 0 ? g_string_free (g_steal_pointer (&expr), FALSE) : NULL;
}

