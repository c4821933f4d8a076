/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-server.h"

G_BEGIN_DECLS

/* Profiles: profile_get and profile_update. */
void confab_profiles_register (ConfabServer *server);

G_END_DECLS
