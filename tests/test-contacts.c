/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* Contacts against the real confabd: consent both ways, a mutual request, decline, removal,
 * groups, blocks, the replay of every contact event to a device that was away, and the bad
 * input of the contacts requests. */

#define T CONFAB_TEST_TIMEOUT_MS

/* Registration hashes passwords with Argon2id; tests need no strength. */
#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"

static ConfabTestServer *
server_new (void)
{
  return confab_test_server_new (NULL, FAST_HASHING);
}

static JsonObject *
event_data (JsonObject *event)
{
  g_assert_nonnull (event);
  return json_object_get_object_member (event, "data");
}

static gint64
event_seq (JsonObject *event)
{
  g_assert_true (json_object_has_member (event, "seq"));
  return json_object_get_int_member (event, "seq");
}

/* Waits for event @name about @user (data.user) and returns its seq. */
static gint64
expect_about (ConfabTestClient *client,
              const char       *name,
              const char       *user)
{
  g_autoptr(JsonObject) event = confab_test_client_wait_event (client, name, T);

  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, user);
  return event_seq (event);
}

/* The username of each item of @member in @client's contacts, joined with commas. */
static char *
contacts_list (ConfabTestClient *client,
               const char       *member)
{
  g_autoptr(JsonObject) result = confab_test_client_call_ok (client, "contacts", "{}");
  JsonArray *items = json_object_get_array_member (result, member);
  g_autoptr(GString) names = g_string_new (NULL);

  g_assert_nonnull (items);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      const char *name;

      if (JSON_NODE_HOLDS_VALUE (node))
        name = json_node_get_string (node);
      else
        name = json_object_get_string_member (
          json_object_get_object_member (json_node_get_object (node), "user"), "username");
      g_string_append_printf (names, "%s%s", i > 0 ? "," : "", name);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

#define assert_list(client, member, expected) \
  G_STMT_START { \
    g_autofree char *_list = contacts_list ((client), (member)); \
    g_assert_cmpstr (_list, ==, (expected)); \
  } G_STMT_END

/* A round trip on @client: every frame the server queued for it before is in by then. */
static void
barrier (ConfabTestClient *client)
{
  json_object_unref (confab_test_client_call_ok (client, "contacts", "{}"));
}

static void
make_contacts (ConfabTestClient *a,
               const char       *user_a,
               ConfabTestClient *b,
               const char       *user_b)
{
  g_autoptr(JsonObject) asked = NULL;

  asked = confab_test_client_call_ok (a, "contact_request", "{\"user\":\"%s\"}", user_b);
  g_assert_cmpstr (json_object_get_string_member (asked, "state"), ==, "pending");
  confab_test_client_expect_event (b, "contact_request");
  json_object_unref (confab_test_client_call_ok (b, "contact_respond",
                                                 "{\"user\":\"%s\",\"accept\":true}", user_a));
  expect_about (a, "contact_added", user_b);
}

static void
test_consent (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autofree char *alice_token2 = confab_test_login (server, "alice", alice->password, NULL);
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) a2 = confab_test_client_new (server, alice_token2, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(JsonObject) asked = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) list = NULL;
  JsonObject *data;
  JsonObject *item;
  JsonObject *presence;

  /* alice asks bob, with a message; both sides' devices hear of it. */
  asked = confab_test_client_call_ok (a, "contact_request",
                                      "{\"user\":\"bob\",\"message\":\"Hi Bob, it's Alice\"}");
  g_assert_cmpstr (json_object_get_string_member (asked, "state"), ==, "pending");
  event = confab_test_client_wait_event (b, "contact_request", T);
  data = event_data (event);
  g_assert_cmpstr (json_object_get_string_member (data, "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (data, "to"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (data, "message"), ==, "Hi Bob, it's Alice");
  g_assert_cmpint (event_seq (event), >, 0);
  g_clear_pointer (&event, json_object_unref);
  event = confab_test_client_wait_event (a2, "contact_request", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "to"), ==, "bob");
  g_clear_pointer (&event, json_object_unref);

  list = confab_test_client_call_ok (b, "contacts", "{}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "contacts")), ==,
                    0);
  item = json_array_get_object_element (json_object_get_array_member (list, "pending_in"), 0);
  g_assert_nonnull (item);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (item, "user"),
                                                  "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (item, "message"), ==, "Hi Bob, it's Alice");
  g_assert_cmpint (json_object_get_int_member (item, "ts"), >, 0);
  g_clear_pointer (&list, json_object_unref);
  assert_list (a, "pending_out", "bob");
  assert_list (a, "pending_in", "");

  /* bob accepts: each side gets contact_added about the other, on every device but the one
   * that asked (it has the response). */
  json_object_unref (confab_test_client_call_ok (b, "contact_respond",
                                                 "{\"user\":\"alice\",\"accept\":true}"));
  expect_about (a, "contact_added", "bob");
  expect_about (a2, "contact_added", "bob");
  assert_list (a, "contacts", "bob");
  assert_list (b, "contacts", "alice");
  assert_list (a, "pending_out", "");
  assert_list (b, "pending_in", "");

  /* Contacts come with their group ("" when none) and presence. */
  list = confab_test_client_call_ok (a, "contacts", "{}");
  item = json_array_get_object_element (json_object_get_array_member (list, "contacts"), 0);
  g_assert_cmpstr (json_object_get_string_member (item, "group"), ==, "");
  presence = json_object_get_object_member (item, "presence");
  g_assert_nonnull (presence);
  g_assert_cmpstr (json_object_get_string_member (presence, "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (presence, "status"), ==, "online");
  g_assert_false (json_object_has_member (item, "last_seen"));

  /* The other way round: carol asks alice, who accepts. */
  json_object_unref (confab_test_client_call_ok (c, "contact_request", "{\"user\":\"alice\"}"));
  event = confab_test_client_wait_event (a, "contact_request", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "from"), ==, "carol");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "message"), ==, "");
  json_object_unref (confab_test_client_call_ok (a, "contact_respond",
                                                 "{\"user\":\"carol\",\"accept\":true}"));
  expect_about (c, "contact_added", "alice");
  expect_about (a2, "contact_added", "carol");
  assert_list (a, "contacts", "bob,carol");
  assert_list (c, "contacts", "alice");
  /* Consent is per pair: bob and carol know nothing of each other. */
  assert_list (b, "contacts", "alice");
}

