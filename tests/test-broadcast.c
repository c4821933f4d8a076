/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* Announcements against the real confabd: to everyone, to a department, to a list, with
 * recipients offline until their next hello; who may make them; POST /v1/admin/broadcast;
 * an announcement to everyone stored once; bad input. */

#define T CONFAB_TEST_TIMEOUT_MS

#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"

typedef struct
{
  ConfabTestServer *server;
  ConfabTestUser   *users[5];   /* alice (admin), bob, carol, dave, erin */
} Fixture;

static const char * const names[] = { "alice", "bob", "carol", "dave", "erin" };
static const char * const departments[] = { "Management", "Sales", "Sales", "Engineering",
                                            "SALES" };

static void
set_department (Fixture    *f,
                guint       who,
                const char *department)
{
  g_autoptr(ConfabTestClient) client = confab_test_client_new (f->server, f->users[who]->token,
                                                               0);

  json_object_unref (confab_test_client_call_ok (client, "profile_update",
                                                 "{\"department\":\"%s\"}", department));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = confab_test_server_new (NULL, FAST_HASHING);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      f->users[i] = confab_test_user_new (f->server, names[i]);
      set_department (f, i, departments[i]);
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    confab_test_user_free (f->users[i]);
  confab_test_server_free (f->server);
}

static ConfabTestClient *
open_client (Fixture *f,
             guint    who,
             gint64   since)
{
  return confab_test_client_new (f->server, f->users[who]->token, since);
}

/* The last seq @who has been given so far (as a device that stored everything would have). */
static gint64
last_seq (Fixture *f,
          guint    who)
{
  g_autoptr(ConfabTestClient) client = open_client (f, who, 0);

  return json_object_get_int_member (confab_test_client_get_hello (client), "last_seq");
}

static gint64
recipients (JsonObject *result)
{
  g_assert_true (json_object_has_member (result, "id"));
  return json_object_get_int_member (result, "recipients");
}

/* Waits for the broadcast @body on @client. */
static void
expect_broadcast (ConfabTestClient *client,
                  const char       *body)
{
  g_autoptr(JsonObject) event = confab_test_client_wait_event (client, "broadcast", T);
  JsonObject *data = json_object_get_object_member (event, "data");

  g_assert_cmpstr (json_object_get_string_member (data, "body"), ==, body);
  g_assert_cmpstr (json_object_get_string_member (data, "from"), ==, "alice");
  g_assert_cmpint (json_object_get_int_member (data, "id"), >, 0);
  g_assert_cmpint (json_object_get_int_member (data, "ts"), >, 0);
  g_assert_cmpint (json_object_get_int_member (event, "seq"), >, 0);
}

/* The bodies of the broadcasts a device of @who gets when it connects with @since and syncs. */
static char *
replayed (Fixture *f,
          guint    who,
          gint64   since)
{
  g_autoptr(ConfabTestClient) client = open_client (f, who, since);
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GString) bodies = g_string_new (NULL);

  json_object_unref (confab_test_client_wait_event (client, "synced", T));
  events = confab_test_client_take_events (client);
  for (guint i = 0; i < events->len; i++)
    {
      JsonObject *event = g_ptr_array_index (events, i);

      if (g_str_equal (json_object_get_string_member (event, "event"), "broadcast"))
        g_string_append_printf (bodies, "%s%s", bodies->len > 0 ? "," : "",
                                json_object_get_string_member (
                                  json_object_get_object_member (event, "data"), "body"));
    }
  return g_string_free (g_steal_pointer (&bodies), FALSE);
}

#define assert_replayed(f, who, since, expected) \
  G_STMT_START { \
    g_autofree char *_got = replayed ((f), (who), (since)); \
    g_assert_cmpstr (_got, ==, (expected)); \
  } G_STMT_END

