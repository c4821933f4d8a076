/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-proto-files"

#include "config.h"

#include "confab-proto-files.h"
#include "confab-error.h"
#include "confab-limits.h"

#include <string.h>

/**
 * confab_file_id_is_valid:
 * @file_id: (nullable): a string from the network
 *
 * File ids are server-made: 16 to 64 characters of `[A-Za-z0-9_-]`.
 */
gboolean
confab_file_id_is_valid (const char *file_id)
{
  gsize len = 0;

  if (file_id == NULL)
    return FALSE;
  for (const char *p = file_id; *p != '\0'; p++, len++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
      return FALSE;
  return len >= 16 && len <= 64;
}

/**
 * confab_tus_parse_size:
 * @value: (nullable): a header value
 * @out: (out): the number
 *
 * Returns: whether @value is a non-negative decimal integer that fits in a gint64.
 */
gboolean
confab_tus_parse_size (const char *value,
                       gint64     *out)
{
  guint64 n = 0;

  if (value == NULL || *value == '\0' || strlen (value) > 19)
    return FALSE;
  for (const char *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      n = n * 10 + (guint64) (*p - '0');
    }
  if (n > G_MAXINT64)
    return FALSE;
  *out = (gint64) n;
  return TRUE;
}

/* Values are text: a file name is cleaned up later (confab_file_name_sanitize), but bytes that
 * are not UTF-8, or a NUL that would cut the string short, are refused here. */
static gboolean
metadata_value_is_clean (const char *value,
                         gsize       len)
{
  return memchr (value, '\0', len) == NULL && g_utf8_validate (value, len, NULL);
}

/* Strict base64 (RFC 4648, with padding): g_base64_decode() skips what it does not know. */
static gboolean
base64_is_strict (const char *text,
                  gsize       len)
{
  gsize pad = 0;

  if (len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '=')
        {
          pad++;
          if (i < len - 2)
            return FALSE;
        }
      else if (pad > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return FALSE;
    }
  return pad <= 2;
}

GHashTable *
confab_tus_parse_metadata (const char  *value,
                           GError     **error)
{
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          g_free);
  g_auto(GStrv) pairs = NULL;

  g_return_val_if_fail (value != NULL, NULL);

  if (*value == '\0')
    return g_steal_pointer (&metadata);

  pairs = g_strsplit (value, ",", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *pair = pairs[i];
      const char *space;
      g_autofree char *key = NULL;
      g_autofree char *decoded = NULL;
      gsize decoded_len = 0;

      while (*pair == ' ')
        pair++;
      space = strchr (pair, ' ');
      key = space != NULL ? g_strndup (pair, space - pair) : g_strdup (pair);
      if (*key == '\0')
        {
          g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                       "Upload-Metadata has an empty key");
          return NULL;
        }
      for (const char *k = key; *k != '\0'; k++)
        if ((guchar) *k <= 0x20 || (guchar) *k >= 0x7f)
          {
            g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                         "Upload-Metadata keys are printable ASCII");
            return NULL;
          }
      if (g_hash_table_contains (metadata, key))
        {
          g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                       "Upload-Metadata names a key twice");
          return NULL;
        }

      if (space != NULL)
        {
          const char *encoded = space + 1;
          gsize encoded_len = strlen (encoded);

          /* Trailing blanks before the next comma are tolerated, nothing else. */
          while (encoded_len > 0 && encoded[encoded_len - 1] == ' ')
            encoded_len--;
          if (!base64_is_strict (encoded, encoded_len))
            {
              g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                           "Upload-Metadata value of '%s' is not base64", key);
              return NULL;
            }
          if (encoded_len > 0)
            {
              g_autofree char *copy = g_strndup (encoded, encoded_len);
              guchar *raw = g_base64_decode (copy, &decoded_len);

              decoded = g_realloc (raw, decoded_len + 1);
              decoded[decoded_len] = '\0';
            }
        }
      if (decoded == NULL)
        decoded = g_strdup ("");
      if (!metadata_value_is_clean (decoded, decoded_len))
        {
          g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                       "Upload-Metadata value of '%s' is not UTF-8 text", key);
          return NULL;
        }
      g_hash_table_insert (metadata, g_steal_pointer (&key), g_steal_pointer (&decoded));
    }
  return g_steal_pointer (&metadata);
}

