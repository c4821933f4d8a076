/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-browser-call"

#include "config.h"

#include "confab-test-lines.h"
#include "confab-test-util.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A browser calls Confab and is called by it: the real confabd, a Confab client process
 * (tests/confab-call-client.c: ConfabClient, ConfabCallManager, webrtcbin with test media) and
 * a headless Chromium with its fake camera and microphone, running tests/browser/call.html, a
 * page written from docs/protocol.md alone. The page is served from another origin than
 * confabd's, which lets it in through [http] cors_origins. The test drives Chromium through
 * its DevTools protocol.
 *
 * Every call must decode video and audio at both ends: the browser's getStats (frames
 * decoded; audio samples received beyond those concealed) and the Confab pipeline's counts of
 * decoded frames and audio buffers. The time from the answer to the first decoded frame at
 * each end is printed for docs/benchmarks.md. */

#define N_CALLS        10
#define START_MS       60000
#define MEDIA_MS       30000
#define T              CONFAB_TEST_TIMEOUT_MS

static const char *call_client_path;

/* --- The page's origin: a small static server ------------------------------------------- */

static void
on_page_request (SoupServer        *soup,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  const char *dir = user_data;
  g_autofree char *file = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;
  const char *type;

  if (g_str_equal (path, "/call.html"))
    type = "text/html; charset=utf-8";
  else if (g_str_equal (path, "/call.js"))
    type = "text/javascript; charset=utf-8";
  else
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }

  file = g_build_filename (dir, path + 1, NULL);
  if (!g_file_get_contents (file, &contents, &length, NULL))
    {
      soup_server_message_set_status (msg, 500, NULL);
      return;
    }
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, contents, length);
  soup_server_message_set_status (msg, 200, NULL);
}

static SoupServer *
page_server_new (char **out_origin)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) soup = soup_server_new (NULL, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSList *uris;

  soup_server_add_handler (soup, NULL, on_page_request,
                           g_test_build_filename (G_TEST_DIST, "browser", NULL), g_free);
  g_assert_true (soup_server_listen (soup, address, 0, &error));
  g_assert_no_error (error);

  uris = soup_server_get_uris (soup);
  g_assert_nonnull (uris);
  *out_origin = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return g_steal_pointer (&soup);
}

/* --- The Confab side ------------------------------------------------------------------------ */

typedef struct
{
  GSubprocess     *process;
  GOutputStream   *input;
  ConfabTestLines  output;
} Confab;

static void
confab_start (Confab           *confab,
              ConfabTestServer *server,
              ConfabTestUser   *user)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { call_client_path, "--server", confab_test_server_get_url (server),
                         "--username", user->username, "--password", user->password,
                         "--auto-answer", NULL };

  confab->process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  confab->input = g_object_ref (g_subprocess_get_stdin_pipe (confab->process));
  confab_test_lines_init (&confab->output, "confab", g_subprocess_get_stdout_pipe (confab->process));
}

