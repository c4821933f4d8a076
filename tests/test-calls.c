/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* Call signalling in confabd (protocol v1 section 6): the real server, real WebSocket clients.
 * The ring timeout and the grace period are shortened through the configuration file. */

#define T CONFAB_TEST_TIMEOUT_MS

/* A request whose result is not needed beyond its success. */
#define CALL_OK(...) json_object_unref (confab_test_client_call_ok (__VA_ARGS__))

static const char *config_text =
  "[calls]\n"
  "ring_timeout_s = 2\n"
  "grace_s = 2\n"
  "stun = stun:stun.example.org:3478\n"
  "turn = turn:turn.example.org:3478?transport=udp;turns:turn.example.org:5349\n"
  "turn_secret = s3cret\n"
  "turn_ttl_s = 3600\n";

typedef struct
{
  ConfabTestServer *server;
  ConfabTestUser   *alice;
  ConfabTestUser   *bob;
  ConfabTestClient *a;
  ConfabTestClient *b;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = confab_test_server_new (NULL, config_text);
  f->alice = confab_test_user_new (f->server, "alice");
  f->bob = confab_test_user_new (f->server, "bob");
  f->a = confab_test_client_new (f->server, f->alice->token, 0);
  f->b = confab_test_client_new (f->server, f->bob->token, 0);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->a, confab_test_client_free);
  g_clear_pointer (&f->b, confab_test_client_free);
  g_clear_pointer (&f->alice, confab_test_user_free);
  g_clear_pointer (&f->bob, confab_test_user_free);
  g_clear_pointer (&f->server, confab_test_server_free);
}

static JsonObject *
data_of (JsonObject *event)
{
  g_assert_nonnull (event);
  return json_object_get_object_member (event, "data");
}

/* Waits for the call_ended of @call_id and returns its reason. */
static char *
wait_ended (ConfabTestClient *client,
            const char       *call_id)
{
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (client, "call_ended", T);
      JsonObject *data;

      if (event == NULL)
        g_error ("no call_ended for %s", call_id);
      data = data_of (event);
      if (g_str_equal (json_object_get_string_member (data, "call_id"), call_id))
        return g_strdup (json_object_get_string_member (data, "reason"));
    }
}

/* Waits for the kind:"call" message of @call_id and returns its `call` record. */
static JsonObject *
wait_call_message (ConfabTestClient *client,
                   const char       *call_id)
{
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (client, "message", T);
      JsonObject *msg;
      JsonObject *call;

      if (event == NULL)
        g_error ("no call message for %s", call_id);
      msg = json_object_get_object_member (data_of (event), "msg");
      if (g_strcmp0 (json_object_get_string_member (msg, "kind"), "call") != 0)
        continue;
      call = json_object_get_object_member (msg, "call");
      g_assert_nonnull (call);
      if (g_str_equal (json_object_get_string_member (call, "call_id"), call_id))
        {
          g_assert_cmpstr (json_object_get_string_member (msg, "conv"), ==, "dm:alice:bob");
          g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "alice");
          return json_object_ref (call);
        }
    }
}

static char *
invite (Fixture    *f,
        gboolean    video,
        gint64      expect_ringing)
{
  g_autofree char *call_id = confab_test_uuid ();
  g_autoptr(JsonObject) result = NULL;

  result = confab_test_client_call_ok (f->a, "call_invite",
                                       "{\"call_id\":\"%s\",\"to\":\"bob\","
                                       "\"media\":{\"audio\":true,\"video\":%s}}",
                                       call_id, video ? "true" : "false");
  g_assert_cmpint (json_object_get_int_member (result, "ringing"), ==, expect_ringing);
  return g_steal_pointer (&call_id);
}

