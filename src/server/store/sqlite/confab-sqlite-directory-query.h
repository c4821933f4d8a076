/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-directory-store.h"

G_BEGIN_DECLS

/* The MATCH expression of directory_fts for @query (schema version 5), or NULL when the query
 * asks for everyone: no words (text of only spaces or punctuation is no text) and no
 * filters. */
char *confab_sqlite_directory_match       (const ConfabDirectoryQuery *query);

/* The phrase of directory_fts that matches @value as a whole in @column (f_department,
 * f_title, f_location), word by word ignoring case and diacritics. */
char *confab_sqlite_directory_whole_value (const char                 *column,
                                           const char                 *value);

G_END_DECLS
