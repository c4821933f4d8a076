/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-accounts.h"
#include "confab-broadcast.h"
#include "confab-contacts.h"
#include "confab-file-store.h"
#include "confab-files.h"
#include "confab-ldap.h"
#include "confab-messages.h"
#include "confab-server-module.h"
#include "confab-presence.h"
#include "confab-profiles.h"
#include "confab-rooms.h"
#include "confab-sqlite-store.h"
#include "confab-error.h"
#include "confab-frame.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

/* The store suite: the modules' operations (their rules) and the store's own (units of work,
 * batches, the event stream) on a real store, without the network. It runs on any backend:
 * what it needs of one is in "The backend" below, the only place that names it. */

#define TIMEOUT_SECONDS 20
#define SCHEMA_VERSION  11  /* the newest migration of the SQLite backend */

typedef struct
{
  char         *dir;
  char         *path;      /* the SQLite backend's database */
  ConfabStore  *store;
  GPtrArray    *results;   /* of GAsyncResult, in completion order */
} Fixture;

/* --- The backend ------------------------------------------------------------------------------
 *
 * The factory that opens the store under test on the fixture's private directory, and the few
 * ways the tests look behind the store's interfaces: the backend's own query language for
 * checks, its retention, its search index check. Only SQLite exists; another backend answers
 * these for itself, and tests about one backend's files register under its name (main ()). */

static ConfabStore *
backend_open (Fixture  *f,
              GError  **error)
{
  return CONFAB_STORE (confab_sqlite_store_new (f->path, error));
}

static gint64 sql_int  (Fixture    *f,
                        const char *sql);
static void   sql_exec (Fixture    *f,
                        const char *sql);

static void
backend_check_search_index (Fixture *f)
{
  sql_exec (f, "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
}

static void
fixture_open (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->store = backend_open (f, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
fixture_close (Fixture *f)
{
  confab_store_close (f->store);
  g_clear_object (&f->store);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("confab-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "confab.db", NULL);
  f->results = g_ptr_array_new_with_free_func (g_object_unref);
  fixture_open (f);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->store != NULL)
    fixture_close (f);
  g_ptr_array_unref (f->results);
  remove_dir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->results, g_object_ref (result));
}

/* Keeps the newest @per_user_cap events per user, none older than @days, starting now;
 * completes through done_cb. */
static void
backend_prune (Fixture *f,
               guint    days,
               guint    per_user_cap)
{
  confab_sqlite_store_set_retention (CONFAB_SQLITE_STORE (f->store), days, per_user_cap);
  confab_sqlite_store_prune_async (CONFAB_SQLITE_STORE (f->store), NULL, done_cb, f);
}

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until @n results arrived, with a deadline. */
static void
wait_results (Fixture *f,
              guint    n)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add_seconds (TIMEOUT_SECONDS, timeout_cb, &timed_out);

  while (f->results->len < n && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
}

static ConfabStoreReply *
take_reply (Fixture  *f,
            guint     index,
            GError  **error)
{
  return confab_store_finish (f->store, g_ptr_array_index (f->results, index), error);
}

/* The reply of the one operation in flight, which must succeed. */
static ConfabStoreReply *
wait_ok (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  ConfabStoreReply *reply;

  wait_results (f, 1);
  g_assert_cmpuint (f->results->len, ==, 1);
  reply = take_reply (f, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_nonnull (confab_store_reply_get_result (reply));
  g_assert_nonnull (reply->events);
  g_ptr_array_set_size (f->results, 0);
  return reply;
}

static void
wait_error (Fixture             *f,
            ConfabProtocolError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = NULL;

  wait_results (f, 1);
  reply = take_reply (f, 0, &error);
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, (gint) code);
  g_assert_null (reply);
  g_ptr_array_set_size (f->results, 0);
}

/* --- Helpers built on the operations ---------------------------------------------------------- */

static void
create_user (Fixture    *f,
             const char *username)
{
  g_autoptr(ConfabStoreReply) reply = NULL;

  confab_accounts_user_create_async (f->store, username, "hash", NULL, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 0);
}

static JsonObject *
parse_frame (ConfabStoreEvent *event)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (event->frame, &size);
  JsonObject *frame = confab_frame_parse (data, size, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (frame, "type"), ==, "event");
  g_assert_cmpstr (json_object_get_string_member (frame, "event"), ==, event->name);
  g_assert_cmpint (json_object_get_int_member (frame, "seq"), ==, event->seq);
  return frame;
}

static gboolean
strv_has (GStrv       strv,
          const char *s)
{
  return g_strv_contains ((const char * const *) strv, s);
}

static JsonObject *
send_full (Fixture    *f,
           const char *from,
           const char *conv,
           const char *client_msg_id,
           const char *body,
           gint64      reply_to)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  JsonObject *msg;

  confab_messages_send_async (f->store, from, conv, client_msg_id, body,
                              CONFAB_MESSAGE_FORMAT_PLAIN, reply_to, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  msg = json_object_get_object_member (confab_store_reply_get_result (reply), "msg");
  g_assert_nonnull (msg);
  return json_object_ref (msg);
}

static gint64
send (Fixture    *f,
      const char *from,
      const char *conv,
      const char *body)
{
  g_autofree char *client_msg_id = g_uuid_string_random ();
  g_autoptr(JsonObject) msg = send_full (f, from, conv, client_msg_id, body, 0);

  return json_object_get_int_member (msg, "id");
}

static ConfabStoreReply *
history (Fixture    *f,
         const char *user,
         const char *conv,
         gint64      before,
         gint64      after,
         guint       limit)
{
  confab_messages_history_async (f->store, user, conv, before, after, limit, NULL, done_cb, f);
  return wait_ok (f);
}

static JsonObject *
history_message (Fixture    *f,
                 const char *user,
                 const char *conv,
                 gint64      id)
{
  g_autoptr(ConfabStoreReply) reply = history (f, user, conv, id + 1, id - 1, 1);
  JsonArray *messages = json_object_get_array_member (confab_store_reply_get_result (reply), "messages");

  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  return json_object_ref (json_array_get_object_element (messages, 0));
}

static guint
search_count (Fixture    *f,
              const char *user,
              const char *query,
              const char *conv)
{
  g_autoptr(ConfabStoreReply) reply = NULL;

  confab_messages_search_async (f->store, user, query, conv, 0, NULL, done_cb, f);
  reply = wait_ok (f);
  return json_array_get_length (json_object_get_array_member (confab_store_reply_get_result (reply), "messages"));
}

static JsonObject *
find_conversation (Fixture    *f,
                   const char *user,
                   const char *conv,
                   guint      *position)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  JsonArray *list;

  confab_messages_conversations_async (f->store, user, NULL, done_cb, f);
  reply = wait_ok (f);
  list = json_object_get_array_member (confab_store_reply_get_result (reply), "conversations");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *item = json_array_get_object_element (list, i);

      if (g_str_equal (json_object_get_string_member (item, "conv"), conv))
        {
          if (position != NULL)
            *position = i;
          return json_object_ref (item);
        }
    }
  return NULL;
}

static gint64
sql_int (Fixture    *f,
         const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
sql_exec (Fixture    *f,
          const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* --- Tests ------------------------------------------------------------------------------------ */

/* Takes a database of the current schema back to version 6, and one of version 5 back to 4
 * (migration 6, files, runs again harmlessly: it creates only what is missing). */
#define UNDO_SCHEMA_7 \
  "DROP TABLE ldap_accounts;" \
  "ALTER TABLE users DROP COLUMN timezone;" \
  "DROP TABLE audit;" \
  "DROP TRIGGER directory_change_added;" \
  "DROP TRIGGER directory_change_changed;" \
  "DROP TRIGGER directory_change_removed;" \
  "DROP TABLE directory_changes;" \
  "PRAGMA user_version = 6;"
#define UNDO_SCHEMA_5 \
  "DROP TRIGGER directory_user_added;" \
  "DROP TRIGGER directory_user_changed;" \
  "DROP TRIGGER directory_user_removed;" \
  "DROP TABLE directory_fts;" \
  "DROP TABLE directory;" \
  "DROP TABLE directory_state;" \
  "DROP INDEX contacts_by_contact;" \
  "DROP TABLE broadcasts;" \
  "DROP TRIGGER broadcast_all_reader;" \
  "DELETE FROM stream_members WHERE stream = 'broadcast:all';" \
  "ALTER TABLE users DROP COLUMN permissions;" \
  "PRAGMA user_version = 4;"

static void
test_migrate_empty (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabSqliteStore) other = NULL;

  g_assert_cmpint (sql_int (f, "PRAGMA user_version"), ==, SCHEMA_VERSION);
  g_assert_cmpstr (NULL, ==, NULL);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM sqlite_master WHERE name IN"
                            " ('users', 'devices', 'conversations', 'conv_members', 'rooms',"
                            "  'messages', 'reactions', 'messages_fts', 'events', 'inbox',"
                            "  'blocks', 'contacts')"), ==, 12);
  fixture_close (f);

  /* Opening again finds nothing to migrate. */
  fixture_open (f);
  create_user (f, "alice");
  fixture_close (f);
  g_assert_cmpint (sql_int (f, "PRAGMA user_version"), ==, SCHEMA_VERSION);

  /* A schema from the future is refused rather than misread. */
  sql_exec (f, "PRAGMA user_version = 99");
  other = confab_sqlite_store_new (f->path, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_null (other);
  sql_exec (f, "PRAGMA user_version = " G_STRINGIFY (SCHEMA_VERSION));
  fixture_open (f);
}

/* Schema 5: the directory's index, and the readers of announcements to all, start with every
 * account that is not disabled. */
static void
test_migrate_directory (Fixture       *f,
                        gconstpointer  data)
{
  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  fixture_close (f);
  sql_exec (f, UNDO_SCHEMA_7);
  sql_exec (f, UNDO_SCHEMA_5);
  sql_exec (f, "UPDATE users SET display_name = 'Bob Fernández', department = 'Sales'"
            " WHERE username = 'bob';"
            "UPDATE users SET disabled = 1 WHERE username = 'carol'");
  fixture_open (f);
  fixture_close (f);

  g_assert_cmpint (sql_int (f, "PRAGMA user_version"), ==, SCHEMA_VERSION);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM directory"), ==, 3);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM directory_fts"), ==, 2);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM directory_fts"
                            " WHERE directory_fts MATCH 'fernandez AND f_department :"
                            " \"confabstart0 sales confabend0\"'"), ==, 1);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM users WHERE permissions = ''"), ==, 3);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM stream_members"
                            " WHERE stream = 'broadcast:all' AND to_seq IS NULL"), ==, 2);
  fixture_open (f);
}

