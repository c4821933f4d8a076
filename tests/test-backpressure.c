/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confabd and peers that do not read what they are sent, on the real server, plain and TLS:
 * the output waiting for such a peer stays bounded, the peer is closed with 4413, and on
 * reconnecting it gets everything from its acknowledged seq; a peer that sends acks but never
 * reads is not kept alive by them. The peers here are raw sockets that stop reading. */
#include "config.h"

#include "confab-test-raw.h"
#include "confab-test-util.h"

#include <string.h>

#define CLOSE_SLOW_READER 4413
#define BODY_CHARS        16000
#define MIB               (1024 * 1024)

static guint
raw_read_until_close (ConfabTestRawPeer *peer,
                      GArray            *seqs)
{
  return confab_test_raw_read_frames (peer, seqs, NULL);
}

/* --- The server's memory ---------------------------------------------------------------------- */

static gsize
server_rss (ConfabTestServer *server)
{
  return confab_test_server_proc_status (server, "VmRSS") * 1024;
}

/* --- Live messages to a peer that does not read ----------------------------------------------- */

static char *
big_body (void)
{
  char *body = g_malloc (BODY_CHARS + 1);

  memset (body, 'x', BODY_CHARS);
  body[BODY_CHARS] = 0;
  return body;
}

static gboolean
closed_as_slow_reader (ConfabTestServer *server)
{
  return strstr (confab_test_server_get_log (server), "closing a connection of alice") != NULL;
}

/* Sends @count messages of BODY_CHARS to @conv, 32 requests at a time. Once the server says it
 * closes @peer, @peer reads what it was sent (within libsoup's 5 s for the close frame): its
 * close code goes to @code and the seqs of its messages to @seqs. */
static void
send_many (ConfabTestServer *server,
           ConfabTestClient *client,
           const char       *conv,
           guint             count,
           ConfabTestRawPeer          *peer,
           guint            *code,
           GArray           *seqs)
{
  gboolean peer_read = FALSE;

  g_autofree char *body = big_body ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  for (guint sent = 0; sent < count;)
    {
      for (guint i = 0; i < 32 && sent < count; i++, sent++)
        {
          g_autofree char *cmid = confab_test_uuid ();

          g_ptr_array_add (ids, confab_test_client_send (client, "send",
                                                         "{\"conv\":\"%s\",\"client_msg_id\":"
                                                         "\"%s\",\"body\":\"%s\"}",
                                                         conv, cmid, body));
        }
      for (guint i = 0; i < ids->len; i++)
        {
          g_autoptr(JsonObject) response = NULL;

          response = confab_test_client_wait_response (client, g_ptr_array_index (ids, i),
                                                       CONFAB_TEST_TIMEOUT_MS);
          g_assert_nonnull (response);
          g_assert_true (json_object_get_boolean_member (response, "ok"));
        }
      g_ptr_array_set_size (ids, 0);
      if (peer != NULL && !peer_read && closed_as_slow_reader (server))
        {
          g_test_message ("reading the peer after %u messages", sent);
          *code = raw_read_until_close (peer, seqs);
          g_test_message ("close code %u after %u messages", *code, seqs->len);
          peer_read = TRUE;
        }
    }
  if (peer != NULL && !peer_read)
    *code = raw_read_until_close (peer, seqs);
}

static const char nonreader_config[] = "[limits]\nmax_queued_bytes=1048576\nmessages_per_minute=0\n"
                                       "[timeouts]\nslow_reader_s=2\n";

