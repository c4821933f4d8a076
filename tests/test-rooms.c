/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* Rooms against the real confabd (protocol v1, section 5 "Rooms" and section 9): every request,
 * the privacy of a room from an outsider's and a kicked member's side, messaging in a room,
 * mentions, offline replay, a room of 200 members, and bad input. */

#define T CONFAB_TEST_TIMEOUT_MS

/* Accounts are made by the hundred here: the cheapest Argon2id the server accepts. */
#define FAST_HASH_CONFIG "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n" \
                         "[limits]\nmessages_per_minute=0\n"

typedef struct
{
  ConfabTestServer *server;
  ConfabTestUser   *users[4];    /* alice, bob, carol, dave */
  ConfabTestClient *clients[4];
} Fixture;

#define ALICE(f) ((f)->clients[0])
#define BOB(f)   ((f)->clients[1])
#define CAROL(f) ((f)->clients[2])
#define DAVE(f)  ((f)->clients[3])

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  static const char * const names[] = { "alice", "bob", "carol", "dave" };

  f->server = confab_test_server_new (NULL, FAST_HASH_CONFIG);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      f->users[i] = confab_test_user_new (f->server, names[i]);
      f->clients[i] = confab_test_client_new (f->server, f->users[i]->token, 0);
      json_object_unref (confab_test_client_wait_event (f->clients[i], "synced", T));
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->clients); i++)
    {
      g_clear_pointer (&f->clients[i], confab_test_client_free);
      g_clear_pointer (&f->users[i], confab_test_user_free);
    }
  confab_test_server_assert_running (f->server);
  g_clear_pointer (&f->server, confab_test_server_free);
}

static JsonObject *
event_data (JsonObject *event)
{
  return json_object_get_object_member (event, "data");
}

/* Creates a room; @members_json is a JSON array text or NULL. Returns its id. */
static char *
create_room (ConfabTestClient *client,
             const char       *name,
             const char       *visibility,
             const char       *members_json)
{
  g_autoptr(JsonObject) result = NULL;
  JsonObject *room;

  result = confab_test_client_call_ok (client, "room_create",
                                       "{\"name\":\"%s\",\"topic\":\"t\",\"visibility\":\"%s\""
                                       "%s%s}",
                                       name, visibility, members_json != NULL ? ",\"members\":" : "",
                                       members_json != NULL ? members_json : "");
  room = json_object_get_object_member (result, "room");
  g_assert_cmpstr (json_object_get_string_member (room, "name"), ==, name);
  g_assert_cmpstr (json_object_get_string_member (room, "visibility"), ==, visibility);
  return g_strdup (json_object_get_string_member (room, "id"));
}

static gint64
send_text (ConfabTestClient *client,
           const char       *conv,
           const char       *body)
{
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *cmid = confab_test_uuid ();

  result = confab_test_client_call_ok (client, "send", "{\"conv\":\"%s\",\"client_msg_id\":\"%s\","
                                       "\"body\":\"%s\"}", conv, cmid, body);
  return json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
}

/* The next `message` event of @client, which must be in @conv. */
static JsonObject *
next_message (ConfabTestClient *client,
              const char       *conv)
{
  g_autoptr(JsonObject) event = confab_test_client_wait_event (client, "message", T);
  JsonObject *msg = json_object_get_object_member (event_data (event), "msg");

  g_assert_cmpstr (json_object_get_string_member (msg, "conv"), ==, conv);
  return json_object_ref (msg);
}

static JsonObject *
find_conversation (ConfabTestClient *client,
                   const char       *conv)
{
  g_autoptr(JsonObject) result = confab_test_client_call_ok (client, "conversations", "{}");
  JsonArray *items = json_object_get_array_member (result, "conversations");

  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (g_str_equal (json_object_get_string_member (item, "conv"), conv))
        return json_object_ref (item);
    }
  return NULL;
}

/* Alice's DM to @client's user: once it arrives, anything stored before it has arrived too
 * (events come in seq order), so a room event that did not come is not coming. Returns the
 * `message` events that came before it. */
static GPtrArray *
barrier (Fixture          *f,
         ConfabTestClient *client,
         const char       *username)
{
  g_autofree char *conv = g_strdup_printf ("dm:alice:%s", username);
  GPtrArray *before = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gint64 id = send_text (ALICE (f), conv, "barrier");

  for (;;)
    {
      JsonObject *event = confab_test_client_wait_event (client, "message", T);
      JsonObject *msg = json_object_get_object_member (event_data (event), "msg");

      if (json_object_get_int_member (msg, "id") == id)
        {
          json_object_unref (event);
          return before;
        }
      g_ptr_array_add (before, event);
    }
}

static guint
list_total (ConfabTestClient *client,
            const char       *query)
{
  g_autoptr(JsonObject) result = NULL;

  if (query != NULL)
    result = confab_test_client_call_ok (client, "room_list", "{\"query\":\"%s\"}", query);
  else
    result = confab_test_client_call_ok (client, "room_list", "{}");
  g_assert_cmpint (json_object_get_int_member (result, "total"), >=,
                   json_array_get_length (json_object_get_array_member (result, "rooms")));
  return json_object_get_int_member (result, "total");
}

