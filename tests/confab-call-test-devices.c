/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-call-private.h"
#include "confab-call-test-devices.h"

#include <string.h>

/* Devices as a device provider would report them (tests have no real ones). Each makes the
 * element of its kind, marked with the device, so a test can tell which one a call uses. */

/* A microphone that cannot be opened: busy, missing, or no sound server. */
#define TEST_TYPE_BROKEN_SOURCE (test_broken_source_get_type ())
G_DECLARE_FINAL_TYPE (TestBrokenSource, test_broken_source, TEST, BROKEN_SOURCE, GstElement)

struct _TestBrokenSource
{
  GstElement parent_instance;
};

G_DEFINE_FINAL_TYPE (TestBrokenSource, test_broken_source, GST_TYPE_ELEMENT)

static GstStaticPadTemplate broken_src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("audio/x-raw"));

static GstStateChangeReturn
test_broken_source_change_state (GstElement     *element,
                                 GstStateChange  transition)
{
  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    {
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ, ("The microphone is in use"), (NULL));
      return GST_STATE_CHANGE_FAILURE;
    }

  return GST_ELEMENT_CLASS (test_broken_source_parent_class)->change_state (element, transition);
}

static void
test_broken_source_class_init (TestBrokenSourceClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  element_class->change_state = test_broken_source_change_state;
  gst_element_class_add_static_pad_template (element_class, &broken_src_template);
  gst_element_class_set_static_metadata (element_class, "Broken microphone", "Source/Audio",
                                         "Never opens", "Confab");
}

static void
test_broken_source_init (TestBrokenSource *self)
{
  gst_element_add_pad (GST_ELEMENT (self),
                       gst_pad_new_from_static_template (&broken_src_template, "src"));
}

#define TEST_TYPE_DEVICE (test_device_get_type ())
G_DECLARE_FINAL_TYPE (TestDevice, test_device, TEST, DEVICE, GstDevice)

struct _TestDevice
{
  GstDevice      parent_instance;
  ConfabCallTestDeviceKind kind;
  gint           buffers;   /* reached the speaker, atomic */
};

G_DEFINE_FINAL_TYPE (TestDevice, test_device, GST_TYPE_DEVICE)

static void
on_speaker_handoff (GstElement *sink,
                    GstBuffer  *buffer,
                    GstPad     *pad,
                    gpointer    user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

static GstElement *
test_device_create_element (GstDevice  *device,
                            const char *name)
{
  TestDevice *self = TEST_DEVICE (device);
  GstElement *element = NULL;

  switch (self->kind)
    {
    case CONFAB_CALL_TEST_MICROPHONE:
      element = gst_element_factory_make ("audiotestsrc", name);
      g_object_set (element, "is-live", TRUE, "samplesperbuffer", 960, NULL);
      break;

    case CONFAB_CALL_TEST_BROKEN_MICROPHONE:
      element = g_object_new (TEST_TYPE_BROKEN_SOURCE, "name", name, NULL);
      break;

    case CONFAB_CALL_TEST_CAMERA:
      element = gst_element_factory_make ("videotestsrc", name);
      g_object_set (element, "is-live", TRUE, NULL);
      break;

    case CONFAB_CALL_TEST_SPEAKER:
      element = gst_element_factory_make ("fakesink", name);
      g_object_set (element, "sync", FALSE, "async", FALSE, "signal-handoffs", TRUE, NULL);
      g_signal_connect (element, "handoff", G_CALLBACK (on_speaker_handoff), &self->buffers);
      break;

    default:
      g_assert_not_reached ();
    }

  g_object_set_data (G_OBJECT (element), "test-device", device);
  return element;
}

static void
test_device_class_init (TestDeviceClass *klass)
{
  GST_DEVICE_CLASS (klass)->create_element = test_device_create_element;
}

static void
test_device_init (TestDevice *self)
{
}

GstDevice *
confab_call_test_device_new (ConfabCallTestDeviceKind  kind,
                             const char               *name)
{
  static const char * const classes[] = {
    [CONFAB_CALL_TEST_MICROPHONE] = "Audio/Source",
    [CONFAB_CALL_TEST_BROKEN_MICROPHONE] = "Audio/Source",
    [CONFAB_CALL_TEST_CAMERA] = "Video/Source",
    [CONFAB_CALL_TEST_SPEAKER] = "Audio/Sink",
  };
  TestDevice *device = g_object_new (TEST_TYPE_DEVICE, "display-name", name,
                                     "device-class", classes[kind], NULL);

  device->kind = kind;
  return GST_DEVICE (device);
}

/* The device whose element @call's pipeline holds under @name, or NULL. */
GstDevice *
confab_call_test_device_in_use (ConfabCall *call,
                                const char *name)
{
  g_autoptr(GstElement) element = gst_bin_get_by_name (GST_BIN (confab_call_get_pipeline (call)),
                                                       name);

  return element != NULL ? g_object_get_data (G_OBJECT (element), "test-device") : NULL;
}

/* Buffers that reached a speaker's sink so far. */
guint
confab_call_test_device_get_buffers (GstDevice *device)
{
  return (guint) g_atomic_int_get (&TEST_DEVICE (device)->buffers);
}

char *
confab_call_test_refuse_media (const char *sdp,
                               const char *media,
                               guint      *mline)
{
  g_auto(GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  g_autofree char *prefix = g_strdup_printf ("m=%s ", media);
  GString *out = g_string_new (NULL);
  gint index = -1;
  gboolean found = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "m="))
        index++;
      if (!found && g_str_has_prefix (lines[i], prefix))
        {
          const char *rest = strchr (lines[i] + strlen (prefix), ' ');

          g_assert_nonnull (rest);
          g_string_append_printf (out, "%s0%s", prefix, rest);
          *mline = index;
          found = TRUE;
        }
      else
        g_string_append (out, lines[i]);
      if (lines[i + 1] != NULL)
        g_string_append (out, "\r\n");
    }

  g_assert_true (found);
  return g_string_free (out, FALSE);
}
