/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-files-test-util.h"
#include "confab-fs.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

/* Backups against the real confabd: POST /v1/admin/backup taken while messages keep coming,
 * the copy checked with PRAGMA integrity_check and for every message acknowledged before the
 * backup started, then restored as docs/admin.md says (stop, copy back, start) and served;
 * the uploads with it; who may ask, bad bodies, the configured directory, the audit entry. */

#define T CONFAB_TEST_TIMEOUT_MS

#define CONFIG \
  "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n" \
  "[limits]\nmessages_per_minute=0\n"

#define N_BEFORE 300    /* sent and acknowledged before the load */
#define N_WARM   2000   /* acknowledged under the load before the backup is asked for */
#define WINDOW   64     /* sends the load keeps in flight */

typedef struct
{
  ConfabTestServer *server;
  ConfabTestUser   *alice;      /* the first account: admin */
  ConfabTestUser   *bob;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = confab_test_server_new (NULL, data != NULL ? data : CONFIG);
  f->alice = confab_test_user_new (f->server, "alice");
  f->bob = confab_test_user_new (f->server, "bob");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  confab_test_user_free (f->alice);
  confab_test_user_free (f->bob);
  confab_test_server_free (f->server);
}

/* --- The write load --------------------------------------------------------------------------- */

typedef struct
{
  ConfabTestClient *client;
  GPtrArray        *in_flight;  /* request ids */
  GHashTable       *acked;      /* message ids (gint64 *), acknowledged so far */
  guint             next;
  gboolean          running;    /* the pump keeps WINDOW sends in flight */
} Load;

static void
load_send (Load *load,
           guint n)
{
  /* Long enough bodies that the database spans more than one step of the copy. */
  g_autofree char *filler = g_strnfill (600, 'x');

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (load->in_flight,
                     confab_test_client_send (load->client, "send",
                                              "{\"conv\":\"dm:alice:bob\",\"client_msg_id\":"
                                              "\"load-%u\",\"body\":\"message %u %s\"}",
                                              load->next + i, load->next + i, filler));
  load->next += n;
}

/* Takes in the responses that arrived; returns how many are still awaited. */
static guint
load_collect (Load *load)
{
  for (guint i = 0; i < load->in_flight->len;)
    {
      const char *id = g_ptr_array_index (load->in_flight, i);
      g_autoptr(JsonObject) response = NULL;
      gint64 msg_id;

      if (confab_test_client_count_responses (load->client, id) == 0)
        {
          i++;
          continue;
        }
      response = confab_test_client_wait_response (load->client, id, 0);
      msg_id = json_object_get_int_member (
        json_object_get_object_member (confab_test_assert_ok (response), "msg"), "id");
      g_hash_table_add (load->acked, g_memdup2 (&msg_id, sizeof msg_id));
      g_ptr_array_remove_index_fast (load->in_flight, i);
    }
  return load->in_flight->len;
}

/* Runs from the main loop, also while the test waits for an HTTP answer: the load goes on. */
static gboolean
load_pump (gpointer user_data)
{
  Load *load = user_data;

  load_collect (load);
  if (load->running && load->in_flight->len < WINDOW)
    load_send (load, WINDOW - load->in_flight->len);
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  Load  *load;
  guint  wanted;
} LoadWait;

static gboolean
load_acked_enough (gpointer user_data)
{
  LoadWait *wait = user_data;

  load_collect (wait->load);
  return g_hash_table_size (wait->load->acked) >= wait->wanted;
}

static void
load_wait_acked (Load  *load,
                 guint  wanted)
{
  LoadWait wait = { load, wanted };

  if (!confab_test_wait_until (load_acked_enough, &wait, T * 6))
    g_error ("%u of %u messages acknowledged; the connection is %s",
             g_hash_table_size (load->acked), wanted,
             confab_test_client_is_open (load->client) ? "open" : "closed");
}

/* --- Helpers ---------------------------------------------------------------------------------- */

static JsonObject *
backup_ok (Fixture *f)
{
  JsonObject *reply = NULL;

  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/backup", f->alice->token,
                                      NULL, &reply, NULL), ==, 201);
  g_assert_nonnull (reply);
  return reply;
}

static char *
read_text (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return text;
}

static gboolean
has_message (sqlite3 *db,
             gint64   msg_id)
{
  sqlite3_stmt *stmt = NULL;
  gboolean found;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT 1 FROM messages WHERE id = ?", -1, &stmt,
                                       NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, msg_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  return found;
}

