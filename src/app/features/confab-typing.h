/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TYPING (confab_typing_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTyping, confab_typing, CONFAB, TYPING, ConfabFeature)

/* Who is typing: the own notices sent while typing, and the peers' shown as each
 * conversation's typing text until they stop or expire. Nothing of it is stored. */
ConfabTyping *confab_typing_new          (ConfabSession *session);
ConfabTyping *confab_typing_from_session (ConfabSession *session);

/* Call with TRUE on each keystroke (sent at most every 4 s while typing, so the peer's 6 s
 * expiry never fires), FALSE when the entry is cleared or the message sent. */
void          confab_typing_set_typing   (ConfabTyping  *self,
                                          const char    *conv,
                                          gboolean       active);

G_END_DECLS
