/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-sqlite-store"

#include "config.h"

#include "confab-sqlite-store-private.h"
#include "confab-store-private.h"
#include "confab-db.h"
#include "confab-db-worker.h"
#include "confab-account-store.h"
#include "confab-message-store.h"
#include "confab-profile-store.h"
#include "confab-error.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-validate.h"

#include <sqlite3.h>
#include <string.h>

#define PRUNE_INTERVAL_MS         (10 * 60 * 1000)
#define SEARCH_MAX_TERMS          16


struct _ConfabSqliteStore
{
  GObject       parent_instance;

  char         *path;
  ConfabDb       *db;           /* owned by the worker's thread while it runs */
  ConfabDbWorker *worker;
  gint          retention_days; /* atomic */
  gint          user_event_cap; /* atomic */

  /* Owned by the worker thread once it runs. */
  GHashTable   *known_convs;    /* conversations whose rows are committed */
  GPtrArray    *new_convs;      /* conversations created by the batch in progress */
  GHashTable   *pending_acks;   /* device_id → gint64 * */
  gint64        last_seq;
  gboolean      fts_dirty;      /* the batch queued changes for the search index */
  gboolean      fts_purge;      /* and removed words from it */
  GHashTable   *activity;       /* conv → Activity: sends not yet applied to conversations */
  gint64        last_prune;
  gint64        batch_seq;      /* last_seq when the batch began */
  gint64        seq_mark;       /* last_seq and new_convs->len when the job began */
  guint         convs_mark;

  /* Set before the first unit of work; read on the worker thread. */
  ConfabStoreBatchFunc batch_func;
  gpointer             batch_data;
};

typedef struct
{
  gint64 last_msg_id;
  gint64 ts;
} Activity;

static void confab_store_iface_init (ConfabStoreInterface *iface);
static void confab_message_store_iface_init (ConfabMessageStoreInterface *iface);
static void confab_profile_store_iface_init (ConfabProfileStoreInterface *iface);
static void confab_account_store_iface_init (ConfabAccountStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabSqliteStore, confab_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_STORE, confab_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_MESSAGE_STORE,
                                                      confab_message_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_PROFILE_STORE,
                                                      confab_profile_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_ACCOUNT_STORE,
                                                      confab_account_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_ROOM_STORE,
                                                      confab_sqlite_room_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_CONTACT_STORE,
                                                      confab_sqlite_contact_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_DIRECTORY_STORE,
                                                      confab_sqlite_directory_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_FILE_STORE,
                                                      confab_sqlite_file_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_BROADCAST_STORE,
                                                      confab_sqlite_broadcast_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_AUDIT_STORE,
                                                      confab_sqlite_audit_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_BACKUP_STORE,
                                                      confab_sqlite_backup_store_iface_init)
                               G_IMPLEMENT_INTERFACE (CONFAB_TYPE_LDAP_STORE,
                                                      confab_sqlite_ldap_store_iface_init))

