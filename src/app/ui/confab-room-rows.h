/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-room-member.h"
#include "confab-room.h"
#include "confab-session.h"

G_BEGIN_DECLS

/* Rows the room dialogs share. */

/* A person with an avatar, their display name (kept current) and username, and a check box
 * (returned in @out_check) that the row activates. */
GtkWidget *confab_room_person_row_new (ConfabSession     *session,
                                       const char        *username,
                                       GtkWidget        **out_check);
/* A room as lists show it: its initials avatar, name, topic and member count. */
GtkWidget *confab_room_list_row_new   (ConfabRoom        *room);
/* "Owner", "Admin" or "Member", translated. */
const char *confab_room_role_label    (const char        *role);

G_END_DECLS
