/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-files-test-util.h"

#include <string.h>

/* A third-party tus client against the real confabd: the tus-js-client package under Node
 * (tests/tus/upload.cjs; installed into tests/tus/node_modules by .ci/install-deps). */

#define MIB (1024 * 1024)

static char *
script_path (void)
{
  return g_test_build_filename (G_TEST_DIST, "tus", "upload.cjs", NULL);
}

typedef struct
{
  gboolean  done;
  char     *out;
  char     *err;
  GError   *error;
} Communicated;

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicated *done = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &done->out, &done->err,
                                        &done->error);
  done->done = TRUE;
}

/* Runs the script; its one line of JSON output. */
static JsonObject *
run_client (ConfabTestServer *server,
            const char       *token,
            const char       *file,
            const char       *mode)
{
  g_autofree char *script = script_path ();
  g_autofree char *endpoint = g_strconcat (confab_test_server_get_url (server), "/v1/files",
                                           NULL);
  g_autoptr(GSubprocess) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  node = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                           &error, "node", script, endpoint, token, file, mode, NULL);
  g_assert_no_error (error);
  /* The main loop runs meanwhile, so that the server's output keeps being read. */
  {
    Communicated done = { 0 };

    g_subprocess_communicate_utf8_async (node, NULL, NULL, communicated_cb, &done);
    if (!confab_test_wait_flag (&done.done, CONFAB_TEST_TIMEOUT_MS * 12))
      g_error ("tus-js-client (%s) did not finish", mode);
    g_assert_no_error (done.error);
    out = done.out;
    err = done.err;
  }
  if (!g_subprocess_get_if_exited (node) || g_subprocess_get_exit_status (node) != 0)
    g_error ("tus-js-client (%s) failed: %s", mode, err);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
write_temp_file (GBytes     *data,
                 const char *name)
{
  g_autofree char *dir = confab_test_make_dir ("tus-data");
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, g_bytes_get_data (data, NULL), g_bytes_get_size (data), &error);
  g_assert_no_error (error);
  return path;
}

static void
assert_stored (ConfabTestServer *server,
               const char       *token,
               const char       *url,
               GBytes           *data,
               const char       *name)
{
  const char *path = strstr (url, "/v1/files/");
  g_autoptr(ConfabFilesReply) reply = NULL;
  g_autofree char *sha = confab_files_sha256 (data);
  g_autofree char *etag = g_strdup_printf ("\"%s\"", sha);
  g_autofree char *got = NULL;

  g_assert_nonnull (path);
  reply = confab_files_request (server, "GET", path, token, NULL, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  got = confab_files_sha256 (reply->body);
  g_assert_cmpstr (got, ==, sha);
  g_assert_cmpstr (confab_files_reply_header (reply, "ETag"), ==, etag);
  g_assert_nonnull (strstr (confab_files_reply_header (reply, "Content-Disposition"), name));
}

static void
test_whole (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (3 * MIB + 5, 21);
  g_autofree char *file = write_temp_file (data, "whole.bin");
  g_autoptr(JsonObject) result = run_client (server, alice->token, file, "whole");

  assert_stored (server, alice->token, json_object_get_string_member (result, "url"), data,
                 "whole.bin");
}

static void
test_resumed (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (2 * MIB + 77, 22);
  g_autofree char *file = write_temp_file (data, "resumed.bin");
  g_autoptr(JsonObject) result = run_client (server, alice->token, file, "resume");
  gint64 stopped_at = json_object_get_int_member (result, "stopped_at");
  gint64 resumed_from = json_object_get_int_member (result, "resumed_from");

  /* The second Upload asked the server (HEAD) and went on from its offset: nothing sent
   * twice, nothing lost. */
  g_assert_cmpint (stopped_at, >, MIB);
  g_assert_cmpint (resumed_from, ==, stopped_at);
  assert_stored (server, alice->token, json_object_get_string_member (result, "url"), data,
                 "resumed.bin");
}

int
main (int    argc,
      char **argv)
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/files/tus-js-client/whole", test_whole);
  g_test_add_func ("/confab/files/tus-js-client/resumed", test_resumed);

  return confab_test_run ();
}
