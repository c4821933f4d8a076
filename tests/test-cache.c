/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-cache.h"
#include "confab-conversation.h"
#include "confab-engine-test-util.h"
#include "confab-message-list-private.h"
#include "confab-message-list.h"
#include "confab-message.h"

#include <sqlite3.h>
#include <string.h>

/* Synchronous wrappers: each runs the main loop until its result is in. */

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)

static ConfabCache *
open_cache (const char *path)
{
  ConfabCache *cache = confab_cache_new (path, "alice");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  confab_cache_open_async (cache, NULL, engine_test_async_cb, &result);
  g_assert_true (confab_cache_open_finish (cache, WAIT (result), &error));
  g_assert_no_error (error);
  return cache;
}

static void
close_cache (ConfabCache *cache)
{
  g_autoptr(GAsyncResult) result = NULL;

  confab_cache_close_async (cache, NULL, engine_test_async_cb, &result);
  g_assert_true (confab_cache_close_finish (cache, WAIT (result), NULL));
  g_object_unref (cache);
}

static JsonObject *
make_message (gint64      id,
              const char *conv,
              const char *from,
              const char *body,
              const char *client_msg_id)
{
  JsonObject *msg = json_object_new ();

  json_object_set_int_member (msg, "id", id);
  json_object_set_string_member (msg, "conv", conv);
  json_object_set_string_member (msg, "from", from);
  json_object_set_int_member (msg, "ts", 1700000000000 + id);
  json_object_set_string_member (msg, "client_msg_id",
                                 client_msg_id != NULL ? client_msg_id : "x");
  json_object_set_string_member (msg, "kind", "text");
  json_object_set_string_member (msg, "body", body);
  json_object_set_string_member (msg, "format", "plain");
  return msg;
}

static ConfabMessage *
store (ConfabCache *cache,
       JsonObject  *msg,
       gint64       seq,
       gboolean    *is_new)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabMessage *stored;

  confab_cache_store_message_async (cache, msg, seq, NULL, engine_test_async_cb, &result);
  stored = confab_cache_store_message_finish (cache, WAIT (result), is_new, &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);
  return stored;
}

static GPtrArray *
load (ConfabCache *cache,
      const char  *conv,
      gint64       before,
      gint64       after,
      guint        limit)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *page;

  confab_cache_load_messages_async (cache, conv, before, after, limit, NULL,
                                    engine_test_async_cb, &result);
  page = confab_cache_load_messages_finish (cache, WAIT (result), &error);
  g_assert_no_error (error);
  return page;
}

static ConfabConversation *
load_conversation (ConfabCache *cache,
                   const char  *conv)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabConversation *item;

  confab_cache_load_conversation_async (cache, conv, NULL, engine_test_async_cb, &result);
  item = confab_cache_load_conversation_finish (cache, WAIT (result), &error);
  g_assert_no_error (error);
  return item;
}

static gint64
last_seq (ConfabCache *cache)
{
  g_autoptr(GAsyncResult) result = NULL;

  confab_cache_get_last_seq_async (cache, NULL, engine_test_async_cb, &result);
  return confab_cache_get_last_seq_finish (cache, WAIT (result), NULL);
}

static char *
new_path (void)
{
  g_autofree char *dir = engine_test_new_dir ("cache");

  return g_build_filename (dir, "account", "cache.sqlite", NULL);
}

static void
assert_ids (GPtrArray *page,
            gint64     first,
            gint64     last)
{
  g_assert_cmpuint (page->len, ==, last - first + 1);
  for (guint i = 0; i < page->len; i++)
    g_assert_cmpint (confab_message_get_id (g_ptr_array_index (page, i)), ==, first + i);
}

/* 100 000 messages in one conversation (and some in another): windows come back by id, from the
 * index, without reading the conversation. */
