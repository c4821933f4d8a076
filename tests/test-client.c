/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-account.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-engine-test-util.h"
#include "confab-error.h"
#include "confab-feature.h"
#include "confab-frame.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-room-member.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-session.h"

#include <libsoup/soup.h>
#include <string.h>

/* A protocol peer written for these tests: a SoupServer on 127.0.0.1:0 that answers hello,
 * records what the client sends and pushes whatever frames a test scripts. */

static ConfabConversationList *
conversations_of (ConfabSession *session)
{
  return confab_messaging_get_conversations (confab_messaging_from_session (session));
}

typedef struct _Peer Peer;
typedef void (*PeerHelloFunc) (Peer *peer, SoupWebsocketConnection *ws, gint64 since);
typedef void (*PeerRequestFunc) (Peer *peer, SoupWebsocketConnection *ws, JsonObject *frame);

struct _Peer
{
  SoupServer              *server;
  char                    *url;
  guint                    port;
  GPtrArray               *connections;   /* every WebSocket accepted */
  SoupWebsocketConnection *current;
  GPtrArray               *received;      /* JsonObject frames from the client */
  GArray                  *hello_since;
  guint                    n_hellos;
  guint                    n_acks;
  gint64                   last_ack;
  gboolean                 refuse_token;
  PeerHelloFunc            on_hello;
  PeerRequestFunc          on_request;
  guint                    n_logins;
};

static void
peer_send (SoupWebsocketConnection *ws,
           const char              *text)
{
  soup_websocket_connection_send_text (ws, text);
}

static void
peer_send_event (SoupWebsocketConnection *ws,
                 const char              *name,
                 gint64                   seq,
                 const char              *data_json)
{
  g_autofree char *text = NULL;

  if (seq > 0)
    text = g_strdup_printf ("{\"type\":\"event\",\"event\":\"%s\",\"seq\":%" G_GINT64_FORMAT
                            ",\"data\":%s}", name, seq, data_json);
  else
    text = g_strdup_printf ("{\"type\":\"event\",\"event\":\"%s\",\"data\":%s}", name,
                            data_json);
  peer_send (ws, text);
}

static void
on_peer_ws_message (SoupWebsocketConnection *ws,
                    SoupWebsocketDataType    type,
                    GBytes                  *message,
                    Peer                    *peer)
{
  gsize size;
  const char *data = g_bytes_get_data (message, &size);
  g_autoptr(JsonObject) frame = confab_frame_parse (data, size, NULL);
  const char *frame_type;

  g_assert_nonnull (frame);
  g_ptr_array_add (peer->received, json_object_ref (frame));
  frame_type = confab_frame_get_type (frame);

  if (g_strcmp0 (frame_type, "hello") == 0)
    {
      gint64 since = json_object_get_int_member (frame, "since");
      g_autofree char *reply = NULL;

      peer->n_hellos++;
      g_array_append_val (peer->hello_since, since);
      if (peer->refuse_token)
        {
          reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":false,"
                                   "\"error\":{\"code\":\"unauthorized\",\"message\":\"no\"}}",
                                   confab_frame_get_id (frame));
          peer_send (ws, reply);
          soup_websocket_connection_close (ws, 4401, NULL);
          return;
        }
      reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":true,\"result\":"
                               "{\"user\":{\"username\":\"alice\",\"display_name\":\"Alice\","
                               "\"role\":\"user\"},\"device_id\":\"d1\",\"last_seq\":0,"
                               "\"server\":{\"version\":\"test\",\"limits\":{}},"
                               "\"ice_servers\":[]}}", confab_frame_get_id (frame));
      peer_send (ws, reply);
      if (peer->on_hello != NULL)
        peer->on_hello (peer, ws, since);
      else
        peer_send_event (ws, "synced", 0, "{\"last_seq\":0}");
    }
  else if (g_strcmp0 (frame_type, "ack") == 0)
    {
      peer->n_acks++;
      peer->last_ack = json_object_get_int_member (frame, "seq");
    }
  else if (peer->on_request != NULL)
    peer->on_request (peer, ws, frame);
}

static void
on_peer_ws_closed (SoupWebsocketConnection *ws,
                   Peer                    *peer)
{
  if (peer->current == ws)
    peer->current = NULL;
}

static void
peer_websocket_cb (SoupServer              *server,
                   SoupServerMessage       *msg,
                   const char              *path,
                   SoupWebsocketConnection *ws,
                   gpointer                 user_data)
{
  Peer *peer = user_data;

  g_ptr_array_add (peer->connections, g_object_ref (ws));
  peer->current = ws;
  g_signal_connect (ws, "message", G_CALLBACK (on_peer_ws_message), peer);
  g_signal_connect (ws, "closed", G_CALLBACK (on_peer_ws_closed), peer);
}

static void
peer_http_cb (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           user_data)
{
  Peer *peer = user_data;
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(JsonObject) request = NULL;
  const char *username;
  const char *reply;
  guint status;

  request = confab_frame_parse (body->data, body->length, NULL);
  username = request != NULL && json_object_has_member (request, "username")
             ? json_object_get_string_member (request, "username") : "";

  if (g_str_equal (path, "/v1/login"))
    {
      peer->n_logins++;
      if (g_str_equal (username, "limited"))
        {
          status = 429;
          reply = "{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\","
                  "\"retry_after_ms\":2500}}";
        }
      else if (g_str_equal (username, "alice"))
        {
          status = 200;
          reply = "{\"token\":\"tok-alice-0123456789abcdef0123456789abcdef\","
                  "\"device_id\":\"d1\",\"user\":{\"username\":\"alice\","
                  "\"display_name\":\"Alice\",\"role\":\"user\"}}";
        }
      else
        {
          status = 401;
          reply = "{\"error\":{\"code\":\"unauthorized\",\"message\":\"wrong password\"}}";
        }
    }
  else if (g_str_equal (path, "/v1/register"))
    {
      status = 400;
      reply = "{\"error\":{\"code\":\"invalid\",\"message\":\"invalid\","
              "\"fields\":{\"password\":\"too_short\"}}}";
    }
  else
    {
      status = 404;
      reply = "{\"error\":{\"code\":\"not_found\",\"message\":\"no\"}}";
    }
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, reply,
                                    strlen (reply));
}

