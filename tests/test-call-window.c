/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The call window shows what the call's media do: a microphone that cannot be used, a medium
 * the peer refused. */
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

static GtkWidget *
find_css_class (GtkWidget  *widget,
                const char *css_class)
{
  if (gtk_widget_has_css_class (widget, css_class))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_css_class (child, css_class);

      if (found != NULL)
        return found;
    }

  return NULL;
}

typedef struct
{
  ConfabCall *peer;
  const char *refuse;
  gboolean    answered;
} Relay;

/* Only the descriptions go across: the window reacts to the answer itself. */
static void
on_relay_description (ConfabCall *call,
                      const char *type,
                      const char *sdp,
                      Relay      *relay)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *refused = NULL;
  guint mline = 0;

  if (relay->refuse != NULL)
    sdp = refused = confab_call_test_refuse_media (sdp, relay->refuse, &mline);
  g_assert_true (confab_call_set_remote_description (relay->peer, type, sdp, &error));
  g_assert_no_error (error);
  relay->answered = g_str_equal (type, "answer");
}

static void
test_refused (gconstpointer data)
{
  const char *refuse = data;
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(ConfabCall) call = NULL;
  g_autoptr(ConfabCall) peer = NULL;
  g_autoptr(GError) error = NULL;
  Relay to_peer = { NULL, NULL, FALSE };
  Relay to_call = { NULL, refuse, FALSE };
  ConfabCallWindow *window;
  GtkWidget *notice;

  call = confab_call_new ("call-2", "bob", CONFAB_CALL_ROLE_CALLER,
                          CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, devices, &error);
  g_assert_no_error (error);
  peer = confab_call_new ("call-2", "alice", CONFAB_CALL_ROLE_CALLEE,
                          CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, devices, &error);
  g_assert_no_error (error);
  to_peer.peer = peer;
  to_call.peer = call;
  g_signal_connect (call, "local-description", G_CALLBACK (on_relay_description), &to_peer);
  g_signal_connect (peer, "local-description", G_CALLBACK (on_relay_description), &to_call);

  window = confab_call_window_new (NULL, call, "Bob");
  notice = find_css_class (GTK_WIDGET (window), "call-notice");
  g_assert_nonnull (notice);
  g_assert_false (gtk_widget_get_visible (notice));

  confab_call_start (call);
  g_assert_true (confab_test_wait_flag (&to_call.answered, CONFAB_TEST_TIMEOUT_MS));

  /* Said in words, which medium, for as long as the call lasts. */
  g_assert_true (gtk_widget_get_visible (notice));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (notice)), ==,
                   g_str_equal (refuse, "audio") ? "Bob’s app refused audio: video only"
                                                 : "Bob’s app refused video: audio only");
  g_assert_cmpint (confab_call_get_state (call), !=, CONFAB_CALL_STATE_ENDED);

  confab_call_hangup (call);
  g_assert_false (gtk_widget_get_visible (notice));
  confab_call_hangup (peer);
  g_signal_handlers_disconnect_by_data (call, &to_peer);
  g_signal_handlers_disconnect_by_data (peer, &to_call);
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
  g_test_add_data_func ("/confab/call-window/refused-audio", "audio", test_refused);
  g_test_add_data_func ("/confab/call-window/refused-video", "video", test_refused);

  ret = confab_test_run ();
  /* OpenSSL frees its locks at exit: the DTLS certificate must be made by then. */
  confab_call_warm_up_wait ();
  return ret;
}