static void
test_paging (void)
{
  g_autofree char *path = new_path ();
  ConfabCache *cache = open_cache (path);
  g_autoptr(GPtrArray) newest = NULL;
  g_autoptr(GPtrArray) older = NULL;
  g_autoptr(GPtrArray) middle = NULL;
  g_autoptr(GPtrArray) oldest = NULL;
  g_autoptr(GPtrArray) other = NULL;
  g_autoptr(GAsyncResult) count_result = NULL;
  sqlite3 *db;
  sqlite3_stmt *stmt;
  GString *plan = g_string_new (NULL);
  const guint total = 100000, batch = 5000;

  for (guint start = 1; start <= total; start += batch)
    {
      g_autoptr(JsonArray) messages = json_array_new ();
      g_autoptr(GAsyncResult) result = NULL;

      for (guint id = start; id < start + batch; id++)
        {
          /* Every 10th id belongs to another conversation, interleaved as on a server. */
          const char *conv = id % 10 == 0 ? "dm:alice:carol" : "dm:alice:bob";

          json_array_add_object_element (messages, make_message (id, conv, "bob", "hi", NULL));
        }
      confab_cache_store_history_async (cache, messages, NULL, engine_test_async_cb, &result);
      g_assert_cmpuint (confab_cache_store_history_finish (cache, WAIT (result), NULL), ==,
                        batch);
    }

  confab_cache_count_messages_async (cache, "dm:alice:bob", NULL, engine_test_async_cb,
                                     &count_result);
  g_assert_cmpint (confab_cache_count_messages_finish (cache, WAIT (count_result), NULL), ==,
                   total - total / 10);

  /* The newest page, ascending. */
  newest = load (cache, "dm:alice:bob", 0, 0, 9);
  g_assert_cmpuint (newest->len, ==, 9);
  assert_ids (newest, 99991, 99999);

  /* The page before it (99990 is carol's). */
  older = load (cache, "dm:alice:bob", 99991, 0, 9);
  assert_ids (older, 99981, 99989);

  /* A window in the middle, bounded on both sides. */
  middle = load (cache, "dm:alice:bob", 50005, 49995, 100);
  g_assert_cmpuint (middle->len, ==, 8);
  g_assert_cmpint (confab_message_get_id (g_ptr_array_index (middle, 0)), ==, 49996);

  /* The start of the conversation. */
  oldest = load (cache, "dm:alice:bob", 5, 0, 50);
  assert_ids (oldest, 1, 4);

  other = load (cache, "dm:alice:carol", 0, 0, 3);
  g_assert_cmpint (confab_message_get_id (g_ptr_array_index (other, 2)), ==, 100000);
  g_assert_cmpstr (confab_message_get_conv (g_ptr_array_index (other, 0)), ==,
                   "dm:alice:carol");

  /* The query walks the (conv, id) index. */
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN SELECT json FROM messages "
                                       "WHERE conv = ?1 AND id < ?2 AND id > ?3 "
                                       "ORDER BY id DESC LIMIT ?4", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_test_message ("plan: %s", plan->str);
  g_assert_nonnull (strstr (plan->str, "messages_conv_id"));
  g_assert_null (strstr (plan->str, "TEMP B-TREE"));
  g_string_free (plan, TRUE);

  close_cache (cache);
}

static GPtrArray *
outbox (ConfabCache *cache,
        const char  *conv)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *list;

  confab_cache_outbox_list_async (cache, conv, NULL, engine_test_async_cb, &result);
  list = confab_cache_outbox_list_finish (cache, WAIT (result), &error);
  g_assert_no_error (error);
  return list;
}

