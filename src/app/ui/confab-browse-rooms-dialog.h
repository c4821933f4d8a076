/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_BROWSE_ROOMS_DIALOG (confab_browse_rooms_dialog_get_type ())
G_DECLARE_FINAL_TYPE (ConfabBrowseRoomsDialog, confab_browse_rooms_dialog,
                      CONFAB, BROWSE_ROOMS_DIALOG, AdwWindow)

/* "Browse Rooms": the public rooms (and the user's own), searchable, each with Join (or Open
 * for a room the user is in). */
ConfabBrowseRoomsDialog *confab_browse_rooms_dialog_new (GtkWindow     *parent,
                                                         ConfabSession *session);

/* Signals:
 *   "open-room" (ConfabRoom *room)  a room was joined, or Open was chosen
 */

G_END_DECLS
