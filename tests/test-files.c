/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-files-test-util.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/* Files against the real confabd: tus 1.0.0 uploads that survive a lost client and a killed
 * server, downloads with Range and ETag, limits, and who may read what. */

#define MIB (1024 * 1024)

static const char *plain_config = "[limits]\nmessages_per_minute=0\n";

static const char *
location_id (const char *location)
{
  return location + strlen ("/v1/files/");
}

static char *
get_path (const char *file_id)
{
  return g_strconcat ("/v1/files/", file_id, NULL);
}

static ConfabFilesReply *
get_file (ConfabTestServer *server,
          const char       *token,
          const char       *file_id)
{
  g_autofree char *path = get_path (file_id);

  return confab_files_request (server, "GET", path, token, NULL, NULL);
}

static void
assert_download (ConfabTestServer *server,
                 const char       *token,
                 const char       *file_id,
                 GBytes           *expected)
{
  g_autoptr(ConfabFilesReply) reply = get_file (server, token, file_id);
  g_autofree char *sha = confab_files_sha256 (expected);
  g_autofree char *got = NULL;
  g_autofree char *etag = g_strdup_printf ("\"%s\"", sha);

  g_assert_cmpuint (reply->status, ==, 200);
  got = confab_files_sha256 (reply->body);
  g_assert_cmpuint (g_bytes_get_size (reply->body), ==, g_bytes_get_size (expected));
  g_assert_cmpstr (got, ==, sha);
  g_assert_true (g_bytes_equal (reply->body, expected));
  g_assert_cmpstr (confab_files_reply_header (reply, "ETag"), ==, etag);
}

/* The path of an upload's bytes in the data directory. */
static char *
data_path (ConfabTestServer *server,
           const char       *file_id)
{
  char shard[3] = { file_id[0], file_id[1], '\0' };

  return g_build_filename (confab_test_server_get_data_dir (server), "files", shard, file_id,
                           NULL);
}

static gint64
file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return -1;
  return st.st_size;
}

/* --- The tus protocol ------------------------------------------------------------------------ */

static void
test_protocol (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabFilesReply) options = NULL;
  g_autoptr(ConfabFilesReply) no_version = NULL;
  g_autoptr(ConfabFilesReply) no_length = NULL;
  g_autoptr(ConfabFilesReply) bad_meta = NULL;
  g_autoptr(ConfabFilesReply) wrong_type = NULL;
  g_autoptr(ConfabFilesReply) deleted = NULL;
  g_autoptr(ConfabFilesReply) gone = NULL;
  g_autoptr(ConfabFilesReply) no_token = NULL;
  g_autoptr(GBytes) data = confab_files_random_bytes (1000, 1);
  g_autofree char *location = NULL;
  JsonObject *limits;

  limits = json_object_get_object_member (
    json_object_get_object_member (confab_test_client_get_hello (client), "server"), "limits");
  g_assert_cmpint (json_object_get_int_member (limits, "max_file_bytes"), ==,
                   G_GINT64_CONSTANT (2) << 30);
  g_assert_true (json_object_has_member (limits, "file_quota_bytes"));
  g_assert_true (json_object_has_member (limits, "uploads_in_flight"));

  options = confab_files_request (server, "OPTIONS", "/v1/files", NULL, NULL, NULL);
  g_assert_cmpuint (options->status, ==, 204);
  g_assert_cmpstr (confab_files_reply_header (options, "Tus-Version"), ==, "1.0.0");
  g_assert_cmpstr (confab_files_reply_header (options, "Tus-Max-Size"), ==, "2147483648");
  g_assert_nonnull (strstr (confab_files_reply_header (options, "Tus-Extension"), "creation"));
  g_assert_nonnull (strstr (confab_files_reply_header (options, "Tus-Extension"), "termination"));
  g_assert_nonnull (strstr (confab_files_reply_header (options, "Tus-Extension"), "expiration"));

  no_version = confab_files_request (server, "POST", "/v1/files", alice->token, NULL,
                                     "Tus-Resumable", "", "Upload-Length", "10", NULL);
  g_assert_cmpuint (no_version->status, ==, 412);
  g_assert_cmpstr (confab_files_reply_header (no_version, "Tus-Version"), ==, "1.0.0");

  no_length = confab_files_request (server, "POST", "/v1/files", alice->token, NULL,
                                    "Upload-Length", "-5", NULL);
  g_assert_cmpuint (no_length->status, ==, 400);
  g_assert_cmpstr (confab_files_reply_code (no_length), ==, "bad_request");

  bad_meta = confab_files_request (server, "POST", "/v1/files", alice->token, NULL,
                                   "Upload-Length", "10", "Upload-Metadata", "filename !!!", NULL);
  g_assert_cmpuint (bad_meta->status, ==, 400);

  no_token = confab_files_request (server, "POST", "/v1/files", NULL, NULL,
                                   "Upload-Length", "10", NULL);
  g_assert_cmpuint (no_token->status, ==, 401);
  g_assert_cmpstr (confab_files_reply_code (no_token), ==, "unauthorized");

  location = confab_files_create (server, alice->token, 1000, NULL);
  g_assert_cmpint (confab_files_head_offset (server, alice->token, location), ==, 0);
  wrong_type = confab_files_request (server, "PATCH", location, alice->token, data,
                                     "Upload-Offset", "0", "Content-Type", "text/plain", NULL);
  g_assert_cmpuint (wrong_type->status, ==, 415);
  g_assert_cmpint (confab_files_head_offset (server, alice->token, location), ==, 0);

  deleted = confab_files_request (server, "DELETE", location, alice->token, NULL, NULL);
  g_assert_cmpuint (deleted->status, ==, 204);
  gone = confab_files_request (server, "HEAD", location, alice->token, NULL, NULL);
  g_assert_cmpuint (gone->status, ==, 404);
  confab_test_server_assert_running (server);
}

