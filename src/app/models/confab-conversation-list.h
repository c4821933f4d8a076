/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_LIST (confab_conversation_list_get_type ())
G_DECLARE_FINAL_TYPE (ConfabConversationList, confab_conversation_list,
                      CONFAB, CONVERSATION_LIST, GObject)

/* A GListModel of ConfabConversation, newest activity first, optionally filtered. It keeps
 * its order as conversations change (items-changed with a remove and an insert). */
ConfabConversationList *confab_conversation_list_new             (void);
/* Shows only conversations whose title, peer or conv contains @text (case-insensitive);
 * NULL or "" shows all. */
void                    confab_conversation_list_set_filter_text (ConfabConversationList *self,
                                                                  const char             *text);
const char             *confab_conversation_list_get_filter_text (ConfabConversationList *self);
/* Lookup in all conversations, filtered out or not. */
ConfabConversation     *confab_conversation_list_lookup          (ConfabConversationList *self,
                                                                  const char             *conv);
/* Sum of unread over all conversations that are not muted (property "unread-count"). */
guint                   confab_conversation_list_get_unread_count (ConfabConversationList *self);

/* Engine use. add: no-op if a conversation with the same conv exists (returns it). */
ConfabConversation     *confab_conversation_list_add             (ConfabConversationList *self,
                                                                  ConfabConversation     *conv);
void                    confab_conversation_list_remove          (ConfabConversationList *self,
                                                                  const char             *conv);

G_END_DECLS
