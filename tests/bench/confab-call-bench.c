/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-bench"

#include "config.h"

#include "confab-engine-test-util.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

/* Call benchmarks on loopback, each endpoint a confab-call-peer process (test sources,
 * 640x480@30 VP8 + Opus), this program relaying their signalling:
 *
 * 1. time from the answer (the callee starts its call) to the first decoded remote video
 *    frame, at the caller and at the callee, over several fresh calls;
 * 2. CPU of each endpoint process (getrusage) during a two-way video call. */

typedef struct _Endpoint Endpoint;

struct _Endpoint
{
  const char       *name;
  GSubprocess      *process;
  GOutputStream    *input;
  GDataInputStream *output;
  Endpoint         *other;

  gint64            created_at;
  gint64            first_frame;
  gboolean          connected;
  char             *ended;

  gboolean          has_stats;
  guint64           video_frames;
  guint64           audio_buffers;
  gint64            cpu_us;
  gint64            wall_us;
};

static void
send_line (Endpoint   *endpoint,
           const char *line)
{
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_printf (endpoint->input, NULL, NULL, &error, "%s\n", line))
    g_error ("%s: %s", endpoint->name, error->message);
}

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Endpoint *endpoint = user_data;
  g_autofree char *line = NULL;
  g_auto(GStrv) words = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result, NULL,
                                                    NULL);
  if (line == NULL)
    return;

  words = g_strsplit (line, " ", -1);
  if (g_str_equal (words[0], "desc") || g_str_equal (words[0], "ice"))
    send_line (endpoint->other, line);
  else if (g_str_equal (words[0], "created"))
    endpoint->created_at = g_ascii_strtoll (words[1], NULL, 10);
  else if (g_str_equal (words[0], "first-frame"))
    endpoint->first_frame = g_ascii_strtoll (words[1], NULL, 10);
  else if (g_str_equal (words[0], "state"))
    endpoint->connected = g_str_equal (words[1], "connected");
  else if (g_str_equal (words[0], "ended"))
    endpoint->ended = g_strdup (words[1]);
  else if (g_str_equal (words[0], "stats") && g_strv_length (words) >= 6)
    {
      endpoint->video_frames = g_ascii_strtoull (words[1], NULL, 10);
      endpoint->audio_buffers = g_ascii_strtoull (words[2], NULL, 10);
      endpoint->cpu_us = g_ascii_strtoll (words[3], NULL, 10);
      endpoint->wall_us = g_ascii_strtoll (words[4], NULL, 10);
      endpoint->has_stats = TRUE;
    }
  else if (g_str_equal (words[0], "error"))
    g_error ("%s: %s", endpoint->name, line);

  g_data_input_stream_read_line_async (endpoint->output, G_PRIORITY_HIGH, NULL, read_line_cb,
                                       endpoint);
}

static void
endpoint_spawn (Endpoint   *endpoint,
                const char *name,
                const char *peer_path)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "CONFAB_TEST_MEDIA", "1", TRUE);

  endpoint->name = name;
  endpoint->process = g_subprocess_launcher_spawn (launcher, &error, peer_path, NULL);
  if (endpoint->process == NULL)
    g_error ("Cannot start %s: %s", peer_path, error->message);
  endpoint->input = g_subprocess_get_stdin_pipe (endpoint->process);
  endpoint->output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (endpoint->process));
  g_data_input_stream_read_line_async (endpoint->output, G_PRIORITY_HIGH, NULL, read_line_cb,
                                       endpoint);
}

static void
endpoint_finish (Endpoint *endpoint)
{
  send_line (endpoint, "quit");
  g_subprocess_wait (endpoint->process, NULL, NULL);
  g_clear_object (&endpoint->output);
  g_clear_object (&endpoint->process);
  g_clear_pointer (&endpoint->ended, g_free);
}

static gboolean
created (gpointer user_data)
{
  return ((Endpoint *) user_data)->created_at != 0;
}

static gboolean
has_stats (gpointer user_data)
{
  return ((Endpoint *) user_data)->has_stats;
}

static gboolean
both_first_frames (gpointer user_data)
{
  Endpoint *pair = user_data;

  return pair[0].first_frame != 0 && pair[1].first_frame != 0;
}

