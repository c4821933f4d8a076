/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Not a test: the client's start-up, open and memory benchmark (docs/benchmarks.md, "Client").
 *
 * Fills a real ConfabCache (200 conversations, one of them with 100 000 messages of varied
 * lengths, users with display names), stores the account's token in the real keyring and its
 * server and username in GSettings, then runs the application (confab-bench-launcher: the
 * confab program's code with tests/bench/confab-bench-probe.c on its window) against a server
 * that accepts connections and never answers, so what shows comes from the cache. The probe
 * reports frame times on its stdout and takes commands on its stdin. Each run:
 *   1. process start -> first frame of the main window with its conversation list filled;
 *   2. select the big conversation -> first frame painting its messages (and the frame at
 *      its newest message);
 *   3. optionally, scroll it end to end and read VmRSS/VmHWM from /proc.
 *
 * Needs a display and a Secret Service; run it as
 *   tests/run-with-keyring.sh xvfb-run -a -s '-screen 0 1280x800x24' \
 *     <builddir>/tests/confab-client-bench [--runs N] [--scroll-runs N]
 * run-with-keyring.sh puts HOME and XDG_* in a temp dir, which this program fills. */
#include "config.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-keyring.h"
#include "confab-test-lines.h"
#include "confab-test-util.h"

#define SELF_USER "alice"
#define BIG_PEER "bob"
#define BIG_CONV "dm:alice:bob"
#define TOKEN "bench-token-0123456789abcdef0123456789abcdef"

static int opt_runs = 5;
static int opt_scroll_runs = 1;
static int opt_messages = 100000;
static int opt_conversations = 200;

static const GOptionEntry entries[] = {
  { "runs", 'r', 0, G_OPTION_ARG_INT, &opt_runs, "Measured runs (after one warm-up run)", "N" },
  { "scroll-runs", 's', 0, G_OPTION_ARG_INT, &opt_scroll_runs,
    "How many of the runs also scroll end to end and read the RSS", "N" },
  { "messages", 'm', 0, G_OPTION_ARG_INT, &opt_messages, "Messages in the big conversation",
    "N" },
  { "conversations", 'c', 0, G_OPTION_ARG_INT, &opt_conversations, "Conversations", "N" },
  { NULL }
};

static const char *first_names[] = {
  "Olena", "Taras", "Maria", "Ivan", "Sofia", "Andrii", "Anna", "Dmytro", "Kateryna", "Mykola",
  "Emma", "Lucas", "Mia", "Noah", "Léa", "Jonas", "Aiko", "Ravi", "Zeynep", "Mateo",
};
static const char *last_names[] = {
  "Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Schneider",
  "Dubois", "Rossi", "García", "Nakamura", "Patel", "Yılmaz", "Novak", "Johansson", "Silva",
};
static const char *words[] = {
  "the", "build", "is", "green", "again", "can", "you", "look", "at", "my", "merge", "request",
  "before", "lunch", "meeting", "moved", "to", "three", "o'clock", "room", "B", "printer",
  "on", "second", "floor", "jammed", "deploy", "went", "fine", "thanks", "for", "the",
  "review", "I", "will", "update", "ticket", "customer", "asked", "about", "invoice", "we",
  "should", "ship", "Friday", "coffee", "anyone", "please", "send", "me", "slides", "draft",
  "numbers", "look", "good", "server", "restart", "tonight", "👍", "🎉", "ok", "sure",
  "tomorrow", "morning", "works", "let's", "call", "later", "budget", "approved", "finally",
};

/* Black-hole server ------------------------------------------------------------------------- */

/* Accepts connections and never answers: the client stays "connecting" for the whole run. */
static gpointer
black_hole_thread (gpointer data)
{
  GSocketListener *listener = data;
  GPtrArray *held = g_ptr_array_new_with_free_func (g_object_unref);

  for (;;)
    {
      GSocketConnection *conn = g_socket_listener_accept (listener, NULL, NULL, NULL);

      if (conn == NULL)
        break;
      g_ptr_array_add (held, conn);
    }
  g_ptr_array_unref (held);
  return NULL;
}

static guint16
start_black_hole (void)
{
  GSocketListener *listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port;

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  if (port == 0)
    g_error ("cannot listen: %s", error->message);
  g_thread_unref (g_thread_new ("black-hole", black_hole_thread, listener));
  return port;
}

/* Waiting on async results ------------------------------------------------------------------ */

static void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* The cache -------------------------------------------------------------------------------- */

static char *
make_body (GRand *rand)
{
  GString *body = g_string_new (NULL);
  double kind = g_rand_double (rand);
  int n;

  /* Mostly short lines, some paragraphs, a few long multi-line messages. */
  if (kind < 0.6)
    n = g_rand_int_range (rand, 1, 12);
  else if (kind < 0.9)
    n = g_rand_int_range (rand, 12, 60);
  else
    n = g_rand_int_range (rand, 60, 250);

  for (int i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (body, i % 40 == 0 ? '\n' : ' ');
      g_string_append (body, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
    }
  return g_string_free (body, FALSE);
}

static JsonObject *
make_message (GRand      *rand,
              gint64      id,
              const char *conv,
              const char *from,
              gint64      ts)
{
  JsonObject *msg = json_object_new ();
  g_autofree char *body = make_body (rand);

  json_object_set_int_member (msg, "id", id);
  json_object_set_string_member (msg, "conv", conv);
  json_object_set_string_member (msg, "from", from);
  json_object_set_int_member (msg, "ts", ts);
  json_object_set_string_member (msg, "kind", "text");
  json_object_set_string_member (msg, "body", body);
  json_object_set_string_member (msg, "format", "plain");
  if (id > 2 && g_rand_int_range (rand, 0, 20) == 0)
    json_object_set_int_member (msg, "reply_to", id - g_rand_int_range (rand, 1, 3));
  return msg;
}

static void
store_history (ConfabCache *cache,
               JsonArray   *messages)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  confab_cache_store_history_async (cache, messages, NULL, result_cb, &result);
  confab_cache_store_history_finish (cache, wait_result (&result), &error);
  if (error != NULL)
    g_error ("storing messages: %s", error->message);
}

static char *
username_of (int i)
{
  return g_strdup_printf ("user%03d", i);
}

static void
fill_cache (const char *server_key)
{
  g_autofree char *path = confab_cache_build_path (server_key, SELF_USER);
  g_autoptr(ConfabCache) cache = confab_cache_new (path, SELF_USER);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261121);
  g_autoptr(JsonArray) convs = json_array_new ();
  JsonArray *batch = NULL;
  gint64 now = g_get_real_time () / 1000;
  gint64 ts = now - (gint64) opt_messages * 30000;
  gint64 id = 1;
  int n_small = opt_conversations - 1;

  confab_cache_open_async (cache, NULL, result_cb, &result);
  if (!confab_cache_open_finish (cache, wait_result (&result), &error))
    g_error ("opening the cache: %s", error->message);
  g_clear_object (&result);

  /* Users: ourselves, the big conversation's peer, one per DM and room member. */
  for (int i = -1; i <= n_small; i++)
    {
      g_autoptr(JsonObject) user = json_object_new ();
      g_autofree char *name = i < 0 ? g_strdup (SELF_USER) : i == 0 ? g_strdup (BIG_PEER)
                                                                    : username_of (i);
      g_autofree char *display = g_strdup_printf ("%s %s",
                                                  first_names[(i + 1) % G_N_ELEMENTS (first_names)],
                                                  last_names[(i + 7) % G_N_ELEMENTS (last_names)]);

      json_object_set_string_member (user, "username", name);
      json_object_set_string_member (user, "display_name", display);
      json_object_set_string_member (user, "role", "user");
      json_object_set_string_member (user, "department", "Engineering");
      confab_cache_store_user_async (cache, user, 0, NULL, result_cb, &result);
      if (!confab_cache_store_user_finish (cache, wait_result (&result), &error))
        g_error ("storing a user: %s", error->message);
      g_clear_object (&result);
    }

  /* The big conversation, in batches of one transaction each. */
  for (int i = 0; i < opt_messages; i++)
    {
      if (batch == NULL)
        batch = json_array_new ();
      ts += g_rand_int_range (rand, 1000, 59000);
      json_array_add_object_element (batch, make_message (rand, id++, BIG_CONV,
                                                          g_rand_boolean (rand) ? SELF_USER
                                                                                : BIG_PEER,
                                                          ts));
      if (json_array_get_length (batch) == 5000 || i == opt_messages - 1)
        {
          store_history (cache, batch);
          g_clear_pointer (&batch, json_array_unref);
        }
    }

  /* The others: DMs and rooms of 20 messages each, older than the big one's last. */
  batch = json_array_new ();
  for (int c = 1; c <= n_small; c++)
    {
      g_autofree char *peer = username_of (c);
      g_autofree char *conv = c % 10 == 0 ? g_strdup_printf ("room:team%03d", c)
                                          : g_strdup_printf ("dm:%s:%s", SELF_USER, peer);
      g_autoptr(JsonObject) entry = json_object_new ();
      gint64 conv_ts = now - (gint64) c * 3600 * 1000;

      for (int i = 0; i < 20; i++)
        {
          g_autofree char *from = c % 10 == 0 ? username_of (1 + (c + i) % n_small)
                                              : g_strdup (i % 2 ? SELF_USER : peer);

          json_array_add_object_element (batch, make_message (rand, id++, conv, from,
                                                              conv_ts - (20 - i) * 60000));
        }
      json_object_set_string_member (entry, "conv", conv);
      json_object_set_string_member (entry, "kind", c % 10 == 0 ? "room" : "dm");
      if (c % 10 == 0)
        {
          g_autofree char *title = g_strdup_printf ("Team %03d", c);

          json_object_set_string_member (entry, "title", title);
        }
      json_object_set_int_member (entry, "unread", c % 7 == 0 ? 3 : 0);
      json_array_add_object_element (convs, g_steal_pointer (&entry));
    }
  store_history (cache, batch);
  g_clear_pointer (&batch, json_array_unref);

  {
    g_autoptr(JsonObject) entry = json_object_new ();

    json_object_set_string_member (entry, "conv", BIG_CONV);
    json_object_set_string_member (entry, "kind", "dm");
    json_object_set_int_member (entry, "unread", 0);
    json_object_set_int_member (entry, "last_read", opt_messages);
    json_array_add_object_element (convs, g_steal_pointer (&entry));
  }
  confab_cache_store_conversations_async (cache, convs, NULL, result_cb, &result);
  if (!confab_cache_store_conversations_finish (cache, wait_result (&result), &error))
    g_error ("storing conversations: %s", error->message);
  g_clear_object (&result);

  confab_cache_close_async (cache, NULL, result_cb, &result);
  if (!confab_cache_close_finish (cache, wait_result (&result), &error))
    g_error ("closing the cache: %s", error->message);
}