/* Schema 2: events kept before it of messages since edited or deleted lose the old text. */
static void
test_migrate_events (Fixture       *f,
                     gconstpointer  data)
{
  fixture_close (f);
  sql_exec (f, UNDO_SCHEMA_7);
  sql_exec (f, UNDO_SCHEMA_5);
  sql_exec (f,
            /* Back to schema 1: what the later migrations add goes. */
            "ALTER TABLE messages DROP COLUMN mentions;"
            "ALTER TABLE messages DROP COLUMN system;"
            "DROP INDEX events_by_stream;"
            "ALTER TABLE events DROP COLUMN stream;"
            "DROP TABLE stream_members;"
            "DROP INDEX events_by_msg;"
            "ALTER TABLE events DROP COLUMN msg;"
            "PRAGMA user_version = 1;"
            "INSERT INTO messages (id, conv, sender, ts, client_msg_id, body, deleted)"
            " VALUES (1, 'dm:a:b', 'a', 1, 'c1', '', 1);"
            "INSERT INTO messages (id, conv, sender, ts, client_msg_id, body, edited_ts)"
            " VALUES (2, 'dm:a:b', 'a', 2, 'c2', 'edited now', 3);"
            "INSERT INTO messages (id, conv, sender, ts, client_msg_id, body)"
            " VALUES (3, 'dm:a:b', 'a', 4, 'c3', 'kept as sent');"
            "INSERT INTO events (seq, name, frame, ts) VALUES"
            " (1, 'message', '{\"type\":\"event\",\"event\":\"message\",\"seq\":1,"
            "\"data\":{\"msg\":{\"id\":1,\"body\":\"gone secret\"}}}', 1),"
            " (2, 'message', '{\"type\":\"event\",\"event\":\"message\",\"seq\":2,"
            "\"data\":{\"msg\":{\"id\":2,\"body\":\"before edit\"}}}', 2),"
            " (3, 'message', '{\"type\":\"event\",\"event\":\"message\",\"seq\":3,"
            "\"data\":{\"msg\":{\"id\":3,\"body\":\"kept as sent\"}}}', 4);");
  fixture_open (f);
  fixture_close (f);

  g_assert_cmpint (sql_int (f, "PRAGMA user_version"), ==, SCHEMA_VERSION);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM events WHERE frame LIKE '%gone secret%'"
                            " OR frame LIKE '%before edit%'"), ==, 0);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM events WHERE"
                            " json_extract (frame, '$.data.msg.body') = 'edited now'"
                            " AND msg = 2"), ==, 1);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM events WHERE"
                            " json_extract (frame, '$.data.msg.body') = 'kept as sent'"
                            " AND msg = 3"), ==, 1);
  fixture_open (f);
}

