/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-mirrored-paintable"

#include "config.h"

#include "confab-mirrored-paintable.h"

/* Mirrors in the paintable rather than with a CSS transform on the widget: GTK 4.8's GL
 * renderer aborts on a negatively scaled offscreen (a widget with a shadow or rounded corners),
 * while a flipped texture draws directly. */

struct _ConfabMirroredPaintable
{
  GObject       parent_instance;

  GdkPaintable *paintable;
};

static void confab_mirrored_paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabMirroredPaintable, confab_mirrored_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      confab_mirrored_paintable_iface_init))

static void
confab_mirrored_paintable_snapshot (GdkPaintable *paintable,
                                    GdkSnapshot  *snapshot,
                                    double        width,
                                    double        height)
{
  ConfabMirroredPaintable *self = CONFAB_MIRRORED_PAINTABLE (paintable);

  gtk_snapshot_save (GTK_SNAPSHOT (snapshot));
  gtk_snapshot_translate (GTK_SNAPSHOT (snapshot), &GRAPHENE_POINT_INIT (width, 0));
  gtk_snapshot_scale (GTK_SNAPSHOT (snapshot), -1, 1);
  gdk_paintable_snapshot (self->paintable, snapshot, width, height);
  gtk_snapshot_restore (GTK_SNAPSHOT (snapshot));
}

static GdkPaintable *
confab_mirrored_paintable_get_current_image (GdkPaintable *paintable)
{
  ConfabMirroredPaintable *self = CONFAB_MIRRORED_PAINTABLE (paintable);
  g_autoptr(GdkPaintable) current = gdk_paintable_get_current_image (self->paintable);

  return confab_mirrored_paintable_new (current);
}

static int
confab_mirrored_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  return gdk_paintable_get_intrinsic_width (CONFAB_MIRRORED_PAINTABLE (paintable)->paintable);
}

static int
confab_mirrored_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  return gdk_paintable_get_intrinsic_height (CONFAB_MIRRORED_PAINTABLE (paintable)->paintable);
}

static double
confab_mirrored_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  return gdk_paintable_get_intrinsic_aspect_ratio (CONFAB_MIRRORED_PAINTABLE (paintable)->paintable);
}

static void
confab_mirrored_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = confab_mirrored_paintable_snapshot;
  iface->get_current_image = confab_mirrored_paintable_get_current_image;
  iface->get_intrinsic_width = confab_mirrored_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = confab_mirrored_paintable_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = confab_mirrored_paintable_get_intrinsic_aspect_ratio;
}

static void
confab_mirrored_paintable_dispose (GObject *object)
{
  ConfabMirroredPaintable *self = CONFAB_MIRRORED_PAINTABLE (object);

  if (self->paintable != NULL)
    g_signal_handlers_disconnect_by_data (self->paintable, self);
  g_clear_object (&self->paintable);

  G_OBJECT_CLASS (confab_mirrored_paintable_parent_class)->dispose (object);
}

static void
confab_mirrored_paintable_class_init (ConfabMirroredPaintableClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_mirrored_paintable_dispose;
}

static void
confab_mirrored_paintable_init (ConfabMirroredPaintable *self)
{
}

GdkPaintable *
confab_mirrored_paintable_new (GdkPaintable *paintable)
{
  ConfabMirroredPaintable *self;

  g_return_val_if_fail (GDK_IS_PAINTABLE (paintable), NULL);

  self = g_object_new (CONFAB_TYPE_MIRRORED_PAINTABLE, NULL);
  self->paintable = g_object_ref (paintable);
  g_signal_connect_swapped (paintable, "invalidate-contents",
                            G_CALLBACK (gdk_paintable_invalidate_contents), self);
  g_signal_connect_swapped (paintable, "invalidate-size",
                            G_CALLBACK (gdk_paintable_invalidate_size), self);

  return GDK_PAINTABLE (self);
}
