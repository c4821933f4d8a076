/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-call"

#include "config.h"

#include "confab-call.h"
#include "confab-call-private.h"
#include "confab-call-test-devices.h"
#include "confab-media-devices-private.h"
#include "confab-engine-test-util.h"

#include <gdk/gdk.h>
#include <gst/gst.h>
#include <string.h>

/* Two calls wired to each other the way the server would relay their signalling, running
 * real webrtcbin pipelines over loopback with test sources. */

/* Deadlines, not targets (those are in docs/benchmarks.md): generous enough for a loaded
 * machine running other suites at the same time. */
#define MEDIA_TIMEOUT_MS 15000
#define LOST_TIMEOUT_MS  10000

typedef struct
{
  ConfabCall *call;
  ConfabCall *peer;
  guint       reconnecting;
  const char *refuse;          /* this side answers with that medium's line rejected */
  gint       *refused_mline;   /* shared by both wires: candidates for it are not passed */
} Wire;

typedef struct
{
  ConfabMediaDevices *devices;
  ConfabCall         *caller;
  ConfabCall         *callee;
  Wire                to_callee;
  Wire                to_caller;
} Fixture;

/* Wiring */

static void
on_local_description (ConfabCall *call,
                      const char *type,
                      const char *sdp,
                      Wire       *wire)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_str_has_prefix (sdp, "v=0"));
  /* Bundled media race inside GStreamer 1.22's RTP session (see build_pipeline() in
   * confab-call-pipeline.c). */
  g_assert_null (strstr (sdp, "a=group:BUNDLE"));
  if (wire->refuse != NULL && g_str_equal (type, "answer"))
    {
      guint mline = 0;
      g_autofree char *refused = confab_call_test_refuse_media (sdp, wire->refuse, &mline);

      *wire->refused_mline = (gint) mline;
      g_assert_true (confab_call_set_remote_description (wire->peer, type, refused, &error));
    }
  else
    g_assert_true (confab_call_set_remote_description (wire->peer, type, sdp, &error));
  g_assert_no_error (error);
}

static void
on_local_ice (ConfabCall *call,
              const char *candidate,
              guint       mline,
              Wire       *wire)
{
  g_autoptr(GError) error = NULL;

  /* A rejected line has no transport: neither side gathers for it. */
  if (wire->refused_mline != NULL && *wire->refused_mline == (gint) mline)
    return;
  g_assert_true (confab_call_add_remote_ice (wire->peer, candidate, mline, &error));
  g_assert_no_error (error);
}

static void
on_state_changed (ConfabCall      *call,
                  ConfabCallState  state,
                  Wire            *wire)
{
  if (state == CONFAB_CALL_STATE_RECONNECTING)
    wire->reconnecting++;
}

static void
wire_up (Wire       *wire,
         ConfabCall *call,
         ConfabCall *peer)
{
  wire->call = call;
  wire->peer = peer;
  g_signal_connect (call, "local-description", G_CALLBACK (on_local_description), wire);
  g_signal_connect (call, "local-ice", G_CALLBACK (on_local_ice), wire);
  g_signal_connect (call, "state-changed", G_CALLBACK (on_state_changed), wire);
}

/* The caller uses @caller_devices (kept as fixture->devices), the callee test devices. */
static void
fixture_set_up_with_devices (Fixture            *fixture,
                             ConfabCallMedia     media,
                             ConfabMediaDevices *caller_devices,
                             gboolean            callee_camera)
{
  g_autoptr(ConfabMediaDevices) callee_devices = NULL;
  g_autoptr(GError) error = NULL;

  fixture->devices = g_object_ref (caller_devices);
  callee_devices = confab_media_devices_new_for_testing (callee_camera);

  fixture->caller = confab_call_new ("call-1", "bob", CONFAB_CALL_ROLE_CALLER, media,
                                     fixture->devices, &error);
  g_assert_no_error (error);
  fixture->callee = confab_call_new ("call-1", "alice", CONFAB_CALL_ROLE_CALLEE, media,
                                     callee_devices, &error);
  g_assert_no_error (error);

  g_assert_cmpint (confab_call_get_state (fixture->caller), ==, CONFAB_CALL_STATE_NEW);
  wire_up (&fixture->to_callee, fixture->caller, fixture->callee);
  wire_up (&fixture->to_caller, fixture->callee, fixture->caller);
}

static void
fixture_set_up_full (Fixture          *fixture,
                     ConfabCallMedia   media,
                     gboolean          caller_camera,
                     gboolean          callee_camera)
{
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (caller_camera);

  fixture_set_up_with_devices (fixture, media, devices, callee_camera);
}

static void
fixture_set_up (Fixture          *fixture,
                ConfabCallMedia   media,
                gboolean          callee_camera)
{
  fixture_set_up_full (fixture, media, TRUE, callee_camera);
}

