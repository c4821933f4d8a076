/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CALL_ROW (confab_call_row_get_type ())

G_DECLARE_FINAL_TYPE (ConfabCallRow, confab_call_row, CONFAB, CALL_ROW, GtkWidget)

GtkWidget *confab_call_row_new      (void);
/* Shows the kind:"call" @message from its call record; @previous (or NULL) is the message
 * above it, which decides whether a day separator starts the row. */
void       confab_call_row_bind     (ConfabCallRow *self,
                                     ConfabMessage *message,
                                     ConfabMessage *previous,
                                     const char    *own_username);
void       confab_call_row_unbind   (ConfabCallRow *self);

G_END_DECLS
