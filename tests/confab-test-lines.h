/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What a helper process reports on its stdout, one line at a time (tests/confab-call-client.c):
 * read on the default main context as it comes, and kept until the test takes it. A line
 * "error <message>" fails the wait that comes across it. */
typedef struct
{
  const char       *name;
  GDataInputStream *stream;
  GQueue            queue;
  gboolean          eof;
} ConfabTestLines;

/* @name (for messages) must live as long as @lines. */
void         confab_test_lines_init  (ConfabTestLines *lines,
                                      const char      *name,
                                      GInputStream    *stream);
GStrv        confab_test_lines_wait  (ConfabTestLines *lines,
                                      const char      *prefix,
                                      guint            timeout_ms);
gboolean     confab_test_lines_has   (ConfabTestLines *lines,
                                      const char      *prefix);
/* For after the process has closed its stdout (exited or about to): waits for the end of the
 * stream and frees what was not taken. */
void         confab_test_lines_clear (ConfabTestLines *lines);

G_END_DECLS
