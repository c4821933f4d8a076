/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <glib/gstdio.h>

#include <string.h>

/* Integration tests of confabd against protocol v1 (sections 1–5, 7, 8): the real server, a
 * temporary data directory, real HTTP and WebSocket clients. */

#define T CONFAB_TEST_TIMEOUT_MS

static JsonObject *
event_data (JsonObject *event)
{
  g_assert_nonnull (event);
  return json_object_get_object_member (event, "data");
}

static JsonObject *
event_msg (JsonObject *event)
{
  return json_object_get_object_member (event_data (event), "msg");
}

static gint64
event_seq (JsonObject *event)
{
  g_assert_true (json_object_has_member (event, "seq"));
  return json_object_get_int_member (event, "seq");
}

static JsonObject *
send_text (ConfabTestClient *client,
           const char       *conv,
           const char       *body)
{
  g_autofree char *cmid = confab_test_uuid ();
  g_autoptr(JsonObject) result = NULL;

  result = confab_test_client_call_ok (client, "send",
                                       "{\"conv\":\"%s\",\"client_msg_id\":\"%s\",\"body\":\"%s\"}",
                                       conv, cmid, body);
  return json_object_ref (json_object_get_object_member (result, "msg"));
}

static gint64
msg_id (JsonObject *msg)
{
  return json_object_get_int_member (msg, "id");
}

/* Ephemeral and unrelated events may come in between; this waits for a specific message. */
static JsonObject *
wait_message_event (ConfabTestClient *client,
                    gint64            id)
{
  for (;;)
    {
      JsonObject *event = confab_test_client_wait_event (client, "message", T);

      if (event == NULL)
        g_error ("message %" G_GINT64_FORMAT " did not arrive", id);
      if (msg_id (event_msg (event)) == id)
        return event;
      json_object_unref (event);
    }
}

static void
test_health (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(JsonObject) reply = NULL;

  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/health", NULL, NULL, &reply, NULL), ==,
                    200);
  g_assert_nonnull (reply);
  g_assert_cmpstr (json_object_get_string_member (reply, "status"), ==, "ok");
  g_assert_nonnull (json_object_get_string_member (reply, "version"));
}

/* The value of @name in a raw HTTP response's headers; NULL if absent. */
static char *
response_header (const char *response,
                 const char *name)
{
  g_auto(GStrv) lines = g_strsplit (response, "\r\n", -1);

  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon != NULL && (gsize) (colon - lines[i]) == strlen (name) &&
          g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0)
        return g_strstrip (g_strdup (colon + 1));
    }
  return NULL;
}

static guint
cors_request (ConfabTestServer *server,
              const char       *method,
              const char       *path,
              const char       *origin,
              gboolean          preflight,
              char            **out_response)
{
  g_autofree char *request = NULL;

  request = g_strdup_printf ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: %s\r\n%s"
                             "Connection: close\r\n\r\n", method, path, origin,
                             preflight ? "Access-Control-Request-Method: POST\r\n"
                             "Access-Control-Request-Headers: authorization, "
                             "content-type\r\n" : "");
  return confab_test_raw_http (server, request, out_response);
}

/* [http] cors_origins: pages from a listed origin get their preflight answered and may read
 * the answers; any other origin gets no CORS header, and nothing is answered for it without
 * the setting. */
static void
test_cors (void)
{
  g_autoptr(ConfabTestServer) server =
    confab_test_server_new (NULL, "[http]\ncors_origins=https://web.example.com;"
                            "http://localhost:8080\n");
  g_autoptr(ConfabTestServer) plain = confab_test_server_new (NULL, NULL);
  const char *others[] = { "https://evil.example.com", "https://web.example.com.evil.example",
                           "http://web.example.com", "null" };

  for (guint i = 0; i < 2; i++)
    {
      const char *origin = i == 0 ? "https://web.example.com" : "http://localhost:8080";
      g_autofree char *preflight = NULL;
      g_autofree char *real = NULL;
      g_autofree char *allow_origin = NULL;
      g_autofree char *allow_methods = NULL;
      g_autofree char *allow_headers = NULL;
      g_autofree char *max_age = NULL;
      g_autofree char *real_origin = NULL;
      g_autofree char *vary = NULL;

      g_assert_cmpuint (cors_request (server, "OPTIONS", "/v1/login", origin, TRUE, &preflight),
                        ==, 204);
      allow_origin = response_header (preflight, "Access-Control-Allow-Origin");
      allow_methods = response_header (preflight, "Access-Control-Allow-Methods");
      allow_headers = response_header (preflight, "Access-Control-Allow-Headers");
      max_age = response_header (preflight, "Access-Control-Max-Age");
      g_assert_cmpstr (allow_origin, ==, origin);
      g_assert_nonnull (strstr (allow_methods, "POST"));
      g_assert_nonnull (strstr (allow_headers, "Authorization"));
      g_assert_nonnull (strstr (allow_headers, "Content-Type"));
      g_assert_nonnull (max_age);

      /* The real request's answer carries the origin too, errors included. */
      g_assert_cmpuint (cors_request (server, "GET", "/v1/health", origin, FALSE, &real), ==,
                        200);
      real_origin = response_header (real, "Access-Control-Allow-Origin");
      vary = response_header (real, "Vary");
      g_assert_cmpstr (real_origin, ==, origin);
      g_assert_nonnull (strstr (vary, "Origin"));
      g_clear_pointer (&real, g_free);
      g_clear_pointer (&real_origin, g_free);
      g_assert_cmpuint (cors_request (server, "POST", "/v1/login", origin, FALSE, &real), ==,
                        400);
      real_origin = response_header (real, "Access-Control-Allow-Origin");
      g_assert_cmpstr (real_origin, ==, origin);
    }

  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autofree char *preflight = NULL;
      g_autofree char *real = NULL;

      /* Not a preflight answered: what OPTIONS on that path answers anyway, without CORS. */
      g_assert_cmpuint (cors_request (server, "OPTIONS", "/v1/login", others[i], TRUE,
                                      &preflight), !=, 204);
      g_assert_null (strstr (preflight, "Access-Control-"));
      g_assert_cmpuint (cors_request (server, "GET", "/v1/health", others[i], FALSE, &real), ==,
                        200);
      g_assert_null (strstr (real, "Access-Control-"));
    }

  /* None by default. */
  {
    g_autofree char *preflight = NULL;
    g_autofree char *real = NULL;

    g_assert_cmpuint (cors_request (plain, "OPTIONS", "/v1/login", "https://web.example.com",
                                    TRUE, &preflight), !=, 204);
    g_assert_null (strstr (preflight, "Access-Control-"));
    g_assert_cmpuint (cors_request (plain, "GET", "/v1/health", "https://web.example.com",
                                    FALSE, &real), ==, 200);
    g_assert_null (strstr (real, "Access-Control-"));
  }

  /* The tus OPTIONS of /v1/files still answers tus clients that are not browsers. */
  {
    g_autofree char *tus = NULL;
    g_autofree char *version = NULL;

    g_assert_cmpuint (confab_test_raw_http (server, "OPTIONS /v1/files HTTP/1.1\r\n"
                                            "Host: 127.0.0.1\r\nConnection: close\r\n\r\n",
                                            &tus), ==, 204);
    version = response_header (tus, "Tus-Version");
    g_assert_nonnull (version);
  }
  confab_test_server_assert_running (server);
}