static void
test_mutual (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) asked = NULL;

  json_object_unref (confab_test_client_call_ok (a, "contact_request", "{\"user\":\"bob\"}"));
  confab_test_client_expect_event (b, "contact_request");
  /* bob asks too: consent on both sides makes them contacts at once. */
  asked = confab_test_client_call_ok (b, "contact_request", "{\"user\":\"alice\"}");
  g_assert_cmpstr (json_object_get_string_member (asked, "state"), ==, "added");
  expect_about (a, "contact_added", "bob");
  assert_list (a, "contacts", "bob");
  assert_list (b, "contacts", "alice");
  assert_list (a, "pending_out", "");
  assert_list (b, "pending_in", "");
  /* Asking a contact again is a conflict. */
  confab_test_client_call_error (a, "conflict", "contact_request", "{\"user\":\"bob\"}");
}

static void
test_decline (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autofree char *bob_token2 = confab_test_login (server, "bob", bob->password, NULL);
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestClient) b2 = confab_test_client_new (server, bob_token2, 0);

  json_object_unref (confab_test_client_call_ok (a, "contact_request", "{\"user\":\"bob\"}"));
  confab_test_client_expect_event (b, "contact_request");
  confab_test_client_expect_event (b2, "contact_request");

  json_object_unref (confab_test_client_call_ok (b, "contact_respond",
                                                 "{\"user\":\"alice\",\"accept\":false}"));
  /* bob's other device learns of it; alice is told nothing, her request is simply gone. */
  expect_about (b2, "contact_declined", "alice");
  barrier (a);
  g_assert_cmpuint (confab_test_client_count_events (a, "contact_declined"), ==, 0);
  g_assert_cmpuint (confab_test_client_count_events (a, "contact_removed"), ==, 0);
  assert_list (a, "pending_out", "");
  assert_list (b, "pending_in", "");
  assert_list (a, "contacts", "");

  /* Nothing is left to answer; alice may ask again. */
  confab_test_client_call_error (b, "not_found", "contact_respond",
                                 "{\"user\":\"alice\",\"accept\":true}");
  json_object_unref (confab_test_client_call_ok (a, "contact_request", "{\"user\":\"bob\"}"));
  assert_list (b, "pending_in", "alice");
}

