/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* Deleted and edited text is gone from everything the server keeps: the replayed event stream,
 * the search index and the database files (protocol v1, section 5, `edit` and `delete`). */

#define T CONFAB_TEST_TIMEOUT_MS

/* Files are binary: strstr() would stop at the first NUL. */
static gboolean
bytes_contain (const char *data,
               gsize       length,
               const char *needle)
{
  gsize n = strlen (needle);

  for (const char *p = data; n <= length && p <= data + length - n; p++)
    {
      p = memchr (p, needle[0], data + length - n + 1 - p);
      if (p == NULL)
        return FALSE;
      if (memcmp (p, needle, n) == 0)
        return TRUE;
    }
  return FALSE;
}

/* Fails if a file under @dir holds @needle. Returns how many files were read. */
static guint
assert_not_in_files (const char *dir,
                     const char *needle)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint files = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          files += assert_not_in_files (path, needle);
          continue;
        }
      if (!g_file_get_contents (path, &contents, &length, NULL))
        continue;
      files++;
      if (bytes_contain (contents, length, needle))
        g_error ("'%s' is still in %s", needle, path);
    }
  return files;
}

/* One word the search index keeps whole, and its tail: the index stores a word after the
 * prefix it shares with the word before it, so the tail is what a byte search can find. */
static char *
unique_word (const char *stem,
             char      **tail)
{
  g_autofree char *uuid = confab_test_uuid ();
  g_autoptr(GString) hex = g_string_new (NULL);

  for (const char *p = uuid; *p != '\0'; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (hex, g_ascii_tolower (*p));
  *tail = g_strdup (hex->str + hex->len - 16);
  return g_strdup_printf ("%s%s", stem, hex->str);
}

static gint64
send_text (ConfabTestClient *client,
           const char       *body)
{
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *cmid = confab_test_uuid ();

  result = confab_test_client_call_ok (client, "send", "{\"conv\":\"dm:alice:bob\","
                                       "\"client_msg_id\":\"%s\",\"body\":\"%s\"}", cmid, body);
  return json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
}

typedef struct
{
  ConfabTestClient *client;
} Replay;

static gboolean
replay_synced (gpointer user_data)
{
  Replay *replay = user_data;

  return confab_test_client_count_events (replay->client, "synced") > 0;
}

static guint
count_hits (JsonArray  *messages)
{
  return messages == NULL ? 0 : json_array_get_length (messages);
}

static guint
search_hits (ConfabTestClient *client,
             const char       *word)
{
  g_autoptr(JsonObject) result = NULL;

  result = confab_test_client_call_ok (client, "search", "{\"query\":\"%s\"}", word);
  return count_hits (json_object_get_array_member (result, "messages"));
}

static void
test_deleted_and_edited_text (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  g_autoptr(ConfabTestServer) server = tls ? confab_test_server_new_tls (NULL, NULL)
                                           : confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = NULL;
  g_autoptr(ConfabTestClient) b = NULL;
  g_autoptr(ConfabTestClient) fresh = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *deleted_tail = NULL, *before_tail = NULL, *middle_tail = NULL;
  g_autofree char *final_tail = NULL;
  g_autofree char *deleted = unique_word ("zqdeleted", &deleted_tail);
  g_autofree char *before = unique_word ("zqbefore", &before_tail);
  g_autofree char *middle = unique_word ("zqmiddle", &middle_tail);
  g_autofree char *final = unique_word ("zqfinal", &final_tail);
  g_autofree char *token = NULL;
  const char *data_dir = confab_test_server_get_data_dir (server);
  Replay replay;
  gint64 deleted_id = 0, edited_id = 0;
  gboolean final_seen = FALSE;

  a = confab_test_client_new (server, alice->token, 0);
  b = confab_test_client_new (server, bob->token, 0);

  /* Other traffic around them, so that the search index holds several segments. */
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *body = g_strdup_printf ("an ordinary word number %u", i);

      send_text (i % 2 == 0 ? a : b, body);
      if (i == 10)
        deleted_id = send_text (a, deleted);
      if (i == 20)
        edited_id = send_text (a, before);
    }
  g_assert_cmpuint (search_hits (b, deleted), ==, 1);
  g_assert_cmpuint (search_hits (b, before), ==, 1);

  json_object_unref (confab_test_client_call_ok (a, "edit", "{\"msg_id\":%" G_GINT64_FORMAT
                                                 ",\"body\":\"%s\"}", edited_id, middle));
  json_object_unref (confab_test_client_call_ok (a, "edit", "{\"msg_id\":%" G_GINT64_FORMAT
                                                 ",\"body\":\"%s\"}", edited_id, final));
  json_object_unref (confab_test_client_call_ok (a, "delete", "{\"msg_id\":%" G_GINT64_FORMAT
                                                 "}", deleted_id));
  g_assert_cmpuint (search_hits (b, deleted), ==, 0);
  g_assert_cmpuint (search_hits (b, before), ==, 0);
  g_assert_cmpuint (search_hits (b, middle), ==, 0);
  g_assert_cmpuint (search_hits (b, final), ==, 1);

  /* A new device of bob's replays his whole stream: the current state only. */
  token = confab_test_login (server, "bob", bob->password, NULL);
  fresh = confab_test_client_new (server, token, 0);
  replay.client = fresh;
  g_assert_true (confab_test_wait_until (replay_synced, &replay, T));
  events = confab_test_client_take_events (fresh);
  g_assert_cmpuint (events->len, >, 30);
  for (guint i = 0; i < events->len; i++)
    {
      g_autofree char *text = confab_test_to_string (events->pdata[i]);

      g_assert_null (strstr (text, deleted));
      g_assert_null (strstr (text, before));
      g_assert_null (strstr (text, middle));
      if (strstr (text, "\"message\"") != NULL && strstr (text, final) != NULL)
        final_seen = TRUE;
    }
  g_assert_true (final_seen);

  /* Nor anywhere in the files once the server has stopped. */
  confab_test_client_close (a);
  confab_test_client_close (b);
  confab_test_client_close (fresh);
  confab_test_server_stop (server);
  g_assert_cmpuint (assert_not_in_files (data_dir, deleted_tail), >, 0);
  assert_not_in_files (data_dir, before_tail);
  assert_not_in_files (data_dir, middle_tail);
  assert_not_in_files (data_dir, deleted);
  assert_not_in_files (data_dir, before);
  assert_not_in_files (data_dir, middle);
}

