/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The call devices chosen by the user are kept in the settings and chosen again at the next
 * start, also when the device comes later than the start (plugged in, or found late). */
#include "config.h"

#include <gio/gio.h>
#include <gst/gst.h>

#include "confab-media-devices-private.h"

/* A device as a device provider would report it; tests have no real ones. */
#define TEST_TYPE_DEVICE (test_device_get_type ())
G_DECLARE_FINAL_TYPE (TestDevice, test_device, TEST, DEVICE, GstDevice)

struct _TestDevice
{
  GstDevice parent_instance;
};

G_DEFINE_FINAL_TYPE (TestDevice, test_device, GST_TYPE_DEVICE)

static GstElement *
test_device_create_element (GstDevice  *device,
                            const char *name)
{
  return gst_element_factory_make ("videotestsrc", name);
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

static GstDevice *
camera_new (const char *name,
            const char *path)
{
  g_autoptr(GstStructure) props = gst_structure_new ("props", "api.v4l2.path", G_TYPE_STRING,
                                                     path, NULL);

  return g_object_new (TEST_TYPE_DEVICE, "display-name", name, "device-class", "Video/Source",
                       "properties", props, NULL);
}

static ConfabMediaDevices *
devices_with_settings (GSettings *settings)
{
  ConfabMediaDevices *devices = confab_media_devices_new_for_testing (TRUE);

  g_settings_bind (settings, "camera", devices, "camera-id", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "microphone", devices, "microphone-id", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "speaker", devices, "speaker-id", G_SETTINGS_BIND_DEFAULT);
  return devices;
}

static void
test_choice_kept (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(ConfabMediaDevices) first = devices_with_settings (settings);
  g_autoptr(ConfabMediaDevices) second = NULL;
  g_autoptr(GstDevice) builtin = camera_new ("Integrated Camera", "/dev/video0");
  g_autoptr(GstDevice) usb = camera_new ("USB Camera", "/dev/video2");
  g_autoptr(GstDevice) builtin2 = camera_new ("Integrated Camera", "/dev/video0");
  g_autoptr(GstDevice) usb2 = camera_new ("USB Camera", "/dev/video2");
  g_autofree char *saved = NULL;

  g_assert_cmpstr (g_settings_get_string (settings, "camera"), ==, "");

  /* The user picks the USB camera: the settings keep it by a stable name. */
  confab_media_devices_add_device_for_testing (first, builtin);
  confab_media_devices_add_device_for_testing (first, usb);
  g_assert_null (confab_media_devices_get_camera (first));
  confab_media_devices_set_camera (first, usb);
  saved = g_settings_get_string (settings, "camera");
  g_assert_cmpstr (saved, ==, "api.v4l2.path=/dev/video2");

  /* Unplugged, the default is used; the choice stays. */
  confab_media_devices_remove_device_for_testing (first, usb);
  g_assert_null (confab_media_devices_get_camera (first));
  g_assert_cmpstr (g_settings_get_string (settings, "camera"), ==, saved);
  g_clear_object (&first);

  /* The next start: the devices show up one by one, and the USB camera is chosen again. */
  second = devices_with_settings (settings);
  confab_media_devices_add_device_for_testing (second, builtin2);
  g_assert_null (confab_media_devices_get_camera (second));
  confab_media_devices_add_device_for_testing (second, usb2);
  g_assert_true (confab_media_devices_get_camera (second) == usb2);

  /* Back to the default. */
  confab_media_devices_set_camera (second, NULL);
  g_assert_cmpstr (g_settings_get_string (settings, "camera"), ==, "");
}

static void
test_choice_from_settings (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(ConfabMediaDevices) devices = devices_with_settings (settings);
  g_autoptr(GstDevice) usb = camera_new ("USB Camera", "/dev/video2");

  /* A choice made elsewhere (another window, dconf) applies to a device already there. */
  confab_media_devices_add_device_for_testing (devices, usb);
  g_settings_set_string (settings, "camera", "api.v4l2.path=/dev/video2");
  g_assert_true (confab_media_devices_get_camera (devices) == usb);
  g_settings_set_string (settings, "camera", "");
  g_assert_null (confab_media_devices_get_camera (devices));
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/client/media-devices/choice-kept", test_choice_kept);
  g_test_add_func ("/confab/client/media-devices/choice-from-settings",
                   test_choice_from_settings);

  return g_test_run ();
}