static void
test_register (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestServer) closed = NULL;
  const char * const closed_args[] = { "--registration", "closed", NULL };
  JsonObject *reply = NULL;
  JsonObject *user;
  JsonObject *error;

  g_assert_cmpuint (confab_test_register (server, "alice", "correct horse", &reply), ==, 201);
  user = json_object_get_object_member (reply, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "admin");
  g_assert_false (json_object_has_member (user, "password"));
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (confab_test_register (server, "bob", "correct horse", &reply), ==, 201);
  user = json_object_get_object_member (reply, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), !=, "admin");
  g_clear_pointer (&reply, json_object_unref);

  /* Usernames are lower-cased on input, so ALICE is alice. */
  g_assert_cmpuint (confab_test_register (server, "alice", "another pass", &reply), ==, 409);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "conflict");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_register (server, "ALICE", "another pass", &reply), ==, 409);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "conflict");
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (confab_test_register (server, "carol", "short", &reply), ==, 400);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "invalid");
  error = json_object_get_object_member (reply, "error");
  g_assert_true (json_object_has_member (error, "fields"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (error, "fields"),
                                                  "password"), ==, "too_short");
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (confab_test_register (server, "x", "long enough", &reply), ==, 400);
  g_clear_pointer (&reply, json_object_unref);

  closed = confab_test_server_new (closed_args, NULL);
  g_assert_cmpuint (confab_test_register (closed, "dave", "correct horse", &reply), ==, 403);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "registration_closed");
  g_clear_pointer (&reply, json_object_unref);
}

static void
test_login_logout (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(ConfabTestClient) again = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) response = NULL;
  JsonObject *hello;

  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/login", NULL,
                                      "{\"username\":\"alice\",\"password\":\"wrong password\","
                                      "\"device_name\":\"x\"}", &reply, NULL), ==, 401);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "unauthorized");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/login", NULL,
                                      "{\"username\":\"nobody\",\"password\":\"wrong password\","
                                      "\"device_name\":\"x\"}", &reply, NULL), ==, 401);
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (strlen (alice->token), >=, 32);
  g_assert_nonnull (alice->device_id);

  client = confab_test_client_new (server, alice->token, 0);
  hello = confab_test_client_get_hello (client);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (hello, "user"),
                                                  "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (hello, "device_id"), ==, alice->device_id);
  g_assert_true (json_object_has_member (hello, "last_seq"));
  {
    JsonObject *info = json_object_get_object_member (hello, "server");
    JsonObject *limits = json_object_get_object_member (info, "limits");

    g_assert_nonnull (json_object_get_string_member (info, "version"));
    g_assert_cmpint (json_object_get_int_member (limits, "max_frame_bytes"), ==, 131072);
    g_assert_cmpint (json_object_get_int_member (limits, "max_body_chars"), ==, 16384);
    g_assert_true (json_object_has_member (limits, "max_file_bytes"));
    g_assert_true (json_object_has_member (limits, "messages_per_minute"));
  }
  g_assert_true (json_object_has_member (hello, "ice_servers"));
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/logout", NULL, NULL, NULL, NULL), ==,
                    401);
  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/logout", alice->token, NULL, NULL,
                                      NULL), ==, 204);

  /* The token is revoked: its open connection goes, a new hello fails, a second logout too. */
  g_assert_true (confab_test_client_wait_closed (client, T));
  g_assert_cmpuint (confab_test_client_get_close_code (client), ==, 4401);

  again = confab_test_client_connect (server);
  response = confab_test_client_hello (again, alice->token, 0);
  confab_test_assert_error (response, "unauthorized");
  g_assert_true (confab_test_client_wait_closed (again, T));
  g_assert_cmpuint (confab_test_client_get_close_code (again), ==, 4401);

  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/logout", alice->token, NULL, NULL,
                                      NULL), ==, 401);
  confab_test_server_assert_running (server);
}

static void
test_live_delivery (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) synced = NULL;
  JsonObject *got;

  synced = confab_test_client_wait_event (b, "synced", T);
  g_assert_nonnull (synced);

  msg = send_text (a, "dm:alice:bob", "hello bob");
  g_assert_cmpint (msg_id (msg), >, 0);
  g_assert_cmpint (msg_id (msg), <, G_GINT64_CONSTANT (1) << 53);
  g_assert_cmpstr (json_object_get_string_member (msg, "conv"), ==, "dm:alice:bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "hello bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "kind"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (msg, "format"), ==, "plain");
  g_assert_cmpint (json_object_get_int_member (msg, "ts"), >, 1600000000000);

  event = wait_message_event (b, msg_id (msg));
  g_assert_cmpint (event_seq (event), >, 0);
  got = event_msg (event);
  g_assert_cmpstr (json_object_get_string_member (got, "body"), ==, "hello bob");
  g_assert_cmpstr (json_object_get_string_member (got, "client_msg_id"), ==,
                   json_object_get_string_member (msg, "client_msg_id"));

  /* The sending connection gets the response, not the event. A reply comes back the other way
   * and is seen after anything the server sent alice before it. */
  {
    g_autoptr(JsonObject) reply = send_text (b, "dm:alice:bob", "hi alice");
    g_autoptr(JsonObject) back G_GNUC_UNUSED = wait_message_event (a, msg_id (reply));

    g_assert_cmpint (msg_id (reply), >, msg_id (msg));
    g_assert_cmpuint (confab_test_client_count_events (a, "message"), ==, 0);
  }
  confab_test_server_assert_running (server);
}