/* cp -a, as the restore in docs/admin.md does it. */
static void
copy_tree (const char *from,
           const char *to)
{
  const char *argv[] = { "cp", "-a", from, to, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static GBytes *
read_file (const char *path)
{
  char *contents = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  return g_bytes_new_take (contents, length);
}

static GBytes *
download (Fixture    *f,
          const char *file_id)
{
  g_autofree char *path = g_strconcat ("/v1/files/", file_id, NULL);
  g_autoptr(ConfabFilesReply) reply = confab_files_request (f->server, "GET", path,
                                                            f->alice->token, NULL, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
  return g_bytes_ref (reply->body);
}

/* --- Tests ------------------------------------------------------------------------------------ */

static void
test_under_load (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) picture = confab_files_random_bytes (300000, 7);
  g_autoptr(GBytes) part = confab_files_random_bytes (40000, 8);
  g_autofree char *file_id = NULL;
  g_autofree char *location = NULL;
  g_autoptr(ConfabFilesReply) patched = NULL;
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(JsonObject) backup = NULL;
  g_autoptr(JsonObject) audit = NULL;
  g_autoptr(GBytes) copied = NULL;
  g_autofree char *integrity = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *copied_path = NULL;
  g_autofree char *partial_path = NULL;
  g_autofree char *partial_copy = NULL;
  gsize partial_length = 0;
  const char *data_dir = confab_test_server_get_data_dir (f->server);
  Load load = { 0 };
  GHashTableIter iter;
  gpointer key;
  sqlite3 *db = NULL;
  guint acked_during;
  guint pump;
  gint64 in_backup = 0;
  JsonObject *entry;

  /* Uploads: one whole, one a part of the way. */
  file_id = confab_files_upload (f->server, f->alice->token, picture, "p.bin",
                                 "application/octet-stream", 65536);
  location = confab_files_create (f->server, f->alice->token, 100000, NULL);
  patched = confab_files_patch (f->server, f->alice->token, location, 0, part);
  g_assert_cmpuint (patched->status, ==, 204);

  client = confab_test_client_new (f->server, f->alice->token, 0);
  load.client = client;
  load.in_flight = g_ptr_array_new_with_free_func (g_free);
  load.acked = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  load_send (&load, N_BEFORE);
  load_wait_acked (&load, N_BEFORE);

  /* The load: sends kept in flight, answered while the backup is taken. The messages
   * acknowledged before the request for the backup are the ones it must hold. */
  load.running = TRUE;
  pump = g_timeout_add (1, load_pump, &load);
  load_wait_acked (&load, N_BEFORE + N_WARM);
  load_collect (&load);
  before = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, load.acked);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_add (before, g_memdup2 (key, sizeof (gint64)));
  /* Sends in flight as the backup is asked for, whatever the pump had answered by now. */
  if (load.in_flight->len < WINDOW)
    load_send (&load, WINDOW - load.in_flight->len);

  backup = backup_ok (f);

  load_collect (&load);
  acked_during = g_hash_table_size (load.acked) - g_hash_table_size (before);
  load.running = FALSE;
  load_wait_acked (&load, g_hash_table_size (load.acked) + load.in_flight->len);
  g_source_remove (pump);
  g_test_message ("%u messages acknowledged before the backup, %u while it was taken, "
                  "%u in all", g_hash_table_size (before), acked_during,
                  g_hash_table_size (load.acked));

  g_assert_true (g_str_has_prefix (json_object_get_string_member (backup, "path"), data_dir));
  g_assert_cmpint (json_object_get_int_member (backup, "files"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (backup, "missing_files"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (backup, "size"), >, N_BEFORE * 600);
  g_assert_cmpint (json_object_get_int_member (backup, "ts"), >, 0);
  g_assert_true (g_file_test (json_object_get_string_member (backup, "path"),
                              G_FILE_TEST_IS_DIR));

  /* The copy: sound, and with every acknowledged message of before. */
  db_path = g_build_filename (json_object_get_string_member (backup, "path"), "confab.db", NULL);
  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  integrity = read_text (db, "PRAGMA integrity_check");
  g_assert_cmpstr (integrity, ==, "ok");
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_assert_true (has_message (db, *(gint64 *) key));
  g_hash_table_iter_init (&iter, load.acked);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    in_backup += has_message (db, *(gint64 *) key);
  g_test_message ("the backup holds %" G_GINT64_FORMAT " of the %u messages", in_backup,
                  g_hash_table_size (load.acked));
  sqlite3_close (db);

  /* The uploads: the whole one as it is, the unfinished one as far as it had come. */
  copied_path = g_build_filename (json_object_get_string_member (backup, "path"), "files",
                                  (char[]) { file_id[0], file_id[1], '\0' }, file_id, NULL);
  copied = read_file (copied_path);
  g_assert_true (g_bytes_equal (copied, picture));
  partial_path = g_build_filename (json_object_get_string_member (backup, "path"), "files",
                                   (char[]) { location[10], location[11], '\0' },
                                   location + strlen ("/v1/files/"), NULL);
  g_assert_true (g_file_get_contents (partial_path, &partial_copy, &partial_length, NULL));
  g_assert_cmpuint (partial_length, ==, 40000);

  /* Downloaded as an archive, it unpacks to the same files. */
  {
    g_autofree char *path = g_strconcat ("/v1/admin/backups/",
                                         json_object_get_string_member (backup, "name"), NULL);
    g_autoptr(ConfabFilesReply) tar = confab_files_request (f->server, "GET", path,
                                                            f->alice->token, NULL, NULL);
    g_autofree char *dir = confab_test_make_dir ("unpacked");
    g_autofree char *archive = g_build_filename (dir, "backup.tar", NULL);
    g_autofree char *unpacked = g_build_filename (dir,
                                                  json_object_get_string_member (backup, "name"),
                                                  "files",
                                                  (char[]) { file_id[0], file_id[1], '\0' },
                                                  file_id, NULL);
    g_autoptr(GBytes) again = NULL;
    const char *argv[] = { "tar", "-xf", archive, "-C", dir, NULL };
    int wait_status = 0;

    g_assert_cmpuint (tar->status, ==, 200);
    g_assert_true (g_file_set_contents (archive, g_bytes_get_data (tar->body, NULL),
                                        g_bytes_get_size (tar->body), NULL));
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                 NULL, NULL, &wait_status, NULL));
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
    again = read_file (unpacked);
    g_assert_true (g_bytes_equal (again, picture));
  }

  /* The audit log names it. */
  g_assert_cmpuint (confab_test_http (f->server, "GET", "/v1/admin/audit?action=backup",
                                      f->alice->token, NULL, &audit, NULL), ==, 200);
  entry = json_array_get_object_element (json_object_get_array_member (audit, "entries"), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==,
                   json_object_get_string_member (backup, "name"));
  g_clear_pointer (&client, confab_test_client_free);

  /* Restore: stop, put the backup's database and files in place, start. */
  confab_test_server_stop (f->server);
  {
    const char *names[] = { "confab.db", "confab.db-wal", "confab.db-shm", NULL };
    g_autofree char *files = g_build_filename (data_dir, "files", NULL);
    g_autofree char *from_db = g_build_filename (json_object_get_string_member (backup, "path"),
                                                 "confab.db", NULL);
    g_autofree char *from_files = g_build_filename (
      json_object_get_string_member (backup, "path"), "files", NULL);

    for (guint i = 0; names[i] != NULL; i++)
      {
        g_autofree char *path = g_build_filename (data_dir, names[i], NULL);

        g_unlink (path);
      }
    g_assert_true (confab_fs_remove_tree (files));
    copy_tree (from_db, data_dir);
    copy_tree (from_files, data_dir);
  }
  confab_test_server_start (f->server);

  /* The restored server serves every message acknowledged before the backup. */
  client = confab_test_client_new (f->server, f->alice->token, 0);
  {
    g_autoptr(GHashTable) served = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                          NULL);
    gint64 oldest = 0;

    for (;;)
      {
        g_autoptr(JsonObject) page = NULL;
        JsonArray *messages;

        if (oldest == 0)
          page = confab_test_client_call_ok (client, "history",
                                             "{\"conv\":\"dm:alice:bob\",\"limit\":200}");
        else
          page = confab_test_client_call_ok (client, "history",
                                             "{\"conv\":\"dm:alice:bob\",\"limit\":200,"
                                             "\"before\":%" G_GINT64_FORMAT "}", oldest);
        messages = json_object_get_array_member (page, "messages");
        for (guint i = 0; i < json_array_get_length (messages); i++)
          {
            gint64 id = json_object_get_int_member (json_array_get_object_element (messages, i),
                                                    "id");

            g_hash_table_add (served, g_memdup2 (&id, sizeof id));
          }
        if (json_array_get_length (messages) == 0
            || !json_object_get_boolean_member (page, "has_more"))
          break;
        oldest = json_object_get_int_member (json_array_get_object_element (messages, 0), "id");
      }
    g_assert_cmpint (g_hash_table_size (served), ==, in_backup);
    g_hash_table_iter_init (&iter, before);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_assert_true (g_hash_table_contains (served, key));
  }
  g_bytes_unref (copied);
  copied = download (f, file_id);
  g_assert_true (g_bytes_equal (copied, picture));
  g_assert_cmpint (confab_files_head_offset (f->server, f->alice->token, location), ==, 40000);

  g_ptr_array_unref (load.in_flight);
  g_hash_table_unref (load.acked);
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (handle != NULL && g_dir_read_name (handle) != NULL)
    n++;
  return n;
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (confab_test_server_get_data_dir (f->server),
                                           "backups", NULL);
  const char *bodies[] = {
    "{\"path\":\"/tmp/elsewhere\"}", "{\"name\":\"../../etc\"}", "not json", "[]", NULL
  };
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;

  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/backup", NULL, NULL, &reply,
                                      NULL), ==, 401);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/backup", f->bob->token,
                                      NULL, &reply, NULL), ==, 403);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "forbidden");
  for (guint i = 0; bodies[i] != NULL; i++)
    {
      g_clear_pointer (&reply, json_object_unref);
      g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/backup", f->alice->token,
                                          bodies[i], &reply, NULL), ==, 400);
      g_assert_cmpstr (confab_test_error_code (reply), ==, "bad_request");
    }
  g_assert_cmpuint (count_entries (dir), ==, 0);

  /* Downloads: names of the server's form only, of complete backups, for administrators. */
  {
    const char *paths[] = {
      "/v1/admin/backups/", "/v1/admin/backups/20260101T000000Z",
      "/v1/admin/backups/20260101T000000Z.partial", "/v1/admin/backups/..%2F..%2Fconfab.db",
      "/v1/admin/backups/%2Fetc", "/v1/admin/backups/20260101T000000Z-", NULL
    };
    g_autofree char *partial = g_build_filename (dir, "20260101T000000Z.partial", NULL);

    g_assert_cmpint (g_mkdir_with_parents (partial, 0700), ==, 0);
    for (guint i = 0; paths[i] != NULL; i++)
      {
        guint status;

        g_clear_pointer (&reply, json_object_unref);
        g_test_message ("GET %s", paths[i]);
        status = confab_test_http (f->server, "GET", paths[i], f->alice->token, NULL, &reply,
                                   NULL);

        /* libsoup refuses a path with an escaped slash (400) before any route sees it. */
        if (status == 400)
          g_assert_nonnull (strchr (paths[i], '%'));
        else
          {
            g_assert_cmpuint (status, ==, 404);
            g_assert_cmpstr (confab_test_error_code (reply), ==, "not_found");
          }
      }
    g_assert_cmpint (g_rmdir (partial), ==, 0);
  }

  /* {} is no parameter at all; two backups in one second get two names. */
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_http (f->server, "POST", "/v1/admin/backup", f->alice->token,
                                      "{}", &first, NULL), ==, 201);
  second = backup_ok (f);
  g_assert_cmpstr (json_object_get_string_member (first, "name"), !=,
                   json_object_get_string_member (second, "name"));
  g_assert_cmpuint (count_entries (dir), ==, 2);
  {
    g_autofree char *path = g_strconcat ("/v1/admin/backups/",
                                         json_object_get_string_member (first, "name"), NULL);
    g_autofree char *member = g_strconcat (json_object_get_string_member (first, "name"),
                                           "/confab.db", NULL);
    g_autoptr(ConfabFilesReply) tar = NULL;
    const char *bytes;
    gsize size;

    g_clear_pointer (&reply, json_object_unref);
    g_assert_cmpuint (confab_test_http (f->server, "GET", path, f->bob->token, NULL, &reply,
                                        NULL), ==, 403);
    tar = confab_files_request (f->server, "GET", path, f->alice->token, NULL, NULL);
    g_assert_cmpuint (tar->status, ==, 200);
    g_assert_cmpstr (confab_files_reply_header (tar, "Content-Type"), ==, "application/x-tar");
    /* ustar: the database is the first member, and the archive is whole blocks. */
    bytes = g_bytes_get_data (tar->body, &size);
    g_assert_cmpuint (size % 512, ==, 0);
    g_assert_cmpuint (size, >=, 3 * 512);
    g_assert_cmpstr (bytes, ==, member);
    g_assert_cmpmem (bytes + 257, 6, "ustar", 6);
  }
  confab_test_server_assert_running (f->server);
}

static void
test_configured_dir (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *dir = g_build_filename (confab_test_get_tmp_dir (), "backups-elsewhere", NULL);
  g_autofree char *config = g_strdup_printf (CONFIG "[server]\nbackup_dir=%s\n", dir);
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *expected = NULL;

  confab_test_server_stop (f->server);
  confab_test_server_set_config (f->server, config);
  confab_test_server_start (f->server);

  reply = backup_ok (f);
  expected = g_build_filename (dir, json_object_get_string_member (reply, "name"), NULL);
  g_assert_cmpstr (json_object_get_string_member (reply, "path"), ==, expected);
  g_assert_true (g_file_test (expected, G_FILE_TEST_IS_DIR));
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add ("/confab/backup/under-load", Fixture, NULL, fixture_setup, test_under_load,
              fixture_teardown);
  g_test_add ("/confab/backup/refused", Fixture, NULL, fixture_setup, test_refused,
              fixture_teardown);
  g_test_add ("/confab/backup/configured-dir", Fixture, NULL, fixture_setup,
              test_configured_dir, fixture_teardown);

  return confab_test_run ();
}
