/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-tar"

#include "config.h"

#include "confab-tar.h"

#include <stdio.h>
#include <string.h>

/* Just enough of the tar format (POSIX.1-1988 ustar) to send a directory of regular files that
 * GNU tar, bsdtar and Python's tarfile read back. */

#define BLOCK 512

static void
put_octal (char    *field,
           gsize    width,
           guint64  value)
{
  /* width - 1 digits and a NUL. */
  g_snprintf (field, width, "%0*" G_GINT64_MODIFIER "o", (int) width - 1, value);
}

GBytes *
confab_tar_file_header (const char *name,
                        guint64     size,
                        gint64      mtime)
{
  guchar *block;
  guint checksum = 0;

  g_return_val_if_fail (name != NULL, NULL);

  if (strlen (name) == 0 || strlen (name) >= 100)
    return NULL;
  block = g_malloc0 (BLOCK);
  memcpy (block, name, strlen (name));                      /* name */
  put_octal ((char *) block + 100, 8, 0600);                /* mode */
  put_octal ((char *) block + 108, 8, 0);                   /* uid */
  put_octal ((char *) block + 116, 8, 0);                   /* gid */
  if (size <= G_GUINT64_CONSTANT (077777777777))
    put_octal ((char *) block + 124, 12, size);             /* size */
  else
    {
      /* GNU's base-256: a leading 0x80, then the value big-endian. */
      block[124] = 0x80;
      for (int i = 11; i >= 4; i--, size >>= 8)
        block[124 + i] = size & 0xff;
    }
  put_octal ((char *) block + 136, 12, MAX (mtime, 0));     /* mtime */
  memset (block + 148, ' ', 8);                             /* checksum, as spaces for now */
  block[156] = '0';                                         /* a regular file */
  memcpy (block + 257, "ustar", 6);                         /* magic, with its NUL */
  memcpy (block + 263, "00", 2);                            /* version */
  memcpy (block + 265, "root", 4);                          /* uname */
  memcpy (block + 297, "root", 4);                          /* gname */
  for (guint i = 0; i < BLOCK; i++)
    checksum += block[i];
  g_snprintf ((char *) block + 148, 7, "%06o", checksum);
  block[154] = '\0';
  block[155] = ' ';
  return g_bytes_new_take (block, BLOCK);
}

GBytes *
confab_tar_padding (guint64 size)
{
  gsize rest = size % BLOCK;

  return g_bytes_new_take (g_malloc0 (BLOCK), rest == 0 ? 0 : BLOCK - rest);
}

GBytes *
confab_tar_end (void)
{
  return g_bytes_new_take (g_malloc0 (2 * BLOCK), 2 * BLOCK);
}
