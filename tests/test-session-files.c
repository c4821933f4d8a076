/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client's files feature against the real confabd: uploads in chunks that go on from the
 * server's offset after the app stopped or the server was killed, pause, cancel, pictures with
 * their thumbnails, and downloads that go on with Range and are checked by SHA-256. */
#include "config.h"

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-engine-test-util.h"
#include "confab-files.h"
#include "confab-frame.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-session-test-util.h"
#include "confab-session.h"
#include "confab-test-util.h"
#include "confab-upload.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <string.h>

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)
#define DM "dm:alice:bob"

/* Alice and Bob, each with a session, on a server with a fixed port (a case restarts it);
 * Bob keeps the messages that reach him. */
typedef struct
{
  ConfabTestServer *server;
  ConfabClient     *alice_client;
  ConfabClient     *bob_client;
  ConfabSession    *alice;
  ConfabSession    *bob;
  GPtrArray        *inbox;
} Fixture;

static void
on_message_received (ConfabMessaging    *messaging,
                     ConfabConversation *conv,
                     ConfabMessage      *msg,
                     Fixture            *f)
{
  g_ptr_array_add (f->inbox, g_object_ref (msg));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->server = confab_test_server_new (NULL, NULL);
  f->alice_client = signed_up_client (f->server, "alice", "Alice");
  f->bob_client = signed_up_client (f->server, "bob", "Bob");
  f->alice = start_session (f->alice_client);
  f->bob = start_session (f->bob_client);
  f->inbox = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (confab_messaging_from_session (f->bob), "message-received",
                    G_CALLBACK (on_message_received), f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_signal_handlers_disconnect_by_data (confab_messaging_from_session (f->bob), f);
  g_clear_pointer (&f->alice, running_session_free);
  g_clear_pointer (&f->bob, running_session_free);
  g_clear_object (&f->alice_client);
  g_clear_object (&f->bob_client);
  g_clear_pointer (&f->inbox, g_ptr_array_unref);
  g_clear_pointer (&f->server, confab_test_server_free);
}

static ConfabFiles *
files_of (ConfabSession *session)
{
  return confab_files_from_session (session);
}

/* A file of @size random bytes; @sha256 gets its hash. */
static GFile *
random_file (const char *name,
             gsize       size,
             char      **sha256)
{
  g_autofree char *dir = confab_test_make_dir ("send");
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_random_int ();
  g_assert_true (g_file_set_contents (path, (const char *) data, size, &error));
  g_assert_no_error (error);
  *sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  return g_file_new_for_path (path);
}

static char *
file_sha256 (GFile *file)
{
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

static GPtrArray *
send_files (ConfabSession *session,
            GFile         *file,
            const char    *caption)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *uploads;

  confab_files_send_async (files_of (session), DM, &file, 1, caption, NULL, engine_test_async_cb,
                           &result);
  uploads = confab_files_send_finish (files_of (session), WAIT (result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uploads->len, ==, 1);
  return uploads;
}

static gboolean
inbox_has_message (gpointer user_data)
{
  Fixture *f = user_data;

  return f->inbox->len > 0;
}

/* The one attachment of the first message Bob got. */
static JsonObject *
received_attachment (Fixture *f)
{
  ConfabMessage *msg;
  JsonArray *attachments;

  g_assert_true (engine_test_wait (inbox_has_message, f, 60000));
  msg = g_ptr_array_index (f->inbox, 0);
  attachments = confab_message_get_attachments (msg);
  g_assert_nonnull (attachments);
  g_assert_cmpuint (json_array_get_length (attachments), ==, 1);
  return json_array_get_object_element (attachments, 0);
}

static GFile *
download (ConfabSession *session,
          JsonObject    *attachment,
          GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  confab_files_download_async (files_of (session), attachment, NULL, NULL, NULL,
                               engine_test_async_cb, &result);
  return confab_files_download_finish (files_of (session), WAIT (result), error);
}

static gboolean
uploads_empty (gpointer user_data)
{
  return g_list_model_get_n_items (confab_files_get_uploads (user_data)) == 0;
}

static guint
cached_uploads (ConfabSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) uploads = NULL;

  confab_cache_upload_list_async (confab_session_get_cache (session), NULL, engine_test_async_cb,
                                  &result);
  uploads = confab_cache_upload_list_finish (confab_session_get_cache (session), WAIT (result),
                                             NULL);
  g_assert_nonnull (uploads);
  return uploads->len;
}

/* A file goes up in chunks with its caption; Bob gets the message and downloads the same
 * bytes; a second download finds the cached file. */
static void
test_upload_download (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *sha256 = NULL;
  g_autoptr(GFile) file = random_file ("report 2026.pdf", 3 * 1024 * 1024 + 17, &sha256);
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(GFile) downloaded = NULL;
  g_autoptr(GFile) again = NULL;
  g_autofree char *got = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *attachment;
  ConfabMessage *msg;

  confab_files_set_chunk_size (files_of (f->alice), 256 * 1024);
  uploads = send_files (f->alice, file, "The report");
  g_assert_cmpstr (confab_upload_get_name (g_ptr_array_index (uploads, 0)), ==,
                   "report 2026.pdf");
  g_assert_cmpuint (confab_upload_get_size (g_ptr_array_index (uploads, 0)), ==,
                    3 * 1024 * 1024 + 17);

  attachment = received_attachment (f);
  msg = g_ptr_array_index (f->inbox, 0);
  g_assert_cmpstr (confab_message_get_body (msg), ==, "The report");
  g_assert_cmpstr (confab_json_get_string (attachment, "name"), ==, "report 2026.pdf");
  g_assert_cmpstr (confab_json_get_string (attachment, "sha256"), ==, sha256);
  g_assert_cmpint (confab_json_get_int_or (attachment, "size", 0), ==, 3 * 1024 * 1024 + 17);
  g_assert_null (confab_json_get_string (attachment, "thumbnail_file_id"));
  g_assert_true (engine_test_wait (uploads_empty, files_of (f->alice), ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (cached_uploads (f->alice), ==, 0);

  downloaded = download (f->bob, attachment, &error);
  g_assert_no_error (error);
  got = file_sha256 (downloaded);
  g_assert_cmpstr (got, ==, sha256);
  g_assert_true (g_str_has_suffix (g_file_peek_path (downloaded), sha256));
  again = download (f->bob, attachment, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_equal (again, downloaded));
}

/* A picture gets a thumbnail of 640 px on its long side, its aspect kept, uploaded first;
 * the Attachment names it with the picture's size. */
static void
test_picture_thumbnail (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *dir = confab_test_make_dir ("picture");
  g_autofree char *path = g_build_filename (dir, "whiteboard.png", NULL);
  g_autoptr(GdkPixbuf) picture = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 1600, 900);
  g_autoptr(GdkPixbuf) thumbnail = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(GFile) thumb_file = NULL;
  g_autoptr(JsonObject) thumb = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *attachment;

  gdk_pixbuf_fill (picture, 0x3366ccff);
  g_assert_true (gdk_pixbuf_save (picture, path, "png", &error, NULL));
  uploads = send_files (f->alice, file, "");
  g_assert_cmpstr (confab_upload_get_mime (g_ptr_array_index (uploads, 0)), ==, "image/png");

  attachment = received_attachment (f);
  g_assert_cmpstr (confab_message_get_body (g_ptr_array_index (f->inbox, 0)), ==, "");
  g_assert_cmpint (confab_json_get_int_or (attachment, "width", 0), ==, 1600);
  g_assert_cmpint (confab_json_get_int_or (attachment, "height", 0), ==, 900);
  g_assert_cmpstr (confab_json_get_string (attachment, "mime"), ==, "image/png");
  g_assert_nonnull (confab_json_get_string (attachment, "thumbnail_file_id"));

  json_object_set_string_member (thumb, "file_id",
                                 confab_json_get_string (attachment, "thumbnail_file_id"));
  thumb_file = download (f->bob, thumb, &error);
  g_assert_no_error (error);
  thumbnail = gdk_pixbuf_new_from_file (g_file_peek_path (thumb_file), &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_pixbuf_get_width (thumbnail), ==, 640);
  g_assert_cmpint (gdk_pixbuf_get_height (thumbnail), ==, 360);
}

typedef struct
{
  guint64  at_least;
  gboolean reached;
  guint64  first_seen;   /* the first offset notified, or G_MAXUINT64 */
  ConfabTestServer *kill;
} OffsetWatch;

static void
on_offset (ConfabUpload *upload,
           GParamSpec   *pspec,
           OffsetWatch  *watch)
{
  guint64 offset = confab_upload_get_offset (upload);

  if (watch->first_seen == G_MAXUINT64)
    watch->first_seen = offset;
  if (offset >= watch->at_least && !watch->reached)
    {
      watch->reached = TRUE;
      if (watch->kill != NULL)
        confab_test_server_kill (watch->kill);
    }
}

/* The app stops in the middle of an upload; the next start reads the tus URL from the cache,
 * asks the server's offset and goes on from there, not from the start. */
static void
test_resume_after_restart (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *sha256 = NULL;
  g_autoptr(GFile) file = random_file ("drawing.bin", 2 * 1024 * 1024, &sha256);
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(GFile) downloaded = NULL;
  g_autofree char *got = NULL;
  g_autoptr(GError) error = NULL;
  OffsetWatch watch = { 512 * 1024, FALSE, G_MAXUINT64, NULL };
  OffsetWatch resumed = { 0, FALSE, G_MAXUINT64, NULL };
  guint64 from_cache;
  ConfabUpload *upload;
  JsonObject *attachment;

  confab_files_set_chunk_size (files_of (f->alice), 64 * 1024);
  uploads = send_files (f->alice, file, "Resumed");
  upload = g_ptr_array_index (uploads, 0);
  g_signal_connect (upload, "notify::offset", G_CALLBACK (on_offset), &watch);
  g_assert_true (engine_test_wait_flag (&watch.reached, ENGINE_TEST_TIMEOUT_MS));
  /* The app goes away in the middle. */
  g_signal_handlers_disconnect_by_data (upload, &watch);
  g_clear_pointer (&f->alice, running_session_free);
  g_assert_cmpuint (f->inbox->len, ==, 0);

  f->alice = start_session (f->alice_client);
  g_assert_cmpuint (g_list_model_get_n_items (confab_files_get_uploads (files_of (f->alice))),
                    ==, 1);
  upload = g_list_model_get_item (confab_files_get_uploads (files_of (f->alice)), 0);
  g_object_unref (upload);   /* the model keeps it */
  /* The cache kept the offset of the last PATCH the server answered. */
  from_cache = confab_upload_get_offset (upload);
  g_assert_cmpuint (from_cache, >, 0);
  g_signal_connect (upload, "notify::offset", G_CALLBACK (on_offset), &resumed);

  attachment = received_attachment (f);
  g_assert_cmpstr (confab_json_get_string (attachment, "sha256"), ==, sha256);
  /* It went on from the server's offset (HEAD), not from the start. */
  g_assert_cmpuint (resumed.first_seen, >=, from_cache);
  g_assert_cmpuint (resumed.first_seen, <, 2 * 1024 * 1024);
  downloaded = download (f->bob, attachment, &error);
  g_assert_no_error (error);
  got = file_sha256 (downloaded);
  g_assert_cmpstr (got, ==, sha256);
  g_assert_true (engine_test_wait (uploads_empty, files_of (f->alice),
                                   ENGINE_TEST_TIMEOUT_MS));
}

/* confabd is killed (SIGKILL) in the middle of an upload and started again: the upload waits,
 * then goes on from the offset the server synced, and the file arrives byte for byte. */
static void
test_server_killed (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *sha256 = NULL;
  g_autoptr(GFile) file = random_file ("minutes.odt", 2 * 1024 * 1024 + 5, &sha256);
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(GFile) downloaded = NULL;
  g_autofree char *got = NULL;
  g_autoptr(GError) error = NULL;
  OffsetWatch watch = { 700 * 1024, FALSE, G_MAXUINT64, f->server };
  ConfabUpload *upload;
  JsonObject *attachment;

  confab_files_set_chunk_size (files_of (f->alice), 64 * 1024);
  uploads = send_files (f->alice, file, "");
  upload = g_ptr_array_index (uploads, 0);
  g_signal_connect (upload, "notify::offset", G_CALLBACK (on_offset), &watch);
  g_assert_true (engine_test_wait_flag (&watch.reached, ENGINE_TEST_TIMEOUT_MS));
  g_signal_handlers_disconnect_by_data (upload, &watch);
  g_assert_false (confab_test_server_is_running (f->server));
  confab_test_server_start (f->server);

  attachment = received_attachment (f);
  g_assert_cmpstr (confab_json_get_string (attachment, "sha256"), ==, sha256);
  g_assert_cmpint (confab_json_get_int_or (attachment, "size", 0), ==, 2 * 1024 * 1024 + 5);
  downloaded = download (f->bob, attachment, &error);
  g_assert_no_error (error);
  got = file_sha256 (downloaded);
  g_assert_cmpstr (got, ==, sha256);
}

static gboolean
upload_in_state (gpointer user_data)
{
  ConfabUpload *upload = user_data;

  return confab_upload_get_state (upload)
         == GPOINTER_TO_INT (g_object_get_data (G_OBJECT (upload), "wanted"));
}

static void
wait_state (ConfabUpload      *upload,
            ConfabUploadState  state)
{
  g_object_set_data (G_OBJECT (upload), "wanted", GINT_TO_POINTER (state));
  g_assert_true (engine_test_wait (upload_in_state, upload, ENGINE_TEST_TIMEOUT_MS));
}

/* Pause stops the bytes and resume goes on; cancel forgets the upload here and on the server. */
static void
test_pause_cancel (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *sha256 = NULL;
  g_autofree char *other_sha256 = NULL;
  g_autoptr(GFile) file = random_file ("slides.pdf", 2 * 1024 * 1024, &sha256);
  g_autoptr(GFile) other = random_file ("draft.pdf", 2 * 1024 * 1024, &other_sha256);
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(GPtrArray) cancelled = NULL;
  OffsetWatch watch = { 256 * 1024, FALSE, G_MAXUINT64, NULL };
  ConfabUpload *upload;
  JsonObject *attachment;
  guint64 paused_at;

  confab_files_set_chunk_size (files_of (f->alice), 64 * 1024);
  uploads = send_files (f->alice, file, "Slides");
  upload = g_ptr_array_index (uploads, 0);
  g_signal_connect (upload, "notify::offset", G_CALLBACK (on_offset), &watch);
  g_assert_true (engine_test_wait_flag (&watch.reached, ENGINE_TEST_TIMEOUT_MS));
  g_signal_handlers_disconnect_by_data (upload, &watch);

  confab_files_pause (files_of (f->alice), upload);
  wait_state (upload, CONFAB_UPLOAD_PAUSED);
  g_assert_cmpfloat (confab_upload_get_speed (upload), ==, 0);
  paused_at = confab_upload_get_offset (upload);
  engine_test_run_for (300);
  g_assert_cmpuint (f->inbox->len, ==, 0);

  /* While it is paused, another file goes first; cancelled, it is gone. */
  cancelled = send_files (f->alice, other, "");
  confab_files_cancel (files_of (f->alice), g_ptr_array_index (cancelled, 0));
  g_assert_cmpuint (g_list_model_get_n_items (confab_files_get_uploads (files_of (f->alice))), ==,
                    1);
  g_assert_cmpuint (confab_upload_get_offset (upload), ==, paused_at);

  confab_files_resume (files_of (f->alice), upload);
  attachment = received_attachment (f);
  g_assert_cmpstr (confab_json_get_string (attachment, "sha256"), ==, sha256);
  g_assert_true (engine_test_wait (uploads_empty, files_of (f->alice), ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (cached_uploads (f->alice), ==, 0);
  engine_test_run_for (200);
  g_assert_cmpuint (f->inbox->len, ==, 1);
}

typedef struct
{
  goffset first;
  goffset last;
} Progress;

static void
on_progress (goffset  current,
             goffset  total,
             gpointer user_data)
{
  Progress *progress = user_data;

  if (progress->first < 0)
    progress->first = current;
  progress->last = current;
}

/* A download that stopped goes on with Range from the bytes in its part file; a part that is
 * not the file's beginning is caught by the SHA-256 and thrown away. */
static void
test_download_range_resume (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *sha256 = NULL;
  g_autoptr(GFile) file = random_file ("archive.zip", 1024 * 1024 + 3, &sha256);
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(GFile) target = NULL;
  g_autoptr(GFile) downloaded = NULL;
  g_autoptr(GFile) damaged = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *part_path = NULL;
  g_autofree char *part_dir = NULL;
  g_autofree char *got = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Progress progress = { -1, -1 };
  JsonObject *attachment;
  gsize length;

  uploads = send_files (f->alice, file, "");
  attachment = received_attachment (f);

  /* A part file holding a wrong first half: the result does not match, nothing is kept. */
  target = confab_files_get_cached_file (attachment);
  part_path = g_strconcat (g_file_peek_path (target), ".part", NULL);
  g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
  part_dir = g_path_get_dirname (part_path);
  g_assert_true (g_mkdir_with_parents (part_dir, 0700) == 0);
  contents[0] ^= 0x55;
  g_assert_true (g_file_set_contents (part_path, contents, length / 2, NULL));
  damaged = download (f->bob, attachment, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_null (damaged);
  g_assert_false (g_file_test (part_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_query_exists (target, NULL));
  g_clear_error (&error);

  /* The right first half: only the rest comes over the network. */
  contents[0] ^= 0x55;
  g_assert_true (g_file_set_contents (part_path, contents, length / 2, NULL));
  confab_files_download_async (files_of (f->bob), attachment, on_progress, &progress, NULL,
                               engine_test_async_cb, &result);
  downloaded = confab_files_download_finish (files_of (f->bob), WAIT (result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (progress.first, >, (goffset) (length / 2));
  g_assert_cmpint (progress.last, ==, (goffset) length);
  got = file_sha256 (downloaded);
  g_assert_cmpstr (got, ==, sha256);
  g_assert_false (g_file_test (part_path, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  confab_test_init (&argc, &argv);

  g_test_add ("/confab/session/files/upload-download", Fixture, NULL,
              fixture_set_up, test_upload_download, fixture_tear_down);
  g_test_add ("/confab/session/files/picture-thumbnail", Fixture, NULL,
              fixture_set_up, test_picture_thumbnail, fixture_tear_down);
  g_test_add ("/confab/session/files/resume-after-restart", Fixture, NULL,
              fixture_set_up, test_resume_after_restart, fixture_tear_down);
  g_test_add ("/confab/session/files/server-killed", Fixture, NULL,
              fixture_set_up, test_server_killed, fixture_tear_down);
  g_test_add ("/confab/session/files/pause-cancel", Fixture, NULL,
              fixture_set_up, test_pause_cancel, fixture_tear_down);
  g_test_add ("/confab/session/files/download-range-resume", Fixture, NULL,
              fixture_set_up, test_download_range_resume, fixture_tear_down);

  return confab_test_run ();
}
