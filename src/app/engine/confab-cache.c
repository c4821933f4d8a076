/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-cache"

#include "config.h"

#include "confab-cache.h"
#include "confab-conversation.h"
#include "confab-db-worker.h"
#include "confab-db.h"
#include "confab-frame.h"
#include "confab-message.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#define PREVIEW_CHARS 120

typedef struct _Job Job;
typedef gboolean (*JobFunc) (ConfabCache *self,
                             Job         *job,
                             GError     **error);

/* One call: its inputs, and the outputs its finish function takes. The job runs on the
 * worker's thread inside a batch's transaction, and may run twice when the batch is redone
 * (job_clear_outputs). */
struct _Job
{
  JobFunc         func;
  gboolean        writes;
  /* inputs */
  char           *conv;
  char           *str1;
  char           *str2;
  char           *str3;
  JsonObject     *object;
  JsonArray      *array;
  gint64          num1;
  gint64          num2;
  gint64          seq;
  guint           limit;
  gboolean        flag;
  /* outputs */
  gpointer        out;
  GDestroyNotify  out_free;
  gint64          out_num;
  gboolean        out_flag;
};

struct _ConfabCache
{
  GObject          parent_instance;

  char            *path;
  char            *self_username;

  /* Main thread. ->db is used only on the worker's thread while ->worker runs; the main
   * thread opens it (on a thread of the pool), and closes it once the worker stopped. */
  ConfabDb        *db;
  ConfabDbWorker  *worker;
  gboolean         opening;
  GPtrArray       *waiting;    /* of GTask, made while the database was being opened */
  /* Worker thread: a batch removed or replaced a message's text. */
  gboolean         scrub_log;
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_SELF_USERNAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabCache, confab_cache, G_TYPE_OBJECT)

/* The schema, one script per version (see confab_db_open ()). Append a migration for a change;
 * never edit one that shipped. Caches made before the schema had versions are at version 0
 * with the tables of version 1 in place, hence IF NOT EXISTS there. */
static const char * const migrations[] = {
  /* 1 */
  "CREATE TABLE IF NOT EXISTS state ("
  "  key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "CREATE TABLE IF NOT EXISTS messages ("
  "  id INTEGER PRIMARY KEY, conv TEXT NOT NULL, sender TEXT NOT NULL,"
  "  ts INTEGER NOT NULL, client_msg_id TEXT, json TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS messages_conv_id ON messages (conv, id);"
  "CREATE TABLE IF NOT EXISTS conversations ("
  "  conv TEXT PRIMARY KEY, title TEXT, last_msg_id INTEGER NOT NULL DEFAULT 0,"
  "  last_preview TEXT, last_ts INTEGER NOT NULL DEFAULT 0,"
  "  unread INTEGER NOT NULL DEFAULT 0, last_read INTEGER NOT NULL DEFAULT 0,"
  "  peer_read INTEGER NOT NULL DEFAULT 0, muted INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE IF NOT EXISTS users ("
  "  username TEXT PRIMARY KEY, json TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS outbox ("
  "  local_id INTEGER PRIMARY KEY AUTOINCREMENT, conv TEXT NOT NULL,"
  "  client_msg_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, format TEXT NOT NULL,"
  "  reply_to INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 0,"
  "  created_ts INTEGER NOT NULL);",
  /* 2: files. An outbox message may carry attachments ({file_id, thumbnail_file_id?, width?,
   * height?}, as send takes them); an upload waiting to finish is kept as the files feature
   * describes it (its tus URL and offset among it), grouped by the message it is for. */
  "ALTER TABLE outbox ADD COLUMN attachments TEXT;"
  "CREATE TABLE uploads ("
  "  local_id INTEGER PRIMARY KEY AUTOINCREMENT, client_msg_id TEXT NOT NULL,"
  "  json TEXT NOT NULL);",
  /* 3: announcements (broadcast events), by their id; read once shown */
  "CREATE TABLE IF NOT EXISTS announcements ("
  "  id INTEGER PRIMARY KEY, json TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0);",
};

static void
job_clear_outputs (Job *job)
{
  if (job->out != NULL && job->out_free != NULL)
    job->out_free (job->out);
  job->out = NULL;
  job->out_free = NULL;
  job->out_num = 0;
  job->out_flag = FALSE;
}

static void
job_free (Job *job)
{
  g_free (job->conv);
  g_free (job->str1);
  g_free (job->str2);
  g_free (job->str3);
  g_clear_pointer (&job->object, json_object_unref);
  g_clear_pointer (&job->array, json_array_unref);
  job_clear_outputs (job);
  g_free (job);
}



static char *
make_preview (ConfabCache *self,
              JsonObject  *msg)
{
  const char *body = confab_json_get_string (msg, "body");
  gboolean deleted = FALSE;
  GString *str;

  if (confab_json_get_bool (msg, "deleted", &deleted) && deleted)
    return g_strdup ("");
  /* A call has no body; the sidebar shows what the conversation shows ("Missed call"). */
  if (g_strcmp0 (confab_json_get_string (msg, "kind"), "call") == 0)
    return confab_call_record_describe (confab_json_get_object (msg, "call"),
                                        g_strcmp0 (confab_json_get_string (msg, "from"),
                                                   self->self_username) == 0,
                                        NULL);
  if (body == NULL)
    return g_strdup ("");

  str = g_string_new (NULL);
  for (const char *p = body; *p != '\0' && g_utf8_strlen (str->str, -1) < PREVIEW_CHARS;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (str, (c == '\n' || c == '\t' || c == '\r') ? ' ' : c);
    }
  return g_string_free (str, FALSE);
}

static JsonObject *
copy_object (JsonObject *obj)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, obj);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (copy, name, json_node_copy (node));
  return copy;
}

/* A mutable object (the frame parser seals what it returns). */
static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonObject) sealed = NULL;

  if (text == NULL)
    return NULL;
  sealed = confab_frame_parse (text, strlen (text), NULL);
  return sealed != NULL ? copy_object (sealed) : NULL;
}