static void
test_answer_signal_hangup (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *call_id = invite (f, TRUE, 1);
  g_autoptr(JsonObject) ring = confab_test_client_wait_event (f->b, "call_invite", T);
  g_autoptr(JsonObject) answered = NULL;
  g_autoptr(JsonObject) offer = NULL;
  g_autoptr(JsonObject) candidate = NULL;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(JsonObject) history = NULL;
  g_autofree char *reason = NULL;
  JsonObject *media;
  JsonArray *messages;
  JsonObject *last;

  g_assert_cmpstr (json_object_get_string_member (data_of (ring), "call_id"), ==, call_id);
  g_assert_cmpstr (json_object_get_string_member (data_of (ring), "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (data_of (ring), "from_device"), ==,
                   f->alice->device_id);
  media = json_object_get_object_member (data_of (ring), "media");
  g_assert_true (json_object_get_boolean_member (media, "audio"));
  g_assert_true (json_object_get_boolean_member (media, "video"));

  g_clear_pointer (&ring, json_object_unref);
  CALL_OK (f->b, "call_answer", "{\"call_id\":\"%s\"}", call_id);
  answered = confab_test_client_wait_event (f->a, "call_answered", T);
  g_assert_cmpstr (json_object_get_string_member (data_of (answered), "device"), ==,
                   f->bob->device_id);

  /* The caller offers; the callee trickles a candidate back. */
  CALL_OK (f->a, "call_signal",
           "{\"call_id\":\"%s\",\"to_device\":\"%s\","
           "\"sdp\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4 0.0.0.0\\r\\n\"}}",
           call_id, f->bob->device_id);
  offer = confab_test_client_wait_event (f->b, "call_signal", T);
  g_assert_cmpstr (json_object_get_string_member (data_of (offer), "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (data_of (offer), "from_device"), ==,
                   f->alice->device_id);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (data_of (offer), "sdp"), "type"), ==, "offer");

  CALL_OK (f->b, "call_signal",
           "{\"call_id\":\"%s\",\"to_device\":\"%s\","
           "\"ice\":{\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 5000 typ host\","
           "\"sdp_mline_index\":0}}",
           call_id, f->alice->device_id);
  candidate = confab_test_client_wait_event (f->a, "call_signal", T);
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (data_of (candidate), "ice"), "sdp_mline_index"),
                   ==, 0);

  /* A signal with both or neither of sdp and ice is refused. */
  confab_test_client_call_error (f->a, "bad_request", "call_signal",
                                 "{\"call_id\":\"%s\",\"to_device\":\"%s\"}", call_id,
                                 f->bob->device_id);
  confab_test_client_call_error (f->a, "bad_request", "call_signal",
                                 "{\"call_id\":\"%s\",\"to_device\":\"%s\",\"sdp\":"
                                 "{\"type\":\"bogus\",\"sdp\":\"\"}}", call_id, f->bob->device_id);

  CALL_OK (f->a, "call_hangup", "{\"call_id\":\"%s\"}", call_id);
  reason = wait_ended (f->b, call_id);
  g_assert_cmpstr (reason, ==, "hangup");

  record = wait_call_message (f->b, call_id);
  g_assert_cmpstr (json_object_get_string_member (record, "result"), ==, "answered");
  g_assert_cmpint (json_object_get_int_member (record, "duration_ms"), >=, 0);
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (record, "media"),
                                                 "video"));
  g_clear_pointer (&record, json_object_unref);
  record = wait_call_message (f->a, call_id);

  /* The record stays in the DM's history. */
  history = confab_test_client_call_ok (f->a, "history", "{\"conv\":\"dm:alice:bob\"}");
  messages = json_object_get_array_member (history, "messages");
  g_assert_cmpuint (json_array_get_length (messages), >=, 1);
  last = json_array_get_object_element (messages, json_array_get_length (messages) - 1);
  g_assert_cmpstr (json_object_get_string_member (last, "kind"), ==, "call");

  /* The call is over: nothing more can be said in it. */
  confab_test_client_call_error (f->a, "not_found", "call_hangup", "{\"call_id\":\"%s\"}", call_id);
}

