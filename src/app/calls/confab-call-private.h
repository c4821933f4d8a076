/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-call.h"

G_BEGIN_DECLS

/* For tests and the benchmark only. */
GstElement *confab_call_get_pipeline              (ConfabCall *self);
gint64      confab_call_get_first_video_frame_time (ConfabCall *self);

G_END_DECLS