/* Jobs -------------------------------------------------------------------------------------
 *
 * They run on the worker's thread, inside the transaction of their batch (so a job that
 * writes several rows writes all or none of them). A failed statement is recorded by the
 * ConfabDb and turned into the job's error by worker_run (); a job returns FALSE itself only
 * for what SQLite cannot see, such as an incomplete message. */

static void
raise_last_seq (ConfabCache *self,
                gint64       seq)
{
  if (seq <= 0)
    return;
  confab_db_run (self->db,
                 "INSERT INTO state (key, value) VALUES ('last_seq', ?1) "
                 "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
                 "i", seq);
}

static void
ensure_conversation (ConfabCache *self,
                     const char  *conv)
{
  confab_db_run (self->db, "INSERT OR IGNORE INTO conversations (conv) VALUES (?1)", "s", conv);
}

static ConfabMessage *
message_from_row (sqlite3_stmt *stmt,
                  int           column)
{
  g_autoptr(JsonObject) obj = parse_object (confab_db_column_text (stmt, column));

  if (obj == NULL)
    return NULL;
  return confab_message_new_from_json (obj);
}

static JsonObject *
load_message_json (ConfabCache *self,
                   gint64       msg_id)
{
  g_autofree char *json = confab_db_query_text (self->db,
                                                "SELECT json FROM messages WHERE id = ?1",
                                                "i", msg_id);

  return parse_object (json);
}

static gboolean
job_get_last_seq (ConfabCache  *self,
                  Job          *job,
                  GError      **error)
{
  job->out_num = confab_db_query_int (self->db, 0,
                                      "SELECT value FROM state WHERE key = 'last_seq'", "");
  return TRUE;
}

static gboolean
job_set_last_seq (ConfabCache  *self,
                  Job          *job,
                  GError      **error)
{
  raise_last_seq (self, job->seq);
  return TRUE;
}

/* Inserts or updates one message; sets *is_new. */
static gboolean
store_one_message (ConfabCache  *self,
                   JsonObject   *msg,
                   gboolean      count_unread,
                   gboolean     *is_new,
                   GError      **error)
{
  g_autoptr(JsonObject) stored = NULL;
  g_autofree char *json = NULL;
  g_autofree char *preview = NULL;
  const char *conv = confab_json_get_string (msg, "conv");
  const char *from = confab_json_get_string (msg, "from");
  const char *client_msg_id = confab_json_get_string (msg, "client_msg_id");
  gint64 id = confab_json_get_int_or (msg, "id", 0);
  gint64 ts = confab_json_get_int_or (msg, "ts", 0);
  gboolean own = g_strcmp0 (from, self->self_username) == 0;

  /* A call record is unread news only when the call was missed: whoever declined or ended a
   * call knows of it. */
  if (g_strcmp0 (confab_json_get_string (msg, "kind"), "call") == 0
      && g_strcmp0 (confab_json_get_string (confab_json_get_object (msg, "call"), "result"),
                    "missed") != 0)
    count_unread = FALSE;

  *is_new = FALSE;
  if (conv == NULL || from == NULL || id <= 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "incomplete message");
      return FALSE;
    }

  stored = load_message_json (self, id);
  if (stored != NULL)
    {
      /* A replayed copy must not bring a deleted body back or drop known reactions. */
      JsonObject *merged = copy_object (msg);
      gboolean deleted = FALSE;

      if (json_object_get_member (msg, "reactions") == NULL
          && json_object_get_member (stored, "reactions") != NULL)
        {
          json_object_set_member (merged, "reactions",
                                  json_node_copy (json_object_get_member (stored, "reactions")));
        }
      if (confab_json_get_bool (stored, "deleted", &deleted) && deleted)
        {
          json_object_set_boolean_member (merged, "deleted", TRUE);
          json_object_set_string_member (merged, "body", "");
        }
      json = confab_json_object_to_string (merged, NULL);
      json_object_unref (merged);
    }
  else
    json = confab_json_object_to_string (msg, NULL);

  confab_db_run (self->db,
                 "INSERT INTO messages (id, conv, sender, ts, client_msg_id, json) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                 "ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                 "ississ", id, conv, from, ts, client_msg_id, json);
  *is_new = stored == NULL;
  if (stored != NULL)
    self->scrub_log = TRUE;

  if (own && client_msg_id != NULL)
    confab_db_run (self->db, "DELETE FROM outbox WHERE client_msg_id = ?1", "s", client_msg_id);

  ensure_conversation (self, conv);

  preview = make_preview (self, msg);
  confab_db_run (self->db,
                 "UPDATE conversations SET last_msg_id = ?2, last_preview = ?3, last_ts = ?4 "
                 "WHERE conv = ?1 AND last_msg_id <= ?2",
                 "sisi", conv, id, preview, ts);

  /* Room system lines ("Alice added Bob") are history, not news. */
  if (*is_new && count_unread && g_strcmp0 (confab_json_get_string (msg, "kind"), "system") != 0)
    {
      if (own)
        confab_db_run (self->db,
                       "UPDATE conversations SET last_read = max(last_read, ?2), unread = 0 "
                       "WHERE conv = ?1",
                       "si", conv, id);
      else
        confab_db_run (self->db,
                       "UPDATE conversations SET unread = unread + 1 "
                       "WHERE conv = ?1 AND last_read < ?2",
                       "si", conv, id);
    }
  return TRUE;
}

static gboolean
job_store_message (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  sqlite3_stmt *stmt;

  if (!store_one_message (self, job->object, TRUE, &job->out_flag, error))
    return FALSE;
  raise_last_seq (self, job->seq);

  stmt = confab_db_query (self->db, "SELECT json FROM messages WHERE id = ?1",
                          "i", confab_json_get_int_or (job->object, "id", 0));
  if (confab_db_step (self->db, stmt) == SQLITE_ROW)
    {
      job->out = message_from_row (stmt, 0);
      job->out_free = g_object_unref;
      sqlite3_reset (stmt);
    }
  return TRUE;
}

static gboolean
job_store_history (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (job->array); i++)
    {
      JsonNode *node = json_array_get_element (job->array, i);
      gboolean is_new;

      /* Incomplete messages are left out; the others are stored. */
      if (JSON_NODE_HOLDS_OBJECT (node)
          && store_one_message (self, json_node_get_object (node), FALSE, &is_new, NULL))
        n++;
    }
  job->out_num = n;
  return TRUE;
}

