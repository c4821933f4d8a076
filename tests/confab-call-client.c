/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-client"

#include "config.h"

#include "confab-call-manager.h"
#include "confab-call-private.h"
#include "confab-media-devices-private.h"
#include "confab-client.h"
#include "confab-test-child.h"

#include <gst/gst.h>

/* A signed-in Confab client without a window: ConfabClient and ConfabCallManager against a
 * real confabd, with test media, driven by lines on stdin and reporting on stdout. Tests, the
 * screenshot driver and the benchmark run it as the other person in a call.
 *
 * Options: --server URL --username NAME --password PASSWORD [--no-camera] [--auto-answer]
 *          [--backoff-ms N]
 * In:  call <user> <audio|video> | accept <call id> | decline <call id> | hangup |
 *      mute <0|1> | camera <0|1> | stats | quit
 * Out: ready <device id> | connection <state> | incoming <call id> <from> <media> |
 *      incoming-ended <call id> <reason> | started <call id> <caller|callee> |
 *      accepted <µs> | call-state <state> | first-frame <µs> |
 *      ended <call id> <reason> <duration s> | missed <call id> <from> |
 *      stats <video frames> <audio buffers> <state> <cpu µs> <wall µs> | error <message>
 * Times are CLOCK_MONOTONIC, shared by every process on the machine. */

typedef struct
{
  GMainLoop          *loop;
  ConfabClient       *client;
  ConfabMediaDevices *devices;
  ConfabCallManager  *manager;
  gboolean            auto_answer;
  gboolean            ready;
  guint               first_frame_id;
} Peer;

static const char *
media_name (ConfabCallMedia media)
{
  return (media & CONFAB_CALL_MEDIA_VIDEO) != 0 ? "audio,video" : "audio";
}

static void
on_call_state (ConfabCall      *call,
               ConfabCallState  state,
               Peer            *peer)
{
  confab_test_child_reply ("call-state %s", confab_call_state_to_string (state));
}

static void
on_call_started (ConfabCallManager *manager,
                 ConfabCall        *call,
                 Peer              *peer)
{
  confab_test_child_reply ("started %s %s", confab_call_get_call_id (call),
                           confab_call_get_role (call) == CONFAB_CALL_ROLE_CALLER ? "caller"
                                                                                  : "callee");
  g_signal_connect (call, "state-changed", G_CALLBACK (on_call_state), peer);
  g_clear_handle_id (&peer->first_frame_id, g_source_remove);
  if ((confab_call_get_media (call) & CONFAB_CALL_MEDIA_VIDEO) != 0)
    confab_test_child_watch_first_frame (call, &peer->first_frame_id);
}

static void
on_call_ended (ConfabCallManager *manager,
               ConfabCall        *call,
               const char        *reason,
               Peer              *peer)
{
  g_signal_handlers_disconnect_by_func (call, on_call_state, peer);
  g_clear_handle_id (&peer->first_frame_id, g_source_remove);
  confab_test_child_reply ("ended %s %s %u", confab_call_get_call_id (call), reason,
                           confab_call_get_duration (call));
}

static void
accept_call (Peer       *peer,
             const char *call_id)
{
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_monotonic_time ();

  if (confab_call_manager_accept (peer->manager, call_id, &error) == NULL)
    confab_test_child_reply ("error %s", error->message);
  else
    confab_test_child_reply ("accepted %" G_GINT64_FORMAT, now);
}

static void
on_incoming_call (ConfabCallManager *manager,
                  const char        *call_id,
                  const char        *from,
                  ConfabCallMedia    media,
                  Peer              *peer)
{
  confab_test_child_reply ("incoming %s %s %s", call_id, from, media_name (media));
  if (peer->auto_answer)
    accept_call (peer, call_id);
}

static void
on_incoming_call_ended (ConfabCallManager *manager,
                        const char        *call_id,
                        const char        *reason,
                        Peer              *peer)
{
  confab_test_child_reply ("incoming-ended %s %s", call_id, reason);
}

static void
on_missed_call (ConfabCallManager *manager,
                const char        *call_id,
                const char        *from,
                ConfabCallMedia    media,
                gint64             ts,
                Peer              *peer)
{
  confab_test_child_reply ("missed %s %s", call_id, from);
}

/* Without a cache, this program stores nothing: every durable event counts as kept. */
static void
on_client_event (ConfabClient *client,
                 const char   *name,
                 JsonObject   *data,
                 gint64        seq,
                 Peer         *peer)
{
  if (seq > 0)
    confab_client_ack (client, seq);
}

static void
on_client_state (ConfabClient *client,
                 GParamSpec   *pspec,
                 Peer         *peer)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (CONFAB_TYPE_CLIENT_STATE);
  ConfabClientState state = confab_client_get_state (client);

  confab_test_child_reply ("connection %s", g_enum_get_value (klass, state)->value_nick);
  if (state == CONFAB_CLIENT_STATE_CONNECTED && !peer->ready)
    {
      peer->ready = TRUE;
      confab_test_child_reply ("ready %s", confab_client_get_device_id (client));
    }
}

