/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-call-manager"

#include "config.h"

#include "confab-test-lines.h"
#include "confab-test-util.h"

#include <gio/gio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Calls end to end: the real confabd, and each person a separate confab-call-client process
 * (ConfabClient + ConfabCallManager + real webrtcbin pipelines with test media), talking
 * through the server's signalling and sending media to each other over loopback. */

#define T             CONFAB_TEST_TIMEOUT_MS
#define MEDIA_MS      5000
#define LOST_MS       10000

static const char *call_client_path;

/* --- A client process ------------------------------------------------------------------- */

typedef struct
{
  char             *name;
  GSubprocess      *process;
  GOutputStream    *input;
  ConfabTestLines   output;
  gboolean          exited;
} Proc;

static void
exited_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Proc *proc = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  proc->exited = TRUE;
}

static Proc *
proc_start (ConfabTestServer *server,
            ConfabTestUser   *user,
            const char       *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  Proc *proc = g_new0 (Proc, 1);

  proc->name = g_strdup (user->username);
  g_ptr_array_add (argv, (char *) call_client_path);
  g_ptr_array_add (argv, (char *) "--server");
  g_ptr_array_add (argv, (char *) confab_test_server_get_url (server));
  g_ptr_array_add (argv, (char *) "--username");
  g_ptr_array_add (argv, user->username);
  g_ptr_array_add (argv, (char *) "--password");
  g_ptr_array_add (argv, user->password);
  g_ptr_array_add (argv, (char *) "--backoff-ms");
  g_ptr_array_add (argv, (char *) "200");
  if (extra != NULL)
    g_ptr_array_add (argv, (char *) extra);
  g_ptr_array_add (argv, NULL);

  proc->process = g_subprocess_newv ((const char * const *) argv->pdata,
                                     G_SUBPROCESS_FLAGS_STDIN_PIPE
                                     | G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  proc->input = g_object_ref (g_subprocess_get_stdin_pipe (proc->process));
  confab_test_lines_init (&proc->output, proc->name, g_subprocess_get_stdout_pipe (proc->process));
  g_subprocess_wait_async (proc->process, NULL, exited_cb, proc);

  return proc;
}

static void
proc_send (Proc       *proc,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

static void
proc_send (Proc       *proc,
           const char *format,
           ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  line = g_strconcat (text, "\n", NULL);
  g_output_stream_write_all (proc->input, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
}

/* The words after @prefix of the first line that has it; the test fails without one within
 * @timeout_ms. */
static GStrv
proc_wait (Proc       *proc,
           const char *prefix,
           guint       timeout_ms)
{
  return confab_test_lines_wait (&proc->output, prefix, timeout_ms);
}

/* For the lines "<prefix><call id> <word> …" that report a call ending, ringing no more or
 * missed: waits for one and checks its call id and the word after it, each unless NULL. */
static void
proc_expect (Proc       *proc,
             const char *prefix,
             const char *call_id,
             const char *word,
             guint       timeout_ms)
{
  g_auto(GStrv) words = proc_wait (proc, prefix, timeout_ms);

  if (call_id != NULL)
    g_assert_cmpstr (words[0], ==, call_id);
  if (word != NULL)
    g_assert_cmpstr (words[1], ==, word);
}

typedef struct
{
  guint64 video;
  guint64 audio;
  char    state[32];
} Stats;

static Stats
proc_stats (Proc *proc)
{
  g_auto(GStrv) words = NULL;
  Stats stats = { 0, };

  proc_send (proc, "stats");
  words = proc_wait (proc, "stats ", T);
  g_assert_cmpuint (g_strv_length (words), >=, 3);
  stats.video = g_ascii_strtoull (words[0], NULL, 10);
  stats.audio = g_ascii_strtoull (words[1], NULL, 10);
  g_strlcpy (stats.state, words[2], sizeof stats.state);
  return stats;
}

static gboolean
proc_exited (gpointer user_data)
{
  return ((Proc *) user_data)->exited;
}

static void
proc_free (Proc *proc)
{
  if (proc == NULL)
    return;

  if (!proc->exited)
    {
      g_autoptr(GError) error = NULL;

      g_output_stream_close (proc->input, NULL, &error);
      if (!confab_test_wait_until (proc_exited, proc, T))
        {
          g_subprocess_force_exit (proc->process);
          confab_test_wait_until (proc_exited, proc, T);
        }
    }
  confab_test_lines_clear (&proc->output);
  g_clear_object (&proc->input);
  g_clear_object (&proc->process);
  g_free (proc->name);
  g_free (proc);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proc, proc_free)

/* Both sides receive video frames and audio buffers, more than @video / @audio. */
typedef struct
{
  Proc   *procs[2];
  Stats   base[2];
  gboolean video;
} FlowWait;

static gboolean
media_flows (gpointer user_data)
{
  FlowWait *wait = user_data;

  for (guint i = 0; i < 2; i++)
    {
      Stats now = proc_stats (wait->procs[i]);

      if (now.audio <= wait->base[i].audio + 10
          || (wait->video && now.video <= wait->base[i].video + 10))
        return FALSE;
    }
  return TRUE;
}

static void
assert_media_flows (Proc    *a,
                    Proc    *b,
                    gboolean video,
                    guint    timeout_ms)
{
  FlowWait wait = { { a, b }, { { 0, }, { 0, } }, video };
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  wait.base[0] = proc_stats (a);
  wait.base[1] = proc_stats (b);
  while (!media_flows (&wait))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("media did not flow both ways within %u ms", timeout_ms);
      /* Asks again after a few frames' time. */
      confab_test_drain (50);
    }
}

/* --- Fixture ---------------------------------------------------------------------------- */

typedef struct
{
  ConfabTestServer *server;
  ConfabTestUser   *alice;
  ConfabTestUser   *bob;
  ConfabTestUser   *carol;
  Proc             *a;
  Proc             *b;
} Fixture;

static guint
free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  /* A fixed port, so the clients find the server again after a restart. */
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", free_port ());
  const char *extra[] = { "--listen", listen, NULL };

  f->server = confab_test_server_new (extra, "[calls]\nring_timeout_s = 2\n");
  f->alice = confab_test_user_new (f->server, "alice");
  f->bob = confab_test_user_new (f->server, "bob");
  f->carol = confab_test_user_new (f->server, "carol");
  f->a = proc_start (f->server, f->alice, NULL);
  f->b = proc_start (f->server, f->bob, NULL);
  g_strfreev (proc_wait (f->a, "ready ", T));
  g_strfreev (proc_wait (f->b, "ready ", T));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->a, proc_free);
  g_clear_pointer (&f->b, proc_free);
  g_clear_pointer (&f->alice, confab_test_user_free);
  g_clear_pointer (&f->bob, confab_test_user_free);
  g_clear_pointer (&f->carol, confab_test_user_free);
  g_clear_pointer (&f->server, confab_test_server_free);
}

