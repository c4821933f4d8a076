/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-cache"

#include "config.h"

#include "confab-cache.h"
#include "confab-frame.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#define PREVIEW_CHARS 120

typedef struct _Job Job;
typedef gboolean (*JobFunc) (ConfabCache *self,
                             Job         *job,
                             GError     **error);

struct _Job
{
  JobFunc         func;
  GTask          *task;       /* NULL for the quit job */
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
  GObject       parent_instance;

  char         *path;
  char         *self_username;
  GThread      *thread;
  GAsyncQueue  *queue;
  /* Worker thread only. */
  sqlite3      *db;
  GHashTable   *statements;
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_SELF_USERNAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (ConfabCache, confab_cache, G_TYPE_OBJECT)

static const char schema_sql[] =
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
  "  created_ts INTEGER NOT NULL);";

static void
job_free (Job *job)
{
  g_free (job->conv);
  g_free (job->str1);
  g_free (job->str2);
  g_free (job->str3);
  g_clear_pointer (&job->object, json_object_unref);
  g_clear_pointer (&job->array, json_array_unref);
  if (job->out != NULL && job->out_free != NULL)
    job->out_free (job->out);
  g_free (job);
}

static gboolean
set_sqlite_error (ConfabCache  *self,
                  GError      **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cache database: %s",
               self->db != NULL ? sqlite3_errmsg (self->db) : "not open");
  return FALSE;
}

/* Statements are prepared once and kept, keyed by their (static) SQL text. */
static sqlite3_stmt *
prepare (ConfabCache  *self,
         const char   *sql,
         GError      **error)
{
  sqlite3_stmt *stmt;

  if (self->db == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "cache database is not open");
      return NULL;
    }

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }
  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (self, error);
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