static void
handle_command (char     **words,
                gpointer   user_data)
{
  Peer *peer = user_data;
  ConfabCall *call = confab_call_manager_get_current_call (peer->manager);
  const char *command = words[0];
  g_autoptr(GError) error = NULL;

  if (g_str_equal (command, "quit"))
    g_main_loop_quit (peer->loop);
  else if (g_str_equal (command, "call") && words[1] != NULL)
    {
      ConfabCallMedia media = CONFAB_CALL_MEDIA_AUDIO;

      if (g_strcmp0 (words[2], "video") == 0)
        media |= CONFAB_CALL_MEDIA_VIDEO;
      if (confab_call_manager_start_call (peer->manager, words[1], media, &error) == NULL)
        confab_test_child_reply ("error %s", error->message);
    }
  else if (g_str_equal (command, "accept") && words[1] != NULL)
    accept_call (peer, words[1]);
  else if (g_str_equal (command, "decline") && words[1] != NULL)
    confab_call_manager_decline (peer->manager, words[1]);
  else if (g_str_equal (command, "hangup"))
    confab_call_manager_hangup (peer->manager);
  else if (call == NULL)
    confab_test_child_reply ("error no call");
  else if (g_str_equal (command, "mute") && words[1] != NULL)
    confab_call_set_muted (call, g_str_equal (words[1], "1"));
  else if (g_str_equal (command, "camera") && words[1] != NULL)
    confab_call_set_camera_enabled (call, g_str_equal (words[1], "1"));
  else if (g_str_equal (command, "stats"))
    confab_test_child_reply ("stats %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %s %"
                             G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                             confab_call_get_video_frames_received (call),
                             confab_call_get_audio_buffers_received (call),
                             confab_call_state_to_string (confab_call_get_state (call)),
                             confab_test_child_cpu_time_us (), g_get_monotonic_time ());
  else
    confab_test_child_reply ("error unknown command %s", command);
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Peer *peer = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_client_login_finish (peer->client, result, &error))
    {
      confab_test_child_reply ("error login: %s", error->message);
      g_main_loop_quit (peer->loop);
      return;
    }

  confab_client_start (peer->client, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  gboolean no_camera = FALSE;
  gboolean auto_answer = FALSE;
  int backoff_ms = 0;
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, "Server URL", "URL" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username, "User name", "NAME" },
    { "password", 0, 0, G_OPTION_ARG_STRING, &password, "Password", "PASSWORD" },
    { "no-camera", 0, 0, G_OPTION_ARG_NONE, &no_camera, "Have no camera", NULL },
    { "auto-answer", 0, 0, G_OPTION_ARG_NONE, &auto_answer, "Accept every call", NULL },
    { "backoff-ms", 0, 0, G_OPTION_ARG_INT, &backoff_ms, "Reconnect backoff", "MS" },
    { NULL }
  };
  Peer peer = { NULL, };

  context = g_option_context_new (NULL);
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (server == NULL || username == NULL || password == NULL)
    {
      g_printerr ("--server, --username and --password are needed\n");
      return 2;
    }

  peer.loop = g_main_loop_new (NULL, FALSE);
  peer.auto_answer = auto_answer;
  peer.devices = confab_media_devices_new_for_testing (!no_camera);
  peer.client = confab_client_new (server);
  if (backoff_ms > 0)
    confab_client_set_backoff (peer.client, backoff_ms, backoff_ms * 4);
  peer.manager = confab_call_manager_new (peer.client, peer.devices);

  g_signal_connect (peer.client, "notify::state", G_CALLBACK (on_client_state), &peer);
  g_signal_connect (peer.client, "event", G_CALLBACK (on_client_event), &peer);
  g_signal_connect (peer.manager, "incoming-call", G_CALLBACK (on_incoming_call), &peer);
  g_signal_connect (peer.manager, "incoming-call-ended", G_CALLBACK (on_incoming_call_ended),
                    &peer);
  g_signal_connect (peer.manager, "call-started", G_CALLBACK (on_call_started), &peer);
  g_signal_connect (peer.manager, "call-ended", G_CALLBACK (on_call_ended), &peer);
  g_signal_connect (peer.manager, "missed-call", G_CALLBACK (on_missed_call), &peer);

  confab_client_login_async (peer.client, username, password, "confab-call-client", NULL,
                             login_cb, &peer);
  confab_test_child_run (peer.loop, handle_command, &peer);

  g_clear_handle_id (&peer.first_frame_id, g_source_remove);
  confab_call_manager_hangup (peer.manager);
  confab_client_stop (peer.client);
  g_clear_object (&peer.manager);
  g_clear_object (&peer.client);
  g_clear_object (&peer.devices);
  g_main_loop_unref (peer.loop);

  return 0;
}