/* Alice calls Bob, Bob answers; returns the call id once media flows both ways. */
static char *
connect_call (Fixture    *f,
              const char *media)
{
  g_auto(GStrv) incoming = NULL;
  g_auto(GStrv) started = NULL;

  proc_send (f->a, "call bob %s", media);
  started = proc_wait (f->a, "started ", T);
  g_assert_cmpstr (started[1], ==, "caller");
  incoming = proc_wait (f->b, "incoming ", T);
  g_assert_cmpstr (incoming[0], ==, started[0]);
  g_assert_cmpstr (incoming[1], ==, "alice");
  g_assert_cmpstr (incoming[2], ==, g_str_equal (media, "video") ? "audio,video" : "audio");

  proc_send (f->b, "accept %s", incoming[0]);
  g_strfreev (proc_wait (f->b, "accepted ", T));
  assert_media_flows (f->a, f->b, g_str_equal (media, "video"), MEDIA_MS);

  return g_strdup (started[0]);
}

static JsonObject *
last_call_message (Fixture    *f,
                   const char *call_id)
{
  g_autoptr(ConfabTestClient) ws = confab_test_client_new (f->server, f->alice->token, 0);
  g_autoptr(JsonObject) history = NULL;
  JsonArray *messages;

  history = confab_test_client_call_ok (ws, "history", "{\"conv\":\"dm:alice:bob\"}");
  messages = json_object_get_array_member (history, "messages");
  for (guint i = json_array_get_length (messages); i > 0; i--)
    {
      JsonObject *msg = json_array_get_object_element (messages, i - 1);
      JsonObject *call;

      if (g_strcmp0 (json_object_get_string_member_with_default (msg, "kind", ""), "call") != 0)
        continue;
      call = json_object_get_object_member (msg, "call");
      if (call != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (call, "call_id", ""),
                        call_id) == 0)
        return json_object_ref (call);
    }
  return NULL;
}