/* --- Uploads and resumption ---------------------------------------------------------------- */

static void
test_chunked_upload (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (3 * MIB + 123, 2);
  g_autofree char *location = NULL;
  g_autofree char *metadata = confab_files_metadata ("report.pdf", "application/pdf");
  g_autoptr(ConfabFilesReply) head = NULL;
  gsize size = g_bytes_get_size (data);
  gsize chunk = MIB / 3;

  location = confab_files_create (server, alice->token, size, metadata);
  for (gsize at = 0; at < size; at += chunk)
    {
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (data, at, MIN (chunk, size - at));
      g_autoptr(ConfabFilesReply) reply = confab_files_patch (server, alice->token, location, at,
                                                              part);

      g_assert_cmpuint (reply->status, ==, 204);
      g_assert_cmpint (g_ascii_strtoll (confab_files_reply_header (reply, "Upload-Offset"), NULL,
                                        10), ==, MIN (at + chunk, size));
      g_assert_cmpint (confab_files_head_offset (server, alice->token, location), ==,
                       MIN (at + chunk, size));
    }

  head = confab_files_request (server, "HEAD", location, alice->token, NULL, NULL);
  g_assert_cmpuint (head->status, ==, 200);
  g_assert_null (confab_files_reply_header (head, "Upload-Expires"));
  g_assert_cmpstr (confab_files_reply_header (head, "Upload-Metadata"), ==, metadata);
  assert_download (server, alice->token, location_id (location), data);
}