static void
test_remove (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);

  make_contacts (a, "alice", b, "bob");
  json_object_unref (confab_test_client_call_ok (a, "contact_remove", "{\"user\":\"bob\"}"));
  expect_about (b, "contact_removed", "alice");
  assert_list (a, "contacts", "");
  assert_list (b, "contacts", "");
  confab_test_client_call_error (a, "not_found", "contact_remove", "{\"user\":\"bob\"}");

  /* Withdrawing a request clears it on both sides, and both hear of it. */
  json_object_unref (confab_test_client_call_ok (a, "contact_request", "{\"user\":\"bob\"}"));
  confab_test_client_expect_event (b, "contact_request");
  json_object_unref (confab_test_client_call_ok (a, "contact_remove", "{\"user\":\"bob\"}"));
  expect_about (b, "contact_removed", "alice");
  assert_list (b, "pending_in", "");
}

static void
test_groups (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autofree char *alice_token2 = confab_test_login (server, "alice", alice->password, NULL);
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) a2 = confab_test_client_new (server, alice_token2, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autofree char *long_group = NULL;
  JsonArray *contacts;

  make_contacts (a, "alice", b, "bob");
  make_contacts (a, "alice", c, "carol");

  json_object_unref (confab_test_client_call_ok (a, "contact_group",
                                                 "{\"user\":\"bob\",\"group\":\"  Team  \"}"));
  event = confab_test_client_wait_event (a2, "contact_updated", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "group"), ==, "Team");
  /* Groups are one's own: bob hears nothing of his. */
  barrier (b);
  g_assert_cmpuint (confab_test_client_count_events (b, "contact_updated"), ==, 0);

  list = confab_test_client_call_ok (a, "contacts", "{}");
  contacts = json_object_get_array_member (list, "contacts");
  g_assert_cmpuint (json_array_get_length (contacts), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *item = json_array_get_object_element (contacts, i);
      const char *name = json_object_get_string_member (json_object_get_object_member (item,
                                                                                       "user"),
                                                        "username");

      g_assert_cmpstr (json_object_get_string_member (item, "group"), ==,
                       g_str_equal (name, "bob") ? "Team" : "");
    }
  g_clear_pointer (&list, json_object_unref);
  list = confab_test_client_call_ok (b, "contacts", "{}");
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (list,
                                                                                  "contacts"),
                                                    0), "group"), ==, "");

  /* Ungrouping; setting the same group again changes nothing and sends nothing. */
  json_object_unref (confab_test_client_call_ok (a, "contact_group",
                                                 "{\"user\":\"bob\",\"group\":\"\"}"));
  expect_about (a2, "contact_updated", "bob");
  json_object_unref (confab_test_client_call_ok (a, "contact_group",
                                                 "{\"user\":\"bob\",\"group\":\"\"}"));
  barrier (a2);
  g_assert_cmpuint (confab_test_client_count_events (a2, "contact_updated"), ==, 0);

  long_group = g_strnfill (65, 'g');
  confab_test_client_call_error (a, "bad_request", "contact_group",
                                 "{\"user\":\"bob\",\"group\":\"%s\"}", long_group);
  confab_test_client_call_error (a, "bad_request", "contact_group", "{\"user\":\"bob\"}");
  confab_test_client_call_error (b, "not_found", "contact_group",
                                 "{\"user\":\"carol\",\"group\":\"x\"}");
  confab_test_client_call_error (a, "not_found", "contact_group",
                                 "{\"user\":\"nobody\",\"group\":\"x\"}");
}

