/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_QUICK_SWITCHER (confab_quick_switcher_get_type ())

G_DECLARE_FINAL_TYPE (ConfabQuickSwitcher, confab_quick_switcher, CONFAB, QUICK_SWITCHER,
                      AdwWindow)

/* A dialog over @parent to go to a conversation of @conversations (ConfabConversation items)
 * by typing part of its name; ::chosen gives the conversation's id. */
ConfabQuickSwitcher *confab_quick_switcher_new         (GtkWindow           *parent,
                                                        GListModel          *conversations);
void                 confab_quick_switcher_set_text    (ConfabQuickSwitcher *self,
                                                        const char          *text);
/* The conversations that match, in the list's order. */
GListModel          *confab_quick_switcher_get_matches (ConfabQuickSwitcher *self);
/* Moves the highlight by @delta rows, as Up and Down do. */
void                 confab_quick_switcher_move        (ConfabQuickSwitcher *self,
                                                        int                  delta);
/* Goes to the highlighted conversation, as Enter does. */
void                 confab_quick_switcher_choose      (ConfabQuickSwitcher *self);

G_END_DECLS