static void
test_all (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(ConfabTestClient) a = open_client (f, 0, 0);
  g_autoptr(ConfabTestClient) b = open_client (f, 1, 0);
  g_autoptr(ConfabTestClient) c = open_client (f, 2, 0);
  g_autoptr(JsonObject) result = NULL;
  gint64 dave_seq = last_seq (f, 3);
  gint64 erin_seq = last_seq (f, 4);
  gint64 events_before;
  gint64 inbox_before;
  gint64 readers_before;

  /* dave and erin are offline. Everyone but the sender is counted. */
  result = confab_test_client_call_ok (a, "broadcast",
                                       "{\"body\":\"Office closed on Friday\","
                                       "\"audience\":{\"all\":true}}");
  g_assert_cmpint (recipients (result), ==, 4);
  g_clear_pointer (&result, json_object_unref);
  expect_broadcast (b, "Office closed on Friday");
  expect_broadcast (c, "Office closed on Friday");
  assert_replayed (f, 3, dave_seq, "Office closed on Friday");
  assert_replayed (f, 4, erin_seq, "Office closed on Friday");
  /* The sender's other devices keep it too. */
  assert_replayed (f, 0, 0, "Office closed on Friday");

  /* A second one is one more event and nothing else: no row per recipient. */
  events_before = confab_test_server_db_int (f->server, "SELECT count (*) FROM events");
  inbox_before = confab_test_server_db_int (f->server, "SELECT count (*) FROM inbox");
  readers_before = confab_test_server_db_int (f->server, "SELECT count (*) FROM stream_members");
  result = confab_test_client_call_ok (a, "broadcast",
                                       "{\"body\":\"And on Monday\",\"audience\":{\"all\":true}}");
  g_assert_cmpint (recipients (result), ==, 4);
  expect_broadcast (b, "And on Monday");
  g_assert_cmpint (confab_test_server_db_int (f->server, "SELECT count (*) FROM events"), ==, events_before + 1);
  g_assert_cmpint (confab_test_server_db_int (f->server, "SELECT count (*) FROM inbox"), ==, inbox_before);
  g_assert_cmpint (confab_test_server_db_int (f->server, "SELECT count (*) FROM stream_members"), ==, readers_before);
  assert_replayed (f, 3, dave_seq, "Office closed on Friday,And on Monday");

  /* Someone who joins later does not get earlier announcements. */
  {
    g_autoptr(ConfabTestUser) late = confab_test_user_new (f->server, "late");
    g_autoptr(ConfabTestClient) l = confab_test_client_new (f->server, late->token, 0);
    g_autoptr(JsonObject) again = NULL;

    json_object_unref (confab_test_client_wait_event (l, "synced", T));
    g_assert_cmpuint (confab_test_client_count_events (l, "broadcast"), ==, 0);
    again = confab_test_client_call_ok (a, "broadcast",
                                        "{\"body\":\"Welcome\",\"audience\":{\"all\":true}}");
    g_assert_cmpint (recipients (again), ==, 5);
    expect_broadcast (l, "Welcome");
  }
}

static void
test_department (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(ConfabTestClient) a = open_client (f, 0, 0);
  g_autoptr(ConfabTestClient) b = open_client (f, 1, 0);
  g_autoptr(JsonObject) result = NULL;
  gint64 carol_seq = last_seq (f, 2);
  gint64 dave_seq = last_seq (f, 3);
  gint64 erin_seq = last_seq (f, 4);
  gint64 bob_seq;

  /* bob, carol and erin ("SALES") are in Sales, whatever the case. */
  result = confab_test_client_call_ok (a, "broadcast",
                                       "{\"body\":\"Sales meeting at 10\","
                                       "\"audience\":{\"department\":\"sales\"}}");
  g_assert_cmpint (recipients (result), ==, 3);
  g_clear_pointer (&result, json_object_unref);
  expect_broadcast (b, "Sales meeting at 10");
  assert_replayed (f, 2, carol_seq, "Sales meeting at 10");
  assert_replayed (f, 4, erin_seq, "Sales meeting at 10");
  assert_replayed (f, 3, dave_seq, "");

  /* Departments change: dave joins Sales, bob leaves it. */
  bob_seq = last_seq (f, 1);
  set_department (f, 3, "Sales");
  set_department (f, 1, "Engineering");
  result = confab_test_client_call_ok (a, "broadcast",
                                       "{\"body\":\"Targets for Q3\","
                                       "\"audience\":{\"department\":\"Sales\"}}");
  g_assert_cmpint (recipients (result), ==, 3);
  g_clear_pointer (&result, json_object_unref);
  assert_replayed (f, 3, dave_seq, "Targets for Q3");
  assert_replayed (f, 1, bob_seq, "");
  assert_replayed (f, 2, carol_seq, "Sales meeting at 10,Targets for Q3");

  /* A department no one is in reaches no one. */
  result = confab_test_client_call_ok (a, "broadcast",
                                       "{\"body\":\"Anyone?\","
                                       "\"audience\":{\"department\":\"Legal\"}}");
  g_assert_cmpint (recipients (result), ==, 0);
}