static void
rewrite_message_json (ConfabCache *self,
                      gint64       msg_id,
                      JsonObject  *msg)
{
  g_autofree char *json = confab_json_object_to_string (msg, NULL);

  confab_db_run (self->db, "UPDATE messages SET json = ?2 WHERE id = ?1", "is", msg_id, json);
}

static gboolean
job_delete_message (ConfabCache  *self,
                    Job          *job,
                    GError      **error)
{
  g_autoptr(JsonObject) obj = load_message_json (self, job->num1);

  if (obj != NULL)
    {
      json_object_set_boolean_member (obj, "deleted", TRUE);
      json_object_set_string_member (obj, "body", "");
      json_object_remove_member (obj, "reactions");
      json_object_remove_member (obj, "attachments");
      rewrite_message_json (self, job->num1, obj);
      self->scrub_log = TRUE;
      confab_db_run (self->db,
                     "UPDATE conversations SET last_preview = '' "
                     "WHERE conv = ?1 AND last_msg_id = ?2",
                     "si", confab_json_get_string (obj, "conv"), job->num1);
    }
  raise_last_seq (self, job->seq);
  return TRUE;
}

static gboolean
job_set_reaction (ConfabCache  *self,
                  Job          *job,
                  GError      **error)
{
  g_autoptr(JsonObject) obj = load_message_json (self, job->num1);

  if (obj != NULL)
    {
      g_autoptr(ConfabMessage) msg = confab_message_new_from_json (obj);

      if (msg != NULL)
        {
          confab_message_set_reaction (msg, job->str2, job->str1, job->flag);
          json_object_set_object_member (obj, "reactions",
                                         confab_message_dup_reactions_json (msg));
          rewrite_message_json (self, job->num1, obj);
        }
    }
  raise_last_seq (self, job->seq);
  return TRUE;
}

static gboolean
job_set_read (ConfabCache  *self,
              Job          *job,
              GError      **error)
{
  ensure_conversation (self, job->conv);
  if (g_strcmp0 (job->str1, self->self_username) == 0)
    confab_db_run (self->db,
                   "UPDATE conversations SET last_read = ?2, unread = "
                   "(SELECT count(*) FROM messages WHERE conv = ?1 AND id > ?2 AND sender <> ?3"
                   "  AND (json_extract (json, '$.kind') IS NOT 'call'"
                   "       OR json_extract (json, '$.call.result') = 'missed'))"
                   " WHERE conv = ?1 AND last_read < ?2",
                   "sis", job->conv, job->num1, self->self_username);
  else
    confab_db_run (self->db,
                   "UPDATE conversations SET peer_read = max(peer_read, ?2) WHERE conv = ?1",
                   "si", job->conv, job->num1);
  raise_last_seq (self, job->seq);
  return TRUE;
}

static gboolean
job_load_messages (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;

  job->out = messages;
  job->out_free = (GDestroyNotify) g_ptr_array_unref;

  /* Newest @limit of the range, walking the (conv, id) index backwards; with flag, the oldest
   * @limit, walking it forwards. */
  if (job->flag)
    stmt = confab_db_query (self->db,
                            "SELECT json FROM messages WHERE conv = ?1 AND id < ?2 AND id > ?3 "
                            "ORDER BY id ASC LIMIT ?4",
                            "siii", job->conv, job->num1 > 0 ? job->num1 : G_MAXINT64,
                            job->num2, (gint64) job->limit);
  else
    stmt = confab_db_query (self->db,
                            "SELECT json FROM messages WHERE conv = ?1 AND id < ?2 AND id > ?3 "
                            "ORDER BY id DESC LIMIT ?4",
                            "siii", job->conv, job->num1 > 0 ? job->num1 : G_MAXINT64,
                            job->num2, (gint64) job->limit);
  while (confab_db_step (self->db, stmt) == SQLITE_ROW)
    {
      ConfabMessage *msg = message_from_row (stmt, 0);

      if (msg != NULL)
        g_ptr_array_add (messages, msg);
    }

  for (guint i = 0; !job->flag && i < messages->len / 2; i++)
    {
      gpointer tmp = messages->pdata[i];

      messages->pdata[i] = messages->pdata[messages->len - 1 - i];
      messages->pdata[messages->len - 1 - i] = tmp;
    }
  return TRUE;
}

static gboolean
job_count_messages (ConfabCache  *self,
                    Job          *job,
                    GError      **error)
{
  job->out_num = confab_db_query_int (self->db, 0,
                                      "SELECT count(*) FROM messages WHERE conv = ?1",
                                      "s", job->conv);
  return TRUE;
}

static gboolean
job_store_conversations (ConfabCache  *self,
                         Job          *job,
                         GError      **error)
{
  for (guint i = 0; i < json_array_get_length (job->array); i++)
    {
      JsonNode *node = json_array_get_element (job->array, i);
      JsonObject *obj, *last_msg = NULL, *room = NULL;
      JsonNode *member;
      const char *conv, *title;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      obj = json_node_get_object (node);
      conv = confab_json_get_string (obj, "conv");
      if (conv == NULL)
        continue;
      title = confab_json_get_string (obj, "title");
      member = json_object_get_member (obj, "room");
      if (title == NULL && member != NULL && JSON_NODE_HOLDS_OBJECT (member))
        {
          room = json_node_get_object (member);
          title = confab_json_get_string (room, "name");
        }
      member = json_object_get_member (obj, "last_msg");
      if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
        last_msg = json_node_get_object (member);

      ensure_conversation (self, conv);
      /* A read sent since the server made this list is newer than its unread count. */
      confab_db_run (self->db,
                     "UPDATE conversations SET title = ?2, "
                     "unread = CASE WHEN last_read > ?4 THEN (SELECT count(*) FROM messages m "
                     "  WHERE m.conv = ?1 AND m.id > conversations.last_read AND m.sender <> ?5)"
                     " ELSE ?3 END, "
                     "last_read = max(last_read, ?4) WHERE conv = ?1",
                     "ssiis", conv, title, MAX (confab_json_get_int_or (obj, "unread", 0), 0),
                     confab_json_get_int_or (obj, "last_read", 0), self->self_username);

      if (last_msg != NULL && confab_json_get_int_or (last_msg, "id", 0) > 0)
        {
          gboolean is_new;

          /* An incomplete last message is left out. */
          store_one_message (self, last_msg, FALSE, &is_new, NULL);
        }
    }
  return TRUE;
}

