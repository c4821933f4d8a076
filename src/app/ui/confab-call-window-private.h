/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-call-window.h"

G_BEGIN_DECLS

/* For tests and the screenshot tool: what the window shows. */

/* The status line as shown ("Calling…", "Connecting…", "2:35", "Call ended"…). */
const char *confab_call_window_get_status        (ConfabCallWindow *self);
/* Whether the peer's video is shown (rather than their avatar). */
gboolean    confab_call_window_get_showing_video (ConfabCallWindow *self);

G_END_DECLS