char *
confab_tus_build_metadata (GHashTable *metadata)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree gpointer *keys = NULL;
  guint n = 0;

  keys = g_hash_table_get_keys_as_array (metadata, &n);
  for (guint i = 1; i < n; i++)
    for (guint j = i; j > 0 && strcmp (keys[j], keys[j - 1]) < 0; j--)
      {
        gpointer tmp = keys[j];

        keys[j] = keys[j - 1];
        keys[j - 1] = tmp;
      }
  for (guint i = 0; i < n; i++)
    {
      const char *value = g_hash_table_lookup (metadata, keys[i]);

      if (out->len > 0)
        g_string_append_c (out, ',');
      g_string_append (out, keys[i]);
      if (*value != '\0')
        {
          g_autofree char *encoded = g_base64_encode ((const guchar *) value, strlen (value));

          g_string_append_c (out, ' ');
          g_string_append (out, encoded);
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

ConfabRangeResult
confab_http_parse_range (const char *value,
                         gint64      size,
                         gint64     *start,
                         gint64     *end)
{
  g_autofree char *spec = NULL;
  char *dash;
  gint64 first = -1;
  gint64 last = -1;

  if (value == NULL)
    return CONFAB_RANGE_NONE;
  while (*value == ' ')
    value++;
  if (g_ascii_strncasecmp (value, "bytes=", 6) != 0)
    return CONFAB_RANGE_NONE;
  spec = g_strstrip (g_strdup (value + 6));
  if (strchr (spec, ',') != NULL)
    return CONFAB_RANGE_NONE;
  dash = strchr (spec, '-');
  if (dash == NULL)
    return CONFAB_RANGE_NONE;
  *dash = '\0';
  g_strstrip (spec);
  g_strstrip (dash + 1);
  if (*spec != '\0' && !confab_tus_parse_size (spec, &first))
    return CONFAB_RANGE_NONE;
  if (dash[1] != '\0' && !confab_tus_parse_size (dash + 1, &last))
    return CONFAB_RANGE_NONE;

  if (first < 0)
    {
      /* bytes=-N: the last N bytes. */
      if (last < 0)
        return CONFAB_RANGE_NONE;
      if (last == 0 || size == 0)
        return CONFAB_RANGE_UNSATISFIABLE;
      *start = size - MIN (last, size);
      *end = size - 1;
      return CONFAB_RANGE_PARTIAL;
    }
  if (last >= 0 && last < first)
    return CONFAB_RANGE_NONE;
  if (first >= size)
    return CONFAB_RANGE_UNSATISFIABLE;
  *start = first;
  *end = last < 0 || last >= size ? size - 1 : last;
  return CONFAB_RANGE_PARTIAL;
}

gboolean
confab_http_etag_matches (const char *header,
                          const char *etag)
{
  g_auto(GStrv) items = NULL;

  if (header == NULL || etag == NULL)
    return FALSE;
  items = g_strsplit (header, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);

      if (g_str_equal (item, "*"))
        return TRUE;
      if (g_str_has_prefix (item, "W/"))
        item += 2;
      if (g_str_equal (item, etag))
        return TRUE;
    }
  return FALSE;
}

char *
confab_file_name_sanitize (const char *name)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p;

  if (name == NULL)
    return g_strdup ("file");
  valid = g_utf8_make_valid (name, -1);
  for (p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* Control and format characters (bidi overrides among them) would disguise a name. */
      if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT
          || c == 0x2028 || c == 0x2029)
        continue;
      if (c == '/' || c == '\\')
        c = '_';
      if (out->len == 0 && (c == '.' || c == ' '))
        continue;
      if (out->len + 6 > CONFAB_FILE_NAME_MAX_BYTES)
        break;
      g_string_append_unichar (out, c);
    }
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate (out, out->len - 1);
  if (out->len == 0)
    g_string_assign (out, "file");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
is_mime_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("!#$&-^_.+", c) != NULL;
}

char *
confab_file_mime_normalize (const char *mime)
{
  const char *slash;
  gsize len;

  if (mime == NULL)
    return NULL;
  len = strcspn (mime, ";");
  while (len > 0 && mime[len - 1] == ' ')
    len--;
  if (len == 0 || len > CONFAB_FILE_MIME_MAX_BYTES)
    return NULL;
  slash = memchr (mime, '/', len);
  if (slash == NULL || slash == mime || slash == mime + len - 1)
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (mime + i != slash && !is_mime_char (mime[i]))
      return NULL;
  return g_ascii_strdown (mime, len);
}

gboolean
confab_file_mime_is_inline_image (const char *mime)
{
  static const char * const inline_types[] = {
    "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
  };

  if (mime == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (inline_types); i++)
    if (g_str_equal (mime, inline_types[i]))
      return TRUE;
  return FALSE;
}

char *
confab_http_content_disposition (const char *name,
                                 gboolean    is_inline)
{
  g_autofree char *clean = confab_file_name_sanitize (name);
  g_autoptr(GString) fallback = g_string_new (NULL);
  g_autofree char *encoded = NULL;

  /* The fallback is for old readers: printable ASCII only, without quotes or backslashes. */
  for (const char *p = clean; *p != '\0'; p++)
    {
      guchar c = *p;

      if (c >= 0x80)
        {
          /* One '_' per character, not per byte. */
          if ((c & 0xc0) != 0x80)
            g_string_append_c (fallback, '_');
        }
      else if (c == '"' || c == '\\' || c == '%' || c < 0x20 || c == 0x7f)
        g_string_append_c (fallback, '_');
      else
        g_string_append_c (fallback, c);
    }
  /* RFC 5987 attr-char is stricter than a URI's unreserved set. */
  encoded = g_uri_escape_string (clean, "!#$&+^`|", FALSE);
  return g_strdup_printf ("%s; filename=\"%s\"; filename*=UTF-8''%s",
                          is_inline ? "inline" : "attachment", fallback->str, encoded);
}
