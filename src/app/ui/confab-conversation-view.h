/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_VIEW (confab_conversation_view_get_type ())

G_DECLARE_FINAL_TYPE (ConfabConversationView, confab_conversation_view, CONFAB,
                      CONVERSATION_VIEW, AdwBin)

GtkWidget          *confab_conversation_view_new              (void);
void                confab_conversation_view_set_session      (ConfabConversationView *self,
                                                               ConfabSession          *session);
ConfabConversation *confab_conversation_view_get_conversation (ConfabConversationView *self);
void                confab_conversation_view_set_conversation (ConfabConversationView *self,
                                                               ConfabConversation     *conversation);
/* Marks everything shown as read if the view is on screen in the active window. */
void                confab_conversation_view_mark_read        (ConfabConversationView *self);
void                confab_conversation_view_focus_composer   (ConfabConversationView *self);
/* Scrolls to the message @msg_id of the conversation shown, loading older history back to it,
 * and highlights it. */
void                confab_conversation_view_show_message     (ConfabConversationView *self,
                                                               gint64                  msg_id);
/* The message shown for show_message() once it is in view, or 0. */
gint64              confab_conversation_view_get_found        (ConfabConversationView *self);

G_END_DECLS