static void
test_users (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  JsonObject *user;

  confab_accounts_user_create_async (f->store, "alice", "hash-a", "Alice A.", "a@example.com", NULL,
                                     done_cb, f);
  reply = wait_ok (f);
  user = json_object_get_object_member (confab_store_reply_get_result (reply), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Alice A.");
  g_assert_cmpstr (json_object_get_string_member (user, "email"), ==, "a@example.com");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "admin");
  g_assert_false (json_object_has_member (user, "phone"));
  g_assert_false (json_object_has_member (user, "bot"));
  g_assert_false (json_object_has_member (user, "password_hash"));
  g_clear_pointer (&reply, confab_store_reply_free);

  confab_accounts_user_create_async (f->store, "bob", "hash-b", NULL, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  user = json_object_get_object_member (confab_store_reply_get_result (reply), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "user");
  g_assert_false (json_object_has_member (user, "email"));
  g_clear_pointer (&reply, confab_store_reply_free);

  confab_accounts_user_create_async (f->store, "alice", "other", NULL, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_CONFLICT);
  confab_accounts_user_create_async (f->store, "Not Valid", "x", NULL, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);

  confab_accounts_credentials_get_async (f->store, "alice", NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpstr (json_object_get_string_member (confab_store_reply_get_result (reply), "password_hash"), ==, "hash-a");
  g_assert_false (json_object_get_boolean_member (confab_store_reply_get_result (reply), "disabled"));
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_accounts_credentials_get_async (f->store, "nobody", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  confab_profiles_get_async (f->store, "nobody", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  /* A DM makes alice and bob peers: the profile event reaches both. */
  send (f, "alice", "dm:alice:bob", "hello");
  json_object_set_string_member (fields, "department", "Sales");
  json_object_set_string_member (fields, "email", "");
  json_object_set_string_member (fields, "display_name", "");
  confab_profiles_update_async (f->store, "alice", fields, NULL, done_cb, f);
  reply = wait_ok (f);
  user = json_object_get_object_member (confab_store_reply_get_result (reply), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "department"), ==, "Sales");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "alice");
  g_assert_false (json_object_has_member (user, "email"));
  g_assert_cmpuint (reply->events->len, ==, 1);
  {
    ConfabStoreEvent *event = g_ptr_array_index (reply->events, 0);
    g_autoptr(JsonObject) frame G_GNUC_UNUSED = parse_frame (event);

    g_assert_cmpstr (event->name, ==, "profile_updated");
    g_assert_true (strv_has (event->users, "alice"));
    g_assert_true (strv_has (event->users, "bob"));
  }
  g_clear_pointer (&reply, confab_store_reply_free);

  confab_presence_peers_async (f->store, "bob", NULL, done_cb, f);
  reply = wait_ok (f);
  {
    JsonArray *users = json_object_get_array_member (confab_store_reply_get_result (reply), "users");

    g_assert_cmpuint (json_array_get_length (users), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (users, 0), ==, "alice");
  }
  g_clear_pointer (&reply, confab_store_reply_free);

  confab_presence_last_seen_set_async (f->store, "bob", 1234, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  {
    const char *names[] = { "bob", "alice", "nobody", NULL };
    JsonObject *last_seen;

    confab_presence_last_seen_get_async (f->store, names, NULL, NULL, done_cb, f);
    reply = wait_ok (f);
    last_seen = json_object_get_object_member (confab_store_reply_get_result (reply), "last_seen");
    g_assert_cmpint (json_object_get_int_member (last_seen, "bob"), ==, 1234);
    g_assert_true (json_object_has_member (last_seen, "alice"));
    g_assert_false (json_object_has_member (last_seen, "nobody"));
  }
}

static char *
device_create (Fixture    *f,
               const char *user,
               const char *token_hash)
{
  g_autoptr(ConfabStoreReply) reply = NULL;

  confab_accounts_device_create_async (f->store, user, "laptop", token_hash, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (confab_store_reply_get_result (reply), "user"), "username"), ==, user);
  return g_strdup (json_object_get_string_member (confab_store_reply_get_result (reply), "device_id"));
}

static void
test_devices (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autofree char *d1 = NULL;
  g_autofree char *d2 = NULL;
  g_autofree char *d3 = NULL;
  g_autofree char *d4 = NULL;
  JsonArray *devices;

  create_user (f, "alice");
  create_user (f, "bob");
  d1 = device_create (f, "alice", "t1");
  d2 = device_create (f, "alice", "t2");
  d3 = device_create (f, "alice", "t3");
  d4 = device_create (f, "bob", "t4");
  confab_accounts_device_create_async (f->store, "nobody", "x", "t5", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  confab_session_lookup_async (f->store, "t2", NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpstr (json_object_get_string_member (confab_store_reply_get_result (reply), "device_id"), ==, d2);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (confab_store_reply_get_result (reply), "user"), "username"), ==, "alice");
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_session_lookup_async (f->store, "nope", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED);

  confab_accounts_devices_list_async (f->store, "alice", d2, NULL, done_cb, f);
  reply = wait_ok (f);
  devices = json_object_get_array_member (confab_store_reply_get_result (reply), "devices");
  g_assert_cmpuint (json_array_get_length (devices), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);
      gboolean current = g_str_equal (json_object_get_string_member (device, "device_id"), d2);

      g_assert_cmpint (json_object_get_boolean_member (device, "current"), ==, current);
      g_assert_cmpstr (json_object_get_string_member (device, "name"), ==, "laptop");
    }
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Revoking: only one's own live devices. */
  confab_accounts_device_revoke_async (f->store, "bob", d1, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  confab_accounts_device_revoke_async (f->store, "alice", d1, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (g_strv_length (reply->revoked_devices), ==, 1);
  g_assert_cmpstr (reply->revoked_devices[0], ==, d1);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_accounts_device_revoke_async (f->store, "alice", d1, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  confab_session_lookup_async (f->store, "t1", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED);

  /* A new password keeps the current device and revokes the others. */
  confab_accounts_password_set_async (f->store, "alice", "new-hash", d2, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (g_strv_length (reply->revoked_devices), ==, 1);
  g_assert_cmpstr (reply->revoked_devices[0], ==, d3);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_session_lookup_async (f->store, "t3", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED);
  confab_session_lookup_async (f->store, "t2", NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_session_lookup_async (f->store, "t4", NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_accounts_credentials_get_async (f->store, "alice", NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpstr (json_object_get_string_member (confab_store_reply_get_result (reply), "password_hash"), ==, "new-hash");
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Without a device to keep, all go. */
  confab_accounts_password_set_async (f->store, "alice", "newer", NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (g_strv_length (reply->revoked_devices), ==, 1);
  g_assert_cmpstr (reply->revoked_devices[0], ==, d2);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_accounts_password_set_async (f->store, "nobody", "x", NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  /* A disabled account cannot open sessions. */
  fixture_close (f);
  sql_exec (f, "UPDATE users SET disabled = 1 WHERE username = 'bob'");
  fixture_open (f);
  confab_session_lookup_async (f->store, "t4", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
}

/* A complete file and an unfinished upload of bob's, written as the files module would. */
static ConfabStoreReply *
add_test_files (ConfabStore  *store,
                gpointer      data,
                GError      **error)
{
  ConfabFileRecord record = { 0 };

  record.file_id = (char *) "bobsfile00000001";
  record.owner = (char *) "bob";
  record.name = (char *) "a.png";
  record.mime = (char *) "image/png";
  record.metadata = (char *) "";
  record.size = 10;
  record.created_ts = 1;
  record.expires_ts = G_MAXINT64;
  CONFAB_FILE_STORE_GET_IFACE (store)->create (CONFAB_FILE_STORE (store), &record);
  CONFAB_FILE_STORE_GET_IFACE (store)->complete (CONFAB_FILE_STORE (store), record.file_id,
                                                 "ab12");
  record.file_id = (char *) "bobsupload000001";
  CONFAB_FILE_STORE_GET_IFACE (store)->create (CONFAB_FILE_STORE (store), &record);
  return confab_store_reply_new (NULL);
}

static void
test_send (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) frame = NULL;
  ConfabStoreEvent *event;
  JsonObject *msg;
  JsonObject *frame_msg;
  gint64 id;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");

  confab_messages_send_async (f->store, "alice", "dm:alice:bob", "c-1", "hello bob",
                              CONFAB_MESSAGE_FORMAT_MARKDOWN, 0, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  msg = json_object_get_object_member (confab_store_reply_get_result (reply), "msg");
  id = json_object_get_int_member (msg, "id");
  g_assert_cmpint (id, >, 0);
  g_assert_cmpstr (json_object_get_string_member (msg, "conv"), ==, "dm:alice:bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (msg, "client_msg_id"), ==, "c-1");
  g_assert_cmpstr (json_object_get_string_member (msg, "kind"), ==, "text");
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "hello bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "format"), ==, "markdown");
  g_assert_cmpint (json_object_get_int_member (msg, "ts"), >, 1600000000000);
  g_assert_false (json_object_has_member (msg, "reply_to"));
  g_assert_false (json_object_has_member (msg, "deleted"));

  /* One event, for both participants, serialized once. */
  g_assert_cmpuint (reply->events->len, ==, 1);
  event = g_ptr_array_index (reply->events, 0);
  g_assert_cmpstr (event->name, ==, "message");
  g_assert_cmpint (event->seq, >, 0);
  g_assert_cmpuint (g_strv_length (event->users), ==, 2);
  g_assert_true (strv_has (event->users, "alice"));
  g_assert_true (strv_has (event->users, "bob"));
  frame = parse_frame (event);
  frame_msg = json_object_get_object_member (json_object_get_object_member (frame, "data"), "msg");
  g_assert_cmpint (json_object_get_int_member (frame_msg, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (frame_msg, "body"), ==, "hello bob");
  g_clear_pointer (&reply, confab_store_reply_free);

  /* A retry gives the same message and delivers nothing. */
  confab_messages_send_async (f->store, "alice", "dm:alice:bob", "c-1", "hello bob",
                              CONFAB_MESSAGE_FORMAT_MARKDOWN, 0, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (confab_store_reply_get_result (reply), "msg"),
                                               "id"), ==, id);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM messages"), ==, 1);

  /* The same client_msg_id elsewhere is a client bug. */
  confab_messages_send_async (f->store, "alice", "dm:alice:carol", "c-1", "hi",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_CONFLICT);
  /* Another sender may use the same client_msg_id. */
  confab_messages_send_async (f->store, "bob", "dm:alice:bob", "c-1", "hi alice",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (confab_store_reply_get_result (reply), "msg"),
                                               "id"), >, id);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* A third user is not part of the DM. */
  confab_messages_send_async (f->store, "carol", "dm:alice:bob", "c-2", "intrude",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  confab_messages_history_async (f->store, "carol", "dm:alice:bob", 0, 0, 0, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  confab_messages_send_async (f->store, "alice", "dm:alice:zed", "c-3", "anyone?",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  confab_messages_send_async (f->store, "alice", "dm:bob:alice", "c-4", "wrong order",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);
  /* A room one is not in is not_found, as an unknown one (protocol §9). */
  confab_messages_send_async (f->store, "alice", "room:nosuchroom", "c-5", "hi",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  /* A DM nobody wrote in yet is an empty page for its two users. */
  reply = history (f, "carol", "dm:alice:carol", 0, 0, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (confab_store_reply_get_result (reply),
                                                                         "messages")), ==, 0);
  g_assert_false (json_object_get_boolean_member (confab_store_reply_get_result (reply), "has_more"));
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Attachments: the files module fills them in from the file's record; a file the sender
   * may not read, or an unfinished one, is refused. */
  {
    g_autoptr(JsonArray) attachments = json_array_new ();
    JsonObject *attachment = json_object_new ();
    g_autoptr(JsonObject) stored = NULL;
    JsonObject *filled;

    confab_messages_set_attachments_func (confab_files_resolve_attachments);
    confab_store_run_async (f->store, "test_file", CONFAB_STORE_WORK_WRITE, add_test_files, NULL,
                            NULL, NULL, done_cb, f, NULL);
    g_clear_pointer (&reply, confab_store_reply_free);
    reply = wait_ok (f);
    g_clear_pointer (&reply, confab_store_reply_free);

    json_object_set_string_member (attachment, "file_id", "bobsfile00000001");
    json_array_add_object_element (attachments, attachment);
    confab_messages_send_async (f->store, "alice", "dm:alice:bob", "c-6", "see file",
                                CONFAB_MESSAGE_FORMAT_PLAIN, 0, attachments, NULL, done_cb, f);
    wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
    json_object_set_string_member (attachment, "file_id", "bobsupload000001");
    confab_messages_send_async (f->store, "bob", "dm:alice:bob", "c-6", "see file",
                                CONFAB_MESSAGE_FORMAT_PLAIN, 0, attachments, NULL, done_cb, f);
    wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);

    json_object_set_string_member (attachment, "file_id", "bobsfile00000001");
    confab_messages_send_async (f->store, "bob", "dm:alice:bob", "c-6", "see file",
                                CONFAB_MESSAGE_FORMAT_PLAIN, 0, attachments, NULL, done_cb, f);
    reply = wait_ok (f);
    msg = json_object_get_object_member (confab_store_reply_get_result (reply), "msg");
    filled = json_array_get_object_element (json_object_get_array_member (msg, "attachments"), 0);
    g_assert_cmpstr (json_object_get_string_member (filled, "file_id"), ==, "bobsfile00000001");
    g_assert_cmpstr (json_object_get_string_member (filled, "name"), ==, "a.png");
    g_assert_cmpstr (json_object_get_string_member (filled, "sha256"), ==, "ab12");
    stored = history_message (f, "alice", "dm:alice:bob", json_object_get_int_member (msg, "id"));
    g_assert_cmpint (json_object_get_int_member (
                       json_array_get_object_element (json_object_get_array_member (stored, "attachments"), 0),
                       "size"), ==, 10);
  }
}

static void
test_block (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;

  create_user (f, "alice");
  create_user (f, "bob");
  send (f, "alice", "dm:alice:bob", "before");

  confab_contacts_block_async (f->store, "bob", "alice", TRUE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_send_async (f->store, "alice", "dm:alice:bob", "b-1", "hello?",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  /* Blocking is one-way. */
  send (f, "bob", "dm:alice:bob", "I can still write");

  confab_contacts_block_async (f->store, "bob", "nobody", TRUE, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  confab_contacts_block_async (f->store, "bob", "bob", TRUE, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);

  confab_contacts_block_async (f->store, "bob", "alice", FALSE, NULL, done_cb, f);
  reply = wait_ok (f);
  send (f, "alice", "dm:alice:bob", "thanks");
}

static void
test_reply_to (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonObject) msg = NULL;
  gint64 in_ab, in_ac;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  in_ab = send (f, "alice", "dm:alice:bob", "question");
  in_ac = send (f, "alice", "dm:alice:carol", "other");

  msg = send_full (f, "bob", "dm:alice:bob", "r-1", "answer", in_ab);
  g_assert_cmpint (json_object_get_int_member (msg, "reply_to"), ==, in_ab);
  g_clear_pointer (&msg, json_object_unref);
  msg = history_message (f, "alice", "dm:alice:bob", in_ab + 2);
  g_assert_cmpint (json_object_get_int_member (msg, "reply_to"), ==, in_ab);

  confab_messages_send_async (f->store, "bob", "dm:alice:bob", "r-2", "x",
                              CONFAB_MESSAGE_FORMAT_PLAIN, in_ac, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);
  confab_messages_send_async (f->store, "bob", "dm:alice:bob", "r-3", "x",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 9999, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);
}

static void
test_edit (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) stored = NULL;
  ConfabStoreEvent *event;
  JsonObject *msg;
  gint64 id;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  id = send (f, "alice", "dm:alice:bob", "the original wording");

  confab_messages_edit_async (f->store, "bob", id, "hijack", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  confab_messages_edit_async (f->store, "carol", id, "hijack", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  confab_messages_edit_async (f->store, "alice", 12345, "nothing", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  confab_messages_edit_async (f->store, "alice", id, "the improved phrasing", NULL, done_cb, f);
  reply = wait_ok (f);
  msg = json_object_get_object_member (confab_store_reply_get_result (reply), "msg");
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "the improved phrasing");
  g_assert_true (json_object_has_member (msg, "edited_ts"));
  g_assert_cmpuint (reply->events->len, ==, 1);
  event = g_ptr_array_index (reply->events, 0);
  g_assert_cmpstr (event->name, ==, "message_edited");
  g_assert_true (strv_has (event->users, "bob"));

  stored = history_message (f, "bob", "dm:alice:bob", id);
  g_assert_cmpstr (json_object_get_string_member (stored, "body"), ==, "the improved phrasing");
  g_assert_cmpuint (search_count (f, "bob", "wording", NULL), ==, 0);
  g_assert_cmpuint (search_count (f, "bob", "improved", NULL), ==, 1);
}

static void
test_delete (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) frame = NULL;
  ConfabStoreEvent *event;
  JsonObject *event_data;
  gint64 id;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  id = send (f, "alice", "dm:alice:bob", "a confidential xylophone");
  send (f, "alice", "dm:alice:bob", "another xylophone note");
  confab_messages_react_async (f->store, "bob", id, "👍", TRUE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  g_assert_cmpuint (search_count (f, "bob", "confidential", NULL), ==, 1);

  confab_messages_delete_async (f->store, "bob", id, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  confab_messages_delete_async (f->store, "carol", id, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  confab_messages_delete_async (f->store, "alice", id, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 1);
  event = g_ptr_array_index (reply->events, 0);
  g_assert_cmpstr (event->name, ==, "message_deleted");
  frame = parse_frame (event);
  event_data = json_object_get_object_member (frame, "data");
  g_assert_cmpstr (json_object_get_string_member (event_data, "conv"), ==, "dm:alice:bob");
  g_assert_cmpint (json_object_get_int_member (event_data, "msg_id"), ==, id);
  g_clear_pointer (&reply, confab_store_reply_free);

  stored = history_message (f, "bob", "dm:alice:bob", id);
  g_assert_true (json_object_get_boolean_member (stored, "deleted"));
  g_assert_cmpstr (json_object_get_string_member (stored, "body"), ==, "");
  g_assert_false (json_object_has_member (stored, "reactions"));

  /* Gone from the table and from the index, not just hidden. */
  g_assert_cmpuint (search_count (f, "bob", "confidential", NULL), ==, 0);
  g_assert_cmpuint (search_count (f, "bob", "xylophone", NULL), ==, 1);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM messages WHERE body LIKE '%confidential%'"),
                   ==, 0);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM messages_fts"
                            " WHERE messages_fts MATCH 'confidential'"), ==, 0);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM reactions"), ==, 0);
  backend_check_search_index (f);

  /* Deleting twice is harmless; a deleted message cannot be edited or reacted to. */
  confab_messages_delete_async (f->store, "alice", id, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 0);
  confab_messages_edit_async (f->store, "alice", id, "revive", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);
  confab_messages_react_async (f->store, "bob", id, "👍", TRUE, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);
}

static void
test_react (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(JsonObject) frame = NULL;
  JsonArray *reactions;
  JsonObject *event_data;
  JsonArray *users;
  gint64 id;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  id = send (f, "alice", "dm:alice:bob", "react to me");

  confab_messages_react_async (f->store, "bob", id, "👍", TRUE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 1);
  frame = parse_frame (g_ptr_array_index (reply->events, 0));
  event_data = json_object_get_object_member (frame, "data");
  g_assert_cmpstr (json_object_get_string_member (event_data, "conv"), ==, "dm:alice:bob");
  g_assert_cmpint (json_object_get_int_member (event_data, "msg_id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (event_data, "user"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (event_data, "emoji"), ==, "👍");
  g_assert_true (json_object_get_boolean_member (event_data, "on"));
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Already there: fine, and nothing to tell anyone. */
  confab_messages_react_async (f->store, "bob", id, "👍", TRUE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);

  confab_messages_react_async (f->store, "alice", id, "🎉", TRUE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_react_async (f->store, "alice", id, "👍", TRUE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_react_async (f->store, "carol", id, "👍", TRUE, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  stored = history_message (f, "alice", "dm:alice:bob", id);
  reactions = json_object_get_array_member (stored, "reactions");
  g_assert_cmpuint (json_array_get_length (reactions), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (reactions, 0),
                                                  "emoji"), ==, "👍");
  users = json_object_get_array_member (json_array_get_object_element (reactions, 0), "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (users, 0), ==, "bob");
  g_assert_cmpstr (json_array_get_string_element (users, 1), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (reactions, 1),
                                                  "emoji"), ==, "🎉");
  g_clear_pointer (&stored, json_object_unref);

  confab_messages_react_async (f->store, "bob", id, "👍", FALSE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 1);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_react_async (f->store, "bob", id, "👍", FALSE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_react_async (f->store, "alice", id, "🎉", FALSE, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);

  stored = history_message (f, "alice", "dm:alice:bob", id);
  reactions = json_object_get_array_member (stored, "reactions");
  g_assert_cmpuint (json_array_get_length (reactions), ==, 1);
  users = json_object_get_array_member (json_array_get_object_element (reactions, 0), "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (users, 0), ==, "alice");
}

static void
test_read (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) item = NULL;
  ConfabStoreEvent *event;
  gint64 m1, m2, m3, other;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  m1 = send (f, "alice", "dm:alice:bob", "one");
  m2 = send (f, "alice", "dm:alice:bob", "two");
  m3 = send (f, "alice", "dm:alice:bob", "three");
  other = send (f, "alice", "dm:alice:carol", "elsewhere");

  item = find_conversation (f, "bob", "dm:alice:bob", NULL);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (item, "last_read"), ==, 0);
  g_clear_pointer (&item, json_object_unref);
  /* One's own messages are not unread. */
  item = find_conversation (f, "alice", "dm:alice:bob", NULL);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 0);
  g_clear_pointer (&item, json_object_unref);

  confab_messages_read_async (f->store, "bob", "dm:alice:bob", m2, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 1);
  event = g_ptr_array_index (reply->events, 0);
  g_assert_cmpstr (event->name, ==, "read");
  g_assert_true (strv_has (event->users, "alice"));
  g_assert_true (strv_has (event->users, "bob"));
  g_clear_pointer (&reply, confab_store_reply_free);

  item = find_conversation (f, "bob", "dm:alice:bob", NULL);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (item, "last_read"), ==, m2);
  g_clear_pointer (&item, json_object_unref);

  /* The mark never moves back. */
  confab_messages_read_async (f->store, "bob", "dm:alice:bob", m1, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_read_async (f->store, "bob", "dm:alice:bob", m2, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);
  item = find_conversation (f, "bob", "dm:alice:bob", NULL);
  g_assert_cmpint (json_object_get_int_member (item, "last_read"), ==, m2);
  g_clear_pointer (&item, json_object_unref);

  confab_messages_read_async (f->store, "bob", "dm:alice:bob", other, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  confab_messages_read_async (f->store, "carol", "dm:alice:bob", m3, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);

  /* New messages count up; deleting an unread one counts down. */
  send (f, "alice", "dm:alice:bob", "four");
  item = find_conversation (f, "bob", "dm:alice:bob", NULL);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 2);
  g_clear_pointer (&item, json_object_unref);
  confab_messages_delete_async (f->store, "alice", m3, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  item = find_conversation (f, "bob", "dm:alice:bob", NULL);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 1);
  g_clear_pointer (&item, json_object_unref);

  confab_messages_read_async (f->store, "bob", "dm:alice:bob", 99999, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
}

static void
collect_ids (ConfabStoreReply *reply,
             GArray           *ids)
{
  JsonArray *messages = json_object_get_array_member (confab_store_reply_get_result (reply), "messages");
  gint64 previous = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      gint64 id = json_object_get_int_member (json_array_get_object_element (messages, i), "id");

      g_assert_cmpint (id, >, previous);
      previous = id;
      g_array_append_val (ids, id);
    }
}

static void
test_history_paging (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GArray) sent = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(ConfabStoreReply) reply = NULL;
  const guint n = 47;
  gint64 cursor;
  gboolean has_more;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);
      gint64 id = send (f, i % 2 ? "alice" : "bob", "dm:alice:bob", body);

      g_array_append_val (sent, id);
      /* Another conversation interleaves its ids. */
      if (i % 5 == 0)
        send (f, "alice", "dm:alice:carol", body);
    }

  /* The newest page. */
  reply = history (f, "alice", "dm:alice:bob", 0, 0, 10);
  collect_ids (reply, seen);
  g_assert_cmpuint (seen->len, ==, 10);
  g_assert_cmpint (g_array_index (seen, gint64, 9), ==, g_array_index (sent, gint64, n - 1));
  g_assert_true (json_object_get_boolean_member (confab_store_reply_get_result (reply), "has_more"));
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Backwards with before: every message exactly once. */
  g_array_set_size (seen, 0);
  cursor = 0;
  do
    {
      g_autoptr(GArray) page = g_array_new (FALSE, FALSE, sizeof (gint64));

      reply = history (f, "bob", "dm:alice:bob", cursor, 0, 7);
      collect_ids (reply, page);
      has_more = json_object_get_boolean_member (confab_store_reply_get_result (reply), "has_more");
      g_clear_pointer (&reply, confab_store_reply_free);
      g_assert_cmpuint (page->len, >, 0);
      g_array_prepend_vals (seen, page->data, page->len);
      cursor = g_array_index (page, gint64, 0);
    }
  while (has_more);
  g_assert_cmpuint (seen->len, ==, n);
  g_assert_cmpmem (seen->data, n * sizeof (gint64), sent->data, n * sizeof (gint64));

  /* Forwards with after. */
  g_array_set_size (seen, 0);
  cursor = g_array_index (sent, gint64, 0);
  g_array_append_val (seen, cursor);
  do
    {
      g_autoptr(GArray) page = g_array_new (FALSE, FALSE, sizeof (gint64));

      reply = history (f, "alice", "dm:alice:bob", 0, cursor, 9);
      collect_ids (reply, page);
      has_more = json_object_get_boolean_member (confab_store_reply_get_result (reply), "has_more");
      g_clear_pointer (&reply, confab_store_reply_free);
      g_array_append_vals (seen, page->data, page->len);
      if (page->len > 0)
        cursor = g_array_index (page, gint64, page->len - 1);
    }
  while (has_more);
  g_assert_cmpuint (seen->len, ==, n);
  g_assert_cmpmem (seen->data, n * sizeof (gint64), sent->data, n * sizeof (gint64));

  /* A window between two ids, both exclusive. */
  g_array_set_size (seen, 0);
  reply = history (f, "alice", "dm:alice:bob", g_array_index (sent, gint64, 20),
                   g_array_index (sent, gint64, 10), 200);
  collect_ids (reply, seen);
  g_assert_false (json_object_get_boolean_member (confab_store_reply_get_result (reply), "has_more"));
  g_assert_cmpuint (seen->len, ==, 9);
  g_assert_cmpint (g_array_index (seen, gint64, 0), ==, g_array_index (sent, gint64, 11));
  g_clear_pointer (&reply, confab_store_reply_free);
  g_array_set_size (seen, 0);
  reply = history (f, "alice", "dm:alice:bob", g_array_index (sent, gint64, 20),
                   g_array_index (sent, gint64, 10), 4);
  collect_ids (reply, seen);
  g_assert_true (json_object_get_boolean_member (confab_store_reply_get_result (reply), "has_more"));
  g_assert_cmpint (g_array_index (seen, gint64, 0), ==, g_array_index (sent, gint64, 11));
  g_clear_pointer (&reply, confab_store_reply_free);

  /* The default limit, and the maximum. */
  g_array_set_size (seen, 0);
  reply = history (f, "alice", "dm:alice:bob", 0, 0, 1000);
  collect_ids (reply, seen);
  g_assert_cmpuint (seen->len, ==, n);
  g_assert_false (json_object_get_boolean_member (confab_store_reply_get_result (reply), "has_more"));
  g_clear_pointer (&reply, confab_store_reply_free);

  confab_messages_history_async (f->store, "alice", "garbage", 0, 0, 0, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);
}

static void
test_conversations (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) item = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  guint position;
  gint64 last;

  confab_accounts_user_create_async (f->store, "alice", "h", NULL, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_accounts_user_create_async (f->store, "bob", "h", "Bob Builder", NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  create_user (f, "carol");

  confab_messages_conversations_async (f->store, "alice", NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (confab_store_reply_get_result (reply),
                                                                         "conversations")), ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);

  send (f, "alice", "dm:alice:bob", "first to bob");
  last = send (f, "carol", "dm:alice:carol", "carol writes");

  item = find_conversation (f, "alice", "dm:alice:carol", &position);
  g_assert_cmpuint (position, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (item, "kind"), ==, "dm");
  g_assert_cmpstr (json_object_get_string_member (item, "peer"), ==, "carol");
  g_assert_cmpstr (json_object_get_string_member (item, "title"), ==, "carol");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (item, "last_msg"),
                                               "id"), ==, last);
  g_assert_cmpint (json_object_get_int_member (item, "unread"), ==, 1);
  g_clear_pointer (&item, json_object_unref);

  last = send (f, "bob", "dm:alice:bob", "bob again");
  item = find_conversation (f, "alice", "dm:alice:bob", &position);
  g_assert_cmpuint (position, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (item, "title"), ==, "Bob Builder");
  g_assert_cmpstr (json_object_get_string_member (item, "peer"), ==, "bob");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (item, "last_msg"),
                                               "id"), ==, last);
  g_clear_pointer (&item, json_object_unref);
  item = find_conversation (f, "alice", "dm:alice:carol", &position);
  g_assert_cmpuint (position, ==, 1);
  g_clear_pointer (&item, json_object_unref);

  /* Bob sees only his own conversation, titled by alice's display name. */
  json_object_set_string_member (fields, "display_name", "Alice Liddell");
  confab_profiles_update_async (f->store, "alice", fields, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_conversations_async (f->store, "bob", NULL, done_cb, f);
  reply = wait_ok (f);
  {
    JsonArray *list = json_object_get_array_member (confab_store_reply_get_result (reply), "conversations");

    g_assert_cmpuint (json_array_get_length (list), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0),
                                                    "title"), ==, "Alice Liddell");
  }
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  JsonArray *messages;
  gint64 first, second;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");
  first = send (f, "alice", "dm:alice:bob", "The quarterly budget is ready");
  send (f, "bob", "dm:alice:bob", "lunch at noon?");
  second = send (f, "bob", "dm:alice:bob", "Budget meeting moved to Friday");
  send (f, "alice", "dm:alice:carol", "carol, the budget draft is attached");

  confab_messages_search_async (f->store, "bob", "budget", NULL, 0, NULL, done_cb, f);
  reply = wait_ok (f);
  messages = json_object_get_array_member (confab_store_reply_get_result (reply), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  /* Newest first. */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (messages, 0), "id"),
                   ==, second);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (messages, 1), "id"),
                   ==, first);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Only one's own conversations. */
  g_assert_cmpuint (search_count (f, "alice", "budget", NULL), ==, 3);
  g_assert_cmpuint (search_count (f, "carol", "budget", NULL), ==, 1);
  g_assert_cmpuint (search_count (f, "alice", "budget", "dm:alice:carol"), ==, 1);
  /* A conversation one is not in: refused, as its history is. */
  confab_messages_search_async (f->store, "carol", "budget", "dm:alice:bob", 0, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);

  /* Case, several words, prefixes. */
  g_assert_cmpuint (search_count (f, "bob", "BUDGET friday", NULL), ==, 1);
  g_assert_cmpuint (search_count (f, "bob", "quart", NULL), ==, 1);
  g_assert_cmpuint (search_count (f, "bob", "nothing-like-this", NULL), ==, 0);

  /* Query syntax from users is taken as words, never as an FTS5 expression. */
  g_assert_cmpuint (search_count (f, "bob", "\"budget", NULL), ==, 2);
  g_assert_cmpuint (search_count (f, "bob", "budget OR lunch", NULL), ==, 0);
  g_assert_cmpuint (search_count (f, "bob", "body:budget NEAR(", NULL), ==, 0);
  g_assert_cmpuint (search_count (f, "bob", "*) AND (", NULL), ==, 0);
  g_assert_cmpuint (search_count (f, "bob", "", NULL), ==, 0);
}

static ConfabStoreReply *
events_since (Fixture    *f,
              const char *user,
              gint64      since,
              guint       limit)
{
  confab_store_events_since_async (f->store, user, since, limit, NULL, done_cb, f);
  return wait_ok (f);
}

static void
test_events_since (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(ConfabStoreReply) reply = NULL;
  gint64 carol_seq, since;
  gboolean more;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");

  reply = events_since (f, "bob", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_assert_cmpint (reply->last_seq, ==, 0);
  g_assert_false (reply->resync_required);
  g_assert_false (reply->more);
  g_clear_pointer (&reply, confab_store_reply_free);

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *body = g_strdup_printf ("n%u", i);

      send (f, "alice", "dm:alice:bob", body);
      send (f, "alice", "dm:alice:carol", body);
    }

  /* All of bob's, in order, with their frames. */
  reply = events_since (f, "bob", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 10);
  g_assert_false (reply->more);
  for (guint i = 0; i < reply->events->len; i++)
    {
      ConfabStoreEvent *event = g_ptr_array_index (reply->events, i);
      g_autoptr(JsonObject) frame = parse_frame (event);
      JsonObject *msg = json_object_get_object_member (json_object_get_object_member (frame, "data"),
                                                       "msg");
      g_autofree char *body = g_strdup_printf ("n%u", i);

      g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, body);
      g_assert_cmpstr (json_object_get_string_member (msg, "conv"), ==, "dm:alice:bob");
      g_assert_true (strv_has (event->users, "bob"));
      if (i > 0)
        g_assert_cmpint (event->seq, >, g_array_index (seqs, gint64, i - 1));
      g_array_append_val (seqs, event->seq);
    }
  g_assert_cmpint (reply->last_seq, ==, g_array_index (seqs, gint64, 9));
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Seqs are global: bob's stream skips carol's events. */
  reply = events_since (f, "carol", 0, 0);
  carol_seq = ((ConfabStoreEvent *) g_ptr_array_index (reply->events, 0))->seq;
  g_assert_cmpint (carol_seq, ==, g_array_index (seqs, gint64, 0) + 1);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Pages. */
  since = 0;
  for (guint page = 0; ; page++)
    {
      reply = events_since (f, "bob", since, 4);
      more = reply->more;
      g_assert_cmpuint (reply->events->len, ==, page < 2 ? 4 : 2);
      for (guint i = 0; i < reply->events->len; i++)
        g_assert_cmpint (((ConfabStoreEvent *) g_ptr_array_index (reply->events, i))->seq, ==,
                         g_array_index (seqs, gint64, page * 4 + i));
      since = ((ConfabStoreEvent *) g_ptr_array_index (reply->events, reply->events->len - 1))->seq;
      g_clear_pointer (&reply, confab_store_reply_free);
      if (!more)
        break;
      g_assert_cmpuint (page, <, 3);
    }
  g_assert_cmpint (since, ==, g_array_index (seqs, gint64, 9));

  /* Up to date; from the future; from between two of bob's seqs. */
  reply = events_since (f, "bob", since, 0);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_assert_false (reply->resync_required);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", since + 1000, 0);
  g_assert_true (reply->resync_required);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_assert_cmpint (reply->last_seq, ==, since);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", carol_seq, 0);
  g_assert_false (reply->resync_required);
  g_assert_cmpuint (reply->events->len, ==, 9);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Retention: keep the newest 3 per user; older positions must resync. */
  backend_prune (f, 30, 3);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);

  reply = events_since (f, "bob", 0, 0);
  g_assert_true (reply->resync_required);
  g_assert_cmpint (reply->last_seq, ==, g_array_index (seqs, gint64, 9));
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", g_array_index (seqs, gint64, 5), 0);
  g_assert_true (reply->resync_required);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", g_array_index (seqs, gint64, 6), 0);
  g_assert_false (reply->resync_required);
  g_assert_cmpuint (reply->events->len, ==, 3);
  g_assert_cmpint (((ConfabStoreEvent *) g_ptr_array_index (reply->events, 0))->seq, ==,
                   g_array_index (seqs, gint64, 7));
  g_clear_pointer (&reply, confab_store_reply_free);
  /* A user with no events at all is untouched. */
  reply = events_since (f, "alice", 0, 0);
  g_assert_true (reply->resync_required);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Age: with a retention of 0 days everything already written goes. */
  send (f, "carol", "dm:bob:carol", "hi");
  backend_prune (f, 0, 0);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM events"), ==, 0);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM inbox"), ==, 0);
  reply = events_since (f, "bob", g_array_index (seqs, gint64, 9), 0);
  g_assert_true (reply->resync_required);
  since = reply->last_seq;
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", since, 0);
  g_assert_false (reply->resync_required);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Seqs keep rising after everything was pruned, and after reopening. */
  fixture_close (f);
  fixture_open (f);
  send (f, "alice", "dm:alice:bob", "later");
  reply = events_since (f, "bob", since, 0);
  g_assert_cmpuint (reply->events->len, ==, 1);
  g_assert_cmpint (((ConfabStoreEvent *) g_ptr_array_index (reply->events, 0))->seq, >, since);
}

/* Streams: an event written once for every reader of a stream, read from each reader's
 * joining to their leaving, merged in seq order with what is addressed to them alone. */
typedef struct
{
  const char *op;       /* "join", "leave", "emit" */
  const char *stream;
  const char *user;     /* join/leave: the reader; emit: an extra recipient or NULL */
} StreamOp;

static ConfabStoreReply *
stream_op_work (ConfabStore  *store,
                gpointer      data,
                GError      **error)
{
  StreamOp *op = data;
  ConfabStoreReply *reply = confab_store_reply_new (NULL);
  const char *members[] = { "alice", NULL };
  const char *extra[] = { op->user, NULL };

  if (g_str_equal (op->op, "join"))
    confab_store_stream_join (store, op->stream, op->user);
  else if (g_str_equal (op->op, "leave"))
    confab_store_stream_leave (store, op->stream, op->user);
  else
    confab_store_emit_stream_event_text (store, reply, "note", "{}", op->stream, members,
                                         op->user != NULL ? extra : NULL);
  return reply;
}

/* Runs @op; for "emit", returns the new event's seq. */
static gint64
stream_op (Fixture    *f,
           const char *op,
           const char *stream,
           const char *user)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  StreamOp *args = g_new0 (StreamOp, 1);
  gint64 seq = 0;

  args->op = op;
  args->stream = stream;
  args->user = user;
  confab_store_run_async (f->store, "stream_op", CONFAB_STORE_WORK_WRITE, stream_op_work, args,
                          g_free, NULL, done_cb, f, stream_op);
  reply = wait_ok (f);
  if (reply->events->len > 0)
    {
      ConfabStoreEvent *event = g_ptr_array_index (reply->events, 0);

      /* The live recipients: the members given, and the extra user once. */
      g_assert_true (strv_has (event->users, "alice"));
      if (user != NULL)
        g_assert_true (strv_has (event->users, user));
      g_assert_cmpuint (g_strv_length (event->users), ==, user != NULL && !g_str_equal (user, "alice") ? 2 : 1);
      seq = event->seq;
    }
  return seq;
}

static void
assert_seqs (ConfabStoreReply *reply,
             const gint64     *seqs,
             guint             n)
{
  g_assert_cmpuint (reply->events->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (((ConfabStoreEvent *) g_ptr_array_index (reply->events, i))->seq, ==, seqs[i]);
}

static void
test_streams (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  gint64 before, e1, e2, dm, e4, e5, e6, e7;
  gint64 events0, inbox0;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "carol");

  before = stream_op (f, "emit", "s", NULL);
  stream_op (f, "join", "s", "bob");
  stream_op (f, "join", "s", "bob");          /* a second join changes nothing */
  events0 = sql_int (f, "SELECT count (*) FROM events");
  inbox0 = sql_int (f, "SELECT count (*) FROM inbox");
  e1 = stream_op (f, "emit", "s", NULL);
  /* Written once, with no row per reader. */
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM events"), ==, events0 + 1);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM inbox"), ==, inbox0);
  e2 = stream_op (f, "emit", "s", "carol");   /* carol reads it too, from her inbox */
  send (f, "alice", "dm:alice:bob", "between");
  reply = events_since (f, "bob", e2, 0);
  dm = ((ConfabStoreEvent *) g_ptr_array_index (reply->events, 0))->seq;
  g_clear_pointer (&reply, confab_store_reply_free);
  e4 = stream_op (f, "emit", "s", "bob");     /* both a reader and an extra: once */
  stream_op (f, "leave", "s", "bob");
  e5 = stream_op (f, "emit", "s", NULL);

  /* bob: from his joining to his leaving, merged with his DM, nothing twice. */
  {
    const gint64 want[] = { e1, e2, dm, e4 };

    g_assert_cmpint (before, <, e1);
    reply = events_since (f, "bob", 0, 0);
    assert_seqs (reply, want, G_N_ELEMENTS (want));
    g_assert_cmpint (reply->last_seq, ==, e4);
    g_assert_false (reply->more);
    g_clear_pointer (&reply, confab_store_reply_free);

    /* Pages across the merge. */
    reply = events_since (f, "bob", 0, 3);
    assert_seqs (reply, want, 3);
    g_assert_true (reply->more);
    g_clear_pointer (&reply, confab_store_reply_free);
    reply = events_since (f, "bob", dm, 3);
    assert_seqs (reply, want + 3, 1);
    g_assert_false (reply->more);
    g_clear_pointer (&reply, confab_store_reply_free);
  }
  /* carol: only the one given to her. */
  {
    const gint64 want[] = { e2 };

    reply = events_since (f, "carol", 0, 0);
    assert_seqs (reply, want, 1);
    g_clear_pointer (&reply, confab_store_reply_free);
  }

  /* Back in: the new events, not those of the time away. */
  stream_op (f, "join", "s", "bob");
  e6 = stream_op (f, "emit", "s", NULL);
  {
    const gint64 want[] = { e6 };

    reply = events_since (f, "bob", e4, 0);
    assert_seqs (reply, want, 1);
    g_assert_cmpint (reply->last_seq, ==, e6);
    g_clear_pointer (&reply, confab_store_reply_free);
  }
  g_assert_cmpint (e5, <, e6);

  /* Joining and leaving with nothing between leaves no interval. */
  stream_op (f, "join", "s", "carol");
  stream_op (f, "leave", "s", "carol");
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM stream_members"
                            " WHERE username = 'carol' AND stream = 's'"), ==, 0);

  /* Retention: a stream keeps its newest events; its readers' older positions resync. */
  for (guint i = 0; i < 5; i++)
    e7 = stream_op (f, "emit", "s", NULL);
  backend_prune (f, 30, 3);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", e6, 0);
  g_assert_true (reply->resync_required);
  g_assert_cmpint (reply->last_seq, ==, e7);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", e7 - 3, 0);
  g_assert_false (reply->resync_required);
  g_assert_cmpuint (reply->events->len, ==, 3);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Age: everything goes, positions resync, and the closed interval goes with its events. */
  backend_prune (f, 0, 0);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM stream_members WHERE to_seq IS NOT NULL"),
                   ==, 0);
  reply = events_since (f, "bob", e7 - 1, 0);
  g_assert_true (reply->resync_required);
  g_assert_cmpint (reply->last_seq, ==, e7);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", e7, 0);
  g_assert_false (reply->resync_required);
  g_assert_cmpuint (reply->events->len, ==, 0);
}

