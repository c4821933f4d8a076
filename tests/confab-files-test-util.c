/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-files-test-util.h"

#include <string.h>

void
confab_files_reply_free (ConfabFilesReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->headers, soup_message_headers_unref);
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_free (reply);
}

typedef struct
{
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Sent;

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Sent *sent = user_data;

  sent->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &sent->error);
  sent->done = TRUE;
}

ConfabFilesReply *
confab_files_request (ConfabTestServer *server,
                      const char       *method,
                      const char       *path,
                      const char       *token,
                      GBytes           *body,
                      ...)
{
  g_autofree char *uri = g_strconcat (confab_test_server_get_url (server), path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new (method, uri);
  SoupMessageHeaders *headers;
  ConfabFilesReply *reply;
  Sent sent = { 0 };
  const char *name;
  gboolean tus = TRUE;
  va_list args;

  g_assert_nonnull (message);
  confab_test_server_trust (server, message);
  headers = soup_message_get_request_headers (message);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }
  va_start (args, body);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      if (g_ascii_strcasecmp (name, "Tus-Resumable") == 0)
        tus = FALSE;
      if (*value != '\0')
        soup_message_headers_replace (headers, name, value);
    }
  va_end (args);
  if (tus && g_strcmp0 (method, "GET") != 0)
    soup_message_headers_replace (headers, "Tus-Resumable", "1.0.0");
  if (body != NULL)
    soup_message_set_request_body_from_bytes (message,
                                              soup_message_headers_get_content_type (headers,
                                                                                     NULL),
                                              body);

  soup_session_send_and_read_async (confab_test_server_get_session (server), message,
                                    G_PRIORITY_DEFAULT, NULL, sent_cb, &sent);
  if (!confab_test_wait_flag (&sent.done, CONFAB_TEST_TIMEOUT_MS * 6))
    g_error ("no HTTP reply to %s %s", method, path);
  if (sent.error != NULL)
    g_error ("HTTP %s %s failed: %s", method, path, sent.error->message);

  reply = g_new0 (ConfabFilesReply, 1);
  reply->status = soup_message_get_status (message);
  reply->headers = soup_message_headers_ref (soup_message_get_response_headers (message));
  reply->body = sent.body;
  return reply;
}

const char *
confab_files_reply_header (ConfabFilesReply *reply,
                           const char       *name)
{
  return soup_message_headers_get_one (reply->headers, name);
}

/* The error code of a §1 error body; NULL if there is none. */
const char *
confab_files_reply_code (ConfabFilesReply *reply)
{
  static char code[64];
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = g_bytes_get_data (reply->body, &len);
  JsonNode *root;
  JsonObject *error;

  if (len == 0 || !json_parser_load_from_data (parser, data, len, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root)
      || (error = json_object_get_object_member (json_node_get_object (root), "error")) == NULL)
    return NULL;
  g_strlcpy (code, json_object_get_string_member_with_default (error, "code", ""), sizeof code);
  return code;
}

char *
confab_files_create (ConfabTestServer *server,
                     const char       *token,
                     gint64            length,
                     const char       *metadata)
{
  g_autofree char *len = g_strdup_printf ("%" G_GINT64_FORMAT, length);
  g_autoptr(ConfabFilesReply) reply = NULL;

  reply = confab_files_request (server, "POST", "/v1/files", token, NULL,
                                "Upload-Length", len,
                                "Upload-Metadata", metadata != NULL ? metadata : "",
                                NULL);
  g_assert_cmpuint (reply->status, ==, 201);
  g_assert_cmpstr (confab_files_reply_header (reply, "Tus-Resumable"), ==, "1.0.0");
  g_assert_true (g_str_has_prefix (confab_files_reply_header (reply, "Location"),
                                   "/v1/files/"));
  return g_strdup (confab_files_reply_header (reply, "Location"));
}

gint64
confab_files_head_offset (ConfabTestServer *server,
                          const char       *token,
                          const char       *location)
{
  g_autoptr(ConfabFilesReply) reply = NULL;
  const char *offset;

  reply = confab_files_request (server, "HEAD", location, token, NULL, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  offset = confab_files_reply_header (reply, "Upload-Offset");
  g_assert_nonnull (offset);
  g_assert_true (g_ascii_isdigit (*offset));
  return g_ascii_strtoll (offset, NULL, 10);
}

ConfabFilesReply *
confab_files_patch (ConfabTestServer *server,
                    const char       *token,
                    const char       *location,
                    gint64            offset,
                    GBytes           *data)
{
  g_autofree char *value = g_strdup_printf ("%" G_GINT64_FORMAT, offset);

  return confab_files_request (server, "PATCH", location, token, data,
                               "Upload-Offset", value,
                               "Content-Type", "application/offset+octet-stream",
                               NULL);
}

char *
confab_files_metadata (const char *name,
                       const char *mime)
{
  g_autofree char *n = g_base64_encode ((const guchar *) name, strlen (name));
  g_autofree char *m = g_base64_encode ((const guchar *) mime, strlen (mime));

  return g_strdup_printf ("filename %s,filetype %s", n, m);
}

char *
confab_files_upload (ConfabTestServer *server,
                     const char       *token,
                     GBytes           *data,
                     const char       *name,
                     const char       *mime,
                     gsize             chunk)
{
  g_autofree char *metadata = confab_files_metadata (name, mime);
  g_autofree char *location = NULL;
  gsize size = g_bytes_get_size (data);
  gsize at = 0;

  location = confab_files_create (server, token, size, metadata);
  while (at < size)
    {
      gsize n = MIN (chunk, size - at);
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (data, at, n);
      g_autoptr(ConfabFilesReply) reply = confab_files_patch (server, token, location, at, part);
      g_autofree char *expected = g_strdup_printf ("%" G_GSIZE_FORMAT, at + n);

      g_assert_cmpuint (reply->status, ==, 204);
      g_assert_cmpstr (confab_files_reply_header (reply, "Upload-Offset"), ==, expected);
      at += n;
    }
  return g_strdup (location + strlen ("/v1/files/"));
}

GBytes *
confab_files_random_bytes (gsize   length,
                           guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint32 *words = g_malloc ((length + 3) / 4 * 4);

  for (gsize i = 0; i < (length + 3) / 4; i++)
    words[i] = g_rand_int (rand);
  return g_bytes_new_take (words, length);
}

char *
confab_files_sha256 (GBytes *data)
{
  gsize len;
  const guchar *bytes = g_bytes_get_data (data, &len);

  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, bytes, len);
}