static void
test_offline_replay (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = NULL;
  g_autoptr(GPtrArray) sent = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 last_seq = 0;
  gint64 since;

  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *body = g_strdup_printf ("offline %u", i);

      g_ptr_array_add (sent, send_text (a, "dm:alice:bob", body));
    }

  b = confab_test_client_new (server, bob->token, 0);
  for (guint i = 0; i < sent->len; i++)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (b, "message", T);
      JsonObject *msg;
      gint64 seq;

      g_assert_nonnull (event);
      msg = event_msg (event);
      seq = event_seq (event);
      g_assert_cmpint (msg_id (msg), ==, msg_id (g_ptr_array_index (sent, i)));
      g_assert_cmpint (seq, >, last_seq);
      last_seq = seq;
      g_array_append_val (seqs, seq);
    }
  {
    g_autoptr(JsonObject) synced = confab_test_client_wait_event (b, "synced", T);
    g_autoptr(GPtrArray) rest = NULL;

    g_assert_nonnull (synced);
    g_assert_cmpint (json_object_get_int_member (event_data (synced), "last_seq"), ==, last_seq);
    g_assert_cmpint (json_object_get_int_member (confab_test_client_get_hello (b), "last_seq"), ==,
                     last_seq);
    /* synced comes after the replay, never before it. */
    rest = confab_test_client_take_events (b);
    for (guint i = 0; i < rest->len; i++)
      g_assert_cmpstr (json_object_get_string_member (g_ptr_array_index (rest, i), "event"), !=,
                       "message");
  }
  confab_test_client_close (b);
  g_clear_pointer (&b, confab_test_client_free);

  /* Resuming from the 8th event replays only what came after it. */
  since = g_array_index (seqs, gint64, 7);
  b = confab_test_client_new (server, bob->token, since);
  for (guint i = 8; i < sent->len; i++)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (b, "message", T);

      g_assert_nonnull (event);
      g_assert_cmpint (msg_id (event_msg (event)), ==, msg_id (g_ptr_array_index (sent, i)));
    }
  {
    g_autoptr(JsonObject) synced = confab_test_client_wait_event (b, "synced", T);

    g_assert_nonnull (synced);
    g_assert_cmpuint (confab_test_client_count_events (b, "message"), ==, 0);
  }
  confab_test_client_close (b);
  g_clear_pointer (&b, confab_test_client_free);

  /* Up to date: nothing but synced. */
  b = confab_test_client_new (server, bob->token, last_seq);
  {
    g_autoptr(JsonObject) synced = confab_test_client_wait_event (b, "synced", T);

    g_assert_nonnull (synced);
    g_assert_cmpuint (confab_test_client_count_events (b, "message"), ==, 0);
  }
  confab_test_server_assert_running (server);
}

static void
test_idempotent_send (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) marker = NULL;
  g_autoptr(JsonObject) history = NULL;
  JsonArray *messages;
  guint found = 0;
  const char *params = "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"retry-1\","
                       "\"body\":\"once\"}";

  confab_test_client_expect_event (b, "synced");
  first = confab_test_client_call_ok (a, "send", "%s", params);
  second = confab_test_client_call_ok (a, "send", "%s", params);
  g_assert_cmpint (msg_id (json_object_get_object_member (first, "msg")), ==,
                   msg_id (json_object_get_object_member (second, "msg")));

  /* A later message proves that everything before it has been delivered. */
  marker = send_text (a, "dm:alice:bob", "marker");
  event = wait_message_event (b, msg_id (json_object_get_object_member (first, "msg")));
  json_object_unref (wait_message_event (b, msg_id (marker)));
  g_assert_cmpuint (confab_test_client_count_events (b, "message"), ==, 0);

  history = confab_test_client_call_ok (b, "history", "{\"conv\":\"dm:alice:bob\"}");
  messages = json_object_get_array_member (history, "messages");
  for (guint i = 0; i < json_array_get_length (messages); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (messages, i),
                                                  "client_msg_id"), "retry-1") == 0)
      found++;
  g_assert_cmpuint (found, ==, 1);
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
}

static void
test_typing_and_read (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(JsonObject) typing = NULL;
  g_autoptr(JsonObject) read = NULL;
  g_autoptr(JsonObject) r1 = NULL;
  g_autoptr(JsonObject) r2 = NULL;
  JsonObject *data;

  msg = send_text (a, "dm:alice:bob", "are you there?");
  json_object_unref (wait_message_event (b, msg_id (msg)));

  r1 = confab_test_client_call_ok (a, "typing", "{\"conv\":\"dm:alice:bob\",\"active\":true}");
  typing = confab_test_client_wait_event (b, "typing", T);
  g_assert_nonnull (typing);
  g_assert_false (json_object_has_member (typing, "seq"));
  data = event_data (typing);
  g_assert_cmpstr (json_object_get_string_member (data, "conv"), ==, "dm:alice:bob");
  g_assert_cmpstr (json_object_get_string_member (data, "user"), ==, "alice");
  g_assert_true (json_object_get_boolean_member (data, "active"));

  r2 = confab_test_client_call_ok (b, "read", "{\"conv\":\"dm:alice:bob\",\"msg_id\":%"
                                   G_GINT64_FORMAT "}", msg_id (msg));
  read = confab_test_client_wait_event (a, "read", T);
  g_assert_nonnull (read);
  g_assert_cmpint (event_seq (read), >, 0);
  data = event_data (read);
  g_assert_cmpstr (json_object_get_string_member (data, "conv"), ==, "dm:alice:bob");
  g_assert_cmpstr (json_object_get_string_member (data, "user"), ==, "bob");
  g_assert_cmpint (json_object_get_int_member (data, "msg_id"), ==, msg_id (msg));
}

static void
collect_page (JsonObject *page,
              GArray     *ids,
              GHashTable *seen)
{
  JsonArray *messages = json_object_get_array_member (page, "messages");
  gint64 previous = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      gint64 id = msg_id (json_array_get_object_element (messages, i));

      g_assert_cmpint (id, >, previous);
      previous = id;
      g_assert_false (g_hash_table_contains (seen, &id));
      g_hash_table_add (seen, g_memdup2 (&id, sizeof id));
      g_array_append_val (ids, id);
    }
}

