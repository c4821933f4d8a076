/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_REACTIONS_BOX (confab_reactions_box_get_type ())

G_DECLARE_FINAL_TYPE (ConfabReactionsBox, confab_reactions_box, CONFAB, REACTIONS_BOX, GtkWidget)

/* The reactions under a message: a button per emoji with its count, pressed when the user of
 * @session reacted with it, naming who reacted in its tooltip; a click activates "message.react" with
 * the emoji, which toggles the own reaction. Hidden while there is none. */
GtkWidget *confab_reactions_box_new    (void);
void       confab_reactions_box_update (ConfabReactionsBox *self,
                                        ConfabMessage      *message,
                                        ConfabSession      *session);

G_END_DECLS