static void
store_account (const char *address,
               const char *server_key)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_settings_set_string (settings, "last-server", address);
  g_settings_set_string (settings, "last-username", SELF_USER);
  g_settings_sync ();

  confab_keyring_store_token_async (server_key, SELF_USER, TOKEN, NULL, result_cb, &result);
  if (!confab_keyring_store_token_finish (wait_result (&result), &error))
    g_error ("storing the token in the keyring: %s", error->message);
}

/* One run of the app ------------------------------------------------------------------------ */

typedef struct
{
  gint64 open_rows_us;
  gint64 open_end_us;
  gint64 start_us;
  gint64 scroll_us;
  guint  loaded;
  guint  rss_start_kb;
  guint  rss_open_kb;
  guint  rss_scrolled_kb;
  guint  hwm_kb;
} RunResult;

typedef struct
{
  GSubprocess     *process;
  ConfabTestLines  lines;
} App;

static gboolean
timeout_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* The timestamp of the next line starting with @word (and the word after it in @rest). */
static gint64
wait_for (App         *app,
          const char  *word,
          guint        timeout_s,
          char       **rest)
{
  g_autofree char *prefix = g_strconcat (word, " ", NULL);
  g_auto(GStrv) parts = confab_test_lines_wait (&app->lines, prefix, timeout_s * 1000);

  if (rest != NULL)
    *rest = g_strdup (parts[0] != NULL ? parts[1] : NULL);
  return parts[0] != NULL ? g_ascii_strtoll (parts[0], NULL, 10) : 0;
}