/* The schema, one script per version (see confab_db_open ()). */
static const char * const migrations[] = {
  /* 1: the initial schema. */
  "CREATE TABLE users ("
  "  username       TEXT PRIMARY KEY,"
  "  password_hash  TEXT NOT NULL,"
  "  display_name   TEXT,"
  "  email          TEXT,"
  "  phone          TEXT,"
  "  department     TEXT,"
  "  title          TEXT,"
  "  location       TEXT,"
  "  avatar_file_id TEXT,"
  "  role           TEXT NOT NULL DEFAULT 'user',"
  "  bot            INTEGER NOT NULL DEFAULT 0,"
  "  disabled       INTEGER NOT NULL DEFAULT 0,"
  "  created_ts     INTEGER NOT NULL,"
  "  last_seen_ts   INTEGER,"
  "  events_floor   INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE TABLE devices ("
  "  device_id    TEXT PRIMARY KEY,"
  "  username     TEXT NOT NULL REFERENCES users (username),"
  "  name         TEXT NOT NULL,"
  "  token_hash   TEXT UNIQUE,"
  "  created_ts   INTEGER NOT NULL,"
  "  last_seen_ts INTEGER,"
  "  revoked      INTEGER NOT NULL DEFAULT 0,"
  "  acked_seq    INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX devices_by_user ON devices (username);"
  "CREATE TABLE conversations ("
  "  conv             TEXT PRIMARY KEY,"
  "  kind             TEXT NOT NULL CHECK (kind IN ('dm', 'room')),"
  "  created_ts       INTEGER NOT NULL,"
  "  last_msg_id      INTEGER,"
  "  last_activity_ts INTEGER NOT NULL"
  ");"
  "CREATE INDEX conversations_by_activity ON conversations (last_activity_ts);"
  "CREATE TABLE conv_members ("
  "  conv      TEXT NOT NULL REFERENCES conversations (conv),"
  "  username  TEXT NOT NULL REFERENCES users (username),"
  "  role      TEXT NOT NULL DEFAULT 'member',"
  "  last_read INTEGER NOT NULL DEFAULT 0,"
  "  unread    INTEGER NOT NULL DEFAULT 0,"
  "  joined_ts INTEGER NOT NULL,"
  "  PRIMARY KEY (conv, username)"
  ") WITHOUT ROWID;"
  "CREATE INDEX conv_members_by_user ON conv_members (username, conv);"
  "CREATE TABLE rooms ("
  "  room_id    TEXT PRIMARY KEY,"
  "  name       TEXT NOT NULL,"
  "  topic      TEXT NOT NULL DEFAULT '',"
  "  visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),"
  "  owner      TEXT REFERENCES users (username),"
  "  created_ts INTEGER NOT NULL"
  ");"
  "CREATE TABLE room_invites ("
  "  room_id  TEXT NOT NULL REFERENCES rooms (room_id),"
  "  username TEXT NOT NULL REFERENCES users (username),"
  "  inviter  TEXT NOT NULL,"
  "  ts       INTEGER NOT NULL,"
  "  PRIMARY KEY (room_id, username)"
  ") WITHOUT ROWID;"
  "CREATE TABLE messages ("
  "  id            INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  conv          TEXT NOT NULL REFERENCES conversations (conv),"
  "  sender        TEXT NOT NULL REFERENCES users (username),"
  "  ts            INTEGER NOT NULL,"
  "  client_msg_id TEXT NOT NULL,"
  "  kind          TEXT NOT NULL DEFAULT 'text',"
  "  body          TEXT NOT NULL,"
  "  format        TEXT NOT NULL DEFAULT 'plain',"
  "  reply_to      INTEGER,"
  "  attachments   TEXT,"
  "  edited_ts     INTEGER,"
  "  deleted       INTEGER NOT NULL DEFAULT 0,"
  "  call          TEXT,"
  "  UNIQUE (sender, client_msg_id)"
  ");"
  "CREATE INDEX messages_by_conv ON messages (conv, id);"
  "CREATE TABLE reactions ("
  "  msg_id   INTEGER NOT NULL REFERENCES messages (id),"
  "  username TEXT NOT NULL,"
  "  emoji    TEXT NOT NULL,"
  "  ts       INTEGER NOT NULL,"
  "  UNIQUE (msg_id, emoji, username)"
  ");"
  /* The index holds only the words: bodies stay in messages (external content), and positions
   * are left out (detail=none) because search is by words, not phrases. */
  "CREATE VIRTUAL TABLE messages_fts USING fts5 ("
  "  body, content = 'messages', content_rowid = 'id', detail = none"
  ");"
  "CREATE TABLE events ("
  "  seq   INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  name  TEXT NOT NULL,"
  "  frame TEXT NOT NULL,"
  "  ts    INTEGER NOT NULL"
  ");"
  "CREATE TABLE inbox ("
  "  username TEXT NOT NULL,"
  "  seq      INTEGER NOT NULL,"
  "  PRIMARY KEY (username, seq)"
  ") WITHOUT ROWID;"
  "CREATE TABLE blocks ("
  "  blocker TEXT NOT NULL REFERENCES users (username),"
  "  blocked TEXT NOT NULL REFERENCES users (username),"
  "  ts      INTEGER NOT NULL,"
  "  PRIMARY KEY (blocker, blocked)"
  ") WITHOUT ROWID;"
  "CREATE TABLE contacts ("
  "  owner   TEXT NOT NULL REFERENCES users (username),"
  "  contact TEXT NOT NULL REFERENCES users (username),"
  "  state   TEXT NOT NULL CHECK (state IN ('pending_out', 'pending_in', 'accepted')),"
  "  grp     TEXT NOT NULL DEFAULT '',"
  "  message TEXT,"
  "  ts      INTEGER NOT NULL,"
  "  PRIMARY KEY (owner, contact)"
  ") WITHOUT ROWID;",

  /* 2: events that carry a message know its id, so that an edit or a delete can bring them
   * to the message's current state; copies already kept of edited and deleted text go. */
  "ALTER TABLE events ADD COLUMN msg INTEGER;"
  "UPDATE events SET msg = json_extract (frame, '$.data.msg.id')"
  " WHERE name IN ('message', 'message_edited');"
  "CREATE INDEX events_by_msg ON events (msg) WHERE msg IS NOT NULL;"
  "UPDATE events SET frame = json_set (frame, '$.data.msg.body', m.body)"
  " FROM messages m WHERE events.msg = m.id AND (m.deleted != 0 OR m.edited_ts IS NOT NULL);"
  "UPDATE events SET frame = json_remove (frame, '$.data.msg.attachments', '$.data.msg.call')"
  " FROM messages m WHERE events.msg = m.id AND m.deleted != 0;"
  "INSERT INTO messages_fts (messages_fts) VALUES ('optimize');",

  /* 3: streams. An event for many readers (a room's) is stored once with its stream and no
   * inbox rows; who reads a stream, from which seq to which, is a list of intervals. Unread
   * counts are derived from the read marks, so conv_members.unread is no longer kept. */
  "ALTER TABLE events ADD COLUMN stream TEXT;"
  "CREATE INDEX events_by_stream ON events (stream, seq) WHERE stream IS NOT NULL;"
  "CREATE TABLE stream_members ("
  "  username TEXT NOT NULL,"
  "  stream   TEXT NOT NULL,"
  "  from_seq INTEGER NOT NULL,"
  "  to_seq   INTEGER,"
  "  PRIMARY KEY (username, stream, from_seq)"
  ") WITHOUT ROWID;"
  "CREATE INDEX stream_members_by_stream ON stream_members (stream, username);"
  "UPDATE conv_members SET unread = 0;",

  /* 4: a message's mentions (JSON array of usernames and "@room") and, for a system line,
   * what happened (JSON object). */
  "ALTER TABLE messages ADD COLUMN mentions TEXT;"
  "ALTER TABLE messages ADD COLUMN system TEXT;",

  /* 5: the company directory, announcements and the broadcast permission. The directory's
   * word index covers accounts that are not disabled; triggers keep it in step with users,
   * whoever writes them. Each user has a stable directory id (a rowid of users could change
   * with a VACUUM). The f_ columns hold department, title and location between two marker
   * words, so that a phrase that starts with the one and ends with the other matches the
   * whole value, word by word. directory_state.version moves whenever the order of the
   * directory may change. */
  "ALTER TABLE users ADD COLUMN permissions TEXT NOT NULL DEFAULT '';"
  "CREATE TABLE directory ("
  "  id       INTEGER PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE"
  ");"
  "CREATE TABLE directory_state (version INTEGER NOT NULL);"
  "INSERT INTO directory_state (version) VALUES (1);"
  "CREATE VIRTUAL TABLE directory_fts USING fts5 ("
  "  username, display_name, email, title, department, f_department, f_title, f_location,"
  "  tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3'"
  ");"
  "CREATE TRIGGER directory_user_added AFTER INSERT ON users BEGIN"
  "  INSERT INTO directory (username) VALUES (new.username);"
  "  INSERT INTO directory_fts (rowid, username, display_name, email, title, department,"
  "                             f_department, f_title, f_location)"
  "  SELECT id, new.username, new.display_name, new.email, new.title, new.department,"
  "         'confabstart0 ' || nullif (new.department, '') || ' confabend0',"
  "         'confabstart0 ' || nullif (new.title, '') || ' confabend0',"
  "         'confabstart0 ' || nullif (new.location, '') || ' confabend0'"
  "  FROM directory WHERE username = new.username AND new.disabled = 0;"
  "  UPDATE directory_state SET version = version + 1;"
  "END;"
  "CREATE TRIGGER directory_user_changed AFTER UPDATE OF"
  "  username, display_name, email, title, department, location, disabled ON users BEGIN"
  "  DELETE FROM directory_fts"
  "  WHERE rowid = (SELECT id FROM directory WHERE username = old.username);"
  "  UPDATE directory SET username = new.username WHERE username = old.username;"
  "  INSERT INTO directory_fts (rowid, username, display_name, email, title, department,"
  "                             f_department, f_title, f_location)"
  "  SELECT id, new.username, new.display_name, new.email, new.title, new.department,"
  "         'confabstart0 ' || nullif (new.department, '') || ' confabend0',"
  "         'confabstart0 ' || nullif (new.title, '') || ' confabend0',"
  "         'confabstart0 ' || nullif (new.location, '') || ' confabend0'"
  "  FROM directory WHERE username = new.username AND new.disabled = 0;"
  "  UPDATE directory_state SET version = version + 1"
  "  WHERE old.username IS NOT new.username OR old.display_name IS NOT new.display_name"
  "     OR old.disabled IS NOT new.disabled;"
  "END;"
  "CREATE TRIGGER directory_user_removed AFTER DELETE ON users BEGIN"
  "  DELETE FROM directory_fts"
  "  WHERE rowid = (SELECT id FROM directory WHERE username = old.username);"
  "  DELETE FROM directory WHERE username = old.username;"
  "  UPDATE directory_state SET version = version + 1;"
  "END;"
  "INSERT INTO directory (username) SELECT username FROM users ORDER BY username;"
  "INSERT INTO directory_fts (rowid, username, display_name, email, title, department,"
  "                           f_department, f_title, f_location)"
  " SELECT d.id, u.username, u.display_name, u.email, u.title, u.department,"
  "        'confabstart0 ' || nullif (u.department, '') || ' confabend0',"
  "        'confabstart0 ' || nullif (u.title, '') || ' confabend0',"
  "        'confabstart0 ' || nullif (u.location, '') || ' confabend0'"
  " FROM directory d JOIN users u USING (username) WHERE u.disabled = 0;"
  "CREATE INDEX contacts_by_contact ON contacts (contact);"
  "CREATE TABLE broadcasts ("
  "  id       INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  sender   TEXT NOT NULL,"
  "  ts       INTEGER NOT NULL,"
  "  body     TEXT NOT NULL,"
  "  audience TEXT NOT NULL"
  ");"
  /* Every account reads the stream of announcements to everyone from its creation on: one
   * row per account, written with it, so that an announcement to all writes no row per
   * reader. */
  "CREATE TRIGGER broadcast_all_reader AFTER INSERT ON users BEGIN"
  "  INSERT INTO stream_members (username, stream, from_seq)"
  "  VALUES (new.username, 'broadcast:all',"
  "          coalesce ((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1);"
  "END;"
  "INSERT INTO stream_members (username, stream, from_seq)"
  " SELECT username, 'broadcast:all',"
  "        coalesce ((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1"
  " FROM users WHERE disabled = 0;",

  /* 6: files. An upload is a row from its creation; `received` counts the bytes synced to
   * disk, sha256 is set once it is whole. file_refs says which messages refer to a file, so
   * that their conversations may read it. */
  "CREATE TABLE IF NOT EXISTS files ("
  "  file_id           TEXT PRIMARY KEY,"
  "  owner             TEXT NOT NULL REFERENCES users (username),"
  "  name              TEXT NOT NULL,"
  "  mime              TEXT NOT NULL,"
  "  metadata          TEXT NOT NULL DEFAULT '',"
  "  sha256            TEXT,"
  "  thumbnail_file_id TEXT,"
  "  size              INTEGER NOT NULL,"
  "  received          INTEGER NOT NULL DEFAULT 0,"
  "  created_ts        INTEGER NOT NULL,"
  "  expires_ts        INTEGER NOT NULL DEFAULT 0,"
  "  width             INTEGER NOT NULL DEFAULT 0,"
  "  height            INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX IF NOT EXISTS files_by_owner ON files (owner);"
  "CREATE INDEX IF NOT EXISTS files_unfinished ON files (expires_ts) WHERE sha256 IS NULL;"
  "CREATE TABLE IF NOT EXISTS file_refs ("
  "  file_id       TEXT NOT NULL REFERENCES files (file_id),"
  "  conv          TEXT NOT NULL,"
  "  sender        TEXT NOT NULL,"
  "  client_msg_id TEXT NOT NULL,"
  "  PRIMARY KEY (file_id, conv, sender, client_msg_id)"
  ") WITHOUT ROWID;"
  "CREATE INDEX IF NOT EXISTS users_by_avatar ON users (avatar_file_id)"
  " WHERE avatar_file_id IS NOT NULL;",

  /* 7: a log of the changes that move an account in the directory's order or filters, which
   * the store thread's copy of them follows (confab-sqlite-directory.c). It keeps the newest
   * 10 000 changes; a reader further behind reads the directory again. */
  "CREATE TABLE directory_changes ("
  "  seq      INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  username TEXT NOT NULL"
  ");"
  "CREATE TRIGGER directory_change_added AFTER INSERT ON users BEGIN"
  "  INSERT INTO directory_changes (username) VALUES (new.username);"
  "  DELETE FROM directory_changes"
  "  WHERE seq <= (SELECT max (seq) FROM directory_changes) - 10000;"
  "END;"
  "CREATE TRIGGER directory_change_changed AFTER UPDATE OF"
  "  username, display_name, department, title, location, disabled ON users BEGIN"
  "  INSERT INTO directory_changes (username) VALUES (new.username);"
  "  DELETE FROM directory_changes"
  "  WHERE seq <= (SELECT max (seq) FROM directory_changes) - 10000;"
  "END;"
  "CREATE TRIGGER directory_change_removed AFTER DELETE ON users BEGIN"
  "  INSERT INTO directory_changes (username) VALUES (old.username);"
  "  DELETE FROM directory_changes"
  "  WHERE seq <= (SELECT max (seq) FROM directory_changes) - 10000;"
  "END;",

  /* 8: the store thread's copy of the directory holds the words searched for, the email's
   * among them, so a change of email is logged too. */
  "DROP TRIGGER directory_change_changed;"
  "CREATE TRIGGER directory_change_changed AFTER UPDATE OF"
  "  username, display_name, email, department, title, location, disabled ON users BEGIN"
  "  INSERT INTO directory_changes (username) VALUES (new.username);"
  "  DELETE FROM directory_changes"
  "  WHERE seq <= (SELECT max (seq) FROM directory_changes) - 10000;"
  "END;",
  /* 9: the audit log of administration; details is an object's JSON text. */
  "CREATE TABLE audit ("
  "  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  ts      INTEGER NOT NULL,"
  "  actor   TEXT NOT NULL,"
  "  action  TEXT NOT NULL,"
  "  target  TEXT,"
  "  details TEXT,"
  "  address TEXT"
  ");",

  /* 10: a profile's time zone (an IANA name), for the local time others see. */
  "ALTER TABLE users ADD COLUMN timezone TEXT;",

  /* 11: the accounts that come from the company directory (LDAP), under which entry, and
   * whether the directory's sync disabled them (an administrator's disabling is not undone by
   * the directory). */
  "CREATE TABLE ldap_accounts ("
  "  username      TEXT PRIMARY KEY REFERENCES users (username),"
  "  dn            TEXT NOT NULL,"
  "  synced_ts     INTEGER NOT NULL,"
  "  sync_disabled INTEGER NOT NULL DEFAULT 0"
  ");",
};

