/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"

G_BEGIN_DECLS

/* POST /v1/admin/backup: a consistent copy of the database and of the uploaded files, made
 * while the server runs, into a new directory of the backup directory. */
void confab_backup_register (ConfabServer *server);

G_END_DECLS
