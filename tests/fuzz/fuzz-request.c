/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-request"

#include "config.h"

#include "fuzz-server-util.h"

#include <errno.h>
#include <glib-unix.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A frame from a signed-in client, straight into confabd's request handlers (through the
 * WebSocket connection, the frame decoder and the dispatch) against a real store in a temporary
 * directory. One connection serves the whole run, as a client that keeps sending would; it is
 * made again if a frame closes it. Whatever the frame, the server must not crash, leak or read
 * out of bounds. */

#define MAX_FRAME    32768
#define ANSWER_MS    500

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

typedef struct
{
  char             *token;
  ConfabConnection *connection;
  SoupWebsocketConnection *ws;
  int               peer;   /* the client's end of the socket pair */
} Session;

static Session session = { NULL, NULL, NULL, -1 };

static char *
http_token (const char *username)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"fuzzing password\","
                                           "\"device_name\":\"fuzz\"}", username);
  g_autofree char *login = NULL;
  g_autofree char *reg = NULL;
  g_autoptr(GBytes) ignored = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *text;
  const char *json;
  gsize length;

  reg = g_strdup_printf ("POST /v1/register HTTP/1.1\r\nHost: fuzz\r\n"
                         "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                         "Connection: close\r\n\r\n%s", strlen (body), body);
  login = g_strdup_printf ("POST /v1/login HTTP/1.1\r\nHost: fuzz\r\n"
                           "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                           "Connection: close\r\n\r\n%s", strlen (body), body);
  ignored = fuzz_server_http (reg, strlen (reg));
  answer = fuzz_server_http (login, strlen (login));
  text = g_bytes_get_data (answer, &length);
  json = g_strstr_len (text, length, "\r\n\r\n");
  g_assert_nonnull (json);
  json += 4;
  g_assert_true (json_parser_load_from_data (parser, json, text + length - json, NULL));
  return g_strdup (json_object_get_string_member (json_node_get_object (
                                                    json_parser_get_root (parser)), "token"));
}

/* A client's text frame: masked, with a zero key so the payload goes as it is. */
static void
send_frame (const char *payload,
            gsize       length)
{
  g_autoptr(GByteArray) frame = g_byte_array_new ();
  guint8 header[4] = { 0x81, 0, 0, 0 };
  const guint8 key[4] = { 0, 0, 0, 0 };
  gsize done = 0;

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
  g_byte_array_append (frame, key, 4);
  g_byte_array_append (frame, (const guint8 *) payload, length);

  /* The server reads only while the main loop runs: write what the socket takes, run it. */
  while (done < frame->len)
    {
      gssize n = write (session.peer, frame->data + done, frame->len - done);

      if (n > 0)
        done += n;
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        return;
      else
        g_main_context_iteration (NULL, FALSE);
    }
}

static gboolean
peer_readable_cb (int          fd,
                  GIOCondition condition,
                  gpointer     user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits for an answer (or ANSWER_MS, an ack has none) and returns what came. */
static GString *
read_answer (void)
{
  GString *answer = g_string_new (NULL);
  gboolean readable = FALSE;
  guint id = g_unix_fd_add (session.peer, G_IO_IN, peer_readable_cb, &readable);
  char buffer[65536];
  gssize n;

  fuzz_server_run_until (&readable, ANSWER_MS);
  if (!readable)
    g_source_remove (id);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  while ((n = read (session.peer, buffer, sizeof buffer)) > 0)
    g_string_append_len (answer, buffer, n);
  return answer;
}

static gboolean
ws_closed (gpointer user_data)
{
  return soup_websocket_connection_get_state (session.ws) == SOUP_WEBSOCKET_STATE_CLOSED;
}

static void
session_close (void)
{
  gint64 deadline = g_get_monotonic_time () + G_TIME_SPAN_SECOND;

  /* The end of the peer's stream lets the server finish its side (and forget the session). */
  if (session.peer >= 0)
    close (session.peer);
  session.peer = -1;
  while (session.ws != NULL && !ws_closed (NULL) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_clear_object (&session.connection);
  g_clear_object (&session.ws);
}

static void
session_open (void)
{
  ConfabServer *server = fuzz_server_get ();
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  g_autoptr(GUri) uri = g_uri_parse ("http://127.0.0.1/v1/ws", G_URI_FLAGS_NONE, NULL);
  g_autofree char *hello = NULL;
  int fds[2];

  if (session.token == NULL)
    {
      g_autofree char *ignored = http_token ("bob");

      session.token = http_token ("alice");
    }

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  socket = g_socket_new_from_fd (fds[0], NULL);
  g_assert_nonnull (socket);
  stream = g_socket_connection_factory_create_connection (socket);
  session.ws = soup_websocket_connection_new (G_IO_STREAM (stream), uri,
                                              SOUP_WEBSOCKET_CONNECTION_SERVER, NULL, NULL, NULL);
  session.connection = confab_connection_new (server, session.ws, "127.0.0.1");
  session.peer = fds[1];
  g_unix_set_fd_nonblocking (session.peer, TRUE, NULL);

  hello = g_strdup_printf ("{\"type\":\"hello\",\"id\":\"h\",\"token\":\"%s\",\"since\":0}",
                           session.token);
  send_frame (hello, strlen (hello));
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(GString) answer = read_answer ();

      if (strstr (answer->str, "\"synced\"") != NULL)
        return;
    }
  g_error ("no hello answer from the server");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GString) answer = NULL;

  /* libsoup closes a connection on a text frame that is not UTF-8, before any handler. */
  if (size > MAX_FRAME || !g_utf8_validate ((const char *) data, size, NULL))
    return 0;

  if (session.ws == NULL
      || soup_websocket_connection_get_state (session.ws) != SOUP_WEBSOCKET_STATE_OPEN)
    {
      session_close ();
      session_open ();
    }
  send_frame ((const char *) data, size);
  answer = read_answer ();
  return 0;
}
