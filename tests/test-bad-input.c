/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* "Bad input never crashes the server and never loses data" (protocol v1, section 4): every
 * case checks the answer the contract asks for, and then that a well-behaved client on the same
 * server is still served. */

#define T CONFAB_TEST_TIMEOUT_MS
#define HELLO_TIMEOUT_MS 1500

static ConfabTestServer *server;
static ConfabTestUser *alice;
static ConfabTestUser *bob;

/* A second client, well behaved, on the same server. */
static void
assert_service (void)
{
  g_autoptr(ConfabTestClient) b = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *cmid = confab_test_uuid ();

  confab_test_server_assert_running (server);
  b = confab_test_client_new (server, bob->token, 0);
  result = confab_test_client_call_ok (b, "send", "{\"conv\":\"dm:alice:bob\","
                                       "\"client_msg_id\":\"%s\",\"body\":\"still here\"}", cmid);
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/health", NULL, NULL, NULL, NULL), ==,
                    200);
}

static ConfabTestClient *
alice_client (void)
{
  return confab_test_client_new (server, alice->token, 0);
}

/* Sends @text and expects a bad_request answer with "id": null; the connection stays open. */
static void
assert_null_id_bad_request (ConfabTestClient *client,
                            const char       *text,
                            gsize             length)
{
  g_autoptr(JsonObject) response = NULL;

  confab_test_client_send_text (client, text, length);
  response = confab_test_client_wait_null_id (client, T);
  if (response == NULL)
    g_error ("no error response to %.*s%s", (int) MIN (length, 80), text,
             confab_test_client_is_open (client) ? "" : " (the connection closed)");
  confab_test_assert_error (response, "bad_request");
  g_assert_true (json_object_has_member (response, "id"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (response, "id")));
  g_assert_true (confab_test_client_is_open (client));
}

/* Sends @text as it is (the harness's JSON reader would wrap big numbers and mangle escapes)
 * and returns the answer to request @id, or the error answer without an id. */
static JsonObject *
raw_request (ConfabTestClient *client,
             const char       *id,
             const char       *text)
{
  JsonObject *response;

  confab_test_client_send_text (client, text, strlen (text));
  response = confab_test_client_wait_response (client, id, 2000);
  if (response == NULL)
    response = confab_test_client_wait_null_id (client, T);
  if (response == NULL)
    g_error ("no answer to %s", text);
  return response;
}

/* The connection still answers a valid request. */
static void
assert_still_usable (ConfabTestClient *client)
{
  g_autoptr(JsonObject) result = confab_test_client_call_ok (client, "devices", NULL);

  g_assert_true (json_object_has_member (result, "devices"));
}

static void
test_malformed_json (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  const char * const texts[] = {
    "{\"type\":\"send\",",
    "{type: send}",
    "{\"type\":\"send\",\"id\":\"1\"}}",
    "{\"type\":\"send\"} {\"type\":\"send\"}",
    "\"\\ud83d\\u0041\"",
    " ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    assert_null_id_bad_request (a, texts[i], strlen (texts[i]));
  assert_still_usable (a);
  assert_service ();
}

static void
test_not_an_object (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  const char * const texts[] = { "[1,2,3]", "\"send\"", "42", "null", "true", "[]" };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    assert_null_id_bad_request (a, texts[i], strlen (texts[i]));
  assert_still_usable (a);
  assert_service ();
}

static void
test_binary_frame (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  g_autoptr(JsonObject) response = NULL;
  const char json[] = "{\"type\":\"devices\",\"id\":\"bin\"}";

  confab_test_client_send_binary (a, json, strlen (json));
  /* The server may or may not read the id out of a binary frame; either way bad_request. */
  response = confab_test_client_wait_response (a, "bin", 1000);
  if (response == NULL)
    response = confab_test_client_wait_null_id (a, T);
  confab_test_assert_error (response, "bad_request");
  g_assert_true (confab_test_client_is_open (a));
  assert_still_usable (a);
  assert_service ();
}

static GSocketConnection *
raw_websocket (void)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) reply = g_string_new (NULL);
  const char *host_port = strstr (confab_test_server_get_url (server), "://") + 3;
  g_autofree char *request = NULL;
  GSocketConnection *connection;
  char c;

  g_socket_client_set_timeout (socket_client, T / 1000);
  connection = g_socket_client_connect_to_host (socket_client, host_port, 0, NULL, &error);
  g_assert_no_error (error);
  request = g_strdup_printf ("GET /v1/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n", host_port);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                             strlen (request), NULL, NULL, &error);
  g_assert_no_error (error);
  while (!g_str_has_suffix (reply->str, "\r\n\r\n")
         && g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), &c, 1,
                                 NULL, &error) == 1)
    g_string_append_c (reply, c);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (reply->str, "HTTP/1.1 101"));
  return connection;
}