/* A body long enough for SQLite's overflow pages: when it is deleted those pages go to the free
 * list, and only PRAGMA secure_delete zeroes them; without it the text stays in the file. */
static void
test_deleted_long_text (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabTestUser) alice = confab_test_user_new (server, "alice");
  g_autoptr(ConfabTestUser) bob G_GNUC_UNUSED = confab_test_user_new (server, "bob");
  g_autoptr(ConfabTestClient) a = confab_test_client_new (server, alice->token, 0);
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *tail = NULL;
  g_autofree char *word = unique_word ("zqlong", &tail);
  const char *data_dir = confab_test_server_get_data_dir (server);
  gint64 id;

  /* The word many times over, with spaces that the index does not keep. */
  while (body->len < 12000)
    g_string_append_printf (body, "%s ", word);
  id = send_text (a, body->str);
  json_object_unref (confab_test_client_call_ok (a, "delete", "{\"msg_id\":%" G_GINT64_FORMAT
                                                 "}", id));

  confab_test_client_close (a);
  confab_test_server_stop (server);
  g_assert_cmpuint (assert_not_in_files (data_dir, word), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_data_func ("/confab/server/privacy/deleted-and-edited-text/plain",
                        GINT_TO_POINTER (FALSE), test_deleted_and_edited_text);
  g_test_add_data_func ("/confab/server/privacy/deleted-and-edited-text/tls",
                        GINT_TO_POINTER (TRUE), test_deleted_and_edited_text);

  g_test_add_func ("/confab/server/privacy/deleted-long-text", test_deleted_long_text);

  return confab_test_run ();
}
