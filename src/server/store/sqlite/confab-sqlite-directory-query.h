/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-directory-store.h"

G_BEGIN_DECLS

/* The phrase of directory_fts that matches @value as a whole in @column (f_department,
 * f_title, f_location), word by word ignoring case and diacritics. */
char *confab_sqlite_directory_whole_value (const char                 *column,
                                           const char                 *value);

G_END_DECLS