static void
test_outbox (void)
{
  g_autofree char *path = new_path ();
  ConfabCache *cache = open_cache (path);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) bob = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(JsonObject) echo = NULL;
  g_autoptr(ConfabMessage) stored = NULL;
  g_autoptr(GAsyncResult) fail_result = NULL;
  g_autoptr(GAsyncResult) dup_result = NULL;
  g_autoptr(GError) error = NULL;
  static const char * const convs[] = {
    "dm:alice:bob", "dm:alice:carol", "dm:alice:bob", "room:abcdef", "dm:alice:bob",
  };

  for (guint i = 0; i < G_N_ELEMENTS (convs); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(ConfabMessage) msg = NULL;
      g_autofree char *client_id = g_strdup_printf ("cid-%u", i);
      g_autofree char *body = g_strdup_printf ("message %u", i);

      confab_cache_outbox_add_async (cache, convs[i], client_id, body, "plain", 0, NULL, NULL,
                                     engine_test_async_cb, &result);
      msg = confab_cache_outbox_add_finish (cache, WAIT (result), &error);
      g_assert_no_error (error);
      g_assert_cmpint (confab_message_get_state (msg), ==, CONFAB_MESSAGE_STATE_SENDING);
      g_assert_cmpint (confab_message_get_id (msg), ==, 0);
    }

  /* The same client_msg_id twice is refused: a message is queued once. */
  confab_cache_outbox_add_async (cache, "dm:alice:bob", "cid-0", "again", "plain", 0, NULL,
                                 NULL, engine_test_async_cb, &dup_result);
  g_assert_null (confab_cache_outbox_add_finish (cache, WAIT (dup_result), &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  all = outbox (cache, NULL);
  g_assert_cmpuint (all->len, ==, 5);
  for (guint i = 0; i < all->len; i++)
    {
      g_autofree char *client_id = g_strdup_printf ("cid-%u", i);

      g_assert_cmpstr (confab_message_get_client_msg_id (g_ptr_array_index (all, i)), ==,
                       client_id);
    }
  bob = outbox (cache, "dm:alice:bob");
  g_assert_cmpuint (bob->len, ==, 3);
  g_assert_cmpstr (confab_message_get_body (g_ptr_array_index (bob, 1)), ==, "message 2");

  /* The server's copy of cid-2 arrives: it leaves the outbox in the same transaction. */
  echo = make_message (77, "dm:alice:bob", "alice", "message 2", "cid-2");
  stored = store (cache, echo, 0, NULL);
  g_assert_cmpint (confab_message_get_state (stored), ==, CONFAB_MESSAGE_STATE_SENT);

  /* Someone else's message with the same client_msg_id does not touch our outbox. */
  {
    g_autoptr(JsonObject) theirs = make_message (78, "dm:alice:bob", "bob", "hey", "cid-4");
    g_autoptr(ConfabMessage) m G_GNUC_UNUSED = store (cache, theirs, 0, NULL);
  }

  confab_cache_outbox_set_state_async (cache, "cid-3", CONFAB_MESSAGE_STATE_FAILED, NULL,
                                       engine_test_async_cb, &fail_result);
  g_assert_true (confab_cache_outbox_set_state_finish (cache, WAIT (fail_result), NULL));

  /* Everything survives a restart, in order. */
  close_cache (cache);
  cache = open_cache (path);
  after = outbox (cache, NULL);
  g_assert_cmpuint (after->len, ==, 4);
  g_assert_cmpstr (confab_message_get_client_msg_id (g_ptr_array_index (after, 0)), ==, "cid-0");
  g_assert_cmpstr (confab_message_get_client_msg_id (g_ptr_array_index (after, 1)), ==, "cid-1");
  g_assert_cmpstr (confab_message_get_client_msg_id (g_ptr_array_index (after, 2)), ==, "cid-3");
  g_assert_cmpint (confab_message_get_state (g_ptr_array_index (after, 2)), ==,
                   CONFAB_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (confab_message_get_client_msg_id (g_ptr_array_index (after, 3)), ==, "cid-4");
  close_cache (cache);
}

static void
test_duplicates (void)
{
  g_autofree char *path = new_path ();
  ConfabCache *cache = open_cache (path);
  g_autoptr(JsonObject) msg = make_message (5, "dm:alice:bob", "bob", "first", "c5");
  g_autoptr(JsonObject) edited = make_message (5, "dm:alice:bob", "bob", "first, edited", "c5");
  g_autoptr(ConfabConversation) conv = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GAsyncResult) del_result = NULL;
  gboolean is_new = FALSE;

  g_clear_object (&(ConfabMessage *) { store (cache, msg, 1, &is_new) });
  g_assert_true (is_new);
  /* The same message again (a replay, or a second path): not new, not counted twice. */
  g_clear_object (&(ConfabMessage *) { store (cache, msg, 2, &is_new) });
  g_assert_false (is_new);

  conv = load_conversation (cache, "dm:alice:bob");
  g_assert_nonnull (conv);
  g_assert_cmpuint (confab_conversation_get_unread (conv), ==, 1);
  g_assert_cmpstr (confab_conversation_get_peer (conv), ==, "bob");
  g_clear_object (&conv);

  page = load (cache, "dm:alice:bob", 0, 0, 50);
  g_assert_cmpuint (page->len, ==, 1);
  g_clear_pointer (&page, g_ptr_array_unref);

  /* An edit replaces the body; a deletion sticks even when an old copy is replayed. */
  json_object_set_int_member (edited, "edited_ts", 1700000009999);
  g_clear_object (&(ConfabMessage *) { store (cache, edited, 3, &is_new) });
  g_assert_false (is_new);
  confab_cache_delete_message_async (cache, 5, 4, NULL, engine_test_async_cb, &del_result);
  g_assert_true (confab_cache_delete_message_finish (cache, WAIT (del_result), NULL));
  g_clear_object (&(ConfabMessage *) { store (cache, msg, 0, &is_new) });

  page = load (cache, "dm:alice:bob", 0, 0, 50);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_true (confab_message_get_deleted (g_ptr_array_index (page, 0)));
  g_assert_cmpstr (confab_message_get_body (g_ptr_array_index (page, 0)), ==, "");
  g_assert_cmpint (last_seq (cache), ==, 4);

  close_cache (cache);
}

static void
test_last_seq (void)
{
  g_autofree char *path = new_path ();
  ConfabCache *cache = open_cache (path);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;

  g_assert_cmpint (last_seq (cache), ==, 0);
  confab_cache_set_last_seq_async (cache, 50, NULL, engine_test_async_cb, &r1);
  g_assert_true (confab_cache_set_last_seq_finish (cache, WAIT (r1), NULL));
  /* Never lowered. */
  confab_cache_set_last_seq_async (cache, 7, NULL, engine_test_async_cb, &r2);
  g_assert_true (confab_cache_set_last_seq_finish (cache, WAIT (r2), NULL));
  g_assert_cmpint (last_seq (cache), ==, 50);
  close_cache (cache);

  cache = open_cache (path);
  g_assert_cmpint (last_seq (cache), ==, 50);
  close_cache (cache);
}

static void
test_read_and_reactions (void)
{
  g_autofree char *path = new_path ();
  ConfabCache *cache = open_cache (path);
  g_autoptr(ConfabConversation) conv = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GAsyncResult) r4 = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_auto(GStrv) users = NULL;

  for (gint64 id = 1; id <= 3; id++)
    {
      g_autoptr(JsonObject) msg = make_message (id, "room:abcdef", "bob", "hello", NULL);

      g_clear_object (&(ConfabMessage *) { store (cache, msg, id, NULL) });
    }
  conv = load_conversation (cache, "room:abcdef");
  g_assert_cmpuint (confab_conversation_get_unread (conv), ==, 3);
  g_assert_cmpint (confab_conversation_get_last_message_id (conv), ==, 3);
  g_clear_object (&conv);

  /* Read on another of our devices up to 2; bob read everything. */
  confab_cache_set_read_async (cache, "room:abcdef", "alice", 2, 4, NULL, engine_test_async_cb,
                               &r1);
  g_assert_true (confab_cache_set_read_finish (cache, WAIT (r1), NULL));
  confab_cache_set_read_async (cache, "room:abcdef", "bob", 3, 5, NULL, engine_test_async_cb,
                               &r2);
  g_assert_true (confab_cache_set_read_finish (cache, WAIT (r2), NULL));
  conv = load_conversation (cache, "room:abcdef");
  g_assert_cmpuint (confab_conversation_get_unread (conv), ==, 1);
  g_assert_cmpint (confab_conversation_get_last_read (conv), ==, 2);
  g_assert_cmpint (confab_conversation_get_peer_read (conv), ==, 3);

  confab_cache_set_reaction_async (cache, 2, "bob", "👍", TRUE, 6, NULL, engine_test_async_cb,
                                   &r3);
  g_assert_true (confab_cache_set_reaction_finish (cache, WAIT (r3), NULL));
  confab_cache_set_reaction_async (cache, 2, "carol", "👍", TRUE, 7, NULL,
                                   engine_test_async_cb, &r4);
  g_assert_true (confab_cache_set_reaction_finish (cache, WAIT (r4), NULL));
  page = load (cache, "room:abcdef", 3, 1, 10);
  g_assert_cmpuint (page->len, ==, 1);
  users = confab_message_dup_reaction_users (g_ptr_array_index (page, 0), "👍");
  g_assert_cmpuint (g_strv_length (users), ==, 2);
  g_assert_cmpint (last_seq (cache), ==, 7);

  close_cache (cache);
}