static const char *
list_membership (ConfabTestClient *client,
                 const char       *room_id)
{
  g_autoptr(JsonObject) result = confab_test_client_call_ok (client, "room_list", "{}");
  JsonArray *rooms = json_object_get_array_member (result, "rooms");

  for (guint i = 0; i < json_array_get_length (rooms); i++)
    {
      JsonObject *room = json_array_get_object_element (rooms, i);

      if (g_str_equal (json_object_get_string_member (room, "id"), room_id))
        {
          JsonNode *node = json_object_get_member (room, "membership");

          return JSON_NODE_HOLDS_NULL (node) ? "none" : g_intern_string (json_node_get_string (node));
        }
    }
  return NULL;
}

/* --- Tests ------------------------------------------------------------------------------------ */

static void
test_create_list_join (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "General", "public", "[\"bob\",\"BOB\",\"alice\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  g_autofree char *secret = create_room (ALICE (f), "Secret plans", "private", NULL);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(JsonObject) item = NULL;
  JsonArray *members;

  /* bob hears that he is in; the timeline starts with one line for the creation. */
  event = confab_test_client_wait_event (BOB (f), "room_member_joined", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "by"), ==, "alice");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (event_data (event),
                                                                              "room"),
                                               "member_count"), ==, 2);
  g_clear_pointer (&event, json_object_unref);
  msg = next_message (BOB (f), conv);
  g_assert_cmpstr (json_object_get_string_member (msg, "kind"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (msg, "system"),
                                                  "action"), ==, "created");
  g_clear_pointer (&msg, json_object_unref);

  /* The room in bob's conversations, with nothing unread: system lines do not count. */
  item = find_conversation (BOB (f), conv);
  g_assert_nonnull (item);
  g_assert_cmpstr (json_object_get_string_member (item, "kind"), ==, "room");
  g_assert_cmpstr (json_object_get_string_member (item, "title"), ==, "General");
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (item, "mentions_unread"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (item, "room"),
                                                  "id"), ==, id);

  /* carol sees the public room (not the private one) and its members. */
  g_assert_cmpstr (list_membership (CAROL (f), id), ==, "none");
  g_assert_null (list_membership (CAROL (f), secret));
  g_assert_cmpstr (list_membership (BOB (f), id), ==, "member");
  g_assert_cmpuint (list_total (CAROL (f), NULL), ==, 1);
  g_assert_cmpuint (list_total (ALICE (f), NULL), ==, 2);
  g_assert_cmpuint (list_total (ALICE (f), "gener"), ==, 1);
  g_assert_cmpuint (list_total (ALICE (f), "SECRET"), ==, 1);
  g_assert_cmpuint (list_total (ALICE (f), "nothing like it"), ==, 0);
  result = confab_test_client_call_ok (ALICE (f), "room_list", "{\"limit\":1,\"offset\":1}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "rooms")), ==, 1);
  g_assert_cmpint (json_object_get_int_member (result, "total"), ==, 2);
  g_clear_pointer (&result, json_object_unref);

  result = confab_test_client_call_ok (CAROL (f), "room_members", "{\"room\":\"%s\"}", id);
  members = json_object_get_array_member (result, "members");
  g_assert_cmpuint (json_array_get_length (members), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (members, 0),
                                                  "user"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (members, 0),
                                                  "role"), ==, "owner");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_array_get_object_element (members, 1),
                                                    "presence"), "status"), ==, "online");
  g_clear_pointer (&result, json_object_unref);

  /* carol joins: everyone in hears it, and she can write. */
  result = confab_test_client_call_ok (CAROL (f), "room_join", "{\"room\":\"%s\"}", id);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (result, "room"),
                                               "member_count"), ==, 3);
  g_clear_pointer (&result, json_object_unref);
  for (guint i = 0; i < 2; i++)
    {
      event = confab_test_client_wait_event (f->clients[i], "room_member_joined", T);
      g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "carol");
      g_clear_pointer (&event, json_object_unref);
    }
  confab_test_client_call_error (CAROL (f), "conflict", "room_join", "{\"room\":\"%s\"}", id);
  g_assert_cmpstr (list_membership (CAROL (f), id), ==, "member");
  send_text (CAROL (f), conv, "hello everyone");
  msg = next_message (ALICE (f), conv);
  g_assert_cmpstr (json_object_get_string_member (msg, "kind"), ==, "system");
  g_clear_pointer (&msg, json_object_unref);
  msg = next_message (ALICE (f), conv);
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "hello everyone");

  /* A private room cannot be joined uninvited, nor told apart from an unknown one. */
  confab_test_client_call_error (CAROL (f), "not_found", "room_join", "{\"room\":\"%s\"}", secret);
  confab_test_client_call_error (CAROL (f), "not_found", "room_join",
                                 "{\"room\":\"nosuchroom123\"}");
}