static gboolean
job_load_conversations (ConfabCache  *self,
                        Job          *job,
                        GError      **error)
{
  GPtrArray *convs = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;

  job->out = convs;
  job->out_free = (GDestroyNotify) g_ptr_array_unref;

  stmt = confab_db_query (self->db,
                          "SELECT conv, title, last_msg_id, last_preview, last_ts, unread, "
                          "last_read, peer_read, muted, "
                          "(SELECT sender FROM messages WHERE id = last_msg_id) "
                          "FROM conversations WHERE ?1 IS NULL OR conv = ?1",
                          "s", job->conv);
  while (confab_db_step (self->db, stmt) == SQLITE_ROW)
    {
      ConfabConversation *conv =
        confab_conversation_new (confab_db_column_text (stmt, 0), self->self_username);

      if (conv == NULL)
        continue;
      confab_conversation_set_title (conv, confab_db_column_text (stmt, 1));
      confab_conversation_set_last_message (conv, sqlite3_column_int64 (stmt, 2),
                                            confab_db_column_text (stmt, 3),
                                            sqlite3_column_int64 (stmt, 4));
      confab_conversation_set_unread (conv, (guint) sqlite3_column_int64 (stmt, 5));
      confab_conversation_set_last_read (conv, sqlite3_column_int64 (stmt, 6));
      confab_conversation_set_peer_read (conv, sqlite3_column_int64 (stmt, 7));
      confab_conversation_set_muted (conv, sqlite3_column_int (stmt, 8) != 0);
      confab_conversation_set_last_message_sender (conv, confab_db_column_text (stmt, 9));
      g_ptr_array_add (convs, conv);
    }
  return TRUE;
}

static gboolean
job_set_muted (ConfabCache  *self,
               Job          *job,
               GError      **error)
{
  ensure_conversation (self, job->conv);
  confab_db_run (self->db, "UPDATE conversations SET muted = ?2 WHERE conv = ?1",
                 "sd", job->conv, job->flag ? 1 : 0);
  return TRUE;
}

static gboolean
job_store_user (ConfabCache  *self,
                Job          *job,
                GError      **error)
{
  const char *username = confab_json_get_string (job->object, "username");

  if (username != NULL)
    {
      g_autofree char *json = confab_json_object_to_string (job->object, NULL);

      confab_db_run (self->db, "INSERT OR REPLACE INTO users (username, json) VALUES (?1, ?2)",
                     "ss", username, json);
    }
  raise_last_seq (self, job->seq);
  return TRUE;
}

static gboolean
job_load_users (ConfabCache  *self,
                Job          *job,
                GError      **error)
{
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  sqlite3_stmt *stmt;

  job->out = users;
  job->out_free = (GDestroyNotify) g_ptr_array_unref;
  stmt = confab_db_query (self->db, "SELECT json FROM users", "");
  while (confab_db_step (self->db, stmt) == SQLITE_ROW)
    {
      JsonObject *obj = parse_object (confab_db_column_text (stmt, 0));

      if (obj != NULL)
        g_ptr_array_add (users, obj);
    }
  return TRUE;
}

static gboolean
job_store_announcement (ConfabCache  *self,
                        Job          *job,
                        GError      **error)
{
  g_autofree char *json = confab_json_object_to_string (job->object, NULL);

  /* A replayed copy changes nothing (nor its read mark). */
  confab_db_run (self->db, "INSERT OR IGNORE INTO announcements (id, json) VALUES (?1, ?2)",
                 "is", job->num1, json);
  raise_last_seq (self, job->seq);
  return TRUE;
}

static gboolean
job_load_announcements (ConfabCache  *self,
                        Job          *job,
                        GError      **error)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  sqlite3_stmt *stmt;

  job->out = list;
  job->out_free = (GDestroyNotify) g_ptr_array_unref;
  stmt = confab_db_query (self->db,
                          "SELECT json, read FROM (SELECT id, json, read FROM announcements"
                          "  ORDER BY id DESC LIMIT ?1) ORDER BY id",
                          "i", (gint64) job->limit);
  while (confab_db_step (self->db, stmt) == SQLITE_ROW)
    {
      JsonObject *obj = parse_object (confab_db_column_text (stmt, 0));

      if (obj == NULL)
        continue;
      json_object_set_boolean_member (obj, "read", sqlite3_column_int (stmt, 1) != 0);
      g_ptr_array_add (list, obj);
    }
  return TRUE;
}

static gboolean
job_set_announcements_read (ConfabCache  *self,
                            Job          *job,
                            GError      **error)
{
  confab_db_run (self->db, "UPDATE announcements SET read = 1 WHERE id <= ?1 AND read = 0",
                 "i", job->num1);
  return TRUE;
}

static ConfabMessage *
outbox_row_to_message (ConfabCache  *self,
                       sqlite3_stmt *stmt)
{
  ConfabMessage *msg;

  msg = confab_message_new_pending (confab_db_column_text (stmt, 0),
                                    self->self_username,
                                    confab_db_column_text (stmt, 1),
                                    confab_db_column_text (stmt, 2),
                                    confab_db_column_text (stmt, 3),
                                    sqlite3_column_int64 (stmt, 4),
                                    sqlite3_column_int64 (stmt, 6));
  confab_message_set_state (msg, (ConfabMessageState) sqlite3_column_int (stmt, 5));
  if (confab_db_column_text (stmt, 7) != NULL)
    {
      g_autoptr(JsonNode) node = json_from_string (confab_db_column_text (stmt, 7), NULL);

      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        confab_message_set_pending_attachments (msg, json_node_get_array (node));
    }
  return msg;
}