static void
check_live_nonreader (ConfabTestServer *server,
                      gboolean          tls)
{
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) sender = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestRawPeer) peer = NULL;
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(ConfabTestClient) again = NULL;
  const guint count = 1000;  /* 16 MB of bodies */
  gsize rss_start, rss_before, rss_after;
  gint64 last_seq = 0;
  guint code = 0;

  /* The store's page cache grows with what is written (up to 64 MiB): the same traffic
   * first with alice away measures that, and then the peer may add little to it. */
  rss_start = server_rss (server);
  send_many (server, sender, "dm:bob:carol", count, NULL, NULL, NULL);
  confab_test_drain (500);

  /* The peer takes its (empty) replay, then stops reading. */
  peer = confab_test_raw_peer_new (server, alice->token, tls);
  confab_test_raw_read_frames (peer, NULL, "synced");
  confab_test_drain (500);
  rss_before = server_rss (server);
  send_many (server, sender, "dm:alice:bob", count, peer, &code, seqs);
  confab_test_drain (500);
  rss_after = server_rss (server);
  g_test_message ("%s: confabd RSS %zu -> %zu KiB sending %u MB to nobody online, then "
                  "-> %zu KiB sending as much to a peer that does not read",
                  tls ? "TLS" : "plain", rss_start / 1024, rss_before / 1024,
                  count * BODY_CHARS / 1000000, rss_after / 1024);
  g_assert_cmpuint (rss_after - rss_before, <, rss_before - rss_start + 10 * MIB);

  /* The peer was closed as a slow reader; what it did get ends with the close frame. */
  g_assert_true (closed_as_slow_reader (server));
  /* The output still waiting was dropped for it: the close frame reached the peer. */
  g_assert_cmpuint (code, ==, CLOSE_SLOW_READER);
  if (seqs->len > 0)
    last_seq = g_array_index (seqs, gint64, seqs->len - 1);
  g_assert_cmpuint (seqs->len, <, count);

  /* Resuming from the last seq it saw, it gets every other message. */
  again = confab_test_client_new (server, alice->token, last_seq);
  confab_test_client_wait_event (again, "synced", 6 * CONFAB_TEST_TIMEOUT_MS);
  g_assert_cmpuint (confab_test_client_count_events (again, "message"), ==,
                    count - seqs->len);
}

static void
test_live_nonreader_plain (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, nonreader_config);

  check_live_nonreader (server, FALSE);
  confab_test_server_assert_running (server);
}

static void
test_live_nonreader_tls (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new_tls (NULL, nonreader_config);

  check_live_nonreader (server, TRUE);
  confab_test_server_assert_running (server);
}

/* --- A long replay read slowly ----------------------------------------------------------------- */

#define REPLAY_EVENTS 99000

/* Sends @count short messages, 500 requests in flight at a time. */
static void
send_short (ConfabTestClient *client,
            const char       *conv,
            guint             count)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

  for (guint sent = 0; sent < count;)
    {
      for (guint i = 0; i < 500 && sent < count; i++, sent++)
        g_ptr_array_add (ids, confab_test_client_send (client, "send",
                                                       "{\"conv\":\"%s\",\"client_msg_id\":"
                                                       "\"m%u\",\"body\":\"message %u\"}",
                                                       conv, sent, sent));
      for (guint i = 0; i < ids->len; i++)
        {
          g_autoptr(JsonObject) response = NULL;

          response = confab_test_client_wait_response (client, g_ptr_array_index (ids, i),
                                                       6 * CONFAB_TEST_TIMEOUT_MS);
          g_assert_nonnull (response);
        }
      g_ptr_array_set_size (ids, 0);
    }
}

/* A new device replays 99 000 events and reads them at about 1 MiB/s: the server reads each
 * batch from the store only once the one before is written, so its memory stays bounded
 * (the whole replay used to be queued at once: +270 MiB). */
static void
test_slow_replay (void)
{
  g_autoptr(ConfabTestServer) server =
    confab_test_server_new (NULL, "[limits]\nmessages_per_minute=0\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) sender = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestRawPeer) peer = NULL;
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  gsize rss_before, rss_max = 0;
  guint8 buffer[16384];
  gsize total = 0;
  gint64 started;

  send_short (sender, "dm:alice:bob", REPLAY_EVENTS);
  confab_test_client_close (sender);
  confab_test_drain (1000);
  rss_before = server_rss (server);

  peer = confab_test_raw_peer_new (server, alice->token, FALSE);
  started = g_get_monotonic_time ();
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_input_stream_read (g_io_stream_get_input_stream (peer->stream), buffer,
                                      sizeof buffer, NULL, &error);

      if (n <= 0)
        break;
      total += n;
      /* The replay ends with "synced"; the stream stays open after it. */
      if (g_strstr_len ((const char *) buffer, n, "\"synced\"") != NULL)
        break;
      if (total % (256 * 1024) < sizeof buffer)
        {
          rss_max = MAX (rss_max, server_rss (server));
          g_usleep (G_USEC_PER_SEC / 4);  /* about 1 MiB/s */
        }
    }
  g_test_message ("replay of %u events, %zu KiB read in %.1f s: confabd RSS %zu KiB before, "
                  "at most %zu KiB during", REPLAY_EVENTS, total / 1024,
                  (g_get_monotonic_time () - started) / 1e6, rss_before / 1024, rss_max / 1024);
  g_assert_cmpuint (total, >, (gsize) REPLAY_EVENTS * 100);
  g_assert_cmpuint (rss_max, <, rss_before + 48 * MIB);
  confab_test_server_assert_running (server);
}

/* --- Memory after a burst --------------------------------------------------------------------- */