static void
raw_send_frame (GSocketConnection *connection,
                guint8             opcode,
                const char        *data,
                gsize              length)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 head[2] = { 0x80 | opcode, 0x80 };
  const guint8 mask[4] = { 0x12, 0x34, 0x56, 0x78 };

  g_assert_cmpuint (length, <, 65536);
  if (length < 126)
    {
      head[1] |= (guint8) length;
      g_byte_array_append (frame, head, 2);
    }
  else
    {
      guint8 ext[2] = { length >> 8, length & 0xff };

      head[1] |= 126;
      g_byte_array_append (frame, head, 2);
      g_byte_array_append (frame, ext, 2);
    }
  g_byte_array_append (frame, mask, 4);
  for (gsize i = 0; i < length; i++)
    {
      guint8 b = (guint8) data[i] ^ mask[i % 4];

      g_byte_array_append (frame, &b, 1);
    }
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                             frame->data, frame->len, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Reads one frame from the server; FALSE at the end of the stream. */
static gboolean
raw_read_frame (GSocketConnection  *connection,
                guint8             *opcode,
                GByteArray        **payload)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  guint8 head[2];
  guint64 length;
  gsize got = 0;

  if (!g_input_stream_read_all (in, head, 2, &got, NULL, NULL) || got < 2)
    return FALSE;
  *opcode = head[0] & 0x0f;
  length = head[1] & 0x7f;
  if (length >= 126)
    {
      guint8 ext[8];
      guint n = length == 126 ? 2 : 8;

      if (!g_input_stream_read_all (in, ext, n, &got, NULL, NULL) || got < n)
        return FALSE;
      length = 0;
      for (guint i = 0; i < n; i++)
        length = (length << 8) | ext[i];
    }
  g_assert_cmpuint (length, <, 16 * 1024 * 1024);
  *payload = g_byte_array_sized_new (length);
  g_byte_array_set_size (*payload, length);
  if (length > 0 && (!g_input_stream_read_all (in, (*payload)->data, length, &got, NULL, NULL)
                     || got < length))
    {
      g_clear_pointer (payload, g_byte_array_unref);
      return FALSE;
    }
  return TRUE;
}

static void
test_oversized_frame (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  g_autoptr(GString) text = g_string_new ("{\"type\":\"send\",\"id\":\"big\","
                                          "\"conv\":\"dm:alice:bob\","
                                          "\"client_msg_id\":\"big\",\"body\":\"");
  g_autoptr(GSocketConnection) raw = NULL;
  g_autoptr(GError) error = NULL;
  guint8 header[14] = { 0x81, 0x80 | 127, 0, 0, 0, 0, 0, 2, 0x22, 0xe0, 1, 2, 3, 4 };
  guint8 answer[4] = { 0 };
  gsize got = 0;

  /* A whole oversized frame from a client that keeps writing: the connection must go. */
  while (text->len < 131072 + 100)
    g_string_append (text, "0123456789");
  g_string_append (text, "\"}");

  confab_test_client_send_text (a, text->str, text->len);
  g_assert_true (confab_test_client_wait_closed (a, T));
  g_test_message ("whole 129 KiB frame: the client saw close code %u",
                  confab_test_client_get_close_code (a));
  assert_service ();

  /* On the wire: a frame announcing 140 000 bytes must be answered by a close frame with 1009
   * as soon as its header is read (nothing else is in flight, so no reset can hide it). */
  raw = raw_websocket ();
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (raw)), header,
                             sizeof header, NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (raw)), answer,
                           sizeof answer, &got, NULL, &error);
  g_clear_error (&error);
  assert_service ();
  g_assert_cmpuint (got, ==, 4);
  g_assert_cmpuint (answer[0], ==, 0x88);
  g_assert_cmpuint ((answer[2] << 8) | answer[3], ==, 1009);
}

