/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"

G_BEGIN_DECLS

void confab_modules_register_all (ConfabServer *server);

G_END_DECLS