static void
confab_send (Confab     *confab,
             const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strconcat (line, "\n", NULL);

  g_output_stream_write_all (confab->input, text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
confab_stop (Confab *confab)
{
  confab_send (confab, "quit");
  g_output_stream_close (confab->input, NULL, NULL);
  g_subprocess_wait (confab->process, NULL, NULL);
  confab_test_lines_clear (&confab->output);
  g_clear_object (&confab->input);
  g_clear_object (&confab->process);
}

/* Decoded video frames and audio buffers of the current call. */
static void
confab_stats (Confab  *confab,
              guint64 *video,
              guint64 *audio)
{
  g_auto(GStrv) words = NULL;

  confab_send (confab, "stats");
  words = confab_test_lines_wait (&confab->output, "stats ", T);
  g_assert_cmpuint (g_strv_length (words), >=, 2);
  *video = g_ascii_strtoull (words[0], NULL, 10);
  *audio = g_ascii_strtoull (words[1], NULL, 10);
}

/* --- The browser ---------------------------------------------------------------------------- */

typedef struct
{
  GSubprocess             *process;
  char                    *profile;
  SoupSession             *session;
  SoupWebsocketConnection *devtools;
  guint                    next_id;
  JsonObject              *reply;     /* the answer awaited, once in */
  guint                    awaited;
  gboolean                 closed;
} Browser;

static const char *
find_chromium (void)
{
  static const char *names[] = { "chromium", "chromium-browser", "google-chrome" };
  const char *env = g_getenv ("CONFAB_CHROMIUM");

  if (env != NULL)
    return env;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *path = g_find_program_in_path (names[i]);

      if (path != NULL)
        return path;   /* kept for the process's lifetime */
    }
  return NULL;
}

static void
on_devtools_message (SoupWebsocketConnection *ws,
                     gint                     type,
                     GBytes                  *bytes,
                     Browser                 *browser)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  JsonObject *object;

  if (!json_parser_load_from_data (parser, data, length, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return;
  object = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (object, "id") &&
      (guint) json_object_get_int_member (object, "id") == browser->awaited)
    browser->reply = json_object_ref (object);
}

static void
on_devtools_closed (SoupWebsocketConnection *ws,
                    Browser                 *browser)
{
  browser->closed = TRUE;
}

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Fetch;

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;

  fetch->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &fetch->error);
  fetch->done = TRUE;
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Browser *browser = user_data;
  g_autoptr(GError) error = NULL;

  browser->devtools = soup_session_websocket_connect_finish (SOUP_SESSION (object), result,
                                                             &error);
  g_assert_no_error (error);
}