static void
test_invite (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Board", "private", "[\"bob\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) result = NULL;

  /* Only admins invite to a private room; unknown users and members are refused. */
  confab_test_client_call_error (BOB (f), "forbidden", "room_invite",
                                 "{\"room\":\"%s\",\"user\":\"carol\"}", id);
  confab_test_client_call_error (ALICE (f), "not_found", "room_invite",
                                 "{\"room\":\"%s\",\"user\":\"nobody\"}", id);
  confab_test_client_call_error (ALICE (f), "conflict", "room_invite",
                                 "{\"room\":\"%s\",\"user\":\"bob\"}", id);
  confab_test_client_call_error (DAVE (f), "not_found", "room_invite",
                                 "{\"room\":\"%s\",\"user\":\"carol\"}", id);

  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_invite",
                                                 "{\"room\":\"%s\",\"user\":\"carol\"}", id));
  event = confab_test_client_wait_event (CAROL (f), "room_invite", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event_data (event),
                                                                                 "room"), "id"),
                   ==, id);
  g_clear_pointer (&event, json_object_unref);
  /* Members hear of it too. */
  event = confab_test_client_wait_event (BOB (f), "room_invite", T);
  g_clear_pointer (&event, json_object_unref);
  g_assert_cmpstr (list_membership (CAROL (f), id), ==, "invited");
  /* An invitee is not a reader yet. */
  confab_test_client_call_error (CAROL (f), "not_found", "history", "{\"conv\":\"%s\"}", conv);
  confab_test_client_call_error (CAROL (f), "not_found", "room_members", "{\"room\":\"%s\"}", id);

  /* Declining: room_leave of an invitation. */
  json_object_unref (confab_test_client_call_ok (CAROL (f), "room_leave", "{\"room\":\"%s\"}", id));
  g_assert_null (list_membership (CAROL (f), id));
  confab_test_client_call_error (CAROL (f), "not_found", "room_join", "{\"room\":\"%s\"}", id);

  /* Asked again, she accepts. */
  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_invite",
                                                 "{\"room\":\"%s\",\"user\":\"carol\"}", id));
  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_invite",
                                                 "{\"room\":\"%s\",\"user\":\"carol\"}", id));
  result = confab_test_client_call_ok (CAROL (f), "room_join", "{\"room\":\"%s\"}", id);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (result, "room"),
                                               "member_count"), ==, 3);
  g_assert_cmpstr (list_membership (CAROL (f), id), ==, "member");
  send_text (CAROL (f), conv, "thanks");
}

/* Everything a DM has, in a room: send (idempotent), reply, edit, delete by the author and by
 * an admin, react, read, typing, history, search, unread. */
static void
test_messaging (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Team", "private", "[\"bob\",\"carol\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) item = NULL;
  gint64 first, second, third;
  JsonArray *messages;

  for (guint i = 1; i < 3; i++)
    json_object_unref (next_message (f->clients[i], conv));     /* the creation line */

  first = send_text (BOB (f), conv, "first from bob");
  /* The same client_msg_id again: the same message, nothing delivered twice. */
  result = confab_test_client_call_ok (BOB (f), "send", "{\"conv\":\"%s\",\"client_msg_id\":\"once\","
                                       "\"body\":\"only once\"}", conv);
  second = json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
  g_clear_pointer (&result, json_object_unref);
  result = confab_test_client_call_ok (BOB (f), "send", "{\"conv\":\"%s\",\"client_msg_id\":\"once\","
                                       "\"body\":\"only once\"}", conv);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (result, "msg"), "id"),
                   ==, second);
  g_clear_pointer (&result, json_object_unref);
  result = confab_test_client_call_ok (CAROL (f), "send",
                                       "{\"conv\":\"%s\",\"client_msg_id\":\"r1\",\"body\":\"re\","
                                       "\"reply_to\":%" G_GINT64_FORMAT "}", conv, first);
  third = json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
  g_clear_pointer (&result, json_object_unref);

  msg = next_message (ALICE (f), conv);
  g_assert_cmpint (json_object_get_int_member (msg, "id"), ==, first);
  g_clear_pointer (&msg, json_object_unref);
  msg = next_message (ALICE (f), conv);
  g_assert_cmpint (json_object_get_int_member (msg, "id"), ==, second);
  g_clear_pointer (&msg, json_object_unref);
  msg = next_message (ALICE (f), conv);
  g_assert_cmpint (json_object_get_int_member (msg, "reply_to"), ==, first);
  g_clear_pointer (&msg, json_object_unref);

  /* Unread: three for alice, none of them hers. */
  item = find_conversation (ALICE (f), conv);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 3);
  g_clear_pointer (&item, json_object_unref);

  /* Edit by the author only. */
  confab_test_client_call_error (ALICE (f), "forbidden", "edit",
                                 "{\"msg_id\":%" G_GINT64_FORMAT ",\"body\":\"x\"}", first);
  json_object_unref (confab_test_client_call_ok (BOB (f), "edit", "{\"msg_id\":%" G_GINT64_FORMAT
                                                 ",\"body\":\"first, edited\"}", first));
  event = confab_test_client_wait_event (CAROL (f), "message_edited", T);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event_data (event),
                                                                                 "msg"), "body"),
                   ==, "first, edited");
  g_clear_pointer (&event, json_object_unref);

  /* React. */
  json_object_unref (confab_test_client_call_ok (CAROL (f), "react", "{\"msg_id\":%" G_GINT64_FORMAT
                                                 ",\"emoji\":\"👍\",\"on\":true}", first));
  event = confab_test_client_wait_event (BOB (f), "reaction", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "carol");
  g_clear_pointer (&event, json_object_unref);

  /* Delete: a member may not delete another's message; the author and an admin may. */
  confab_test_client_call_error (CAROL (f), "forbidden", "delete",
                                 "{\"msg_id\":%" G_GINT64_FORMAT "}", second);
  json_object_unref (confab_test_client_call_ok (ALICE (f), "delete",
                                                 "{\"msg_id\":%" G_GINT64_FORMAT "}", second));
  json_object_unref (confab_test_client_call_ok (CAROL (f), "delete",
                                                 "{\"msg_id\":%" G_GINT64_FORMAT "}", third));
  event = confab_test_client_wait_event (BOB (f), "message_deleted", T);
  g_assert_cmpint (json_object_get_int_member (event_data (event), "msg_id"), ==, second);
  g_clear_pointer (&event, json_object_unref);

  /* Read marks: a receipt for the others, and alice's unread goes. */
  json_object_unref (confab_test_client_call_ok (ALICE (f), "read", "{\"conv\":\"%s\",\"msg_id\":%"
                                                 G_GINT64_FORMAT "}", conv, first));
  event = confab_test_client_wait_event (BOB (f), "read", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "alice");
  g_clear_pointer (&event, json_object_unref);
  item = find_conversation (ALICE (f), conv);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (item, "last_read"), ==, first);
  g_clear_pointer (&item, json_object_unref);

  /* Typing reaches the other members, not the typist. */
  json_object_unref (confab_test_client_call_ok (BOB (f), "typing", "{\"conv\":\"%s\",\"active\":true}",
                                                 conv));
  for (guint i = 0; i < 3; i += 2)
    {
      event = confab_test_client_wait_event (f->clients[i], "typing", T);
      g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "bob");
      g_assert_cmpstr (json_object_get_string_member (event_data (event), "conv"), ==, conv);
      g_clear_pointer (&event, json_object_unref);
    }
  confab_test_client_call_error (DAVE (f), "not_found", "typing",
                                 "{\"conv\":\"%s\",\"active\":true}", conv);

  /* History and search. */
  result = confab_test_client_call_ok (CAROL (f), "history", "{\"conv\":\"%s\"}", conv);
  messages = json_object_get_array_member (result, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                  "body"), ==, "first, edited");
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (messages, 2),
                                                 "deleted"));
  g_clear_pointer (&result, json_object_unref);
  result = confab_test_client_call_ok (CAROL (f), "search", "{\"query\":\"edited\",\"conv\":\"%s\"}",
                                       conv);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "messages")), ==, 1);
  g_clear_pointer (&result, json_object_unref);
  result = confab_test_client_call_ok (DAVE (f), "search", "{\"query\":\"edited\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "messages")), ==, 0);
}

