/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-tus"

#include "config.h"

#include "confab-error.h"
#include "confab-limits.h"
#include "confab-proto-files.h"

#include <stdint.h>
#include <string.h>

/* The tus and download headers confabd reads straight off the network: Upload-Metadata,
 * Upload-Offset and Upload-Length, Range, If-None-Match, and the file names and types that come
 * out of the metadata. Whatever the bytes, nothing crashes, leaks or reads out of bounds, and
 * what is accepted keeps its promises: metadata round-trips, a range lies inside the file, a
 * name is clean, short and safe in a header. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_metadata (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = confab_tus_parse_metadata (text, &error);
  g_autoptr(GHashTable) again = NULL;
  g_autofree char *built = NULL;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  if (metadata == NULL)
    {
      g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
      return;
    }
  g_assert_no_error (error);

  /* What was accepted is built back into a header that parses to the same. */
  built = confab_tus_build_metadata (metadata);
  again = confab_tus_parse_metadata (built, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (again), ==, g_hash_table_size (metadata));
  g_hash_table_iter_init (&iter, metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autofree char *name = confab_file_name_sanitize (value);
      g_autofree char *mime = confab_file_mime_normalize (value);
      g_autofree char *disposition = confab_http_content_disposition (value, FALSE);

      g_assert_true (g_utf8_validate (value, -1, NULL));
      g_assert_cmpstr (g_hash_table_lookup (again, key), ==, value);
      g_assert_true (g_utf8_validate (name, -1, NULL));
      g_assert_cmpuint (strlen (name), >, 0);
      g_assert_cmpuint (strlen (name), <=, CONFAB_FILE_NAME_MAX_BYTES);
      g_assert_null (strpbrk (name, "/\\\r\n"));
      g_assert_true (name[0] != '.');
      if (mime != NULL)
        {
          g_assert_cmpuint (strlen (mime), <=, CONFAB_FILE_MIME_MAX_BYTES);
          g_assert_nonnull (strchr (mime, '/'));
          g_assert_null (strpbrk (mime, " ;\r\n\""));
        }
      /* A header value: printable ASCII only. */
      for (const char *p = disposition; *p != '\0'; p++)
        g_assert_true (*p >= 0x20 && *p < 0x7f);
    }
}

static void
check_range (const char *text,
             gint64      file_size)
{
  gint64 start = -1;
  gint64 end = -1;

  switch (confab_http_parse_range (text, file_size, &start, &end))
    {
    case CONFAB_RANGE_PARTIAL:
      g_assert_cmpint (start, >=, 0);
      g_assert_cmpint (start, <=, end);
      g_assert_cmpint (end, <, file_size);
      break;
    case CONFAB_RANGE_UNSATISFIABLE:
    case CONFAB_RANGE_NONE:
      break;
    default:
      g_assert_not_reached ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  gint64 n = -1;
  gint64 file_size;

  if (size < 2)
    return 0;
  /* Headers are strings: the first two bytes pick a file size, the rest is the value. */
  file_size = ((gint64) data[0] << 8 | data[1]) * 997;
  text = g_strndup ((const char *) data + 2, size - 2);

  check_metadata (text);
  check_range (text, file_size);
  if (confab_tus_parse_size (text, &n))
    {
      g_autofree char *back = g_strdup_printf ("%" G_GINT64_FORMAT, n);

      g_assert_cmpint (n, >=, 0);
      /* Leading zeros aside, the number is the text. */
      g_assert_true (g_str_has_suffix (text, back));
    }
  confab_http_etag_matches (text, "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"");
  confab_file_id_is_valid (text);
  return 0;
}