static gboolean
job_outbox_add (ConfabCache  *self,
                Job          *job,
                GError      **error)
{
  gint64 now = g_get_real_time () / 1000;
  g_autofree char *attachments = NULL;

  if (job->array != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), job->array);

      attachments = confab_json_to_string (node, NULL);
    }
  confab_db_run (self->db,
                 "INSERT INTO outbox (conv, client_msg_id, body, format, reply_to, state, "
                 "created_ts, attachments) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                 "ssssidis", job->conv, job->str1, job->str2,
                 job->str3 != NULL ? job->str3 : "plain", job->num1,
                 (int) CONFAB_MESSAGE_STATE_SENDING, now, attachments);
  if (confab_db_failed (self->db) != NULL)
    return FALSE;

  job->out = confab_message_new_pending (job->conv, self->self_username, job->str1, job->str2,
                                         job->str3, job->num1, now);
  if (job->array != NULL)
    confab_message_set_pending_attachments (job->out, job->array);
  job->out_free = g_object_unref;
  return TRUE;
}

static gboolean
job_outbox_list (ConfabCache  *self,
                 Job          *job,
                 GError      **error)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt;

  job->out = messages;
  job->out_free = (GDestroyNotify) g_ptr_array_unref;
  stmt = confab_db_query (self->db,
                          "SELECT conv, client_msg_id, body, format, reply_to, state, created_ts, "
                          "attachments FROM outbox WHERE ?1 IS NULL OR conv = ?1 ORDER BY local_id",
                          "s", job->conv);
  while (confab_db_step (self->db, stmt) == SQLITE_ROW)
    g_ptr_array_add (messages, outbox_row_to_message (self, stmt));
  return TRUE;
}

static gboolean
job_outbox_set_state (ConfabCache  *self,
                      Job          *job,
                      GError      **error)
{
  confab_db_run (self->db, "UPDATE outbox SET state = ?2 WHERE client_msg_id = ?1",
                 "sd", job->str1, (int) job->num1);
  return TRUE;
}

static gboolean
job_outbox_remove (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  confab_db_run (self->db, "DELETE FROM outbox WHERE ?1 IS NULL OR client_msg_id = ?1", "s",
                 job->str1);
  return TRUE;
}

static gboolean
job_upload_put (ConfabCache  *self,
                Job          *job,
                GError      **error)
{
  g_autofree char *json = confab_json_object_to_string (job->object, NULL);

  if (job->num1 > 0)
    {
      confab_db_run (self->db, "UPDATE uploads SET json = ?2 WHERE local_id = ?1", "is",
                     job->num1, json);
      job->out_num = job->num1;
    }
  else
    {
      confab_db_run (self->db, "INSERT INTO uploads (client_msg_id, json) VALUES (?1, ?2)",
                     "ss", job->str1, json);
      job->out_num = confab_db_last_insert_id (self->db);
    }
  return confab_db_failed (self->db) == NULL;
}

static gboolean
job_upload_list (ConfabCache  *self,
                 Job          *job,
                 GError      **error)
{
  GPtrArray *uploads = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  sqlite3_stmt *stmt;

  job->out = uploads;
  job->out_free = (GDestroyNotify) g_ptr_array_unref;
  stmt = confab_db_query (self->db, "SELECT local_id, client_msg_id, json FROM uploads "
                          "ORDER BY local_id", "");
  while (confab_db_step (self->db, stmt) == SQLITE_ROW)
    {
      JsonObject *obj = parse_object (confab_db_column_text (stmt, 2));

      if (obj == NULL)
        continue;
      json_object_set_int_member (obj, "local_id", sqlite3_column_int64 (stmt, 0));
      json_object_set_string_member (obj, "client_msg_id", confab_db_column_text (stmt, 1));
      g_ptr_array_add (uploads, obj);
    }
  return TRUE;
}

static gboolean
job_upload_remove (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  confab_db_run (self->db, "DELETE FROM uploads WHERE client_msg_id = ?1", "s", job->str1);
  return TRUE;
}

/* A second open, while or after the first: nothing to do, in its place in the queue. */
static gboolean
job_nothing (ConfabCache  *self,
             Job          *job,
             GError      **error)
{
  return TRUE;
}

/* The worker ------------------------------------------------------------------------------ */

static gpointer
worker_run (gpointer   owner,
            GTask     *task,
            GError   **error)
{
  ConfabCache *self = owner;
  Job *job = g_task_get_task_data (task);
  const char *failure;

  /* A batch redone runs its jobs again. */
  job_clear_outputs (job);
  if (job->func (self, job, error) && confab_db_failed (self->db) == NULL)
    return job;

  job_clear_outputs (job);
  /* A statement that failed (a constraint, say) leaves the transaction open: the job fails
   * with SQLite's message and the worker undoes what it wrote. A failure that ended the
   * transaction stays recorded: the worker fails the whole batch. */
  failure = confab_db_failed (self->db);
  if (failure != NULL && confab_db_in_transaction (self->db))
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cache database: %s", failure);
      confab_db_clear_failure (self->db);
    }
  return NULL;
}

static gboolean
worker_writes (gpointer  owner,
               GTask    *task)
{
  Job *job = g_task_get_task_data (task);

  return job->writes;
}

/* The database overwrites removed text (secure_delete), but the write-ahead log still holds
 * the pages as they were: once a batch that deleted or edited a message committed, the log
 * is copied back and emptied. */
static void
worker_committed (gpointer owner)
{
  ConfabCache *self = owner;
  g_autoptr(GError) error = NULL;

  if (!self->scrub_log)
    return;
  self->scrub_log = FALSE;
  if (!confab_db_exec_script (self->db, "PRAGMA wal_checkpoint(TRUNCATE);", &error))
    g_debug ("emptying the log of %s failed: %s", self->path, error->message);
}

static void
worker_abandon (gpointer owner)
{
  ConfabCache *self = owner;

  self->scrub_log = FALSE;
}

static const ConfabDbWorkerFuncs worker_funcs = {
  .run = worker_run,
  .writes = worker_writes,
  .committed = worker_committed,
  .abandon = worker_abandon,
};

