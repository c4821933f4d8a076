/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

/* Shows @contact's profile picture in @avatar and keeps it current (notify::avatar-file-id);
 * the initials stay while there is none or while it loads. @contact NULL shows initials only.
 * Calling it again with the same contact costs nothing. */
void confab_avatar_follow (AdwAvatar     *avatar,
                           ConfabSession *session,
                           ConfabContact *contact);

G_END_DECLS