static void
test_mentions (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Mentions", "public", "[\"bob\",\"carol\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) item = NULL;
  JsonArray *mentions;
  gint64 first;

  result = confab_test_client_call_ok (ALICE (f), "send",
                                       "{\"conv\":\"%s\",\"client_msg_id\":\"m1\","
                                       "\"body\":\"@Bob, see this; @dave is not here, "
                                       "mail@bob.org is no mention, @bob again.\"}", conv);
  mentions = json_object_get_array_member (json_object_get_object_member (result, "msg"),
                                           "mentions");
  g_assert_nonnull (mentions);
  g_assert_cmpuint (json_array_get_length (mentions), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (mentions, 0), ==, "bob");
  first = json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
  g_clear_pointer (&result, json_object_unref);

  result = confab_test_client_call_ok (ALICE (f), "send",
                                       "{\"conv\":\"%s\",\"client_msg_id\":\"m2\","
                                       "\"body\":\"hey @room\"}", conv);
  mentions = json_object_get_array_member (json_object_get_object_member (result, "msg"),
                                           "mentions");
  g_assert_cmpstr (json_array_get_string_element (mentions, 0), ==, "@room");
  g_clear_pointer (&result, json_object_unref);
  result = confab_test_client_call_ok (ALICE (f), "send",
                                       "{\"conv\":\"%s\",\"client_msg_id\":\"m3\","
                                       "\"body\":\"no one in particular\"}", conv);
  g_assert_false (json_object_has_member (json_object_get_object_member (result, "msg"),
                                          "mentions"));
  g_clear_pointer (&result, json_object_unref);

  item = find_conversation (BOB (f), conv);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (item, "mentions_unread"), ==, 2);
  g_clear_pointer (&item, json_object_unref);
  item = find_conversation (CAROL (f), conv);
  g_assert_cmpint (json_object_get_int_member (item, "mentions_unread"), ==, 1);
  g_clear_pointer (&item, json_object_unref);
  item = find_conversation (ALICE (f), conv);
  g_assert_cmpint (json_object_get_int_member (item, "mentions_unread"), ==, 0);
  g_clear_pointer (&item, json_object_unref);

  /* Reading past a mention clears it; an edit that drops the name drops the mention. */
  json_object_unref (confab_test_client_call_ok (BOB (f), "read", "{\"conv\":\"%s\",\"msg_id\":%"
                                                 G_GINT64_FORMAT "}", conv, first));
  item = find_conversation (BOB (f), conv);
  g_assert_cmpint (json_object_get_int_member (item, "mentions_unread"), ==, 1);
  g_clear_pointer (&item, json_object_unref);
  result = confab_test_client_call_ok (ALICE (f), "edit", "{\"msg_id\":%" G_GINT64_FORMAT
                                       ",\"body\":\"@carol now\"}", first);
  mentions = json_object_get_array_member (json_object_get_object_member (result, "msg"),
                                           "mentions");
  g_assert_cmpstr (json_array_get_string_element (mentions, 0), ==, "carol");
  g_clear_pointer (&result, json_object_unref);
  item = find_conversation (CAROL (f), conv);
  g_assert_cmpint (json_object_get_int_member (item, "mentions_unread"), ==, 2);

  /* DMs carry no mentions. */
  g_clear_pointer (&result, json_object_unref);
  result = confab_test_client_call_ok (ALICE (f), "send",
                                       "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m4\","
                                       "\"body\":\"@bob\"}");
  g_assert_false (json_object_has_member (json_object_get_object_member (result, "msg"),
                                          "mentions"));
}

