/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-json-writer"

#include "config.h"

#include "confab-json-writer.h"

#define MAX_DEPTH 63

void
confab_json_writer_init (ConfabJsonWriter *writer,
                         GString          *out)
{
  g_return_if_fail (writer != NULL);
  g_return_if_fail (out != NULL);

  writer->out = out;
  writer->depth = 0;
  writer->need_comma = 0;
}

/* Before a value or a key: a comma unless it is the first in its object. */
static void
separate (ConfabJsonWriter *writer)
{
  guint64 bit = G_GUINT64_CONSTANT (1) << writer->depth;

  if (writer->need_comma & bit)
    g_string_append_c (writer->out, ',');
  writer->need_comma |= bit;
}

void
confab_json_writer_begin_object (ConfabJsonWriter *writer)
{
  g_return_if_fail (writer->depth < MAX_DEPTH);

  g_string_append_c (writer->out, '{');
  writer->depth++;
  writer->need_comma &= ~(G_GUINT64_CONSTANT (1) << writer->depth);
}

void
confab_json_writer_end_object (ConfabJsonWriter *writer)
{
  g_return_if_fail (writer->depth > 0);

  writer->depth--;
  g_string_append_c (writer->out, '}');
}

void
confab_json_writer_key (ConfabJsonWriter *writer,
                        const char       *key)
{
  separate (writer);
  confab_json_append_string (writer->out, key);
  g_string_append_c (writer->out, ':');
  /* The value that follows belongs to this key: no comma before it. */
}

void
confab_json_writer_string (ConfabJsonWriter *writer,
                           const char       *value)
{
  confab_json_append_string (writer->out, value);
}

void
confab_json_writer_int (ConfabJsonWriter *writer,
                        gint64            value)
{
  g_string_append_printf (writer->out, "%" G_GINT64_FORMAT, value);
}

void
confab_json_writer_bool (ConfabJsonWriter *writer,
                         gboolean          value)
{
  g_string_append (writer->out, value ? "true" : "false");
}

void
confab_json_writer_null (ConfabJsonWriter *writer)
{
  g_string_append (writer->out, "null");
}

/* @json must be one complete JSON value, such as text made by another writer. */
void
confab_json_writer_raw (ConfabJsonWriter *writer,
                        const char       *json)
{
  g_string_append (writer->out, json);
}

/**
 * confab_json_append_string:
 * @out: where to write
 * @value: (nullable): valid UTF-8, or %NULL for `null`
 *
 * Appends @value as a JSON string: quotes, backslashes and control characters escaped
 * (RFC 8259 §7), everything else as it is.
 */
void
confab_json_append_string (GString    *out,
                           const char *value)
{
  static const char hex[] = "0123456789abcdef";
  const char *run;
  const char *p;

  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  run = value;
  for (p = value; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      const char *escape = NULL;
      char unicode[7];

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      switch (c)
        {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        default:
          unicode[0] = '\\';
          unicode[1] = 'u';
          unicode[2] = '0';
          unicode[3] = '0';
          unicode[4] = hex[c >> 4];
          unicode[5] = hex[c & 0xf];
          unicode[6] = '\0';
          escape = unicode;
          break;
        }

      g_string_append_len (out, run, p - run);
      g_string_append (out, escape);
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}