static void
send_command (App        *app,
              const char *command)
{
  GOutputStream *in = g_subprocess_get_stdin_pipe (app->process);
  g_autofree char *line = g_strconcat (command, "\n", NULL);
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (in, line, strlen (line), NULL, NULL, &error))
    g_error ("writing to the app: %s", error->message);
}

static void
read_memory (GSubprocess *process,
             guint       *rss_kb,
             guint       *hwm_kb)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status",
                                           g_subprocess_get_identifier (process));
  g_autofree char *status = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &status, NULL, NULL))
    g_error ("cannot read %s", path);
  lines = g_strsplit (status, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "VmRSS:"))
        *rss_kb = (guint) g_ascii_strtoull (lines[i] + 6, NULL, 10);
      else if (g_str_has_prefix (lines[i], "VmHWM:") && hwm_kb != NULL)
        *hwm_kb = (guint) g_ascii_strtoull (lines[i] + 6, NULL, 10);
    }
}

static RunResult
run_app (const char *confab,
         gboolean    scroll)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  App app = { 0 };
  RunResult r = { 0 };
  g_autofree char *rest = NULL;
  gint64 spawned, selected;
  g_autofree char *scroll_command = g_strdup_printf ("scroll %d", opt_messages);

  /* For CONFAB_BIN pointing at a confab built before the probe left the program: those
   * carried it and attached it on this variable. */
  g_subprocess_launcher_setenv (launcher, "CONFAB_BENCH_PROBE", "1", TRUE);
  spawned = g_get_monotonic_time ();
  app.process = g_subprocess_launcher_spawn (launcher, &error, confab, NULL);
  if (app.process == NULL)
    g_error ("cannot start %s: %s", confab, error->message);
  confab_test_lines_init (&app.lines, "confab", g_subprocess_get_stdout_pipe (app.process));

  r.start_us = wait_for (&app, "first-frame", 60, NULL) - spawned;
  /* Let the start-up's remaining cache reads and the first connection attempt pass. */
  confab_test_drain (1500);
  read_memory (app.process, &r.rss_start_kb, NULL);

  send_command (&app, "select " BIG_CONV);
  selected = wait_for (&app, "selected", 10, NULL);
  r.open_rows_us = wait_for (&app, "rows-frame", 10, &rest) - selected;
  r.open_end_us = wait_for (&app, "end-frame", 10, NULL) - selected;
  confab_test_drain (1000);
  read_memory (app.process, &r.rss_open_kb, NULL);

  if (scroll)
    {
      gint64 t0 = g_get_monotonic_time ();

      send_command (&app, scroll_command);
      wait_for (&app, "top", 3600, NULL);
      g_clear_pointer (&rest, g_free);
      r.scroll_us = wait_for (&app, "scrolled", 3600, &rest) - t0;
      r.loaded = (guint) g_ascii_strtoull (rest, NULL, 10);
      confab_test_drain (1000);
      read_memory (app.process, &r.rss_scrolled_kb, &r.hwm_kb);
    }

  send_command (&app, "quit");
  {
    g_autoptr(GAsyncResult) result = NULL;
    gboolean timed_out = FALSE;
    guint id = g_timeout_add_seconds (10, timeout_cb, &timed_out);

    g_subprocess_wait_async (app.process, NULL, result_cb, &result);
    while (result == NULL && !timed_out)
      g_main_context_iteration (NULL, TRUE);
    if (result == NULL)
      {
        g_printerr ("the app did not quit; ending it\n");
        g_subprocess_force_exit (app.process);
        wait_result (&result);
      }
    else
      g_source_remove (id);
  }

  confab_test_lines_clear (&app.lines);
  g_clear_object (&app.process);
  return r;
}

