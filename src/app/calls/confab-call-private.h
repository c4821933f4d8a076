/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-call.h"

G_BEGIN_DECLS

/* For tests and the benchmark only. */
GstElement *confab_call_get_pipeline               (ConfabCall *self);
gint64      confab_call_get_first_video_frame_time (ConfabCall *self);
/* What arrived from the peer so far (also the properties video-frames-received and
 * audio-buffers-received). */
guint64     confab_call_get_video_frames_received  (ConfabCall *self);
guint64     confab_call_get_audio_buffers_received (ConfabCall *self);

G_END_DECLS
