/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-server-module.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* Administration over HTTP, for accounts with role admin: /v1/admin/users, .../sessions,
 * /v1/admin/stats and /v1/admin/audit. Every change, and every refused attempt, goes into the
 * audit log. */
void confab_admin_register   (ConfabServer       *server);

/* For another module's route under /v1/admin/: signs the caller in as every admin route does
 * (401, 403 for anyone but an administrator, the refusal audited) and runs @func with the
 * call, whose data is the caller's to set. */
void confab_admin_call_start (ConfabServer       *server,
                              SoupServerMessage  *msg,
                              ConfabHttpCallFunc  func);

/* confabd --create-admin: an account with role admin, made without the network, with the
 * checks of POST /v1/admin/users (invalid, conflict) and its audit entry (actor "confabd"). */
void     confab_admin_create_async  (ConfabServer         *server,
                                     const char           *username,
                                     const char           *password,
                                     GAsyncReadyCallback   callback,
                                     gpointer              user_data);
gboolean confab_admin_create_finish (ConfabServer         *server,
                                     GAsyncResult         *result,
                                     GError              **error);

G_END_DECLS
