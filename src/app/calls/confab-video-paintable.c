/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-video-paintable"

#include "config.h"

#include "confab-video-paintable.h"

#include <gtk/gtk.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

/* A GdkPaintable showing the frames that reach its sink element.
 *
 * Where gtk4paintablesink is installed (and a display exists) it is the sink and this object
 * forwards to its paintable, which can keep frames on the GPU. Otherwise the sink is
 * videoconvert ! appsink: the streaming thread keeps only the newest frame and the main
 * thread wraps it, without copying, in a GdkMemoryTexture. */

struct _ConfabVideoPaintable
{
  GObject       parent_instance;

  GstElement   *sink;
  GdkPaintable *inner;
  GMainContext *context;

  GMutex        lock;
  GstSample    *pending;
  GSource      *pending_source;
  GdkTexture   *texture;
  guint64       frames;
};

static void confab_video_paintable_iface_init (GdkPaintableInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabVideoPaintable, confab_video_paintable, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (GDK_TYPE_PAINTABLE,
                                                      confab_video_paintable_iface_init))

typedef struct
{
  GstVideoFrame frame;
} MappedFrame;

static void
mapped_frame_free (gpointer data)
{
  MappedFrame *mapped = data;

  gst_video_frame_unmap (&mapped->frame);
  g_free (mapped);
}

static GdkTexture *
texture_from_sample (GstSample *sample)
{
  GstCaps *caps = gst_sample_get_caps (sample);
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  g_autoptr(GBytes) bytes = NULL;
  GdkMemoryFormat format;
  GstVideoInfo info;
  MappedFrame *mapped;
  gsize size;

  if (caps == NULL || buffer == NULL || !gst_video_info_from_caps (&info, caps))
    return NULL;

  switch (GST_VIDEO_INFO_FORMAT (&info))
    {
    case GST_VIDEO_FORMAT_BGRA:
      format = GDK_MEMORY_B8G8R8A8;
      break;

    case GST_VIDEO_FORMAT_RGBA:
      format = GDK_MEMORY_R8G8B8A8;
      break;

    default:
      return NULL;
    }

  mapped = g_new0 (MappedFrame, 1);
  if (!gst_video_frame_map (&mapped->frame, &info, buffer, GST_MAP_READ))
    {
      g_free (mapped);
      return NULL;
    }

  size = (gsize) GST_VIDEO_FRAME_PLANE_STRIDE (&mapped->frame, 0) * GST_VIDEO_INFO_HEIGHT (&info);
  bytes = g_bytes_new_with_free_func (GST_VIDEO_FRAME_PLANE_DATA (&mapped->frame, 0), size,
                                      mapped_frame_free, mapped);

  return gdk_memory_texture_new (GST_VIDEO_INFO_WIDTH (&info), GST_VIDEO_INFO_HEIGHT (&info),
                                 format, bytes,
                                 GST_VIDEO_FRAME_PLANE_STRIDE (&mapped->frame, 0));
}

static gboolean
show_pending_frame (gpointer user_data)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (user_data);
  g_autoptr(GstSample) sample = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  gboolean size_changed;

  g_mutex_lock (&self->lock);
  sample = g_steal_pointer (&self->pending);
  g_clear_pointer (&self->pending_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  if (sample == NULL || (texture = texture_from_sample (sample)) == NULL)
    return G_SOURCE_REMOVE;

  size_changed = self->texture == NULL ||
                 gdk_texture_get_width (self->texture) != gdk_texture_get_width (texture) ||
                 gdk_texture_get_height (self->texture) != gdk_texture_get_height (texture);
  g_set_object (&self->texture, texture);

  if (size_changed)
    gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));

  return G_SOURCE_REMOVE;
}

static GstFlowReturn
on_appsink_new_sample (GstAppSink *appsink,
                       gpointer    user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ConfabVideoPaintable) self = g_weak_ref_get (weak);
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (appsink);

  if (self == NULL || sample == NULL)
    return GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  self->frames++;
  /* Only the newest frame matters; an older one not yet shown is dropped. */
  g_clear_pointer (&self->pending, gst_sample_unref);
  self->pending = g_steal_pointer (&sample);
  if (self->pending_source == NULL)
    {
      self->pending_source = g_idle_source_new ();
      g_source_set_priority (self->pending_source, G_PRIORITY_HIGH_IDLE);
      g_source_set_callback (self->pending_source, show_pending_frame,
                             g_object_ref (self), g_object_unref);
      g_source_attach (self->pending_source, self->context);
    }
  g_mutex_unlock (&self->lock);

  return GST_FLOW_OK;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static GstElement *
