/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-error.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_PARAM_REQUIRED = 0,
  CONFAB_PARAM_OPTIONAL = 1 << 0,
  /* For strings: line feeds and tabs are allowed (message bodies). */
  CONFAB_PARAM_MULTILINE = 1 << 1,
} ConfabParamFlags;

JsonObject *confab_frame_parse          (const char  *data,
                                         gsize        length,
                                         GError     **error);
const char *confab_frame_get_type       (JsonObject  *frame);
const char *confab_frame_get_id         (JsonObject  *frame);
char       *confab_frame_refused_id     (const char  *data,
                                         gsize        length);

gboolean    confab_params_get_string    (JsonObject        *params,
                                         const char        *name,
                                         ConfabParamFlags   flags,
                                         guint              min_chars,
                                         guint              max_chars,
                                         const char       **out,
                                         GError           **error);
gboolean    confab_params_get_int       (JsonObject        *params,
                                         const char        *name,
                                         ConfabParamFlags   flags,
                                         gint64             min,
                                         gint64             max,
                                         gint64            *out,
                                         GError           **error);
gboolean    confab_params_get_bool      (JsonObject        *params,
                                         const char        *name,
                                         ConfabParamFlags   flags,
                                         gboolean          *out,
                                         GError           **error);
gboolean    confab_params_get_object    (JsonObject        *params,
                                         const char        *name,
                                         ConfabParamFlags   flags,
                                         JsonObject       **out,
                                         GError           **error);
gboolean    confab_params_get_array     (JsonObject        *params,
                                         const char        *name,
                                         ConfabParamFlags   flags,
                                         guint              max_length,
                                         JsonArray        **out,
                                         GError           **error);

const char *confab_json_get_string       (JsonObject  *object,
                                          const char  *name);
JsonObject *confab_json_get_object       (JsonObject  *object,
                                          const char  *name);
JsonArray  *confab_json_get_array        (JsonObject  *object,
                                          const char  *name);
gboolean    confab_json_get_int          (JsonObject  *object,
                                          const char  *name,
                                          gint64      *out);
gint64      confab_json_get_int_or       (JsonObject  *object,
                                          const char  *name,
                                          gint64       fallback);
gboolean    confab_json_get_bool         (JsonObject  *object,
                                          const char  *name,
                                          gboolean    *out);

char       *confab_json_to_string       (JsonNode    *node,
                                         gsize       *length);
char       *confab_json_object_to_string (JsonObject *object,
                                          gsize      *length);
char       *confab_frame_response_ok    (const char  *id,
                                         JsonObject  *result,
                                         gsize       *length);
char       *confab_frame_response_error (const char          *id,
                                         ConfabProtocolError  code,
                                         const char          *message,
                                         JsonObject          *extra,
                                         gsize               *length);
char       *confab_frame_response_gerror (const char   *id,
                                          const GError *error,
                                          gsize        *length);
char       *confab_frame_event          (const char  *name,
                                         gint64       seq,
                                         JsonObject  *data,
                                         gsize       *length);
char       *confab_frame_request        (const char  *type,
                                         const char  *id,
                                         JsonObject  *params,
                                         gsize       *length);
char       *confab_frame_event_raw       (const char  *name,
                                          gint64       seq,
                                          const char  *data_json,
                                          gsize       *length);
char       *confab_frame_response_ok_raw (const char  *id,
                                          const char  *result_json,
                                          gsize       *length);
ConfabProtocolError confab_protocol_error_from_gerror (const GError *error);

G_END_DECLS