static void
fixture_tear_down (Fixture *fixture)
{
  g_signal_handlers_disconnect_by_data (fixture->caller, &fixture->to_callee);
  g_signal_handlers_disconnect_by_data (fixture->callee, &fixture->to_caller);
  g_clear_object (&fixture->caller);
  g_clear_object (&fixture->callee);
  g_clear_object (&fixture->devices);
}

static gboolean
both_connected (gpointer user_data)
{
  Fixture *fixture = user_data;

  return confab_call_get_state (fixture->caller) == CONFAB_CALL_STATE_CONNECTED &&
         confab_call_get_state (fixture->callee) == CONFAB_CALL_STATE_CONNECTED;
}

static gboolean
media_both_ways (gpointer user_data)
{
  Fixture *fixture = user_data;

  return confab_call_get_video_frames_received (fixture->caller) > 0 &&
         confab_call_get_video_frames_received (fixture->callee) > 0 &&
         confab_call_get_audio_buffers_received (fixture->caller) > 0 &&
         confab_call_get_audio_buffers_received (fixture->callee) > 0;
}

static gboolean
audio_both_ways (gpointer user_data)
{
  Fixture *fixture = user_data;

  return confab_call_get_audio_buffers_received (fixture->caller) > 0 &&
         confab_call_get_audio_buffers_received (fixture->callee) > 0;
}

static void
start_and_wait (Fixture             *fixture,
                EngineTestCondition  media)
{
  confab_call_start (fixture->caller);
  g_assert_cmpint (confab_call_get_state (fixture->caller), ==, CONFAB_CALL_STATE_CONNECTING);
  g_assert_true (engine_test_wait (media, fixture, MEDIA_TIMEOUT_MS));
  g_assert_true (engine_test_wait (both_connected, fixture, MEDIA_TIMEOUT_MS));
}

static guint64
received_count (ConfabCall *call,
                gboolean    video)
{
  return video ? confab_call_get_video_frames_received (call)
               : confab_call_get_audio_buffers_received (call);
}

typedef struct
{
  ConfabCall *call;
  guint64     since;
  gboolean    video;
} Counter;

static gboolean
counter_grew (gpointer user_data)
{
  Counter *counter = user_data;

  return received_count (counter->call, counter->video) > counter->since + 5;
}

static void
assert_flowing (ConfabCall *call,
                gboolean    video)
{
  Counter counter = { call, received_count (call, video), video };

  g_assert_true (engine_test_wait (counter_grew, &counter, MEDIA_TIMEOUT_MS));
}

static void
assert_stopped (ConfabCall *call,
                gboolean    video)
{
  gint64 deadline = g_get_monotonic_time () + ENGINE_TEST_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  guint64 last = received_count (call, video);
  guint quiet = 0;

  /* What was already on its way may arrive late on a busy machine: wait until the count has
   * not moved for a second (media flowing moves it many times a second), within the
   * deadline. */
  while (quiet < 4)
    {
      guint64 now;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      engine_test_run_for (250);
      now = received_count (call, video);
      quiet = now == last ? quiet + 1 : 0;
      last = now;
    }
}

static gboolean
is_ended (gpointer user_data)
{
  return confab_call_get_state (user_data) == CONFAB_CALL_STATE_ENDED;
}

/* Tests */

static void
test_call_media_flows (void)
{
  Fixture fixture = { NULL, };
  GdkPaintable *remote;

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, TRUE);
  start_and_wait (&fixture, media_both_ways);

  g_assert_true (confab_call_get_camera_on (fixture.caller));
  g_assert_true (confab_call_get_camera_on (fixture.callee));
  g_assert_null (confab_call_get_end_reason (fixture.caller));

  /* Frames reach the paintables at their real size. */
  assert_flowing (fixture.caller, TRUE);
  remote = confab_call_get_remote_video (fixture.caller);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (remote), ==, 640);
  g_assert_cmpint (gdk_paintable_get_intrinsic_height (remote), ==, 480);
  g_assert_cmpint (gdk_paintable_get_intrinsic_width (confab_call_get_local_video (fixture.callee)),
                   ==, 640);

  fixture_tear_down (&fixture);
}

static void
on_ended_relay (ConfabCall *call,
                const char *reason,
                ConfabCall *peer)
{
  confab_call_end (peer, reason);
}

static void
on_ended_record (ConfabCall *call,
                 const char *reason,
                 char      **out)
{
  g_assert_null (*out);
  *out = g_strdup (reason);
}