#define USER_COLUMNS   CONFAB_SQLITE_USER_COLUMNS
#define USER_COLUMNS_U CONFAB_SQLITE_USER_COLUMNS_U
#define MESSAGE_COLUMNS \
  "id, conv, sender, ts, client_msg_id, kind, body, format, reply_to, attachments, edited_ts, " \
  "deleted, call, mentions, system"
#define MESSAGE_COLUMNS_M \
  "m.id, m.conv, m.sender, m.ts, m.client_msg_id, m.kind, m.body, m.format, m.reply_to, " \
  "m.attachments, m.edited_ts, m.deleted, m.call, m.mentions, m.system"

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static gboolean
work_writes (ConfabStoreWork *work)
{
  return (work->flags & CONFAB_STORE_WORK_WRITE) != 0;
}

/* --- SQL helpers ------------------------------------------------------------------------------
 *
 * The database is a ConfabDb that the worker thread owns; a failure is kept there and turns
 * the work in progress into an `internal` error. */

#define query(self, ...)      confab_db_query ((self)->db, __VA_ARGS__)
#define step(self, stmt)      confab_db_step ((self)->db, (stmt))
#define run(self, ...)        confab_db_run ((self)->db, __VA_ARGS__)
#define query_int(self, ...)  confab_db_query_int ((self)->db, __VA_ARGS__)
#define query_text(self, ...) confab_db_query_text ((self)->db, __VA_ARGS__)
#define col_text(stmt, col)   confab_db_column_text ((stmt), (col))

static gboolean
col_is_null (sqlite3_stmt *stmt,
             int           col)
{
  return sqlite3_column_type (stmt, col) == SQLITE_NULL;
}

/* --- JSON of the protocol --------------------------------------------------------------------- */

/* A User from the USER_COLUMNS starting at @col. */
JsonObject *
confab_sqlite_user_from_row (sqlite3_stmt *stmt,
                             int           col)
{
  static const char * const optional[] = {
    "email", "phone", "department", "title", "location", "avatar_file_id",
  };
  JsonObject *user = json_object_new ();
  const char *username = col_text (stmt, col);
  const char *display_name = col_text (stmt, col + 1);

  json_object_set_string_member (user, "username", username);
  json_object_set_string_member (user, "display_name",
                                 display_name != NULL && *display_name != '\0' ? display_name
                                                                               : username);
  for (guint i = 0; i < G_N_ELEMENTS (optional); i++)
    {
      const char *value = col_text (stmt, col + 2 + i);

      if (value != NULL && *value != '\0')
        json_object_set_string_member (user, optional[i], value);
    }
  json_object_set_string_member (user, "role", col_text (stmt, col + 8));
  if (sqlite3_column_int (stmt, col + 9))
    json_object_set_boolean_member (user, "bot", TRUE);
  if (!col_is_null (stmt, col + 10))
    json_object_set_string_member (user, "timezone", col_text (stmt, col + 10));
  return user;
}

static JsonObject *
load_user (ConfabSqliteStore *self,
           const char        *username)
{
  sqlite3_stmt *stmt;
  JsonObject *user = NULL;

  stmt = query (self, "SELECT " USER_COLUMNS " FROM users WHERE username = ?", "s", username);
  if (step (self, stmt) == SQLITE_ROW)
    {
      user = confab_sqlite_user_from_row (stmt, 0);
      sqlite3_reset (stmt);
    }
  return user;
}

/* Reactions in order of first use: [{emoji, users}]; NULL if there are none. */
static JsonArray *
load_reactions (ConfabSqliteStore *self,
                gint64             msg_id)
{
  sqlite3_stmt *stmt;
  JsonArray *reactions = NULL;

  stmt = query (self, "SELECT emoji, username FROM reactions WHERE msg_id = ? ORDER BY rowid",
                "i", msg_id);
  while (step (self, stmt) == SQLITE_ROW)
    {
      const char *emoji = col_text (stmt, 0);
      JsonArray *users = NULL;

      if (reactions == NULL)
        reactions = json_array_new ();
      for (guint i = 0; i < json_array_get_length (reactions); i++)
        {
          JsonObject *item = json_array_get_object_element (reactions, i);

          if (g_str_equal (json_object_get_string_member (item, "emoji"), emoji))
            {
              users = json_object_get_array_member (item, "users");
              break;
            }
        }
      if (users == NULL)
        {
          JsonObject *item = json_object_new ();

          users = json_array_new ();
          json_object_set_string_member (item, "emoji", emoji);
          json_object_set_array_member (item, "users", users);
          json_array_add_object_element (reactions, item);
        }
      json_array_add_string_element (users, col_text (stmt, 1));
    }
  return reactions;
}

/* Sets @member of @msg to the JSON @text holds, if it is an array or an object. */
static void
set_json_member (JsonObject *msg,
                 const char *member,
                 const char *text)
{
  g_autoptr(JsonNode) node = NULL;

  if (text == NULL)
    return;
  node = json_from_string (text, NULL);
  if (node != NULL && (JSON_NODE_HOLDS_ARRAY (node) || JSON_NODE_HOLDS_OBJECT (node)))
    json_object_set_member (msg, member, g_steal_pointer (&node));
}

/* A Message from the MESSAGE_COLUMNS of @stmt. */
static JsonObject *
message_from_row (ConfabSqliteStore *self,
                  sqlite3_stmt      *stmt)
{
  JsonObject *msg = json_object_new ();
  gint64 id = sqlite3_column_int64 (stmt, 0);
  gboolean deleted = sqlite3_column_int (stmt, 11) != 0;

  json_object_set_int_member (msg, "id", id);
  json_object_set_string_member (msg, "conv", col_text (stmt, 1));
  json_object_set_string_member (msg, "from", col_text (stmt, 2));
  json_object_set_int_member (msg, "ts", sqlite3_column_int64 (stmt, 3));
  json_object_set_string_member (msg, "client_msg_id", col_text (stmt, 4));
  json_object_set_string_member (msg, "kind", col_text (stmt, 5));
  json_object_set_string_member (msg, "body", deleted ? "" : col_text (stmt, 6));
  json_object_set_string_member (msg, "format", col_text (stmt, 7));
  if (!col_is_null (stmt, 8) && sqlite3_column_int64 (stmt, 8) > 0)
    json_object_set_int_member (msg, "reply_to", sqlite3_column_int64 (stmt, 8));
  if (!col_is_null (stmt, 10))
    json_object_set_int_member (msg, "edited_ts", sqlite3_column_int64 (stmt, 10));
  set_json_member (msg, "system", col_text (stmt, 14));
  if (deleted)
    {
      json_object_set_boolean_member (msg, "deleted", TRUE);
    }
  else
    {
      JsonArray *reactions;

      set_json_member (msg, "attachments", col_text (stmt, 9));
      set_json_member (msg, "call", col_text (stmt, 12));
      set_json_member (msg, "mentions", col_text (stmt, 13));
      reactions = load_reactions (self, id);
      if (reactions != NULL)
        json_object_set_array_member (msg, "reactions", reactions);
    }
  return msg;
}

static JsonObject *
load_message (ConfabSqliteStore *self,
              gint64             msg_id)
{
  sqlite3_stmt *stmt;
  JsonObject *msg = NULL;

  stmt = query (self, "SELECT " MESSAGE_COLUMNS " FROM messages WHERE id = ?", "i", msg_id);
  if (step (self, stmt) == SQLITE_ROW)
    {
      msg = message_from_row (self, stmt);
      sqlite3_reset (stmt);
    }
  return msg;
}

/* The event stream: the store thread's half of confab_store_emit_event (). */
static gint64
event_next_seq (ConfabStore *store)
{
  return ++CONFAB_SQLITE_STORE (store)->last_seq;
}

static void
event_append (ConfabStore        *store,
              gint64              seq,
              const char         *name,
              const char         *frame,
              const char         *stream,
              const char * const *users)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);

  /* Events that carry a message note its id (see events_rewrite_message ()). */
  run (self,
       "INSERT INTO events (seq, name, frame, ts, stream, msg) VALUES (?1, ?2, ?3, ?4, ?5,"
       " CASE WHEN ?2 IN ('message', 'message_edited')"
       " THEN json_extract (?3, '$.data.msg.id') END)",
       "issis", seq, name, frame, now_ms (), stream);
  for (guint i = 0; users[i] != NULL; i++)
    {
      gboolean seen = FALSE;

      for (guint j = 0; j < i && !seen; j++)
        seen = g_str_equal (users[i], users[j]);
      if (!seen)
        run (self, "INSERT INTO inbox (username, seq) VALUES (?, ?)", "si", users[i], seq);
    }
}

/* A reader's interval starts at the next seq; joining twice keeps the open interval. */
static void
stream_join (ConfabStore *store,
             const char  *stream,
             const char  *user)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);

  if (query_int (self, 0,
                 "SELECT 1 FROM stream_members"
                 " WHERE username = ? AND stream = ? AND to_seq IS NULL",
                 "ss", user, stream))
    return;
  run (self, "INSERT INTO stream_members (username, stream, from_seq) VALUES (?, ?, ?)",
       "ssi", user, stream, self->last_seq + 1);
}

/* Closes the open interval after the last seq given out; an interval that saw no event goes. */
static void
stream_leave (ConfabStore *store,
              const char  *stream,
              const char  *user)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);

  run (self,
       "UPDATE stream_members SET to_seq = ?3"
       " WHERE username = ?1 AND stream = ?2 AND to_seq IS NULL",
       "ssi", user, stream, self->last_seq);
  run (self,
       "DELETE FROM stream_members WHERE username = ? AND stream = ? AND to_seq < from_seq",
       "ss", user, stream);
}