static void
test_invalid_utf8 (void)
{
  g_autoptr(GSocketConnection) raw = raw_websocket ();
  g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"id\":\"h\",\"token\":\"%s\","
                                            "\"since\":0}", alice->token);
  const char text[] = "{\"type\":\"send\",\"id\":\"u8\",\"conv\":\"dm:alice:bob\","
                      "\"client_msg_id\":\"u8\",\"body\":\"bad \xff\xfe bytes\"}";
  const char surrogate[] = "{\"type\":\"send\",\"id\":\"sur\",\"conv\":\"dm:alice:bob\","
                           "\"client_msg_id\":\"sur\",\"body\":\"x\\ud800y\"}";
  g_autoptr(GByteArray) payload = NULL;
  gboolean answered = FALSE;
  guint close_code = 0;
  guint8 opcode;

  /* libsoup refuses to send invalid UTF-8 in a text frame, so the frames are made by hand. */
  raw_send_frame (raw, 0x1, hello, strlen (hello));
  raw_send_frame (raw, 0x1, text, strlen (text));
  while (raw_read_frame (raw, &opcode, &payload))
    {
      g_autofree char *frame = g_strndup ((char *) payload->data, payload->len);

      g_clear_pointer (&payload, g_byte_array_unref);
      if (opcode == 0x8)
        {
          if (strlen (frame) >= 2)
            close_code = ((guint8) frame[0] << 8) | (guint8) frame[1];
          break;
        }
      if (strstr (frame, "\"bad_request\"") != NULL)
        {
          answered = TRUE;
          break;
        }
    }
  g_test_message ("invalid UTF-8 in a text frame: %s (close code %u)",
                  answered ? "answered with bad_request" : "no answer", close_code);

  /* An escaped lone surrogate is valid UTF-8 on the wire and only invalid once decoded. */
  {
    g_autoptr(ConfabTestClient) a = alice_client ();
    g_autoptr(JsonObject) response = raw_request (a, "sur", surrogate);

    confab_test_assert_error (response, "bad_request");
    g_assert_true (confab_test_client_is_open (a));
  }
  assert_service ();

  /* The documented departure (docs/protocol.md): RFC 6455 requires failing the connection,
   * and the WebSocket layer does so with 1007 before the server sees the frame. */
  g_assert_false (answered);
  g_assert_cmpuint (close_code, ==, 1007);
}

/* A peer that stops answering the server's pings is dropped once the idle timeout passes, and
 * nobody else notices. */
static void
test_silent_peer (void)
{
  g_autoptr(GSocketConnection) raw = raw_websocket ();
  g_autofree char *hello = g_strdup_printf ("{\"type\":\"hello\",\"id\":\"h\",\"token\":\"%s\","
                                            "\"since\":0}", alice->token);
  g_autoptr(GByteArray) payload = NULL;
  guint close_code = 0;
  guint pings = 0;
  guint8 opcode;

  raw_send_frame (raw, 0x1, hello, strlen (hello));
  /* Read, never answer: pings (0x9) go unanswered until the server closes. */
  while (raw_read_frame (raw, &opcode, &payload))
    {
      if (opcode == 0x9)
        pings++;
      if (opcode == 0x8)
        {
          if (payload->len >= 2)
            close_code = (payload->data[0] << 8) | payload->data[1];
          break;
        }
      g_clear_pointer (&payload, g_byte_array_unref);
    }
  g_assert_cmpuint (pings, >=, 1);
  g_assert_cmpuint (close_code, ==, 1001);
  assert_service ();
}

