/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_ROW (confab_message_row_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMessageRow, confab_message_row, CONFAB, MESSAGE_ROW, GtkWidget)

GtkWidget     *confab_message_row_new         (void);
ConfabMessage *confab_message_row_get_message (ConfabMessageRow *self);
/* @previous is the message shown above (NULL for the first): it decides whether this row
 * starts a new day and whether it repeats the sender's header. @session (not held) tells
 * whose messages are one's own and the senders' names. */
void           confab_message_row_bind        (ConfabMessageRow  *self,
                                               ConfabSession     *session,
                                               ConfabMessage     *message,
                                               ConfabMessage     *previous,
                                               ConfabMessageList *list);
void           confab_message_row_unbind      (ConfabMessageRow *self);
/* Shows the "New messages" divider above the row: its message is the first one unread. */
void           confab_message_row_set_first_unread (ConfabMessageRow *self,
                                                    gboolean          first_unread);
gboolean       confab_message_row_get_first_unread (ConfabMessageRow *self);
/* Highlights the message: the one a search went to. */
void           confab_message_row_set_found   (ConfabMessageRow *self,
                                               gboolean          found);

G_END_DECLS