static guint
load_older (ConfabMessageList *list,
            guint              count)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint n;

  confab_message_list_load_older_async (list, count, NULL, engine_test_async_cb, &result);
  n = confab_message_list_load_older_finish (list, WAIT (result), &error);
  g_assert_no_error (error);
  return n;
}

/* Stores messages 1..@last of dm:alice:bob in the cache, alternating senders. */
static void
store_dm_history (ConfabCache *cache,
                  gint64       last)
{
  g_autoptr(JsonArray) messages = json_array_new ();
  g_autoptr(GAsyncResult) stored = NULL;

  for (gint64 id = 1; id <= last; id++)
    json_array_add_object_element (messages, make_message (id, "dm:alice:bob",
                                                           id % 2 ? "bob" : "alice", "m", NULL));
  confab_cache_store_history_async (cache, messages, NULL, engine_test_async_cb, &stored);
  g_assert_cmpuint (confab_cache_store_history_finish (cache, WAIT (stored), NULL), ==, last);
}

static guint items_changed_calls;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added)
{
  items_changed_calls++;
}

/* The message model holds a window that grows upwards page by page; an own message shows as
 * pending and becomes the server's copy in place, never twice. */
static void
test_message_list (void)
{
  g_autofree char *path = new_path ();
  ConfabCache *cache = open_cache (path);
  g_autoptr(ConfabMessageList) list = NULL;
  g_autoptr(GAsyncResult) added = NULL;
  g_autoptr(ConfabMessage) pending = NULL;
  g_autoptr(ConfabMessage) first = NULL;
  g_autoptr(JsonObject) echo = NULL;
  g_autoptr(JsonObject) live = NULL;

  store_dm_history (cache, 1000);

  list = confab_message_list_new (cache, "dm:alice:bob", "alice");
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);

  g_assert_cmpuint (load_older (list, 100), ==, 100);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 100);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpint (confab_message_get_id (first), ==, 901);
  g_clear_object (&first);

  g_assert_cmpuint (load_older (list, 100), ==, 100);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpint (confab_message_get_id (first), ==, 801);
  g_assert_nonnull (confab_message_list_lookup (list, 900));
  g_assert_null (confab_message_list_lookup (list, 800));
  /* One items-changed per page. */
  g_assert_cmpuint (items_changed_calls, ==, 2);

  /* Written offline: pending at the end. */
  confab_cache_outbox_add_async (cache, "dm:alice:bob", "cid-x", "new one", "plain", 0, NULL,
                                 NULL, engine_test_async_cb, &added);
  pending = confab_cache_outbox_add_finish (cache, WAIT (added), NULL);
  confab_message_list_add_pending (list, pending);
  confab_message_list_add_pending (list, pending);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 201);

  /* Someone else's message arrives first; then the server's copy of ours. */
  live = make_message (1001, "dm:alice:bob", "bob", "hi", NULL);
  confab_message_list_add_json (list, live);
  echo = make_message (1002, "dm:alice:bob", "alice", "new one", "cid-x");
  confab_message_list_add_json (list, echo);
  confab_message_list_add_json (list, echo);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 202);
  g_assert_cmpint (confab_message_get_id (pending), ==, 1002);
  g_assert_cmpint (confab_message_get_state (pending), ==, CONFAB_MESSAGE_STATE_SENT);
  g_assert_true (confab_message_list_lookup (list, 1002) == pending);
  g_assert_null (confab_message_list_lookup_pending (list, "cid-x"));

  /* Receipts: bob read up to 1002. */
  confab_message_list_set_peer_read (list, 1002);
  g_assert_cmpint (confab_message_get_state (pending), ==, CONFAB_MESSAGE_STATE_READ);
  g_assert_cmpint (confab_message_get_state (confab_message_list_lookup (list, 1001)), ==,
                   CONFAB_MESSAGE_STATE_SENT);

  g_clear_object (&list);
  close_cache (cache);
}

