/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MENTION_COMPLETION (confab_mention_completion_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMentionCompletion, confab_mention_completion,
                      CONFAB, MENTION_COMPLETION, GObject)

/* "@" completion in a composer: typing "@al" in a room offers the members whose username or
 * name starts so (and @room), and inserts "@alice ". */
ConfabMentionCompletion *confab_mention_completion_new        (GtkTextView *text_view);
/* The room whose members complete (NULL: none, the popover stays closed). */
void                     confab_mention_completion_set_room   (ConfabMentionCompletion *self,
                                                               ConfabSession           *session,
                                                               const char              *room_id);
/* For the composer's key handler: TRUE if the key chose or moved in the open list. */
gboolean                 confab_mention_completion_handle_key (ConfabMentionCompletion *self,
                                                               guint                    keyval);

G_END_DECLS