/* A caller that rang for a while, a callee that answers: returns the pair, connected. */
static gboolean
connect_pair (Endpoint   *pair,
              const char *peer_path)
{
  endpoint_spawn (&pair[0], "caller", peer_path);
  endpoint_spawn (&pair[1], "callee", peer_path);
  pair[0].other = &pair[1];
  pair[1].other = &pair[0];

  send_line (&pair[0], "call caller audio,video");
  if (!engine_test_wait (created, &pair[0], 10000))
    return FALSE;
  /* Ringing: the caller's camera and encoder are already running. */
  engine_test_run_for (1000);

  /* The answer: the callee creates its call; the server tells the caller, which offers. */
  send_line (&pair[1], "call callee audio,video");
  if (!engine_test_wait (created, &pair[1], 10000))
    return FALSE;
  send_line (&pair[0], "start");

  return engine_test_wait (both_first_frames, pair, 10000);
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
take_stats (Endpoint *pair)
{
  for (guint i = 0; i < 2; i++)
    {
      pair[i].has_stats = FALSE;
      send_line (&pair[i], "stats");
    }
  for (guint i = 0; i < 2; i++)
    if (!engine_test_wait (has_stats, &pair[i], 5000))
      g_error ("%s gave no stats", pair[i].name);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) caller_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) callee_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  const char *peer_path = g_getenv ("CONFAB_CALL_PEER");
  int runs = 5;
  int seconds = 20;
  GOptionEntry entries[] = {
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Calls to time to the first frame", "N" },
    { "seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "Length of the CPU measurement", "S" },
    { NULL },
  };

  context = g_option_context_new ("- time and CPU of calls on loopback");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (peer_path == NULL)
    peer_path = CALL_PEER_PATH;
  runs = MAX (runs, 1);
  seconds = MAX (seconds, 1);

  g_print ("Answer to first decoded remote frame (640x480@30 VP8 + Opus, loopback), %d calls\n",
           runs);
  for (int run = 0; run < runs; run++)
    {
      Endpoint pair[2] = { { NULL, }, { NULL, } };
      gint64 caller;
      gint64 callee;

      if (!connect_pair (pair, peer_path))
        g_error ("Call %d did not connect", run + 1);

      caller = (pair[0].first_frame - pair[1].created_at) / 1000;
      callee = (pair[1].first_frame - pair[1].created_at) / 1000;
      g_array_append_val (caller_ms, caller);
      g_array_append_val (callee_ms, callee);
      g_print ("  call %d: caller %" G_GINT64_FORMAT " ms, callee %" G_GINT64_FORMAT " ms\n",
               run + 1, caller, callee);

      endpoint_finish (&pair[0]);
      endpoint_finish (&pair[1]);
    }
  g_array_sort (caller_ms, compare_int64);
  g_array_sort (callee_ms, compare_int64);
  g_print ("  median: caller %" G_GINT64_FORMAT " ms, callee %" G_GINT64_FORMAT " ms; "
           "worst: caller %" G_GINT64_FORMAT " ms, callee %" G_GINT64_FORMAT " ms\n",
           g_array_index (caller_ms, gint64, caller_ms->len / 2),
           g_array_index (callee_ms, gint64, callee_ms->len / 2),
           g_array_index (caller_ms, gint64, caller_ms->len - 1),
           g_array_index (callee_ms, gint64, callee_ms->len - 1));

  {
    Endpoint pair[2] = { { NULL, }, { NULL, } };
    Endpoint before[2];

    g_print ("\nCPU per endpoint process, two-way 640x480@30 video + audio, %d s "
             "(after 3 s warm-up; %u cores)\n", seconds, g_get_num_processors ());
    if (!connect_pair (pair, peer_path))
      g_error ("The call did not connect");
    engine_test_run_for (3000);

    take_stats (pair);
    before[0] = pair[0];
    before[1] = pair[1];
    engine_test_run_for ((guint) seconds * 1000);
    take_stats (pair);

    for (guint i = 0; i < 2; i++)
      {
        double wall = (pair[i].wall_us - before[i].wall_us) / 1e6;
        double cpu = (pair[i].cpu_us - before[i].cpu_us) / 1e6;

        g_print ("  %s: %.1f %% of one core; received %.1f video frames/s, "
                 "%.1f audio packets/s\n",
                 pair[i].name, 100.0 * cpu / wall,
                 (pair[i].video_frames - before[i].video_frames) / wall,
                 (pair[i].audio_buffers - before[i].audio_buffers) / wall);
      }

    endpoint_finish (&pair[0]);
    endpoint_finish (&pair[1]);
  }

  return EXIT_SUCCESS;
}
