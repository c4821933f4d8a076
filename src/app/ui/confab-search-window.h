/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SEARCH_WINDOW (confab_search_window_get_type ())

G_DECLARE_FINAL_TYPE (ConfabSearchWindow, confab_search_window, CONFAB, SEARCH_WINDOW, AdwWindow)

/* A dialog over @parent that searches the messages of every conversation of @session (the
 * server's full-text search): each result shows its conversation, sender, time and the text
 * around the words found; ::chosen (conv, msg_id) when one is activated. */
ConfabSearchWindow *confab_search_window_new           (GtkWindow          *parent,
                                                        ConfabSession      *session);
/* Searches at once, as typing @query does after a pause. */
void                confab_search_window_search        (ConfabSearchWindow *self,
                                                        const char         *query);
/* The results shown (ConfabMessage items, newest first). */
GListModel         *confab_search_window_get_results   (ConfabSearchWindow *self);
/* The row of result @i (for its text), or NULL. */
GtkWidget          *confab_search_window_get_row       (ConfabSearchWindow *self,
                                                        guint               i);

G_END_DECLS