static gboolean
devtools_port_written (gpointer user_data)
{
  Browser *browser = user_data;
  g_autofree char *path = g_build_filename (browser->profile, "DevToolsActivePort", NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static gboolean
devtools_connected (gpointer user_data)
{
  return ((Browser *) user_data)->devtools != NULL;
}

/* The DevTools address of the page at @page_url: Chromium writes its port into its profile,
 * and lists its pages at /json/list. */
static char *
find_page_target (Browser    *browser,
                  const char *page_url)
{
  g_autofree char *port_path = g_build_filename (browser->profile, "DevToolsActivePort", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *list_url = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *targets;

  g_assert_true (confab_test_wait_until (devtools_port_written, browser, START_MS));
  /* The file is written whole, but may be caught between its creation and its content. */
  for (guint i = 0; i < 100; i++)
    {
      g_clear_pointer (&contents, g_free);
      if (g_file_get_contents (port_path, &contents, NULL, NULL) && strchr (contents, '\n'))
        break;
      confab_test_drain (50);
    }
  lines = g_strsplit (contents, "\n", -1);
  list_url = g_strdup_printf ("http://127.0.0.1:%s/json/list", lines[0]);

  for (gint64 deadline = g_get_monotonic_time () + START_MS * 1000LL;;)
    {
      g_autoptr(SoupMessage) message = soup_message_new ("GET", list_url);
      Fetch fetch = { FALSE, NULL, NULL };

      soup_session_send_and_read_async (browser->session, message, G_PRIORITY_DEFAULT, NULL,
                                        fetched_cb, &fetch);
      g_assert_true (confab_test_wait_flag (&fetch.done, T));
      g_assert_no_error (fetch.error);
      g_assert_true (json_parser_load_from_data (parser, g_bytes_get_data (fetch.body, NULL),
                                                 g_bytes_get_size (fetch.body), NULL));
      g_bytes_unref (fetch.body);
      targets = json_node_get_array (json_parser_get_root (parser));
      for (guint i = 0; i < json_array_get_length (targets); i++)
        {
          JsonObject *target = json_array_get_object_element (targets, i);

          if (g_strcmp0 (json_object_get_string_member (target, "type"), "page") == 0 &&
              g_str_has_prefix (json_object_get_string_member (target, "url"), page_url))
            return g_strdup (json_object_get_string_member (target, "webSocketDebuggerUrl"));
        }
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      confab_test_drain (100);
    }
}

/* A test that fails aborts: Chromium goes with it instead of outliving it. In a process group
 * of its own, its helpers are stopped with it at the end. */
static void
die_with_parent (gpointer user_data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
browser_start (Browser    *browser,
               const char *page_url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *log_path = NULL;
  g_autofree char *target = NULL;
  const char *chromium = find_chromium ();

  /* Chromium is a dependency of this test (.ci/install-deps installs it): without it the test
   * fails, it is never counted as passed. */
  if (chromium == NULL)
    g_error ("Chromium is not installed (Debian: apt install chromium; or set CONFAB_CHROMIUM)");

  browser->profile = confab_test_make_dir ("chromium-profile");
  browser->session = soup_session_new ();
  g_ptr_array_add (argv, g_strdup (chromium));
  g_ptr_array_add (argv, g_strdup ("--headless=new"));
  /* Chromium refuses to run as root inside its sandbox; CI runs the suite as root. */
  if (geteuid () == 0)
    g_ptr_array_add (argv, g_strdup ("--no-sandbox"));
  g_ptr_array_add (argv, g_strdup_printf ("--user-data-dir=%s", browser->profile));
  g_ptr_array_add (argv, g_strdup ("--remote-debugging-port=0"));
  g_ptr_array_add (argv, g_strdup ("--use-fake-device-for-media-stream"));
  g_ptr_array_add (argv, g_strdup ("--use-fake-ui-for-media-stream"));
  g_ptr_array_add (argv, g_strdup ("--allow-loopback-in-peer-connection"));
  /* Host candidates as addresses, not mDNS names that webrtcbin cannot resolve. */
  g_ptr_array_add (argv, g_strdup ("--disable-features=WebRtcHideLocalIpsWithMdns"));
  g_ptr_array_add (argv, g_strdup ("--autoplay-policy=no-user-gesture-required"));
  g_ptr_array_add (argv, g_strdup ("--mute-audio"));
  g_ptr_array_add (argv, g_strdup ("--no-first-run"));
  g_ptr_array_add (argv, g_strdup ("--no-default-browser-check"));
  g_ptr_array_add (argv, g_strdup ("--disable-gpu"));
  g_ptr_array_add (argv, g_strdup ("--disable-extensions"));
  g_ptr_array_add (argv, g_strdup ("--disable-background-networking"));
  g_ptr_array_add (argv, g_strdup ("--disable-component-update"));
  g_ptr_array_add (argv, g_strdup ("--disable-crash-reporter"));
  g_ptr_array_add (argv, g_strdup (page_url));
  g_ptr_array_add (argv, NULL);

  /* Its chatter (D-Bus, GPU) goes to a file in its profile, kept with a failed test's temp
   * directory. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  log_path = g_build_filename (browser->profile, "chromium.log", NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  browser->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                   &error);
  g_assert_no_error (error);

  target = find_page_target (browser, page_url);
  message = soup_message_new ("GET", target);
  soup_session_websocket_connect_async (browser->session, message, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, connected_cb, browser);
  g_assert_true (confab_test_wait_until (devtools_connected, browser, T));
  soup_websocket_connection_set_max_incoming_payload_size (browser->devtools, 0);
  g_signal_connect (browser->devtools, "message", G_CALLBACK (on_devtools_message), browser);
  g_signal_connect (browser->devtools, "closed", G_CALLBACK (on_devtools_closed), browser);
}

static gboolean
reply_in (gpointer user_data)
{
  Browser *browser = user_data;

  return browser->reply != NULL || browser->closed;
}

/* Evaluates @expression in the page (awaiting it if it is a promise) and returns its value;
 * an exception in the page fails the test. */
static JsonNode *
browser_eval (Browser    *browser,
              const char *expression)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *result;
  JsonObject *value;

  browser->awaited = ++browser->next_id;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, browser->awaited);
  json_builder_set_member_name (builder, "method");
  json_builder_add_string_value (builder, "Runtime.evaluate");
  json_builder_set_member_name (builder, "params");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "expression");
  json_builder_add_string_value (builder, expression);
  json_builder_set_member_name (builder, "awaitPromise");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_set_member_name (builder, "returnByValue");
  json_builder_add_boolean_value (builder, TRUE);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);

  soup_websocket_connection_send_text (browser->devtools, text);
  if (!confab_test_wait_until (reply_in, browser, MEDIA_MS) || browser->reply == NULL)
    g_error ("no answer from Chromium to %s", expression);
  reply = g_steal_pointer (&browser->reply);

  if (json_object_has_member (reply, "error"))
    g_error ("DevTools refused %s: %s", expression,
             json_to_string (json_object_get_member (reply, "error"), FALSE));
  result = json_object_get_object_member (reply, "result");
  if (json_object_has_member (result, "exceptionDetails"))
    g_error ("%s threw: %s", expression,
             json_to_string (json_object_get_member (result, "exceptionDetails"), FALSE));
  value = json_object_get_object_member (result, "result");
  if (!json_object_has_member (value, "value"))
    return json_node_new (JSON_NODE_NULL);
  return json_node_copy (json_object_get_member (value, "value"));
}

static void
browser_stop (Browser *browser)
{
  if (browser->devtools != NULL)
    {
      g_signal_handlers_disconnect_by_data (browser->devtools, browser);
      g_clear_object (&browser->devtools);
    }
  if (browser->process != NULL)
    {
      pid_t group = (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (browser->process), NULL,
                                             10);

      g_subprocess_send_signal (browser->process, SIGTERM);
      g_subprocess_wait (browser->process, NULL, NULL);
      /* What it started and left behind (its crash handler). */
      if (group > 0)
        kill (-group, SIGKILL);
      g_clear_object (&browser->process);
    }
  g_clear_object (&browser->session);
  g_clear_pointer (&browser->profile, g_free);
}

/* The page's report of its current call (see confab.report in call.js). */
static JsonObject *
browser_report (Browser *browser)
{
  g_autoptr(JsonNode) node = browser_eval (browser, "confab.report()");
  JsonObject *report = json_object_ref (json_node_get_object (node));

  if (!json_object_get_null_member (report, "error"))
    g_error ("the page failed: %s", json_object_get_string_member (report, "error"));
  return report;
}

/* --- The calls ------------------------------------------------------------------------------ */

typedef struct
{
  Browser    *browser;
  Confab     *confab;
  const char *call_id;
  JsonObject *report;     /* the browser's last report */
} Ends;

static gboolean
browser_decodes (gpointer user_data)
{
  Ends *ends = user_data;

  g_clear_pointer (&ends->report, json_object_unref);
  ends->report = browser_report (ends->browser);
  return g_strcmp0 (json_object_get_string_member (ends->report, "callId"), ends->call_id) == 0 &&
         json_object_get_double_member (ends->report, "firstFrameAt") > 0 &&
         json_object_get_double_member (ends->report, "firstAudioAt") > 0 &&
         json_object_get_int_member (ends->report, "framesDecoded") > 0 &&
         json_object_get_int_member (ends->report, "audioSamples") >
         json_object_get_int_member (ends->report, "concealedSamples");
}

static gboolean
confab_decodes (gpointer user_data)
{
  Ends *ends = user_data;
  guint64 video = 0;
  guint64 audio = 0;

  confab_stats (ends->confab, &video, &audio);
  return video > 0 && audio > 0;
}

static gboolean
browser_call_ended (gpointer user_data)
{
  Ends *ends = user_data;
  g_autoptr(JsonObject) report = browser_report (ends->browser);
  JsonArray *ended = json_object_get_array_member (report, "ended");

  for (guint i = 0; i < json_array_get_length (ended); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (ended, i),
                                                  "callId"), ends->call_id) == 0)
      return json_object_get_null_member (report, "callId");
  return FALSE;
}