static void
test_call_hangup (void)
{
  Fixture fixture = { NULL, };
  g_autofree char *caller_reason = NULL;
  g_autofree char *callee_reason = NULL;

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, TRUE);
  start_and_wait (&fixture, media_both_ways);

  /* What the server does with call_hangup: call_ended to the other side. */
  g_signal_connect (fixture.caller, "ended", G_CALLBACK (on_ended_relay), fixture.callee);
  g_signal_connect (fixture.caller, "ended", G_CALLBACK (on_ended_record), &caller_reason);
  g_signal_connect (fixture.callee, "ended", G_CALLBACK (on_ended_record), &callee_reason);

  confab_call_hangup (fixture.caller);

  g_assert_cmpint (confab_call_get_state (fixture.caller), ==, CONFAB_CALL_STATE_ENDED);
  g_assert_cmpint (confab_call_get_state (fixture.callee), ==, CONFAB_CALL_STATE_ENDED);
  g_assert_cmpstr (caller_reason, ==, "hangup");
  g_assert_cmpstr (callee_reason, ==, "hangup");
  g_assert_cmpstr (confab_call_get_end_reason (fixture.callee), ==, "hangup");
  g_assert_false (confab_call_get_camera_on (fixture.caller));

  /* Ending twice changes nothing, and late signalling is ignored. */
  confab_call_hangup (fixture.callee);
  g_assert_cmpstr (confab_call_get_end_reason (fixture.callee), ==, "hangup");
  g_assert_true (confab_call_add_remote_ice (fixture.callee, "candidate:1 1 UDP 1 127.0.0.1 9 typ host",
                                             0, NULL));

  g_signal_handlers_disconnect_by_func (fixture.caller, on_ended_relay, fixture.callee);
  fixture_tear_down (&fixture);
}

static void
test_call_mute (void)
{
  Fixture fixture = { NULL, };

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, TRUE);
  start_and_wait (&fixture, media_both_ways);

  confab_call_set_muted (fixture.caller, TRUE);
  g_assert_true (confab_call_get_muted (fixture.caller));
  assert_stopped (fixture.callee, FALSE);
  /* Only audio stops, only in that direction. */
  assert_flowing (fixture.callee, TRUE);
  assert_flowing (fixture.caller, FALSE);

  g_object_set (fixture.caller, "muted", FALSE, NULL);
  assert_flowing (fixture.callee, FALSE);

  fixture_tear_down (&fixture);
}

static void
test_call_camera_off (void)
{
  Fixture fixture = { NULL, };

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, TRUE);
  start_and_wait (&fixture, media_both_ways);

  confab_call_set_camera_enabled (fixture.callee, FALSE);
  g_assert_false (confab_call_get_camera_on (fixture.callee));
  assert_stopped (fixture.caller, TRUE);
  assert_flowing (fixture.caller, FALSE);
  assert_flowing (fixture.callee, TRUE);

  /* Back on, the decoder starts again from a key frame. */
  confab_call_set_camera_enabled (fixture.callee, TRUE);
  g_assert_true (confab_call_get_camera_on (fixture.callee));
  assert_flowing (fixture.caller, TRUE);

  fixture_tear_down (&fixture);
}

static void
test_call_silent_stays_connected (void)
{
  Fixture fixture = { NULL, };

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, TRUE);
  start_and_wait (&fixture, media_both_ways);

  /* Nothing but RTCP goes either way: that must not look like a lost connection. */
  confab_call_set_muted (fixture.caller, TRUE);
  confab_call_set_camera_enabled (fixture.caller, FALSE);
  confab_call_set_muted (fixture.callee, TRUE);
  confab_call_set_camera_enabled (fixture.callee, FALSE);
  engine_test_run_for (9000);

  g_assert_cmpint (confab_call_get_state (fixture.caller), ==, CONFAB_CALL_STATE_CONNECTED);
  g_assert_cmpint (confab_call_get_state (fixture.callee), ==, CONFAB_CALL_STATE_CONNECTED);
  g_assert_cmpuint (fixture.to_callee.reconnecting, ==, 0);
  g_assert_cmpuint (fixture.to_caller.reconnecting, ==, 0);
  g_assert_cmpuint (confab_call_get_duration (fixture.caller), >=, 9);

  fixture_tear_down (&fixture);
}

static void
test_call_peer_lost (void)
{
  Fixture fixture = { NULL, };
  g_autofree char *reason = NULL;
  gint64 lost_at;

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, TRUE);
  start_and_wait (&fixture, media_both_ways);
  g_signal_connect (fixture.caller, "ended", G_CALLBACK (on_ended_record), &reason);

  /* The peer's process dies: no hangup, nothing more on the wire. */
  lost_at = g_get_monotonic_time ();
  gst_element_set_state (confab_call_get_pipeline (fixture.callee), GST_STATE_NULL);

  g_assert_true (engine_test_wait (is_ended, fixture.caller, LOST_TIMEOUT_MS));
  g_assert_cmpstr (reason, ==, "connection_lost");
  g_assert_cmpuint (fixture.to_callee.reconnecting, ==, 1);
  g_test_message ("connection lost noticed after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - lost_at) / 1000);

  fixture_tear_down (&fixture);
}

