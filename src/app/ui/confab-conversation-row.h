/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_ROW (confab_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (ConfabConversationRow, confab_conversation_row, CONFAB, CONVERSATION_ROW,
                      GtkWidget)

GtkWidget          *confab_conversation_row_new              (void);
ConfabConversation *confab_conversation_row_get_conversation (ConfabConversationRow *self);
void                confab_conversation_row_set_conversation (ConfabConversationRow *self,
                                                              ConfabConversation    *conversation);
/* The session whose profiles name the senders of room messages (held weakly). */
void                confab_conversation_row_set_session      (ConfabConversationRow *self,
                                                              ConfabSession         *session);

G_END_DECLS