/* Search index changes wait in two temporary tables until the end of the batch: FTS5 writes
 * out its pending terms at every statement savepoint of a transaction it takes part in, so
 * indexing message by message would cost a new index segment per message. The temporary
 * tables follow savepoints and rollbacks like everything else. */
static void
fts_index (ConfabSqliteStore *self,
           gint64             id,
           const char        *body)
{
  run (self, "INSERT INTO temp.fts_add (id, body) VALUES (?, ?)", "is", id, body);
  self->fts_dirty = TRUE;
}

/* @old_body is what the index holds for @id as of the last commit. */
static void
fts_reindex (ConfabSqliteStore *self,
             gint64             id,
             const char        *old_body,
             const char        *new_body)
{
  if (run (self, "UPDATE temp.fts_add SET body = ? WHERE id = ?", "si", new_body, id) == 0)
    {
      if (run (self,
               "INSERT INTO temp.fts_del (id, body) VALUES (?, ?) ON CONFLICT DO NOTHING",
               "is", id, old_body) > 0)
        self->fts_purge = TRUE;
      run (self, "INSERT INTO temp.fts_add (id, body) VALUES (?, ?)", "is", id, new_body);
    }
  self->fts_dirty = TRUE;
}

/* Brings every stored event that carries message @msg_id (its `message` event and any
 * `message_edited`) to the message's current state, so that neither replay nor the database
 * keeps text that was edited away or deleted. */
static void
events_rewrite_message (ConfabSqliteStore *self,
                        gint64             msg_id)
{
  g_autoptr(JsonObject) msg = load_message (self, msg_id);
  g_autofree char *json = NULL;

  if (msg == NULL)
    return;
  json = confab_json_object_to_string (msg, NULL);
  run (self, "UPDATE events SET frame = json_set (frame, '$.data.msg', json (?)) WHERE msg = ?",
       "si", json, msg_id);
}

static void
fts_flush (ConfabSqliteStore *self)
{
  if (!self->fts_dirty)
    return;
  run (self,
       "INSERT INTO messages_fts (messages_fts, rowid, body)"
       " SELECT 'delete', id, body FROM temp.fts_del ORDER BY id",
       "");
  run (self,
       "INSERT INTO messages_fts (rowid, body) SELECT id, body FROM temp.fts_add ORDER BY id",
       "");
  /* FTS5 only marks removed words as deleted until its segments merge; merging them all now
   * leaves no copy of edited or deleted text in the index. */
  if (self->fts_purge)
    run (self, "INSERT INTO messages_fts (messages_fts) VALUES ('optimize')", "");
  run (self, "DELETE FROM temp.fts_del", "");
  run (self, "DELETE FROM temp.fts_add", "");
  self->fts_dirty = FALSE;
  self->fts_purge = FALSE;
}

/* A batch of sends touches each conversation row once, however many messages it holds: the
 * changes wait here until an op that reads them, or the commit. Unread counts are not kept per
 * member at all: they are derived from the read marks (ms_conversations). */
static void
note_activity (ConfabSqliteStore *self,
               const char        *conv,
               gint64             msg_id,
               gint64             ts)
{
  Activity *activity = g_hash_table_lookup (self->activity, conv);

  if (activity == NULL)
    {
      activity = g_new0 (Activity, 1);
      g_hash_table_insert (self->activity, g_strdup (conv), activity);
    }
  activity->last_msg_id = MAX (activity->last_msg_id, msg_id);
  activity->ts = MAX (activity->ts, ts);
}

static void
flush_activity (ConfabSqliteStore *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->activity);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Activity *activity = value;

      run (self,
           "UPDATE conversations SET last_msg_id = max (coalesce (last_msg_id, 0), ?1),"
           " last_activity_ts = max (last_activity_ts, ?2) WHERE conv = ?3",
           "iis", activity->last_msg_id, activity->ts, (const char *) key);
    }
  g_hash_table_remove_all (self->activity);
}

/* --- ConfabAccountStore ------------------------------------------------------------------- */

#define ACCOUNTS(store) CONFAB_SQLITE_STORE (store)

static gboolean
as_user_exists (ConfabAccountStore *store,
                const char         *username)
{
  return query_int (ACCOUNTS (store), 0, "SELECT 1 FROM users WHERE username = ?", "s",
                    username) != 0;
}

static gboolean
as_any_user (ConfabAccountStore *store)
{
  return query_int (ACCOUNTS (store), 0,
                    "SELECT EXISTS (SELECT 1 FROM users"
                    " WHERE username NOT IN (SELECT username FROM ldap_accounts))", "") != 0;
}

static gboolean
as_user_insert (ConfabAccountStore *store,
                const char         *username,
                const char         *password_hash,
                const char         *display_name,
                const char         *email,
                const char         *role,
                gint64              ts)
{
  return run (ACCOUNTS (store),
              "INSERT INTO users (username, password_hash, display_name, email, role, created_ts)"
              " VALUES (?1, ?2, nullif (?3, ''), nullif (?4, ''), ?5, ?6)"
              " ON CONFLICT (username) DO NOTHING",
              "sssssi", username, password_hash, display_name, email, role, ts) > 0;
}

static JsonObject *
as_credentials (ConfabAccountStore  *store,
                const char          *username,
                char               **password_hash,
                gboolean            *disabled)
{
  ConfabSqliteStore *self = ACCOUNTS (store);
  sqlite3_stmt *stmt;
  JsonObject *user;

  stmt = query (self,
                "SELECT " USER_COLUMNS ", password_hash, disabled FROM users WHERE username = ?",
                "s", username);
  if (step (self, stmt) != SQLITE_ROW)
    return NULL;
  user = confab_sqlite_user_from_row (stmt, 0);
  if (password_hash != NULL)
    *password_hash = g_strdup (col_text (stmt, CONFAB_SQLITE_N_USER_COLUMNS));
  if (disabled != NULL)
    *disabled = sqlite3_column_int (stmt, CONFAB_SQLITE_N_USER_COLUMNS + 1) != 0;
  sqlite3_reset (stmt);
  return user;
}

static gboolean
as_set_password (ConfabAccountStore *store,
                 const char         *username,
                 const char         *password_hash)
{
  return run (ACCOUNTS (store), "UPDATE users SET password_hash = ? WHERE username = ?",
              "ss", password_hash, username) > 0;
}

static void
as_device_insert (ConfabAccountStore *store,
                  const char         *device_id,
                  const char         *username,
                  const char         *name,
                  const char         *token_hash,
                  gint64              ts)
{
  run (ACCOUNTS (store),
       "INSERT INTO devices (device_id, username, name, token_hash, created_ts, last_seen_ts)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
       "ssssi", device_id, username, name, token_hash, ts);
}

static JsonObject *
as_session (ConfabAccountStore  *store,
            const char          *token_hash,
            char               **device_id,
            gboolean            *disabled)
{
  ConfabSqliteStore *self = ACCOUNTS (store);
  g_auto(GStrv) permissions = NULL;
  sqlite3_stmt *stmt;
  JsonObject *user;
  JsonArray *list;

  stmt = query (self,
                "SELECT d.device_id, u.disabled, u.permissions, " USER_COLUMNS_U " FROM devices d"
                " JOIN users u ON u.username = d.username"
                " WHERE d.token_hash = ? AND d.revoked = 0",
                "s", token_hash);
  if (step (self, stmt) != SQLITE_ROW)
    return NULL;
  *device_id = g_strdup (col_text (stmt, 0));
  *disabled = sqlite3_column_int (stmt, 1) != 0;
  user = confab_sqlite_user_from_row (stmt, 3);
  /* Only the account itself learns what it may do (hello's user). */
  permissions = g_strsplit (col_text (stmt, 2) != NULL ? col_text (stmt, 2) : "", ",", -1);
  list = json_array_new ();
  for (guint i = 0; permissions[i] != NULL; i++)
    if (permissions[i][0] != '\0')
      json_array_add_string_element (list, permissions[i]);
  json_object_set_array_member (user, "permissions", list);
  sqlite3_reset (stmt);
  return user;
}

static void
as_device_seen (ConfabAccountStore *store,
                const char         *device_id,
                gint64              ts)
{
  run (ACCOUNTS (store), "UPDATE devices SET last_seen_ts = ? WHERE device_id = ?", "is", ts,
       device_id);
}

static JsonArray *
as_devices (ConfabAccountStore *store,
            const char         *username,
            const char         *current_device_id)
{
  ConfabSqliteStore *self = ACCOUNTS (store);
  JsonArray *devices = json_array_new ();
  sqlite3_stmt *stmt;

  stmt = query (self,
                "SELECT device_id, name, created_ts, coalesce (last_seen_ts, created_ts)"
                " FROM devices WHERE username = ? AND revoked = 0 ORDER BY created_ts, device_id",
                "s", username);
  while (step (self, stmt) == SQLITE_ROW)
    {
      JsonObject *device = json_object_new ();
      const char *device_id = col_text (stmt, 0);

      json_object_set_string_member (device, "device_id", device_id);
      json_object_set_string_member (device, "name", col_text (stmt, 1));
      json_object_set_int_member (device, "created_ts", sqlite3_column_int64 (stmt, 2));
      json_object_set_int_member (device, "last_seen_ts", sqlite3_column_int64 (stmt, 3));
      json_object_set_boolean_member (device, "current",
                                      g_strcmp0 (device_id, current_device_id) == 0);
      json_array_add_object_element (devices, device);
    }
  return devices;
}

static gboolean
as_device_revoke (ConfabAccountStore *store,
                  const char         *username,
                  const char         *device_id)
{
  return run (ACCOUNTS (store),
              "UPDATE devices SET revoked = 1, token_hash = NULL"
              " WHERE device_id = ? AND username = ? AND revoked = 0",
              "ss", device_id, username) > 0;
}

