/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-directory"

#include "config.h"

#include "confab-sqlite-directory-query.h"

/* The FTS5 phrase that matches a whole department (an announcement's audience), made from
 * what a client sent. FTS5 has a query syntax of its own; nothing a user types may reach it as
 * syntax. tests/fuzz/fuzz-directory checks that SQLite accepts whatever comes out. */

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