static Job *
job_new (JobFunc func)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->writes = TRUE;
  return job;
}

static Job *
job_new_reading (JobFunc func)
{
  Job *job = job_new (func);

  job->writes = FALSE;
  return job;
}

static void
push (ConfabCache *self,
      GTask       *task)
{
  if (self->worker != NULL && confab_db_worker_push (self->worker, task))
    return;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "cache database is not open");
}

static void
submit (ConfabCache         *self,
        Job                 *job,
        gpointer             source_tag,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  /* Calls made while the database opens run once it is open, in order. */
  if (self->opening)
    g_ptr_array_add (self->waiting, g_steal_pointer (&task));
  else
    push (self, task);
}

static Job *
finish_job (ConfabCache   *self,
            GAsyncResult  *result,
            gpointer       source_tag,
            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Opening and closing ---------------------------------------------------------------------
 *
 * The database is opened (and its schema migrated) on a thread of GIO's pool, so the main
 * thread never waits for the disk; the worker then takes it over. Closing stops the worker
 * (it runs what was queued first) and closes the database, again off the main thread. */

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *path = task_data;
  g_autofree char *dir = g_path_get_dirname (path);
  GError *error = NULL;
  ConfabDb *db;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               "cannot create %s: %s", dir, g_strerror (saved));
      return;
    }
  db = confab_db_open (path, migrations, G_N_ELEMENTS (migrations), &error);
  /* The server's page cache is large; the client reads a few pages at a time and keeps what it
   * shows in its models, so SQLite's default is enough and the memory stays the window's. */
  if (db == NULL || !confab_db_exec_script (db, "PRAGMA cache_size = -2000", &error))
    {
      g_clear_pointer (&db, confab_db_close);
      g_prefix_error (&error, "cache database: ");
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, db, (GDestroyNotify) confab_db_close);
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  ConfabCache *self = CONFAB_CACHE (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);
  g_autoptr(GError) error = NULL;

  self->opening = FALSE;
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->db = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->db != NULL)
    self->worker = confab_db_worker_new (self->db, "confab-cache", &worker_funcs, self);

  for (guint i = 0; i < waiting->len; i++)
    {
      GTask *waiting_task = g_ptr_array_index (waiting, i);

      if (error != NULL)
        g_task_return_error (waiting_task, g_error_copy (error));
      else
        push (self, waiting_task);
    }

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

typedef struct
{
  ConfabDb       *db;
  ConfabDbWorker *worker;
} Closing;

static void
closing_free (Closing *closing)
{
  /* The worker runs what was queued before it stops; then nothing uses the database. */
  g_clear_pointer (&closing->worker, confab_db_worker_free);
  g_clear_pointer (&closing->db, confab_db_close);
  g_free (closing);
}

static void
close_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Closing *closing = task_data;

  g_clear_pointer (&closing->worker, confab_db_worker_free);
  g_clear_pointer (&closing->db, confab_db_close);
  g_task_return_boolean (task, TRUE);
}

/* GObject ---------------------------------------------------------------------------------- */

static void
confab_cache_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  ConfabCache *self = CONFAB_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_SELF_USERNAME:
      g_value_set_string (value, self->self_username);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_cache_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  ConfabCache *self = CONFAB_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_SELF_USERNAME:
      self->self_username = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_cache_finalize (GObject *object)
{
  ConfabCache *self = CONFAB_CACHE (object);

  /* Every call holds a reference until it completed: nothing is queued or opening here. */
  g_clear_pointer (&self->worker, confab_db_worker_free);
  g_clear_pointer (&self->db, confab_db_close);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_free (self->path);
  g_free (self->self_username);

  G_OBJECT_CLASS (confab_cache_parent_class)->finalize (object);
}

static void
confab_cache_class_init (ConfabCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_cache_get_property;
  object_class->set_property = confab_cache_set_property;
  object_class->finalize = confab_cache_finalize;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELF_USERNAME] =
    g_param_spec_string ("self-username", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_cache_init (ConfabCache *self)
{
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Public API ------------------------------------------------------------------------------- */

char *
confab_cache_build_path (const char *server_key,
                         const char *username)
{
  g_autofree char *account = NULL;

  g_return_val_if_fail (server_key != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  account = g_strdup_printf ("%s@%s", username, server_key);
  /* host:port is fine in a file name on Linux; only the separator must go. */
  g_strdelimit (account, "/\\", '_');
  return g_build_filename (g_get_user_data_dir (), "confab", account, "cache.sqlite", NULL);
}

ConfabCache *
confab_cache_new (const char *path,
                  const char *self_username)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (CONFAB_TYPE_CACHE, "path", path, "self-username", self_username, NULL);
}

const char *
confab_cache_get_path (ConfabCache *self)
{
  g_return_val_if_fail (CONFAB_IS_CACHE (self), NULL);
  return self->path;
}

#define SIMPLE_FINISH(name) \
  gboolean \
  confab_cache_##name##_finish (ConfabCache   *self, \
                                GAsyncResult  *result, \
                                GError       **error) \
  { \
    return finish_job (self, result, confab_cache_##name##_async, error) != NULL; \
  }

void
confab_cache_open_async (ConfabCache         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) open_task = NULL;

  g_return_if_fail (CONFAB_IS_CACHE (self));

  if (self->opening || self->worker != NULL)
    {
      submit (self, job_new_reading (job_nothing), confab_cache_open_async, cancellable,
              callback, user_data);
      return;
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_cache_open_async);
  self->opening = TRUE;
  open_task = g_task_new (self, NULL, open_cb, g_steal_pointer (&task));
  g_task_set_source_tag (open_task, open_thread);
  g_task_set_task_data (open_task, g_strdup (self->path), g_free);
  g_task_run_in_thread (open_task, open_thread);
}

gboolean
confab_cache_open_finish (ConfabCache   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_cache_open_async,
                        FALSE);

  /* A second open completes with its job; the first, with a boolean. */
  if (g_task_get_task_data (G_TASK (result)) != NULL)
    return g_task_propagate_pointer (G_TASK (result), error) != NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
confab_cache_close_async (ConfabCache         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Closing *closing;

  g_return_if_fail (CONFAB_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_cache_close_async);
  if (self->opening)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "the cache database is still being opened");
      return;
    }

  /* From now on calls fail as closed; what was queued still runs. */
  closing = g_new0 (Closing, 1);
  closing->worker = g_steal_pointer (&self->worker);
  closing->db = g_steal_pointer (&self->db);
  g_task_set_task_data (task, closing, (GDestroyNotify) closing_free);
  g_task_run_in_thread (task, close_thread);
}