/* Milliseconds since the epoch in the browser, as CLOCK_MONOTONIC µs (every process's clock
 * on this machine), so that the two ends' times compare. */
static gint64
browser_time_to_monotonic (double epoch_ms)
{
  return (gint64) (epoch_ms * 1000) - (g_get_real_time () - g_get_monotonic_time ());
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gint64
median_of (GArray *values)
{
  g_array_sort (values, compare_gint64);
  return g_array_index (values, gint64, values->len / 2);
}

/* One call: @confab_calls says who calls. Both ends must decode video and audio; the times
 * from the answer to each end's first decoded frame go into
 * @browser_first_frame and @confab_first_frame. */
static void
run_call (Browser  *browser,
          Confab   *confab,
          gboolean  confab_calls,
          guint     n,
          GArray   *browser_first_frame,
          GArray   *confab_first_frame)
{
  g_autofree char *call_id = NULL;
  g_auto(GStrv) first_frame = NULL;
  Ends ends = { browser, confab, NULL, NULL };
  gint64 answered;
  gint64 browser_frame;
  gint64 confab_frame;
  const char *offer;
  const char *answer;

  if (confab_calls)
    {
      g_auto(GStrv) started = NULL;

      confab_send (confab, "call bob video");
      started = confab_test_lines_wait (&confab->output, "started ", T);
      g_assert_cmpstr (started[1], ==, "caller");
      call_id = g_strdup (started[0]);
    }
  else
    {
      g_autoptr(JsonNode) id = browser_eval (browser, "confab.startCall('alice')");
      g_auto(GStrv) started = NULL;

      call_id = g_strdup (json_node_get_string (id));
      started = confab_test_lines_wait (&confab->output, "started ", T);
      g_assert_cmpstr (started[0], ==, call_id);
      g_assert_cmpstr (started[1], ==, "callee");
    }
  ends.call_id = call_id;

  /* Decoded media at both ends. */
  g_assert_true (confab_test_wait_until (browser_decodes, &ends, MEDIA_MS));
  g_assert_true (confab_test_wait_until (confab_decodes, &ends, MEDIA_MS));
  first_frame = confab_test_lines_wait (&confab->output, "first-frame ", MEDIA_MS);

  /* What was negotiated: every line accepted, Opus in full in Confab's offers, and Chromium's
   * BUNDLE offer answered by Confab without bundling. */
  offer = json_object_get_string_member (ends.report, "offerSdp");
  answer = json_object_get_string_member (ends.report, "answerSdp");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (ends.report, "refused")),
                    ==, 0);
  if (confab_calls)
    {
      g_autofree char *lower = g_ascii_strdown (offer, -1);

      g_assert_nonnull (strstr (lower, "a=rtpmap:111 opus/48000/2"));
      g_assert_nonnull (strstr (lower, "useinbandfec=1"));
      g_assert_null (strstr (offer, "a=group:BUNDLE"));
      g_assert_nonnull (answer);
    }
  else
    g_assert_nonnull (strstr (offer, "a=group:BUNDLE"));

  /* The answer: the browser's call_answer, or Confab's accepting. */
  if (confab_calls)
    answered = browser_time_to_monotonic (json_object_get_double_member (ends.report,
                                                                         "answeredAt"));
  else
    {
      g_auto(GStrv) accepted = confab_test_lines_wait (&confab->output, "accepted ", T);

      answered = g_ascii_strtoll (accepted[0], NULL, 10);
    }
  browser_frame = browser_time_to_monotonic (json_object_get_double_member (ends.report,
                                                                            "firstFrameAt"));
  confab_frame = g_ascii_strtoll (first_frame[0], NULL, 10);
  browser_frame -= answered;
  confab_frame -= answered;
  g_array_append_val (browser_first_frame, browser_frame);
  g_array_append_val (confab_first_frame, confab_frame);
  g_test_message ("%s call %u: answer to first frame: browser %" G_GINT64_FORMAT " ms, "
                  "Confab %" G_GINT64_FORMAT " ms", confab_calls ? "Confab->browser" :
                  "browser->Confab", n + 1, browser_frame / 1000, confab_frame / 1000);

  /* Hung up by the one who called; the other side learns it. */
  if (confab_calls)
    {
      confab_send (confab, "hangup");
    }
  else
    {
      g_autoptr(JsonNode) done = browser_eval (browser, "confab.hangup()");
    }
  {
    g_auto(GStrv) ended = confab_test_lines_wait (&confab->output, "ended ", T);

    g_assert_cmpstr (ended[0], ==, call_id);
    g_assert_cmpstr (ended[1], ==, "hangup");
  }
  g_assert_true (confab_test_wait_until (browser_call_ended, &ends, T));

  g_clear_pointer (&ends.report, json_object_unref);
}