static void
test_history_pages (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob G_GNUC_UNUSED = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(GArray) sent = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(JsonObject) page = NULL;
  gint64 before;
  gint64 after;
  guint pages = 0;
  const guint total = 53;

  for (guint i = 0; i < total; i++)
    {
      g_autofree char *body = g_strdup_printf ("page test %u", i);
      g_autoptr(JsonObject) msg = send_text (a, "dm:alice:bob", body);
      gint64 id = msg_id (msg);

      g_array_append_val (sent, id);
    }

  /* Without bounds: the newest, default 50, in ascending order. */
  page = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "messages")), ==,
                    50);
  g_assert_true (json_object_get_boolean_member (page, "has_more"));
  g_clear_pointer (&page, json_object_unref);

  /* Backwards by 10: every message exactly once. */
  before = 0;
  for (;;)
    {
      g_autoptr(GArray) page_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
      gboolean more;

      if (before == 0)
        page = confab_test_client_call_ok (a, "history",
                                           "{\"conv\":\"dm:alice:bob\",\"limit\":10}");
      else
        page = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\",\"limit\":10,"
                                           "\"before\":%" G_GINT64_FORMAT "}", before);
      collect_page (page, page_ids, seen);
      more = json_object_get_boolean_member (page, "has_more");
      g_clear_pointer (&page, json_object_unref);
      g_assert_cmpuint (++pages, <=, 10);
      if (page_ids->len > 0)
        {
          g_assert_cmpuint (page_ids->len, <=, 10);
          before = g_array_index (page_ids, gint64, 0);
          if (ids->len > 0)
            g_assert_cmpint (g_array_index (page_ids, gint64, page_ids->len - 1), <,
                             g_array_index (ids, gint64, 0));
          g_array_prepend_vals (ids, page_ids->data, page_ids->len);
        }
      if (!more)
        break;
      g_assert_cmpuint (page_ids->len, ==, 10);
    }
  g_assert_cmpuint (ids->len, ==, total);
  for (guint i = 0; i < total; i++)
    g_assert_cmpint (g_array_index (ids, gint64, i), ==, g_array_index (sent, gint64, i));

  /* Forwards by 7 from the first. (after:0 is read by this server as "no bound", which gives
   * the newest page; ids are positive, so it is not relied on here.) */
  g_hash_table_remove_all (seen);
  g_array_set_size (ids, 0);
  after = g_array_index (sent, gint64, 0);
  g_array_append_val (ids, after);
  g_hash_table_add (seen, g_memdup2 (&after, sizeof after));
  for (pages = 0;; pages++)
    {
      gboolean more;
      guint len = ids->len;

      page = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\",\"limit\":7,"
                                         "\"after\":%" G_GINT64_FORMAT "}", after);
      collect_page (page, ids, seen);
      more = json_object_get_boolean_member (page, "has_more");
      g_clear_pointer (&page, json_object_unref);
      g_assert_cmpuint (pages, <, 10);
      if (ids->len > len)
        after = g_array_index (ids, gint64, ids->len - 1);
      if (!more)
        break;
    }
  g_assert_cmpuint (ids->len, ==, total);

  /* after and before together: the open interval. */
  page = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\",\"limit\":200,"
                                     "\"after\":%" G_GINT64_FORMAT ",\"before\":%" G_GINT64_FORMAT
                                     "}", g_array_index (sent, gint64, 10),
                                     g_array_index (sent, gint64, 20));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page, "messages")), ==, 9);
  g_clear_pointer (&page, json_object_unref);

  confab_test_client_call_error (a, "bad_request", "history",
                                 "{\"conv\":\"dm:alice:bob\",\"limit\":201}");
  confab_test_client_call_error (a, "bad_request", "history", "{\"conv\":\"dm:bob:alice\"}");
}

static JsonObject *
find_conversation (JsonObject *result,
                   const char *conv)
{
  JsonArray *list = json_object_get_array_member (result, "conversations");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *c = json_array_get_object_element (list, i);

      if (g_strcmp0 (json_object_get_string_member (c, "conv"), conv) == 0)
        return c;
    }
  return NULL;
}

static void
test_conversations (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) m1 = send_text (a, "dm:alice:bob", "one");
  g_autoptr(JsonObject) m2 = send_text (a, "dm:alice:bob", "two");
  g_autoptr(JsonObject) m3 = send_text (a, "dm:alice:carol", "three");
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) read = NULL;
  JsonObject *c;

  list = confab_test_client_call_ok (b, "conversations", NULL);
  c = find_conversation (list, "dm:alice:bob");
  g_assert_nonnull (c);
  g_assert_null (find_conversation (list, "dm:alice:carol"));
  g_assert_cmpstr (json_object_get_string_member (c, "kind"), ==, "dm");
  g_assert_cmpstr (json_object_get_string_member (c, "peer"), ==, "alice");
  g_assert_cmpint (msg_id (json_object_get_object_member (c, "last_msg")), ==, msg_id (m2));
  g_assert_cmpint (json_object_get_int_member (c, "unread"), ==, 2);
  g_clear_pointer (&list, json_object_unref);

  read = confab_test_client_call_ok (b, "read", "{\"conv\":\"dm:alice:bob\",\"msg_id\":%"
                                     G_GINT64_FORMAT "}", msg_id (m2));
  list = confab_test_client_call_ok (b, "conversations", NULL);
  c = find_conversation (list, "dm:alice:bob");
  g_assert_cmpint (json_object_get_int_member (c, "unread"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (c, "last_read"), ==, msg_id (m2));
  g_clear_pointer (&list, json_object_unref);

  /* Newest activity first. */
  list = confab_test_client_call_ok (a, "conversations", NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "conversations")),
                    ==, 2);
  c = json_array_get_object_element (json_object_get_array_member (list, "conversations"), 0);
  g_assert_cmpstr (json_object_get_string_member (c, "conv"), ==, "dm:alice:carol");
  (void) m1;
  (void) m3;
  (void) carol;
}

static guint
count_results (JsonObject *result)
{
  return json_array_get_length (json_object_get_array_member (result, "messages"));
}