/* Uploads and downloads over TLS, with the certificate the server made. */
static void
test_tls (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new_tls (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (2 * MIB + 999, 13);
  g_autofree char *file_id = confab_files_upload (server, alice->token, data, "secret.bin",
                                                  "application/octet-stream", MIB);
  g_autofree char *path = get_path (file_id);
  g_autoptr(ConfabFilesReply) part = NULL;
  g_autoptr(GBytes) expect = g_bytes_new_from_bytes (data, MIB, 1000);

  assert_download (server, alice->token, file_id, data);
  part = confab_files_request (server, "GET", path, alice->token, NULL,
                               "Range", "bytes=1048576-1049575", NULL);
  g_assert_cmpuint (part->status, ==, 206);
  g_assert_true (g_bytes_equal (part->body, expect));
  g_assert_cmpuint (confab_test_server_tls_checks (server), >, 0);
}

/* Opens a raw connection, sends a PATCH's headers for @total bytes and then only @sent of
 * them, and closes: a client that died in the middle. */
static void
patch_and_vanish (ConfabTestServer *server,
                  const char       *token,
                  const char       *location,
                  gint64            offset,
                  GBytes           *data,
                  gsize             sent)
{
  g_autoptr(GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *head = NULL;
  const char *url = confab_test_server_get_url (server);
  GOutputStream *out;

  connection = g_socket_client_connect_to_host (socket_client, strstr (url, "://") + 3, 0, NULL,
                                                &error);
  g_assert_no_error (error);
  head = g_strdup_printf ("PATCH %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"
                          "Upload-Offset: %" G_GINT64_FORMAT "\r\n"
                          "Content-Type: application/offset+octet-stream\r\n"
                          "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                          location, token, offset, g_bytes_get_size (data));
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_assert_true (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, &error));
  g_assert_true (g_output_stream_write_all (out, g_bytes_get_data (data, NULL), sent, NULL, NULL,
                                            &error));
  g_assert_no_error (error);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
}

/* Sends the rest of @data from the offset the server reports. */
static void
resume_upload (ConfabTestServer *server,
               const char       *token,
               const char       *location,
               GBytes           *data)
{
  gint64 offset = confab_files_head_offset (server, token, location);
  g_autoptr(GBytes) rest = g_bytes_new_from_bytes (data, offset,
                                                   g_bytes_get_size (data) - offset);
  g_autoptr(ConfabFilesReply) reply = confab_files_patch (server, token, location, offset, rest);
  g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (data));

  g_assert_cmpuint (reply->status, ==, 204);
  g_assert_cmpstr (confab_files_reply_header (reply, "Upload-Offset"), ==, size);
}


typedef struct
{
  char   *path;
  gint64  size;
} SizeWait;

static gboolean
size_reached (gpointer user_data)
{
  SizeWait *wait = user_data;

  return file_size (wait->path) >= wait->size;
}

static void
test_client_killed (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (4 * MIB, 3);
  g_autofree char *location = confab_files_create (server, alice->token, 4 * MIB, NULL);
  SizeWait wait = { data_path (server, location_id (location)), 2 * MIB };
  gint64 offset;

  /* Half the body, then the client is gone. The server keeps what came, on disk. (A HEAD
   * while the server still reads would take the upload over, so the test first waits for
   * the bytes to land.) */
  patch_and_vanish (server, alice->token, location, 0, data, 2 * MIB);
  g_assert_true (confab_test_wait_until (size_reached, &wait, CONFAB_TEST_TIMEOUT_MS));
  offset = confab_files_head_offset (server, alice->token, location);
  g_assert_cmpint (offset, ==, 2 * MIB);

  /* A second client dies too, from where the first left off. */
  {
    g_autoptr(GBytes) rest = g_bytes_new_from_bytes (data, offset, 4 * MIB - offset);

    patch_and_vanish (server, alice->token, location, offset, rest, MIB / 2);
    wait.size = offset + MIB / 2;
    g_assert_true (confab_test_wait_until (size_reached, &wait, CONFAB_TEST_TIMEOUT_MS));
    g_assert_cmpint (confab_files_head_offset (server, alice->token, location), ==,
                     offset + MIB / 2);
  }

  resume_upload (server, alice->token, location, data);
  assert_download (server, alice->token, location_id (location), data);
  confab_test_server_assert_running (server);
}

static void
test_server_killed (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (6 * MIB, 4);
  g_autofree char *location = confab_files_create (server, alice->token, 6 * MIB, NULL);
  g_autoptr(GBytes) first = g_bytes_new_from_bytes (data, 0, 2 * MIB);
  g_autoptr(GBytes) rest = g_bytes_new_from_bytes (data, 2 * MIB, 4 * MIB);
  g_autoptr(ConfabFilesReply) reply = NULL;
  SizeWait wait;
  gint64 offset;

  reply = confab_files_patch (server, alice->token, location, 0, first);
  g_assert_cmpuint (reply->status, ==, 204);

  /* The next PATCH is under way, some of its bytes written but not yet acknowledged, when
   * the server is killed. */
  wait.path = data_path (server, location_id (location));
  wait.size = 2 * MIB + 256 * 1024;
  patch_and_vanish (server, alice->token, location, 2 * MIB, rest, 3 * MIB);
  g_assert_true (confab_test_wait_until (size_reached, &wait, CONFAB_TEST_TIMEOUT_MS));
  confab_test_server_kill (server);
  confab_test_server_start (server);

  /* Everything acknowledged is there; what came after is either kept (synced) or dropped,
   * never doubled: the upload goes on from the offset the server states. */
  offset = confab_files_head_offset (server, alice->token, location);
  g_assert_cmpint (offset, >=, 2 * MIB);
  g_assert_cmpint (offset, <=, 5 * MIB);
  resume_upload (server, alice->token, location, data);
  assert_download (server, alice->token, location_id (location), data);
  g_assert_cmpint (file_size (wait.path), ==, 6 * MIB);
  g_free (wait.path);
}

/* A disk with less room than the reserve refuses the bytes (507 unavailable) and keeps what
 * was synced, nothing more; the server goes on; with room again the upload goes on. */
static void
test_full_disk (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (
    NULL, "[limits]\nmessages_per_minute=0\n[files]\nreserve_bytes=9000000000000000000\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (300 * 1024, 21);
  g_autofree char *location = confab_files_create (server, alice->token, 300 * 1024, NULL);
  g_autofree char *path = data_path (server, location_id (location));
  g_autoptr(ConfabFilesReply) reply = NULL;

  reply = confab_files_patch (server, alice->token, location, 0, data);
  g_assert_cmpuint (reply->status, ==, 507);
  g_assert_cmpstr (confab_files_reply_code (reply), ==, "unavailable");
  g_assert_cmpint (confab_files_head_offset (server, alice->token, location), ==, 0);
  g_assert_cmpint (file_size (path), <=, 0);
  confab_test_server_assert_running (server);

  confab_test_server_stop (server);
  confab_test_server_set_config (server, plain_config);
  confab_test_server_start (server);
  resume_upload (server, alice->token, location, data);
  assert_download (server, alice->token, location_id (location), data);
}

typedef struct
{
  const char *path;
} OrphanWait;

static gboolean
orphan_gone (gpointer user_data)
{
  OrphanWait *wait = user_data;

  return !g_file_test (wait->path, G_FILE_TEST_EXISTS);
}

/* Bytes left without a record (a crash between removing the record and the bytes) are swept
 * when the server starts; files with records, and files not named as uploads, stay. */
static void
test_orphans_swept (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (5000, 22);
  g_autofree char *file_id = confab_files_upload (server, alice->token, data, "kept.txt",
                                                  "text/plain", 5000);
  g_autofree char *kept = data_path (server, file_id);
  g_autofree char *orphan = data_path (server, "zzOrphanedUploadBytes-00");
  g_autofree char *shard = g_path_get_dirname (orphan);
  g_autofree char *stranger = g_build_filename (shard, "notes.txt", NULL);
  OrphanWait wait = { orphan };

  confab_test_server_stop (server);
  g_assert_cmpint (g_mkdir_with_parents (shard, 0700), ==, 0);
  g_assert_true (g_file_set_contents (orphan, "left over", -1, NULL));
  g_assert_true (g_file_set_contents (stranger, "not an upload", -1, NULL));
  confab_test_server_start (server);

  g_assert_true (confab_test_wait_until (orphan_gone, &wait, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (g_file_test (kept, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (stranger, G_FILE_TEST_EXISTS));
  assert_download (server, alice->token, file_id, data);
}

static void
test_offset_mismatch (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (2000, 5);
  g_autoptr(GBytes) head = g_bytes_new_from_bytes (data, 0, 1000);
  g_autoptr(GBytes) tail = g_bytes_new_from_bytes (data, 1000, 1000);
  g_autofree char *location = confab_files_create (server, alice->token, 2000, NULL);
  g_autoptr(ConfabFilesReply) ok = NULL;
  g_autoptr(ConfabFilesReply) again = NULL;
  g_autoptr(ConfabFilesReply) ahead = NULL;
  g_autoptr(ConfabFilesReply) done = NULL;
  g_autoptr(ConfabFilesReply) after = NULL;

  ok = confab_files_patch (server, alice->token, location, 0, head);
  g_assert_cmpuint (ok->status, ==, 204);
  /* The same bytes again (a retry that did not see the answer) are refused, not doubled. */
  again = confab_files_patch (server, alice->token, location, 0, head);
  g_assert_cmpuint (again->status, ==, 409);
  g_assert_cmpstr (confab_files_reply_code (again), ==, "conflict");
  g_assert_cmpstr (confab_files_reply_header (again, "Upload-Offset"), ==, "1000");
  ahead = confab_files_patch (server, alice->token, location, 1500, tail);
  g_assert_cmpuint (ahead->status, ==, 409);
  g_assert_cmpint (confab_files_head_offset (server, alice->token, location), ==, 1000);
  done = confab_files_patch (server, alice->token, location, 1000, tail);
  g_assert_cmpuint (done->status, ==, 204);
  after = confab_files_patch (server, alice->token, location, 2000, tail);
  g_assert_cmpuint (after->status, ==, 409);
  assert_download (server, alice->token, location_id (location), data);
}

/* --- Limits ---------------------------------------------------------------------------------- */

static void
test_too_large (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (
    NULL, "[limits]\nmax_file_bytes=100000\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestClient) client = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabFilesReply) big = NULL;
  g_autoptr(ConfabFilesReply) past = NULL;
  g_autoptr(GBytes) data = confab_files_random_bytes (1500, 6);
  g_autofree char *location = NULL;
  g_autofree char *path = NULL;
  JsonObject *limits;

  limits = json_object_get_object_member (
    json_object_get_object_member (confab_test_client_get_hello (client), "server"), "limits");
  g_assert_cmpint (json_object_get_int_member (limits, "max_file_bytes"), ==, 100000);

  big = confab_files_request (server, "POST", "/v1/files", alice->token, NULL,
                              "Upload-Length", "100001", NULL);
  g_assert_cmpuint (big->status, ==, 413);
  g_assert_cmpstr (confab_files_reply_code (big), ==, "too_large");

  /* A body longer than the upload: 413, and nothing of it is kept. */
  location = confab_files_create (server, alice->token, 1000, NULL);
  past = confab_files_patch (server, alice->token, location, 0, data);
  g_assert_cmpuint (past->status, ==, 413);
  g_assert_cmpint (confab_files_head_offset (server, alice->token, location), ==, 0);
  path = data_path (server, location_id (location));
  g_assert_cmpint (file_size (path), <=, 0);
}

static void
test_quota (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (
    NULL, "[files]\nquota_bytes=10000\nuploads_per_user=2\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabFilesReply) over = NULL;
  g_autoptr(ConfabFilesReply) third = NULL;
  g_autoptr(ConfabFilesReply) freed = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *c = NULL;
  g_autofree char *d = NULL;

  a = confab_files_create (server, alice->token, 4000, NULL);
  b = confab_files_create (server, alice->token, 4000, NULL);
  /* Past the quota: 413 too_large. */
  over = confab_files_request (server, "POST", "/v1/files", alice->token, NULL,
                               "Upload-Length", "4000", NULL);
  g_assert_cmpuint (over->status, ==, 413);
  g_assert_cmpstr (confab_files_reply_code (over), ==, "too_large");
  /* Within the quota but a third unfinished upload: 429. */
  third = confab_files_request (server, "POST", "/v1/files", alice->token, NULL,
                                "Upload-Length", "100", NULL);
  g_assert_cmpuint (third->status, ==, 429);
  g_assert_cmpstr (confab_files_reply_code (third), ==, "rate_limited");
  g_assert_nonnull (confab_files_reply_header (third, "Retry-After"));

  /* Each user has a quota of their own; a terminated upload gives its room back. */
  d = confab_files_create (server, bob->token, 9000, NULL);
  freed = confab_files_request (server, "DELETE", a, alice->token, NULL, NULL);
  g_assert_cmpuint (freed->status, ==, 204);
  c = confab_files_create (server, alice->token, 6000, NULL);
}

/* --- Downloads ------------------------------------------------------------------------------- */

static void
test_range_etag (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (MIB + 17, 7);
  g_autofree char *file_id = confab_files_upload (server, alice->token, data, "data.bin",
                                                  "application/octet-stream", MIB);
  g_autofree char *path = get_path (file_id);
  g_autofree char *sha = confab_files_sha256 (data);
  g_autofree char *etag = g_strdup_printf ("\"%s\"", sha);
  g_autoptr(ConfabFilesReply) whole = NULL;
  g_autoptr(ConfabFilesReply) middle = NULL;
  g_autoptr(ConfabFilesReply) suffix = NULL;
  g_autoptr(ConfabFilesReply) open_end = NULL;
  g_autoptr(ConfabFilesReply) outside = NULL;
  g_autoptr(ConfabFilesReply) cached = NULL;
  g_autoptr(ConfabFilesReply) stale = NULL;
  g_autoptr(ConfabFilesReply) if_range = NULL;
  g_autoptr(GBytes) expect = NULL;

  whole = get_file (server, alice->token, file_id);
  g_assert_cmpuint (whole->status, ==, 200);
  g_assert_cmpstr (confab_files_reply_header (whole, "ETag"), ==, etag);
  g_assert_cmpstr (confab_files_reply_header (whole, "Accept-Ranges"), ==, "bytes");
  g_assert_cmpstr (confab_files_reply_header (whole, "X-Content-Type-Options"), ==, "nosniff");

  middle = confab_files_request (server, "GET", path, alice->token, NULL,
                                 "Range", "bytes=1000-1999", NULL);
  g_assert_cmpuint (middle->status, ==, 206);
  g_assert_cmpstr (confab_files_reply_header (middle, "Content-Range"), ==,
                   "bytes 1000-1999/1048593");
  expect = g_bytes_new_from_bytes (data, 1000, 1000);
  g_assert_true (g_bytes_equal (middle->body, expect));
  g_clear_pointer (&expect, g_bytes_unref);

  suffix = confab_files_request (server, "GET", path, alice->token, NULL,
                                 "Range", "bytes=-17", NULL);
  g_assert_cmpuint (suffix->status, ==, 206);
  expect = g_bytes_new_from_bytes (data, MIB, 17);
  g_assert_true (g_bytes_equal (suffix->body, expect));
  g_clear_pointer (&expect, g_bytes_unref);

  /* A download that was cut off goes on from where it stopped. */
  open_end = confab_files_request (server, "GET", path, alice->token, NULL,
                                   "Range", "bytes=524288-", "If-Range", etag, NULL);
  g_assert_cmpuint (open_end->status, ==, 206);
  expect = g_bytes_new_from_bytes (data, 524288, MIB + 17 - 524288);
  g_assert_true (g_bytes_equal (open_end->body, expect));

  outside = confab_files_request (server, "GET", path, alice->token, NULL,
                                  "Range", "bytes=2000000-", NULL);
  g_assert_cmpuint (outside->status, ==, 416);
  g_assert_cmpstr (confab_files_reply_header (outside, "Content-Range"), ==, "bytes */1048593");

  cached = confab_files_request (server, "GET", path, alice->token, NULL,
                                 "If-None-Match", etag, NULL);
  g_assert_cmpuint (cached->status, ==, 304);
  g_assert_cmpuint (g_bytes_get_size (cached->body), ==, 0);
  stale = confab_files_request (server, "GET", path, alice->token, NULL,
                                "If-None-Match", "\"0000\"", NULL);
  g_assert_cmpuint (stale->status, ==, 200);

  /* A Range for another version of the file gets the whole of this one. */
  if_range = confab_files_request (server, "GET", path, alice->token, NULL,
                                   "Range", "bytes=0-9", "If-Range", "\"0000\"", NULL);
  g_assert_cmpuint (if_range->status, ==, 200);
  g_assert_true (g_bytes_equal (if_range->body, data));
}

typedef struct
{
  const char *name;
  const char *mime;
  const char *disposition;
} Hostile;

static void
test_hostile_names (void)
{
  static const Hostile cases[] = {
    { "quote\"d.txt", "text/plain",
      "attachment; filename=\"quote_d.txt\"; filename*=UTF-8''quote%22d.txt" },
    { "../../etc/passwd", "text/plain",
      "attachment; filename=\"_.._etc_passwd\"; filename*=UTF-8''_.._etc_passwd" },
    { "a\\b/c.txt", "text/plain",
      "attachment; filename=\"a_b_c.txt\"; filename*=UTF-8''a_b_c.txt" },
    { "bell\a\r\nSet-Cookie: x=1.txt", "text/plain",
      "attachment; filename=\"bellSet-Cookie: x=1.txt\"; "
      "filename*=UTF-8''bellSet-Cookie%3A%20x%3D1.txt" },
    { "отчёт 2026.pdf", "application/pdf",
      "attachment; filename=\"_____ 2026.pdf\"; "
      "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202026.pdf" },
    { "evil\xe2\x80\xaegpj.exe", "application/x-msdownload",
      "attachment; filename=\"evilgpj.exe\"; filename*=UTF-8''evilgpj.exe" },
    { "...", "text/plain", "attachment; filename=\"file\"; filename*=UTF-8''file" },
    { "photo.png", "image/png",
      "inline; filename=\"photo.png\"; filename*=UTF-8''photo.png" },
    { "drawing.svg", "image/svg+xml",
      "attachment; filename=\"drawing.svg\"; filename*=UTF-8''drawing.svg" },
    { "page.html", "text/html",
      "attachment; filename=\"page.html\"; filename*=UTF-8''page.html" },
  };
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = g_bytes_new_static ("<script>alert(1)</script>", 25);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *file_id = confab_files_upload (server, alice->token, data, cases[i].name,
                                                      cases[i].mime, 100);
      g_autoptr(ConfabFilesReply) reply = get_file (server, alice->token, file_id);

      g_assert_cmpuint (reply->status, ==, 200);
      g_assert_cmpstr (confab_files_reply_header (reply, "Content-Disposition"), ==,
                       cases[i].disposition);
      g_assert_cmpstr (confab_files_reply_header (reply, "X-Content-Type-Options"), ==,
                       "nosniff");
      g_assert_nonnull (strstr (confab_files_reply_header (reply, "Content-Security-Policy"),
                                "sandbox"));
    }
  confab_test_server_assert_running (server);
}

/* --- Who may read -------------------------------------------------------------------------- */

static void
test_access (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestUser) eve = confab_test_user_new (server, "eve");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) b = confab_test_client_new (server, bob->token, 0);
  g_autoptr(GBytes) data = confab_files_random_bytes (5000, 8);
  g_autofree char *file_id = confab_files_upload (server, alice->token, data, "plan.txt",
                                                  "text/plain", 5000);
  g_autofree char *path = get_path (file_id);
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(JsonObject) event = NULL;
  JsonObject *attachment;
  gint64 msg_id;

  /* Before any message: only the uploader. */
  {
    g_autoptr(ConfabFilesReply) bob_get = get_file (server, bob->token, file_id);
    g_autoptr(ConfabFilesReply) eve_get = get_file (server, eve->token, file_id);
    g_autoptr(ConfabFilesReply) eve_head = confab_files_request (server, "HEAD", path,
                                                                 eve->token, NULL, NULL);
    g_autoptr(ConfabFilesReply) anon = get_file (server, NULL, file_id);
    g_autoptr(ConfabFilesReply) bad_token = get_file (server, "not-a-token", file_id);

    g_assert_cmpuint (bob_get->status, ==, 404);
    g_assert_cmpstr (confab_files_reply_code (bob_get), ==, "not_found");
    g_assert_cmpuint (eve_get->status, ==, 404);
    g_assert_cmpuint (eve_head->status, ==, 404);
    g_assert_cmpuint (anon->status, ==, 401);
    g_assert_cmpuint (bad_token->status, ==, 401);
  }

  /* Bob cannot attach a file he may not read, nor send it as his own. */
  confab_test_client_call_error (b, "not_found", "send",
                                 "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"b1\",\"body\":\"\","
                                 "\"attachments\":[{\"file_id\":\"%s\"}]}", file_id);

  sent = confab_test_client_call_ok (a, "send",
                                     "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"a1\","
                                     "\"body\":\"\",\"attachments\":[{\"file_id\":\"%s\"}]}",
                                     file_id);
  attachment = json_array_get_object_element (
    json_object_get_array_member (json_object_get_object_member (sent, "msg"), "attachments"),
    0);
  msg_id = json_object_get_int_member (json_object_get_object_member (sent, "msg"), "id");
  g_assert_cmpstr (json_object_get_string_member (attachment, "file_id"), ==, file_id);
  g_assert_cmpstr (json_object_get_string_member (attachment, "name"), ==, "plan.txt");
  g_assert_cmpstr (json_object_get_string_member (attachment, "mime"), ==, "text/plain");
  g_assert_cmpint (json_object_get_int_member (attachment, "size"), ==, 5000);
  {
    g_autofree char *sha = confab_files_sha256 (data);

    g_assert_cmpstr (json_object_get_string_member (attachment, "sha256"), ==, sha);
  }
  event = confab_test_client_wait_event (b, "message", CONFAB_TEST_TIMEOUT_MS);
  g_assert_nonnull (event);

  /* Bob now reads it; Eve still does not. Bob may forward it. */
  assert_download (server, bob->token, file_id, data);
  {
    g_autoptr(ConfabFilesReply) eve_get = get_file (server, eve->token, file_id);

    g_assert_cmpuint (eve_get->status, ==, 404);
  }
  confab_test_client_call_error (b, "not_found", "send",
                                 "{\"conv\":\"dm:bob:eve\",\"client_msg_id\":\"b2\",\"body\":\"x\","
                                 "\"attachments\":[{\"file_id\":\"AAAAAAAAAAAAAAAAAAAAAAAA\"}]}");
  {
    g_autoptr(JsonObject) fwd = confab_test_client_call_ok (
      b, "send", "{\"conv\":\"dm:bob:eve\",\"client_msg_id\":\"b3\",\"body\":\"fyi\","
      "\"attachments\":[{\"file_id\":\"%s\"}]}", file_id);
    g_autoptr(ConfabFilesReply) eve_get = get_file (server, eve->token, file_id);
    g_autoptr(JsonObject) unsent = NULL;
    g_autoptr(ConfabFilesReply) eve_again = NULL;

    g_assert_cmpuint (eve_get->status, ==, 200);
    /* Bob takes it back: Eve reads the file no more. */
    unsent = confab_test_client_call_ok (b, "delete", "{\"msg_id\":%" G_GINT64_FORMAT "}",
                                         json_object_get_int_member (
                                           json_object_get_object_member (fwd, "msg"), "id"));
    eve_again = get_file (server, eve->token, file_id);
    g_assert_cmpuint (eve_again->status, ==, 404);
  }

  /* Bob cannot delete Alice's file; Alice cannot delete a file a message uses. */
  {
    g_autoptr(ConfabFilesReply) bob_del = confab_files_request (server, "DELETE", path,
                                                                bob->token, NULL, NULL);
    g_autoptr(ConfabFilesReply) alice_del = confab_files_request (server, "DELETE", path,
                                                                  alice->token, NULL, NULL);

    g_assert_cmpuint (bob_del->status, ==, 404);
    g_assert_cmpuint (alice_del->status, ==, 409);
  }

  /* Once the message is deleted, its conversation no longer reads the file through it. */
  {
    g_autoptr(JsonObject) deleted = confab_test_client_call_ok (a, "delete", "{\"msg_id\":%"
                                                                G_GINT64_FORMAT "}", msg_id);
    g_autoptr(ConfabFilesReply) bob_get = get_file (server, bob->token, file_id);

    g_assert_cmpuint (bob_get->status, ==, 404);
    assert_download (server, alice->token, file_id, data);
  }
  confab_test_server_assert_running (server);
}

static void
test_attachments (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(GBytes) image = confab_files_random_bytes (3000, 9);
  g_autoptr(GBytes) thumb = confab_files_random_bytes (300, 10);
  g_autofree char *thumb_id = confab_files_upload (server, alice->token, thumb, "t.jpg",
                                                   "image/jpeg", 300);
  g_autofree char *meta_thumb = NULL;
  g_autofree char *image_id = NULL;
  g_autofree char *unfinished = confab_files_create (server, alice->token, 100, NULL);
  g_autoptr(JsonObject) sent = NULL;
  g_autoptr(GString) eleven = g_string_new ("[");
  JsonObject *attachment;

  {
    g_autofree char *name = g_base64_encode ((const guchar *) "cat.png", 7);
    g_autofree char *type = g_base64_encode ((const guchar *) "image/png", 9);
    g_autofree char *tid = g_base64_encode ((const guchar *) thumb_id, strlen (thumb_id));
    g_autofree char *location = NULL;
    g_autoptr(ConfabFilesReply) reply = NULL;

    meta_thumb = g_strdup_printf ("filename %s,filetype %s,width %s,height %s,"
                                  "thumbnail_file_id %s", name, type, "MTI4MA==", "NzIw", tid);
    location = confab_files_create (server, alice->token, 3000, meta_thumb);
    reply = confab_files_patch (server, alice->token, location, 0, image);
    g_assert_cmpuint (reply->status, ==, 204);
    image_id = g_strdup (location_id (location));
  }

  /* An unfinished upload cannot be attached. */
  confab_test_client_call_error (a, "invalid", "send",
                                 "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"u1\",\"body\":\"\","
                                 "\"attachments\":[{\"file_id\":\"%s\"}]}",
                                 location_id (unfinished));
  /* No text and no files: refused as before. */
  confab_test_client_call_error (a, "bad_request", "send",
                                 "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"u2\",\"body\":\"\"}");
  /* Not an object with a file_id. */
  confab_test_client_call_error (a, "bad_request", "send",
                                 "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"u3\",\"body\":\"\","
                                 "\"attachments\":[\"%s\"]}", image_id);
  /* More than ten. */
  for (guint i = 0; i < 11; i++)
    g_string_append_printf (eleven, "%s{\"file_id\":\"%s\"}", i > 0 ? "," : "", image_id);
  g_string_append_c (eleven, ']');
  {
    g_autofree char *id = confab_test_client_send (a, "send",
                                                   "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":"
                                                   "\"u4\",\"body\":\"\",\"attachments\":%s}",
                                                   eleven->str);
    g_autoptr(JsonObject) response = confab_test_client_wait_response (a, id,
                                                                       CONFAB_TEST_TIMEOUT_MS);

    g_assert_false (json_object_get_boolean_member (response, "ok"));
  }

  sent = confab_test_client_call_ok (a, "send",
                                     "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":\"ok1\","
                                     "\"body\":\"look\",\"attachments\":[{\"file_id\":\"%s\"}]}",
                                     image_id);
  attachment = json_array_get_object_element (
    json_object_get_array_member (json_object_get_object_member (sent, "msg"), "attachments"),
    0);
  g_assert_cmpstr (json_object_get_string_member (attachment, "mime"), ==, "image/png");
  g_assert_cmpint (json_object_get_int_member (attachment, "width"), ==, 1280);
  g_assert_cmpint (json_object_get_int_member (attachment, "height"), ==, 720);
  g_assert_cmpstr (json_object_get_string_member (attachment, "thumbnail_file_id"), ==, thumb_id);

  /* The thumbnail came with the picture: Bob reads both. */
  assert_download (server, bob->token, image_id, image);
  assert_download (server, bob->token, thumb_id, thumb);
}

static void
test_avatar (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, plain_config);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) carol = confab_test_user_new (server, "carol");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(ConfabTestClient) c = confab_test_client_new (server, carol->token, 0);
  g_autoptr(GBytes) png = confab_files_random_bytes (2000, 11);
  g_autofree char *avatar = confab_files_upload (server, alice->token, png, "me.png",
                                                 "image/png", 2000);
  g_autofree char *pdf = confab_files_upload (server, alice->token, png, "me.pdf",
                                              "application/pdf", 2000);
  g_autofree char *carols = confab_files_upload (server, carol->token, png, "c.png",
                                                 "image/png", 2000);
  g_autoptr(JsonObject) updated = NULL;

  {
    g_autoptr(ConfabFilesReply) before = get_file (server, carol->token, avatar);

    g_assert_cmpuint (before->status, ==, 404);
  }
  confab_test_client_call_error (a, "invalid", "profile_update",
                                 "{\"avatar_file_id\":\"%s\"}", pdf);
  confab_test_client_call_error (a, "not_found", "profile_update",
                                 "{\"avatar_file_id\":\"%s\"}", carols);
  updated = confab_test_client_call_ok (a, "profile_update", "{\"avatar_file_id\":\"%s\"}",
                                        avatar);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (updated, "user"),
                                                  "avatar_file_id"), ==, avatar);
  /* Every signed-in user reads an avatar; nobody without a token does. */
  assert_download (server, carol->token, avatar, png);
  {
    g_autoptr(ConfabFilesReply) anon = get_file (server, NULL, avatar);

    g_assert_cmpuint (anon->status, ==, 401);
  }
  (void) c;
}

