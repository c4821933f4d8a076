/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PEOPLE_VIEW (confab_people_view_get_type ())
G_DECLARE_FINAL_TYPE (ConfabPeopleView, confab_people_view, CONFAB, PEOPLE_VIEW, GtkWidget)

/* The "People" page beside the conversations: the contacts grouped by the user's own groups,
 * each with a presence dot and status text; the requests received with Accept and Decline, the
 * requests sent with Withdraw; Add Contact (the window's win.add-contact). Activating a contact
 * emits "person-activated" (username); a failed request emits "error" (text). */
ConfabPeopleView *confab_people_view_new          (void);
void              confab_people_view_set_session  (ConfabPeopleView *self,
                                                   ConfabSession    *session);
/* The Accept (or Decline) button of @username's request, or NULL; for tests. */
GtkWidget        *confab_people_view_get_response_button (ConfabPeopleView *self,
                                                          const char       *username,
                                                          gboolean          accept);
/* The row of the contact @username, or NULL; for tests. */
GtkWidget        *confab_people_view_get_contact_row     (ConfabPeopleView *self,
                                                          const char       *username);

G_END_DECLS
