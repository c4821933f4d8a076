/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "confab-error.h"

G_BEGIN_DECLS

/* Answers of confabd's JSON API over HTTP: `{"error": {code, message, ...}}` on failure. */

void        confab_http_send_json         (SoupServerMessage   *msg,
                                           guint                status,
                                           JsonObject          *object);
void        confab_http_send_error_full   (SoupServerMessage   *msg,
                                           guint                status,
                                           const char          *code,
                                           const char          *message,
                                           JsonObject          *extra);
void        confab_http_send_error        (SoupServerMessage   *msg,
                                           ConfabProtocolError  code,
                                           const char          *message);
void        confab_http_send_gerror       (SoupServerMessage   *msg,
                                           const GError        *error);
void        confab_http_send_rate_limited (SoupServerMessage   *msg,
                                           gint64               retry_after_ms);
/* The body as a JSON object; NULL after answering the request with the reason. */
/* Refuses a request whose body would pass the JSON body limit with 413 as soon as its headers
 * (or its chunks) say so, instead of reading it all first. Call it when the headers are in. */
void        confab_http_limit_body        (SoupServerMessage   *msg);
JsonObject *confab_http_read_json_body    (SoupServerMessage   *msg);
char       *confab_http_bearer_token      (SoupServerMessage   *msg);

G_END_DECLS