static void
test_search (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(JsonObject) m1 = send_text (a, "dm:alice:bob", "the quarterly report is ready");
  g_autoptr(JsonObject) m2 = send_text (a, "dm:alice:bob", "lunch at noon?");
  g_autoptr(JsonObject) m3 = send_text (a, "dm:alice:bob", "second quarterly draft");
  g_autoptr(JsonObject) found = NULL;
  JsonArray *messages;

  found = confab_test_client_call_ok (a, "search", "{\"query\":\"quarterly\"}");
  messages = json_object_get_array_member (found, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  /* Newest first. */
  g_assert_cmpint (msg_id (json_array_get_object_element (messages, 0)), ==, msg_id (m3));
  g_assert_cmpint (msg_id (json_array_get_object_element (messages, 1)), ==, msg_id (m1));
  g_clear_pointer (&found, json_object_unref);

  found = confab_test_client_call_ok (a, "search", "{\"query\":\"lunch\","
                                      "\"conv\":\"dm:alice:bob\"}");
  g_assert_cmpuint (count_results (found), ==, 1);
  g_clear_pointer (&found, json_object_unref);

  /* Only one's own conversations. */
  found = confab_test_client_call_ok (c, "search", "{\"query\":\"quarterly\"}");
  g_assert_cmpuint (count_results (found), ==, 0);
  g_clear_pointer (&found, json_object_unref);

  (void) m2;
  (void) bob;
}

static void
test_edit_delete_react (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(JsonObject) msg = send_text (a, "dm:alice:bob", "original text");
  g_autoptr(JsonObject) edited = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) ok = NULL;
  g_autoptr(JsonObject) history = NULL;
  g_autoptr(JsonObject) search = NULL;
  JsonObject *data;
  JsonObject *stored;
  gint64 id = msg_id (msg);

  json_object_unref (wait_message_event (b, id));

  /* Only the author edits. */
  confab_test_client_call_error (b, "forbidden", "edit", "{\"msg_id\":%" G_GINT64_FORMAT ","
                                 "\"body\":\"bob was here\"}", id);
  confab_test_client_call_error (a, "not_found", "edit", "{\"msg_id\":%" G_GINT64_FORMAT ","
                                 "\"body\":\"nothing\"}", id + 1000);
  edited = confab_test_client_call_ok (a, "edit", "{\"msg_id\":%" G_GINT64_FORMAT ","
                                       "\"body\":\"edited text\"}", id);
  stored = json_object_get_object_member (edited, "msg");
  g_assert_cmpstr (json_object_get_string_member (stored, "body"), ==, "edited text");
  g_assert_true (json_object_has_member (stored, "edited_ts"));
  event = confab_test_client_wait_event (b, "message_edited", T);
  g_assert_nonnull (event);
  g_assert_cmpint (event_seq (event), >, 0);
  g_assert_cmpstr (json_object_get_string_member (event_msg (event), "body"), ==, "edited text");
  g_clear_pointer (&event, json_object_unref);

  /* Anyone in the conversation reacts; the others see it. */
  ok = confab_test_client_call_ok (b, "react", "{\"msg_id\":%" G_GINT64_FORMAT ","
                                   "\"emoji\":\"\xf0\x9f\x91\x8d\",\"on\":true}", id);
  g_clear_pointer (&ok, json_object_unref);
  event = confab_test_client_wait_event (a, "reaction", T);
  g_assert_nonnull (event);
  data = event_data (event);
  g_assert_cmpstr (json_object_get_string_member (data, "conv"), ==, "dm:alice:bob");
  g_assert_cmpint (json_object_get_int_member (data, "msg_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (data, "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (data, "emoji"), ==, "\xf0\x9f\x91\x8d");
  g_assert_true (json_object_get_boolean_member (data, "on"));
  g_clear_pointer (&event, json_object_unref);

  /* An outsider cannot touch it. */
  confab_test_client_call_error (c, "not_found", "react", "{\"msg_id\":%" G_GINT64_FORMAT ","
                                 "\"emoji\":\"x\",\"on\":true}", id);
  confab_test_client_call_error (c, "not_found", "edit", "{\"msg_id\":%" G_GINT64_FORMAT ","
                                 "\"body\":\"carol\"}", id);
  {
    g_autoptr(JsonObject) response = confab_test_client_call (c, "delete", "{\"msg_id\":%"
                                                              G_GINT64_FORMAT "}", id);
    const char *code = confab_test_response_error_code (response);

    g_assert_true (g_strcmp0 (code, "not_found") == 0 || g_strcmp0 (code, "forbidden") == 0);
  }

  /* Only the author deletes in a DM; the body is gone. */
  confab_test_client_call_error (b, "forbidden", "delete", "{\"msg_id\":%" G_GINT64_FORMAT "}",
                                 id);
  ok = confab_test_client_call_ok (a, "delete", "{\"msg_id\":%" G_GINT64_FORMAT "}", id);
  event = confab_test_client_wait_event (b, "message_deleted", T);
  g_assert_nonnull (event);
  data = event_data (event);
  g_assert_cmpstr (json_object_get_string_member (data, "conv"), ==, "dm:alice:bob");
  g_assert_cmpint (json_object_get_int_member (data, "msg_id"), ==, id);

  history = confab_test_client_call_ok (b, "history", "{\"conv\":\"dm:alice:bob\"}");
  stored = json_array_get_object_element (json_object_get_array_member (history, "messages"), 0);
  g_assert_cmpint (msg_id (stored), ==, id);
  g_assert_true (json_object_get_boolean_member_with_default (stored, "deleted", FALSE));
  g_assert_null (strstr (json_object_get_string_member_with_default (stored, "body", ""),
                         "edited"));
  search = confab_test_client_call_ok (a, "search", "{\"query\":\"edited\"}");
  g_assert_cmpuint (count_results (search), ==, 0);

  confab_test_client_call_error (a, "invalid", "edit", "{\"msg_id\":%" G_GINT64_FORMAT ","
                                 "\"body\":\"back from the dead\"}", id);
}

static void
test_presence (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) msg = send_text (a, "dm:alice:bob", "presence peers");
  g_autoptr(JsonObject) ok = NULL;
  g_autoptr(JsonObject) got = NULL;
  JsonObject *data = NULL;
  JsonObject *entry;

  json_object_unref (wait_message_event (b, msg_id (msg)));

  ok = confab_test_client_call_ok (a, "presence", "{\"status\":\"away\",\"text\":\"lunch\"}");
  g_clear_pointer (&ok, json_object_unref);
  /* Presence of alice may also have been sent when she came online; wait for "away". */
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (b, "presence", T);

      g_assert_nonnull (event);
      g_assert_false (json_object_has_member (event, "seq"));
      data = event_data (event);
      if (g_strcmp0 (json_object_get_string_member (data, "user"), "alice") == 0
          && g_strcmp0 (json_object_get_string_member (data, "status"), "away") == 0)
        {
          g_assert_cmpstr (json_object_get_string_member (data, "text"), ==, "lunch");
          break;
        }
    }

  got = confab_test_client_call_ok (b, "presence_get", "{\"users\":[\"alice\",\"bob\"]}");
  {
    JsonArray *list = json_object_get_array_member (got, "presence");

    g_assert_cmpuint (json_array_get_length (list), ==, 2);
    for (guint i = 0; i < 2; i++)
      {
        entry = json_array_get_object_element (list, i);
        if (g_str_equal (json_object_get_string_member (entry, "user"), "alice"))
          g_assert_cmpstr (json_object_get_string_member (entry, "status"), ==, "away");
        else
          g_assert_cmpstr (json_object_get_string_member (entry, "status"), ==, "online");
      }
  }
  g_clear_pointer (&got, json_object_unref);

  /* Invisible looks offline to others. */
  ok = confab_test_client_call_ok (a, "presence", "{\"status\":\"invisible\"}");
  g_clear_pointer (&ok, json_object_unref);
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (b, "presence", T);

      g_assert_nonnull (event);
      data = event_data (event);
      g_assert_cmpstr (json_object_get_string_member (data, "status"), !=, "invisible");
      if (g_strcmp0 (json_object_get_string_member (data, "status"), "offline") == 0)
        break;
    }
  got = confab_test_client_call_ok (b, "presence_get", "{\"users\":[\"alice\"]}");
  entry = json_array_get_object_element (json_object_get_array_member (got, "presence"), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "status"), ==, "offline");
  g_clear_pointer (&got, json_object_unref);

  /* Back online, then gone: offline when the last device disconnects. */
  ok = confab_test_client_call_ok (a, "presence", "{\"status\":\"busy\"}");
  g_clear_pointer (&ok, json_object_unref);
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (b, "presence", T);

      g_assert_nonnull (event);
      if (g_strcmp0 (json_object_get_string_member (event_data (event), "status"), "busy") == 0)
        break;
    }
  confab_test_client_close (a);
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (b, "presence", T);

      g_assert_nonnull (event);
      data = event_data (event);
      if (g_strcmp0 (json_object_get_string_member (data, "status"), "offline") == 0)
        {
          g_assert_cmpstr (json_object_get_string_member (data, "user"), ==, "alice");
          g_assert_true (json_object_has_member (data, "last_seen"));
          break;
        }
    }

  confab_test_client_call_error (b, "bad_request", "presence", "{\"status\":\"sleeping\"}");
}

