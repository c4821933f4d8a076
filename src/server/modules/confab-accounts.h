/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-server.h"

G_BEGIN_DECLS

/* Accounts and devices: registering, signing in and out (HTTP), changing the password, listing
 * and revoking devices. */
void confab_accounts_register (ConfabServer *server);

G_END_DECLS
