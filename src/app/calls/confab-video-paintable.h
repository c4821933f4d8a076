/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_VIDEO_PAINTABLE (confab_video_paintable_get_type ())

G_DECLARE_FINAL_TYPE (ConfabVideoPaintable, confab_video_paintable, CONFAB, VIDEO_PAINTABLE, GObject)

ConfabVideoPaintable *confab_video_paintable_new             (gboolean              allow_gtk_sink);
GstElement           *confab_video_paintable_get_sink        (ConfabVideoPaintable *self);
guint64               confab_video_paintable_get_frame_count (ConfabVideoPaintable *self);
void                  confab_video_paintable_clear           (ConfabVideoPaintable *self);

G_END_DECLS
