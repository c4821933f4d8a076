/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* "A response with ok:true to a state-changing request means the change is committed to disk:
 * it survives a crash or kill -9 of the server the moment after" (protocol v1, section 4). */

#define T CONFAB_TEST_TIMEOUT_MS
#define WINDOW 16
#define ROUNDS 3

/* No per-minute limit: the client sends as fast as the server answers. */
static const char *config = "[limits]\nmessages_per_minute=0\n";

typedef struct
{
  ConfabTestClient *client;
  GHashTable       *in_flight;   /* request id → client_msg_id */
  GHashTable       *acked;       /* client_msg_id → message id (gint64 *) */
  GHashTable       *unanswered;  /* client_msg_id, sent but never acknowledged */
  guint             next;
  guint             round;
} Sender;

static void
send_one (Sender *sender)
{
  g_autofree char *cmid = g_strdup_printf ("dur-%u-%u", sender->round, sender->next++);
  char *id = confab_test_client_send (sender->client, "send",
                                      "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"%s\","
                                      "\"body\":\"durable message %s\"}", cmid, cmid);

  g_hash_table_insert (sender->in_flight, id, g_strdup (cmid));
}

static gboolean
answered_or_closed (gpointer user_data)
{
  Sender *sender = user_data;
  GHashTableIter iter;
  gpointer id;

  if (!confab_test_client_is_open (sender->client))
    return TRUE;
  g_hash_table_iter_init (&iter, sender->in_flight);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    if (confab_test_client_count_responses (sender->client, id) > 0)
      return TRUE;
  return FALSE;
}

/* Takes in the responses that arrived; returns FALSE once the connection is gone. */
static gboolean
collect (Sender *sender)
{
  g_autoptr(GPtrArray) done = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer id;
  gpointer cmid;

  if (!confab_test_wait_until (answered_or_closed, sender, T))
    g_error ("no response to any of %u requests in flight",
             g_hash_table_size (sender->in_flight));

  g_hash_table_iter_init (&iter, sender->in_flight);
  while (g_hash_table_iter_next (&iter, &id, &cmid))
    {
      g_autoptr(JsonObject) response = NULL;
      JsonObject *msg;
      gint64 msg_id;

      if (confab_test_client_count_responses (sender->client, id) == 0)
        continue;
      response = confab_test_client_wait_response (sender->client, id, 0);
      msg = json_object_get_object_member (confab_test_assert_ok (response), "msg");
      g_assert_cmpstr (json_object_get_string_member (msg, "client_msg_id"), ==, cmid);
      msg_id = json_object_get_int_member (msg, "id");
      g_assert_false (g_hash_table_contains (sender->acked, cmid));
      g_hash_table_insert (sender->acked, g_strdup (cmid), g_memdup2 (&msg_id, sizeof msg_id));
      g_ptr_array_add (done, id);
    }
  for (guint i = 0; i < done->len; i++)
    g_hash_table_remove (sender->in_flight, g_ptr_array_index (done, i));

  return confab_test_client_is_open (sender->client);
}

/* Every message in the conversation, oldest first, by paging backwards. */
static GPtrArray *
full_history (ConfabTestClient *client)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gint64 before = 0;

  for (;;)
    {
      g_autoptr(JsonObject) page = NULL;
      JsonArray *messages;
      guint n;

      if (before == 0)
        page = confab_test_client_call_ok (client, "history",
                                           "{\"conv\":\"dm:alice:bob\",\"limit\":200}");
      else
        page = confab_test_client_call_ok (client, "history",
                                           "{\"conv\":\"dm:alice:bob\",\"limit\":200,"
                                           "\"before\":%" G_GINT64_FORMAT "}", before);
      messages = json_object_get_array_member (page, "messages");
      n = json_array_get_length (messages);
      for (guint i = n; i > 0; i--)
        g_ptr_array_insert (all, 0,
                            json_object_ref (json_array_get_object_element (messages, i - 1)));
      if (n == 0 || !json_object_get_boolean_member (page, "has_more"))
        break;
      before = json_object_get_int_member (json_array_get_object_element (messages, 0), "id");
    }
  return all;
}

/* Every acknowledged message is there, with the id it was acknowledged with, and nothing is
 * there twice. */
