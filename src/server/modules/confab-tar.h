/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The 512-byte POSIX ustar header of a regular file @name (at most 99 bytes) of @size bytes,
 * mode 0600, owned by root; sizes past ustar's 8 GiB in GNU tar's base-256 form. NULL if
 * @name does not fit. */
GBytes *confab_tar_file_header (const char *name,
                                guint64     size,
                                gint64      mtime);
/* The zeros after @size bytes of content that fill its last 512-byte block (may be empty). */
GBytes *confab_tar_padding     (guint64     size);
/* The end of an archive: two blocks of zeros. */
GBytes *confab_tar_end         (void);

G_END_DECLS
