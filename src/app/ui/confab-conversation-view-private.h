/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-conversation-view.h"

G_BEGIN_DECLS

/* For tests and the screenshot tool: the composer's text, and sending it. */
void confab_conversation_view_set_draft (ConfabConversationView *self,
                                         const char             *text);
void confab_conversation_view_send      (ConfabConversationView *self);
/* Whether the view is still on its way to a message (the first unread one, or one found). */
gboolean confab_conversation_view_get_seeking (ConfabConversationView *self);

G_END_DECLS