static void
test_profile (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) msg = send_text (a, "dm:alice:bob", "profile peers");
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) event = NULL;
  JsonObject *user;

  json_object_unref (wait_message_event (b, msg_id (msg)));

  updated = confab_test_client_call_ok (a, "profile_update",
                                        "{\"display_name\":\"Alice Liddell\","
                                        "\"department\":\"Research\",\"title\":\"Engineer\"}");
  user = json_object_get_object_member (updated, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Alice Liddell");
  g_assert_cmpstr (json_object_get_string_member (user, "department"), ==, "Research");

  got = confab_test_client_call_ok (b, "profile_get", "{\"user\":\"alice\"}");
  user = json_object_get_object_member (got, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Alice Liddell");
  g_assert_cmpstr (json_object_get_string_member (user, "title"), ==, "Engineer");

  event = confab_test_client_wait_event (b, "profile_updated", T);
  g_assert_nonnull (event);
  g_assert_cmpint (event_seq (event), >, 0);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (event_data (event), "user"), "department"),
                   ==, "Research");

  confab_test_client_call_error (b, "not_found", "profile_get", "{\"user\":\"nobody\"}");
  confab_test_client_call_error (a, "bad_request", "profile_update", "{\"display_name\":17}");
}

/* The time zone of a profile: an IANA name GTimeZone knows, told to peers; anything else is
 * `invalid` naming the field, and "" clears it. */
static void
test_profile_timezone (void)
{
  static const struct
  {
    const char *value;
    const char *reason;
  } bad[] = {
    { "Mars/Olympus_Mons", "unknown" },
    { "Europe/Kyi", "unknown" },
    { "../../etc/passwd", "invalid" },
    { "/usr/share/zoneinfo/UTC", "invalid" },
    { "Europe/", "invalid" },
    { "Europe//Kyiv", "invalid" },
    { "+03:00", "invalid" },
    { "Europe/Kyiv ", "invalid" },
    { "Europe/Kyïv", "invalid" },
    { "America/Argentina/Buenos_Aires/Too/Long/For/Any/Zone/Name/In/The/Database", "too_long" },
  };
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) msg = send_text (a, "dm:alice:bob", "what time is it there?");
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) cleared = NULL;

  json_object_unref (wait_message_event (b, msg_id (msg)));

  /* No time zone until one is set. */
  got = confab_test_client_call_ok (b, "profile_get", "{\"user\":\"alice\"}");
  g_assert_false (json_object_has_member (json_object_get_object_member (got, "user"),
                                          "timezone"));

  updated = confab_test_client_call_ok (a, "profile_update", "{\"timezone\":\"Europe/Kyiv\"}");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (updated,
                                                                                 "user"),
                                                  "timezone"), ==, "Europe/Kyiv");
  event = confab_test_client_wait_event (b, "profile_updated", T);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (event_data (event), "user"), "timezone"),
                   ==, "Europe/Kyiv");
  g_clear_pointer (&got, json_object_unref);
  got = confab_test_client_call_ok (b, "profile_get", "{\"user\":\"alice\"}");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (got, "user"),
                                                  "timezone"), ==, "Europe/Kyiv");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonObject) response = confab_test_client_call (a, "profile_update",
                                                                "{\"timezone\":\"%s\"}",
                                                                bad[i].value);
      JsonObject *error = json_object_get_object_member (response, "error");

      g_test_message ("timezone %s", bad[i].value);
      g_assert_false (json_object_get_boolean_member (response, "ok"));
      g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid");
      g_assert_cmpstr (json_object_get_string_member (
                         json_object_get_object_member (error, "fields"), "timezone"),
                       ==, bad[i].reason);
    }
  confab_test_client_call_error (a, "bad_request", "profile_update", "{\"timezone\":3}");
  /* Nothing of that was written or told. */
  g_clear_pointer (&got, json_object_unref);
  got = confab_test_client_call_ok (b, "profile_get", "{\"user\":\"alice\"}");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (got, "user"),
                                                  "timezone"), ==, "Europe/Kyiv");
  g_assert_cmpuint (confab_test_client_count_events (b, "profile_updated"), ==, 0);

  /* The update of another field keeps it; "" clears it. */
  json_object_unref (confab_test_client_call_ok (a, "profile_update", "{\"title\":\"Pilot\"}"));
  g_clear_pointer (&event, json_object_unref);
  event = confab_test_client_wait_event (b, "profile_updated", T);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (event_data (event), "user"), "timezone"),
                   ==, "Europe/Kyiv");
  cleared = confab_test_client_call_ok (a, "profile_update", "{\"timezone\":\"\"}");
  g_assert_false (json_object_has_member (json_object_get_object_member (cleared, "user"),
                                          "timezone"));
}

