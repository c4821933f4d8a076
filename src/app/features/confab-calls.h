/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CALLS (confab_calls_get_type ())
G_DECLARE_FINAL_TYPE (ConfabCalls, confab_calls, CONFAB, CALLS, ConfabFeature)

/* Calls as a feature of the session: it holds the session's ConfabCallManager (call state and
 * negotiation live there, the media in ConfabCall). Added once the first frame is shown, since
 * GStreamer and the DTLS key take a while to load; the call events' seqs are stored by the
 * session like those of any event no feature stores. */
ConfabCalls       *confab_calls_new          (ConfabSession      *session,
                                              ConfabMediaDevices *devices);
/* NULL until the calls feature was added to @session. */
ConfabCalls       *confab_calls_from_session (ConfabSession      *session);
ConfabCallManager *confab_calls_get_manager  (ConfabCalls        *self);

G_END_DECLS
