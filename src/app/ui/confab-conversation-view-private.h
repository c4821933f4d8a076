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

/* The files part (confab-conversation-files.c). */
ConfabSession *confab_conversation_view_get_session   (ConfabConversationView *self);
/* The open conversation's id, or NULL. */
const char    *confab_conversation_view_get_conv      (ConfabConversationView *self);
/* The composer's text, which is emptied. */
char          *confab_conversation_view_take_draft    (ConfabConversationView *self);
void           confab_conversation_view_show_toast    (ConfabConversationView *self,
                                                       const char             *text);
/* Sends @files to the open conversation with the composer's text as their caption. */
void           confab_conversation_view_send_files    (ConfabConversationView *self,
                                                       GFile * const          *files,
                                                       guint                   n_files);
/* The attach button: the platform's file chooser, then send_files. */
void           confab_conversation_view_choose_files  (ConfabConversationView *self);
/* Ctrl+V in the composer: TRUE if the clipboard holds a picture (and no text), which is sent. */
gboolean       confab_conversation_view_paste_picture (ConfabConversationView *self);
/* Files dropped on the view are sent. */
void           confab_conversation_view_setup_files   (ConfabConversationView *self);

G_END_DECLS
