/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_NEW_ROOM_DIALOG (confab_new_room_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ConfabNewRoomDialog, confab_new_room_dialog,
                      CONFAB, NEW_ROOM_DIALOG, AdwWindow)

/* "New Room": name, topic, public or private, and the first members, chosen among the people
 * the user knows or added by username. Creates the room and closes. */
ConfabNewRoomDialog *confab_new_room_dialog_new (GtkWindow     *parent,
                                                 ConfabSession *session);

/* Signals:
 *   "room-created" (ConfabRoom *room)
 */

G_END_DECLS