static void
test_unknown_type (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();

  confab_test_client_call_error (a, "bad_request", "frobnicate", NULL);
  confab_test_client_call_error (a, "bad_request", "", NULL);
  {
    const char text[] = "{\"id\":\"no-type\"}";
    g_autoptr(JsonObject) response = NULL;

    confab_test_client_send_text (a, text, strlen (text));
    response = confab_test_client_wait_response (a, "no-type", 2000);
    if (response == NULL)
      response = confab_test_client_wait_null_id (a, T);
    confab_test_assert_error (response, "bad_request");
  }
  assert_still_usable (a);
  assert_service ();
}

static void
test_missing_and_mistyped (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  const char * const sends[] = {
    "{\"client_msg_id\":\"m1\",\"body\":\"no conv\"}",
    "{\"conv\":\"dm:alice:bob\",\"body\":\"no client_msg_id\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m2\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m3\",\"body\":5}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m4\",\"body\":null}",
    "{\"conv\":[\"dm:alice:bob\"],\"client_msg_id\":\"m5\",\"body\":\"x\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":7,\"body\":\"x\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m6\",\"body\":{\"text\":\"x\"}}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m7\",\"body\":\"\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"\",\"body\":\"x\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m8\",\"body\":\"x\",\"format\":\"html\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m9\",\"body\":\"x\",\"reply_to\":\"1\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m10\",\"body\":\"x\",\"attachments\":5}",
    "{\"conv\":\"dm:bob:alice\",\"client_msg_id\":\"m11\",\"body\":\"wrong order\"}",
    "{\"conv\":\"group:x\",\"client_msg_id\":\"m12\",\"body\":\"x\"}",
    "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"m13\",\"body\":\"bell\\u0007\"}",
  };
  g_autoptr(JsonObject) history = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (sends); i++)
    {
      g_autoptr(JsonObject) response = confab_test_client_call (a, "send", "%s", sends[i]);

      if (g_strcmp0 (confab_test_response_error_code (response), "bad_request") != 0)
        {
          g_autofree char *text = confab_test_to_string (response);

          g_error ("send %s: expected bad_request, got %s", sends[i], text);
        }
    }
  confab_test_client_call_error (a, "bad_request", "edit", "{\"msg_id\":\"1\",\"body\":\"x\"}");
  confab_test_client_call_error (a, "bad_request", "edit", "{\"msg_id\":1.5,\"body\":\"x\"}");
  confab_test_client_call_error (a, "bad_request", "edit", "{\"msg_id\":-1,\"body\":\"x\"}");
  confab_test_client_call_error (a, "bad_request", "react", "{\"msg_id\":1,\"emoji\":\"x\","
                                 "\"on\":\"yes\"}");
  confab_test_client_call_error (a, "bad_request", "typing", "{\"conv\":\"dm:alice:bob\","
                                 "\"active\":1}");
  confab_test_client_call_error (a, "bad_request", "history", "{\"conv\":\"dm:alice:bob\","
                                 "\"limit\":0}");
  confab_test_client_call_error (a, "bad_request", "history", "{\"conv\":\"dm:alice:bob\","
                                 "\"limit\":\"10\"}");
  confab_test_client_call_error (a, "bad_request", "presence_get", "{\"users\":\"alice\"}");

  /* None of it was stored. */
  history = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\",\"limit\":200}");
  {
    JsonArray *messages = json_object_get_array_member (history, "messages");

    for (guint i = 0; i < json_array_get_length (messages); i++)
      {
        const char *cmid = json_object_get_string_member (json_array_get_object_element (messages,
                                                                                         i),
                                                          "client_msg_id");

        g_assert_false (g_str_has_prefix (cmid, "m"));
      }
  }
  assert_still_usable (a);
  assert_service ();
}