/* An outsider of a private room learns nothing of it, whatever it asks. */
static void
test_outsider (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Hidden", "private", "[\"bob\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  gint64 msg_id = send_text (ALICE (f), conv, "classified words");
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GPtrArray) events = NULL;

  g_assert_null (list_membership (DAVE (f), id));
  g_assert_cmpuint (list_total (DAVE (f), "hidden"), ==, 0);
  confab_test_client_call_error (DAVE (f), "not_found", "history", "{\"conv\":\"%s\"}", conv);
  confab_test_client_call_error (DAVE (f), "not_found", "search",
                                 "{\"query\":\"classified\",\"conv\":\"%s\"}", conv);
  result = confab_test_client_call_ok (DAVE (f), "search", "{\"query\":\"classified\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "messages")), ==, 0);
  confab_test_client_call_error (DAVE (f), "not_found", "room_members", "{\"room\":\"%s\"}", id);
  confab_test_client_call_error (DAVE (f), "not_found", "room_join", "{\"room\":\"%s\"}", id);
  confab_test_client_call_error (DAVE (f), "not_found", "room_leave", "{\"room\":\"%s\"}", id);
  confab_test_client_call_error (DAVE (f), "not_found", "room_update",
                                 "{\"room\":\"%s\",\"name\":\"Mine\"}", id);
  confab_test_client_call_error (DAVE (f), "not_found", "room_kick",
                                 "{\"room\":\"%s\",\"user\":\"bob\"}", id);
  confab_test_client_call_error (DAVE (f), "not_found", "room_set_role",
                                 "{\"room\":\"%s\",\"user\":\"dave\",\"role\":\"owner\"}", id);
  confab_test_client_call_error (DAVE (f), "not_found", "send",
                                 "{\"conv\":\"%s\",\"client_msg_id\":\"x\",\"body\":\"hi\"}", conv);
  confab_test_client_call_error (DAVE (f), "not_found", "read",
                                 "{\"conv\":\"%s\",\"msg_id\":%" G_GINT64_FORMAT "}", conv, msg_id);
  confab_test_client_call_error (DAVE (f), "not_found", "react",
                                 "{\"msg_id\":%" G_GINT64_FORMAT ",\"emoji\":\"👀\",\"on\":true}",
                                 msg_id);
  confab_test_client_call_error (DAVE (f), "not_found", "edit",
                                 "{\"msg_id\":%" G_GINT64_FORMAT ",\"body\":\"x\"}", msg_id);
  confab_test_client_call_error (DAVE (f), "not_found", "delete",
                                 "{\"msg_id\":%" G_GINT64_FORMAT "}", msg_id);
  /* Nothing of the room reached dave. */
  events = barrier (f, DAVE (f), "dave");
  g_assert_cmpuint (events->len, ==, 0);
  g_assert_cmpuint (confab_test_client_count_events (DAVE (f), "room_member_joined"), ==, 0);
}

/* A kicked member stops receiving at once, sees no later history, and a replay from the start
 * ends where their membership ended. */
static void
test_kicked (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Crew", "private", "[\"bob\",\"carol\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(ConfabTestClient) again = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *token = NULL;
  gint64 before, after;
  guint kicked_seen = 0;

  before = send_text (CAROL (f), conv, "before the kick");
  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_kick",
                                                 "{\"room\":\"%s\",\"user\":\"bob\"}", id));
  event = confab_test_client_wait_event (BOB (f), "room_member_left", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "reason"), ==, "kicked");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "by"), ==, "alice");
  g_clear_pointer (&event, json_object_unref);
  event = confab_test_client_wait_event (CAROL (f), "room_member_left", T);
  g_clear_pointer (&event, json_object_unref);

  after = send_text (CAROL (f), conv, "after the kick");
  json_object_unref (confab_test_client_call_ok (CAROL (f), "typing",
                                                 "{\"conv\":\"%s\",\"active\":true}", conv));
  events = barrier (f, BOB (f), "bob");
  g_ptr_array_extend_and_steal (events, confab_test_client_take_events (BOB (f)));
  for (guint i = 0; i < events->len; i++)
    {
      g_autofree char *text = confab_test_to_string (events->pdata[i]);

      g_assert_null (strstr (text, "after the kick"));
      g_assert_null (strstr (text, "\"typing\""));
    }
  g_clear_pointer (&events, g_ptr_array_unref);

  confab_test_client_call_error (BOB (f), "not_found", "history", "{\"conv\":\"%s\"}", conv);
  confab_test_client_call_error (BOB (f), "not_found", "send",
                                 "{\"conv\":\"%s\",\"client_msg_id\":\"y\",\"body\":\"hi\"}", conv);
  confab_test_client_call_error (BOB (f), "not_found", "react",
                                 "{\"msg_id\":%" G_GINT64_FORMAT ",\"emoji\":\"👀\",\"on\":true}",
                                 after);
  confab_test_client_call_error (BOB (f), "not_found", "room_members", "{\"room\":\"%s\"}", id);
  g_assert_null (list_membership (BOB (f), id));
  g_assert_null (find_conversation (BOB (f), conv));

  /* A new device of bob's replays from the start: the room until his kick, nothing after. */
  token = confab_test_login (f->server, "bob", f->users[1]->password, NULL);
  again = confab_test_client_new (f->server, token, 0);
  json_object_unref (confab_test_client_wait_event (again, "synced", T));
  events = confab_test_client_take_events (again);
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *e = events->pdata[i];
      g_autofree char *text = confab_test_to_string (e);

      g_assert_null (strstr (text, "after the kick"));
      if (g_str_equal (json_object_get_string_member (e, "event"), "room_member_left"))
        kicked_seen++;
    }
  g_assert_cmpuint (kicked_seen, ==, 1);
  g_assert_cmpint (before, <, after);
}