static Peer *
peer_new (GTlsCertificate *certificate)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;
  Peer *peer = g_new0 (Peer, 1);

  peer->server = soup_server_new ("tls-certificate", certificate, NULL);
  peer->connections = g_ptr_array_new_with_free_func (g_object_unref);
  peer->received = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  peer->hello_since = g_array_new (FALSE, FALSE, sizeof (gint64));
  soup_server_add_websocket_handler (peer->server, "/v1/ws", NULL, NULL, peer_websocket_cb,
                                     peer, NULL);
  soup_server_add_handler (peer->server, "/v1", peer_http_cb, peer, NULL);
  soup_server_listen_local (peer->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY
                            | (certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0), &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (peer->server);
  g_assert_nonnull (uris);
  peer->port = g_uri_get_port (uris->data);
  peer->url = g_strdup_printf ("%s://127.0.0.1:%u", certificate != NULL ? "https" : "http",
                               peer->port);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return peer;
}

static void
peer_free (Peer *peer)
{
  for (guint i = 0; i < peer->connections->len; i++)
    {
      SoupWebsocketConnection *ws = g_ptr_array_index (peer->connections, i);

      g_signal_handlers_disconnect_by_data (ws, peer);
      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
  soup_server_disconnect (peer->server);
  g_object_unref (peer->server);
  g_ptr_array_unref (peer->connections);
  g_ptr_array_unref (peer->received);
  g_array_unref (peer->hello_since);
  g_free (peer->url);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

/* What the client under test reported. */
typedef struct
{
  guint      n_messages;
  GPtrArray *message_ids;
  GArray    *message_seqs;
  guint      n_events;
  GPtrArray *event_names;
  guint      n_synced;
  guint      n_signed_out;
  guint      n_connection_errors;
} Seen;

/* The transport passes every well-formed "message" event on; what it holds is the business of
 * the messaging feature (see /confab/client/session/bad-events). */
static void
on_client_message (ConfabClient *client,
                   const char   *name,
                   JsonObject   *data,
                   gint64        seq,
                   Seen         *seen)
{
  gint64 *id = g_new0 (gint64, 1);
  JsonObject *msg = confab_json_get_object (data, "msg");

  g_assert_cmpstr (name, ==, "message");
  confab_json_get_int (msg, "id", id);
  g_ptr_array_add (seen->message_ids, id);
  g_array_append_val (seen->message_seqs, seq);
  seen->n_messages++;
  if (seq > 0)
    confab_client_ack (client, seq);
}

static void
on_client_event (ConfabClient *client,
                 const char   *name,
                 JsonObject   *data,
                 gint64        seq,
                 Seen         *seen)
{
  g_ptr_array_add (seen->event_names, g_strdup (name));
  seen->n_events++;
}

static void
on_client_synced (ConfabClient *client,
                  gint64        last_seq,
                  Seen         *seen)
{
  seen->n_synced++;
}

static void
on_client_signed_out (ConfabClient *client,
                      GError       *error,
                      Seen         *seen)
{
  seen->n_signed_out++;
}

static void
on_client_connection_error (ConfabClient *client,
                            GError       *error,
                            Seen         *seen)
{
  seen->n_connection_errors++;
}

static Seen *
seen_new (ConfabClient *client)
{
  Seen *seen = g_new0 (Seen, 1);

  seen->message_ids = g_ptr_array_new_with_free_func (g_free);
  seen->message_seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  seen->event_names = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (client, "event::message", G_CALLBACK (on_client_message), seen);
  g_signal_connect (client, "event", G_CALLBACK (on_client_event), seen);
  g_signal_connect (client, "synced", G_CALLBACK (on_client_synced), seen);
  g_signal_connect (client, "signed-out", G_CALLBACK (on_client_signed_out), seen);
  g_signal_connect (client, "connection-error", G_CALLBACK (on_client_connection_error), seen);
  return seen;
}

static void
seen_free (Seen *seen)
{
  g_ptr_array_unref (seen->message_ids);
  g_array_unref (seen->message_seqs);
  g_ptr_array_unref (seen->event_names);
  g_free (seen);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Seen, seen_free)

static ConfabClient *
new_signed_in_client (Peer *peer)
{
  ConfabClient *client = confab_client_new (peer->url);

  confab_client_set_credentials (client, "alice", "tok-alice-0123456789abcdef0123456789abcdef");
  confab_client_set_backoff (client, 20, 200);
  return client;
}

typedef struct
{
  ConfabClient      *client;
  ConfabClientState  state;
} StateWait;

static gboolean
state_is (gpointer data)
{
  StateWait *wait = data;

  return confab_client_get_state (wait->client) == wait->state;
}

static gboolean
wait_state (ConfabClient      *client,
            ConfabClientState  state)
{
  StateWait wait = { client, state };

  return engine_test_wait (state_is, &wait, ENGINE_TEST_TIMEOUT_MS);
}

/* --- bad frames: the acceptance point --------------------------------------------------- */

#define VALID_MSG(id) \
  "{\"msg\":{\"id\":" #id ",\"conv\":\"dm:alice:bob\",\"from\":\"bob\",\"ts\":1700000000000," \
  "\"client_msg_id\":\"c" #id "\",\"kind\":\"text\",\"body\":\"hello\",\"format\":\"plain\"}}"

static void
send_garbage_then_valid (Peer                    *peer,
                         SoupWebsocketConnection *ws,
                         gint64                   since)
{
  static const char * const garbage[] = {
    "this is not json",
    "{\"type\":\"event\",\"event\":\"message\",\"data\":{\"msg\":",
    "[1,2,3]",
    "\"a string\"",
    "42",
    "null",
    "{}",
    "{\"type\":17}",
    "{\"type\":\"no_such_frame_type\",\"x\":1}",
    "{\"type\":\"event\"}",
    "{\"type\":\"event\",\"event\":42,\"data\":{}}",
    "{\"type\":\"event\",\"event\":\"message\",\"data\":\"not an object\"}",
    "{\"type\":\"event\",\"event\":\"message\",\"data\":{}}",
    "{\"type\":\"event\",\"event\":\"message\",\"data\":{\"msg\":[]}}",
    "{\"type\":\"event\",\"event\":\"message\",\"data\":{\"msg\":{\"id\":\"7\",\"conv\":"
    "\"dm:alice:bob\",\"from\":\"bob\",\"ts\":1}}}",
    "{\"type\":\"event\",\"event\":\"message\",\"data\":{\"msg\":{\"id\":7,\"conv\":"
    "\"not-a-conv\",\"from\":\"bob\",\"ts\":1}}}",
    "{\"type\":\"event\",\"event\":\"message\",\"data\":{\"msg\":{\"id\":-3,\"conv\":"
    "\"dm:alice:bob\",\"from\":\"bob\",\"ts\":1}}}",
    "{\"type\":\"event\",\"event\":\"message\",\"seq\":\"3\",\"data\":" VALID_MSG (8) "}",
    "{\"type\":\"event\",\"event\":\"message\",\"seq\":99999999999999999999,\"data\":"
    VALID_MSG (8) "}",
    "{\"type\":\"event\",\"event\":\"typing\",\"data\":{\"conv\":\"dm:alice:bob\","
    "\"user\":\"bob\",\"active\":\"yes\"}}",
    "{\"type\":\"event\",\"event\":\"reaction\",\"data\":{\"conv\":\"dm:alice:bob\","
    "\"msg_id\":1,\"user\":\"bob\",\"emoji\":\"\",\"on\":true}}",
    "{\"type\":\"response\",\"id\":\"nobody-asked\",\"ok\":true,\"result\":{}}",
    "{\"type\":\"response\",\"ok\":true}",
  };
  GBytes *binary = g_bytes_new_static ("\x00\x01\x02", 3);

  for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
    peer_send (ws, garbage[i]);
  soup_websocket_connection_send_message (ws, SOUP_WEBSOCKET_DATA_BINARY, binary);
  g_bytes_unref (binary);

  /* An event the client does not know: passed on through the generic "event" signal. */
  peer_send_event (ws, "call_invite", 0, "{\"call_id\":\"x\",\"from\":\"bob\"}");
  peer_send_event (ws, "message", 1, VALID_MSG (10));
  /* Duplicates: the same seq again, and the same message id under a new seq. */
  peer_send_event (ws, "message", 1, VALID_MSG (10));
  peer_send_event (ws, "message", 2, VALID_MSG (10));
  peer_send_event (ws, "message", 3, VALID_MSG (11));
  peer_send_event (ws, "synced", 0, "{\"last_seq\":3}");
}

static void
test_bad_frames (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autoptr(ConfabClient) client = new_signed_in_client (peer);
  g_autoptr(Seen) seen = seen_new (client);

  peer->on_hello = send_garbage_then_valid;
  confab_client_start (client, 0);

  g_assert_true (engine_test_wait_uint (&seen->n_synced, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_client_get_state (client), ==, CONFAB_CLIENT_STATE_CONNECTED);

  /* Every well-formed "message" frame is passed on, whatever its data (the five without a
   * usable message, then seqs 1, 2 and 3); an invalid seq or a seq seen before is not. */
  g_assert_cmpuint (seen->n_messages, ==, 8);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (g_array_index (seen->message_seqs, gint64, i), ==, 0);
  for (guint i = 5; i < 8; i++)
    g_assert_cmpint (g_array_index (seen->message_seqs, gint64, i), ==, i - 4);
  g_assert_cmpint (*(gint64 *) g_ptr_array_index (seen->message_ids, 5), ==, 10);
  g_assert_cmpint (*(gint64 *) g_ptr_array_index (seen->message_ids, 6), ==, 10);
  g_assert_cmpint (*(gint64 *) g_ptr_array_index (seen->message_ids, 7), ==, 11);
  g_assert_true (g_ptr_array_find_with_equal_func (seen->event_names, "typing",
                                                   g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen->event_names, "call_invite",
                                                   g_str_equal, NULL));

  /* The connection survived all of it, and the client acked what it stored. */
  g_assert_cmpuint (peer->connections->len, ==, 1);
  g_assert_cmpuint (seen->n_connection_errors, ==, 0);
  g_assert_true (engine_test_wait_uint (&peer->n_acks, 2, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (peer->last_ack, ==, 3);
  g_assert_cmpint (confab_client_get_acked_seq (client), ==, 3);

  confab_client_stop (client);
  g_assert_cmpint (confab_client_get_state (client), ==, CONFAB_CLIENT_STATE_DISCONNECTED);
}

/* The same frames through a session: the messaging feature keeps exactly the two valid
 * messages, once each, in order; the typing and reaction events without what they need change
 * nothing; everything stored is acked. */

typedef struct
{
  GArray *ids;
} Received;

static void
on_message_received (ConfabMessaging    *messaging,
                     ConfabConversation *conv,
                     ConfabMessage      *msg,
                     Received           *received)
{
  gint64 id = confab_message_get_id (msg);

  g_array_append_val (received->ids, id);
}

static void
test_bad_events (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autoptr(ConfabClient) client = new_signed_in_client (peer);
  g_autoptr(Seen) seen = seen_new (client);
  g_autoptr(ConfabSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  Received received = { ids };
  ConfabConversation *conv;

  /* The test's own acks would hide the session's. */
  g_signal_handlers_disconnect_by_func (client, on_client_message, seen);
  peer->on_hello = send_garbage_then_valid;
  session = confab_session_new (client);
  g_signal_connect (confab_messaging_from_session (session), "message-received",
                    G_CALLBACK (on_message_received), &received);
  confab_session_start_async (session, NULL, engine_test_async_cb, &result);
  engine_test_wait_result (&result, ENGINE_TEST_TIMEOUT_MS);
  g_assert_true (confab_session_start_finish (session, result, &error));
  g_assert_no_error (error);

  g_assert_true (engine_test_wait_uint (&seen->n_synced, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait_uint (&ids->len, 2, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait_uint (&peer->n_acks, 2, ENGINE_TEST_TIMEOUT_MS));
  engine_test_run_for (200);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_cmpint (g_array_index (ids, gint64, 0), ==, 10);
  g_assert_cmpint (g_array_index (ids, gint64, 1), ==, 11);
  g_assert_cmpint (peer->last_ack, ==, 3);

  conv = confab_conversation_list_lookup (conversations_of (session),
                                          "dm:alice:bob");
  g_assert_nonnull (conv);
  g_assert_null (confab_conversation_get_typing_text (conv));
  g_assert_cmpuint (peer->connections->len, ==, 1);
  g_assert_cmpuint (seen->n_connection_errors, ==, 0);

  confab_session_stop (session);
}

/* --- requests ---------------------------------------------------------------------------- */

static void
answer_requests (Peer                    *peer,
                 SoupWebsocketConnection *ws,
                 JsonObject              *frame)
{
  const char *type = confab_frame_get_type (frame);
  const char *id = confab_frame_get_id (frame);
  g_autofree char *reply = NULL;

  if (g_strcmp0 (type, "echo") == 0)
    reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":true,"
                             "\"result\":{\"value\":%" G_GINT64_FORMAT "}}",
                             id, json_object_get_int_member (frame, "value"));
  else if (g_strcmp0 (type, "profile_update") == 0)
    reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":false,"
                             "\"error\":{\"code\":\"invalid\",\"message\":\"bad email\","
                             "\"fields\":{\"email\":\"malformed\"}}}", id);
  else if (g_strcmp0 (type, "silence") == 0)
    return;
  else
    reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":false,"
                             "\"error\":{\"code\":\"bad_request\",\"message\":\"?\"}}", id);
  peer_send (ws, reply);
}

static void
test_requests (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autoptr(ConfabClient) client = new_signed_in_client (peer);
  g_autoptr(Seen) seen G_GNUC_UNUSED = seen_new (client);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GAsyncResult) r4 = NULL;
  g_autoptr(JsonObject) params1 = json_object_new ();
  g_autoptr(JsonObject) params2 = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *fields;

  /* Before the connection is up a request fails at once. */
  confab_client_request_async (client, "echo", NULL, NULL, engine_test_async_cb, &r4);
  engine_test_wait_result (&r4, ENGINE_TEST_TIMEOUT_MS);
  g_assert_null (confab_client_request_finish (client, r4, &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_NOT_CONNECTED);
  g_clear_error (&error);

  peer->on_request = answer_requests;
  confab_client_start (client, 0);
  g_assert_true (wait_state (client, CONFAB_CLIENT_STATE_CONNECTED));

  json_object_set_int_member (params1, "value", 41);
  json_object_set_string_member (params2, "email", "x");
  confab_client_request_async (client, "echo", params1, NULL, engine_test_async_cb, &r1);
  confab_client_request_async (client, "profile_update", params2, NULL, engine_test_async_cb,
                               &r2);
  confab_client_request_async (client, "silence", NULL, NULL, engine_test_async_cb, &r3);

  engine_test_wait_result (&r1, ENGINE_TEST_TIMEOUT_MS);
  result = confab_client_request_finish (client, r1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (result, "value"), ==, 41);

  engine_test_wait_result (&r2, ENGINE_TEST_TIMEOUT_MS);
  g_assert_null (confab_client_request_finish (client, r2, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID);
  fields = confab_client_result_get_invalid_fields (r2);
  g_assert_nonnull (fields);
  g_assert_cmpstr (json_object_get_string_member (fields, "email"), ==, "malformed");
  g_clear_error (&error);

  /* A request without an answer fails when the connection goes. */
  g_assert_null (r3);
  soup_websocket_connection_close (peer->current, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  engine_test_wait_result (&r3, ENGINE_TEST_TIMEOUT_MS);
  g_assert_null (confab_client_request_finish (client, r3, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);

  confab_client_stop (client);
}

/* --- reconnection -------------------------------------------------------------------------- */

static void
hello_then_event_then_close (Peer                    *peer,
                             SoupWebsocketConnection *ws,
                             gint64                   since)
{
  g_autofree char *data = g_strdup_printf ("{\"msg\":{\"id\":%u,\"conv\":\"dm:alice:bob\","
                                           "\"from\":\"bob\",\"ts\":1,\"body\":\"x\"}}",
                                           100 + peer->n_hellos);

  peer_send_event (ws, "message", 10 * peer->n_hellos, data);
  peer_send_event (ws, "synced", 0, "{\"last_seq\":0}");
  /* The first three connections drop right after; then the peer stays. */
  if (peer->n_hellos <= 3)
    soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
}

static void
test_reconnect (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autoptr(ConfabClient) client = new_signed_in_client (peer);
  g_autoptr(Seen) seen = seen_new (client);
  gint64 started = g_get_monotonic_time ();

  peer->on_hello = hello_then_event_then_close;
  confab_client_set_backoff (client, 50, 400);
  confab_client_start (client, 5);

  g_assert_true (engine_test_wait_uint (&peer->n_hellos, 4, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (wait_state (client, CONFAB_CLIENT_STATE_CONNECTED));
  g_assert_true (engine_test_wait_uint (&seen->n_messages, 4, ENGINE_TEST_TIMEOUT_MS));

  /* Each hello resumes from the last acked seq. */
  g_assert_cmpint (g_array_index (peer->hello_since, gint64, 0), ==, 5);
  g_assert_cmpint (g_array_index (peer->hello_since, gint64, 1), ==, 10);
  g_assert_cmpint (g_array_index (peer->hello_since, gint64, 2), ==, 20);
  g_assert_cmpint (g_array_index (peer->hello_since, gint64, 3), ==, 30);
  /* Backoff: three waits of at least half the delay each (25 ms, then 50, then 100 — the
   * attempt counter resets after each successful hello, so at least 3 × 25 ms). */
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 75 * 1000);

  confab_client_stop (client);
}

static void
test_backoff_grows (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autofree char *url = g_strdup (peer->url);
  g_autoptr(ConfabClient) client = NULL;
  g_autoptr(Seen) seen = NULL;
  gint64 started;

  /* Nobody listens on the port any more: every attempt fails, the delay doubles. */
  g_clear_pointer (&peer, peer_free);
  client = confab_client_new (url);
  seen = seen_new (client);
  confab_client_set_credentials (client, "alice", "token");
  confab_client_set_backoff (client, 40, 10000);
  started = g_get_monotonic_time ();
  confab_client_start (client, 0);

  /* Delays ≥ 20, 40, 80, 160 ms: five failures take at least 300 ms. */
  g_assert_true (engine_test_wait_uint (&seen->n_connection_errors, 5, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 300 * 1000);
  g_assert_cmpint (confab_client_get_state (client), ==, CONFAB_CLIENT_STATE_WAITING);

  confab_client_stop (client);
  g_assert_cmpint (confab_client_get_state (client), ==, CONFAB_CLIENT_STATE_DISCONNECTED);
}

static void
test_token_refused (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autoptr(ConfabClient) client = new_signed_in_client (peer);
  g_autoptr(Seen) seen = seen_new (client);

  peer->refuse_token = TRUE;
  confab_client_start (client, 0);
  g_assert_true (engine_test_wait_uint (&seen->n_signed_out, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_client_get_state (client), ==, CONFAB_CLIENT_STATE_DISCONNECTED);
  /* No retry with a refused token. */
  engine_test_run_for (300);
  g_assert_cmpuint (peer->n_hellos, ==, 1);
}

/* --- HTTP ------------------------------------------------------------------------------- */

static void
test_login (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autoptr(ConfabClient) client = confab_client_new (peer->url);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GAsyncResult) r4 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  confab_client_login_async (client, "limited", "password1", "test", NULL,
                             engine_test_async_cb, &r1);
  engine_test_wait_result (&r1, ENGINE_TEST_TIMEOUT_MS);
  g_assert_false (confab_client_login_finish (client, r1, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_RATE_LIMITED);
  g_assert_cmpint (confab_client_result_get_retry_after_ms (r1), ==, 2500);
  g_clear_error (&error);

  confab_client_login_async (client, "mallory", "password1", "test", NULL,
                             engine_test_async_cb, &r2);
  engine_test_wait_result (&r2, ENGINE_TEST_TIMEOUT_MS);
  g_assert_false (confab_client_login_finish (client, r2, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED);
  g_assert_null (confab_client_get_token (client));
  g_clear_error (&error);

  confab_client_register_async (client, "bob", "short", NULL, NULL, NULL,
                                engine_test_async_cb, &r3);
  engine_test_wait_result (&r3, ENGINE_TEST_TIMEOUT_MS);
  user = confab_client_register_finish (client, r3, &error);
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID);
  g_assert_cmpstr (json_object_get_string_member (confab_client_result_get_invalid_fields (r3),
                                                  "password"), ==, "too_short");
  g_clear_error (&error);

  confab_client_login_async (client, "alice", "password1", "test", NULL,
                             engine_test_async_cb, &r4);
  engine_test_wait_result (&r4, ENGINE_TEST_TIMEOUT_MS);
  g_assert_true (confab_client_login_finish (client, r4, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (confab_client_get_username (client), ==, "alice");
  g_assert_cmpstr (confab_client_get_device_id (client), ==, "d1");
  g_assert_nonnull (confab_client_get_token (client));
}

static void
test_bad_url (void)
{
  static const char * const urls[] = {
    "http://example.com:7443", "ftp://127.0.0.1", "https://", "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(ConfabClient) client = confab_client_new (urls[i]);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      confab_client_login_async (client, "alice", "password1", NULL, NULL,
                                 engine_test_async_cb, &result);
      engine_test_wait_result (&result, ENGINE_TEST_TIMEOUT_MS);
      g_assert_false (confab_client_login_finish (client, result, &error));
      g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_URL);
    }

  /* Loopback over plain HTTP is fine; a bare host gets https and the default port. */
  {
    g_autoptr(ConfabClient) loop = confab_client_new ("http://127.0.0.1:1234");
    g_autoptr(ConfabClient) bare = confab_client_new ("chat.example.com");

    g_assert_cmpstr (confab_client_get_server_key (loop), ==, "127.0.0.1:1234");
    g_assert_cmpstr (confab_client_get_server_key (bare), ==, "chat.example.com:7443");
  }
}

/* --- TLS pinning ------------------------------------------------------------------------ */

static GTlsCertificate *
make_certificate (void)
{
  g_autofree char *dir = engine_test_new_dir ("tls");
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *cmd = NULL;
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate;
  int status = -1;

  cmd = g_strdup_printf ("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                         "-nodes -days 2 -subj /CN=127.0.0.1 -keyout %s -out %s", key, cert);
  if (!g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) || status != 0)
    return NULL;
  certificate = g_tls_certificate_new_from_files (cert, key, &error);
  g_assert_no_error (error);
  return certificate;
}

static void
test_tls_pinning (void)
{
  g_autoptr(GTlsCertificate) certificate = make_certificate ();
  g_autoptr(GTlsCertificate) other = NULL;
  g_autoptr(Peer) peer = NULL;
  g_autoptr(ConfabClient) client = NULL;
  g_autoptr(ConfabClient) client2 = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = NULL;

  if (certificate == NULL)
    {
      g_test_skip ("openssl cannot make a test certificate");
      return;
    }

  peer = peer_new (certificate);
  client = confab_client_new (peer->url);

  /* First contact: refused, with the fingerprint to show. */
  confab_client_login_async (client, "alice", "password1", NULL, NULL, engine_test_async_cb,
                             &r1);
  engine_test_wait_result (&r1, ENGINE_TEST_TIMEOUT_MS);
  g_assert_false (confab_client_login_finish (client, r1, &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNTRUSTED_CERTIFICATE);
  fingerprint = g_strdup (confab_client_get_untrusted_fingerprint (client));
  g_assert_nonnull (fingerprint);
  g_assert_cmpuint (strlen (fingerprint), ==, 95);
  g_assert_nonnull (strstr (error->message, fingerprint));
  g_assert_cmpuint (peer->n_logins, ==, 0);
  g_clear_error (&error);

  /* Accepted by the user: pinned, and the login goes through. */
  g_assert_true (confab_client_trust_certificate (client, fingerprint, &error));
  g_assert_no_error (error);
  confab_client_login_async (client, "alice", "password1", NULL, NULL, engine_test_async_cb,
                             &r2);
  engine_test_wait_result (&r2, ENGINE_TEST_TIMEOUT_MS);
  g_assert_true (confab_client_login_finish (client, r2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (peer->n_logins, ==, 1);

  /* The WebSocket honours the pin too. */
  confab_client_start (client, 0);
  g_assert_true (wait_state (client, CONFAB_CLIENT_STATE_CONNECTED));
  confab_client_stop (client);

  /* Same host:port, another certificate: refused as changed. */
  other = make_certificate ();
  soup_server_set_tls_certificate (peer->server, other);
  client2 = confab_client_new (peer->url);
  confab_client_login_async (client2, "alice", "password1", NULL, NULL, engine_test_async_cb,
                             &r3);
  engine_test_wait_result (&r3, ENGINE_TEST_TIMEOUT_MS);
  g_assert_false (confab_client_login_finish (client2, r3, &error));
  g_assert_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE_CHANGED);
  g_assert_cmpstr (confab_client_get_untrusted_fingerprint (client2), !=, fingerprint);
  g_assert_cmpuint (peer->n_logins, ==, 1);
}


/* --- rooms: events and the room list from a scripted peer ------------------------------- */

#define ROOM_DESIGN "{\"id\":\"design01\",\"name\":\"Design\",\"topic\":\"Pixels\"," \
  "\"visibility\":\"public\",\"owner\":\"bob\",\"created_ts\":1700000000000,\"member_count\":3}"
#define ROOM_SECRET "{\"id\":\"secret01\",\"name\":\"Secret\",\"topic\":\"\"," \
  "\"visibility\":\"private\",\"owner\":\"carol\",\"created_ts\":1700000000000,\"member_count\":2}"
#define ROOM_MSG(id, kind, mentions) \
  "{\"msg\":{\"id\":" #id ",\"conv\":\"room:design01\",\"from\":\"bob\",\"ts\":1700000000000," \
  "\"client_msg_id\":\"r" #id "\",\"kind\":\"" kind "\",\"body\":\"hi @alice\"," \
  "\"format\":\"plain\",\"mentions\":" mentions "}}"

static void
send_room_events (Peer                    *peer,
                  SoupWebsocketConnection *ws,
                  gint64                   since)
{
  /* Without what they need: skipped, the stream goes on. */
  peer_send_event (ws, "room_invite", 1, "{\"from\":\"carol\"}");
  peer_send_event (ws, "room_member_joined", 2, "{\"room\":{\"id\":\"bad id!\",\"name\":\"x\"},"
                   "\"user\":\"alice\"}");
  peer_send_event (ws, "room_member_left", 3, "{\"room\":" ROOM_DESIGN ",\"user\":42}");
  peer_send_event (ws, "room_updated", 4, "{\"room\":\"design01\"}");
  /* The real ones. */
  peer_send_event (ws, "room_invite", 5, "{\"room\":" ROOM_SECRET ",\"from\":\"carol\"}");
  peer_send_event (ws, "room_member_joined", 6, "{\"room\":" ROOM_DESIGN ",\"user\":\"alice\","
                   "\"by\":\"bob\"}");
  peer_send_event (ws, "message", 7, ROOM_MSG (20, "system", "[]"));
  peer_send_event (ws, "message", 8, ROOM_MSG (21, "text", "[\"alice\"]"));
  peer_send_event (ws, "message", 9, ROOM_MSG (22, "text", "[]"));
  peer_send_event (ws, "read", 10, "{\"conv\":\"room:design01\",\"user\":\"carol\","
                   "\"msg_id\":21}");
  peer_send_event (ws, "room_updated", 11, "{\"room\":{\"id\":\"design01\",\"name\":\"Design "
                   "Team\",\"topic\":\"Pixels\",\"visibility\":\"public\",\"owner\":\"bob\","
                   "\"created_ts\":1700000000000,\"member_count\":3}}");
  peer_send_event (ws, "synced", 0, "{\"last_seq\":11}");
}

static void
answer_room_requests (Peer                    *peer,
                      SoupWebsocketConnection *ws,
                      JsonObject              *frame)
{
  const char *type = confab_frame_get_type (frame);
  const char *id = confab_frame_get_id (frame);
  g_autofree char *reply = NULL;

  if (g_strcmp0 (type, "room_list") == 0)
    reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":true,\"result\":"
                             "{\"rooms\":[%s,%s],\"total\":2}}", id,
                             "{\"id\":\"design01\",\"name\":\"Design\",\"topic\":\"Pixels\","
                             "\"visibility\":\"public\",\"owner\":\"bob\",\"member_count\":3,"
                             "\"membership\":\"member\"}",
                             "{\"id\":\"secret01\",\"name\":\"Secret\",\"visibility\":\"private\","
                             "\"owner\":\"carol\",\"member_count\":2,\"membership\":\"invited\"}");
  else if (g_strcmp0 (type, "room_members") == 0)
    reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":true,\"result\":"
                             "{\"members\":[{\"user\":\"alice\",\"role\":\"member\","
                             "\"presence\":\"online\"},{\"user\":\"bob\",\"role\":\"owner\","
                             "\"presence\":\"away\"},{\"user\":\"carol\",\"role\":\"admin\","
                             "\"presence\":{\"status\":\"busy\",\"text\":\"\"}},"
                             "{\"user\":\"Not Valid\"}]}}", id);
  else if (g_strcmp0 (type, "room_leave") == 0)
    reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":true,\"result\":{}}",
                             id);
  else
    reply = g_strdup_printf ("{\"type\":\"response\",\"id\":\"%s\",\"ok\":false,"
                             "\"error\":{\"code\":\"bad_request\",\"message\":\"?\"}}", id);
  peer_send (ws, reply);
}

static ConfabMessage *
room_message (const char *event_data)
{
  g_autoptr(JsonNode) node = json_from_string (event_data, NULL);

  g_assert_nonnull (node);
  return confab_message_new_from_json (confab_json_get_object (json_node_get_object (node),
                                                               "msg"));
}

static gboolean
sent_request (Peer       *peer,
              const char *type)
{
  for (guint i = 0; i < peer->received->len; i++)
    if (g_strcmp0 (confab_frame_get_type (g_ptr_array_index (peer->received, i)), type) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
room_list_answered (gpointer data)
{
  ConfabRooms *rooms = data;
  ConfabRoom *design = confab_rooms_lookup (rooms, "design01");

  /* The room_list answer comes after the events: Design has its listed name again. */
  return design != NULL && g_strcmp0 (confab_room_get_name (design), "Design") == 0
         && g_list_model_get_n_items (confab_rooms_get_invitations (rooms)) == 1;
}

static gboolean
two_unread (gpointer data)
{
  return confab_conversation_get_unread (data) == 2
         && confab_conversation_get_last_message_sender (data) != NULL;
}

static gboolean
members_loaded (gpointer data)
{
  return g_list_model_get_n_items (data) == 3;
}

static gboolean
no_invitations (gpointer data)
{
  return g_list_model_get_n_items (data) == 0;
}

typedef struct
{
  guint invited;
  guint left;
  char *left_reason;
} RoomSignals;

static void
on_room_invited (ConfabRooms *rooms,
                 ConfabRoom  *room,
                 RoomSignals *signals_seen)
{
  signals_seen->invited++;
}

static void
on_room_left (ConfabRooms *rooms,
              ConfabRoom  *room,
              const char  *reason,
              RoomSignals *signals_seen)
{
  signals_seen->left++;
  g_free (signals_seen->left_reason);
  signals_seen->left_reason = g_strdup (reason);
}

static void
test_room_events (void)
{
  g_autoptr(Peer) peer = peer_new (NULL);
  g_autoptr(ConfabClient) client = new_signed_in_client (peer);
  g_autoptr(Seen) seen = seen_new (client);
  g_autoptr(ConfabSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) declined = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabMessage) mention = NULL;
  g_autoptr(ConfabMessage) plain = NULL;
  g_autoptr(ConfabMessage) system = NULL;
  g_auto(GStrv) seen_by = NULL;
  RoomSignals signals_seen = { 0 };
  ConfabConversation *conv;
  ConfabRoom *design, *secret;
  ConfabRooms *rooms;
  GListModel *members;
  g_autoptr(ConfabRoomMember) first = NULL;

  g_signal_handlers_disconnect_by_func (client, on_client_message, seen);
  peer->on_hello = send_room_events;
  peer->on_request = answer_room_requests;
  session = confab_session_new (client);
  rooms = confab_rooms_from_session (session);
  g_assert_nonnull (rooms);
  g_signal_connect (rooms, "invited", G_CALLBACK (on_room_invited), &signals_seen);
  g_signal_connect (rooms, "room-left", G_CALLBACK (on_room_left), &signals_seen);
  confab_session_start_async (session, NULL, engine_test_async_cb, &result);
  engine_test_wait_result (&result, ENGINE_TEST_TIMEOUT_MS);
  g_assert_true (confab_session_start_finish (session, result, &error));
  g_assert_no_error (error);

  /* Every seq is acked, the skipped events' too: nothing of them is kept. */
  g_assert_true (engine_test_wait_uint (&seen->n_synced, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (room_list_answered, rooms, ENGINE_TEST_TIMEOUT_MS));
  while (peer->last_ack < 11)
    g_assert_true (engine_test_wait_uint (&peer->n_acks, peer->n_acks + 1,
                                          ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (peer->last_ack, ==, 11);
  g_assert_cmpuint (seen->n_connection_errors, ==, 0);

  /* The invitation, once, with who sent it. */
  secret = confab_rooms_lookup (rooms, "secret01");
  g_assert_nonnull (secret);
  g_assert_cmpstr (confab_room_get_membership (secret), ==, "invited");
  g_assert_cmpstr (confab_room_get_invited_by (secret), ==, "carol");
  g_assert_false (confab_room_get_public (secret));
  g_assert_cmpuint (signals_seen.invited, ==, 1);
  g_assert_null (confab_conversation_list_lookup (conversations_of (session), "room:secret01"));

  /* The room one joined: its conversation carries it and follows its new name; the system
   * line is not unread, the mention counts. */
  design = confab_rooms_lookup (rooms, "design01");
  g_assert_cmpstr (confab_room_get_membership (design), ==, "member");
  conv = confab_conversation_list_lookup (conversations_of (session), "room:design01");
  g_assert_nonnull (conv);
  g_assert_cmpint (confab_conversation_get_kind (conv), ==, CONFAB_CONVERSATION_ROOM);
  g_assert_true (confab_conversation_get_room (conv) == design);
  g_assert_cmpuint (confab_room_get_member_count (design), ==, 3);
  g_assert_cmpstr (confab_room_get_topic (design), ==, "Pixels");
  g_assert_cmpstr (confab_conversation_get_title (conv), ==, "Design");
  /* The conversation is read back from the cache after the ack. */
  g_assert_true (engine_test_wait (two_unread, conv, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (confab_conversation_get_unread (conv), ==, 2);
  g_assert_cmpuint (confab_conversation_get_mentions_unread (conv), ==, 1);
  g_assert_cmpstr (confab_conversation_get_last_message_sender (conv), ==, "bob");

  /* Read receipts name who has read what. */
  seen_by = confab_rooms_dup_seen_by (rooms, "room:design01", 21, "bob");
  g_assert_cmpuint (g_strv_length (seen_by), ==, 1);
  g_assert_cmpstr (seen_by[0], ==, "carol");
  g_clear_pointer (&seen_by, g_strfreev);
  seen_by = confab_rooms_dup_seen_by (rooms, "room:design01", 22, "bob");
  g_assert_cmpuint (g_strv_length (seen_by), ==, 0);

  /* Members: owners, then admins, then members; the invalid entry is skipped. */
  members = confab_rooms_get_members (rooms, "design01");
  g_assert_true (engine_test_wait (members_loaded, members, ENGINE_TEST_TIMEOUT_MS));
  first = g_list_model_get_item (members, 0);
  g_assert_cmpstr (confab_room_member_get_username (first), ==, "bob");
  g_assert_true (confab_room_member_is_admin (first));
  g_assert_cmpint (confab_contact_get_presence (confab_room_member_get_contact (first)), ==,
                   CONFAB_PRESENCE_AWAY);
  g_assert_nonnull (confab_rooms_lookup_member (rooms, "design01", "carol"));
  g_assert_cmpstr (confab_room_member_get_role (confab_rooms_lookup_member (rooms, "design01",
                                                                            "carol")),
                   ==, "admin");

  /* Notification levels: a mention notifies on "mentions", nothing on "nothing"; system lines
   * never. */
  mention = room_message (ROOM_MSG (21, "text", "[\"alice\"]"));
  plain = room_message (ROOM_MSG (22, "text", "[]"));
  system = room_message (ROOM_MSG (20, "system", "[\"alice\"]"));
  g_assert_true (confab_message_mentions (mention, "alice"));
  g_assert_false (confab_message_mentions (plain, "alice"));
  g_assert_true (confab_rooms_should_notify (rooms, conv, mention));
  g_assert_true (confab_rooms_should_notify (rooms, conv, plain));
  g_assert_false (confab_rooms_should_notify (rooms, conv, system));
  confab_rooms_set_notify_level (rooms, "design01", CONFAB_ROOM_NOTIFY_MENTIONS);
  g_assert_cmpint (confab_room_get_notify_level (design), ==, CONFAB_ROOM_NOTIFY_MENTIONS);
  g_assert_true (confab_rooms_should_notify (rooms, conv, mention));
  g_assert_false (confab_rooms_should_notify (rooms, conv, plain));
  confab_rooms_set_notify_level (rooms, "design01", CONFAB_ROOM_NOTIFY_NOTHING);
  g_assert_false (confab_rooms_should_notify (rooms, conv, mention));

  /* Declining: gone from the invitations at once, and room_leave goes to the server. */
  confab_rooms_decline_async (rooms, "secret01", NULL, engine_test_async_cb, &declined);
  g_assert_true (no_invitations (confab_rooms_get_invitations (rooms)));
  engine_test_wait_result (&declined, ENGINE_TEST_TIMEOUT_MS);
  g_assert_true (confab_feature_request_finish (CONFAB_FEATURE (rooms), declined, &error));
  g_assert_no_error (error);
  g_assert_true (sent_request (peer, "room_leave"));

  /* Kicked: the conversation goes, the members too, and the window hears why. */
  peer_send_event (peer->current, "room_member_left", 12, "{\"room\":" ROOM_DESIGN
                   ",\"user\":\"alice\",\"by\":\"bob\",\"reason\":\"kicked\"}");
  g_assert_true (engine_test_wait_uint (&signals_seen.left, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (signals_seen.left_reason, ==, "kicked");
  g_assert_null (confab_conversation_list_lookup (conversations_of (session), "room:design01"));
  g_assert_null (confab_room_get_membership (design));
  g_signal_handlers_disconnect_by_data (rooms, &signals_seen);
  g_free (signals_seen.left_reason);
  confab_session_stop (session);
}

int
main (int    argc,
      char **argv)
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/confab/client/bad-frames", test_bad_frames);
  g_test_add_func ("/confab/client/session/bad-events", test_bad_events);
  g_test_add_func ("/confab/client/session/room-events", test_room_events);
  g_test_add_func ("/confab/client/requests", test_requests);
  g_test_add_func ("/confab/client/reconnect", test_reconnect);
  g_test_add_func ("/confab/client/backoff-grows", test_backoff_grows);
  g_test_add_func ("/confab/client/token-refused", test_token_refused);
  g_test_add_func ("/confab/client/login", test_login);
  g_test_add_func ("/confab/client/bad-url", test_bad_url);
  g_test_add_func ("/confab/client/tls-pinning", test_tls_pinning);

  return g_test_run ();
}