/* Report ----------------------------------------------------------------------------------- */

static int
cmp_int64 (gconstpointer a,
           gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
print_stat (const char *what,
            gint64     *values,
            int         n,
            double      scale,
            const char *unit)
{
  g_autoptr(GString) all = g_string_new (NULL);

  for (int i = 0; i < n; i++)
    g_string_append_printf (all, "%s%.1f", i ? " " : "", values[i] / scale);
  qsort (values, n, sizeof (gint64), cmp_int64);
  g_print ("%-44s median %8.1f %s  worst %8.1f %s  (%s)\n", what,
           n % 2 ? values[n / 2] / scale : (values[n / 2 - 1] + values[n / 2]) / 2.0 / scale,
           unit, values[n - 1] / scale, unit, all->str);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("— the client's benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *url = NULL;
  g_autoptr(ConfabClient) client = NULL;
  g_autofree gint64 *start = NULL;
  g_autofree gint64 *rows = NULL;
  g_autofree gint64 *end = NULL;
  g_autofree gint64 *rss_start = NULL;
  g_autofree gint64 *rss_open = NULL;
  g_autoptr(GArray) scrolled = g_array_new (FALSE, TRUE, sizeof (RunResult));
  const char *confab = g_getenv ("CONFAB_BIN") ? g_getenv ("CONFAB_BIN") : CONFAB_PATH;
  RunResult warm;
  gint64 t0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (g_getenv ("CONFAB_KEYRING_INNER") == NULL || g_getenv ("DISPLAY") == NULL)
    {
      g_printerr ("Run under tests/run-with-keyring.sh and xvfb-run (see the top of %s).\n",
                  __FILE__);
      return 2;
    }
  opt_runs = MAX (opt_runs, 1);
  opt_scroll_runs = CLAMP (opt_scroll_runs, 0, opt_runs);

  /* Settings in a keyfile under the temp XDG_CONFIG_HOME, which the app then reads. */
  g_setenv ("GSETTINGS_BACKEND", "keyfile", TRUE);
  g_setenv ("GSETTINGS_SCHEMA_DIR", SCHEMA_DIR, TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);

  address = g_strdup_printf ("http://127.0.0.1:%u", start_black_hole ());
  url = g_strdup (address);
  client = confab_client_new (url);

  t0 = g_get_monotonic_time ();
  fill_cache (confab_client_get_server_key (client));
  store_account (address, confab_client_get_server_key (client));
  g_print ("cache: %d conversations, %d messages in %s; filled in %.1f s\n",
           opt_conversations, opt_messages, BIG_CONV, (g_get_monotonic_time () - t0) / 1e6);

  /* The first start builds the font and GStreamer caches in the fresh temp home. */
  warm = run_app (confab, FALSE);
  g_print ("warm-up run (empty font and plugin caches): first frame %.1f ms\n",
           warm.start_us / 1000.0);

  start = g_new0 (gint64, opt_runs);
  rows = g_new0 (gint64, opt_runs);
  end = g_new0 (gint64, opt_runs);
  rss_start = g_new0 (gint64, opt_runs);
  rss_open = g_new0 (gint64, opt_runs);
  for (int i = 0; i < opt_runs; i++)
    {
      RunResult r = run_app (confab, i < opt_scroll_runs);

      start[i] = r.start_us;
      rows[i] = r.open_rows_us;
      end[i] = r.open_end_us;
      rss_start[i] = r.rss_start_kb;
      rss_open[i] = r.rss_open_kb;
      g_print ("run %d: first frame %.1f ms, open %.1f ms (at newest %.1f ms), RSS %.1f MiB "
               "after start, %.1f MiB open", i + 1, r.start_us / 1000.0,
               r.open_rows_us / 1000.0, r.open_end_us / 1000.0, r.rss_start_kb / 1024.0,
               r.rss_open_kb / 1024.0);
      if (i < opt_scroll_runs)
        {
          g_print (", scrolled %d messages end to end in %.1f s (%u in the list at the end): "
                   "VmRSS %.1f MiB, VmHWM %.1f MiB", opt_messages, r.scroll_us / 1e6, r.loaded,
                   r.rss_scrolled_kb / 1024.0, r.hwm_kb / 1024.0);
          g_array_append_val (scrolled, r);
        }
      g_print ("\n");
    }

  g_print ("\n");
  print_stat ("start -> first frame with conversations", start, opt_runs, 1000.0, "ms");
  print_stat ("select -> first frame of its messages", rows, opt_runs, 1000.0, "ms");
  print_stat ("select -> frame at the newest message", end, opt_runs, 1000.0, "ms");
  print_stat ("RSS after start", rss_start, opt_runs, 1024.0, "MiB");
  print_stat ("RSS with the big conversation open", rss_open, opt_runs, 1024.0, "MiB");
  if (scrolled->len > 0)
    {
      g_autofree gint64 *rss = g_new0 (gint64, scrolled->len);
      g_autofree gint64 *hwm = g_new0 (gint64, scrolled->len);

      for (guint i = 0; i < scrolled->len; i++)
        {
          rss[i] = g_array_index (scrolled, RunResult, i).rss_scrolled_kb;
          hwm[i] = g_array_index (scrolled, RunResult, i).hwm_kb;
        }
      print_stat ("VmRSS after scrolling end to end", rss, scrolled->len, 1024.0, "MiB");
      print_stat ("VmHWM after scrolling end to end", hwm, scrolled->len, 1024.0, "MiB");
    }
  return 0;
}
