/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-log"

#include "config.h"

#include "confab-log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 12

/* The levels G_DEBUG (fatal-warnings, fatal-criticals) made fatal, read once at start. */
static GLogLevelFlags always_fatal;

static const char *
priority_of (GLogLevelFlags level)
{
  /* As GLib's own g_log_structured () maps them. */
  if (level & G_LOG_LEVEL_ERROR)
    return "3";
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return "4";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "5";
  if (level & G_LOG_LEVEL_INFO)
    return "6";
  return "7";
}

static void
add_field (GLogField  *fields,
           gsize      *n,
           const char *key,
           const char *value)
{
  if (value == NULL)
    return;
  fields[*n].key = key;
  fields[*n].value = value;
  fields[*n].length = -1;
  (*n)++;
}

void
confab_log_full (const char            *domain,
                 GLogLevelFlags         level,
                 const ConfabLogFields *fields,
                 const char            *format,
                 ...)
{
  GLogField all[MAX_FIELDS];
  g_autofree char *message = NULL;
  gsize n = 0;
  va_list args;

  g_return_if_fail (fields != NULL && format != NULL);

  /* Both writers drop INFO and DEBUG outside G_MESSAGES_DEBUG: not worth formatting then. */
  if (g_log_writer_default_would_drop (level, domain))
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  add_field (all, &n, "PRIORITY", priority_of (level));
  add_field (all, &n, "GLIB_DOMAIN", domain);
  add_field (all, &n, "MESSAGE", message);
  add_field (all, &n, "CONFAB_EVENT", fields->event);
  add_field (all, &n, "CONFAB_USER", fields->user);
  add_field (all, &n, "CONFAB_DEVICE", fields->device);
  add_field (all, &n, "CONFAB_REQUEST", fields->request);
  add_field (all, &n, "CONFAB_OUTCOME", fields->outcome);
  add_field (all, &n, "CONFAB_ADDRESS", fields->address);
  add_field (all, &n, "CONFAB_TARGET", fields->target);
  g_log_structured_array (level, all, n);
}

/* --- The key=value writer --------------------------------------------------------------------- */

static void
append_value (GString    *line,
              const char *value,
              gssize      length)
{
  gsize len = length < 0 ? strlen (value) : (gsize) length;
  gboolean quote = len == 0;

  for (gsize i = 0; i < len && !quote; i++)
    quote = value[i] == ' ' || value[i] == '"' || value[i] == '=' || value[i] == '\\'
            || (guchar) value[i] < 0x20;
  if (!quote)
    {
      g_string_append_len (line, value, len);
      return;
    }

  g_string_append_c (line, '"');
  for (gsize i = 0; i < len; i++)
    {
      char c = value[i];

      if (c == '"' || c == '\\')
        g_string_append_printf (line, "\\%c", c);
      else if (c == '\n')
        g_string_append (line, "\\n");
      else if ((guchar) c < 0x20)
        g_string_append_printf (line, "\\x%02x", (guchar) c);
      else
        g_string_append_c (line, c);
    }
  g_string_append_c (line, '"');
}

static GLogWriterOutput
fields_writer (GLogLevelFlags   level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  g_autoptr(GString) line = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;
  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;

  line = g_string_sized_new (256);
  for (gsize i = 0; i < n_fields; i++)
    {
      /* Binary fields and GLib's own bookkeeping have no place in a text line. */
      if (fields[i].length > 0 && memchr (fields[i].value, '\0', fields[i].length) != NULL)
        continue;
      if (g_str_equal (fields[i].key, "CODE_FILE") || g_str_equal (fields[i].key, "CODE_LINE")
          || g_str_equal (fields[i].key, "CODE_FUNC"))
        continue;
      if (line->len > 0)
        g_string_append_c (line, ' ');
      g_string_append (line, fields[i].key);
      g_string_append_c (line, '=');
      append_value (line, fields[i].value, fields[i].length);
    }
  g_string_append_c (line, '\n');
  fputs (line->str, stderr);
  fflush (stderr);

  /* As GLib's default writer: a fatal level ends the process once it is logged. */
  if ((level & G_LOG_FLAG_FATAL) != 0 || (level & always_fatal) != 0)
    abort ();
  return G_LOG_WRITER_HANDLED;
}

void
confab_log_init (void)
{
  if (g_strcmp0 (g_getenv ("CONFAB_LOG_FORMAT"), "fields") != 0)
    return;
  /* GLib offers no getter: set and put back, before any other thread runs. */
  always_fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  g_log_set_always_fatal (always_fatal);
  always_fatal &= G_LOG_LEVEL_MASK;
  g_log_set_writer_func (fields_writer, NULL, NULL);
}