/* Rooms on the store: the rules of the rooms module without the network, and the cost of a
 * room message, which writes the same rows whatever the number of members. */
static char *
room_create (Fixture            *f,
             const char         *owner,
             const char * const *members)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  JsonObject *room;

  confab_rooms_create_async (f->store, owner, "Room", "", "private", members, NULL, done_cb, f);
  reply = wait_ok (f);
  room = json_object_get_object_member (confab_store_reply_get_result (reply), "room");
  return g_strdup (json_object_get_string_member (room, "id"));
}

static gint64
count_rows (Fixture *f)
{
  return sql_int (f, "SELECT (SELECT count (*) FROM events) + (SELECT count (*) FROM inbox)"
                  " + (SELECT count (*) FROM messages) + (SELECT count (*) FROM stream_members)"
                  " + (SELECT count (*) FROM conv_members)");
}

static void
test_rooms (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) many = NULL;
  g_autofree char *big = NULL;
  g_autofree char *small = NULL;
  g_autofree char *big_conv = NULL;
  g_autofree char *small_conv = NULL;
  g_autoptr(ConfabStoreReply) reply = NULL;
  const char *two[] = { "m001", NULL };
  gint64 rows, big_cost, small_cost, msg;
  ConfabStoreEvent *event;

  create_user (f, "owner");
  for (guint i = 1; i <= 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%03u", i);

      create_user (f, name);
      g_strv_builder_add (builder, name);
    }
  many = g_strv_builder_end (builder);
  big = room_create (f, "owner", (const char * const *) many);
  small = room_create (f, "owner", two);
  big_conv = g_strconcat ("room:", big, NULL);
  small_conv = g_strconcat ("room:", small, NULL);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM stream_members"
                            " WHERE to_seq IS NULL AND stream LIKE 'room:%'"), ==,
                   101 + 2);

  /* A message costs the same rows in a room of 101 as in a room of 2, and its event still
   * names every member for live delivery. */
  rows = count_rows (f);
  confab_messages_send_async (f->store, "m050", big_conv, "c1", "hello all",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  reply = wait_ok (f);
  event = g_ptr_array_index (reply->events, 0);
  g_assert_cmpuint (g_strv_length (event->users), ==, 101);
  g_clear_pointer (&reply, confab_store_reply_free);
  big_cost = count_rows (f) - rows;
  rows = count_rows (f);
  send (f, "m001", small_conv, "hello one");
  small_cost = count_rows (f) - rows;
  g_assert_cmpint (big_cost, ==, small_cost);
  g_assert_cmpint (big_cost, ==, 2);     /* the message and its event */

  /* Every member replays it; an outsider and the owner of the other room only, not. */
  reply = events_since (f, "m100", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 3);    /* joined, the creation line, the message */
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Leaving: the departed member keeps what was sent while in, not what comes after. */
  confab_rooms_leave_async (f->store, "m100", big, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  msg = send (f, "owner", big_conv, "after m100 left");
  reply = events_since (f, "m100", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 5);    /* + the line and room_member_left */
  event = g_ptr_array_index (reply->events, 4);
  g_assert_cmpstr (event->name, ==, "room_member_left");
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_history_async (f->store, "m100", big_conv, 0, 0, 0, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  reply = events_since (f, "m099", 0, 0);
  event = g_ptr_array_index (reply->events, reply->events->len - 1);
  g_assert_cmpstr (event->name, ==, "message");
  {
    g_autoptr(JsonObject) frame = parse_frame (event);
    JsonObject *sent = json_object_get_object_member (json_object_get_object_member (frame, "data"),
                                                      "msg");

    g_assert_cmpint (json_object_get_int_member (sent, "id"), ==, msg);
  }
  g_clear_pointer (&reply, confab_store_reply_free);

  /* The last owner stays; kicking needs an admin; a kicked member reads no more. */
  confab_rooms_leave_async (f->store, "owner", big, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_CONFLICT);
  confab_rooms_kick_async (f->store, "m001", big, "m002", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  confab_rooms_kick_async (f->store, "owner", big, "m002", NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_messages_send_async (f->store, "m002", big_conv, "c9", "still here?",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);

  /* An outsider of a private room cannot see it, join it or list its members. */
  confab_rooms_join_async (f->store, "m100", small, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  confab_rooms_members_async (f->store, "m100", small, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
}

static void
test_server_records (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) call = json_object_new ();
  g_autoptr(JsonObject) event_data = json_object_new ();
  g_autoptr(JsonObject) stored = NULL;
  const char *users[] = { "bob", NULL };
  ConfabStoreEvent *event;
  JsonObject *msg;
  gint64 id;

  create_user (f, "alice");
  create_user (f, "bob");

  /* A call becomes a kind:"call" message in the DM, once. */
  json_object_set_string_member (call, "call_id", "c-123");
  json_object_set_string_member (call, "result", "missed");
  json_object_set_int_member (call, "duration_ms", 0);
  confab_messages_record_call_async (f->store, "bob", "alice", "c-123", call, NULL, done_cb, f);
  reply = wait_ok (f);
  msg = json_object_get_object_member (confab_store_reply_get_result (reply), "msg");
  id = json_object_get_int_member (msg, "id");
  g_assert_cmpstr (json_object_get_string_member (msg, "kind"), ==, "call");
  g_assert_cmpstr (json_object_get_string_member (msg, "conv"), ==, "dm:alice:bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "");
  g_assert_cmpstr (json_object_get_string_member (msg, "client_msg_id"), ==, "call:c-123");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (msg, "call"),
                                                  "result"), ==, "missed");
  g_assert_cmpuint (reply->events->len, ==, 1);
  event = g_ptr_array_index (reply->events, 0);
  g_assert_cmpstr (event->name, ==, "message");
  g_assert_true (strv_has (event->users, "alice"));
  g_assert_true (strv_has (event->users, "bob"));
  g_clear_pointer (&reply, confab_store_reply_free);

  confab_messages_record_call_async (f->store, "bob", "alice", "c-123", call, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (confab_store_reply_get_result (reply), "msg"),
                                               "id"), ==, id);
  g_assert_cmpuint (reply->events->len, ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);

  stored = history_message (f, "alice", "dm:alice:bob", id);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (stored, "call"),
                                                  "call_id"), ==, "c-123");
  confab_messages_edit_async (f->store, "bob", id, "text", NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_INVALID);
  confab_messages_record_call_async (f->store, "bob", "nobody", "c-124", call, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  backend_check_search_index (f);

  /* An event the server makes itself reaches the stream of its users. */
  json_object_set_string_member (event_data, "call_id", "c-125");
  confab_store_event_add_async (f->store, "call_missed", event_data, users, NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpuint (reply->events->len, ==, 1);
  event = g_ptr_array_index (reply->events, 0);
  g_assert_cmpstr (event->name, ==, "call_missed");
  g_assert_cmpuint (g_strv_length (event->users), ==, 1);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 2);
  {
    g_autoptr(JsonObject) frame = parse_frame (g_ptr_array_index (reply->events, 1));

    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (frame, "data"),
                                                    "call_id"), ==, "c-125");
  }
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "alice", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 1);
}

