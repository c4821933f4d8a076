/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * ConfabJsonWriter:
 *
 * Writes compact JSON text straight into a #GString, for the few frames that every message
 * produces (the event fan-out and the sender's response). Building them as json-glib objects
 * and serializing those costs more than storing the message. Everything else uses json-glib.
 */
typedef struct
{
  GString *out;
  guint    depth;
  guint64  need_comma;   /* one bit per nesting level */
} ConfabJsonWriter;

void confab_json_writer_init         (ConfabJsonWriter *writer,
                                      GString          *out);
void confab_json_writer_begin_object (ConfabJsonWriter *writer);
void confab_json_writer_end_object   (ConfabJsonWriter *writer);
void confab_json_writer_key          (ConfabJsonWriter *writer,
                                      const char       *key);
void confab_json_writer_string       (ConfabJsonWriter *writer,
                                      const char       *value);
void confab_json_writer_int          (ConfabJsonWriter *writer,
                                      gint64            value);
void confab_json_writer_bool         (ConfabJsonWriter *writer,
                                      gboolean          value);
void confab_json_writer_null         (ConfabJsonWriter *writer);
void confab_json_writer_raw          (ConfabJsonWriter *writer,
                                      const char       *json);
void confab_json_append_string       (GString          *out,
                                      const char       *value);

G_END_DECLS