static void
test_password_change (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autofree char *token2 = confab_test_login (server, "alice", alice->password, NULL);
  g_autoptr(ConfabTestClient) one = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) two = confab_test_client_new (server, token2, 0);
  g_autoptr(ConfabTestClient) again = NULL;
  g_autoptr(JsonObject) ok = NULL;
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *token3 = NULL;
  g_autofree char *body = NULL;

  {
    g_autoptr(JsonObject) wrong = confab_test_client_call (one, "password_change",
                                                           "{\"old\":\"not the password\","
                                                           "\"new\":\"a new password\"}");

    g_assert_false (json_object_get_boolean_member (wrong, "ok"));
  }
  confab_test_client_call_error (one, "invalid", "password_change", "{\"old\":\"%s\","
                                 "\"new\":\"short\"}", alice->password);
  g_assert_true (confab_test_client_is_open (two));

  ok = confab_test_client_call_ok (one, "password_change", "{\"old\":\"%s\","
                                   "\"new\":\"a new password\"}", alice->password);
  g_assert_true (confab_test_client_wait_closed (two, T));
  g_assert_cmpuint (confab_test_client_get_close_code (two), ==, 4401);
  g_assert_true (confab_test_client_is_open (one));
  g_clear_pointer (&ok, json_object_unref);
  ok = confab_test_client_call_ok (one, "devices", NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (ok, "devices")), ==, 1);

  again = confab_test_client_connect (server);
  response = confab_test_client_hello (again, token2, 0);
  confab_test_assert_error (response, "unauthorized");

  body = g_strdup_printf ("{\"username\":\"alice\",\"password\":\"%s\",\"device_name\":\"x\"}",
                          alice->password);
  g_assert_cmpuint (confab_test_http (server, "POST", "/v1/login", NULL, body, &reply, NULL), ==,
                    401);
  token3 = confab_test_login (server, "alice", "a new password", NULL);
  g_assert_nonnull (token3);
}

static void
test_devices (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autofree char *device2 = NULL;
  g_autofree char *token2 = confab_test_login (server, "alice", alice->password, &device2);
  g_autoptr(ConfabTestClient) one = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) two = confab_test_client_new (server, token2, 0);
  g_autoptr(ConfabTestClient) again = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) ok = NULL;
  g_autoptr(JsonObject) response = NULL;
  JsonArray *devices;
  guint current = 0;

  list = confab_test_client_call_ok (one, "devices", NULL);
  devices = json_object_get_array_member (list, "devices");
  g_assert_cmpuint (json_array_get_length (devices), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *d = json_array_get_object_element (devices, i);
      gboolean is_current = json_object_get_boolean_member (d, "current");

      g_assert_true (json_object_has_member (d, "name"));
      g_assert_true (json_object_has_member (d, "created_ts"));
      g_assert_true (json_object_has_member (d, "last_seen_ts"));
      if (is_current)
        {
          current++;
          g_assert_cmpstr (json_object_get_string_member (d, "device_id"), ==, alice->device_id);
        }
    }
  g_assert_cmpuint (current, ==, 1);
  g_clear_pointer (&list, json_object_unref);

  ok = confab_test_client_call_ok (one, "device_revoke", "{\"device_id\":\"%s\"}", device2);
  g_assert_true (confab_test_client_wait_closed (two, T));
  g_assert_cmpuint (confab_test_client_get_close_code (two), ==, 4401);

  list = confab_test_client_call_ok (one, "devices", NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "devices")), ==, 1);
  confab_test_client_call_error (one, "not_found", "device_revoke", "{\"device_id\":\"%s\"}",
                                 device2);

  again = confab_test_client_connect (server);
  response = confab_test_client_hello (again, token2, 0);
  confab_test_assert_error (response, "unauthorized");
  g_assert_true (confab_test_client_wait_closed (again, T));
  g_assert_cmpuint (confab_test_client_get_close_code (again), ==, 4401);
}

static void
test_third_party (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob G_GNUC_UNUSED = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(JsonObject) msg = send_text (a, "dm:alice:bob", "private");
  g_autoptr(JsonObject) list = NULL;

  confab_test_client_call_error (c, "forbidden", "history", "{\"conv\":\"dm:alice:bob\"}");
  confab_test_client_call_error (c, "forbidden", "send", "{\"conv\":\"dm:alice:bob\","
                                 "\"client_msg_id\":\"c1\",\"body\":\"intrusion\"}");
  confab_test_client_call_error (c, "forbidden", "typing", "{\"conv\":\"dm:alice:bob\","
                                 "\"active\":true}");
  {
    g_autoptr(JsonObject) response = confab_test_client_call (c, "read", "{\"conv\":"
                                                              "\"dm:alice:bob\",\"msg_id\":%"
                                                              G_GINT64_FORMAT "}", msg_id (msg));

    g_assert_false (json_object_get_boolean_member (response, "ok"));
  }
  /* A DM with someone who does not exist. */
  confab_test_client_call_error (a, "not_found", "send", "{\"conv\":\"dm:alice:zed\","
                                 "\"client_msg_id\":\"z1\",\"body\":\"anyone?\"}");

  list = confab_test_client_call_ok (c, "conversations", NULL);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "conversations")),
                    ==, 0);
  g_assert_cmpuint (confab_test_client_count_events (c, "message"), ==, 0);
}

