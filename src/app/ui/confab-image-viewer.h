/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_IMAGE_VIEWER (confab_image_viewer_get_type ())

G_DECLARE_FINAL_TYPE (ConfabImageViewer, confab_image_viewer, CONFAB, IMAGE_VIEWER, AdwWindow)

/* A window showing one picture of @pictures (Attachments, see
 * confab_attachments_collect_pictures()) at a time, from @index: zoom in and out (Ctrl+plus,
 * Ctrl+minus, Ctrl+0 to fit), previous and next (Left, Right), Save As… (Ctrl+S). */
ConfabImageViewer *confab_image_viewer_new (GtkWindow     *parent,
                                            ConfabSession *session,
                                            GPtrArray     *pictures,
                                            guint          index);
/* TRUE once the picture shown is loaded (tests). */
gboolean           confab_image_viewer_get_loaded     (ConfabImageViewer *self);
/* The picture shown (tests). */
JsonObject        *confab_image_viewer_get_attachment (ConfabImageViewer *self);

G_END_DECLS