static void
check_messages (GPtrArray  *messages,
                GHashTable *acked)
{
  g_autoptr(GHashTable) cmids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer cmid;
  gpointer id;
  gint64 previous = 0;

  for (guint i = 0; i < messages->len; i++)
    {
      JsonObject *msg = g_ptr_array_index (messages, i);
      const char *c = json_object_get_string_member (msg, "client_msg_id");
      gint64 msg_id = json_object_get_int_member (msg, "id");

      if (g_hash_table_contains (cmids, c))
        g_error ("client_msg_id %s stored twice", c);
      g_hash_table_add (cmids, (gpointer) c);
      if (g_hash_table_contains (ids, &msg_id))
        g_error ("message id %" G_GINT64_FORMAT " twice", msg_id);
      g_hash_table_add (ids, g_memdup2 (&msg_id, sizeof msg_id));
      g_assert_cmpint (msg_id, >, previous);
      previous = msg_id;
    }

  g_hash_table_iter_init (&iter, acked);
  while (g_hash_table_iter_next (&iter, &cmid, &id))
    {
      if (!g_hash_table_contains (cmids, cmid))
        g_error ("acknowledged message %s (id %" G_GINT64_FORMAT ") lost", (char *) cmid,
                 *(gint64 *) id);
      if (!g_hash_table_contains (ids, id))
        g_error ("acknowledged message %s changed its id", (char *) cmid);
    }
}

static void
test_kill_mid_stream (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(ConfabTestClient) reader = NULL;
  Sender sender = { 0 };
  guint lost_in_flight = 0;

  sender.acked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sender.unanswered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sender.in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (sender.round = 0; sender.round < ROUNDS; sender.round++)
    {
      guint target = g_hash_table_size (sender.acked) + 150 + g_test_rand_int_range (0, 150);
      GHashTableIter iter;
      gpointer cmid;

      sender.client = confab_test_client_new (server, alice->token, 0);
      sender.next = 0;

      /* Keep WINDOW sends in flight; pull the plug while they are. */
      while (g_hash_table_size (sender.acked) < target)
        {
          while (g_hash_table_size (sender.in_flight) < WINDOW)
            send_one (&sender);
          g_assert_true (collect (&sender));
        }
      while (g_hash_table_size (sender.in_flight) < WINDOW)
        send_one (&sender);
      confab_test_server_kill (server);

      /* Whatever was answered before the connection dropped counts as acknowledged. */
      while (g_hash_table_size (sender.in_flight) > 0 && collect (&sender))
        ;
      confab_test_client_wait_closed (sender.client, T);
      g_hash_table_iter_init (&iter, sender.in_flight);
      while (g_hash_table_iter_next (&iter, NULL, &cmid))
        g_hash_table_add (sender.unanswered, g_strdup (cmid));
      lost_in_flight += g_hash_table_size (sender.in_flight);
      g_hash_table_remove_all (sender.in_flight);
      g_clear_pointer (&sender.client, confab_test_client_free);

      confab_test_server_start (server);

      reader = confab_test_client_new (server, alice->token, 0);
      history = full_history (reader);
      check_messages (history, sender.acked);
      g_test_message ("round %u: %u acknowledged, %u stored, %u unanswered so far", sender.round,
                      g_hash_table_size (sender.acked), history->len,
                      g_hash_table_size (sender.unanswered));
      g_clear_pointer (&history, g_ptr_array_unref);
      g_clear_pointer (&reader, confab_test_client_free);
    }

  /* A client's outbox sends the unanswered ones again; each ends up stored once. */
  {
    g_autoptr(ConfabTestClient) retry = confab_test_client_new (server, alice->token, 0);
    GHashTableIter iter;
    gpointer cmid;

    g_hash_table_iter_init (&iter, sender.unanswered);
    while (g_hash_table_iter_next (&iter, &cmid, NULL))
      {
        g_autoptr(JsonObject) result = NULL;
        gint64 id;

        result = confab_test_client_call_ok (retry, "send",
                                             "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"%s\","
                                             "\"body\":\"durable message %s\"}",
                                             (char *) cmid, (char *) cmid);
        id = json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
        g_hash_table_insert (sender.acked, g_strdup (cmid), g_memdup2 (&id, sizeof id));
      }
    history = full_history (retry);
    check_messages (history, sender.acked);
    g_assert_cmpuint (history->len, ==, g_hash_table_size (sender.acked));
  }

  /* Bob, offline all along, gets each message exactly once. */
  {
    g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
    g_autoptr(JsonObject) synced = confab_test_client_wait_event (b, "synced", 60000);
    g_autoptr(GPtrArray) events = confab_test_client_take_events (b);
    g_autoptr(GPtrArray) replayed = g_ptr_array_new ();

    g_assert_nonnull (synced);
    for (guint i = 0; i < events->len; i++)
      {
        JsonObject *event = g_ptr_array_index (events, i);

        if (g_strcmp0 (json_object_get_string_member (event, "event"), "message") == 0)
          g_ptr_array_add (replayed, json_object_get_object_member (
                             json_object_get_object_member (event, "data"), "msg"));
      }
    check_messages (replayed, sender.acked);
    g_assert_cmpuint (replayed->len, ==, history->len);
  }

  g_test_message ("%u acknowledged in all; %u were in flight at a kill",
                  g_hash_table_size (sender.acked), lost_in_flight);
  g_hash_table_unref (sender.acked);
  g_hash_table_unref (sender.unanswered);
  g_hash_table_unref (sender.in_flight);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/server/durability/kill-mid-stream", test_kill_mid_stream);

  return confab_test_run ();
}
