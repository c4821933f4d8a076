/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-session.h"

G_BEGIN_DECLS

/* Used by ConfabFeature: @name is handled by a feature, which stores and acks its seq. */
void     confab_session_claim_event  (ConfabSession *self,
                                      const char    *name);
gboolean confab_session_get_started  (ConfabSession *self);
GCancellable *confab_session_get_cancellable (ConfabSession *self);

G_END_DECLS