static void
test_users (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ConfabTestClient) a = open_client (f, 0, 0);
  g_autoptr(ConfabTestClient) b = open_client (f, 1, 0);
  g_autoptr(ConfabTestClient) c = open_client (f, 2, 0);
  g_autoptr(JsonObject) result = NULL;
  gint64 dave_seq = last_seq (f, 3);

  /* A list: named once or twice, in any case, the sender not counted. */
  result = confab_test_client_call_ok (a, "broadcast",
                                       "{\"body\":\"For your eyes\","
                                       "\"audience\":{\"users\":[\"bob\",\"DAVE\",\"bob\","
                                       "\"alice\"]}}");
  g_assert_cmpint (recipients (result), ==, 2);
  g_clear_pointer (&result, json_object_unref);
  expect_broadcast (b, "For your eyes");
  assert_replayed (f, 3, dave_seq, "For your eyes");

  /* An unknown name: not_found, and nothing is sent to anyone. */
  confab_test_client_call_error (a, "not_found", "broadcast",
                                 "{\"body\":\"Oops\","
                                 "\"audience\":{\"users\":[\"carol\",\"nobody\"]}}");
  json_object_unref (confab_test_client_call_ok (c, "contacts", "{}"));
  g_assert_cmpuint (confab_test_client_count_events (c, "broadcast"), ==, 0);
  assert_replayed (f, 2, 0, "");
}

static void
grant (Fixture    *f,
       const char *username)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE users SET permissions = 'broadcast'"
                                          " WHERE username = '%s'", username);

  confab_test_server_stop (f->server);
  g_assert_cmpint (confab_test_server_db_exec (f->server, sql), ==, 1);
  confab_test_server_start (f->server);
}

/* hello's user, the caller's own, lists what the account may do beyond its role. */
static void
assert_permissions (ConfabTestClient *client,
                    const char       *expected)
{
  JsonObject *user = json_object_get_object_member (confab_test_client_get_hello (client), "user");
  JsonArray *permissions = json_object_get_array_member (user, "permissions");

  g_assert_nonnull (permissions);
  g_assert_cmpuint (json_array_get_length (permissions), ==, expected != NULL ? 1 : 0);
  if (expected != NULL)
    g_assert_cmpstr (json_array_get_string_element (permissions, 0), ==, expected);
}

/* The audit log holds @n refused announcements by bob, the last from 127.0.0.1. */
static void
assert_refusals_audited (Fixture *f,
                         gint64   n)
{
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *entry;

  g_assert_cmpuint (confab_test_http (f->server, "GET", "/v1/admin/audit?action=denied&actor=bob",
                                      f->users[0]->token, NULL, &reply, NULL), ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, n);
  entry = json_array_get_object_element (json_object_get_array_member (reply, "entries"), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "broadcast");
  g_assert_cmpstr (json_object_get_string_member (entry, "address"), ==, "127.0.0.1");
}

static void
test_permission (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(ConfabTestClient) b = open_client (f, 1, 0);
  g_autoptr(ConfabTestClient) c = open_client (f, 2, 0);
  g_autoptr(JsonObject) result = NULL;
  gint64 carol_seq = last_seq (f, 2);

  /* Not an admin, no permission: hello says so; forbidden, and nothing reaches anyone. */
  assert_permissions (b, NULL);
  confab_test_client_call_error (b, "forbidden", "broadcast",
                                 "{\"body\":\"Free pizza\",\"audience\":{\"all\":true}}");
  json_object_unref (confab_test_client_call_ok (c, "contacts", "{}"));
  g_assert_cmpuint (confab_test_client_count_events (c, "broadcast"), ==, 0);
  assert_refusals_audited (f, 1);

  /* The broadcast permission an admin grants is enough. */
  g_clear_pointer (&b, confab_test_client_free);
  g_clear_pointer (&c, confab_test_client_free);
  grant (f, "bob");
  b = open_client (f, 1, 0);
  assert_permissions (b, "broadcast");
  result = confab_test_client_call_ok (b, "broadcast",
                                       "{\"body\":\"Free pizza\","
                                       "\"audience\":{\"department\":\"Sales\"}}");
  g_assert_cmpint (recipients (result), ==, 2);
  {
    g_autoptr(ConfabTestClient) again = open_client (f, 2, carol_seq);
    g_autoptr(JsonObject) event = confab_test_client_wait_event (again, "broadcast", T);

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event,
                                                                                   "data"),
                                                    "from"), ==, "bob");
  }
}