static void
test_block (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autofree char *cmid = confab_test_uuid ();
  g_autofree char *cmid2 = confab_test_uuid ();
  g_autofree char *cmid3 = confab_test_uuid ();
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *cmid0 = confab_test_uuid ();

  make_contacts (a, "alice", b, "bob");
  /* bob shares a DM with alice and one with carol. */
  json_object_unref (confab_test_client_call_ok (b, "send",
                                                 "{\"conv\":\"dm:alice:bob\","
                                                 "\"client_msg_id\":\"%s\",\"body\":\"hi\"}",
                                                 cmid0));
  confab_test_client_expect_event (a, "message");
  json_object_unref (confab_test_client_call_ok (b, "send",
                                                 "{\"conv\":\"dm:bob:carol\","
                                                 "\"client_msg_id\":\"%s\",\"body\":\"hi\"}",
                                                 cmid));
  confab_test_client_expect_event (c, "message");

  /* bob blocks alice: the contact ends for both; only bob learns of the block. */
  json_object_unref (confab_test_client_call_ok (b, "block", "{\"user\":\"alice\"}"));
  expect_about (a, "contact_removed", "bob");
  assert_list (b, "blocked", "alice");
  assert_list (a, "blocked", "");
  assert_list (a, "contacts", "");
  assert_list (b, "contacts", "");
  barrier (a);
  g_assert_cmpuint (confab_test_client_count_events (a, "user_blocked"), ==, 0);
  /* Blocking twice changes nothing. */
  json_object_unref (confab_test_client_call_ok (b, "block", "{\"user\":\"alice\"}"));

  /* alice can neither write to bob nor ask him; forbidden is all she is told. */
  response = confab_test_client_call (a, "send",
                                      "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"%s\","
                                      "\"body\":\"hello?\"}", cmid2);
  confab_test_assert_error (response, "forbidden");
  g_clear_pointer (&response, json_object_unref);
  confab_test_client_call_error (a, "forbidden", "contact_request", "{\"user\":\"bob\"}");
  /* Nor may bob ask the user he blocks. */
  confab_test_client_call_error (b, "forbidden", "contact_request", "{\"user\":\"alice\"}");

  /* bob's presence is hidden from alice: carol, a DM peer, sees it; alice does not. */
  events = confab_test_client_take_events (a);
  g_clear_pointer (&events, g_ptr_array_unref);
  json_object_unref (confab_test_client_call_ok (b, "presence", "{\"status\":\"busy\"}"));
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (c, "presence", T);

      if (g_strcmp0 (json_object_get_string_member (event_data (event), "status"), "busy") == 0)
        break;
    }
  barrier (a);
  events = confab_test_client_take_events (a);
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (json_object_get_string_member (event, "event"), "presence") == 0)
        g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), !=, "bob");
    }

  /* Nor can alice ask for it: bob looks offline and never seen. carol sees him busy. */
  {
    g_autoptr(JsonObject) got = confab_test_client_call_ok (a, "presence_get",
                                                            "{\"users\":[\"bob\"]}");
    JsonObject *p = json_array_get_object_element (json_object_get_array_member (got,
                                                                                 "presence"), 0);

    g_assert_cmpstr (json_object_get_string_member (p, "status"), ==, "offline");
    g_assert_true (json_object_get_null_member (p, "last_seen"));
    g_clear_pointer (&got, json_object_unref);
    got = confab_test_client_call_ok (c, "presence_get", "{\"users\":[\"bob\"]}");
    p = json_array_get_object_element (json_object_get_array_member (got, "presence"), 0);
    g_assert_cmpstr (json_object_get_string_member (p, "status"), ==, "busy");
  }

  /* Unblocking: a DM and a request work again. */
  json_object_unref (confab_test_client_call_ok (b, "unblock", "{\"user\":\"alice\"}"));
  assert_list (b, "blocked", "");
  json_object_unref (confab_test_client_call_ok (a, "send",
                                                 "{\"conv\":\"dm:alice:bob\","
                                                 "\"client_msg_id\":\"%s\",\"body\":\"hi\"}",
                                                 cmid3));
  json_object_unref (confab_test_client_call_ok (a, "contact_request", "{\"user\":\"bob\"}"));
  confab_test_client_expect_event (b, "contact_request");

  /* A block also clears a pending request, silently for the one who asked. */
  json_object_unref (confab_test_client_call_ok (b, "block", "{\"user\":\"alice\"}"));
  assert_list (b, "pending_in", "");
  assert_list (a, "pending_out", "");
  json_object_unref (confab_test_client_call_ok (b, "unblock", "{\"user\":\"alice\"}"));
}