static void
test_huge_numbers (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  g_autoptr(JsonObject) msg = NULL;
  gint64 id;
  const char * const numbers[] = {
    "9223372036854775808",     /* 2^63 */
    "18446744073709551621",    /* 2^64 + 5: wraps to 5 in a careless reader */
    "9007199254740992",        /* 2^53: beyond every id */
    "-9223372036854775809",
    "1e400",
  };

  msg = confab_test_client_call_ok (a, "send", "{\"conv\":\"dm:alice:bob\","
                                    "\"client_msg_id\":\"num\",\"body\":\"number target\"}");
  id = json_object_get_int_member (json_object_get_object_member (msg, "msg"), "id");

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autofree char *edit = g_strdup_printf ("{\"type\":\"edit\",\"id\":\"n%u\",\"msg_id\":%s,"
                                               "\"body\":\"wrapped\"}", i, numbers[i]);
      g_autofree char *before = g_strdup_printf ("{\"type\":\"history\",\"id\":\"h%u\","
                                                 "\"conv\":\"dm:alice:bob\",\"before\":%s}",
                                                 i, numbers[i]);
      g_autofree char *edit_id = g_strdup_printf ("n%u", i);
      g_autofree char *before_id = g_strdup_printf ("h%u", i);
      g_autoptr(JsonObject) response = raw_request (a, edit_id, edit);
      g_autoptr(JsonObject) response2 = raw_request (a, before_id, before);

      confab_test_assert_error (response, "bad_request");
      confab_test_assert_error (response2, "bad_request");
    }
  {
    g_autoptr(ConfabTestClient) fresh = confab_test_client_connect (server);
    g_autoptr(JsonObject) response = NULL;

    response = raw_request (fresh, "hs", "{\"type\":\"hello\",\"id\":\"hs\",\"token\":\"x\","
                            "\"since\":18446744073709551621}");
    g_assert_false (json_object_get_boolean_member (response, "ok"));
  }

  /* Message 5 (or whatever 2^64 + 5 wraps to) is untouched. */
  {
    g_autoptr(JsonObject) history = confab_test_client_call_ok (a, "history",
                                                                "{\"conv\":\"dm:alice:bob\","
                                                                "\"limit\":200}");
    JsonArray *messages = json_object_get_array_member (history, "messages");

    for (guint i = 0; i < json_array_get_length (messages); i++)
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, i),
                                                      "body"), !=, "wrapped");
  }
  (void) id;
  assert_still_usable (a);
  assert_service ();
}

static void
test_long_body (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(JsonObject) response = NULL;
  g_autoptr(JsonObject) ok = NULL;
  const char *code;

  for (guint i = 0; i < 20000; i++)
    g_string_append_c (body, 'a' + i % 26);
  response = confab_test_client_call (a, "send", "{\"conv\":\"dm:alice:bob\","
                                      "\"client_msg_id\":\"long\",\"body\":\"%s\"}", body->str);
  code = confab_test_response_error_code (response);
  g_test_message ("20 000-character body: %s", code);
  g_assert_true (g_strcmp0 (code, "bad_request") == 0 || g_strcmp0 (code, "too_large") == 0);
  g_assert_true (confab_test_client_is_open (a));

  /* The limit counts characters, not bytes: 16 384 two-byte characters are fine. */
  g_string_truncate (body, 0);
  for (guint i = 0; i < 16384; i++)
    g_string_append (body, "\xc3\xa9");
  ok = confab_test_client_call_ok (a, "send", "{\"conv\":\"dm:alice:bob\","
                                   "\"client_msg_id\":\"exact\",\"body\":\"%s\"}", body->str);
  assert_still_usable (a);
  assert_service ();
}

static void
test_before_hello (void)
{
  g_autoptr(ConfabTestClient) a = confab_test_client_connect (server);
  g_autoptr(JsonObject) hello = NULL;

  confab_test_client_call_error (a, "unauthorized", "send", "{\"conv\":\"dm:alice:bob\","
                                 "\"client_msg_id\":\"early\",\"body\":\"too early\"}");
  confab_test_client_call_error (a, "unauthorized", "devices", NULL);
  g_assert_true (confab_test_client_is_open (a));

  /* hello still works afterwards. */
  hello = confab_test_client_hello (a, alice->token, 0);
  confab_test_assert_ok (hello);
  assert_still_usable (a);
  assert_service ();
}

