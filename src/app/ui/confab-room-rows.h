/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

/* Rows the room dialogs share. */

/* A person with an avatar, their display name (kept current) and username, and a check box
 * (returned in @out_check) that the row activates. */
GtkWidget *confab_room_person_row_new (ConfabSession     *session,
                                       const char        *username,
                                       GtkWidget        **out_check);
/* A room as lists show it: its initials avatar, name, topic and member count. */
GtkWidget *confab_room_list_row_new   (ConfabRoom        *room);
typedef const char * (*ConfabRoomNameFunc) (gpointer user_data, const char *username);

/* A room's system line in the reader's language ("Alice invited Bob"), from its record and the
 * message's sender; NULL for an action this client does not know (then show the body). */
char      *confab_room_system_text    (JsonObject        *system,
                                       const char        *from,
                                       ConfabRoomNameFunc name,
                                       gpointer           user_data);
/* "Owner", "Admin" or "Member", translated. */
const char *confab_room_role_label    (const char        *role);

G_END_DECLS