static gboolean
exec (ConfabCache  *self,
      const char   *sql,
      GError      **error)
{
  char *msg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cache database: %s", msg);
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

static gboolean
step_done (ConfabCache   *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return set_sqlite_error (self, error);
  return TRUE;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static const char *
json_get_string (JsonObject *obj,
                 const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
json_get_int (JsonObject *obj,
              const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static char *
make_preview (ConfabCache *self,
              JsonObject  *msg)
{
  const char *body = json_get_string (msg, "body");
  JsonNode *deleted = json_object_get_member (msg, "deleted");
  JsonNode *call = json_object_get_member (msg, "call");
  GString *str;

  if (deleted != NULL && JSON_NODE_HOLDS_VALUE (deleted)
      && json_node_get_value_type (deleted) == G_TYPE_BOOLEAN && json_node_get_boolean (deleted))
    return g_strdup ("");
  /* A call has no body; the sidebar shows what the conversation shows ("Missed call"). */
  if (g_strcmp0 (json_get_string (msg, "kind"), "call") == 0)
    return confab_call_record_describe (call != NULL && JSON_NODE_HOLDS_OBJECT (call)
                                        ? json_node_get_object (call) : NULL,
                                        g_strcmp0 (json_get_string (msg, "from"),
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

static gboolean
raise_last_seq (ConfabCache  *self,
                gint64        seq,
                GError      **error)
{
  sqlite3_stmt *stmt;

  if (seq <= 0)
    return TRUE;
  stmt = prepare (self,
                  "INSERT INTO state (key, value) VALUES ('last_seq', ?1) "
                  "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  return step_done (self, stmt, error);
}

static gboolean
ensure_conversation (ConfabCache  *self,
                     const char   *conv,
                     GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "INSERT OR IGNORE INTO conversations (conv) VALUES (?1)",
                                error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, conv);
  return step_done (self, stmt, error);
}

static ConfabMessage *
message_from_row (sqlite3_stmt *stmt,
                  int           column)
{
  g_autoptr(JsonObject) obj = parse_object ((const char *) sqlite3_column_text (stmt, column));

  if (obj == NULL)
    return NULL;
  return confab_message_new_from_json (obj);
}

/* Worker thread ----------------------------------------------------------------------------- */

static gboolean
unref_task_cb (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
unref_on_context (GTask *task)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, unref_task_cb, task, NULL);
  g_source_set_static_name (source, "[confab-cache] unref task");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

static gpointer
worker_main (gpointer data)
{
  ConfabCache *self = data;

  for (;;)
    {
      Job *job = g_async_queue_pop (self->queue);
      g_autoptr(GError) error = NULL;
      GTask *task = job->task;

      if (job->func == NULL)
        {
          job_free (job);
          break;
        }

      if (g_task_return_error_if_cancelled (task))
        ;
      else if (job->func (self, job, &error))
        g_task_return_boolean (task, TRUE);
      else
        {
          if (self->db != NULL && !sqlite3_get_autocommit (self->db))
            sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
          g_task_return_error (task, g_steal_pointer (&error));
        }
      /* The task may hold the last reference to the cache: drop it on the task's own context,
       * never here, so the cache is never finalized on its worker thread. */
      unref_on_context (task);
    }

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    {
      sqlite3_close (self->db);
      self->db = NULL;
    }
  return NULL;
}

static Job *
job_new (JobFunc func)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  return job;
}

static void
submit (ConfabCache         *self,
        Job                 *job,
        gpointer             source_tag,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  job->task = task;
  g_async_queue_push (self->queue, job);
}

static Job *
finish_job (ConfabCache   *self,
            GAsyncResult  *result,
            gpointer       source_tag,
            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_task_get_task_data (G_TASK (result));
}

/* Jobs ------------------------------------------------------------------------------------- */

static gboolean
job_open (ConfabCache  *self,
          Job          *job,
          GError      **error)
{
  g_autofree char *dir = g_path_get_dirname (self->path);
  int rc;

  if (self->db != NULL)
    return TRUE;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot create %s: %s", dir, g_strerror (saved));
      return FALSE;
    }

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (self, error);
      sqlite3_close (self->db);
      self->db = NULL;
      return FALSE;
    }
  sqlite3_busy_timeout (self->db, 5000);
  if (!exec (self, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", error)
      || !exec (self, schema_sql, error))
    {
      sqlite3_close (self->db);
      self->db = NULL;
      return FALSE;
    }
  return TRUE;
}

static gboolean
job_close (ConfabCache  *self,
           Job          *job,
           GError      **error)
{
  g_hash_table_remove_all (self->statements);
  if (self->db != NULL)
    {
      sqlite3_close (self->db);
      self->db = NULL;
    }
  return TRUE;
}

static gboolean
job_get_last_seq (ConfabCache  *self,
                  Job          *job,
                  GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "SELECT value FROM state WHERE key = 'last_seq'", error);

  if (stmt == NULL)
    return FALSE;
  job->out_num = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
job_set_last_seq (ConfabCache  *self,
                  Job          *job,
                  GError      **error)
{
  return raise_last_seq (self, job->seq, error);
}

/* Inserts or updates one message; sets *is_new. Must run inside a transaction. */
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
  sqlite3_stmt *stmt;
  const char *conv = json_get_string (msg, "conv");
  const char *from = json_get_string (msg, "from");
  const char *client_msg_id = json_get_string (msg, "client_msg_id");
  gint64 id = json_get_int (msg, "id");
  gint64 ts = json_get_int (msg, "ts");
  gboolean own = g_strcmp0 (from, self->self_username) == 0;

  *is_new = FALSE;
  if (conv == NULL || from == NULL || id <= 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "incomplete message");
      return FALSE;
    }

  stmt = prepare (self, "SELECT json FROM messages WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    stored = parse_object ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);

  if (stored != NULL)
    {
      /* A replayed copy must not bring a deleted body back or drop known reactions. */
      JsonObject *merged = copy_object (msg);
      JsonNode *deleted = json_object_get_member (stored, "deleted");

      if (json_object_get_member (msg, "reactions") == NULL
          && json_object_get_member (stored, "reactions") != NULL)
        {
          json_object_set_member (merged, "reactions",
                                  json_node_copy (json_object_get_member (stored, "reactions")));
        }
      if (deleted != NULL && JSON_NODE_HOLDS_VALUE (deleted) && json_node_get_boolean (deleted))
        {
          json_object_set_boolean_member (merged, "deleted", TRUE);
          json_object_set_string_member (merged, "body", "");
        }
      json = confab_json_object_to_string (merged, NULL);
      json_object_unref (merged);
    }
  else
    json = confab_json_object_to_string (msg, NULL);

  stmt = prepare (self,
                  "INSERT INTO messages (id, conv, sender, ts, client_msg_id, json) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                  "ON CONFLICT (id) DO UPDATE SET json = excluded.json", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text (stmt, 2, conv);
  bind_text (stmt, 3, from);
  sqlite3_bind_int64 (stmt, 4, ts);
  bind_text (stmt, 5, client_msg_id);
  bind_text (stmt, 6, json);
  if (!step_done (self, stmt, error))
    return FALSE;
  *is_new = stored == NULL;

  if (own && client_msg_id != NULL)
    {
      stmt = prepare (self, "DELETE FROM outbox WHERE client_msg_id = ?1", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, client_msg_id);
      if (!step_done (self, stmt, error))
        return FALSE;
    }

  if (!ensure_conversation (self, conv, error))
    return FALSE;

  preview = make_preview (self, msg);
  stmt = prepare (self,
                  "UPDATE conversations SET last_msg_id = ?2, last_preview = ?3, last_ts = ?4 "
                  "WHERE conv = ?1 AND last_msg_id <= ?2", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, conv);
  sqlite3_bind_int64 (stmt, 2, id);
  bind_text (stmt, 3, preview);
  sqlite3_bind_int64 (stmt, 4, ts);
  if (!step_done (self, stmt, error))
    return FALSE;

  if (*is_new && count_unread)
    {
      if (own)
        stmt = prepare (self,
                        "UPDATE conversations SET last_read = max(last_read, ?2), unread = 0 "
                        "WHERE conv = ?1", error);
      else
        stmt = prepare (self,
                        "UPDATE conversations SET unread = unread + 1 "
                        "WHERE conv = ?1 AND last_read < ?2", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, conv);
      sqlite3_bind_int64 (stmt, 2, id);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
job_store_message (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  sqlite3_stmt *stmt;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!store_one_message (self, job->object, TRUE, &job->out_flag, error)
      || !raise_last_seq (self, job->seq, error))
    return FALSE;

  stmt = prepare (self, "SELECT json FROM messages WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, json_get_int (job->object, "id"));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    job->out = message_from_row (stmt, 0);
  job->out_free = g_object_unref;
  sqlite3_reset (stmt);

  return exec (self, "COMMIT", error);
}

static gboolean
job_store_history (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  guint n = 0;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (job->array); i++)
    {
      JsonNode *node = json_array_get_element (job->array, i);
      g_autoptr(GError) local_error = NULL;
      gboolean is_new;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      if (!store_one_message (self, json_node_get_object (node), FALSE, &is_new, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      n++;
    }
  job->out_num = n;
  return exec (self, "COMMIT", error);
}

static gboolean
rewrite_message_json (ConfabCache  *self,
                      gint64        msg_id,
                      JsonObject   *msg,
                      GError      **error)
{
  g_autofree char *json = confab_json_object_to_string (msg, NULL);
  sqlite3_stmt *stmt = prepare (self, "UPDATE messages SET json = ?2 WHERE id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, msg_id);
  bind_text (stmt, 2, json);
  return step_done (self, stmt, error);
}

static JsonObject *
load_message_json (ConfabCache  *self,
                   gint64        msg_id,
                   GError      **error)
{
  JsonObject *obj = NULL;
  sqlite3_stmt *stmt = prepare (self, "SELECT json FROM messages WHERE id = ?1", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, msg_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    obj = parse_object ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return obj;
}

static gboolean
job_delete_message (ConfabCache  *self,
                    Job          *job,
                    GError      **error)
{
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  obj = load_message_json (self, job->num1, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (obj != NULL)
    {
      sqlite3_stmt *stmt;

      json_object_set_boolean_member (obj, "deleted", TRUE);
      json_object_set_string_member (obj, "body", "");
      json_object_remove_member (obj, "reactions");
      json_object_remove_member (obj, "attachments");
      if (!rewrite_message_json (self, job->num1, obj, error))
        return FALSE;
      stmt = prepare (self,
                      "UPDATE conversations SET last_preview = '' "
                      "WHERE conv = ?1 AND last_msg_id = ?2", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, json_get_string (obj, "conv"));
      sqlite3_bind_int64 (stmt, 2, job->num1);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  if (!raise_last_seq (self, job->seq, error))
    return FALSE;
  return exec (self, "COMMIT", error);
}

static gboolean
job_set_reaction (ConfabCache  *self,
                  Job          *job,
                  GError      **error)
{
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  obj = load_message_json (self, job->num1, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (obj != NULL)
    {
      g_autoptr(ConfabMessage) msg = confab_message_new_from_json (obj);

      if (msg != NULL)
        {
          confab_message_set_reaction (msg, job->str2, job->str1, job->flag);
          json_object_set_object_member (obj, "reactions",
                                         confab_message_dup_reactions_json (msg));
          if (!rewrite_message_json (self, job->num1, obj, error))
            return FALSE;
        }
    }
  if (!raise_last_seq (self, job->seq, error))
    return FALSE;
  return exec (self, "COMMIT", error);
}

static gboolean
job_set_read (ConfabCache  *self,
              Job          *job,
              GError      **error)
{
  sqlite3_stmt *stmt;

  if (!exec (self, "BEGIN IMMEDIATE", error) || !ensure_conversation (self, job->conv, error))
    return FALSE;

  if (g_strcmp0 (job->str1, self->self_username) == 0)
    {
      stmt = prepare (self,
                      "UPDATE conversations SET last_read = ?2, unread = "
                      "(SELECT count(*) FROM messages WHERE conv = ?1 AND id > ?2 AND sender <> ?3)"
                      " WHERE conv = ?1 AND last_read < ?2", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 3, self->self_username);
    }
  else
    stmt = prepare (self,
                    "UPDATE conversations SET peer_read = max(peer_read, ?2) WHERE conv = ?1",
                    error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->conv);
  sqlite3_bind_int64 (stmt, 2, job->num1);
  if (!step_done (self, stmt, error) || !raise_last_seq (self, job->seq, error))
    return FALSE;
  return exec (self, "COMMIT", error);
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
    stmt = prepare (self,
                    "SELECT json FROM messages WHERE conv = ?1 AND id < ?2 AND id > ?3 "
                    "ORDER BY id ASC LIMIT ?4", error);
  else
    stmt = prepare (self,
                    "SELECT json FROM messages WHERE conv = ?1 AND id < ?2 AND id > ?3 "
                    "ORDER BY id DESC LIMIT ?4", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->conv);
  sqlite3_bind_int64 (stmt, 2, job->num1 > 0 ? job->num1 : G_MAXINT64);
  sqlite3_bind_int64 (stmt, 3, job->num2);
  sqlite3_bind_int64 (stmt, 4, job->limit);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      ConfabMessage *msg = message_from_row (stmt, 0);

      if (msg != NULL)
        g_ptr_array_add (messages, msg);
    }
  sqlite3_reset (stmt);

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
  sqlite3_stmt *stmt = prepare (self, "SELECT count(*) FROM messages WHERE conv = ?1", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->conv);
  job->out_num = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
job_store_conversations (ConfabCache  *self,
                         Job          *job,
                         GError      **error)
{
  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (job->array); i++)
    {
      JsonNode *node = json_array_get_element (job->array, i);
      JsonObject *obj, *last_msg = NULL, *room = NULL;
      JsonNode *member;
      const char *conv, *title;
      sqlite3_stmt *stmt;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      obj = json_node_get_object (node);
      conv = json_get_string (obj, "conv");
      if (conv == NULL)
        continue;
      title = json_get_string (obj, "title");
      member = json_object_get_member (obj, "room");
      if (title == NULL && member != NULL && JSON_NODE_HOLDS_OBJECT (member))
        {
          room = json_node_get_object (member);
          title = json_get_string (room, "name");
        }
      member = json_object_get_member (obj, "last_msg");
      if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
        last_msg = json_node_get_object (member);

      if (!ensure_conversation (self, conv, error))
        return FALSE;
      /* A read sent since the server made this list is newer than its unread count. */
      stmt = prepare (self,
                      "UPDATE conversations SET title = ?2, "
                      "unread = CASE WHEN last_read > ?4 THEN (SELECT count(*) FROM messages m "
                      "  WHERE m.conv = ?1 AND m.id > conversations.last_read AND m.sender <> ?5)"
                      " ELSE ?3 END, "
                      "last_read = max(last_read, ?4) WHERE conv = ?1", error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, conv);
      bind_text (stmt, 5, self->self_username);
      bind_text (stmt, 2, title);
      sqlite3_bind_int64 (stmt, 3, MAX (json_get_int (obj, "unread"), 0));
      sqlite3_bind_int64 (stmt, 4, json_get_int (obj, "last_read"));
      if (!step_done (self, stmt, error))
        return FALSE;

      if (last_msg != NULL && json_get_int (last_msg, "id") > 0)
        {
          gboolean is_new;
          g_autoptr(GError) local_error = NULL;

          if (!store_one_message (self, last_msg, FALSE, &is_new, &local_error)
              && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
        }
    }
  return exec (self, "COMMIT", error);
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

  stmt = prepare (self,
                  "SELECT conv, title, last_msg_id, last_preview, last_ts, unread, last_read, "
                  "peer_read, muted FROM conversations WHERE ?1 IS NULL OR conv = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->conv);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      ConfabConversation *conv =
        confab_conversation_new ((const char *) sqlite3_column_text (stmt, 0),
                                 self->self_username);

      if (conv == NULL)
        continue;
      confab_conversation_set_title (conv, (const char *) sqlite3_column_text (stmt, 1));
      confab_conversation_set_last_message (conv, sqlite3_column_int64 (stmt, 2),
                                            (const char *) sqlite3_column_text (stmt, 3),
                                            sqlite3_column_int64 (stmt, 4));
      confab_conversation_set_unread (conv, (guint) sqlite3_column_int64 (stmt, 5));
      confab_conversation_set_last_read (conv, sqlite3_column_int64 (stmt, 6));
      confab_conversation_set_peer_read (conv, sqlite3_column_int64 (stmt, 7));
      confab_conversation_set_muted (conv, sqlite3_column_int (stmt, 8) != 0);
      g_ptr_array_add (convs, conv);
    }
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
job_set_muted (ConfabCache  *self,
               Job          *job,
               GError      **error)
{
  sqlite3_stmt *stmt;

  if (!ensure_conversation (self, job->conv, error))
    return FALSE;
  stmt = prepare (self, "UPDATE conversations SET muted = ?2 WHERE conv = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->conv);
  sqlite3_bind_int (stmt, 2, job->flag ? 1 : 0);
  return step_done (self, stmt, error);
}

static gboolean
job_store_user (ConfabCache  *self,
                Job          *job,
                GError      **error)
{
  g_autofree char *json = NULL;
  const char *username = json_get_string (job->object, "username");
  sqlite3_stmt *stmt;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (username != NULL)
    {
      json = confab_json_object_to_string (job->object, NULL);
      stmt = prepare (self, "INSERT OR REPLACE INTO users (username, json) VALUES (?1, ?2)",
                      error);
      if (stmt == NULL)
        return FALSE;
      bind_text (stmt, 1, username);
      bind_text (stmt, 2, json);
      if (!step_done (self, stmt, error))
        return FALSE;
    }
  if (!raise_last_seq (self, job->seq, error))
    return FALSE;
  return exec (self, "COMMIT", error);
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
  stmt = prepare (self, "SELECT json FROM users", error);
  if (stmt == NULL)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *obj = parse_object ((const char *) sqlite3_column_text (stmt, 0));

      if (obj != NULL)
        g_ptr_array_add (users, obj);
    }
  sqlite3_reset (stmt);
  return TRUE;
}

static ConfabMessage *
outbox_row_to_message (ConfabCache  *self,
                       sqlite3_stmt *stmt)
{
  ConfabMessage *msg;

  msg = confab_message_new_pending ((const char *) sqlite3_column_text (stmt, 0),
                                    self->self_username,
                                    (const char *) sqlite3_column_text (stmt, 1),
                                    (const char *) sqlite3_column_text (stmt, 2),
                                    (const char *) sqlite3_column_text (stmt, 3),
                                    sqlite3_column_int64 (stmt, 4),
                                    sqlite3_column_int64 (stmt, 6));
  confab_message_set_state (msg, (ConfabMessageState) sqlite3_column_int (stmt, 5));
  return msg;
}

static gboolean
job_outbox_add (ConfabCache  *self,
                Job          *job,
                GError      **error)
{
  sqlite3_stmt *stmt;
  gint64 now = g_get_real_time () / 1000;

  stmt = prepare (self,
                  "INSERT INTO outbox (conv, client_msg_id, body, format, reply_to, state, "
                  "created_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->conv);
  bind_text (stmt, 2, job->str1);
  bind_text (stmt, 3, job->str2);
  bind_text (stmt, 4, job->str3 != NULL ? job->str3 : "plain");
  sqlite3_bind_int64 (stmt, 5, job->num1);
  sqlite3_bind_int (stmt, 6, CONFAB_MESSAGE_STATE_SENDING);
  sqlite3_bind_int64 (stmt, 7, now);
  if (!step_done (self, stmt, error))
    return FALSE;

  job->out = confab_message_new_pending (job->conv, self->self_username, job->str1, job->str2,
                                         job->str3, job->num1, now);
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
  stmt = prepare (self,
                  "SELECT conv, client_msg_id, body, format, reply_to, state, created_ts "
                  "FROM outbox WHERE ?1 IS NULL OR conv = ?1 ORDER BY local_id", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->conv);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (messages, outbox_row_to_message (self, stmt));
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
job_outbox_set_state (ConfabCache  *self,
                      Job          *job,
                      GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "UPDATE outbox SET state = ?2 WHERE client_msg_id = ?1",
                                error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->str1);
  sqlite3_bind_int (stmt, 2, (int) job->num1);
  return step_done (self, stmt, error);
}

static gboolean
job_outbox_remove (ConfabCache  *self,
                   Job          *job,
                   GError      **error)
{
  sqlite3_stmt *stmt = prepare (self, "DELETE FROM outbox WHERE client_msg_id = ?1", error);

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, job->str1);
  return step_done (self, stmt, error);
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
confab_cache_constructed (GObject *object)
{
  ConfabCache *self = CONFAB_CACHE (object);

  G_OBJECT_CLASS (confab_cache_parent_class)->constructed (object);

  self->thread = g_thread_new ("confab-cache", worker_main, self);
}

static void
confab_cache_finalize (GObject *object)
{
  ConfabCache *self = CONFAB_CACHE (object);

  /* Every task holds a reference, so the queue is empty here; the quit job ends the thread. */
  g_async_queue_push (self->queue, job_new (NULL));
  g_thread_join (self->thread);
  g_async_queue_unref (self->queue);
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
  object_class->constructed = confab_cache_constructed;
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
  self->queue = g_async_queue_new ();
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                            (GDestroyNotify) sqlite3_finalize);
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
  g_return_if_fail (CONFAB_IS_CACHE (self));
  submit (self, job_new (job_open), confab_cache_open_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (open)

void
confab_cache_close_async (ConfabCache         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CACHE (self));
  submit (self, job_new (job_close), confab_cache_close_async, cancellable, callback, user_data);
}

SIMPLE_FINISH (close)

void
confab_cache_get_last_seq_async (ConfabCache         *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_CACHE (self));
  submit (self, job_new (job_get_last_seq), confab_cache_get_last_seq_async, cancellable,
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
  Job *job = job_new (job_load_messages);

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
  Job *job = job_new (job_load_messages);

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
  Job *job = job_new (job_count_messages);

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
  submit (self, job_new (job_load_conversations), confab_cache_load_conversations_async,
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
  Job *job = job_new (job_load_conversations);

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
  submit (self, job_new (job_load_users), confab_cache_load_users_async, cancellable,
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
confab_cache_outbox_add_async (ConfabCache         *self,
                               const char          *conv,
                               const char          *client_msg_id,
                               const char          *body,
                               const char          *format,
                               gint64               reply_to,
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
  Job *job = job_new (job_outbox_list);

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