static void
test_decline_and_busy (Fixture       *f,
                       gconstpointer  data)
{
  const char *reasons[] = { "declined", "busy" };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      g_autofree char *call_id = invite (f, FALSE, 1);
      g_autoptr(JsonObject) ring G_GNUC_UNUSED =
        confab_test_client_wait_event (f->b, "call_invite", T);
      g_autoptr(JsonObject) record = NULL;
      g_autofree char *reason = NULL;

      CALL_OK (f->b, "call_reject", "{\"call_id\":\"%s\",\"reason\":\"%s\"}",
               call_id, reasons[i]);
      reason = wait_ended (f->a, call_id);
      g_assert_cmpstr (reason, ==, reasons[i]);
      record = wait_call_message (f->a, call_id);
      g_assert_cmpstr (json_object_get_string_member (record, "result"), ==, reasons[i]);
      g_assert_cmpint (json_object_get_int_member (record, "duration_ms"), ==, 0);
    }

  /* Only the callee rejects, and only with a known reason. */
  {
    g_autofree char *call_id = invite (f, FALSE, 1);

    confab_test_client_call_error (f->a, "forbidden", "call_reject", "{\"call_id\":\"%s\"}",
                                   call_id);
    confab_test_client_call_error (f->b, "bad_request", "call_reject",
                                   "{\"call_id\":\"%s\",\"reason\":\"sleepy\"}", call_id);
    CALL_OK (f->a, "call_hangup", "{\"call_id\":\"%s\"}", call_id);
  }
}

static void
test_ring_timeout (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *call_id = invite (f, FALSE, 1);
  g_autofree char *caller_reason = NULL;
  g_autofree char *callee_reason = NULL;
  g_autoptr(JsonObject) missed = NULL;
  g_autoptr(JsonObject) record = NULL;

  caller_reason = wait_ended (f->a, call_id);
  callee_reason = wait_ended (f->b, call_id);
  g_assert_cmpstr (caller_reason, ==, "timeout");
  g_assert_cmpstr (callee_reason, ==, "timeout");

  missed = confab_test_client_wait_event (f->b, "call_missed", T);
  g_assert_true (json_object_has_member (missed, "seq"));
  g_assert_cmpstr (json_object_get_string_member (data_of (missed), "call_id"), ==, call_id);
  g_assert_cmpstr (json_object_get_string_member (data_of (missed), "from"), ==, "alice");

  record = wait_call_message (f->a, call_id);
  g_assert_cmpstr (json_object_get_string_member (record, "result"), ==, "missed");
}

static void
test_offline_callee (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (f->server, "carol");
  g_autofree char *call_id = confab_test_uuid ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(ConfabTestClient) c = NULL;
  g_autoptr(JsonObject) missed = NULL;

  result = confab_test_client_call_ok (f->a, "call_invite",
                                       "{\"call_id\":\"%s\",\"to\":\"carol\","
                                       "\"media\":{\"audio\":true,\"video\":true}}", call_id);
  g_assert_cmpint (json_object_get_int_member (result, "ringing"), ==, 0);

  /* Carol learns of it when she next connects, from the durable stream. */
  c = confab_test_client_new (f->server, carol->token, 0);
  missed = confab_test_client_wait_event (c, "call_missed", T);
  g_assert_true (json_object_has_member (missed, "seq"));
  g_assert_cmpstr (json_object_get_string_member (data_of (missed), "call_id"), ==, call_id);
  g_assert_cmpstr (json_object_get_string_member (data_of (missed), "from"), ==, "alice");

  /* Nobody can call someone who does not exist, or themselves. */
  confab_test_client_call_error (f->a, "not_found", "call_invite",
                                 "{\"call_id\":\"x1\",\"to\":\"nobody\",\"media\":{\"audio\":true}}");
  confab_test_client_call_error (f->a, "invalid", "call_invite",
                                 "{\"call_id\":\"x2\",\"to\":\"alice\",\"media\":{\"audio\":true}}");
}