static void
test_call_audio_only (void)
{
  Fixture fixture = { NULL, };

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO, TRUE);
  start_and_wait (&fixture, audio_both_ways);

  assert_flowing (fixture.caller, FALSE);
  assert_flowing (fixture.callee, FALSE);
  g_assert_cmpuint (confab_call_get_video_frames_received (fixture.caller), ==, 0);
  g_assert_cmpuint (confab_call_get_video_frames_received (fixture.callee), ==, 0);
  g_assert_false (confab_call_get_camera_on (fixture.caller));

  /* Turning on a camera the call does not carry does nothing. */
  confab_call_set_camera_enabled (fixture.caller, TRUE);
  g_assert_false (confab_call_get_camera_on (fixture.caller));

  fixture_tear_down (&fixture);
}

/* The peer answers with one media line rejected (port 0), as a browser does with a codec it
 * cannot take: the other medium goes on both ways, and the call says what was refused. */

static gboolean
is_connected (gpointer user_data)
{
  return confab_call_get_state (user_data) == CONFAB_CALL_STATE_CONNECTED;
}

static gboolean
video_both_ways (gpointer user_data)
{
  Fixture *fixture = user_data;

  return confab_call_get_video_frames_received (fixture->caller) > 0 &&
         confab_call_get_video_frames_received (fixture->callee) > 0;
}

static void
test_call_peer_refuses (gconstpointer data)
{
  const char *refuse = data;
  gboolean audio_refused = g_str_equal (refuse, "audio");
  Fixture fixture = { NULL, };
  gint refused_mline = -1;
  g_autofree char *reason = NULL;

  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, TRUE);
  fixture.to_caller.refuse = refuse;
  fixture.to_caller.refused_mline = &refused_mline;
  fixture.to_callee.refused_mline = &refused_mline;
  g_signal_connect (fixture.caller, "ended", G_CALLBACK (on_ended_record), &reason);

  /* The callee here is webrtcbin told nothing of its own refusal: it waits for a transport of
   * the refused line that the caller does not use, and stays connecting. A peer that really
   * refuses a line has no transport for it. What counts is the caller's side. */
  confab_call_start (fixture.caller);
  g_assert_true (engine_test_wait (audio_refused ? video_both_ways : audio_both_ways, &fixture,
                                   MEDIA_TIMEOUT_MS));
  g_assert_true (engine_test_wait (is_connected, fixture.caller, MEDIA_TIMEOUT_MS));
  g_assert_cmpint (refused_mline, ==, audio_refused ? 0 : 1);
  g_assert_cmpuint (confab_call_get_refused_media (fixture.caller), ==,
                    audio_refused ? CONFAB_CALL_MEDIA_AUDIO : CONFAB_CALL_MEDIA_VIDEO);
  g_assert_cmpuint (confab_call_get_refused_media (fixture.callee), ==, CONFAB_CALL_MEDIA_NONE);

  /* It keeps going: no media error, and the other medium still flows. */
  assert_flowing (fixture.caller, audio_refused);
  assert_flowing (fixture.callee, audio_refused);
  engine_test_run_for (1000);
  g_assert_null (reason);
  g_assert_cmpint (confab_call_get_state (fixture.caller), ==, CONFAB_CALL_STATE_CONNECTED);
  g_assert_cmpuint (audio_refused ? confab_call_get_audio_buffers_received (fixture.caller)
                                  : confab_call_get_video_frames_received (fixture.caller),
                    ==, 0);

  g_signal_handlers_disconnect_by_func (fixture.caller, on_ended_record, &reason);
  fixture_tear_down (&fixture);
}

static gboolean
callee_sees_video_and_audio_flows (gpointer user_data)
{
  Fixture *fixture = user_data;

  return confab_call_get_video_frames_received (fixture->callee) > 0 &&
         audio_both_ways (fixture);
}

static void
test_call_no_camera (void)
{
  Fixture fixture = { NULL, };

  /* A video call answered on a machine without a camera: audio both ways, video one way. */
  fixture_set_up (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, FALSE);
  start_and_wait (&fixture, callee_sees_video_and_audio_flows);

  g_assert_false (confab_call_get_camera_on (fixture.callee));
  g_assert_true (confab_call_get_camera_on (fixture.caller));
  engine_test_run_for (500);
  g_assert_cmpuint (confab_call_get_video_frames_received (fixture.caller), ==, 0);

  fixture_tear_down (&fixture);
}

static gboolean
caller_sees_video_and_audio_flows (gpointer user_data)
{
  Fixture *fixture = user_data;

  return confab_call_get_video_frames_received (fixture->caller) > 0 &&
         audio_both_ways (fixture);
}