static GStrv
as_devices_revoke (ConfabAccountStore *store,
                   const char         *username,
                   const char         *keep_device_id)
{
  ConfabSqliteStore *self = ACCOUNTS (store);
  g_autoptr(GStrvBuilder) revoked = g_strv_builder_new ();
  sqlite3_stmt *stmt;

  stmt = query (self,
                "SELECT device_id FROM devices"
                " WHERE username = ? AND revoked = 0 AND device_id IS NOT ?",
                "ss", username, keep_device_id);
  while (step (self, stmt) == SQLITE_ROW)
    g_strv_builder_add (revoked, col_text (stmt, 0));
  run (self,
       "UPDATE devices SET revoked = 1, token_hash = NULL"
       " WHERE username = ? AND revoked = 0 AND device_id IS NOT ?",
       "ss", username, keep_device_id);
  return g_strv_builder_end (revoked);
}

static void
confab_account_store_iface_init (ConfabAccountStoreInterface *iface)
{
  iface->user_exists = as_user_exists;
  iface->any_user = as_any_user;
  iface->user_insert = as_user_insert;
  iface->credentials = as_credentials;
  iface->set_password = as_set_password;
  iface->device_insert = as_device_insert;
  iface->session = as_session;
  iface->device_seen = as_device_seen;
  iface->devices = as_devices;
  iface->device_revoke = as_device_revoke;
  iface->devices_revoke = as_devices_revoke;
}

/* --- ConfabProfileStore ------------------------------------------------------------------- */

static JsonObject *
ps_user (ConfabProfileStore *store,
         const char         *username)
{
  return load_user (CONFAB_SQLITE_STORE (store), username);
}

static gboolean
ps_update (ConfabProfileStore *store,
           const char         *username,
           const char * const *values)
{
  return run (CONFAB_SQLITE_STORE (store),
              "UPDATE users SET"
              " display_name = CASE WHEN ?2 IS NULL THEN display_name ELSE nullif (?2, '') END,"
              " email = CASE WHEN ?3 IS NULL THEN email ELSE nullif (?3, '') END,"
              " phone = CASE WHEN ?4 IS NULL THEN phone ELSE nullif (?4, '') END,"
              " department = CASE WHEN ?5 IS NULL THEN department ELSE nullif (?5, '') END,"
              " title = CASE WHEN ?6 IS NULL THEN title ELSE nullif (?6, '') END,"
              " location = CASE WHEN ?7 IS NULL THEN location ELSE nullif (?7, '') END,"
              " avatar_file_id ="
              "  CASE WHEN ?8 IS NULL THEN avatar_file_id ELSE nullif (?8, '') END,"
              " timezone = CASE WHEN ?9 IS NULL THEN timezone ELSE nullif (?9, '') END"
              " WHERE username = ?1",
              "sssssssss", username,
              values[CONFAB_PROFILE_DISPLAY_NAME], values[CONFAB_PROFILE_EMAIL],
              values[CONFAB_PROFILE_PHONE], values[CONFAB_PROFILE_DEPARTMENT],
              values[CONFAB_PROFILE_TITLE], values[CONFAB_PROFILE_LOCATION],
              values[CONFAB_PROFILE_AVATAR_FILE_ID], values[CONFAB_PROFILE_TIMEZONE]) > 0;
}

static GStrv
ps_peers (ConfabProfileStore *store,
          const char         *username)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt;

  stmt = query (self,
                "SELECT peer FROM"
                " (SELECT o.username AS peer FROM conv_members m"
                "  JOIN conv_members o ON o.conv = m.conv"
                "  WHERE m.username = ?1 AND o.username != ?1"
                "  UNION SELECT contact FROM contacts WHERE owner = ?1 AND state = 'accepted')"
                " WHERE peer NOT IN (SELECT blocked FROM blocks WHERE blocker = ?1)"
                " ORDER BY peer",
                "s", username);
  while (step (self, stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, col_text (stmt, 0));
  return g_strv_builder_end (builder);
}

static gint64
ps_last_seen (ConfabProfileStore *store,
              const char         *username)
{
  return query_int (CONFAB_SQLITE_STORE (store), -1,
                    "SELECT coalesce (last_seen_ts, 0) FROM users WHERE username = ?",
                    "s", username);
}

static void
ps_set_last_seen (ConfabProfileStore *store,
                  const char         *username,
                  gint64              ts)
{
  run (CONFAB_SQLITE_STORE (store), "UPDATE users SET last_seen_ts = ? WHERE username = ?",
       "is", ts, username);
}

static void
confab_profile_store_iface_init (ConfabProfileStoreInterface *iface)
{
  iface->user = ps_user;
  iface->update = ps_update;
  iface->peers = ps_peers;
  iface->last_seen = ps_last_seen;
  iface->set_last_seen = ps_set_last_seen;
}

/* Turns free text into an FTS5 query that cannot be malformed: every word a quoted term, all
 * of them required, the last one also as a prefix. NULL if there are no words. */
static char *
search_expression (const char *text)
{
  g_autoptr(GString) expr = g_string_new (NULL);
  g_autoptr(GString) word = g_string_new (NULL);
  guint n_terms = 0;

  for (const char *p = text; ; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != 0 && (g_unichar_isalnum (c) || g_unichar_ismark (c)))
        {
          g_string_append_unichar (word, c);
          continue;
        }
      if (word->len > 0 && n_terms < SEARCH_MAX_TERMS)
        {
          if (expr->len > 0)
            g_string_append_c (expr, ' ');
          g_string_append_printf (expr, "\"%s\"", word->str);
          n_terms++;
        }
      g_string_truncate (word, 0);
      if (c == 0)
        break;
    }

  if (n_terms == 0)
    return NULL;
  g_string_append_c (expr, '*');
  return g_string_free (g_steal_pointer (&expr), FALSE);
}

/* --- ConfabMessageStore ------------------------------------------------------------------- */

#define SELF(store) ((ConfabSqliteStore *) (store))

static gboolean
ms_user_exists (ConfabMessageStore *store,
                const char         *username)
{
  return query_int (SELF (store), 0, "SELECT 1 FROM users WHERE username = ?", "s", username) != 0;
}

static gboolean
ms_blocks (ConfabMessageStore *store,
           const char         *blocker,
           const char         *blocked)
{
  return query_int (SELF (store), 0, "SELECT 1 FROM blocks WHERE blocker = ? AND blocked = ?",
                    "ss", blocker, blocked) != 0;
}

static char *
ms_member_role (ConfabMessageStore *store,
                const char         *conv,
                const char         *username)
{
  return query_text (SELF (store), "SELECT role FROM conv_members WHERE conv = ? AND username = ?",
                     "ss", conv, username);
}

static GStrv
ms_members (ConfabMessageStore *store,
            const char         *conv)
{
  ConfabSqliteStore *self = SELF (store);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  sqlite3_stmt *stmt = query (self, "SELECT username FROM conv_members WHERE conv = ?", "s", conv);

  while (step (self, stmt) == SQLITE_ROW)
    g_strv_builder_add (builder, col_text (stmt, 0));
  return g_strv_builder_end (builder);
}

/* The rows of a DM are created the first time someone writes in it; known_convs saves asking
 * again on every send. */
static void
ms_dm_ensure (ConfabMessageStore *store,
              const char         *conv,
              const char         *a,
              const char         *b,
              gint64              ts)
{
  ConfabSqliteStore *self = SELF (store);

  if (g_hash_table_contains (self->known_convs, conv))
    return;

  run (self,
       "INSERT INTO conversations (conv, kind, created_ts, last_activity_ts)"
       " VALUES (?1, 'dm', ?2, ?2) ON CONFLICT DO NOTHING",
       "si", conv, ts);
  run (self,
       "INSERT INTO conv_members (conv, username, joined_ts) VALUES (?1, ?2, ?4), (?1, ?3, ?4)"
       " ON CONFLICT DO NOTHING",
       "sssi", conv, a, b, ts);
  g_ptr_array_add (self->new_convs, g_strdup (conv));
}

static gboolean
ms_insert (ConfabMessageStore     *store,
           const ConfabNewMessage *msg,
           gint64                 *id)
{
  ConfabSqliteStore *self = SELF (store);

  if (run (self,
           "INSERT INTO messages (conv, sender, ts, client_msg_id, kind, body, format, reply_to,"
           "  attachments, call, mentions, system) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
           " ON CONFLICT (sender, client_msg_id) DO NOTHING",
           "ssisssszssss", msg->conv, msg->sender, msg->ts, msg->client_msg_id, msg->kind,
           msg->body, msg->format, msg->reply_to, msg->attachments, msg->call, msg->mentions,
           msg->system) == 0)
    return FALSE;

  *id = confab_db_last_insert_id (self->db);
  fts_index (self, *id, msg->body);
  note_activity (self, msg->conv, *id, msg->ts);
  return TRUE;
}

static JsonObject *
ms_find (ConfabMessageStore *store,
         const char         *sender,
         const char         *client_msg_id)
{
  ConfabSqliteStore *self = SELF (store);
  sqlite3_stmt *stmt;
  JsonObject *msg = NULL;

  stmt = query (self,
                "SELECT " MESSAGE_COLUMNS " FROM messages WHERE sender = ? AND client_msg_id = ?",
                "ss", sender, client_msg_id);
  if (step (self, stmt) == SQLITE_ROW)
    {
      msg = message_from_row (self, stmt);
      sqlite3_reset (stmt);
    }
  return msg;
}

static JsonObject *
ms_load (ConfabMessageStore *store,
         gint64              msg_id)
{
  return load_message (SELF (store), msg_id);
}

