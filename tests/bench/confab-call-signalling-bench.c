/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-signalling-bench"

#include "config.h"

#include "confab-test-lines.h"
#include "confab-test-util.h"

#include <stdio.h>
#include <stdlib.h>

/* Calls as users make them: a real confabd on loopback and two confab-call-client processes
 * (ConfabClient + ConfabCallManager, 640x480@30 VP8 + Opus test media), all signalling going
 * through the server.
 *
 * 1. time from Accept (the callee's confab_call_manager_accept()) to the first decoded remote
 *    video frame, at the callee and at the caller, over several fresh calls;
 * 2. CPU of each client process (getrusage) during a two-way video call. */

typedef struct
{
  const char       *name;
  GSubprocess      *process;
  GOutputStream    *input;
  ConfabTestLines   output;
} Proc;

static void
proc_start (Proc             *proc,
            const char       *path,
            ConfabTestServer *server,
            ConfabTestUser   *user)
{
  g_autoptr(GError) error = NULL;

  proc->name = user->username;
  proc->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                    &error, path, "--server", confab_test_server_get_url (server),
                                    "--username", user->username, "--password", user->password,
                                    NULL);
  if (proc->process == NULL)
    g_error ("%s", error->message);
  proc->input = g_subprocess_get_stdin_pipe (proc->process);
  confab_test_lines_init (&proc->output, proc->name, g_subprocess_get_stdout_pipe (proc->process));
}

static void
proc_send (Proc       *proc,
           const char *line)
{
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_printf (proc->input, NULL, NULL, &error, "%s\n", line))
    g_error ("%s: %s", proc->name, error->message);
}

/* The words after @prefix of the first line that has it. */
static GStrv
proc_wait (Proc       *proc,
           const char *prefix)
{
  return confab_test_lines_wait (&proc->output, prefix, 30000);
}

static gint64
proc_wait_time (Proc       *proc,
                const char *prefix)
{
  g_auto(GStrv) words = proc_wait (proc, prefix);

  return g_ascii_strtoll (words[0], NULL, 10);
}

typedef struct
{
  guint64 video;
  gint64  cpu_us;
  gint64  wall_us;
} Stats;

static Stats
proc_stats (Proc *proc)
{
  g_auto(GStrv) words = NULL;
  Stats stats;

  proc_send (proc, "stats");
  words = proc_wait (proc, "stats ");
  stats.video = g_ascii_strtoull (words[0], NULL, 10);
  stats.cpu_us = g_ascii_strtoll (words[3], NULL, 10);
  stats.wall_us = g_ascii_strtoll (words[4], NULL, 10);
  return stats;
}