/* Every contact event reaches a device that was away, on its next hello. */
static void
test_replay (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autofree char *alice_token2 = confab_test_login (server, "alice", alice->password, NULL);
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(ConfabTestClient) b = NULL;
  g_autoptr(ConfabTestClient) away = NULL;
  g_autoptr(JsonObject) event = NULL;
  gint64 bob_seq = 0;
  gint64 away_seq = 0;

  /* bob is offline while alice asks him. */
  json_object_unref (confab_test_client_call_ok (a, "contact_request",
                                                 "{\"user\":\"bob\",\"message\":\"later\"}"));
  b = confab_test_client_new (server, bob->token, bob_seq);
  event = confab_test_client_wait_event (b, "contact_request", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "message"), ==, "later");
  bob_seq = event_seq (event);
  g_clear_pointer (&event, json_object_unref);

  /* alice's second device is away for everything that follows. */
  away = confab_test_client_new (server, alice_token2, 0);
  event = confab_test_client_wait_event (away, "contact_request", T);
  away_seq = event_seq (event);
  g_clear_pointer (&event, json_object_unref);
  g_clear_pointer (&away, confab_test_client_free);

  /* bob accepts while alice's phone is away; then offline as alice groups and removes. */
  json_object_unref (confab_test_client_call_ok (b, "contact_respond",
                                                 "{\"user\":\"alice\",\"accept\":true}"));
  g_clear_pointer (&b, confab_test_client_free);
  expect_about (a, "contact_added", "bob");
  json_object_unref (confab_test_client_call_ok (a, "contact_group",
                                                 "{\"user\":\"bob\",\"group\":\"Work\"}"));
  json_object_unref (confab_test_client_call_ok (a, "contact_remove", "{\"user\":\"bob\"}"));
  /* carol asks alice, alice declines; alice blocks and unblocks carol. */
  json_object_unref (confab_test_client_call_ok (c, "contact_request", "{\"user\":\"alice\"}"));
  json_object_unref (confab_test_client_call_ok (a, "contact_respond",
                                                 "{\"user\":\"carol\",\"accept\":false}"));
  json_object_unref (confab_test_client_call_ok (a, "block", "{\"user\":\"carol\"}"));
  json_object_unref (confab_test_client_call_ok (a, "unblock", "{\"user\":\"carol\"}"));

  /* The away device gets it all, in order, after its last seq. */
  away = confab_test_client_new (server, alice_token2, away_seq);
  {
    static const char * const expected[][2] = {
      { "contact_added", "bob" },
      { "contact_updated", "bob" },
      { "contact_removed", "bob" },
      { "contact_request", NULL },
      { "contact_declined", "carol" },
      { "user_blocked", "carol" },
      { "user_unblocked", "carol" },
    };
    g_autoptr(GPtrArray) got = NULL;
    guint next = 0;
    gint64 last = away_seq;

    json_object_unref (confab_test_client_wait_event (away, "synced", T));
    got = confab_test_client_take_events (away);
    for (guint i = 0; i < got->len; i++)
      {
        JsonObject *ev = g_ptr_array_index (got, i);
        const char *name = json_object_get_string_member (ev, "event");

        if (!g_str_has_prefix (name, "contact_") && !g_str_has_prefix (name, "user_"))
          continue;
        g_assert_cmpuint (next, <, G_N_ELEMENTS (expected));
        g_assert_cmpstr (name, ==, expected[next][0]);
        if (expected[next][1] != NULL)
          g_assert_cmpstr (json_object_get_string_member (event_data (ev), "user"), ==,
                           expected[next][1]);
        else
          g_assert_cmpstr (json_object_get_string_member (event_data (ev), "from"), ==, "carol");
        g_assert_cmpint (event_seq (ev), >, last);
        last = event_seq (ev);
        next++;
      }
    g_assert_cmpuint (next, ==, G_N_ELEMENTS (expected));
  }

  /* bob, away since he accepted, gets his own acceptance (the connection that accepted had the
   * response instead) and the removal, and nothing of alice's groups. */
  b = confab_test_client_new (server, bob->token, bob_seq);
  expect_about (b, "contact_added", "alice");
  expect_about (b, "contact_removed", "alice");
  json_object_unref (confab_test_client_wait_event (b, "synced", T));
  g_assert_cmpuint (confab_test_client_count_events (b, "contact_updated"), ==, 0);
}

