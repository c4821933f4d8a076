/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-call-manager.h"
#include "confab-message.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CALL_ROW (confab_call_row_get_type ())

G_DECLARE_FINAL_TYPE (ConfabCallRow, confab_call_row, CONFAB, CALL_ROW, GtkWidget)

GtkWidget *confab_call_row_new      (void);
/* Shows the kind:"call" @message; the record's details come from @manager when needed. */
void       confab_call_row_bind     (ConfabCallRow     *self,
                                     ConfabMessage     *message,
                                     ConfabCallManager *manager,
                                     const char        *own_username);
void       confab_call_row_unbind   (ConfabCallRow     *self);

/* "Video call · 2:35", "Missed call", "Declined"…, and the icon to go with it. @record may be
 * NULL while it is not known. */
char      *confab_call_row_describe (JsonObject        *record,
                                     gboolean           outgoing,
                                     const char       **icon_name);
/* 2:35, or 1:02:03 from an hour on. */
char      *confab_call_format_duration (guint64         seconds);

G_END_DECLS
