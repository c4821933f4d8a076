/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-peer"

#include "config.h"

#include "confab-call.h"
#include "confab-call-private.h"
#include "confab-media-devices-private.h"
#include "confab-test-child.h"

#include <gst/gst.h>
#include <string.h>

/* One call endpoint in its own process, driven by lines on stdin, reporting on stdout, so
 * the multi-process test and the benchmark can run two endpoints as two processes (the
 * parent relays the signalling lines between them). Media are test sources.
 *
 * In:  call <caller|callee> <audio|audio,video> | start | desc <type> <base64 sdp> |
 *      ice <mline> <candidate> | mute <0|1> | camera <0|1> | stats | hangup | quit
 * Out: created <µs> | desc <type> <base64 sdp> | ice <mline> <candidate> | state <name> |
 *      first-frame <µs> | stats <video frames> <audio buffers> <cpu µs> <wall µs> <state> |
 *      ended <reason> | error <message>
 * Times are CLOCK_MONOTONIC, shared by every process on the machine. */

typedef struct
{
  GMainLoop          *loop;
  ConfabMediaDevices *devices;
  ConfabCall         *call;
  guint               first_frame_id;
} Peer;

static void
on_local_description (ConfabCall *call,
                      const char *type,
                      const char *sdp,
                      Peer       *peer)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) sdp, strlen (sdp));

  confab_test_child_reply ("desc %s %s", type, encoded);
}

static void
on_local_ice (ConfabCall *call,
              const char *candidate,
              guint       mline,
              Peer       *peer)
{
  confab_test_child_reply ("ice %u %s", mline, candidate);
}

static void
on_state_changed (ConfabCall      *call,
                  ConfabCallState  state,
                  Peer            *peer)
{
  confab_test_child_reply ("state %s", confab_call_state_to_string (state));
}

static void
on_ended (ConfabCall *call,
          const char *reason,
          Peer       *peer)
{
  confab_test_child_reply ("ended %s", reason);
}

static void
create_call (Peer       *peer,
             const char *role,
             const char *media)
{
  g_autoptr(GError) error = NULL;
  ConfabCallMedia flags = CONFAB_CALL_MEDIA_AUDIO;
  gint64 start = g_get_monotonic_time ();

  if (peer->call != NULL)
    {
      confab_test_child_reply ("error call exists");
      return;
    }

  if (media != NULL && strstr (media, "video") != NULL)
    flags |= CONFAB_CALL_MEDIA_VIDEO;

  peer->call = confab_call_new ("peer-call", "peer",
                                g_strcmp0 (role, "callee") == 0 ? CONFAB_CALL_ROLE_CALLEE
                                                                 : CONFAB_CALL_ROLE_CALLER,
                                flags, peer->devices, &error);
  if (peer->call == NULL)
    {
      confab_test_child_reply ("error %s", error->message);
      return;
    }

  g_signal_connect (peer->call, "local-description", G_CALLBACK (on_local_description), peer);
  g_signal_connect (peer->call, "local-ice", G_CALLBACK (on_local_ice), peer);
  g_signal_connect (peer->call, "state-changed", G_CALLBACK (on_state_changed), peer);
  g_signal_connect (peer->call, "ended", G_CALLBACK (on_ended), peer);
  if ((flags & CONFAB_CALL_MEDIA_VIDEO) != 0)
    confab_test_child_watch_first_frame (peer->call, &peer->first_frame_id);

  confab_test_child_reply ("created %" G_GINT64_FORMAT, start);
}

static void
handle_command (char     **words,
                gpointer   user_data)
{
  Peer *peer = user_data;
  const char *command = words[0];
  g_autoptr(GError) error = NULL;

  if (g_str_equal (command, "call"))
    {
      create_call (peer, words[1], words[1] != NULL ? words[2] : NULL);
      return;
    }

  if (g_str_equal (command, "quit"))
    {
      g_main_loop_quit (peer->loop);
      return;
    }

  if (peer->call == NULL)
    {
      confab_test_child_reply ("error no call");
      return;
    }

  if (g_str_equal (command, "start"))
    confab_call_start (peer->call);
  else if (g_str_equal (command, "desc") && words[1] != NULL && words[2] != NULL)
    {
      gsize length;
      g_autofree char *sdp = (char *) g_base64_decode (words[2], &length);
      g_autofree char *text = g_strndup (sdp, length);

      if (!confab_call_set_remote_description (peer->call, words[1], text, &error))
        confab_test_child_reply ("error %s", error->message);
    }
  else if (g_str_equal (command, "ice") && words[1] != NULL && words[2] != NULL)
    {
      if (!confab_call_add_remote_ice (peer->call, words[2],
                                       (guint) g_ascii_strtoull (words[1], NULL, 10), &error))
        confab_test_child_reply ("error %s", error->message);
    }
  else if (g_str_equal (command, "mute") && words[1] != NULL)
    confab_call_set_muted (peer->call, g_str_equal (words[1], "1"));
  else if (g_str_equal (command, "camera") && words[1] != NULL)
    confab_call_set_camera_enabled (peer->call, g_str_equal (words[1], "1"));
  else if (g_str_equal (command, "stats"))
    confab_test_child_reply ("stats %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %"
                             G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s",
                             confab_call_get_video_frames_received (peer->call),
                             confab_call_get_audio_buffers_received (peer->call),
                             confab_test_child_cpu_time_us (), g_get_monotonic_time (),
                             confab_call_state_to_string (confab_call_get_state (peer->call)));
  else if (g_str_equal (command, "hangup"))
    confab_call_hangup (peer->call);
  else
    confab_test_child_reply ("error unknown command %s", command);
}

int
main (int   argc,
      char *argv[])
{
  Peer peer = { NULL, };

  gst_init (&argc, &argv);
  /* As the application does at start-up. */
  confab_call_warm_up ();

  peer.loop = g_main_loop_new (NULL, FALSE);
  peer.devices = confab_media_devices_new_for_testing (TRUE);
  confab_test_child_run (peer.loop, handle_command, &peer);

  g_clear_handle_id (&peer.first_frame_id, g_source_remove);
  g_clear_object (&peer.call);
  g_clear_object (&peer.devices);
  g_main_loop_unref (peer.loop);

  return 0;
}