#define BURST_PEERS    8
#define BURST_MESSAGES 200

typedef struct
{
  ConfabTestServer *server;
  gsize             limit;
} RssBelow;

static gboolean
rss_below (gpointer user_data)
{
  RssBelow *check = user_data;

  return server_rss (check->server) < check->limit;
}

/* Peers that ask for many large history pages and do not read, each followed by a client that
 * signs in and stays: once the burst's peers are gone, the memory their output took is free
 * but lies below what the staying clients hold, where glibc does not give it back by itself.
 * The server's sweep (every ping interval) returns it to the system. */
static void
test_memory_returned (void)
{
  g_autoptr(ConfabTestServer) server =
    confab_test_server_new (NULL, "[limits]\nmessages_per_minute=0\nmax_queued_bytes=268435456\n"
                            "[timeouts]\nping_interval_s=1\nslow_reader_s=600\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) sender = confab_test_client_new (server, bob->token, 0);
  g_autoptr(GPtrArray) peers = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_test_raw_peer_free);
  g_autoptr(GPtrArray) staying =
    g_ptr_array_new_with_free_func ((GDestroyNotify) confab_test_client_free);
  RssBelow check = { server, 0 };
  gsize rss_idle, rss_burst, rss_end;

  send_many (server, sender, "dm:alice:bob", BURST_MESSAGES, NULL, NULL, NULL);
  confab_test_drain (1500);
  rss_idle = server_rss (server);

  for (guint i = 0; i < BURST_PEERS; i++)
    {
      ConfabTestRawPeer *peer = confab_test_raw_peer_new (server, alice->token, FALSE);
      ConfabTestClient *client;

      for (guint page = 0; page < 8; page++)
        {
          g_autofree char *request =
            g_strdup_printf ("{\"type\":\"history\",\"id\":\"p%u\",\"conv\":\"dm:alice:bob\","
                             "\"limit\":200}", page);

          confab_test_raw_send (peer, request);
        }
      g_ptr_array_add (peers, peer);
      confab_test_drain (300);
      client = confab_test_client_new (server, alice->token, 0);
      confab_test_client_wait_event (client, "synced", CONFAB_TEST_TIMEOUT_MS);
      g_ptr_array_add (staying, client);
    }
  rss_burst = server_rss (server);
  g_ptr_array_set_size (peers, 0);

  check.limit = rss_idle + 16 * MIB;
  confab_test_wait_until (rss_below, &check, 10000);
  rss_end = server_rss (server);
  g_test_message ("%u peers asking for 8 pages of %u messages of %u characters and not reading: "
                  "confabd RSS %zu KiB before, %zu KiB during, %zu KiB after they went",
                  BURST_PEERS, BURST_MESSAGES, BODY_CHARS, rss_idle / 1024, rss_burst / 1024,
                  rss_end / 1024);
  g_assert_cmpuint (rss_burst, >, rss_idle + 64 * MIB);
  g_assert_cmpuint (rss_end, <, check.limit);
  confab_test_server_assert_running (server);
}

/* --- A peer that acks but never reads --------------------------------------------------------- */

static void
test_acks_do_not_prove_alive (void)
{
  g_autoptr(ConfabTestServer) server =
    confab_test_server_new (NULL, "[timeouts]\nping_interval_s=1\nidle_s=3\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestRawPeer) peer = confab_test_raw_peer_new (server, alice->token, FALSE);
  guint code;

  for (guint i = 0; i < 16; i++)
    {
      confab_test_raw_send (peer, "{\"type\":\"ack\",\"seq\":0}");
      g_usleep (G_USEC_PER_SEC / 2);
    }
  /* Eight seconds of acks and no pong: the server has given up on this peer by now. */
  code = raw_read_until_close (peer, NULL);
  g_assert_cmpuint (code, ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  confab_test_server_assert_running (server);
}

int
main (int   argc,
      char *argv[])
{
  /* confabd's RSS is measured: one malloc arena per store thread would blur it. */
  g_setenv ("MALLOC_ARENA_MAX", "2", TRUE);
  confab_test_init (&argc, &argv);

  g_test_add_func ("/backpressure/live-nonreader/plain", test_live_nonreader_plain);
  g_test_add_func ("/backpressure/live-nonreader/tls", test_live_nonreader_tls);
  g_test_add_func ("/backpressure/acks-do-not-prove-alive", test_acks_do_not_prove_alive);
  g_test_add_func ("/backpressure/slow-replay", test_slow_replay);
  g_test_add_func ("/backpressure/memory-returned", test_memory_returned);

  return confab_test_run ();
}
