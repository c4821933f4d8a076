/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SEEN_BY_LABEL (confab_seen_by_label_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSeenByLabel, confab_seen_by_label, CONFAB, SEEN_BY_LABEL, GtkWidget)

/* "Seen by 3" under the user's own message in a room, the names on hover; hidden elsewhere
 * and while nobody has read it. */
GtkWidget *confab_seen_by_label_new    (void);
void       confab_seen_by_label_bind   (ConfabSeenByLabel *self,
                                        ConfabSession     *session,
                                        ConfabMessage     *message);
void       confab_seen_by_label_unbind (ConfabSeenByLabel *self);

G_END_DECLS
