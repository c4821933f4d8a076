/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-fs.h"

#include <glib/gstdio.h>

/**
 * confab_fs_remove_tree:
 * @path: a file or a directory
 *
 * Removes @path and, for a directory, everything under it. A symbolic link is removed, never
 * followed. Goes on past what it cannot remove.
 *
 * Returns: whether @path and everything under it are gone
 */
gboolean
confab_fs_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  gboolean removed = TRUE;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return g_unlink (path) == 0 || !g_file_test (path, G_FILE_TEST_EXISTS);

  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      removed &= confab_fs_remove_tree (child);
    }
  return g_rmdir (path) == 0 && removed;
}