static gboolean
page_ready (gpointer user_data)
{
  Browser *browser = user_data;
  g_autoptr(JsonNode) ready = browser_eval (browser, "typeof confab === 'undefined' ? null : "
                                            "(confab.error || confab.deviceId)");

  return JSON_NODE_HOLDS_VALUE (ready);
}

static void
test_browser_calls (void)
{
  g_autofree char *origin = NULL;
  g_autoptr(SoupServer) pages = page_server_new (&origin);
  g_autofree char *config = g_strdup_printf ("[http]\ncors_origins=%s\n", origin);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autofree char *server_url = g_uri_escape_string (confab_test_server_get_url (server), NULL,
                                                     FALSE);
  g_autofree char *page_url = g_strdup_printf ("%s/call.html?server=%s&username=bob&"
                                               "password=correct-horse-battery", origin,
                                               server_url);
  g_autoptr(GArray) browser_first_frame = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) confab_first_frame = g_array_new (FALSE, FALSE, sizeof (gint64));
  Browser browser = { NULL, };
  Confab confab = { NULL, };
  g_autoptr(JsonNode) error = NULL;

  confab_start (&confab, server, alice);
  g_strfreev (confab_test_lines_wait (&confab.output, "ready ", START_MS));

  /* The page registers bob, signs in and opens its session, across origins. */
  browser_start (&browser, page_url);
  g_assert_true (confab_test_wait_until (page_ready, &browser, START_MS));
  error = browser_eval (&browser, "confab.error");
  if (!JSON_NODE_HOLDS_NULL (error))
    g_error ("the page failed: %s", json_node_get_string (error));

  for (guint i = 0; i < N_CALLS; i++)
    run_call (&browser, &confab, TRUE, i, browser_first_frame, confab_first_frame);
  g_test_message ("Confab->browser, answer to first decoded frame, median of %u: browser %"
                  G_GINT64_FORMAT " ms, Confab %" G_GINT64_FORMAT " ms", N_CALLS,
                  median_of (browser_first_frame) / 1000, median_of (confab_first_frame) / 1000);
  g_array_set_size (browser_first_frame, 0);
  g_array_set_size (confab_first_frame, 0);

  for (guint i = 0; i < N_CALLS; i++)
    run_call (&browser, &confab, FALSE, i, browser_first_frame, confab_first_frame);
  g_test_message ("browser->Confab, answer to first decoded frame, median of %u: browser %"
                  G_GINT64_FORMAT " ms, Confab %" G_GINT64_FORMAT " ms", N_CALLS,
                  median_of (browser_first_frame) / 1000, median_of (confab_first_frame) / 1000);

  browser_stop (&browser);
  confab_stop (&confab);
  confab_test_server_assert_running (server);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  call_client_path = g_getenv ("CONFAB_CALL_CLIENT");
  if (call_client_path == NULL)
    g_error ("CONFAB_CALL_CLIENT is not set; run the tests through meson test");

  g_test_add_func ("/confab/browser-call/both-ways", test_browser_calls);

  return confab_test_run ();
}