static void
test_call_caller_no_camera (void)
{
  Fixture fixture = { NULL, };

  /* The caller has no camera: its offer only receives video, and still gets it. */
  fixture_set_up_full (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, FALSE, TRUE);
  start_and_wait (&fixture, caller_sees_video_and_audio_flows);

  g_assert_false (confab_call_get_camera_on (fixture.caller));
  g_assert_true (confab_call_get_camera_on (fixture.callee));
  engine_test_run_for (500);
  g_assert_cmpuint (confab_call_get_video_frames_received (fixture.callee), ==, 0);

  fixture_tear_down (&fixture);
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static void
test_call_microphone_fails (void)
{
  Fixture fixture = { NULL, };
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(GstDevice) busy = confab_call_test_device_new (CONFAB_CALL_TEST_BROKEN_MICROPHONE,
                                                           "Busy Microphone");
  g_autoptr(GstDevice) usb = confab_call_test_device_new (CONFAB_CALL_TEST_MICROPHONE,
                                                          "USB Microphone");
  guint notified = 0;

  confab_media_devices_add_device_for_testing (devices, busy);
  confab_media_devices_add_device_for_testing (devices, usb);
  confab_media_devices_set_microphone (devices, busy);

  /* The caller's microphone cannot be opened: the call still starts, both videos flow, the
   * peer hears silence, and the caller's side says the microphone failed. */
  fixture_set_up_with_devices (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO,
                               devices, TRUE);
  g_assert_true (confab_call_get_microphone_failed (fixture.caller));
  g_assert_false (confab_call_get_microphone_failed (fixture.callee));
  start_and_wait (&fixture, media_both_ways);
  assert_flowing (fixture.caller, TRUE);
  assert_flowing (fixture.callee, TRUE);
  g_assert_true (confab_call_get_camera_on (fixture.caller));

  /* Another microphone chosen during the call takes over at once. */
  g_signal_connect (fixture.caller, "notify::microphone-failed", G_CALLBACK (on_notify_count),
                    &notified);
  confab_media_devices_set_microphone (devices, usb);
  g_assert_false (confab_call_get_microphone_failed (fixture.caller));
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (confab_call_test_device_in_use (fixture.caller, "microphone") == usb);
  assert_flowing (fixture.callee, FALSE);

  /* Back to the one that cannot be opened: said again, and the call goes on. */
  confab_media_devices_set_microphone (devices, busy);
  g_assert_true (confab_call_get_microphone_failed (fixture.caller));
  g_assert_cmpuint (notified, ==, 2);
  assert_flowing (fixture.callee, FALSE);
  assert_flowing (fixture.caller, TRUE);
  g_assert_cmpint (confab_call_get_state (fixture.caller), ==, CONFAB_CALL_STATE_CONNECTED);

  g_signal_handlers_disconnect_by_func (fixture.caller, on_notify_count, &notified);
  fixture_tear_down (&fixture);
}

static gboolean
speaker_plays (gpointer user_data)
{
  return confab_call_test_device_get_buffers (user_data) > 5;
}

static void
test_call_devices_change (void)
{
  Fixture fixture = { NULL, };
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(GstDevice) camera = confab_call_test_device_new (CONFAB_CALL_TEST_CAMERA,
                                                             "USB Camera");
  g_autoptr(GstDevice) microphone = confab_call_test_device_new (CONFAB_CALL_TEST_MICROPHONE,
                                                                 "Headset Microphone");
  g_autoptr(GstDevice) speaker = confab_call_test_device_new (CONFAB_CALL_TEST_SPEAKER,
                                                              "Headset");
  g_autoptr(GstDevice) speaker2 = confab_call_test_device_new (CONFAB_CALL_TEST_SPEAKER,
                                                               "Speakers");

  confab_media_devices_add_device_for_testing (devices, camera);
  confab_media_devices_add_device_for_testing (devices, microphone);
  confab_media_devices_add_device_for_testing (devices, speaker);
  confab_media_devices_add_device_for_testing (devices, speaker2);

  fixture_set_up_with_devices (&fixture, CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO,
                               devices, TRUE);
  start_and_wait (&fixture, media_both_ways);
  g_assert_null (confab_call_test_device_in_use (fixture.caller, "camera"));
  g_assert_null (confab_call_test_device_in_use (fixture.caller, "microphone"));

  /* Each device chosen during the call is used at once, and media keeps flowing. */
  confab_media_devices_set_camera (devices, camera);
  g_assert_true (confab_call_test_device_in_use (fixture.caller, "camera") == camera);
  g_assert_true (confab_call_get_camera_on (fixture.caller));
  assert_flowing (fixture.callee, TRUE);

  confab_media_devices_set_microphone (devices, microphone);
  g_assert_true (confab_call_test_device_in_use (fixture.caller, "microphone") == microphone);
  g_assert_false (confab_call_get_microphone_failed (fixture.caller));
  assert_flowing (fixture.callee, FALSE);

  confab_media_devices_set_speaker (devices, speaker);
  g_assert_true (engine_test_wait (speaker_plays, speaker, MEDIA_TIMEOUT_MS));
  confab_media_devices_set_speaker (devices, speaker2);
  g_assert_true (engine_test_wait (speaker_plays, speaker2, MEDIA_TIMEOUT_MS));

  /* The one let go plays nothing more. */
  {
    guint before = confab_call_test_device_get_buffers (speaker);

    engine_test_run_for (500);
    g_assert_cmpuint (confab_call_test_device_get_buffers (speaker), ==, before);
  }
  assert_flowing (fixture.caller, FALSE);
  assert_flowing (fixture.caller, TRUE);

  fixture_tear_down (&fixture);
}

static void
test_call_bad_signalling (void)
{
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(ConfabCall) callee = NULL;
  g_autoptr(GError) error = NULL;

  callee = confab_call_new ("call-2", "alice", CONFAB_CALL_ROLE_CALLEE, CONFAB_CALL_MEDIA_AUDIO,
                            devices, &error);
  g_assert_no_error (error);

  g_assert_false (confab_call_set_remote_description (callee, "offer", "not sdp", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (confab_call_set_remote_description (callee, "answer", "v=0\r\n", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (confab_call_set_remote_description (callee, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (confab_call_add_remote_ice (callee, "candidate:1", 4000, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_false (confab_call_add_remote_ice (callee, "candidate:1\nx", 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Before the offer, candidates wait. */
  g_assert_true (confab_call_add_remote_ice (callee, "candidate:1 1 UDP 1 127.0.0.1 9 typ host",
                                             0, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_call_get_state (callee), ==, CONFAB_CALL_STATE_NEW);
}

static void
test_call_ice_servers (void)
{
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(ConfabCall) call = NULL;
  g_autoptr(JsonNode) good = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stun = NULL;
  GstElement *webrtc;

  call = confab_call_new ("call-3", "bob", CONFAB_CALL_ROLE_CALLER, CONFAB_CALL_MEDIA_AUDIO,
                          devices, &error);
  g_assert_no_error (error);

  good = json_from_string ("[{\"urls\": [\"stun:stun.example.com:3478\"]},"
                           " {\"urls\": [\"turn:turn.example.com:3478?transport=udp\","
                           "             \"turns:turn.example.com:5349?transport=tcp\"],"
                           "  \"username\": \"1700000000:alice\","
                           "  \"credential\": \"q/8+abc=\"},"
                           " {\"urls\": [\"turn:nocredentials.example.com\"]}]", &error);
  g_assert_no_error (error);
  g_assert_true (confab_call_set_ice_servers (call, json_node_get_array (good), &error));
  g_assert_no_error (error);

  webrtc = gst_bin_get_by_name (GST_BIN (confab_call_get_pipeline (call)), "webrtc");
  g_object_get (webrtc, "stun-server", &stun, NULL);
  g_assert_cmpstr (stun, ==, "stun://stun.example.com:3478");
  gst_object_unref (webrtc);

  bad = json_from_string ("[{\"urls\": \"stun:stun.example.com\"}]", &error);
  g_assert_no_error (error);
  g_assert_false (confab_call_set_ice_servers (call, json_node_get_array (bad), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
}

/* Offers made at once, before the encoders' caps reached webrtcbin */

#define N_EARLY_OFFERS 8

typedef struct
{
  guint  n_offers;
  guint  n_checked;
} OfferCheck;

/* RFC 7587: the Opus rtpmap states two channels whatever is sent; the encoder sends in-band
 * FEC, so the offer says so. */
static void
assert_offer_complete (const char *sdp)
{
  g_auto(GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  gboolean rtpmap = FALSE;
  gboolean fmtp = FALSE;
  gboolean vp8 = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_ascii_strdown (lines[i], -1);

      if (g_str_has_prefix (line, "a=rtpmap:111 "))
        {
          g_assert_cmpstr (line, ==, "a=rtpmap:111 opus/48000/2");
          rtpmap = TRUE;
        }
      else if (g_str_has_prefix (line, "a=fmtp:111 "))
        {
          g_auto(GStrv) params = g_strsplit (line + strlen ("a=fmtp:111 "), ";", -1);

          for (guint j = 0; params[j] != NULL; j++)
            if (g_str_equal (g_strstrip (params[j]), "useinbandfec=1"))
              fmtp = TRUE;
        }
      else if (g_str_has_prefix (line, "a=rtpmap:96 "))
        {
          g_assert_cmpstr (line, ==, "a=rtpmap:96 vp8/90000");
          vp8 = TRUE;
        }
    }

  if (!rtpmap || !fmtp || !vp8)
    g_test_message ("Incomplete offer:\n%s", sdp);
  g_assert_true (rtpmap);
  g_assert_true (fmtp);
  g_assert_true (vp8);
}

static void
on_early_offer (ConfabCall *call,
                const char *type,
                const char *sdp,
                OfferCheck *check)
{
  g_assert_cmpstr (type, ==, "offer");
  assert_offer_complete (sdp);
  check->n_checked++;
}

static void
test_call_offer_complete (void)
{
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autoptr(ConfabMediaDevices) no_camera = confab_media_devices_new_for_testing (FALSE);
  ConfabCall *calls[2 * N_EARLY_OFFERS];
  OfferCheck check = { 0, };

  /* Each offer is asked for as soon as its call exists, all of them at once, so the machine
   * is busy and most are made before the first buffer reached webrtcbin; the calls without a
   * camera offer to receive video only. */
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("early-%u", i);

      calls[i] = confab_call_new (id, "bob", CONFAB_CALL_ROLE_CALLER,
                                  CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO,
                                  i % 2 == 0 ? devices : no_camera, &error);
      g_assert_no_error (error);
      g_signal_connect (calls[i], "local-description", G_CALLBACK (on_early_offer), &check);
      confab_call_start (calls[i]);
      check.n_offers++;
    }

  g_assert_true (engine_test_wait_uint (&check.n_checked, check.n_offers, MEDIA_TIMEOUT_MS));

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_signal_handlers_disconnect_by_data (calls[i], &check);
      g_object_unref (calls[i]);
    }
}

/* The peer in another process (tests/confab-call-peer), as in real life. */

typedef struct
{
  GSubprocess      *process;
  GDataInputStream *output;
  GOutputStream    *input;
  ConfabCall       *call;
  guint64           video_frames;
  guint64           audio_buffers;
  gboolean          stats;
  char             *ended;
} RemotePeer;

static void
remote_send (RemotePeer *peer,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
remote_send (RemotePeer *peer,
             const char *format,
             ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  g_assert_true (g_output_stream_printf (peer->input, NULL, NULL, &error, "%s\n", line));
  g_assert_no_error (error);
}

static void remote_read_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data);

static void
remote_handle_line (RemotePeer *peer,
                    const char *line)
{
  g_auto(GStrv) words = g_strsplit (line, " ", 3);
  g_autoptr(GError) error = NULL;

  if (g_str_equal (words[0], "desc"))
    {
      gsize length;
      g_autofree char *sdp = (char *) g_base64_decode (words[2], &length);
      g_autofree char *text = g_strndup (sdp, length);

      g_assert_true (confab_call_set_remote_description (peer->call, words[1], text, &error));
      g_assert_no_error (error);
    }
  else if (g_str_equal (words[0], "ice"))
    {
      g_assert_true (confab_call_add_remote_ice (peer->call, words[2],
                                                 (guint) g_ascii_strtoull (words[1], NULL, 10),
                                                 &error));
      g_assert_no_error (error);
    }
  else if (g_str_equal (words[0], "stats"))
    {
      g_auto(GStrv) numbers = g_strsplit (line, " ", -1);

      peer->video_frames = g_ascii_strtoull (numbers[1], NULL, 10);
      peer->audio_buffers = g_ascii_strtoull (numbers[2], NULL, 10);
      peer->stats = TRUE;
    }
  else if (g_str_equal (words[0], "ended"))
    peer->ended = g_strdup (words[1]);
  else if (g_str_equal (words[0], "error"))
    g_error ("The peer process failed: %s", line);
}

static void
remote_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  RemotePeer *peer = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL,
                                                    NULL);
  if (line == NULL || peer->call == NULL)
    return;

  remote_handle_line (peer, line);
  g_data_input_stream_read_line_async (peer->output, G_PRIORITY_DEFAULT, NULL, remote_read_cb,
                                       peer);
}

static void
on_remote_local_description (ConfabCall *call,
                             const char *type,
                             const char *sdp,
                             RemotePeer *peer)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) sdp, strlen (sdp));

  remote_send (peer, "desc %s %s", type, encoded);
}

static void
on_remote_local_ice (ConfabCall *call,
                     const char *candidate,
                     guint       mline,
                     RemotePeer *peer)
{
  remote_send (peer, "ice %u %s", mline, candidate);
}

static gboolean
remote_has_stats (gpointer user_data)
{
  RemotePeer *peer = user_data;

  return peer->stats;
}

static gboolean
remote_media_both_ways (gpointer user_data)
{
  RemotePeer *peer = user_data;

  if (confab_call_get_video_frames_received (peer->call) == 0 ||
      confab_call_get_audio_buffers_received (peer->call) == 0)
    return FALSE;

  if (!peer->stats)
    return FALSE;
  if (peer->video_frames > 0 && peer->audio_buffers > 0)
    return TRUE;

  peer->stats = FALSE;
  remote_send (peer, "stats");
  return FALSE;
}

static gboolean
remote_ended (gpointer user_data)
{
  RemotePeer *peer = user_data;

  return peer->ended != NULL;
}

static void
test_call_two_processes (void)
{
  g_autoptr(ConfabMediaDevices) devices = confab_media_devices_new_for_testing (TRUE);
  g_autofree char *helper = g_test_build_filename (G_TEST_BUILT, "confab-call-peer", NULL);
  g_autoptr(GError) error = NULL;
  RemotePeer peer = { NULL, };

  peer.process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                   &error, helper, NULL);
  g_assert_no_error (error);
  peer.input = g_subprocess_get_stdin_pipe (peer.process);
  peer.output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer.process));

  peer.call = confab_call_new ("call-4", "bob", CONFAB_CALL_ROLE_CALLER,
                               CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO, devices, &error);
  g_assert_no_error (error);
  g_signal_connect (peer.call, "local-description", G_CALLBACK (on_remote_local_description),
                    &peer);
  g_signal_connect (peer.call, "local-ice", G_CALLBACK (on_remote_local_ice), &peer);
  g_data_input_stream_read_line_async (peer.output, G_PRIORITY_DEFAULT, NULL, remote_read_cb,
                                       &peer);

  remote_send (&peer, "call callee audio,video");
  confab_call_start (peer.call);

  remote_send (&peer, "stats");
  g_assert_true (engine_test_wait (remote_has_stats, &peer, MEDIA_TIMEOUT_MS));
  g_assert_true (engine_test_wait (remote_media_both_ways, &peer, MEDIA_TIMEOUT_MS));

  remote_send (&peer, "hangup");
  g_assert_true (engine_test_wait (remote_ended, &peer, MEDIA_TIMEOUT_MS));
  g_assert_cmpstr (peer.ended, ==, "hangup");
  confab_call_end (peer.call, peer.ended);

  remote_send (&peer, "quit");
  g_assert_true (g_subprocess_wait_check (peer.process, NULL, &error));
  g_assert_no_error (error);

  g_clear_object (&peer.call);
  g_clear_object (&peer.output);
  g_clear_object (&peer.process);
  g_free (peer.ended);
}

static char *tmp;

static void
isolate_environment (void)
{
  g_autoptr(GError) error = NULL;
  const char *dirs[][2] = {
    { "HOME", "home" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
    { "XDG_RUNTIME_DIR", "runtime" },
  };

  tmp = g_dir_make_tmp ("confab-test-call-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (tmp, dirs[i][1], NULL);

      g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
      g_setenv (dirs[i][0], path, TRUE);
    }

  g_setenv ("CONFAB_TEST_MEDIA", "1", TRUE);
}

int
main (int   argc,
      char *argv[])
{
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  int ret;

  isolate_environment ();
  /* GStreamer's plugin registry is a cache: kept in the build directory it is not rebuilt
   * (seconds) on every run, and nothing is written to the real home. */
  if (builddir != NULL && g_getenv ("GST_REGISTRY") == NULL)
    {
      g_autofree char *registry = g_build_filename (builddir, "gst-registry.bin", NULL);

      g_setenv ("GST_REGISTRY", registry, TRUE);
    }
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/confab/call/media-flows", test_call_media_flows);
  g_test_add_func ("/confab/call/hangup", test_call_hangup);
  g_test_add_func ("/confab/call/mute", test_call_mute);
  g_test_add_func ("/confab/call/camera-off", test_call_camera_off);
  g_test_add_func ("/confab/call/audio-only", test_call_audio_only);
  g_test_add_func ("/confab/call/no-camera", test_call_no_camera);
  g_test_add_func ("/confab/call/caller-no-camera", test_call_caller_no_camera);
  g_test_add_func ("/confab/call/peer-lost", test_call_peer_lost);
  g_test_add_func ("/confab/call/silent-stays-connected", test_call_silent_stays_connected);
  g_test_add_func ("/confab/call/microphone-fails", test_call_microphone_fails);
  g_test_add_func ("/confab/call/devices-change", test_call_devices_change);
  g_test_add_func ("/confab/call/bad-signalling", test_call_bad_signalling);
  g_test_add_func ("/confab/call/ice-servers", test_call_ice_servers);
  g_test_add_func ("/confab/call/offer-complete", test_call_offer_complete);
  g_test_add_data_func ("/confab/call/peer-refuses-audio", "audio", test_call_peer_refuses);
  g_test_add_data_func ("/confab/call/peer-refuses-video", "video", test_call_peer_refuses);
  g_test_add_func ("/confab/call/two-processes", test_call_two_processes);

  ret = g_test_run ();

  /* A failed run keeps its directory to look at. */
  if (ret == 0)
    {
      const char *argv_rm[] = { "rm", "-rf", tmp, NULL };

      g_spawn_sync (NULL, (char **) argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                    NULL, NULL);
    }
  g_free (tmp);
  return ret;
}