static void
proc_stop (Proc *proc)
{
  g_output_stream_close (proc->input, NULL, NULL);
  g_subprocess_wait (proc->process, NULL, NULL);
  confab_test_lines_clear (&proc->output);
  g_clear_object (&proc->process);
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Alice calls, Bob's phone rings for @ring_ms, he accepts. */
static char *
place_call (Proc   *a,
            Proc   *b,
            guint   ring_ms,
            gint64 *accepted)
{
  g_auto(GStrv) incoming = NULL;
  g_autofree char *accept = NULL;

  proc_send (a, "call bob video");
  incoming = proc_wait (b, "incoming ");
  confab_test_drain (ring_ms);
  accept = g_strdup_printf ("accept %s", incoming[0]);
  proc_send (b, accept);
  *accepted = proc_wait_time (b, "accepted ");
  return g_strdup (incoming[0]);
}

static void
hang_up (Proc *a,
         Proc *b)
{
  proc_send (a, "hangup");
  g_strfreev (proc_wait (a, "ended "));
  g_strfreev (proc_wait (b, "ended "));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) caller_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) callee_ms = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabTestUser) alice = NULL;
  g_autoptr(ConfabTestUser) bob = NULL;
  const char *client_path = g_getenv ("CONFAB_CALL_CLIENT");
  Proc a = { NULL, }, b = { NULL, };
  int runs = 5;
  int seconds = 20;
  int ring_ms = 1000;
  GOptionEntry entries[] = {
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Calls to time to the first frame", "N" },
    { "seconds", 's', 0, G_OPTION_ARG_INT, &seconds, "Length of the CPU measurement", "S" },
    { "ring-ms", 0, 0, G_OPTION_ARG_INT, &ring_ms, "How long a call rings before Accept", "MS" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- calls through confabd");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return EXIT_FAILURE;
    }
  if (client_path == NULL)
    client_path = CALL_CLIENT_PATH;
  if (g_getenv ("CONFABD") == NULL)
    g_setenv ("CONFABD", CONFABD_PATH, TRUE);
  runs = MAX (runs, 1);
  seconds = MAX (seconds, 1);

  /* The harness gives a private temporary HOME and cleans up; it wants GTest's setup. */
  confab_test_init (&argc, &argv);
  server = confab_test_server_new (NULL, NULL);
  alice = confab_test_user_new (server, "alice");
  bob = confab_test_user_new (server, "bob");
  proc_start (&a, client_path, server, alice);
  proc_start (&b, client_path, server, bob);
  g_strfreev (proc_wait (&a, "ready "));
  g_strfreev (proc_wait (&b, "ready "));

  g_print ("Accept to first decoded remote frame, through confabd (640x480@30 VP8 + Opus, "
           "loopback, %d ms of ringing), %d calls\n", ring_ms, runs);
  for (int run = 0; run < runs; run++)
    {
      g_autofree char *call_id = NULL;
      gint64 accepted, caller, callee;

      call_id = place_call (&a, &b, ring_ms, &accepted);
      callee = (proc_wait_time (&b, "first-frame ") - accepted) / 1000;
      caller = (proc_wait_time (&a, "first-frame ") - accepted) / 1000;
      g_array_append_val (caller_ms, caller);
      g_array_append_val (callee_ms, callee);
      g_print ("  call %d: callee %" G_GINT64_FORMAT " ms, caller %" G_GINT64_FORMAT " ms\n",
               run + 1, callee, caller);
      hang_up (&a, &b);
    }
  g_array_sort (caller_ms, compare_int64);
  g_array_sort (callee_ms, compare_int64);
  g_print ("  median: callee %" G_GINT64_FORMAT " ms, caller %" G_GINT64_FORMAT " ms; "
           "worst: callee %" G_GINT64_FORMAT " ms, caller %" G_GINT64_FORMAT " ms\n",
           g_array_index (callee_ms, gint64, callee_ms->len / 2),
           g_array_index (caller_ms, gint64, caller_ms->len / 2),
           g_array_index (callee_ms, gint64, callee_ms->len - 1),
           g_array_index (caller_ms, gint64, caller_ms->len - 1));

  {
    g_autofree char *call_id = NULL;
    gint64 accepted;
    Stats a0, b0, a1, b1;

    g_print ("CPU per client process, two-way video call, %d s after 3 s of warm-up\n", seconds);
    call_id = place_call (&a, &b, ring_ms, &accepted);
    g_strfreev (proc_wait (&b, "first-frame "));
    g_strfreev (proc_wait (&a, "first-frame "));
    confab_test_drain (3000);
    a0 = proc_stats (&a);
    b0 = proc_stats (&b);
    confab_test_drain (seconds * 1000);
    a1 = proc_stats (&a);
    b1 = proc_stats (&b);
    g_print ("  caller: %.1f %% of one core, %.1f frames/s received\n",
             100.0 * (a1.cpu_us - a0.cpu_us) / (a1.wall_us - a0.wall_us),
             (a1.video - a0.video) * 1e6 / (a1.wall_us - a0.wall_us));
    g_print ("  callee: %.1f %% of one core, %.1f frames/s received\n",
             100.0 * (b1.cpu_us - b0.cpu_us) / (b1.wall_us - b0.wall_us),
             (b1.video - b0.video) * 1e6 / (b1.wall_us - b0.wall_us));
    hang_up (&a, &b);
  }

  proc_stop (&a);
  proc_stop (&b);
  return EXIT_SUCCESS;
}