static gboolean
ms_info (ConfabMessageStore *store,
         gint64              msg_id,
         ConfabMessageInfo  *info)
{
  ConfabSqliteStore *self = SELF (store);
  sqlite3_stmt *stmt;

  stmt = query (self, "SELECT conv, sender, body, deleted, kind FROM messages WHERE id = ?",
                "i", msg_id);
  if (step (self, stmt) != SQLITE_ROW)
    return FALSE;
  info->conv = g_strdup (col_text (stmt, 0));
  info->sender = g_strdup (col_text (stmt, 1));
  info->body = g_strdup (col_text (stmt, 2));
  info->deleted = sqlite3_column_int (stmt, 3) != 0;
  info->kind = g_strdup (col_text (stmt, 4));
  sqlite3_reset (stmt);
  return TRUE;
}

static char *
ms_conv_of (ConfabMessageStore *store,
            gint64              msg_id)
{
  return query_text (SELF (store), "SELECT conv FROM messages WHERE id = ?", "i", msg_id);
}

static void
ms_edit (ConfabMessageStore *store,
         gint64              msg_id,
         const char         *old_body,
         const char         *body,
         const char         *mentions,
         gint64              ts)
{
  ConfabSqliteStore *self = SELF (store);

  run (self, "UPDATE messages SET body = ?, mentions = ?, edited_ts = ? WHERE id = ?", "ssii",
       body, mentions, ts, msg_id);
  fts_reindex (self, msg_id, old_body, body);
  events_rewrite_message (self, msg_id);
}

static void
ms_erase (ConfabMessageStore      *store,
          gint64                   msg_id,
          const ConfabMessageInfo *info)
{
  ConfabSqliteStore *self = SELF (store);

  run (self,
       "UPDATE messages SET body = '', attachments = NULL, call = NULL, mentions = NULL,"
       " deleted = 1 WHERE id = ?",
       "i", msg_id);
  /* The row stays, so the index keeps an (empty) entry for it, as FTS5 expects of external
   * content. */
  fts_reindex (self, msg_id, info->body, "");
  run (self, "DELETE FROM reactions WHERE msg_id = ?", "i", msg_id);
  events_rewrite_message (self, msg_id);
}

static gboolean
ms_react (ConfabMessageStore *store,
          gint64              msg_id,
          const char         *username,
          const char         *emoji,
          gboolean            on,
          gint64              ts)
{
  ConfabSqliteStore *self = SELF (store);

  if (on)
    return run (self,
                "INSERT INTO reactions (msg_id, username, emoji, ts) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                "issi", msg_id, username, emoji, ts) > 0;
  return run (self, "DELETE FROM reactions WHERE msg_id = ? AND username = ? AND emoji = ?",
              "iss", msg_id, username, emoji) > 0;
}

static gint64
ms_read_mark (ConfabMessageStore *store,
              const char         *conv,
              const char         *username)
{
  return query_int (SELF (store), -1,
                    "SELECT last_read FROM conv_members WHERE conv = ? AND username = ?",
                    "ss", conv, username);
}

static void
ms_set_read_mark (ConfabMessageStore *store,
                  const char         *conv,
                  const char         *username,
                  gint64              msg_id)
{
  run (SELF (store),
       "UPDATE conv_members SET last_read = ?2 WHERE conv = ?1 AND username = ?3",
       "sis", conv, msg_id, username);
}

static JsonArray *
ms_history (ConfabMessageStore *store,
            const char         *conv,
            gint64              before,
            gint64              after,
            guint               limit,
            gboolean           *has_more)
{
  ConfabSqliteStore *self = SELF (store);
  g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  JsonArray *messages = json_array_new ();
  sqlite3_stmt *stmt;
  gboolean descending;

  /* One more row than asked tells whether there are more. */
  if (after != 0)
    {
      descending = FALSE;
      stmt = query (self,
                    "SELECT " MESSAGE_COLUMNS " FROM messages"
                    " WHERE conv = ?1 AND id > ?2 AND id < ?3 ORDER BY id LIMIT ?4",
                    "siid", conv, after, before > 0 ? before : G_MAXINT64, (int) limit + 1);
    }
  else
    {
      descending = TRUE;
      stmt = query (self,
                    "SELECT " MESSAGE_COLUMNS " FROM messages"
                    " WHERE conv = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
                    "sid", conv, before > 0 ? before : G_MAXINT64, (int) limit + 1);
    }
  while (step (self, stmt) == SQLITE_ROW)
    g_ptr_array_add (msgs, message_from_row (self, stmt));

  *has_more = msgs->len > limit;
  if (msgs->len > limit)
    g_ptr_array_set_size (msgs, limit);
  for (guint i = 0; i < msgs->len; i++)
    {
      guint k = descending ? msgs->len - 1 - i : i;

      json_array_add_object_element (messages, json_object_ref (g_ptr_array_index (msgs, k)));
    }
  return messages;
}

static JsonArray *
ms_conversations (ConfabMessageStore *store,
                  const char         *username)
{
  ConfabSqliteStore *self = SELF (store);
  JsonArray *conversations = json_array_new ();
  sqlite3_stmt *stmt;

  /* The order must see the sends of the batch before this. */
  flush_activity (self);

  /* What is unread is derived: the messages after the read mark that others wrote, system
   * lines, deleted messages and the records of calls that were not missed (whoever declined
   * or ended a call knows of it) aside. It costs a count over the unread messages only
   * (messages_by_conv), and no write per member per message. */
  stmt = query (self,
                "SELECT c.conv, c.kind, c.last_msg_id,"
                " (SELECT count (*) FROM messages x"
                "  WHERE x.conv = m.conv AND x.id > m.last_read AND x.sender != m.username"
                "   AND x.deleted = 0 AND x.kind != 'system'"
                "   AND (x.kind != 'call' OR json_extract (x.call, '$.result') = 'missed')),"
                " m.last_read,"
                " CASE WHEN c.kind = 'room' THEN"
                " (SELECT count (*) FROM messages x"
                "  WHERE x.conv = m.conv AND x.id > m.last_read AND x.sender != m.username"
                "   AND x.deleted = 0 AND x.mentions IS NOT NULL AND EXISTS"
                "   (SELECT 1 FROM json_each (x.mentions) j WHERE j.value IN (m.username, '@room')))"
                " END"
                " FROM conv_members m JOIN conversations c ON c.conv = m.conv"
                " WHERE m.username = ?"
                " ORDER BY c.last_activity_ts DESC, c.last_msg_id DESC, c.conv",
                "s", username);
  while (step (self, stmt) == SQLITE_ROW)
    {
      JsonObject *item = json_object_new ();
      const char *conv = col_text (stmt, 0);
      g_autofree char *first = NULL;
      g_autofree char *second = NULL;
      ConfabConvKind kind = confab_conv_parse (conv, &first, &second);
      JsonObject *last_msg = NULL;

      json_object_set_string_member (item, "conv", conv);
      json_object_set_string_member (item, "kind", col_text (stmt, 1));
      if (kind == CONFAB_CONV_DM)
        {
          const char *peer = g_str_equal (first, username) ? second : first;
          g_autofree char *title =
            query_text (self,
                        "SELECT coalesce (nullif (display_name, ''), username)"
                        " FROM users WHERE username = ?",
                        "s", peer);

          json_object_set_string_member (item, "title", title != NULL ? title : peer);
          json_object_set_string_member (item, "peer", peer);
        }
      else
        {
          JsonObject *room = confab_sqlite_rooms_load (self, first);

          if (room != NULL)
            {
              json_object_set_string_member (item, "title",
                                             json_object_get_string_member (room, "name"));
              json_object_set_object_member (item, "room", room);
            }
          else
            {
              json_object_set_string_member (item, "title", first != NULL ? first : conv);
            }
        }
      if (!col_is_null (stmt, 2))
        last_msg = load_message (self, sqlite3_column_int64 (stmt, 2));
      if (last_msg != NULL)
        json_object_set_object_member (item, "last_msg", last_msg);
      else
        json_object_set_null_member (item, "last_msg");
      json_object_set_int_member (item, "unread", sqlite3_column_int64 (stmt, 3));
      json_object_set_int_member (item, "last_read", sqlite3_column_int64 (stmt, 4));
      if (!col_is_null (stmt, 5))
        json_object_set_int_member (item, "mentions_unread", sqlite3_column_int64 (stmt, 5));
      json_array_add_object_element (conversations, item);
    }

  return conversations;
}

static JsonArray *
ms_search (ConfabMessageStore *store,
           const char         *username,
           const char         *text,
           const char         *conv,
           guint               limit)
{
  ConfabSqliteStore *self = SELF (store);
  g_autofree char *expr = search_expression (text);
  JsonArray *messages = json_array_new ();

  if (expr != NULL)
    {
      sqlite3_stmt *stmt;

      stmt = query (self,
                    "SELECT " MESSAGE_COLUMNS_M " FROM messages_fts f"
                    " JOIN messages m ON m.id = f.rowid"
                    " WHERE messages_fts MATCH ?1"
                    "  AND m.conv IN (SELECT conv FROM conv_members WHERE username = ?2)"
                    "  AND (?3 IS NULL OR m.conv = ?3)"
                    " ORDER BY f.rowid DESC LIMIT ?4",
                    "sssd", expr, username, conv, (int) limit);
      while (step (self, stmt) == SQLITE_ROW)
        json_array_add_object_element (messages, message_from_row (self, stmt));
    }
  return messages;
}

static void
confab_message_store_iface_init (ConfabMessageStoreInterface *iface)
{
  iface->user_exists = ms_user_exists;
  iface->blocks = ms_blocks;
  iface->member_role = ms_member_role;
  iface->members = ms_members;
  iface->dm_ensure = ms_dm_ensure;
  iface->insert = ms_insert;
  iface->find = ms_find;
  iface->load = ms_load;
  iface->info = ms_info;
  iface->conv_of = ms_conv_of;
  iface->edit = ms_edit;
  iface->erase = ms_erase;
  iface->react = ms_react;
  iface->read_mark = ms_read_mark;
  iface->set_read_mark = ms_set_read_mark;
  iface->history = ms_history;
  iface->conversations = ms_conversations;
  iface->search = ms_search;
}

/* --- The event stream --------------------------------------------------------------------- */

typedef struct
{
  char   *stream;
  gint64  from_seq;
  gint64  to_seq;    /* G_MAXINT64: open */
} Interval;

static void
interval_clear (gpointer data)
{
  g_free (((Interval *) data)->stream);
}

/* @user's stream intervals that reach past @since. */
static GArray *
load_intervals (ConfabSqliteStore *self,
                const char        *user,
                gint64             since)
{
  GArray *intervals = g_array_new (FALSE, FALSE, sizeof (Interval));
  sqlite3_stmt *stmt;

  g_array_set_clear_func (intervals, interval_clear);
  stmt = query (self,
                "SELECT stream, from_seq, coalesce (to_seq, ?2) FROM stream_members"
                " WHERE username = ?1 AND coalesce (to_seq, ?2) > ?3",
                "sii", user, G_MAXINT64, since);
  while (step (self, stmt) == SQLITE_ROW)
    {
      Interval interval;

      interval.stream = g_strdup (col_text (stmt, 0));
      interval.from_seq = sqlite3_column_int64 (stmt, 1);
      interval.to_seq = sqlite3_column_int64 (stmt, 2);
      g_array_append_val (intervals, interval);
    }
  return intervals;
}

static int
compare_seq (gconstpointer a,
             gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Appends to @seqs the first @count seqs above @since of @user's inbox, or of one interval. */
static void
collect_seqs (ConfabSqliteStore *self,
              sqlite3_stmt      *stmt,
              GArray            *seqs)
{
  while (step (self, stmt) == SQLITE_ROW)
    {
      gint64 seq = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (seqs, seq);
    }
}

/* A user's stream is their inbox (events addressed to them) merged with the events of each
 * stream they read, within their intervals. Each source gives at most limit + 1 seqs, in
 * order, from its index; the merge keeps the smallest limit + 1, and only those events are
 * read. The cost follows the page and the number of sources, not the size of the server. */
static void
events_since (ConfabStore      *store,
              const char       *user,
              gint64            since,
              guint             limit,
              ConfabStoreReply *reply)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);
  const char *users[] = { user, NULL };
  g_autoptr(GArray) all = load_intervals (self, user, G_MININT64);
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 floor_seq;
  gint64 last;
  guint n;

  floor_seq = query_int (self, 0, "SELECT events_floor FROM users WHERE username = ?",
                         "s", user);
  last = query_int (self, 0, "SELECT max (seq) FROM inbox WHERE username = ?", "s", user);
  for (guint i = 0; i < all->len; i++)
    {
      Interval *interval = &g_array_index (all, Interval, i);

      last = MAX (last, query_int (self, 0,
                                   "SELECT seq FROM events WHERE stream = ? AND seq BETWEEN ? AND ?"
                                   " ORDER BY seq DESC LIMIT 1",
                                   "sii", interval->stream, interval->from_seq,
                                   interval->to_seq));
    }
  reply->last_seq = MAX (last, floor_seq);

  if (since < floor_seq || since > reply->last_seq)
    {
      reply->resync_required = TRUE;
      return;
    }

  collect_seqs (self,
                query (self,
                       "SELECT seq FROM inbox WHERE username = ? AND seq > ? ORDER BY seq LIMIT ?",
                       "sid", user, since, (int) limit + 1),
                seqs);
  for (guint i = 0; i < all->len; i++)
    {
      Interval *interval = &g_array_index (all, Interval, i);

      if (interval->to_seq <= since)
        continue;
      collect_seqs (self,
                    query (self,
                           "SELECT seq FROM events WHERE stream = ? AND seq > ? AND seq <= ?"
                           " ORDER BY seq LIMIT ?",
                           "siid", interval->stream, MAX (since, interval->from_seq - 1),
                           interval->to_seq, (int) limit + 1),
                    seqs);
    }
  g_array_sort (seqs, compare_seq);

  n = 0;
  for (guint i = 0; i < seqs->len && n <= limit; i++)
    {
      gint64 seq = g_array_index (seqs, gint64, i);
      g_autoptr(GBytes) frame = NULL;
      sqlite3_stmt *stmt;

      /* An event both in the inbox and in a stream the user reads comes once. */
      if (i > 0 && seq == g_array_index (seqs, gint64, i - 1))
        continue;
      if (n == limit)
        {
          reply->more = TRUE;
          break;
        }
      stmt = query (self, "SELECT name, frame FROM events WHERE seq = ?", "i", seq);
      if (step (self, stmt) != SQLITE_ROW)
        continue;
      frame = g_bytes_new (sqlite3_column_text (stmt, 1), sqlite3_column_bytes (stmt, 1));
      g_ptr_array_add (reply->events,
                       confab_store_event_new (seq, col_text (stmt, 0), users, frame));
      sqlite3_reset (stmt);
      n++;
    }
}

