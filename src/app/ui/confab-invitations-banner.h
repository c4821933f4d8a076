/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_INVITATIONS_BANNER (confab_invitations_banner_get_type ())
G_DECLARE_FINAL_TYPE (ConfabInvitationsBanner, confab_invitations_banner,
                      CONFAB, INVITATIONS_BANNER, GtkWidget)

/* The room invitations of a session, one line each with Accept and Decline, shown above the
 * conversations while there are any. */
GtkWidget *confab_invitations_banner_new         (void);
void       confab_invitations_banner_set_session (ConfabInvitationsBanner *self,
                                                  ConfabSession           *session);

/* Signals:
 *   "room-joined" (ConfabRoom *room)  an invitation was accepted and the room joined
 *   "error" (const char *text)  accepting or declining failed
 */

G_END_DECLS