typedef struct
{
  Fixture    *f;
  const char *call_id;
} RecordWait;

static gboolean
record_stored (gpointer user_data)
{
  RecordWait *wait = user_data;
  g_autoptr(JsonObject) call = last_call_message (wait->f, wait->call_id);

  return call != NULL;
}

static JsonObject *
wait_call_message (Fixture    *f,
                   const char *call_id)
{
  RecordWait wait = { f, call_id };

  g_assert_true (confab_test_wait_until (record_stored, &wait, T));
  return last_call_message (f, call_id);
}

/* --- Tests ------------------------------------------------------------------------------ */

static void
test_video_call (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *call_id = connect_call (f, "video");
  g_autoptr(JsonObject) record = NULL;

  /* A second of talk, so the record has a duration. */
  g_strfreev (proc_wait (f->a, "first-frame ", T));
  g_strfreev (proc_wait (f->b, "first-frame ", T));
  confab_test_drain (1200);
  assert_media_flows (f->a, f->b, TRUE, MEDIA_MS);

  proc_send (f->a, "hangup");
  proc_expect (f->a, "ended ", call_id, "hangup", T);
  proc_expect (f->b, "ended ", call_id, "hangup", T);

  record = wait_call_message (f, call_id);
  g_assert_cmpstr (json_object_get_string_member (record, "result"), ==, "answered");
  g_assert_cmpint (json_object_get_int_member (record, "duration_ms"), >=, 1000);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (record, "media"),
                                                 "video"));
}

static void
test_audio_call_without_camera (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(Proc) c = proc_start (f->server, f->carol, "--no-camera");
  g_auto(GStrv) incoming = NULL;
  FlowWait wait = { { NULL, }, };
  gint64 deadline = g_get_monotonic_time () + MEDIA_MS * 1000;

  /* Carol has no camera: her video call still connects; she sends no video but receives it. */
  g_strfreev (proc_wait (c, "ready ", T));
  proc_send (c, "call bob video");
  incoming = proc_wait (f->b, "incoming ", T);
  proc_send (f->b, "accept %s", incoming[0]);

  wait.procs[0] = c;
  wait.procs[1] = f->b;
  wait.video = FALSE;
  while (!media_flows (&wait))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      confab_test_drain (50);
    }
  /* Audio and video travel on their own transports, so Bob's video may reach Carol a little
   * after the audio does. */
  while (proc_stats (c).video == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      confab_test_drain (50);
    }
  g_assert_cmpuint (proc_stats (f->b).video, ==, 0);

  proc_send (f->b, "hangup");
  proc_expect (c, "ended ", NULL, "hangup", T);
}

static void
test_decline (Fixture       *f,
              gconstpointer  data)
{
  g_auto(GStrv) incoming = NULL;
  g_autoptr(JsonObject) record = NULL;

  proc_send (f->a, "call bob audio");
  incoming = proc_wait (f->b, "incoming ", T);
  proc_send (f->b, "decline %s", incoming[0]);
  proc_expect (f->b, "incoming-ended ", NULL, "declined", T);
  proc_expect (f->a, "ended ", incoming[0], "declined", T);

  record = wait_call_message (f, incoming[0]);
  g_assert_cmpstr (json_object_get_string_member (record, "result"), ==, "declined");
}

static void
test_ring_timeout (Fixture       *f,
                   gconstpointer  data)
{
  g_auto(GStrv) incoming = NULL;

  /* The server stops the ringing after ring_timeout_s = 2. */
  proc_send (f->a, "call bob video");
  incoming = proc_wait (f->b, "incoming ", T);
  proc_expect (f->a, "ended ", NULL, "timeout", T);
  proc_expect (f->b, "incoming-ended ", incoming[0], "timeout", T);
  proc_expect (f->b, "missed ", incoming[0], "alice", T);
}

