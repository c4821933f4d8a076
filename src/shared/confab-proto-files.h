/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The HTTP side of files: tus 1.0.0 headers, Upload-Metadata, Range, ETag, and the names and
 * types a download is served under. Pure functions, shared by confabd, its clients and the
 * fuzz target. */

#define CONFAB_TUS_VERSION "1.0.0"

gboolean    confab_file_id_is_valid            (const char  *file_id);

/* A tus offset or length: 1*DIGIT, at most G_MAXINT64; nothing else (no sign, no spaces). */
gboolean    confab_tus_parse_size              (const char  *value,
                                                gint64      *out);

/* Upload-Metadata: "key base64value, key, ..." (tus 1.0.0). Keys are non-empty and free of
 * spaces and commas, and unique; values are strict base64 of UTF-8 text without NUL (a key
 * without a value maps to ""). Returns key → value, or NULL with @error set. */
GHashTable *confab_tus_parse_metadata          (const char  *value,
                                                GError     **error);
/* The other way round, keys sorted; for HEAD. */
char       *confab_tus_build_metadata          (GHashTable  *metadata);

typedef enum
{
  CONFAB_RANGE_NONE,           /* no Range, or one that is ignored: answer the whole body */
  CONFAB_RANGE_PARTIAL,        /* a single satisfiable range: answer 206 */
  CONFAB_RANGE_UNSATISFIABLE,  /* answer 416 */
} ConfabRangeResult;

/* One "bytes=" range of RFC 9110 against a body of @size bytes; @start and @end inclusive.
 * Several ranges are answered with the whole body. */
ConfabRangeResult confab_http_parse_range      (const char  *value,
                                                gint64       size,
                                                gint64      *start,
                                                gint64      *end);

/* Whether an If-None-Match (or If-Range) list names @etag (quoted), weak or strong, or "*". */
gboolean    confab_http_etag_matches           (const char  *header,
                                                const char  *etag);

/* A file name fit to store and show: valid UTF-8 (invalid bytes become U+FFFD), no control
 * characters, no '/' or '\\', no leading dots or spaces, at most CONFAB_FILE_NAME_MAX_BYTES
 * bytes; "file" when nothing is left. */
char       *confab_file_name_sanitize          (const char  *name);
/* A media type "type/subtype" of RFC 6838 characters, lower-cased; NULL if @mime is not one. */
char       *confab_file_mime_normalize         (const char  *mime);
/* Types a browser or client may show inline: raster images that run no script. */
gboolean    confab_file_mime_is_inline_image   (const char  *mime);
/* Content-Disposition of RFC 6266: an ASCII fallback filename="…" and filename*=UTF-8''… */
char       *confab_http_content_disposition    (const char  *name,
                                                gboolean     is_inline);

G_END_DECLS
