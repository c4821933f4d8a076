/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ANNOUNCEMENTS_VIEW (confab_announcements_view_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAnnouncementsView, confab_announcements_view, CONFAB,
                      ANNOUNCEMENTS_VIEW, GtkWidget)

/* The "Announcements" conversation: every announcement, oldest first, each a card with who
 * announced it and when; for admins a composer that announces to everyone or to a department.
 * A failed send emits "error" (text); a sent one "sent" (recipients). */
ConfabAnnouncementsView *confab_announcements_view_new         (void);
void                     confab_announcements_view_set_session (ConfabAnnouncementsView *self,
                                                                ConfabSession           *session);

G_END_DECLS