static void
test_batch_failure (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = NULL;
  gint64 seq = 0;

  create_user (f, "alice");
  create_user (f, "bob");
  create_user (f, "dave");

  /* Queued together, these share a transaction: the bad ones must not take the others along.
   * The last one fails only after it created the rows of a new conversation. */
  confab_messages_send_async (f->store, "alice", "dm:alice:bob", "x-1", "first",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  confab_accounts_user_create_async (f->store, "bob", "h", NULL, NULL, NULL, done_cb, f);
  confab_messages_send_async (f->store, "alice", "dm:alice:bob", "x-2", "broken",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 424242, NULL, NULL, done_cb, f);
  confab_messages_send_async (f->store, "bob", "dm:alice:bob", "x-3", "third",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb, f);
  confab_accounts_user_create_async (f->store, "carol", "h", NULL, NULL, NULL, done_cb, f);
  confab_messages_send_async (f->store, "alice", "dm:alice:dave", "x-4", "lost",
                              CONFAB_MESSAGE_FORMAT_PLAIN, 424242, NULL, NULL, done_cb, f);
  wait_results (f, 6);

  for (guint i = 0; i < 6; i++)
    {
      GAsyncResult *result = g_ptr_array_index (f->results, i);

      /* Completions come in submission order. */
      g_assert_true (g_task_get_source_tag (G_TASK (result))
                     == (i == 1 || i == 4 ? (gpointer) confab_accounts_user_create_async
                                          : (gpointer) confab_messages_send_async));
      reply = confab_store_finish (f->store, result, &error);
      if (i == 1)
        g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_CONFLICT);
      else if (i == 2 || i == 5)
        g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID);
      else
        g_assert_no_error (error);
      if (i == 0 || i == 3)
        {
          ConfabStoreEvent *event = g_ptr_array_index (reply->events, 0);

          g_assert_cmpint (event->seq, >, seq);
          seq = event->seq;
        }
      g_clear_error (&error);
      g_clear_pointer (&reply, confab_store_reply_free);
    }
  g_ptr_array_set_size (f->results, 0);

  reply = history (f, "bob", "dm:alice:bob", 0, 0, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (confab_store_reply_get_result (reply),
                                                                         "messages")), ==, 2);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = events_since (f, "bob", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 2);
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_profiles_get_async (f->store, "carol", NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpint (sql_int (f, "SELECT count (*) FROM conversations WHERE conv = 'dm:alice:dave'"),
                   ==, 0);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* The conversation comes into being with its first message all the same. */
  send (f, "alice", "dm:alice:dave", "found");
  reply = history (f, "dave", "dm:alice:dave", 0, 0, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (confab_store_reply_get_result (reply),
                                                                         "messages")), ==, 1);
}