create_appsink_bin (ConfabVideoPaintable *self)
{
  GstAppSinkCallbacks callbacks = { .new_sample = on_appsink_new_sample };
  g_autoptr(GstCaps) caps = gst_caps_from_string ("video/x-raw,format={BGRA,RGBA}");
  g_autoptr(GstPad) pad = NULL;
  GstElement *bin = gst_bin_new (NULL);
  GstElement *convert = gst_element_factory_make ("videoconvert", NULL);
  GstElement *appsink = gst_element_factory_make ("appsink", NULL);
  GWeakRef *weak;

  if (convert == NULL || appsink == NULL)
    {
      g_critical ("GStreamer elements videoconvert and appsink are needed for video");
      gst_clear_object (&convert);
      gst_clear_object (&appsink);
      gst_object_unref (gst_object_ref_sink (bin));
      return NULL;
    }

  g_object_set (appsink,
                "caps", caps,
                "max-buffers", 1,
                "drop", TRUE,
                "sync", FALSE,
                "async", FALSE,
                "enable-last-sample", FALSE,
                NULL);

  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &callbacks, weak, weak_ref_free);

  gst_bin_add_many (GST_BIN (bin), convert, appsink, NULL);
  gst_element_link (convert, appsink);
  pad = gst_element_get_static_pad (convert, "sink");
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));

  return bin;
}

static GstPadProbeReturn
count_frame_probe (GstPad          *pad,
                   GstPadProbeInfo *info,
                   gpointer         user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(ConfabVideoPaintable) self = g_weak_ref_get (weak);

  if (self != NULL)
    {
      g_mutex_lock (&self->lock);
      self->frames++;
      g_mutex_unlock (&self->lock);
    }
  return GST_PAD_PROBE_OK;
}

static void
on_inner_invalidate_contents (ConfabVideoPaintable *self)
{
  gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
}

static void
on_inner_invalidate_size (ConfabVideoPaintable *self)
{
  gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
}

static GstElement *
create_gtk_sink_bin (ConfabVideoPaintable *self)
{
  g_autoptr(GstElementFactory) factory = gst_element_factory_find ("gtk4paintablesink");
  g_autoptr(GstPad) pad = NULL;
  GstElement *bin;
  GstElement *convert;
  GstElement *sink;
  GWeakRef *weak;

  if (factory == NULL || gdk_display_get_default () == NULL)
    return NULL;

  sink = gst_element_factory_create (factory, NULL);
  convert = gst_element_factory_make ("videoconvert", NULL);
  if (sink == NULL || convert == NULL)
    {
      gst_clear_object (&sink);
      gst_clear_object (&convert);
      return NULL;
    }

  g_object_get (sink, "paintable", &self->inner, NULL);
  if (self->inner == NULL)
    {
      gst_object_unref (gst_object_ref_sink (sink));
      gst_object_unref (gst_object_ref_sink (convert));
      return NULL;
    }
  g_signal_connect_object (self->inner, "invalidate-contents",
                           G_CALLBACK (on_inner_invalidate_contents), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->inner, "invalidate-size",
                           G_CALLBACK (on_inner_invalidate_size), self, G_CONNECT_SWAPPED);
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);

  bin = gst_bin_new (NULL);
  gst_bin_add_many (GST_BIN (bin), convert, sink, NULL);
  gst_element_link (convert, sink);
  pad = gst_element_get_static_pad (convert, "sink");

  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame_probe, weak, weak_ref_free);
  gst_element_add_pad (bin, gst_ghost_pad_new ("sink", pad));

  return bin;
}

static void
confab_video_paintable_snapshot (GdkPaintable *paintable,
                                 GdkSnapshot  *snapshot,
                                 double        width,
                                 double        height)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (paintable);

  if (self->inner != NULL)
    gdk_paintable_snapshot (self->inner, snapshot, width, height);
  else if (self->texture != NULL)
    gdk_paintable_snapshot (GDK_PAINTABLE (self->texture), snapshot, width, height);
}

static GdkPaintable *
confab_video_paintable_get_current_image (GdkPaintable *paintable)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (paintable);

  if (self->inner != NULL)
    return gdk_paintable_get_current_image (self->inner);
  if (self->texture != NULL)
    return g_object_ref (GDK_PAINTABLE (self->texture));
  return gdk_paintable_new_empty (0, 0);
}

static int
confab_video_paintable_get_intrinsic_width (GdkPaintable *paintable)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (paintable);

  if (self->inner != NULL)
    return gdk_paintable_get_intrinsic_width (self->inner);
  return self->texture != NULL ? gdk_texture_get_width (self->texture) : 0;
}

