/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-admin"

#include "config.h"

#include "fuzz-server-util.h"
#include "confab-accounts.h"
#include "confab-auth.h"

#include <stdint.h>
#include <string.h>

/* The admin API past its sign-in: the input's first line is a method and a path with its
 * query, the rest the body, sent with the token of an administrator. The query, the path's
 * username and the JSON bodies are read by confabd's admin module; whatever they hold, the
 * server answers with an HTTP response and carries on. */

#define TOKEN "fuzz-admin-token-0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, NULL);

  *(gboolean *) user_data = TRUE;
}

/* The first account ever made is an administrator: make it, and a device with TOKEN. */
static void
ensure_admin (ConfabServer *server)
{
  static gboolean made;
  g_autofree char *token_hash = NULL;
  gboolean done = FALSE;

  if (made)
    return;
  made = TRUE;
  confab_accounts_user_create_async (confab_server_get_store (server), "fuzzadmin",
                                     "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL,
                                     NULL, done_cb, &done);
  fuzz_server_run_until (&done, 5000);
  g_assert_true (done);
  done = FALSE;
  token_hash = confab_auth_hash_token (TOKEN);
  confab_accounts_device_create_async (confab_server_get_store (server), "fuzzadmin", "fuzz",
                                       token_hash, NULL, done_cb, &done);
  fuzz_server_run_until (&done, 5000);
  g_assert_true (done);
  /* Someone to act on. */
  done = FALSE;
  confab_accounts_user_create_async (confab_server_get_store (server), "bob",
                                     "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
                                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL,
                                     NULL, done_cb, &done);
  fuzz_server_run_until (&done, 5000);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  ConfabServer *server = fuzz_server_get ();
  const char *newline = memchr (data, '\n', size);
  gsize line_length = newline != NULL ? (gsize) (newline - (const char *) data) : size;
  gsize body_length = newline != NULL ? size - line_length - 1 : 0;
  g_autofree char *line = g_strndup ((const char *) data, line_length);
  g_autoptr(GString) request = g_string_new (NULL);
  g_autoptr(GBytes) response = NULL;
  gsize length = 0;
  const char *text;

  ensure_admin (server);
  /* The request line must stay one line for the test to reach the admin module. */
  g_strdelimit (line, "\r\n", ' ');
  g_string_append_printf (request,
                          "%s HTTP/1.1\r\n"
                          "Host: x\r\n"
                          "Authorization: Bearer " TOKEN "\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                          "Connection: close\r\n"
                          "\r\n", line, body_length);
  if (newline != NULL)
    g_string_append_len (request, newline + 1, body_length);

  response = fuzz_server_http (request->str, request->len);
  text = g_bytes_get_data (response, &length);
  if (length > 0)
    g_assert_true (length >= 12 && memcmp (text, "HTTP/1.", 7) == 0);
  return 0;
}