static void
test_http (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(ConfabTestClient) b = open_client (f, 1, 0);
  g_autoptr(JsonObject) reply = NULL;

  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/broadcast",
                                      f->users[0]->token,
                                      "{\"body\":\"Over HTTP\",\"audience\":{\"all\":true}}",
                                      &reply, NULL), ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "recipients"), ==, 4);
  g_clear_pointer (&reply, json_object_unref);
  expect_broadcast (b, "Over HTTP");

  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/broadcast",
                                      f->users[1]->token,
                                      "{\"body\":\"x\",\"audience\":{\"all\":true}}",
                                      &reply, NULL), ==, 403);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "forbidden");
  g_clear_pointer (&reply, json_object_unref);
  assert_refusals_audited (f, 1);
  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/broadcast", NULL,
                                      "{\"body\":\"x\",\"audience\":{\"all\":true}}",
                                      &reply, NULL), ==, 401);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/broadcast", "not-a-token",
                                      "{\"body\":\"x\",\"audience\":{\"all\":true}}",
                                      &reply, NULL), ==, 401);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/broadcast",
                                      f->users[0]->token, "{\"body\":\"x\"}", &reply, NULL),
                    ==, 400);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "bad_request");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/broadcast",
                                      f->users[0]->token,
                                      "{\"body\":\"x\",\"audience\":{\"users\":[\"nobody\"]}}",
                                      &reply, NULL), ==, 404);
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  static const char * const bad[] = {
    "{\"audience\":{\"all\":true}}",
    "{\"body\":\"\",\"audience\":{\"all\":true}}",
    "{\"body\":17,\"audience\":{\"all\":true}}",
    "{\"body\":\"x\"}",
    "{\"body\":\"x\",\"audience\":\"all\"}",
    "{\"body\":\"x\",\"audience\":{}}",
    "{\"body\":\"x\",\"audience\":{\"all\":false}}",
    "{\"body\":\"x\",\"audience\":{\"all\":true,\"department\":\"Sales\"}}",
    "{\"body\":\"x\",\"audience\":{\"all\":true,\"whom\":1}}",
    "{\"body\":\"x\",\"audience\":{\"department\":\"\"}}",
    "{\"body\":\"x\",\"audience\":{\"users\":[]}}",
    "{\"body\":\"x\",\"audience\":{\"users\":[17]}}",
    "{\"body\":\"x\",\"audience\":{\"users\":[\"not a name\"]}}",
  };
  g_autoptr(ConfabTestClient) a = open_client (f, 0, 0);
  g_autoptr(ConfabTestClient) b = open_client (f, 1, 0);
  g_autofree char *long_body = g_strnfill (16385, 'b');
  g_autoptr(GString) many = g_string_new ("{\"body\":\"x\",\"audience\":{\"users\":[");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    confab_test_client_call_error (a, "bad_request", "broadcast", "%s", bad[i]);
  confab_test_client_call_error (a, "bad_request", "broadcast",
                                 "{\"body\":\"%s\",\"audience\":{\"all\":true}}", long_body);
  for (guint i = 0; i < 1001; i++)
    g_string_append_printf (many, "%s\"u%u\"", i > 0 ? "," : "", i);
  g_string_append (many, "]}}");
  confab_test_client_call_error (a, "bad_request", "broadcast", "%s", many->str);

  /* Nothing went out; the server carries on. */
  json_object_unref (confab_test_client_call_ok (b, "contacts", "{}"));
  g_assert_cmpuint (confab_test_client_count_events (b, "broadcast"), ==, 0);
  json_object_unref (confab_test_client_call_ok (a, "broadcast",
                                                 "{\"body\":\"Line one\\nline two\","
                                                 "\"audience\":{\"all\":true}}"));
  expect_broadcast (b, "Line one\nline two");
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/confab/broadcast/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("all", test_all);
  ADD ("department", test_department);
  ADD ("users", test_users);
  ADD ("permission", test_permission);
  ADD ("http", test_http);
  ADD ("bad-input", test_bad_input);

  return confab_test_run ();
}