static void
test_roles_and_update (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Project", "public", "[\"bob\",\"carol\",\"dave\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) msg = NULL;
  JsonObject *room;

  for (guint i = 1; i < 4; i++)
    json_object_unref (next_message (f->clients[i], conv));

  /* Members cannot administer. */
  confab_test_client_call_error (BOB (f), "forbidden", "room_kick",
                                 "{\"room\":\"%s\",\"user\":\"carol\"}", id);
  confab_test_client_call_error (BOB (f), "forbidden", "room_update",
                                 "{\"room\":\"%s\",\"topic\":\"mine\"}", id);
  confab_test_client_call_error (BOB (f), "forbidden", "room_set_role",
                                 "{\"room\":\"%s\",\"user\":\"bob\",\"role\":\"admin\"}", id);
  /* In a public room any member may invite. */
  confab_test_client_call_error (BOB (f), "conflict", "room_invite",
                                 "{\"room\":\"%s\",\"user\":\"carol\"}", id);

  /* bob becomes admin: room_updated with user and role, and a system line. */
  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_set_role",
                                                 "{\"room\":\"%s\",\"user\":\"bob\","
                                                 "\"role\":\"admin\"}", id));
  event = confab_test_client_wait_event (CAROL (f), "room_updated", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "role"), ==, "admin");
  g_clear_pointer (&event, json_object_unref);
  msg = next_message (CAROL (f), conv);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (msg, "system"),
                                                  "action"), ==, "role");
  g_clear_pointer (&msg, json_object_unref);

  /* An admin updates, kicks members, but makes no owners and kicks no owner. */
  result = confab_test_client_call_ok (BOB (f), "room_update",
                                       "{\"room\":\"%s\",\"name\":\"  Project X  \","
                                       "\"topic\":\"Ship it\"}", id);
  room = json_object_get_object_member (result, "room");
  g_assert_cmpstr (json_object_get_string_member (room, "name"), ==, "Project X");
  g_assert_cmpstr (json_object_get_string_member (room, "topic"), ==, "Ship it");
  g_clear_pointer (&result, json_object_unref);
  event = confab_test_client_wait_event (CAROL (f), "room_updated", T);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event_data (event),
                                                                                 "room"), "name"),
                   ==, "Project X");
  g_clear_pointer (&event, json_object_unref);
  msg = next_message (CAROL (f), conv);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (msg, "system"),
                                                  "action"), ==, "renamed");
  g_clear_pointer (&msg, json_object_unref);
  msg = next_message (CAROL (f), conv);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (msg, "system"),
                                                  "action"), ==, "topic");
  g_clear_pointer (&msg, json_object_unref);
  /* Nothing changed, nothing told. */
  json_object_unref (confab_test_client_call_ok (BOB (f), "room_update",
                                                 "{\"room\":\"%s\",\"topic\":\"Ship it\"}", id));

  confab_test_client_call_error (BOB (f), "forbidden", "room_kick",
                                 "{\"room\":\"%s\",\"user\":\"alice\"}", id);
  confab_test_client_call_error (BOB (f), "forbidden", "room_set_role",
                                 "{\"room\":\"%s\",\"user\":\"carol\",\"role\":\"owner\"}", id);
  json_object_unref (confab_test_client_call_ok (BOB (f), "room_kick",
                                                 "{\"room\":\"%s\",\"user\":\"dave\"}", id));
  event = confab_test_client_wait_event (DAVE (f), "room_member_left", T);
  g_clear_pointer (&event, json_object_unref);
  confab_test_client_call_error (BOB (f), "not_found", "room_kick",
                                 "{\"room\":\"%s\",\"user\":\"dave\"}", id);

  /* Visibility: a private room leaves outsiders' lists. */
  json_object_unref (confab_test_client_call_ok (BOB (f), "room_update",
                                                 "{\"room\":\"%s\",\"visibility\":\"private\"}",
                                                 id));
  g_assert_null (list_membership (DAVE (f), id));

  /* The last owner cannot leave; once carol is owner too, alice can. */
  confab_test_client_call_error (ALICE (f), "conflict", "room_leave", "{\"room\":\"%s\"}", id);
  confab_test_client_call_error (ALICE (f), "conflict", "room_set_role",
                                 "{\"room\":\"%s\",\"user\":\"alice\",\"role\":\"member\"}", id);
  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_set_role",
                                                 "{\"room\":\"%s\",\"user\":\"carol\","
                                                 "\"role\":\"owner\"}", id));
  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_leave", "{\"room\":\"%s\"}", id));
  event = confab_test_client_wait_event (BOB (f), "room_member_left", T);
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "user"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (event_data (event), "reason"), ==, "left");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event_data (event),
                                                                                 "room"), "owner"),
                   ==, "carol");
  g_clear_pointer (&event, json_object_unref);
  confab_test_client_call_error (ALICE (f), "not_found", "history", "{\"conv\":\"%s\"}", conv);
}