static void
test_own_devices (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autofree char *token2 = confab_test_login (server, "alice", alice->password, NULL);
  g_autoptr(ConfabTestClient) a1 = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) a1b = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) a2 = confab_test_client_new (server, token2, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(JsonObject) msg = send_text (a1, "dm:alice:bob", "from my laptop");
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) on_a2 = NULL;
  g_autoptr(JsonObject) on_a1b = NULL;

  on_a2 = wait_message_event (a2, msg_id (msg));
  on_a1b = wait_message_event (a1b, msg_id (msg));
  json_object_unref (wait_message_event (b, msg_id (msg)));
  g_assert_cmpstr (json_object_get_string_member (event_msg (on_a2), "from"), ==, "alice");

  /* Bob's answer reaches every connection of alice, the sending one included. */
  reply = send_text (b, "dm:alice:bob", "got it");
  json_object_unref (wait_message_event (a1, msg_id (reply)));
  json_object_unref (wait_message_event (a2, msg_id (reply)));
  g_assert_cmpuint (confab_test_client_count_events (a1, "message"), ==, 0);
}

static void
test_tls (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new_tls (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = NULL;
  g_autoptr(ConfabTestUser) bob = NULL;
  g_autoptr(ConfabTestClient) a = NULL;
  g_autoptr(ConfabTestClient) b = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *key_path = NULL;
  GStatBuf st;

  g_assert_true (g_str_has_prefix (confab_test_server_get_url (server), "https://"));
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/health", NULL, NULL, NULL, NULL), ==,
                    200);
  g_assert_cmpuint (confab_test_server_tls_checks (server), >, 0);

  key_path = g_build_filename (confab_test_server_get_data_dir (server), "tls", "key.pem", NULL);
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  alice = confab_test_user_new (server, "alice");
  bob = confab_test_user_new (server, "bob");
  a = confab_test_client_new (server, alice->token, 0);
  b = confab_test_client_new (server, bob->token, 0);
  msg = send_text (a, "dm:alice:bob", "over TLS");
  event = wait_message_event (b, msg_id (msg));
  g_assert_cmpstr (json_object_get_string_member (event_msg (event), "body"), ==, "over TLS");

  /* The certificate stays the same across restarts. */
  confab_test_server_restart (server);
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/health", NULL, NULL, NULL, NULL), ==,
                    200);
}

/* Each user has a budget of messages per minute; past it a send fails with rate_limited and
 * the wait, nothing is stored, and the connection keeps working. */
static void
test_send_rate_limit (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL,
                                                               "[limits]\nmessages_per_minute=5\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob G_GNUC_UNUSED = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(JsonObject) limited = NULL;
  g_autoptr(JsonObject) history = NULL;
  g_autoptr(JsonObject) hello = NULL;
  JsonObject *error;

  hello = json_object_ref (confab_test_client_get_hello (a));
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (
                       json_object_get_object_member (hello, "server"), "limits"),
                     "messages_per_minute"),
                   ==, 5);

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(JsonObject) msg G_GNUC_UNUSED = send_text (a, "dm:alice:bob", "within the budget");
    }

  limited = confab_test_client_call (a, "send", "{\"conv\":\"dm:alice:bob\","
                                     "\"client_msg_id\":\"over\",\"body\":\"one too many\"}");
  confab_test_assert_error (limited, "rate_limited");
  error = json_object_get_object_member (limited, "error");
  g_assert_cmpint (json_object_get_int_member (error, "retry_after_ms"), >, 0);
  g_assert_cmpint (json_object_get_int_member (error, "retry_after_ms"), <=, 60000);

  /* Nothing was stored, and reading still works. */
  history = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (history, "messages")),
                    ==, 5);
  g_assert_true (confab_test_client_is_open (a));
}

/* A body of max_body_chars astral characters (4 UTF-8 bytes each) fits in a frame, both ways. */
static void
test_astral_body (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  g_autoptr(ConfabTestServer) server = tls ? confab_test_server_new_tls (NULL, NULL)
                                           : confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(JsonObject) event = NULL;

  for (guint i = 0; i < 16384; i++)
    g_string_append (body, "\xf0\x9f\x98\x80");  /* U+1F600 */
  msg = send_text (a, "dm:alice:bob", body->str);
  event = wait_message_event (b, msg_id (msg));
  g_assert_cmpstr (json_object_get_string_member (event_msg (event), "body"), ==, body->str);
  confab_test_server_assert_running (server);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/server/health", test_health);
  g_test_add_func ("/confab/server/register", test_register);
  g_test_add_func ("/confab/server/cors", test_cors);
  g_test_add_func ("/confab/server/login-logout", test_login_logout);
  g_test_add_func ("/confab/server/live-delivery", test_live_delivery);
  g_test_add_func ("/confab/server/offline-replay", test_offline_replay);
  g_test_add_func ("/confab/server/idempotent-send", test_idempotent_send);
  g_test_add_func ("/confab/server/typing-and-read", test_typing_and_read);
  g_test_add_func ("/confab/server/history-pages", test_history_pages);
  g_test_add_func ("/confab/server/conversations", test_conversations);
  g_test_add_func ("/confab/server/search", test_search);
  g_test_add_func ("/confab/server/edit-delete-react", test_edit_delete_react);
  g_test_add_func ("/confab/server/presence", test_presence);
  g_test_add_func ("/confab/server/profile", test_profile);
  g_test_add_func ("/confab/server/profile-timezone", test_profile_timezone);
  g_test_add_func ("/confab/server/password-change", test_password_change);
  g_test_add_func ("/confab/server/devices", test_devices);
  g_test_add_func ("/confab/server/third-party", test_third_party);
  g_test_add_func ("/confab/server/own-devices", test_own_devices);
  g_test_add_func ("/confab/server/tls", test_tls);
  g_test_add_func ("/confab/server/send-rate-limit", test_send_rate_limit);
  g_test_add_data_func ("/confab/server/astral-body/plain", GINT_TO_POINTER (FALSE),
                        test_astral_body);
  g_test_add_data_func ("/confab/server/astral-body/tls", GINT_TO_POINTER (TRUE),
                        test_astral_body);

  return confab_test_run ();
}