gboolean
confab_cache_close_finish (ConfabCache   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_cache_close_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
confab_cache_get_last_seq_async (ConfabCache         *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CACHE (self));
  submit (self, job_new_reading (job_get_last_seq), confab_cache_get_last_seq_async, cancellable,
          callback, user_data);
}

gint64
confab_cache_get_last_seq_finish (ConfabCache   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_get_last_seq_async, error);

  return job != NULL ? job->out_num : -1;
}

void
confab_cache_set_last_seq_async (ConfabCache         *self,
                                 gint64               seq,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Job *job = job_new (job_set_last_seq);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->seq = seq;
  submit (self, job, confab_cache_set_last_seq_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (set_last_seq)

void
confab_cache_store_message_async (ConfabCache         *self,
                                  JsonObject          *msg,
                                  gint64               seq,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Job *job = job_new (job_store_message);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (msg != NULL);
  job->object = json_object_ref (msg);
  job->seq = seq;
  submit (self, job, confab_cache_store_message_async, cancellable, callback, user_data);
}

ConfabMessage *
confab_cache_store_message_finish (ConfabCache   *self,
                                   GAsyncResult  *result,
                                   gboolean      *is_new,
                                   GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_store_message_async, error);

  if (job == NULL)
    return NULL;
  if (is_new != NULL)
    *is_new = job->out_flag;
  return g_steal_pointer (&job->out);
}

void
confab_cache_store_history_async (ConfabCache         *self,
                                  JsonArray           *messages,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Job *job = job_new (job_store_history);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (messages != NULL);
  job->array = json_array_ref (messages);
  submit (self, job, confab_cache_store_history_async, cancellable, callback, user_data);
}

guint
confab_cache_store_history_finish (ConfabCache   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_store_history_async, error);

  return job != NULL ? (guint) job->out_num : 0;
}

