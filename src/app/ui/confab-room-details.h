/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ROOM_DETAILS (confab_room_details_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRoomDetails, confab_room_details, CONFAB, ROOM_DETAILS,
                      AdwPreferencesWindow)

/* A room's details: name, topic and visibility (editable by its admins), the notification
 * level, the members with their roles and presence (admins change roles and remove members),
 * inviting, and leaving. */
ConfabRoomDetails *confab_room_details_new (GtkWindow     *parent,
                                            ConfabSession *session,
                                            ConfabRoom    *room);

G_END_DECLS