/* Room traffic while a member is away comes back on the next hello, in order. */
static void
test_offline_replay (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Later", "public", "[\"bob\"]");
  g_autofree char *conv = g_strconcat ("room:", id, NULL);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(GPtrArray) events = NULL;
  gint64 sent[3];
  gint64 since;
  guint found = 0;

  event = confab_test_client_wait_event (BOB (f), "room_member_joined", T);
  since = json_object_get_int_member (event, "seq");
  g_clear_pointer (&event, json_object_unref);
  json_object_unref (next_message (BOB (f), conv));
  g_clear_pointer (&f->clients[1], confab_test_client_free);

  for (guint i = 0; i < G_N_ELEMENTS (sent); i++)
    {
      g_autofree char *body = g_strdup_printf ("while away %u", i);

      sent[i] = send_text (ALICE (f), conv, body);
    }
  json_object_unref (confab_test_client_call_ok (CAROL (f), "room_join", "{\"room\":\"%s\"}", id));

  f->clients[1] = confab_test_client_new (f->server, f->users[1]->token, since);
  json_object_unref (confab_test_client_wait_event (BOB (f), "synced", T));
  events = confab_test_client_take_events (BOB (f));
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *e = events->pdata[i];
      JsonObject *msg;

      if (!g_str_equal (json_object_get_string_member (e, "event"), "message"))
        continue;
      msg = json_object_get_object_member (event_data (e), "msg");
      if (g_str_equal (json_object_get_string_member (msg, "kind"), "text"))
        {
          g_assert_cmpuint (found, <, G_N_ELEMENTS (sent));
          g_assert_cmpint (json_object_get_int_member (msg, "id"), ==, sent[found]);
          found++;
        }
    }
  g_assert_cmpuint (found, ==, G_N_ELEMENTS (sent));
  g_assert_nonnull (events);
  {
    gboolean joined = FALSE;

    for (guint i = 0; i < events->len; i++)
      if (g_str_equal (json_object_get_string_member (events->pdata[i], "event"),
                       "room_member_joined"))
        joined = TRUE;
    g_assert_true (joined);
  }
}