static void
test_reopen (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autofree char *device = NULL;
  gint64 id, seq;

  create_user (f, "alice");
  create_user (f, "bob");
  device = device_create (f, "bob", "tok");
  id = send (f, "alice", "dm:alice:bob", "durable words");
  confab_messages_react_async (f->store, "bob", id, "✅", TRUE, NULL, done_cb, f);
  reply = wait_ok (f);
  seq = ((ConfabStoreEvent *) g_ptr_array_index (reply->events, 0))->seq;
  g_clear_pointer (&reply, confab_store_reply_free);
  confab_store_ack_async (f->store, device, seq, NULL, done_cb, f);
  reply = wait_ok (f);
  g_clear_pointer (&reply, confab_store_reply_free);
  fixture_close (f);

  g_assert_cmpint (sql_int (f, "SELECT acked_seq FROM devices"), ==, seq);

  fixture_open (f);
  confab_session_lookup_async (f->store, "tok", NULL, done_cb, f);
  reply = wait_ok (f);
  g_assert_cmpstr (json_object_get_string_member (confab_store_reply_get_result (reply), "device_id"), ==, device);
  g_clear_pointer (&reply, confab_store_reply_free);

  msg = history_message (f, "bob", "dm:alice:bob", id);
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "durable words");
  g_assert_nonnull (json_object_get_array_member (msg, "reactions"));
  g_assert_cmpuint (search_count (f, "bob", "durable", NULL), ==, 1);

  reply = events_since (f, "bob", 0, 0);
  g_assert_cmpuint (reply->events->len, ==, 2);
  g_assert_cmpint (reply->last_seq, ==, seq);
  g_clear_pointer (&reply, confab_store_reply_free);

  /* Idempotency and seqs survive too. */
  {
    g_autoptr(JsonObject) again = NULL;
    g_autofree char *cmid = NULL;

    confab_messages_send_async (f->store, "alice", "dm:alice:bob",
                                json_object_get_string_member (msg, "client_msg_id"),
                                "durable words", CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL,
                                done_cb, f);
    reply = wait_ok (f);
    g_assert_cmpuint (reply->events->len, ==, 0);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (confab_store_reply_get_result (reply),
                                                                                "msg"), "id"),
                     ==, id);
    g_clear_pointer (&reply, confab_store_reply_free);
    cmid = g_uuid_string_random ();
    again = send_full (f, "alice", "dm:alice:bob", cmid, "new", 0);
    g_assert_cmpint (json_object_get_int_member (again, "id"), >, id);
    reply = events_since (f, "bob", seq, 0);
    g_assert_cmpuint (reply->events->len, ==, 1);
    g_assert_cmpint (((ConfabStoreEvent *) g_ptr_array_index (reply->events, 0))->seq, >, seq);
  }

  /* After close, operations fail instead of hanging. */
  fixture_close (f);
  {
    g_autoptr(ConfabStore) store = backend_open (f, NULL);
    g_autoptr(GError) error = NULL;

    confab_store_close (store);
    f->store = g_object_ref (store);
    confab_profiles_get_async (f->store, "alice", NULL, done_cb, f);
    wait_results (f, 1);
    g_assert_null (take_reply (f, 0, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
    g_ptr_array_set_size (f->results, 0);
  }
}

static void
assert_same_message (JsonObject *a,
                     JsonObject *b)
{
  g_autoptr(JsonNode) node_a = json_node_init_object (json_node_alloc (), a);
  g_autoptr(JsonNode) node_b = json_node_init_object (json_node_alloc (), b);

  if (!json_node_equal (node_a, node_b))
    {
      g_autofree char *text_a = confab_json_object_to_string (a, NULL);
      g_autofree char *text_b = confab_json_object_to_string (b, NULL);

      g_error ("messages differ:\n%s\n%s", text_a, text_b);
    }
}

/* A new message is written as text straight away for its event and its result; that text must
 * say exactly what history says of the stored message. */
static void
test_sent_equals_stored (Fixture       *f,
                         gconstpointer  data)
{
  const char *body = "\"quoted\" \\ back\nslash\ttab ünïcødé ✓ 𝄞 </script>";
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) stored_first = NULL;
  g_autoptr(ConfabStoreReply) reply = NULL;
  g_autoptr(JsonObject) frame = NULL;
  g_autoptr(JsonObject) stored = NULL;
  JsonObject *sent;
  JsonObject *event_msg;
  gint64 id;

  create_user (f, "alice");
  create_user (f, "bob");

  first = send_full (f, "alice", "dm:alice:bob", "plain-1", "first", 0);
  stored_first = history_message (f, "bob", "dm:alice:bob",
                                  json_object_get_int_member (first, "id"));
  assert_same_message (first, stored_first);

  confab_messages_send_async (f->store, "bob", "dm:alice:bob", "tricky \"id\"", body,
                              CONFAB_MESSAGE_FORMAT_MARKDOWN,
                              json_object_get_int_member (first, "id"), NULL, NULL,
                              done_cb, f);
  reply = wait_ok (f);
  g_assert_nonnull (reply->result_text);
  sent = json_object_get_object_member (confab_store_reply_get_result (reply), "msg");
  id = json_object_get_int_member (sent, "id");
  g_assert_cmpstr (json_object_get_string_member (sent, "body"), ==, body);

  frame = parse_frame (g_ptr_array_index (reply->events, 0));
  event_msg = json_object_get_object_member (json_object_get_object_member (frame, "data"), "msg");
  stored = history_message (f, "alice", "dm:alice:bob", id);
  assert_same_message (sent, stored);
  assert_same_message (event_msg, stored);
}