/* profile_updated reaches contacts, not only those one shares a conversation with. */
static void
test_profile_to_contacts (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(JsonObject) event = NULL;

  make_contacts (a, "alice", b, "bob");
  json_object_unref (confab_test_client_call_ok (a, "profile_update",
                                                 "{\"title\":\"Team lead\"}"));
  event = confab_test_client_wait_event (b, "profile_updated", T);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (event_data (event), "user"), "title"),
                   ==, "Team lead");
  barrier (c);
  g_assert_cmpuint (confab_test_client_count_events (c, "profile_updated"), ==, 0);
}

static void
test_bad_input (void)
{
  g_autoptr(ConfabTestServer) server = server_new ();
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autofree char *long_message = g_strnfill (501, 'm');

  /* To oneself, to no one, twice, to someone who blocks. */
  confab_test_client_call_error (a, "invalid", "contact_request", "{\"user\":\"alice\"}");
  confab_test_client_call_error (a, "invalid", "contact_request", "{\"user\":\"ALICE\"}");
  confab_test_client_call_error (a, "not_found", "contact_request", "{\"user\":\"nobody\"}");
  json_object_unref (confab_test_client_call_ok (a, "contact_request", "{\"user\":\"bob\"}"));
  confab_test_client_call_error (a, "conflict", "contact_request", "{\"user\":\"bob\"}");
  json_object_unref (confab_test_client_call_ok (b, "block", "{\"user\":\"alice\"}"));
  confab_test_client_call_error (a, "forbidden", "contact_request", "{\"user\":\"bob\"}");

  /* Malformed requests. */
  confab_test_client_call_error (a, "bad_request", "contact_request", "{}");
  confab_test_client_call_error (a, "bad_request", "contact_request", "{\"user\":17}");
  confab_test_client_call_error (a, "bad_request", "contact_request", "{\"user\":\"no way\"}");
  confab_test_client_call_error (a, "bad_request", "contact_request",
                                 "{\"user\":\"bob\",\"message\":\"%s\"}", long_message);
  confab_test_client_call_error (a, "bad_request", "contact_respond", "{\"user\":\"bob\"}");
  confab_test_client_call_error (a, "bad_request", "contact_respond",
                                 "{\"user\":\"bob\",\"accept\":\"yes\"}");
  confab_test_client_call_error (a, "not_found", "contact_respond",
                                 "{\"user\":\"bob\",\"accept\":true}");
  confab_test_client_call_error (a, "not_found", "contact_respond",
                                 "{\"user\":\"nobody\",\"accept\":false}");
  confab_test_client_call_error (a, "not_found", "contact_remove", "{\"user\":\"nobody\"}");
  confab_test_client_call_error (a, "bad_request", "contact_remove", "{}");
  confab_test_client_call_error (a, "invalid", "block", "{\"user\":\"alice\"}");
  confab_test_client_call_error (a, "not_found", "block", "{\"user\":\"nobody\"}");
  confab_test_client_call_error (a, "not_found", "unblock", "{\"user\":\"nobody\"}");
  confab_test_client_call_error (a, "bad_request", "block", "{\"user\":[]}");

  /* The server carries on. */
  assert_list (a, "contacts", "");
  assert_list (b, "blocked", "alice");
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/contacts/consent", test_consent);
  g_test_add_func ("/confab/contacts/mutual", test_mutual);
  g_test_add_func ("/confab/contacts/decline", test_decline);
  g_test_add_func ("/confab/contacts/remove", test_remove);
  g_test_add_func ("/confab/contacts/groups", test_groups);
  g_test_add_func ("/confab/contacts/block", test_block);
  g_test_add_func ("/confab/contacts/replay", test_replay);
  g_test_add_func ("/confab/contacts/profile-to-contacts", test_profile_to_contacts);
  g_test_add_func ("/confab/contacts/bad-input", test_bad_input);

  return confab_test_run ();
}
