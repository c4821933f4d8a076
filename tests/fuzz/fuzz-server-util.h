/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-server.h"

G_BEGIN_DECLS

/* A confabd in-process for the fuzz targets: plain, in a temporary data directory, with the
 * cheapest Argon2 and no send rate limit, made once and kept for the whole run. */
ConfabServer *fuzz_server_get        (void);

/* Feeds @request to the server as one connection's bytes, runs the main loop until the server
 * has answered and let the connection go (or a few seconds passed), returns what it wrote. */
GBytes       *fuzz_server_http       (const void *request,
                                      gsize       length);

/* Runs the main loop until @done is set or @timeout_ms pass. */
void          fuzz_server_run_until  (const gboolean *done,
                                      guint           timeout_ms);

G_END_DECLS