/* --- Retention ---------------------------------------------------------------------------- */

/* Drops events older than the retention time and, per user inbox and per stream, all but the
 * newest cap. A user's events_floor records the newest seq dropped from what they read (their
 * inbox and their stream intervals), below which events_since asks for a resync. */
/* Each stream keeps its newest @cap events; its readers' floors rise over what goes. */
static void
prune_streams (ConfabSqliteStore *self,
               gint64             cap)
{
  g_autoptr(GPtrArray) streams = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;

  stmt = query (self, "SELECT DISTINCT stream FROM stream_members", "");
  while (step (self, stmt) == SQLITE_ROW)
    g_ptr_array_add (streams, g_strdup (col_text (stmt, 0)));

  for (guint i = 0; i < streams->len; i++)
    {
      const char *stream = g_ptr_array_index (streams, i);
      gint64 drop = query_int (self, 0,
                               "SELECT seq FROM events WHERE stream = ?"
                               " ORDER BY seq DESC LIMIT 1 OFFSET ?",
                               "si", stream, cap);

      if (drop == 0)
        continue;
      run (self,
           "UPDATE users SET events_floor = max (events_floor,"
           " (SELECT max (min (?2, coalesce (s.to_seq, ?2))) FROM stream_members s"
           "  WHERE s.username = users.username AND s.stream = ?1 AND s.from_seq <= ?2))"
           " WHERE username IN"
           " (SELECT username FROM stream_members WHERE stream = ?1 AND from_seq <= ?2)",
           "si", stream, drop);
      run (self, "DELETE FROM events WHERE stream = ? AND seq <= ?", "si", stream, drop);
    }
}

static void
prune (ConfabSqliteStore *self)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  gint64 days = g_atomic_int_get (&self->retention_days);
  gint64 cap = g_atomic_int_get (&self->user_event_cap);
  gint64 cutoff = now_ms () - days * 24 * 3600 * 1000;
  gint64 old_seq = 0;
  sqlite3_stmt *stmt;

  /* Seqs and timestamps rise together, so the old events are a prefix of the table. */
  stmt = query (self, "SELECT seq FROM events WHERE ts <= ? ORDER BY seq DESC LIMIT 1",
                "i", cutoff);
  if (step (self, stmt) == SQLITE_ROW)
    {
      old_seq = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }

  stmt = query (self, "SELECT username FROM users", "");
  while (step (self, stmt) == SQLITE_ROW)
    g_ptr_array_add (users, g_strdup (col_text (stmt, 0)));

  for (guint i = 0; i < users->len; i++)
    {
      const char *user = g_ptr_array_index (users, i);
      gint64 drop = 0;

      if (old_seq > 0)
        {
          g_autoptr(GArray) intervals = load_intervals (self, user, G_MININT64);

          drop = query_int (self, 0, "SELECT max (seq) FROM inbox WHERE username = ? AND seq <= ?",
                            "si", user, old_seq);
          for (guint k = 0; k < intervals->len; k++)
            {
              Interval *interval = &g_array_index (intervals, Interval, k);

              if (interval->from_seq <= old_seq)
                drop = MAX (drop, query_int (self, 0,
                                             "SELECT seq FROM events WHERE stream = ?"
                                             " AND seq BETWEEN ? AND ? ORDER BY seq DESC LIMIT 1",
                                             "sii", interval->stream, interval->from_seq,
                                             MIN (interval->to_seq, old_seq)));
            }
        }
      if (cap > 0)
        drop = MAX (drop, query_int (self, 0,
                                     "SELECT seq FROM inbox WHERE username = ?"
                                     " ORDER BY seq DESC LIMIT 1 OFFSET ?",
                                     "si", user, cap));
      if (drop == 0)
        continue;
      run (self, "UPDATE users SET events_floor = max (events_floor, ?) WHERE username = ?",
           "is", drop, user);
      run (self, "DELETE FROM inbox WHERE username = ? AND seq <= ?", "si", user, drop);
    }

  if (cap > 0)
    prune_streams (self, cap);
  if (old_seq > 0)
    run (self, "DELETE FROM events WHERE seq <= ?", "i", old_seq);
  /* Closed intervals over events that are all gone tell nothing any more. */
  run (self,
       "DELETE FROM stream_members WHERE to_seq IS NOT NULL AND NOT EXISTS"
       " (SELECT 1 FROM events e WHERE e.stream = stream_members.stream"
       "  AND e.seq BETWEEN stream_members.from_seq AND stream_members.to_seq)",
       "");
}

/* --- The worker --------------------------------------------------------------------------- */

static ConfabStoreReply *
prune_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);

  prune (self);
  self->last_prune = now_ms ();
  return confab_store_reply_new (NULL);
}

static void
flush_acks (ConfabSqliteStore *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->pending_acks);
  while (g_hash_table_iter_next (&iter, &key, &value))
    run (self, "UPDATE devices SET acked_seq = max (acked_seq, ?) WHERE device_id = ?",
         "is", *(gint64 *) value, (const char *) key);
  g_hash_table_remove_all (self->pending_acks);
}