static void
test_caller_cancels (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *call_id = invite (f, FALSE, 1);
  g_autoptr(JsonObject) ring G_GNUC_UNUSED = confab_test_client_wait_event (f->b, "call_invite", T);
  g_autoptr(JsonObject) missed = NULL;
  g_autofree char *reason = NULL;

  CALL_OK (f->a, "call_hangup", "{\"call_id\":\"%s\"}", call_id);
  reason = wait_ended (f->b, call_id);
  g_assert_cmpstr (reason, ==, "cancelled");
  missed = confab_test_client_wait_event (f->b, "call_missed", T);
  g_assert_cmpstr (json_object_get_string_member (data_of (missed), "call_id"), ==, call_id);

  /* A caller whose connection drops while ringing cancels too. */
  {
    g_autofree char *second = invite (f, FALSE, 1);
    g_autofree char *second_reason = NULL;

    g_clear_pointer (&f->a, confab_test_client_free);
    second_reason = wait_ended (f->b, second);
    g_assert_cmpstr (second_reason, ==, "cancelled");
  }
}

static void
test_outsider (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(ConfabTestUser) mallory = confab_test_user_new (f->server, "mallory");
  g_autoptr(ConfabTestClient) m = confab_test_client_new (f->server, mallory->token, 0);
  g_autofree char *call_id = invite (f, TRUE, 1);
  g_autofree char *reason = NULL;

  confab_test_client_call_error (m, "forbidden", "call_answer", "{\"call_id\":\"%s\"}", call_id);
  confab_test_client_call_error (m, "forbidden", "call_reject", "{\"call_id\":\"%s\"}", call_id);
  confab_test_client_call_error (m, "forbidden", "call_hangup", "{\"call_id\":\"%s\"}", call_id);
  confab_test_client_call_error (m, "forbidden", "call_signal",
                                 "{\"call_id\":\"%s\",\"to_device\":\"%s\","
                                 "\"ice\":{\"candidate\":\"\",\"sdp_mline_index\":0}}",
                                 call_id, f->bob->device_id);

  CALL_OK (f->b, "call_answer", "{\"call_id\":\"%s\"}", call_id);
  confab_test_client_call_error (m, "forbidden", "call_signal",
                                 "{\"call_id\":\"%s\",\"to_device\":\"%s\","
                                 "\"sdp\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}",
                                 call_id, f->alice->device_id);
  /* A party may only signal the other party's device in the call. */
  confab_test_client_call_error (f->a, "not_found", "call_signal",
                                 "{\"call_id\":\"%s\",\"to_device\":\"%s\","
                                 "\"sdp\":{\"type\":\"offer\",\"sdp\":\"v=0\"}}",
                                 call_id, mallory->device_id);
  /* A call id that is taken cannot be reused. */
  confab_test_client_call_error (m, "conflict", "call_invite",
                                 "{\"call_id\":\"%s\",\"to\":\"alice\",\"media\":{\"audio\":true}}",
                                 call_id);

  CALL_OK (f->b, "call_hangup", "{\"call_id\":\"%s\",\"reason\":\"hangup\"}",
           call_id);
  reason = wait_ended (f->a, call_id);
  g_assert_cmpstr (reason, ==, "hangup");
}

