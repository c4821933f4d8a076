/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_MIRRORED_PAINTABLE (confab_mirrored_paintable_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMirroredPaintable, confab_mirrored_paintable, CONFAB,
                      MIRRORED_PAINTABLE, GObject)

/* @paintable drawn left to right reversed, as a mirror shows: the own camera's preview. */
GdkPaintable *confab_mirrored_paintable_new (GdkPaintable *paintable);

G_END_DECLS