void
confab_cache_delete_message_async (ConfabCache         *self,
                                   gint64               msg_id,
                                   gint64               seq,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Job *job = job_new (job_delete_message);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->num1 = msg_id;
  job->seq = seq;
  submit (self, job, confab_cache_delete_message_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (delete_message)

void
confab_cache_set_reaction_async (ConfabCache         *self,
                                 gint64               msg_id,
                                 const char          *user,
                                 const char          *emoji,
                                 gboolean             on,
                                 gint64               seq,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Job *job = job_new (job_set_reaction);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (user != NULL && emoji != NULL);
  job->num1 = msg_id;
  job->str1 = g_strdup (user);
  job->str2 = g_strdup (emoji);
  job->flag = on;
  job->seq = seq;
  submit (self, job, confab_cache_set_reaction_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (set_reaction)

void
confab_cache_set_read_async (ConfabCache         *self,
                             const char          *conv,
                             const char          *user,
                             gint64               msg_id,
                             gint64               seq,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Job *job = job_new (job_set_read);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (conv != NULL && user != NULL);
  job->conv = g_strdup (conv);
  job->str1 = g_strdup (user);
  job->num1 = msg_id;
  job->seq = seq;
  submit (self, job, confab_cache_set_read_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (set_read)

void
confab_cache_load_messages_async (ConfabCache         *self,
                                  const char          *conv,
                                  gint64               before_id,
                                  gint64               after_id,
                                  guint                limit,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Job *job = job_new_reading (job_load_messages);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (conv != NULL);
  job->conv = g_strdup (conv);
  job->num1 = before_id;
  job->num2 = after_id;
  job->limit = limit > 0 ? limit : 50;
  submit (self, job, confab_cache_load_messages_async, cancellable, callback, user_data);
}

void
confab_cache_load_messages_after_async (ConfabCache         *self,
                                        const char          *conv,
                                        gint64               after_id,
                                        guint                limit,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  Job *job = job_new_reading (job_load_messages);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (conv != NULL);
  job->conv = g_strdup (conv);
  job->num2 = after_id;
  job->limit = limit > 0 ? limit : 50;
  job->flag = TRUE;
  /* Same source tag: confab_cache_load_messages_finish() completes both. */
  submit (self, job, confab_cache_load_messages_async, cancellable, callback, user_data);
}

GPtrArray *
confab_cache_load_messages_finish (ConfabCache   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_load_messages_async, error);

  return job != NULL ? g_steal_pointer (&job->out) : NULL;
}

void
confab_cache_count_messages_async (ConfabCache         *self,
                                   const char          *conv,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Job *job = job_new_reading (job_count_messages);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->conv = g_strdup (conv);
  submit (self, job, confab_cache_count_messages_async, cancellable, callback, user_data);
}

gint64
confab_cache_count_messages_finish (ConfabCache   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_count_messages_async, error);

  return job != NULL ? job->out_num : -1;
}

void
confab_cache_store_conversations_async (ConfabCache         *self,
                                        JsonArray           *conversations,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  Job *job = job_new (job_store_conversations);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (conversations != NULL);
  job->array = json_array_ref (conversations);
  submit (self, job, confab_cache_store_conversations_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (store_conversations)

void
confab_cache_load_conversations_async (ConfabCache         *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CACHE (self));
  submit (self, job_new_reading (job_load_conversations), confab_cache_load_conversations_async,
          cancellable, callback, user_data);
}

GPtrArray *
confab_cache_load_conversations_finish (ConfabCache   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_load_conversations_async, error);

  return job != NULL ? g_steal_pointer (&job->out) : NULL;
}

void
confab_cache_load_conversation_async (ConfabCache         *self,
                                      const char          *conv,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  Job *job = job_new_reading (job_load_conversations);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (conv != NULL);
  job->conv = g_strdup (conv);
  submit (self, job, confab_cache_load_conversation_async, cancellable, callback, user_data);
}

ConfabConversation *
confab_cache_load_conversation_finish (ConfabCache   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_load_conversation_async, error);
  GPtrArray *convs;

  if (job == NULL)
    return NULL;
  convs = job->out;
  if (convs == NULL || convs->len == 0)
    return NULL;
  return g_object_ref (g_ptr_array_index (convs, 0));
}

void
confab_cache_set_muted_async (ConfabCache         *self,
                              const char          *conv,
                              gboolean             muted,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Job *job = job_new (job_set_muted);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->conv = g_strdup (conv);
  job->flag = muted;
  submit (self, job, confab_cache_set_muted_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (set_muted)

void
confab_cache_store_user_async (ConfabCache         *self,
                               JsonObject          *user,
                               gint64               seq,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Job *job = job_new (job_store_user);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (user != NULL);
  job->object = json_object_ref (user);
  job->seq = seq;
  submit (self, job, confab_cache_store_user_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (store_user)

void
confab_cache_load_users_async (ConfabCache         *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CACHE (self));
  submit (self, job_new_reading (job_load_users), confab_cache_load_users_async, cancellable,
          callback, user_data);
}

GPtrArray *
confab_cache_load_users_finish (ConfabCache   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_load_users_async, error);

  return job != NULL ? g_steal_pointer (&job->out) : NULL;
}

void
confab_cache_store_announcement_async (ConfabCache         *self,
                                       JsonObject          *announcement,
                                       gint64               seq,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Job *job = job_new (job_store_announcement);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (announcement != NULL);
  job->object = json_object_ref (announcement);
  job->num1 = confab_json_get_int_or (announcement, "id", 0);
  job->seq = seq;
  submit (self, job, confab_cache_store_announcement_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (store_announcement)

void
confab_cache_load_announcements_async (ConfabCache         *self,
                                       guint                limit,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  Job *job = job_new_reading (job_load_announcements);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->limit = limit;
  submit (self, job, confab_cache_load_announcements_async, cancellable, callback, user_data);
}

GPtrArray *
confab_cache_load_announcements_finish (ConfabCache   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_load_announcements_async, error);

  return job != NULL ? g_steal_pointer (&job->out) : NULL;
}

void
confab_cache_set_announcements_read_async (ConfabCache         *self,
                                           gint64               up_to_id,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  Job *job = job_new (job_set_announcements_read);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->num1 = up_to_id;
  submit (self, job, confab_cache_set_announcements_read_async, cancellable, callback,
          user_data);
}

SIMPLE_FINISH (set_announcements_read)

void
confab_cache_outbox_add_async (ConfabCache         *self,
                               const char          *conv,
                               const char          *client_msg_id,
                               const char          *body,
                               const char          *format,
                               gint64               reply_to,
                               JsonArray           *attachments,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Job *job = job_new (job_outbox_add);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (conv != NULL && client_msg_id != NULL && body != NULL);
  job->conv = g_strdup (conv);
  job->str1 = g_strdup (client_msg_id);
  job->str2 = g_strdup (body);
  job->str3 = g_strdup (format);
  job->num1 = reply_to;
  job->array = attachments != NULL ? json_array_ref (attachments) : NULL;
  submit (self, job, confab_cache_outbox_add_async, cancellable, callback, user_data);
}

ConfabMessage *
confab_cache_outbox_add_finish (ConfabCache   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_outbox_add_async, error);

  return job != NULL ? g_steal_pointer (&job->out) : NULL;
}

void
confab_cache_outbox_list_async (ConfabCache         *self,
                                const char          *conv,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Job *job = job_new_reading (job_outbox_list);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->conv = g_strdup (conv);
  submit (self, job, confab_cache_outbox_list_async, cancellable, callback, user_data);
}

GPtrArray *
confab_cache_outbox_list_finish (ConfabCache   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_outbox_list_async, error);

  return job != NULL ? g_steal_pointer (&job->out) : NULL;
}

void
confab_cache_outbox_set_state_async (ConfabCache         *self,
                                     const char          *client_msg_id,
                                     ConfabMessageState   state,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Job *job = job_new (job_outbox_set_state);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->str1 = g_strdup (client_msg_id);
  job->num1 = state;
  submit (self, job, confab_cache_outbox_set_state_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (outbox_set_state)

void
confab_cache_outbox_remove_async (ConfabCache         *self,
                                  const char          *client_msg_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Job *job = job_new (job_outbox_remove);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  job->str1 = g_strdup (client_msg_id);
  submit (self, job, confab_cache_outbox_remove_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (outbox_remove)

void
confab_cache_upload_put_async (ConfabCache         *self,
                               gint64               local_id,
                               const char          *client_msg_id,
                               JsonObject          *upload,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Job *job = job_new (job_upload_put);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (upload != NULL && (local_id > 0 || client_msg_id != NULL));
  job->num1 = local_id;
  job->str1 = g_strdup (client_msg_id);
  job->object = json_object_ref (upload);
  submit (self, job, confab_cache_upload_put_async, cancellable, callback, user_data);
}

gint64
confab_cache_upload_put_finish (ConfabCache   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_upload_put_async, error);

  return job != NULL ? job->out_num : 0;
}

void
confab_cache_upload_list_async (ConfabCache         *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CACHE (self));
  submit (self, job_new_reading (job_upload_list), confab_cache_upload_list_async, cancellable,
          callback, user_data);
}

GPtrArray *
confab_cache_upload_list_finish (ConfabCache   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  Job *job = finish_job (self, result, confab_cache_upload_list_async, error);

  return job != NULL ? g_steal_pointer (&job->out) : NULL;
}

void
confab_cache_upload_remove_async (ConfabCache         *self,
                                  const char          *client_msg_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Job *job = job_new (job_upload_remove);

  g_return_if_fail (CONFAB_IS_CACHE (self));
  g_return_if_fail (client_msg_id != NULL);
  job->str1 = g_strdup (client_msg_id);
  submit (self, job, confab_cache_upload_remove_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (upload_remove)