/* --- Expiry ---------------------------------------------------------------------------------- */

typedef struct
{
  ConfabTestServer *server;
  const char       *token;
  const char       *location;
  const char       *path;
} GoneWait;

static gboolean
upload_gone (gpointer user_data)
{
  GoneWait *wait = user_data;
  g_autoptr(ConfabFilesReply) head = confab_files_request (wait->server, "HEAD", wait->location,
                                                           wait->token, NULL, NULL);

  return head->status == 404 && !g_file_test (wait->path, G_FILE_TEST_EXISTS);
}

static void
test_expiry (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (
    NULL, "[files]\nupload_expiry_s=2\n");
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(GBytes) data = confab_files_random_bytes (4000, 12);
  g_autoptr(GBytes) half = g_bytes_new_from_bytes (data, 0, 2000);
  g_autofree char *abandoned = confab_files_create (server, alice->token, 4000, NULL);
  g_autofree char *finished = NULL;
  g_autofree char *path = data_path (server, location_id (abandoned));
  g_autoptr(ConfabFilesReply) patch = confab_files_patch (server, alice->token, abandoned, 0,
                                                          half);
  g_autoptr(ConfabFilesReply) head = NULL;
  GoneWait wait = { server, alice->token, abandoned, path };

  g_assert_cmpuint (patch->status, ==, 204);
  g_assert_nonnull (confab_files_reply_header (patch, "Upload-Expires"));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  finished = confab_files_upload (server, alice->token, data, "kept.bin",
                                  "application/octet-stream", 4000);

  /* The abandoned upload goes, bytes and all; a finished file stays. */
  g_assert_true (confab_test_wait_until (upload_gone, &wait, CONFAB_TEST_TIMEOUT_MS));
  assert_download (server, alice->token, finished, data);
  head = confab_files_patch (server, alice->token, abandoned, 2000, half);
  g_assert_cmpuint (head->status, ==, 404);
}

int
main (int    argc,
      char **argv)
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/files/protocol", test_protocol);
  g_test_add_func ("/confab/files/chunked-upload", test_chunked_upload);
  g_test_add_func ("/confab/files/tls", test_tls);
  g_test_add_func ("/confab/files/client-killed", test_client_killed);
  g_test_add_func ("/confab/files/server-killed", test_server_killed);
  g_test_add_func ("/confab/files/full-disk", test_full_disk);
  g_test_add_func ("/confab/files/orphans-swept", test_orphans_swept);
  g_test_add_func ("/confab/files/offset-mismatch", test_offset_mismatch);
  g_test_add_func ("/confab/files/too-large", test_too_large);
  g_test_add_func ("/confab/files/quota", test_quota);
  g_test_add_func ("/confab/files/range-etag", test_range_etag);
  g_test_add_func ("/confab/files/hostile-names", test_hostile_names);
  g_test_add_func ("/confab/files/access", test_access);
  g_test_add_func ("/confab/files/attachments", test_attachments);
  g_test_add_func ("/confab/files/avatar", test_avatar);
  g_test_add_func ("/confab/files/expiry", test_expiry);

  return confab_test_run ();
}