static void
test_other_devices_stop_ringing (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *second_device = NULL;
  g_autofree char *token = confab_test_login (f->server, "bob", f->bob->password, &second_device);
  g_autoptr(ConfabTestClient) b2 = confab_test_client_new (f->server, token, 0);
  g_autofree char *call_id = invite (f, FALSE, 2);
  g_autoptr(JsonObject) ring1 = confab_test_client_wait_event (f->b, "call_invite", T);
  g_autoptr(JsonObject) ring2 = confab_test_client_wait_event (b2, "call_invite", T);
  g_autoptr(JsonObject) answered = NULL;
  g_autofree char *reason = NULL;

  /* Both of Bob's devices ring for this call. */
  g_assert_cmpstr (json_object_get_string_member (data_of (ring1), "call_id"), ==, call_id);
  g_assert_cmpstr (json_object_get_string_member (data_of (ring1), "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (data_of (ring2), "call_id"), ==, call_id);
  g_assert_cmpstr (json_object_get_string_member (data_of (ring2), "from"), ==, "alice");

  /* One answers: the caller learns which, and the other stops ringing. */
  CALL_OK (f->b, "call_answer", "{\"call_id\":\"%s\"}", call_id);
  answered = confab_test_client_wait_event (f->a, "call_answered", T);
  g_assert_cmpstr (json_object_get_string_member (data_of (answered), "device"), ==,
                   f->bob->device_id);
  reason = wait_ended (b2, call_id);
  g_assert_cmpstr (reason, ==, "answered_elsewhere");
  g_assert_cmpuint (confab_test_client_count_events (f->b, "call_ended"), ==, 0);
  confab_test_client_call_error (b2, "conflict", "call_answer", "{\"call_id\":\"%s\"}", call_id);
  CALL_OK (f->a, "call_hangup", "{\"call_id\":\"%s\"}", call_id);
}

static void
test_signalling_loss (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *call_id = invite (f, FALSE, 1);
  g_autofree char *reason = NULL;

  CALL_OK (f->b, "call_answer", "{\"call_id\":\"%s\"}", call_id);

  /* Alice's connection drops and comes back within the grace period: the call goes on. */
  g_clear_pointer (&f->a, confab_test_client_free);
  f->a = confab_test_client_new (f->server, f->alice->token, 0);
  CALL_OK (f->a, "call_signal",
           "{\"call_id\":\"%s\",\"to_device\":\"%s\","
           "\"ice\":{\"candidate\":\"\",\"sdp_mline_index\":0}}",
           call_id, f->bob->device_id);

  /* Alice's connection drops for good: after the grace period, Bob's call ends. */
  g_clear_pointer (&f->a, confab_test_client_free);
  reason = wait_ended (f->b, call_id);
  g_assert_cmpstr (reason, ==, "connection_lost");
}

static void
test_ice_servers (Fixture       *f,
                  gconstpointer  data)
{
  JsonObject *hello = confab_test_client_get_hello (f->a);
  JsonArray *servers = json_object_get_array_member (hello, "ice_servers");
  JsonObject *stun;
  JsonObject *turn;
  const char *username;
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) "s3cret", 6);
  guint8 digest[20];
  gsize len = sizeof digest;
  g_autofree char *expected = NULL;
  gint64 expiry;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_nonnull (servers);
  g_assert_cmpuint (json_array_get_length (servers), ==, 2);
  stun = json_array_get_object_element (servers, 0);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (stun, "urls"), 0),
                   ==, "stun:stun.example.org:3478");
  g_assert_false (json_object_has_member (stun, "credential"));

  turn = json_array_get_object_element (servers, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (turn, "urls")), ==, 2);
  username = json_object_get_string_member (turn, "username");
  g_assert_true (g_str_has_suffix (username, ":alice"));
  expiry = g_ascii_strtoll (username, NULL, 10);
  g_assert_cmpint (expiry, >, now + 3000);
  g_assert_cmpint (expiry, <=, now + 3601);

  g_hmac_update (hmac, (const guchar *) username, strlen (username));
  g_hmac_get_digest (hmac, digest, &len);
  expected = g_base64_encode (digest, len);
  g_assert_cmpstr (json_object_get_string_member (turn, "credential"), ==, expected);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

#define ADD(path, fn) \
  g_test_add ("/confab/calls/" path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)

  ADD ("answer-signal-hangup", test_answer_signal_hangup);
  ADD ("decline-and-busy", test_decline_and_busy);
  ADD ("ring-timeout", test_ring_timeout);
  ADD ("offline-callee", test_offline_callee);
  ADD ("caller-cancels", test_caller_cancels);
  ADD ("outsider", test_outsider);
  ADD ("other-devices-stop-ringing", test_other_devices_stop_ringing);
  ADD ("signalling-loss", test_signalling_loss);
  ADD ("ice-servers", test_ice_servers);

  return confab_test_run ();
}