static gboolean
database_grew (gpointer user_data)
{
  Fixture *f = user_data;
  GStatBuf st;

  return g_stat (f->path, &st) == 0 && st.st_size > 8 * 1024 * 1024;
}

static gboolean
keep_looking (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
deadline_passed (gpointer user_data)
{
  gboolean *passed = user_data;

  *passed = TRUE;
  return G_SOURCE_REMOVE;
}

/* Commits only append to the write-ahead log; a checkpoint copies it back into the database
 * file. That happens beside the writer, while the store runs, not only when it closes. */
static void
test_checkpoints (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *body = g_strnfill (4000, 'x');
  gboolean passed = FALSE;
  guint timeout;
  guint tick;

  create_user (f, "alice");
  create_user (f, "bob");

  /* About 20 MiB of log: past the 16 MiB at which a checkpoint is asked for. */
  for (guint round = 0; round < 10; round++)
    {
      for (guint i = 0; i < 500; i++)
        {
          g_autofree char *cmid = g_strdup_printf ("bulk-%u-%u", round, i);

          confab_messages_send_async (f->store, "alice", "dm:alice:bob", cmid, body,
                                      CONFAB_MESSAGE_FORMAT_PLAIN, 0, NULL, NULL, done_cb,
                                      f);
        }
      wait_results (f, 500);
      g_ptr_array_set_size (f->results, 0);
    }

  /* The checkpoint runs on its own thread: look at the file now and then, until a deadline. */
  timeout = g_timeout_add (10000, deadline_passed, &passed);
  tick = g_timeout_add (50, keep_looking, NULL);
  while (!database_grew (f) && !passed)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (!passed)
    g_source_remove (timeout);
  g_assert_true (database_grew (f));
}

/* Announcements: who may make them, and the permission an admin grants. */
static void
test_broadcast_grant (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) all = json_object_new ();
  g_autoptr(ConfabStoreReply) reply = NULL;

  json_object_set_boolean_member (all, "all", TRUE);
  create_user (f, "alice");   /* the first account administers */
  create_user (f, "bob");

  confab_broadcast_send_async (f->store, "bob", NULL, "hi", all, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  confab_broadcast_grant_async (f->store, "bob", TRUE, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  confab_broadcast_grant_async (f->store, "bob", TRUE, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  g_assert_cmpint (sql_int (f, "SELECT permissions = 'broadcast' FROM users"
                            " WHERE username = 'bob'"), ==, 1);
  confab_broadcast_send_async (f->store, "bob", NULL, "hi", all, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  g_assert_cmpint (json_object_get_int_member (confab_store_reply_get_result (reply),
                                               "recipients"), ==, 1);
  g_assert_cmpuint (reply->events->len, ==, 1);

  confab_broadcast_grant_async (f->store, "bob", FALSE, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  confab_broadcast_send_async (f->store, "bob", NULL, "hi", all, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  confab_broadcast_send_async (f->store, "alice", NULL, "hi", all, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  confab_broadcast_grant_async (f->store, "nobody", TRUE, NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
}

/* The company directory's rules: an entry makes or updates its account and records it as the
 * directory's; a sync disables (and signs out) the directory accounts it no longer lists, but
 * neither local accounts nor the last administrator; listed again, an account comes back
 * unless an administrator disabled it. */
static ConfabLdapEntry *
ldap_entry (const char *username,
            const char *title)
{
  ConfabLdapEntry *entry = g_new0 (ConfabLdapEntry, 1);

  entry->username = g_strdup (username);
  entry->dn = g_strdup_printf ("uid=%s,ou=people,dc=example,dc=com", username);
  entry->values[CONFAB_LDAP_ATTR_USERNAME] = g_strdup (username);
  entry->values[CONFAB_LDAP_ATTR_DISPLAY_NAME] = g_strdup_printf ("%c%s Doe",
                                                                  g_ascii_toupper (username[0]),
                                                                  username + 1);
  entry->values[CONFAB_LDAP_ATTR_DEPARTMENT] = g_strdup ("Sales");
  entry->values[CONFAB_LDAP_ATTR_TITLE] = g_strdup (title);
  /* Not an email address: left out, the rest is kept. */
  entry->values[CONFAB_LDAP_ATTR_EMAIL] = g_strdup ("no-at-sign");
  return entry;
}

static GPtrArray *
ldap_entries (const char *first,
              ...)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_ldap_entry_free);
  va_list args;

  va_start (args, first);
  for (const char *name = first; name != NULL; name = va_arg (args, const char *))
    g_ptr_array_add (entries, ldap_entry (name, "Rep"));
  va_end (args);
  return entries;
}

static void
test_ldap_sync (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(ConfabStoreReply) reply = NULL;
  JsonObject *result;
  JsonObject *user;

  /* The local administrator, and a local account that the directory also names. */
  confab_accounts_user_create_async (f->store, "admin", "hash-a", NULL, NULL, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  confab_accounts_user_create_async (f->store, "local", "hash-l", NULL, NULL, NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);

  confab_ldap_account_update_async (f->store, ldap_entry ("alice", "Engineer"), NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  result = confab_store_reply_get_result (reply);
  user = json_object_get_object_member (result, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Alice Doe");
  g_assert_cmpstr (json_object_get_string_member (user, "title"), ==, "Engineer");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "user");
  g_assert_false (json_object_has_member (user, "email"));
  g_assert_false (json_object_get_boolean_member (result, "disabled"));
  g_assert_cmpint (sql_int (f, "SELECT count(*) FROM ldap_accounts"), ==, 1);
  /* The directory does not take over a local account. */
  confab_ldap_account_update_async (f->store, ldap_entry ("local", "Rep"), NULL, done_cb, f);
  wait_error (f, CONFAB_PROTOCOL_ERROR_CONFLICT);

  /* A device of alice's, which the sync takes away with the account. */
  confab_accounts_device_create_async (f->store, "alice", "laptop", "token-hash-alice", NULL,
                                       done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);

  confab_ldap_sync_async (f->store, ldap_entries ("alice", "bob", "local", NULL), NULL, done_cb,
                          f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  result = confab_store_reply_get_result (reply);
  g_assert_cmpint (json_object_get_int_member (result, "created"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (result, "updated"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "disabled")),
                    ==, 0);
  g_assert_cmpint (sql_int (f, "SELECT count(*) FROM users WHERE username = 'alice'"
                            " AND title = 'Rep'"), ==, 1);

  /* Alice leaves the company. */
  confab_ldap_sync_async (f->store, ldap_entries ("bob", NULL), NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  result = confab_store_reply_get_result (reply);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (result, "disabled")),
                    ==, 1);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (result,
                                                                                "disabled"), 0),
                   ==, "alice");
  g_assert_cmpuint (g_strv_length (reply->revoked_devices), ==, 1);
  g_assert_cmpint (sql_int (f, "SELECT disabled FROM users WHERE username = 'alice'"), ==, 1);
  g_assert_cmpint (sql_int (f, "SELECT disabled FROM users WHERE username = 'local'"), ==, 0);
  g_assert_cmpint (sql_int (f, "SELECT disabled FROM users WHERE username = 'admin'"), ==, 0);

  /* She comes back: enabled again. Bob, disabled by an administrator, stays disabled. */
  sql_exec (f, "UPDATE users SET disabled = 1 WHERE username = 'bob'");
  confab_ldap_sync_async (f->store, ldap_entries ("alice", "bob", NULL), NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  g_assert_cmpint (sql_int (f, "SELECT disabled FROM users WHERE username = 'alice'"), ==, 0);
  g_assert_cmpint (sql_int (f, "SELECT disabled FROM users WHERE username = 'bob'"), ==, 1);

  /* A directory user made the only administrator is not disabled by the sync. */
  sql_exec (f, "UPDATE users SET role = 'user' WHERE username = 'admin'");
  sql_exec (f, "UPDATE users SET role = 'admin' WHERE username = 'alice'");
  confab_ldap_sync_async (f->store, ldap_entries ("bob", NULL), NULL, done_cb, f);
  g_clear_pointer (&reply, confab_store_reply_free);
  reply = wait_ok (f);
  g_assert_cmpint (sql_int (f, "SELECT disabled FROM users WHERE username = 'alice'"), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/confab/store/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  /* About the SQLite backend's schema and files. */
  ADD ("migrate-empty", test_migrate_empty);
  ADD ("migrate-events", test_migrate_events);
  ADD ("migrate-directory", test_migrate_directory);
  ADD ("checkpoints", test_checkpoints);

  /* On any backend. */
  ADD ("users", test_users);
  ADD ("devices", test_devices);
  ADD ("ldap-sync", test_ldap_sync);
  ADD ("send", test_send);
  ADD ("sent-equals-stored", test_sent_equals_stored);
  ADD ("block", test_block);
  ADD ("broadcast-grant", test_broadcast_grant);
  ADD ("reply-to", test_reply_to);
  ADD ("edit", test_edit);
  ADD ("delete", test_delete);
  ADD ("react", test_react);
  ADD ("read", test_read);
  ADD ("history-paging", test_history_paging);
  ADD ("conversations", test_conversations);
  ADD ("search", test_search);
  ADD ("events-since", test_events_since);
  ADD ("streams", test_streams);
  ADD ("rooms", test_rooms);
  ADD ("server-records", test_server_records);
  ADD ("batch-failure", test_batch_failure);
  ADD ("reopen", test_reopen);

#undef ADD

  return g_test_run ();
}
