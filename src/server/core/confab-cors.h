/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "confab-config.h"

G_BEGIN_DECLS

/* Cross-origin requests from the web pages of `[http] cors_origins` (none by default). */

gboolean confab_cors_origin_is_valid  (const char         *origin);
gboolean confab_cors_origin_allowed   (const ConfabConfig *config,
                                       const char         *origin);
/* On every request once its headers are in: an allowed Origin gets its CORS response
 * headers; any other gets none. */
void     confab_cors_add_headers      (const ConfabConfig *config,
                                       SoupServerMessage  *msg);
/* Answers a preflight (OPTIONS with Origin and Access-Control-Request-Method) from an allowed
 * origin; FALSE for any other request, which goes on its way. */
gboolean confab_cors_answer_preflight (const ConfabConfig *config,
                                       SoupServerMessage  *msg);

G_END_DECLS