static void
test_wrong_token (void)
{
  const char * const tokens[] = { "not-a-token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autoptr(ConfabTestClient) a = confab_test_client_connect (server);
      g_autoptr(JsonObject) response = confab_test_client_hello (a, tokens[i], 0);

      confab_test_assert_error (response, "unauthorized");
      g_assert_true (confab_test_client_wait_closed (a, T));
      g_assert_cmpuint (confab_test_client_get_close_code (a), ==, 4401);
    }
  /* An empty token, or none: a malformed hello, refused either way. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(ConfabTestClient) a = confab_test_client_connect (server);
      g_autoptr(JsonObject) response = NULL;
      const char *code;

      if (i == 0)
        response = confab_test_client_call (a, "hello", "{\"token\":\"\",\"since\":0}");
      else
        response = confab_test_client_call (a, "hello", "{\"since\":0}");
      code = confab_test_response_error_code (response);
      g_test_message ("hello with %s token: %s", i == 0 ? "an empty" : "no", code);
      g_assert_true (g_strcmp0 (code, "unauthorized") == 0 || g_strcmp0 (code, "bad_request") == 0);
    }
  assert_service ();
}

static void
test_hello_timeout (void)
{
  g_autoptr(ConfabTestClient) a = confab_test_client_connect (server);
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed_ms;

  g_assert_true (confab_test_client_wait_closed (a, HELLO_TIMEOUT_MS + T));
  elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpuint (confab_test_client_get_close_code (a), ==, 4408);
  g_assert_cmpint (elapsed_ms, >=, HELLO_TIMEOUT_MS - 100);
  assert_service ();
}

static void
test_bad_ids (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  g_autoptr(GString) long_id = g_string_new (NULL);
  g_autofree char *text = NULL;

  for (guint i = 0; i < 65; i++)
    g_string_append_c (long_id, 'x');
  text = g_strdup_printf ("{\"type\":\"devices\",\"id\":\"%s\"}", long_id->str);
  assert_null_id_bad_request (a, text, strlen (text));
  assert_null_id_bad_request (a, "{\"type\":\"devices\",\"id\":5}", 26);
  assert_null_id_bad_request (a, "{\"type\":\"devices\",\"id\":\"\"}", 27);
  assert_still_usable (a);
  assert_service ();
}

static void
test_many_bad_frames (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  guint answered = 0;

  for (guint i = 0; i < 25 && confab_test_client_is_open (a); i++)
    {
      g_autoptr(JsonObject) response = NULL;

      confab_test_client_send_text (a, "{nope", 5);
      response = confab_test_client_wait_null_id (a, T);
      if (response != NULL)
        answered++;
    }
  if (!confab_test_client_is_open (a))
    g_assert_true (confab_test_client_wait_closed (a, T));
  g_test_message ("25 bad frames: %u answered, connection %s (code %u)", answered,
                  confab_test_client_is_open (a) ? "open" : "closed",
                  confab_test_client_get_close_code (a));
  if (!confab_test_client_is_open (a))
    {
      g_assert_cmpuint (confab_test_client_get_close_code (a), ==, 1008);
      g_assert_cmpuint (answered, >=, 19);
    }
  assert_service ();
}

static void
test_http_bodies (void)
{
  const char * const bodies[] = {
    "not json",
    "[]",
    "\"alice\"",
    "{}",
    "{\"username\":5,\"password\":\"long enough pw\"}",
    "{\"username\":\"eve\",\"password\":12345678}",
    "{\"username\":\"eve\"}",
    "{\"username\":\"eve\",\"password\":\"long enough pw\",\"display_name\":[1]}",
    "{\"username\":\"../etc\",\"password\":\"long enough pw\"}",
    "{\"username\":\"eve\\u0000x\",\"password\":\"long enough pw\"}",
    "{\"username\":\"eve\",\"password\":\"long enough pw\"",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonObject) reply = NULL;
      g_autoptr(JsonObject) reply2 = NULL;
      guint status;

      status = confab_test_http (server, "POST", "/v1/register", NULL, bodies[i], &reply, NULL);
      if (status != 400)
        g_error ("register with %s: expected 400, got %u", bodies[i], status);
      g_assert_nonnull (confab_test_error_code (reply));
      status = confab_test_http (server, "POST", "/v1/login", NULL, bodies[i], &reply2, NULL);
      if (status != 400 && status != 401)
        g_error ("login with %s: expected 400, got %u", bodies[i], status);
    }
  {
    g_autoptr(JsonObject) reply = NULL;

    g_assert_cmpuint (confab_test_http (server, "POST", "/v1/login", NULL,
                                        "{\"username\":\"alice\",\"password\":[\"x\"],"
                                        "\"device_name\":\"d\"}", &reply, NULL), ==, 400);
    g_assert_cmpstr (confab_test_error_code (reply), ==, "bad_request");
  }
  confab_test_server_assert_running (server);
  assert_service ();
}

static void
test_http_paths (void)
{
  const char * const paths[] = {
    "/v1/../v1/health",
    "/v1/%2e%2e/v1/health",
    "/v1/..%2f..%2fdata/confab.db",
    "/v1/files/../../confab.db",
    "/v1/files/..%2F..%2Fconfab.db",
    "/v1/files/%2e%2e%2f%2e%2e%2ftls%2fkey.pem",
    "//v1/health",
    "/v1/health%00",
    "/v1/./health",
    "/v1/ws/../register",
    "/%76%31/health",
    "/v1/admin/../admin/users",
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                  "Connection: close\r\n\r\n", paths[i]);
      g_autofree char *response = NULL;
      guint status = confab_test_raw_http (server, request, &response);

      g_test_message ("GET %s: %u", paths[i], status);
      if (status == 0 || status >= 500)
        g_error ("GET %s: status %u", paths[i], status);
      /* Nothing from the data directory comes back. */
      g_assert_null (strstr (response, "SQLite format"));
      g_assert_null (strstr (response, "PRIVATE KEY"));
      /* Admin routes need a token, whatever the spelling. */
      if (strstr (paths[i], "admin") != NULL)
        g_assert_cmpuint (status, !=, 200);
    }
  assert_service ();
}

