/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* Administration over HTTP, for accounts with role admin: /v1/admin/users, .../sessions,
 * /v1/admin/stats and /v1/admin/audit. Every change, and every refused attempt, goes into the
 * audit log. */
void confab_admin_register (ConfabServer *server);

G_END_DECLS