/* A room of 200: every member receives every message exactly once. */
static void
test_two_hundred (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, FAST_HASH_CONFIG);
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_test_user_free);
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_test_client_free);
  g_autoptr(GString) members = g_string_new ("[");
  g_autofree char *id = NULL;
  g_autofree char *conv = NULL;
  gint64 sent[5];
  guint expected;

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *name = g_strdup_printf ("member%03u", i);

      g_ptr_array_add (users, confab_test_user_new (server, name));
      if (i > 0)
        g_string_append_printf (members, "%s\"%s\"", i > 1 ? "," : "", name);
    }
  g_string_append_c (members, ']');
  for (guint i = 0; i < users->len; i++)
    {
      ConfabTestUser *user = users->pdata[i];

      g_ptr_array_add (clients, confab_test_client_new (server, user->token, 0));
    }

  id = create_room (clients->pdata[0], "Everyone", "public", members->str);
  conv = g_strconcat ("room:", id, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (sent); i++)
    sent[i] = send_text (clients->pdata[i % 2 == 0 ? 0 : 7], conv, "to all of you");

  /* Every connection but the sender's own gets each message (and the creation line). */
  expected = 0;
  for (guint c = 0; c < clients->len; c++)
    {
      ConfabTestClient *client = clients->pdata[c];
      g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
      guint want = 0;

      for (guint i = 0; i < G_N_ELEMENTS (sent); i++)
        if (!((c == 0 && i % 2 == 0) || (c == 7 && i % 2 == 1)))
          want++;
      while (g_hash_table_size (seen) < want)
        {
          g_autoptr(JsonObject) msg = next_message (client, conv);
          gint64 *msg_id = g_new (gint64, 1);

          *msg_id = json_object_get_int_member (msg, "id");
          if (g_str_equal (json_object_get_string_member (msg, "kind"), "system"))
            {
              g_free (msg_id);
              continue;
            }
          g_assert_false (g_hash_table_contains (seen, msg_id));
          g_hash_table_add (seen, msg_id);
        }
      expected += want;
      g_hash_table_foreach (seen, (GHFunc) g_free, NULL);
    }
  g_assert_cmpuint (expected, ==, 200 * 5 - 5);

  /* Nothing more comes: a DM after them arrives with no second copy before it. */
  for (guint c = 1; c < clients->len; c += 50)
    {
      ConfabTestClient *client = clients->pdata[c];
      ConfabTestUser *user = users->pdata[c];
      g_autofree char *dm = g_strdup_printf ("dm:member000:%s", user->username);
      g_autoptr(JsonObject) msg = NULL;

      send_text (clients->pdata[0], dm, "done");
      msg = next_message (client, dm);
      g_assert_cmpuint (confab_test_client_count_events (client, "message"), ==, 0);
    }
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *id = create_room (ALICE (f), "Valid", "public", "[\"bob\"]");
  g_autofree char *long_name = g_strnfill (81, 'x');
  g_autofree char *max_name = g_strnfill (80, 'y');
  g_autoptr(GString) many = g_string_new ("[");
  g_autoptr(GString) too_many = g_string_new ("[");
  g_autofree char *created = NULL;
  guint before = list_total (ALICE (f), NULL);

  /* Names: 0 characters (after trimming) and 81 are invalid; 80 is fine. */
  confab_test_client_call_error (ALICE (f), "invalid", "room_create",
                                 "{\"name\":\"\",\"visibility\":\"public\"}");
  confab_test_client_call_error (ALICE (f), "invalid", "room_create",
                                 "{\"name\":\"   \",\"visibility\":\"public\"}");
  confab_test_client_call_error (ALICE (f), "invalid", "room_create",
                                 "{\"name\":\"%s\",\"visibility\":\"public\"}", long_name);
  confab_test_client_call_error (ALICE (f), "invalid", "room_update",
                                 "{\"room\":\"%s\",\"name\":\"%s\"}", id, long_name);
  created = create_room (ALICE (f), max_name, "private", NULL);
  /* Visibility and roles outside their values; missing and mistyped fields. */
  confab_test_client_call_error (ALICE (f), "invalid", "room_create",
                                 "{\"name\":\"n\",\"visibility\":\"secret\"}");
  confab_test_client_call_error (ALICE (f), "bad_request", "room_create", "{\"name\":\"n\"}");
  confab_test_client_call_error (ALICE (f), "bad_request", "room_create",
                                 "{\"name\":7,\"visibility\":\"public\"}");
  confab_test_client_call_error (ALICE (f), "bad_request", "room_create",
                                 "{\"name\":\"n\",\"visibility\":\"public\",\"members\":\"bob\"}");
  confab_test_client_call_error (ALICE (f), "bad_request", "room_create",
                                 "{\"name\":\"n\",\"visibility\":\"public\",\"members\":[1]}");
  confab_test_client_call_error (ALICE (f), "invalid", "room_update",
                                 "{\"room\":\"%s\",\"visibility\":\"hidden\"}", id);
  confab_test_client_call_error (ALICE (f), "invalid", "room_set_role",
                                 "{\"room\":\"%s\",\"user\":\"bob\",\"role\":\"king\"}", id);
  /* Unknown rooms, well-formed or not. */
  confab_test_client_call_error (ALICE (f), "not_found", "room_join", "{\"room\":\"AAAAAAAAAAAA\"}");
  confab_test_client_call_error (ALICE (f), "not_found", "room_members", "{\"room\":\"no\"}");
  confab_test_client_call_error (ALICE (f), "not_found", "history",
                                 "{\"conv\":\"room:AAAAAAAAAAAA\"}");
  /* Kicking the owner, oneself; inviting a member; joining twice. */
  json_object_unref (confab_test_client_call_ok (ALICE (f), "room_set_role",
                                                 "{\"room\":\"%s\",\"user\":\"bob\","
                                                 "\"role\":\"admin\"}", id));
  confab_test_client_call_error (BOB (f), "forbidden", "room_kick",
                                 "{\"room\":\"%s\",\"user\":\"alice\"}", id);
  confab_test_client_call_error (ALICE (f), "invalid", "room_kick",
                                 "{\"room\":\"%s\",\"user\":\"alice\"}", id);
  confab_test_client_call_error (ALICE (f), "conflict", "room_invite",
                                 "{\"room\":\"%s\",\"user\":\"bob\"}", id);
  confab_test_client_call_error (BOB (f), "conflict", "room_join", "{\"room\":\"%s\"}", id);
  /* An unknown member: nothing is created. */
  confab_test_client_call_error (ALICE (f), "not_found", "room_create",
                                 "{\"name\":\"n\",\"visibility\":\"public\","
                                 "\"members\":[\"bob\",\"nobody\"]}");
  /* 10 000 names, and 1 001: over the limit of 1 000, refused whole. */
  for (guint i = 0; i < 10000; i++)
    g_string_append (many, i > 0 ? ",\"ab\"" : "\"ab\"");
  g_string_append_c (many, ']');
  confab_test_client_call_error (ALICE (f), "invalid", "room_create",
                                 "{\"name\":\"n\",\"visibility\":\"public\",\"members\":%s}",
                                 many->str);
  for (guint i = 0; i < 1001; i++)
    g_string_append (too_many, i > 0 ? ",\"bob\"" : "\"bob\"");
  g_string_append_c (too_many, ']');
  confab_test_client_call_error (ALICE (f), "invalid", "room_create",
                                 "{\"name\":\"n\",\"visibility\":\"public\",\"members\":%s}",
                                 too_many->str);
  g_assert_cmpuint (list_total (ALICE (f), NULL), ==, before + 1);
  g_assert_cmpuint (list_total (ALICE (f), "n"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/confab/server/rooms/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("create-list-join", test_create_list_join);
  ADD ("invite", test_invite);
  ADD ("messaging", test_messaging);
  ADD ("mentions", test_mentions);
  ADD ("outsider", test_outsider);
  ADD ("kicked", test_kicked);
  ADD ("roles-and-update", test_roles_and_update);
  ADD ("offline-replay", test_offline_replay);
  ADD ("bad-input", test_bad_input);
  g_test_add_func ("/confab/server/rooms/two-hundred-members", test_two_hundred);

#undef ADD

  return confab_test_run ();
}