/* The answers agree with each other and with docs/protocol.md. */
static void
test_consistency (void)
{
  g_autoptr(ConfabTestClient) a = alice_client ();
  g_autoptr(JsonObject) oldest = NULL;
  g_autoptr(JsonObject) earlier = NULL;
  g_autoptr(JsonObject) profile = NULL;
  g_autoptr(JsonObject) history = NULL;
  g_autoptr(JsonObject) search = NULL;
  g_autofree char *long_password = g_strnfill (1025, 'p');
  JsonArray *messages;
  gint64 first_id;

  /* A call with no media named, or none turned on. */
  confab_test_client_call_error (a, "bad_request", "call_invite",
                                 "{\"call_id\":\"0f6b7c1e-5d2a-4c3b-9a8e-1b2c3d4e5f60\","
                                 "\"to\":\"bob\",\"media\":{}}");
  confab_test_client_call_error (a, "bad_request", "call_invite",
                                 "{\"call_id\":\"0f6b7c1e-5d2a-4c3b-9a8e-1b2c3d4e5f61\","
                                 "\"to\":\"bob\",\"media\":{\"audio\":false,\"video\":false}}");

  /* A new password over 1024 bytes is `invalid`, like one under 8. */
  confab_test_client_call_error (a, "invalid", "password_change",
                                 "{\"old\":\"%s\",\"new\":\"%s\"}", alice->password,
                                 long_password);
  confab_test_client_call_error (a, "invalid", "password_change",
                                 "{\"old\":\"%s\",\"new\":\"short\"}", alice->password);

  /* history after:0 is the oldest page. */
  json_object_unref (confab_test_client_call_ok (a, "send", "{\"conv\":\"dm:alice:bob\","
                                                 "\"client_msg_id\":\"oldest-1\","
                                                 "\"body\":\"one\"}"));
  json_object_unref (confab_test_client_call_ok (a, "send", "{\"conv\":\"dm:alice:bob\","
                                                 "\"client_msg_id\":\"oldest-2\","
                                                 "\"body\":\"two\"}"));
  oldest = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\","
                                       "\"after\":0,\"limit\":1}");
  messages = json_object_get_array_member (oldest, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  g_assert_true (json_object_get_boolean_member (oldest, "has_more"));
  first_id = json_object_get_int_member (json_array_get_object_element (messages, 0), "id");
  earlier = confab_test_client_call_ok (a, "history", "{\"conv\":\"dm:alice:bob\","
                                        "\"before\":%" G_GINT64_FORMAT "}", first_id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (earlier, "messages")),
                    ==, 0);

  /* profile_update takes the emails register takes. */
  confab_test_client_call_error (a, "invalid", "profile_update", "{\"email\":\"nope\"}");
  confab_test_client_call_error (a, "invalid", "profile_update", "{\"email\":\"@\"}");
  profile = confab_test_client_call_ok (a, "profile_update", "{\"email\":\"a@example.com\"}");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (profile,
                                                                                 "user"),
                                                  "email"), ==, "a@example.com");

  /* search in a conversation the caller is not in answers as history does. */
  history = confab_test_client_call (a, "history", "{\"conv\":\"dm:bob:carol\"}");
  search = confab_test_client_call (a, "search", "{\"query\":\"one\","
                                    "\"conv\":\"dm:bob:carol\"}");
  g_assert_nonnull (confab_test_response_error_code (history));
  g_assert_cmpstr (confab_test_response_error_code (search), ==,
                   confab_test_response_error_code (history));

  /* A number out of range beside a readable id: the error answers that id. */
  {
    const char *text = "{\"type\":\"edit\",\"id\":\"big-1\",\"msg_id\":18446744073709551621,"
                       "\"body\":\"x\"}";
    g_autoptr(JsonObject) response = NULL;

    confab_test_client_send_text (a, text, strlen (text));
    response = confab_test_client_wait_response (a, "big-1", T);
    g_assert_nonnull (response);
    confab_test_assert_error (response, "bad_request");
  }

  assert_still_usable (a);
  assert_service ();
}

