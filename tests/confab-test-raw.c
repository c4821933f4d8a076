/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-raw.h"

#include <string.h>
#include <sys/socket.h>

/* --- A raw WebSocket peer --------------------------------------------------------------------- */

void
confab_test_raw_peer_free (ConfabTestRawPeer *peer)
{
  g_io_stream_close (peer->stream, NULL, NULL);
  g_clear_object (&peer->stream);
  g_clear_object (&peer->socket);
  g_free (peer);
}

static gboolean
accept_any (GTlsConnection       *connection,
            GTlsCertificate      *certificate,
            GTlsCertificateFlags  errors,
            gpointer              user_data)
{
  return TRUE;
}

static void
raw_write (ConfabTestRawPeer *peer,
           const void        *data,
           gsize              length)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (peer->stream), data, length, NULL,
                             NULL, &error);
  g_assert_no_error (error);
}

/* A masked text frame (the mask is all zero, which the protocol allows). */
void
confab_test_raw_send (ConfabTestRawPeer *peer,
                      const char        *text)
{
  gsize length = strlen (text);
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  guint8 header[10] = { 0x81 };
  const guint8 mask[4] = { 0 };

  g_assert_cmpuint (length, <, 65536);
  if (length < 126)
    {
      header[1] = 0x80 | length;
      g_byte_array_append (frame, header, 2);
    }
  else
    {
      header[1] = 0x80 | 126;
      header[2] = length >> 8;
      header[3] = length & 0xff;
      g_byte_array_append (frame, header, 4);
    }
  g_byte_array_append (frame, mask, 4);
  g_byte_array_append (frame, (const guint8 *) text, length);
  raw_write (peer, frame->data, frame->len);
}

ConfabTestRawPeer *
confab_test_raw_peer_new (ConfabTestServer *server,
                          const char       *token,
                          gboolean          tls)
{
  g_autoptr(GUri) uri = g_uri_parse (confab_test_server_get_url (server), G_URI_FLAGS_NONE, NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) response = g_string_new (NULL);
  g_autofree char *hello = NULL;
  ConfabTestRawPeer *peer = g_new0 (ConfabTestRawPeer, 1);
  const char request[] = "GET /v1/ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n\r\n";
  GSocket *socket;

  peer->socket = g_socket_client_connect_to_host (client, g_uri_get_host (uri),
                                                  g_uri_get_port (uri), NULL, &error);
  g_assert_no_error (error);
  socket = g_socket_connection_get_socket (peer->socket);
  /* A small receive window: the server's output piles up on its side, not in this kernel. */
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 16384, NULL);
  g_socket_set_timeout (socket, CONFAB_TEST_TIMEOUT_MS / 1000);
  if (tls)
    {
      peer->stream = g_tls_client_connection_new (G_IO_STREAM (peer->socket), NULL, &error);
      g_assert_no_error (error);
      g_signal_connect (peer->stream, "accept-certificate", G_CALLBACK (accept_any), NULL);
      g_tls_connection_handshake (G_TLS_CONNECTION (peer->stream), NULL, &error);
      g_assert_no_error (error);
    }
  else
    peer->stream = G_IO_STREAM (g_object_ref (peer->socket));

  raw_write (peer, request, sizeof request - 1);
  while (!g_str_has_suffix (response->str, "\r\n\r\n"))
    {
      char c;

      g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (peer->stream), &c, 1,
                                            NULL, &error), ==, 1);
      g_assert_no_error (error);
      g_string_append_c (response, c);
    }
  g_assert_true (g_str_has_prefix (response->str, "HTTP/1.1 101"));

  hello = g_strdup_printf ("{\"type\":\"hello\",\"id\":\"h\",\"token\":\"%s\"}", token);
  confab_test_raw_send (peer, hello);
  return peer;
}

static gboolean
raw_read_exactly (ConfabTestRawPeer *peer,
                  guint8            *buffer,
                  gsize              length)
{
  gsize got = 0;

  return g_input_stream_read_all (g_io_stream_get_input_stream (peer->stream), buffer, length,
                                  &got, NULL, NULL)
         && got == length;
}

guint
confab_test_raw_read_frames (ConfabTestRawPeer *peer,
                             GArray            *seqs,
                             const char        *until_event)
{
  for (;;)
    {
      guint8 header[2];
      guint64 length;
      g_autofree guint8 *payload = NULL;

      if (!raw_read_exactly (peer, header, 2))
        {
          g_test_message ("the stream ended without a close frame");
          return 0;
        }
      length = header[1] & 0x7f;
      if (length == 126 || length == 127)
        {
          guint8 extended[8];
          guint n = length == 126 ? 2 : 8;

          if (!raw_read_exactly (peer, extended, n))
            return 0;
          length = 0;
          for (guint i = 0; i < n; i++)
            length = length << 8 | extended[i];
        }
      g_assert_cmpuint (length, <, 1024 * 1024);
      payload = g_malloc (length + 1);
      if (!raw_read_exactly (peer, payload, length))
        return 0;
      payload[length] = 0;

      if ((header[0] & 0x0f) == 0x8)
        return length >= 2 ? (guint) payload[0] << 8 | payload[1] : 0;
      if ((header[0] & 0x0f) == 0x1 && (seqs != NULL || until_event != NULL))
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          if (json_parser_load_from_data (parser, (const char *) payload, length, NULL)
              && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            {
              JsonObject *frame = json_node_get_object (json_parser_get_root (parser));

              if (until_event != NULL
                  && g_strcmp0 (json_object_get_string_member_with_default (frame, "event", ""),
                                until_event) == 0)
                return 0;
              if (seqs != NULL && json_object_has_member (frame, "seq")
                  && g_strcmp0 (json_object_get_string_member_with_default (frame, "event", ""),
                                "message") == 0)
                {
                  gint64 seq = json_object_get_int_member (frame, "seq");

                  g_array_append_val (seqs, seq);
                }
            }
        }
    }
}

