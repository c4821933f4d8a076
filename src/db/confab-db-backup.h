/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * confab_db_backup: copies the database at @source_path into a new one at @dest_path, as it
 * was at one moment, while other connections (the owner's worker among them) go on writing.
 *
 * A connection of its own holds one read transaction for the whole copy: in WAL mode that is
 * a snapshot no writer waits for, and it keeps sqlite3_backup_step() from starting over when
 * a writer commits between two steps. The copy goes @pages_per_step pages at a time and stops
 * between steps once @cancellable is cancelled. @dest_path must not exist; the copy is on disk
 * before this returns, and removed if it failed. It blocks: call it on a thread of its own.
 */
gboolean confab_db_backup (const char    *source_path,
                           const char    *dest_path,
                           int            pages_per_step,
                           GCancellable  *cancellable,
                           GError       **error);

G_END_DECLS