static guint
load_newer (ConfabMessageList *list)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint n;

  confab_message_list_load_newer_async (list, 0, NULL, engine_test_async_cb, &result);
  n = confab_message_list_load_newer_finish (list, WAIT (result), &error);
  g_assert_no_error (error);
  return n;
}

/* The stored messages form one run of ids, ascending, with no gap; returns the first. */
static gint64
assert_contiguous (ConfabMessageList *list)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));
  g_autoptr(ConfabMessage) first = g_list_model_get_item (G_LIST_MODEL (list), 0);

  for (guint i = 1; i < n; i++)
    {
      g_autoptr(ConfabMessage) msg = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_cmpint (confab_message_get_id (msg), ==, confab_message_get_id (first) + i);
    }
  return confab_message_get_id (first);
}

static gboolean
has_newer_is_false (gpointer user_data)
{
  ConfabMessageList *list = user_data;

  return !confab_message_list_get_has_newer (list) && !confab_message_list_get_loading (list);
}

/* A scroll through a history longer than the window: memory stays bounded, what was dropped
 * is read back in order from the cache, and the way to the end is one reload. */
static void
test_message_window (void)
{
  const gint64 total = 2 * CONFAB_MESSAGE_LIST_WINDOW + 1000;
  const guint page = 50;
  g_autofree char *path = new_path ();
  ConfabCache *cache = open_cache (path);
  g_autoptr(ConfabMessageList) list = NULL;
  guint n;
  gint64 first;

  store_dm_history (cache, total);

  list = confab_message_list_new (cache, "dm:alice:bob", "alice");
  g_assert_cmpuint (load_older (list, CONFAB_MESSAGE_LIST_FIRST_PAGE), ==,
                    CONFAB_MESSAGE_LIST_FIRST_PAGE);

  /* Up to the oldest, a page at a time: never more than the window, never a gap. */
  for (gint64 loaded = CONFAB_MESSAGE_LIST_FIRST_PAGE; loaded < total; loaded += page)
    {
      guint want = (guint) MIN (page, total - loaded);

      g_assert_cmpuint (load_older (list, want), ==, want);
      n = g_list_model_get_n_items (G_LIST_MODEL (list));
      g_assert_cmpuint (n, ==, MIN (loaded + want, CONFAB_MESSAGE_LIST_WINDOW));
      first = assert_contiguous (list);
      g_assert_cmpint (first, ==, total - loaded - want + 1);
    }
  g_assert_cmpint (assert_contiguous (list), ==, 1);
  g_assert_true (confab_message_list_get_has_newer (list));
  g_assert_nonnull (confab_message_list_lookup (list, 1));
  g_assert_null (confab_message_list_lookup (list, total));

  /* Down again: the newer pages come back from the cache, and the oldest go. */
  while (confab_message_list_get_has_newer (list))
    {
      /* A full last page leaves has-newer set; the empty page after it clears it. */
      if (load_newer (list) == 0)
        g_assert_false (confab_message_list_get_has_newer (list));
      n = g_list_model_get_n_items (G_LIST_MODEL (list));
      g_assert_cmpuint (n, <=, CONFAB_MESSAGE_LIST_WINDOW);
      assert_contiguous (list);
    }
  first = assert_contiguous (list);
  g_assert_cmpint (first + g_list_model_get_n_items (G_LIST_MODEL (list)) - 1, ==, total);
  g_assert_true (confab_message_list_get_has_more (list));
  g_assert_null (confab_message_list_lookup (list, 1));

  /* Halfway up again, then straight to the end: the newest page alone. */
  for (guint i = 0; i < CONFAB_MESSAGE_LIST_WINDOW / page + 4; i++)
    load_older (list, page);
  g_assert_true (confab_message_list_get_has_newer (list));
  confab_message_list_reload_newest (list);
  g_assert_true (engine_test_wait (has_newer_is_false, list, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==,
                    CONFAB_MESSAGE_LIST_FIRST_PAGE);
  g_assert_cmpint (assert_contiguous (list), ==, total - CONFAB_MESSAGE_LIST_FIRST_PAGE + 1);

  g_clear_object (&list);
  close_cache (cache);
}

/* A cache as Confab made them before the schema had versions (user_version 0). */
static const char unversioned_cache_sql[] =
  "PRAGMA journal_mode = WAL;"
  "CREATE TABLE state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
  "CREATE TABLE messages (id INTEGER PRIMARY KEY, conv TEXT NOT NULL, sender TEXT NOT NULL,"
  "  ts INTEGER NOT NULL, client_msg_id TEXT, json TEXT NOT NULL);"
  "CREATE INDEX messages_conv_id ON messages (conv, id);"
  "CREATE TABLE conversations (conv TEXT PRIMARY KEY, title TEXT,"
  "  last_msg_id INTEGER NOT NULL DEFAULT 0, last_preview TEXT,"
  "  last_ts INTEGER NOT NULL DEFAULT 0, unread INTEGER NOT NULL DEFAULT 0,"
  "  last_read INTEGER NOT NULL DEFAULT 0, peer_read INTEGER NOT NULL DEFAULT 0,"
  "  muted INTEGER NOT NULL DEFAULT 0);"
  "CREATE TABLE users (username TEXT PRIMARY KEY, json TEXT NOT NULL);"
  "CREATE TABLE outbox (local_id INTEGER PRIMARY KEY AUTOINCREMENT, conv TEXT NOT NULL,"
  "  client_msg_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL, format TEXT NOT NULL,"
  "  reply_to INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 0,"
  "  created_ts INTEGER NOT NULL);"
  "INSERT INTO state VALUES ('last_seq', 42);"
  "INSERT INTO messages VALUES (7, 'dm:alice:bob', 'bob', 1700000000007, 'c7',"
  "  '{\"id\":7,\"conv\":\"dm:alice:bob\",\"from\":\"bob\",\"ts\":1700000000007,"
  "\"kind\":\"text\",\"body\":\"from before\",\"format\":\"plain\"}');"
  "INSERT INTO conversations (conv, last_msg_id, last_preview, unread)"
  "  VALUES ('dm:alice:bob', 7, 'from before', 1);"
  "INSERT INTO outbox (conv, client_msg_id, body, format, created_ts)"
  "  VALUES ('dm:alice:bob', 'out1', 'unsent', 'plain', 1700000000008);";

static void
write_unversioned_cache (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, unversioned_cache_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static gint64
user_version (const char *path)
{
  sqlite3 *db;
  sqlite3_stmt *stmt;
  gint64 version;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

/* A cache from before the numbered migrations keeps its contents: the first migration finds
 * its tables in place. */
static void
test_schema_upgrade (void)
{
  g_autofree char *path = new_path ();
  ConfabCache *cache;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(ConfabConversation) conv = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  write_unversioned_cache (path);
  g_assert_cmpint (user_version (path), ==, 0);

  cache = open_cache (path);
  g_assert_cmpint (last_seq (cache), ==, 42);
  page = load (cache, "dm:alice:bob", 0, 0, 10);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (confab_message_get_body (g_ptr_array_index (page, 0)), ==, "from before");
  conv = load_conversation (cache, "dm:alice:bob");
  g_assert_nonnull (conv);
  g_assert_cmpuint (confab_conversation_get_unread (conv), ==, 1);
  confab_cache_outbox_list_async (cache, NULL, NULL, engine_test_async_cb, &result);
  outbox = confab_cache_outbox_list_finish (cache, WAIT (result), NULL);
  g_assert_cmpuint (outbox->len, ==, 1);
  close_cache (cache);

  g_assert_cmpint (user_version (path), >=, 1);

  /* Opened again, already migrated: the same contents. */
  cache = open_cache (path);
  g_assert_cmpint (last_seq (cache), ==, 42);
  close_cache (cache);
}

/* Calls made while the database opens wait for it, in order; after a close they fail as
 * closed; a cache from a newer Confab is not opened, and the calls waiting for it fail. */
static void
test_open_and_close (void)
{
  g_autofree char *path = new_path ();
  g_autofree char *newer_path = new_path ();
  ConfabCache *cache = confab_cache_new (path, "alice");
  g_autoptr(GAsyncResult) open_result = NULL;
  g_autoptr(GAsyncResult) set_result = NULL;
  g_autoptr(GAsyncResult) get_result = NULL;
  g_autoptr(GAsyncResult) closed_result = NULL;
  g_autoptr(GAsyncResult) close_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (newer_path);
  sqlite3 *db;

  confab_cache_open_async (cache, NULL, engine_test_async_cb, &open_result);
  confab_cache_set_last_seq_async (cache, 5, NULL, engine_test_async_cb, &set_result);
  confab_cache_get_last_seq_async (cache, NULL, engine_test_async_cb, &get_result);
  g_assert_true (confab_cache_open_finish (cache, WAIT (open_result), &error));
  g_assert_no_error (error);
  g_assert_true (confab_cache_set_last_seq_finish (cache, WAIT (set_result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_cache_get_last_seq_finish (cache, WAIT (get_result), &error), ==, 5);
  g_assert_no_error (error);

  confab_cache_close_async (cache, NULL, engine_test_async_cb, &close_result);
  confab_cache_get_last_seq_async (cache, NULL, engine_test_async_cb, &closed_result);
  g_assert_true (confab_cache_close_finish (cache, WAIT (close_result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_cache_get_last_seq_finish (cache, WAIT (closed_result), &error), ==,
                   -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);
  g_object_unref (cache);

  /* Schema version 1000. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (newer_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 1000", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (db);
  cache = confab_cache_new (newer_path, "alice");
  g_clear_object (&open_result);
  g_clear_object (&get_result);
  confab_cache_open_async (cache, NULL, engine_test_async_cb, &open_result);
  confab_cache_get_last_seq_async (cache, NULL, engine_test_async_cb, &get_result);
  g_assert_false (confab_cache_open_finish (cache, WAIT (open_result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_cmpint (confab_cache_get_last_seq_finish (cache, WAIT (get_result), &error), ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_object_unref (cache);
  g_assert_cmpint (user_version (newer_path), ==, 1000);
}

static void
test_path (void)
{
  g_autofree char *path = confab_cache_build_path ("chat.example.com:7443", "alice");
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "confab",
                                                "alice@chat.example.com:7443", "cache.sqlite",
                                                NULL);

  g_assert_cmpstr (path, ==, expected);
}

int
main (int    argc,
      char **argv)
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/confab/cache/paging", test_paging);
  g_test_add_func ("/confab/cache/outbox", test_outbox);
  g_test_add_func ("/confab/cache/duplicates", test_duplicates);
  g_test_add_func ("/confab/cache/last-seq", test_last_seq);
  g_test_add_func ("/confab/cache/read-and-reactions", test_read_and_reactions);
  g_test_add_func ("/confab/cache/message-list", test_message_list);
  g_test_add_func ("/confab/cache/message-window", test_message_window);
  g_test_add_func ("/confab/cache/path", test_path);
  g_test_add_func ("/confab/cache/schema-upgrade", test_schema_upgrade);
  g_test_add_func ("/confab/cache/open-and-close", test_open_and_close);

  return g_test_run ();
}