static void
test_busy (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *call_id = connect_call (f, "audio");
  g_autoptr(Proc) c = proc_start (f->server, f->carol, NULL);

  g_strfreev (proc_wait (c, "ready ", T));
  proc_send (c, "call bob audio");
  proc_expect (c, "ended ", NULL, "busy", T);
  g_assert_false (confab_test_lines_has (&f->b->output, "incoming "));

  /* Bob's call with Alice goes on. */
  assert_media_flows (f->a, f->b, FALSE, MEDIA_MS);
  proc_send (f->b, "hangup");
  proc_expect (f->a, "ended ", call_id, NULL, T);
}

static void
test_offline_callee (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(Proc) c = NULL;
  g_auto(GStrv) started = NULL;

  /* Carol has no client running: the call cannot ring anywhere. */
  proc_send (f->a, "call carol video");
  started = proc_wait (f->a, "started ", T);
  proc_expect (f->a, "ended ", started[0], "unavailable", T);

  /* The missed call reaches her client at its next hello. */
  c = proc_start (f->server, f->carol, NULL);
  proc_expect (c, "missed ", started[0], "alice", T);
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_auto(GStrv) incoming = NULL;

  proc_send (f->a, "call bob audio");
  incoming = proc_wait (f->b, "incoming ", T);
  proc_send (f->a, "hangup");
  proc_expect (f->a, "ended ", NULL, "hangup", T);
  proc_expect (f->b, "incoming-ended ", incoming[0], "cancelled", T);

  /* Accepting now is too late. */
  proc_send (f->b, "accept %s", incoming[0]);
  g_strfreev (proc_wait (f->b, "error ", T));
  g_assert_false (confab_test_lines_has (&f->b->output, "accepted "));
}

static void
test_server_restart (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *call_id = connect_call (f, "video");

  /* The server goes away: media is peer to peer and keeps flowing. */
  confab_test_server_stop (f->server);
  g_strfreev (proc_wait (f->a, "connection waiting", T));
  g_strfreev (proc_wait (f->b, "connection waiting", T));
  assert_media_flows (f->a, f->b, TRUE, MEDIA_MS);
  confab_test_drain (3000);
  assert_media_flows (f->a, f->b, TRUE, MEDIA_MS);
  g_assert_cmpstr (proc_stats (f->a).state, ==, "connected");
  g_assert_cmpstr (proc_stats (f->b).state, ==, "connected");

  /* It comes back; both clients reconnect and the call is still up. */
  confab_test_server_start (f->server);
  g_strfreev (proc_wait (f->a, "connection connected", T));
  g_strfreev (proc_wait (f->b, "connection connected", T));
  assert_media_flows (f->a, f->b, TRUE, MEDIA_MS);

  /* The restarted server has forgotten the call, so Bob learns of the hang-up from his media
   * stopping rather than from signalling. */
  proc_send (f->a, "hangup");
  proc_expect (f->a, "ended ", NULL, "hangup", T);
  proc_expect (f->b, "ended ", call_id, NULL, LOST_MS);
}

static void
test_peer_killed (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *call_id = connect_call (f, "video");
  gint64 killed;

  g_subprocess_send_signal (f->b->process, SIGKILL);
  killed = g_get_monotonic_time ();
  proc_expect (f->a, "ended ", call_id, "connection_lost", LOST_MS);
  g_assert_cmpint (g_get_monotonic_time () - killed, <, LOST_MS * 1000);
  g_test_message ("the call ended %" G_GINT64_FORMAT " ms after the peer was killed",
                  (g_get_monotonic_time () - killed) / 1000);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  call_client_path = g_getenv ("CONFAB_CALL_CLIENT");
  if (call_client_path == NULL)
    g_error ("CONFAB_CALL_CLIENT is not set; run the tests through meson test");

#define ADD(name, func) \
  g_test_add ("/confab/call-manager/" name, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)

  ADD ("video-call", test_video_call);
  ADD ("no-camera", test_audio_call_without_camera);
  ADD ("decline", test_decline);
  ADD ("ring-timeout", test_ring_timeout);
  ADD ("busy", test_busy);
  ADD ("offline-callee", test_offline_callee);
  ADD ("cancel", test_cancel);
  ADD ("server-restart", test_server_restart);
  ADD ("peer-killed", test_peer_killed);

  return confab_test_run ();
}
