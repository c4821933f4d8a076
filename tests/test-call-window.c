/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The call window shows what the call's media do: here, a microphone that cannot be used. */
#include "config.h"

#include <adwaita.h>

#include "confab-call.h"
#include "confab-call-test-devices.h"
#include "confab-call-window.h"
#include "confab-media-devices-private.h"
#include "confab-test-util.h"

static GtkWidget *
find_action_widget (GtkWidget  *widget,
                    const char *action)
{
  if (GTK_IS_ACTIONABLE (widget) &&
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0)
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_action_widget (child, action);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
test_microphone_failed (void)
{
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(GstDevice) busy = confab_call_test_device_new (CONFAB_CALL_TEST_BROKEN_MICROPHONE,
                                                           "Busy Microphone");
  g_autoptr(GstDevice) usb = confab_call_test_device_new (CONFAB_CALL_TEST_MICROPHONE,
                                                          "USB Microphone");
  g_autoptr(ConfabCall) call = NULL;
  g_autoptr(GError) error = NULL;
  ConfabCallWindow *window;
  GtkWidget *mute;

  confab_media_devices_add_device_for_testing (devices, busy);
  confab_media_devices_add_device_for_testing (devices, usb);
  confab_media_devices_set_microphone (devices, busy);

  call = confab_call_new ("call-1", "bob", CONFAB_CALL_ROLE_CALLER,
                          CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, devices, &error);
  g_assert_no_error (error);
  window = confab_call_window_new (NULL, call, "Bob");
  mute = find_action_widget (GTK_WIDGET (window), "call.mute");
  g_assert_nonnull (mute);

  /* The microphone button tells the user, in words for the screen reader too. */
  g_assert_true (gtk_widget_has_css_class (mute, "error"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (mute), ==, "Microphone Not Working");
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (mute)), ==,
                   "microphone-disabled-symbolic");

  /* Another microphone chosen in the window's devices works: the button is the mute button
   * again. */
  confab_media_devices_set_microphone (devices, usb);
  g_assert_false (gtk_widget_has_css_class (mute, "error"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (mute), ==, "Mute Microphone");
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (mute)), ==,
                   "audio-input-microphone-symbolic");

  confab_call_hangup (call);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  confab_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  gst_init (&argc, &argv);

  g_test_add_func ("/confab/call-window/microphone-failed", test_microphone_failed);

  ret = confab_test_run ();
  /* OpenSSL frees its locks at exit: the DTLS certificate must be made by then. */
  confab_call_warm_up_wait ();
  return ret;
}
