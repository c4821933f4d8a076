/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AVATAR_GROUP (confab_avatar_group_get_type ())

G_DECLARE_FINAL_TYPE (ConfabAvatarGroup, confab_avatar_group, CONFAB, AVATAR_GROUP,
                      AdwPreferencesGroup)

/* The own profile picture in Preferences: shown, chosen with the platform's file chooser
 * (cropped to its centred square, at most 512 px, sent as PNG), or removed. */
GtkWidget *confab_avatar_group_new         (void);
void       confab_avatar_group_set_session (ConfabAvatarGroup *self,
                                            ConfabSession     *session);
/* What Choose does after the file chooser: crops, uploads and sets @file (tests). */
void       confab_avatar_group_set_picture (ConfabAvatarGroup *self,
                                            GFile             *file);
/* Removes the picture. */
void       confab_avatar_group_remove      (ConfabAvatarGroup *self);

G_END_DECLS