int
main (int   argc,
      char *argv[])
{
  /* Pings every second and a short idle timeout, so the silent-peer case is quick; the
   * libsoup clients of the other cases answer pings by themselves. */
  g_autofree char *config = g_strdup_printf ("[timeouts]\nhello_ms=%u\nping_interval_s=1\n"
                                             "idle_s=3\n", HELLO_TIMEOUT_MS);
  int ret;

  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/server/bad-input/malformed-json", test_malformed_json);
  g_test_add_func ("/confab/server/bad-input/not-an-object", test_not_an_object);
  g_test_add_func ("/confab/server/bad-input/binary-frame", test_binary_frame);
  g_test_add_func ("/confab/server/bad-input/oversized-frame", test_oversized_frame);
  g_test_add_func ("/confab/server/bad-input/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/confab/server/bad-input/unknown-type", test_unknown_type);
  g_test_add_func ("/confab/server/bad-input/missing-and-mistyped", test_missing_and_mistyped);
  g_test_add_func ("/confab/server/bad-input/huge-numbers", test_huge_numbers);
  g_test_add_func ("/confab/server/bad-input/long-body", test_long_body);
  g_test_add_func ("/confab/server/bad-input/before-hello", test_before_hello);
  g_test_add_func ("/confab/server/bad-input/wrong-token", test_wrong_token);
  g_test_add_func ("/confab/server/bad-input/hello-timeout", test_hello_timeout);
  g_test_add_func ("/confab/server/bad-input/bad-ids", test_bad_ids);
  g_test_add_func ("/confab/server/bad-input/many-bad-frames", test_many_bad_frames);
  g_test_add_func ("/confab/server/bad-input/http-bodies", test_http_bodies);
  g_test_add_func ("/confab/server/bad-input/http-paths", test_http_paths);
  g_test_add_func ("/confab/server/bad-input/silent-peer", test_silent_peer);
  g_test_add_func ("/confab/server/bad-input/consistency", test_consistency);

  /* One server for all cases: what one client does must not affect the next. */
  server = confab_test_server_new (NULL, config);
  alice = confab_test_user_new (server, "alice");
  bob = confab_test_user_new (server, "bob");

  ret = confab_test_run ();

  confab_test_user_free (alice);
  confab_test_user_free (bob);
  confab_test_server_free (server);
  return ret;
}
