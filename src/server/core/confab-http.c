/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-http"

#include "config.h"

#include "confab-http.h"
#include "confab-frame.h"

/* Request bodies of the JSON API are small; files have their own endpoint. */
#define MAX_JSON_BODY_BYTES (64 * 1024)

void
confab_http_send_json (SoupServerMessage *msg,
                       guint              status,
                       JsonObject        *object)
{
  gsize length;
  char *text = confab_json_object_to_string (object, &length);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

void
confab_http_send_error_full (SoupServerMessage *msg,
                             guint              status,
                             const char        *code,
                             const char        *message,
                             JsonObject        *extra)
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonObject *error = json_object_new ();

  json_object_set_string_member (error, "code", code);
  json_object_set_string_member (error, "message", message);
  if (extra != NULL)
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *node;

      json_object_iter_init (&iter, extra);
      while (json_object_iter_next (&iter, &member, &node))
        json_object_set_member (error, member, json_node_copy (node));
    }
  json_object_set_object_member (body, "error", error);
  confab_http_send_json (msg, status, body);
}

void
confab_http_send_error (SoupServerMessage   *msg,
                        ConfabProtocolError  code,
                        const char          *message)
{
  confab_http_send_error_full (msg, confab_protocol_error_http_status (code),
                               confab_protocol_error_to_string (code), message, NULL);
}

void
confab_http_send_gerror (SoupServerMessage *msg,
                         const GError      *error)
{
  ConfabProtocolError code = confab_protocol_error_from_gerror (error);

  if (error->domain != CONFAB_PROTOCOL_ERROR)
    {
      g_warning ("request failed: %s", error->message);
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_INTERNAL, "internal error");
      return;
    }
  confab_http_send_error (msg, code, error->message);
}

void
confab_http_send_rate_limited (SoupServerMessage *msg,
                               gint64             retry_after_ms)
{
  g_autoptr(JsonObject) extra = json_object_new ();
  g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT, (retry_after_ms + 999) / 1000);

  json_object_set_int_member (extra, "retry_after_ms", retry_after_ms);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After",
                                seconds);
  confab_http_send_error_full (msg, 429, "rate_limited",
                               "too many failed attempts, try again later", extra);
}

#define TOO_LARGE_BODY "{\"error\":{\"code\":\"too_large\",\"message\":\"the request body is too large\"}}"

/* Marks the handlers confab_http_limit_body() connects. */
static const char limit_tag[] = "confab-http-limit-body";

static void
too_large_closed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

static void
too_large_written_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GIOStream) stream = g_object_steal_data (source, "confab-stream");

  g_free (user_data);
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_io_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL, too_large_closed_cb, NULL);
}

/* libsoup would read a whole body, however large, before any handler runs. Instead the
 * connection is taken from it, answered 413 and closed: nothing more is read. */
static void
refuse_body (SoupServerMessage *msg)
{
  g_autoptr(GIOStream) stream = NULL;
  GOutputStream *output;
  char *response;

  g_signal_handlers_disconnect_by_data (msg, (gpointer) limit_tag);
  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;

  response = g_strdup_printf ("HTTP/1.1 413 Payload Too Large\r\n"
                              "Content-Type: application/json\r\n"
                              "Cache-Control: no-store\r\n"
                              "Connection: close\r\n"
                              "Content-Length: %zu\r\n"
                              "\r\n"
                              "%s", strlen (TOO_LARGE_BODY), TOO_LARGE_BODY);
  output = g_io_stream_get_output_stream (stream);
  /* The stream lives as long as the write: the output stream holds it until the callback
   * takes it back. */
  g_object_set_data_full (G_OBJECT (output), "confab-stream", g_object_ref (stream),
                          g_object_unref);
  g_output_stream_write_all_async (output, response, strlen (response), G_PRIORITY_DEFAULT, NULL,
                                   too_large_written_cb, response);
}

/* A chunked body has no length up front: it is counted as it comes. */
static void
on_request_got_chunk (SoupServerMessage *msg,
                      GBytes            *chunk,
                      gpointer           user_data)
{
  if (soup_server_message_get_request_body (msg)->length > MAX_JSON_BODY_BYTES)
    refuse_body (msg);
}

void
confab_http_limit_body (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH
      && soup_message_headers_get_content_length (headers) > MAX_JSON_BODY_BYTES)
    {
      refuse_body (msg);
      return;
    }
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_request_got_chunk),
                    (gpointer) limit_tag);
}

JsonObject *
confab_http_read_json_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  if (body->length > MAX_JSON_BODY_BYTES)
    {
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_TOO_LARGE,
                              "the request body is too large");
      return NULL;
    }
  bytes = soup_message_body_flatten (body);
  object = confab_frame_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  if (object == NULL)
    confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, error->message);
  return object;
}

char *
confab_http_bearer_token (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return NULL;
  return g_strstrip (g_strdup (header + 7));
}