static void
record_ack (ConfabSqliteStore *self,
            ConfabStoreWork   *work)
{
  gint64 *seq = g_hash_table_lookup (self->pending_acks, work->device_id);

  if (seq == NULL)
    {
      seq = g_new (gint64, 1);
      *seq = work->seq;
      g_hash_table_insert (self->pending_acks, g_strdup (work->device_id), seq);
    }
  else
    {
      *seq = MAX (*seq, work->seq);
    }
}

/* The batches of the worker (see ConfabDbWorker): what a ConfabStoreWork is, and what the
 * store keeps in memory during a batch (new seqs, new DMs, the search index and conversation
 * changes it writes at the end, acks). */

static gpointer
worker_run (gpointer   owner,
            GTask     *task,
            GError   **error)
{
  ConfabSqliteStore *self = owner;
  ConfabStoreWork *work = g_task_get_task_data (task);

  if (work->func == NULL)
    {
      record_ack (self, work);
      return confab_store_reply_new (NULL);
    }
  /* Data functions that read conversations or unread counts apply the sends before them
   * (flush_activity) themselves. */
  return work->func (CONFAB_STORE (self), work->data, error);
}

static gboolean
worker_writes (gpointer  owner,
               GTask    *task)
{
  return work_writes (g_task_get_task_data (task));
}

/* An ack is not worth an fsync of its own: it is written with the next transaction. */
static gboolean
worker_deferred (gpointer  owner,
                 GTask    *task)
{
  ConfabStoreWork *work = g_task_get_task_data (task);

  return work->func == NULL;
}

static gboolean
worker_has_deferred (gpointer owner)
{
  ConfabSqliteStore *self = owner;

  return g_hash_table_size (self->pending_acks) > 0;
}

static void
worker_begin (gpointer owner)
{
  ConfabSqliteStore *self = owner;

  self->batch_seq = self->last_seq;
}

static void
worker_mark (gpointer owner)
{
  ConfabSqliteStore *self = owner;

  self->seq_mark = self->last_seq;
  self->convs_mark = self->new_convs->len;
}

static void
worker_undo (gpointer owner)
{
  ConfabSqliteStore *self = owner;

  self->last_seq = self->seq_mark;
  g_ptr_array_set_size (self->new_convs, self->convs_mark);
}

static void
worker_job_done (gpointer owner)
{
  flush_activity (owner);
}

static void
worker_finish (gpointer owner,
               gboolean write)
{
  ConfabSqliteStore *self = owner;

  flush_activity (self);
  fts_flush (self);
  if (write)
    flush_acks (self);
}

static void
worker_abandon (gpointer owner)
{
  ConfabSqliteStore *self = owner;

  self->last_seq = self->batch_seq;
  self->fts_dirty = FALSE;
  self->fts_purge = FALSE;
  g_hash_table_remove_all (self->activity);
  g_ptr_array_set_size (self->new_convs, 0);
}

static void
worker_committed (gpointer owner)
{
  ConfabSqliteStore *self = owner;

  for (guint i = 0; i < self->new_convs->len; i++)
    g_hash_table_add (self->known_convs, g_strdup (g_ptr_array_index (self->new_convs, i)));
  g_ptr_array_set_size (self->new_convs, 0);
}

static void
worker_measured (gpointer owner,
                 guint    jobs,
                 gint64   commit_us)
{
  ConfabSqliteStore *self = owner;
  ConfabStoreBatchFunc func = g_atomic_pointer_get (&self->batch_func);

  if (func != NULL)
    func (jobs, commit_us, self->batch_data);
}

/* Chores for quiet moments: write the acks, prune now and then (not on the way out). */
static gboolean
worker_want_chores (gpointer owner,
                    gboolean stopping)
{
  ConfabSqliteStore *self = owner;

  return g_hash_table_size (self->pending_acks) > 0
         || (!stopping && now_ms () - self->last_prune >= PRUNE_INTERVAL_MS);
}

static void
worker_chores (gpointer owner,
               gboolean stopping)
{
  ConfabSqliteStore *self = owner;

  flush_acks (self);
  if (!stopping && now_ms () - self->last_prune >= PRUNE_INTERVAL_MS)
    {
      prune (self);
      self->last_prune = now_ms ();
    }
}

static const ConfabDbWorkerFuncs worker_funcs = {
  .run = worker_run,
  .writes = worker_writes,
  .deferred = worker_deferred,
  .has_deferred = worker_has_deferred,
  .begin = worker_begin,
  .mark = worker_mark,
  .undo = worker_undo,
  .job_done = worker_job_done,
  .finish = worker_finish,
  .abandon = worker_abandon,
  .committed = worker_committed,
  .measured = worker_measured,
  .want_chores = worker_want_chores,
  .chores = worker_chores,
  .free_result = (GDestroyNotify) confab_store_reply_free,
};

/* --- Opening ------------------------------------------------------------------------------ */

static gboolean
open_database (ConfabSqliteStore  *self,
               GError            **error)
{
  self->db = confab_db_open (self->path, migrations, G_N_ELEMENTS (migrations), error);
  if (self->db == NULL)
    return FALSE;

  if (!confab_db_exec_script (self->db,
                              "CREATE TEMP TABLE fts_add"
                              " (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"
                              "CREATE TEMP TABLE fts_del"
                              " (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
                              error))
    return FALSE;

  self->last_seq = confab_db_query_int (self->db, 0,
                                        "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
                                        "");
  confab_db_clear_failure (self->db);
  return TRUE;
}

/* --- ConfabStore -------------------------------------------------------------------------- */

static void
confab_sqlite_store_submit (ConfabStore     *store,
                            ConfabStoreWork *work,
                            GTask           *task)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);

  if (self->worker == NULL || !confab_db_worker_push (self->worker, task))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "the store is closed");
}

static void
confab_sqlite_store_close (ConfabStore *store)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);

  /* The worker runs what was queued before it stops; later work fails as closed. */
  if (self->worker != NULL)
    confab_db_worker_stop (self->worker);
  g_clear_pointer (&self->db, confab_db_close);
}

static void
confab_sqlite_store_set_batch_func (ConfabStore          *store,
                                    ConfabStoreBatchFunc  func,
                                    gpointer              user_data)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (store);

  self->batch_data = user_data;
  g_atomic_pointer_set (&self->batch_func, func);
}

static void
confab_store_iface_init (ConfabStoreInterface *iface)
{
  iface->submit = confab_sqlite_store_submit;
  iface->close = confab_sqlite_store_close;
  iface->set_batch_func = confab_sqlite_store_set_batch_func;
  iface->event_next_seq = event_next_seq;
  iface->event_append = event_append;
  iface->stream_join = stream_join;
  iface->stream_leave = stream_leave;
  iface->events_since = events_since;
}

ConfabDb *
confab_sqlite_store_get_db (ConfabSqliteStore *self)
{
  return self->db;
}

const char *
confab_sqlite_store_get_path (ConfabSqliteStore *self)
{
  return self->path;
}

/* --- GObject ------------------------------------------------------------------------------ */

static void
confab_sqlite_store_dispose (GObject *object)
{
  confab_sqlite_store_close (CONFAB_STORE (object));

  G_OBJECT_CLASS (confab_sqlite_store_parent_class)->dispose (object);
}

static void
confab_sqlite_store_finalize (GObject *object)
{
  ConfabSqliteStore *self = CONFAB_SQLITE_STORE (object);

  g_clear_pointer (&self->worker, confab_db_worker_free);
  g_clear_pointer (&self->known_convs, g_hash_table_unref);
  g_clear_pointer (&self->new_convs, g_ptr_array_unref);
  g_clear_pointer (&self->activity, g_hash_table_unref);
  g_clear_pointer (&self->pending_acks, g_hash_table_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (confab_sqlite_store_parent_class)->finalize (object);
}

static void
confab_sqlite_store_class_init (ConfabSqliteStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_sqlite_store_dispose;
  object_class->finalize = confab_sqlite_store_finalize;
}

static void
confab_sqlite_store_init (ConfabSqliteStore *self)
{
  self->known_convs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->new_convs = g_ptr_array_new_with_free_func (g_free);
  self->activity = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pending_acks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->retention_days = CONFAB_SQLITE_STORE_DEFAULT_RETENTION_DAYS;
  self->user_event_cap = CONFAB_SQLITE_STORE_DEFAULT_USER_EVENT_CAP;
}

/**
 * confab_sqlite_store_new:
 * @path: the database file, created if missing
 * @error: return location for an error
 *
 * Opens the database, brings its schema up to date and starts the worker thread.
 */
ConfabSqliteStore *
confab_sqlite_store_new (const char  *path,
                         GError     **error)
{
  g_autoptr(ConfabSqliteStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  if (!open_database (self, error))
    return NULL;

  /* Housekeeping starts a while after opening, not in the middle of start-up. */
  self->last_prune = now_ms () - PRUNE_INTERVAL_MS + 60 * 1000;
  self->worker = confab_db_worker_new (self->db, "confab-store", &worker_funcs, self);
  return g_steal_pointer (&self);
}

void
confab_sqlite_store_set_retention (ConfabSqliteStore *self,
                                   guint              days,
                                   guint              per_user_cap)
{
  g_return_if_fail (CONFAB_IS_SQLITE_STORE (self));

  g_atomic_int_set (&self->retention_days, (gint) MIN (days, G_MAXINT / 2));
  g_atomic_int_set (&self->user_event_cap, (gint) MIN (per_user_cap, G_MAXINT));
}

void
confab_sqlite_store_prune_async (ConfabSqliteStore   *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_SQLITE_STORE (self));

  confab_store_work_submit (CONFAB_STORE (self),
                            confab_store_work_new ("prune", CONFAB_STORE_WORK_WRITE, prune_work,
                                                   NULL, NULL),
                            cancellable, callback, user_data, confab_sqlite_store_prune_async);
}