static int
confab_video_paintable_get_intrinsic_height (GdkPaintable *paintable)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (paintable);

  if (self->inner != NULL)
    return gdk_paintable_get_intrinsic_height (self->inner);
  return self->texture != NULL ? gdk_texture_get_height (self->texture) : 0;
}

static double
confab_video_paintable_get_intrinsic_aspect_ratio (GdkPaintable *paintable)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (paintable);

  if (self->inner != NULL)
    return gdk_paintable_get_intrinsic_aspect_ratio (self->inner);
  if (self->texture == NULL || gdk_texture_get_height (self->texture) == 0)
    return 0.0;
  return (double) gdk_texture_get_width (self->texture) / gdk_texture_get_height (self->texture);
}

static void
confab_video_paintable_iface_init (GdkPaintableInterface *iface)
{
  iface->snapshot = confab_video_paintable_snapshot;
  iface->get_current_image = confab_video_paintable_get_current_image;
  iface->get_intrinsic_width = confab_video_paintable_get_intrinsic_width;
  iface->get_intrinsic_height = confab_video_paintable_get_intrinsic_height;
  iface->get_intrinsic_aspect_ratio = confab_video_paintable_get_intrinsic_aspect_ratio;
}

static void
confab_video_paintable_dispose (GObject *object)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (object);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->pending, gst_sample_unref);
  if (self->pending_source != NULL)
    {
      g_source_destroy (self->pending_source);
      g_clear_pointer (&self->pending_source, g_source_unref);
    }
  g_mutex_unlock (&self->lock);

  gst_clear_object (&self->sink);
  g_clear_object (&self->inner);
  g_clear_object (&self->texture);

  G_OBJECT_CLASS (confab_video_paintable_parent_class)->dispose (object);
}

static void
confab_video_paintable_finalize (GObject *object)
{
  ConfabVideoPaintable *self = CONFAB_VIDEO_PAINTABLE (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (confab_video_paintable_parent_class)->finalize (object);
}

static void
confab_video_paintable_class_init (ConfabVideoPaintableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_video_paintable_dispose;
  object_class->finalize = confab_video_paintable_finalize;
}

static void
confab_video_paintable_init (ConfabVideoPaintable *self)
{
  g_mutex_init (&self->lock);
  self->context = g_main_context_ref_thread_default ();
}

/**
 * confab_video_paintable_new:
 * @allow_gtk_sink: whether gtk4paintablesink may be used when installed
 *
 * Creates a paintable and the sink element that feeds it. Must be called on the thread
 * whose main context shows the frames.
 */
ConfabVideoPaintable *
confab_video_paintable_new (gboolean allow_gtk_sink)
{
  ConfabVideoPaintable *self = g_object_new (CONFAB_TYPE_VIDEO_PAINTABLE, NULL);

  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  if (allow_gtk_sink)
    self->sink = create_gtk_sink_bin (self);
  if (self->sink == NULL)
    self->sink = create_appsink_bin (self);
  if (self->sink != NULL)
    gst_object_ref_sink (self->sink);

  return self;
}

/**
 * confab_video_paintable_get_sink:
 *
 * Returns: (transfer none) (nullable): the element to link raw video into
 */
GstElement *
confab_video_paintable_get_sink (ConfabVideoPaintable *self)
{
  g_return_val_if_fail (CONFAB_IS_VIDEO_PAINTABLE (self), NULL);

  return self->sink;
}

/**
 * confab_video_paintable_get_frame_count:
 *
 * Returns: how many frames reached the sink so far
 */
guint64
confab_video_paintable_get_frame_count (ConfabVideoPaintable *self)
{
  guint64 frames;

  g_return_val_if_fail (CONFAB_IS_VIDEO_PAINTABLE (self), 0);

  g_mutex_lock (&self->lock);
  frames = self->frames;
  g_mutex_unlock (&self->lock);

  return frames;
}

/**
 * confab_video_paintable_clear:
 *
 * Drops the frame shown, so the paintable draws nothing until the next frame.
 */
void
confab_video_paintable_clear (ConfabVideoPaintable *self)
{
  g_return_if_fail (CONFAB_IS_VIDEO_PAINTABLE (self));

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->pending, gst_sample_unref);
  g_mutex_unlock (&self->lock);

  if (self->texture != NULL)
    {
      g_clear_object (&self->texture);
      gdk_paintable_invalidate_size (GDK_PAINTABLE (self));
      gdk_paintable_invalidate_contents (GDK_PAINTABLE (self));
    }
}
