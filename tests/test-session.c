/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-account.h"
#include "confab-cache.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-engine-test-util.h"
#include "confab-error.h"
#include "confab-feature.h"
#include "confab-message-list.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-presence-feature.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-session-test-util.h"
#include "confab-typing.h"

#include <string.h>

/* Sessions against the real confabd ($CONFABD), started on 127.0.0.1 with a temp data dir. */

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)

static ConfabConversationList *
conversations_of (ConfabSession *session)
{
  return confab_messaging_get_conversations (confab_messaging_from_session (session));
}

static gboolean
client_connected (gpointer data)
{
  return confab_client_get_state (data) == CONFAB_CLIENT_STATE_CONNECTED;
}

typedef struct
{
  GListModel *model;
  guint       n;
} CountWait;

static gboolean
has_n_items (gpointer data)
{
  CountWait *wait = data;

  return g_list_model_get_n_items (wait->model) >= wait->n;
}

static gboolean
wait_n_items (gpointer model,
              guint    n)
{
  CountWait wait = { model, n };

  return engine_test_wait (has_n_items, &wait, ENGINE_TEST_TIMEOUT_MS);
}

typedef struct
{
  GListModel *model;
} SentWait;

static gboolean
all_sent (gpointer data)
{
  GListModel *model = data;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(ConfabMessage) msg = g_list_model_get_item (model, i);

      if (confab_message_get_state (msg) == CONFAB_MESSAGE_STATE_SENDING)
        return FALSE;
    }
  return TRUE;
}

static gboolean
unread_is_one (gpointer data)
{
  return confab_conversation_get_unread (data) == 1;
}

static void
on_message_received (ConfabMessaging    *messaging,
                     ConfabConversation *conv,
                     ConfabMessage      *msg,
                     GPtrArray          *bodies)
{
  g_ptr_array_add (bodies, g_strdup (confab_message_get_body (msg)));
}

static ConfabMessage *
send_text (ConfabSession *session,
           const char    *conv,
           const char    *body)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabMessage *msg;

  confab_messaging_send_message_async (confab_messaging_from_session (session), conv, body, NULL, 0,
                                       NULL, engine_test_async_cb,
                                       &result);
  msg = confab_messaging_send_message_finish (confab_messaging_from_session (session),
                                              WAIT (result), &error);
  g_assert_no_error (error);
  return msg;
}

static void
test_exchange_and_outbox (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(ConfabClient) bob_client = NULL;
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(ConfabSession) bob = NULL;
  g_autoptr(GAsyncResult) dm_result = NULL;
  g_autoptr(ConfabConversation) dm = NULL;
  g_autoptr(ConfabMessageList) alice_list = NULL;
  g_autoptr(ConfabMessageList) bob_list = NULL;
  g_autoptr(ConfabMessage) first = NULL;
  g_autoptr(GPtrArray) bob_got = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  ConfabConversation *bob_conv;
  const char *conv;

  if (g_getenv ("CONFABD") == NULL || !g_file_test (g_getenv ("CONFABD"),
                                                    G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("CONFABD is not set to a confabd executable");
      return;
    }

  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  bob_client = signed_up_client (server, "bob", NULL);
  alice = start_session (alice_client);
  bob = start_session (bob_client);
  g_signal_connect (confab_messaging_from_session (bob), "message-received",
                    G_CALLBACK (on_message_received), bob_got);
  g_assert_true (engine_test_wait (client_connected, alice_client, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));

  /* Alice starts a DM by username and writes. */
  confab_messaging_start_dm_async (confab_messaging_from_session (alice), "Bob", NULL,
                                   engine_test_async_cb, &dm_result);
  dm = confab_messaging_start_dm_finish (confab_messaging_from_session (alice), WAIT (dm_result),
                                         &error);
  g_assert_no_error (error);
  conv = confab_conversation_get_conv (dm);
  g_assert_cmpstr (conv, ==, "dm:alice:bob");

  alice_list = confab_messaging_get_messages (confab_messaging_from_session (alice), conv);
  first = send_text (alice, conv, "hello bob");
  g_assert_true (engine_test_wait (all_sent, alice_list, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_message_get_state (first), ==, CONFAB_MESSAGE_STATE_SENT);
  g_assert_cmpint (confab_message_get_id (first), >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (alice_list)), ==, 1);

  g_assert_true (engine_test_wait_uint (&bob_got->len, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (g_ptr_array_index (bob_got, 0), ==, "hello bob");
  bob_conv = confab_conversation_list_lookup (conversations_of (bob), conv);
  g_assert_nonnull (bob_conv);
  g_assert_true (engine_test_wait (unread_is_one, bob_conv, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (confab_messaging_get_unread_count (confab_messaging_from_session (bob)), ==, 1);
  bob_list = confab_messaging_get_messages (confab_messaging_from_session (bob), conv);
  g_assert_true (wait_n_items (bob_list, 1));

  /* The server goes away; alice keeps writing into the outbox. */
  confab_test_server_stop (server);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("offline %u", i);
      g_autoptr(ConfabMessage) msg = send_text (alice, conv, body);

      g_assert_cmpint (confab_message_get_state (msg), ==, CONFAB_MESSAGE_STATE_SENDING);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (alice_list)), ==, 4);

  /* Back on the same port: the outbox goes out in order, each message once. */
  confab_test_server_start (server);
  g_assert_true (engine_test_wait (all_sent, alice_list, 3 * ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait_uint (&bob_got->len, 4, ENGINE_TEST_TIMEOUT_MS));
  engine_test_run_for (300);
  g_assert_cmpuint (bob_got->len, ==, 4);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("offline %u", i);

      g_assert_cmpstr (g_ptr_array_index (bob_got, i + 1), ==, body);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (alice_list)), ==, 4);
  g_assert_true (wait_n_items (bob_list, 4));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (bob_list)), ==, 4);
  for (guint i = 1; i < 4; i++)
    {
      g_autoptr(ConfabMessage) a = g_list_model_get_item (G_LIST_MODEL (alice_list), i - 1);
      g_autoptr(ConfabMessage) b = g_list_model_get_item (G_LIST_MODEL (alice_list), i);

      g_assert_cmpint (confab_message_get_id (a), <, confab_message_get_id (b));
    }

  confab_session_stop (alice);
  confab_session_stop (bob);
}

static gboolean
have_confabd (void)
{
  if (g_getenv ("CONFABD") == NULL
      || !g_file_test (g_getenv ("CONFABD"), G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("CONFABD is not set to a confabd executable");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  ConfabSession *session;
  const char    *conv;
  const char    *title;
} TitleWait;

static gboolean
title_is (gpointer data)
{
  TitleWait *wait = data;
  ConfabConversation *item =
    confab_conversation_list_lookup (conversations_of (wait->session),
                                     wait->conv);

  return item != NULL && g_strcmp0 (confab_conversation_get_title (item), wait->title) == 0;
}

static gboolean
profile_fetched (gpointer data)
{
  return confab_contact_get_role (data) != NULL;
}

static gboolean
display_name_is (gpointer data)
{
  TitleWait *wait = data;

  return g_strcmp0 (confab_contact_get_display_name (
                      confab_profiles_get_contact (confab_profiles_from_session (wait->session),
                                                   "bob")), wait->title) == 0;
}

static void
test_display_names (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(ConfabClient) bob_client = NULL;
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(ConfabSession) bob = NULL;
  g_autoptr(ConfabMessageList) bob_list = NULL;
  g_autoptr(ConfabMessageList) alice_list = NULL;
  g_autoptr(ConfabMessage) sent = NULL;
  g_autoptr(ConfabMessage) received = NULL;
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(GAsyncResult) update_result = NULL;
  g_autoptr(GAsyncResult) users_result = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GError) error = NULL;
  ConfabContact *sender;
  TitleWait wait = { NULL, "dm:alice:bob", "Bob Smith" };
  gboolean cached = FALSE;

  if (!have_confabd ())
    return;

  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  bob_client = signed_up_client (server, "bob", "Bob Smith");

  /* Bob writes first: alice learns about him only from the server. */
  bob = start_session (bob_client);
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));
  bob_list = confab_messaging_get_messages (confab_messaging_from_session (bob), "dm:alice:bob");
  sent = send_text (bob, "dm:alice:bob", "hi alice");
  g_assert_true (engine_test_wait (all_sent, bob_list, ENGINE_TEST_TIMEOUT_MS));

  alice = start_session (alice_client);
  wait.session = alice;
  g_assert_true (engine_test_wait (title_is, &wait, ENGINE_TEST_TIMEOUT_MS));
  alice_list = confab_messaging_get_messages (confab_messaging_from_session (alice),
                                              "dm:alice:bob");
  g_assert_true (wait_n_items (alice_list, 1));
  received = g_list_model_get_item (G_LIST_MODEL (alice_list), 0);
  g_assert_cmpstr (confab_message_get_sender (received), ==, "bob");
  sender = confab_profiles_get_contact (confab_profiles_from_session (alice),
                                        confab_message_get_sender (received));
  /* The whole profile comes with profile_get, not only the conversation's title. */
  g_assert_true (engine_test_wait (profile_fetched, sender, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_contact_get_display_name (sender), ==, "Bob Smith");

  /* Bob renames himself: alice's sidebar and his messages follow at once. */
  json_object_set_string_member (fields, "display_name", "Robert Smith");
  confab_profiles_update_profile_async (confab_profiles_from_session (bob), fields, NULL,
                                        engine_test_async_cb,
                                        &update_result);
  updated = confab_profiles_profile_finish (confab_profiles_from_session (bob),
                                            WAIT (update_result), &error);
  g_assert_no_error (error);
  wait.title = "Robert Smith";
  g_assert_true (engine_test_wait (title_is, &wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (display_name_is, &wait, ENGINE_TEST_TIMEOUT_MS));

  /* And the cache keeps the new name for the next start. */
  confab_cache_load_users_async (confab_session_get_cache (alice), NULL, engine_test_async_cb,
                                 &users_result);
  users = confab_cache_load_users_finish (confab_session_get_cache (alice), WAIT (users_result),
                                          &error);
  g_assert_no_error (error);
  for (guint i = 0; i < users->len; i++)
    {
      JsonObject *user = g_ptr_array_index (users, i);

      if (g_strcmp0 (json_object_get_string_member (user, "username"), "bob") == 0)
        cached = g_strcmp0 (json_object_get_string_member (user, "display_name"),
                            "Robert Smith") == 0;
    }
  g_assert_true (cached);

  confab_session_stop (alice);
  confab_session_stop (bob);
}

typedef struct
{
  ConfabSession      *session;
  const char * const *order;
} OrderWait;

static gboolean
order_is (gpointer data)
{
  OrderWait *wait = data;
  GListModel *model = G_LIST_MODEL (conversations_of (wait->session));
  guint n = g_list_model_get_n_items (model);

  if (n != g_strv_length ((char **) wait->order))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabConversation) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (confab_conversation_get_conv (item), wait->order[i]) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
unread_is_zero (gpointer data)
{
  return confab_conversation_get_unread (data) == 0;
}

static void
test_sidebar_order (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(ConfabMessageList) list = NULL;
  g_autoptr(ConfabMessage) last = NULL;
  g_autoptr(ConfabMessage) reply = NULL;
  g_autoptr(GAsyncResult) read_result = NULL;
  g_autoptr(GError) error = NULL;
  const char *names[] = { "bob", "carol", "dave" };
  const char *newest_first[] = { "dm:alice:dave", "dm:alice:carol", "dm:alice:bob", NULL };
  const char *after_reply[] = { "dm:alice:bob", "dm:alice:dave", "dm:alice:carol", NULL };
  OrderWait wait = { NULL, newest_first };
  ConfabConversation *bob_conv;

  if (!have_confabd ())
    return;

  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  /* Bob, then carol, then dave write to alice, each after the one before was stored. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(ConfabSession) session = NULL;
      g_autoptr(ConfabMessageList) sent_list = NULL;
      g_autoptr(ConfabMessage) msg = NULL;
      g_autofree char *conv = g_strdup_printf ("dm:alice:%s", names[i]);

      g_ptr_array_add (others, signed_up_client (server, names[i], NULL));
      session = start_session (others->pdata[i]);
      g_assert_true (engine_test_wait (client_connected, others->pdata[i],
                                       ENGINE_TEST_TIMEOUT_MS));
      sent_list = confab_messaging_get_messages (confab_messaging_from_session (session), conv);
      msg = send_text (session, conv, "hello");
      g_assert_true (engine_test_wait (all_sent, sent_list, ENGINE_TEST_TIMEOUT_MS));
      confab_session_stop (session);
    }

  alice = start_session (alice_client);
  wait.session = alice;
  g_assert_true (engine_test_wait (order_is, &wait, ENGINE_TEST_TIMEOUT_MS));

  /* Opening the oldest conversation and reading it leaves it where it is. */
  bob_conv = confab_conversation_list_lookup (conversations_of (alice),
                                              "dm:alice:bob");
  list = confab_messaging_get_messages (confab_messaging_from_session (alice), "dm:alice:bob");
  g_assert_true (wait_n_items (list, 1));
  last = g_list_model_get_item (G_LIST_MODEL (list), 0);
  confab_messaging_mark_read_async (confab_messaging_from_session (alice), "dm:alice:bob",
                                    confab_message_get_id (last), NULL,
                                    engine_test_async_cb, &read_result);
  g_assert_true (confab_feature_request_finish (
                   CONFAB_FEATURE (confab_messaging_from_session (alice)), WAIT (read_result),
                   &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (unread_is_zero, bob_conv, ENGINE_TEST_TIMEOUT_MS));
  /* Give a late reload (conversations, history, the read event) the chance to move it. */
  engine_test_run_for (500);
  g_assert_true (order_is (&wait));

  /* Writing in it is activity: it goes first, and stays there once sent. */
  reply = send_text (alice, "dm:alice:bob", "hi bob");
  wait.order = after_reply;
  g_assert_true (order_is (&wait));
  g_assert_true (engine_test_wait (all_sent, list, ENGINE_TEST_TIMEOUT_MS));
  engine_test_run_for (300);
  g_assert_true (order_is (&wait));

  confab_session_stop (alice);
}

static void
test_mute (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(ConfabClient) bob_client = NULL;
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(ConfabSession) bob = NULL;
  g_autoptr(ConfabMessageList) bob_list = NULL;
  g_autoptr(ConfabMessage) msg = NULL;
  g_autoptr(GAsyncResult) mute_result = NULL;
  g_autoptr(GAsyncResult) load_result = NULL;
  g_autoptr(ConfabConversation) stored = NULL;
  g_autoptr(GError) error = NULL;
  ConfabConversation *item;

  if (!have_confabd ())
    return;

  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  bob_client = signed_up_client (server, "bob", NULL);
  bob = start_session (bob_client);
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));
  bob_list = confab_messaging_get_messages (confab_messaging_from_session (bob), "dm:alice:bob");
  msg = send_text (bob, "dm:alice:bob", "are you there?");
  g_assert_true (engine_test_wait (all_sent, bob_list, ENGINE_TEST_TIMEOUT_MS));

  alice = start_session (alice_client);
  g_assert_true (engine_test_wait (client_connected, alice_client, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (wait_n_items (conversations_of (alice), 1));
  item = confab_conversation_list_lookup (conversations_of (alice),
                                          "dm:alice:bob");
  g_assert_true (engine_test_wait (unread_is_one, item, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (confab_messaging_get_unread_count (confab_messaging_from_session (alice)), ==,
                    1);

  /* Muting shows at once, leaves the total, and is kept with the conversation. */
  confab_messaging_set_muted_async (confab_messaging_from_session (alice), "dm:alice:bob", TRUE,
                                    NULL, engine_test_async_cb,
                                    &mute_result);
  g_assert_true (confab_conversation_get_muted (item));
  g_assert_cmpuint (confab_messaging_get_unread_count (confab_messaging_from_session (alice)), ==,
                    0);
  g_assert_true (confab_messaging_set_muted_finish (confab_messaging_from_session (alice),
                                                    WAIT (mute_result), &error));
  g_assert_no_error (error);

  confab_cache_load_conversation_async (confab_session_get_cache (alice), "dm:alice:bob", NULL,
                                        engine_test_async_cb, &load_result);
  stored = confab_cache_load_conversation_finish (confab_session_get_cache (alice),
                                                  WAIT (load_result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);
  g_assert_true (confab_conversation_get_muted (stored));

  /* A reload of the conversation keeps it muted. */
  engine_test_run_for (300);
  g_assert_true (confab_conversation_get_muted (item));

  confab_session_stop (alice);
  confab_session_stop (bob);
}

/* Two signed-in sessions, alice and bob, connected, with one message from alice to bob that
 * both models hold. */
typedef struct
{
  ConfabTestServer  *server;
  ConfabClient      *alice_client;
  ConfabClient      *bob_client;
  ConfabSession     *alice;
  ConfabSession     *bob;
  ConfabMessageList *alice_list;
  ConfabMessageList *bob_list;
  gint64             msg_id;
} Pair;

#define DM "dm:alice:bob"
#define THUMBS_UP "\xf0\x9f\x91\x8d"

static void
pair_set_up (Pair *pair)
{
  g_autoptr(ConfabMessage) sent = NULL;

  pair->server = confab_test_server_new (NULL, NULL);
  pair->alice_client = signed_up_client (pair->server, "alice", NULL);
  pair->bob_client = signed_up_client (pair->server, "bob", NULL);
  pair->alice = start_session (pair->alice_client);
  pair->bob = start_session (pair->bob_client);
  g_assert_true (engine_test_wait (client_connected, pair->alice_client,
                                   ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (client_connected, pair->bob_client, ENGINE_TEST_TIMEOUT_MS));

  pair->alice_list = confab_messaging_get_messages (confab_messaging_from_session (pair->alice),
                                                    DM);
  pair->bob_list = confab_messaging_get_messages (confab_messaging_from_session (pair->bob), DM);
  sent = send_text (pair->alice, DM, "first draft");
  g_assert_true (engine_test_wait (all_sent, pair->alice_list, ENGINE_TEST_TIMEOUT_MS));
  pair->msg_id = confab_message_get_id (sent);
  g_assert_cmpint (pair->msg_id, >, 0);
  g_assert_true (wait_n_items (pair->bob_list, 1));
}

static void
pair_tear_down (Pair *pair)
{
  confab_session_stop (pair->alice);
  confab_session_stop (pair->bob);
  g_clear_object (&pair->alice_list);
  g_clear_object (&pair->bob_list);
  g_clear_object (&pair->alice);
  g_clear_object (&pair->bob);
  g_clear_object (&pair->alice_client);
  g_clear_object (&pair->bob_client);
  g_clear_pointer (&pair->server, confab_test_server_free);
}

typedef struct
{
  ConfabMessageList *list;
  gint64             id;
  const char        *body;
  const char        *emoji;
  guint              count;
} MessageWait;

static gboolean
message_edited_to (gpointer data)
{
  MessageWait *wait = data;
  ConfabMessage *msg = confab_message_list_lookup (wait->list, wait->id);

  return msg != NULL && confab_message_get_edited (msg)
         && g_strcmp0 (confab_message_get_body (msg), wait->body) == 0;
}

static gboolean
message_deleted (gpointer data)
{
  MessageWait *wait = data;
  ConfabMessage *msg = confab_message_list_lookup (wait->list, wait->id);

  return msg != NULL && confab_message_get_deleted (msg);
}

static gboolean
reaction_count_is (gpointer data)
{
  MessageWait *wait = data;
  ConfabMessage *msg = confab_message_list_lookup (wait->list, wait->id);

  return msg != NULL && confab_message_get_reaction_count (msg, wait->emoji) == wait->count;
}

/* Finishes an edit, delete, react or mark_read started with engine_test_async_cb. */
static gboolean
request_finish (ConfabSession  *session,
                GAsyncResult  **result,
                GError        **error)
{
  return confab_feature_request_finish (CONFAB_FEATURE (confab_messaging_from_session (session)),
                                        WAIT (*result), error);
}

static void
test_edit_and_delete (void)
{
  Pair pair = { 0 };
  g_autoptr(GAsyncResult) edit_result = NULL;
  g_autoptr(GAsyncResult) foreign_result = NULL;
  g_autoptr(GAsyncResult) delete_result = NULL;
  g_autoptr(GError) error = NULL;
  MessageWait alice_wait = { NULL, 0, "final text" };
  MessageWait bob_wait = { NULL, 0, "final text" };
  ConfabMessage *msg;

  if (!have_confabd ())
    return;
  pair_set_up (&pair);
  alice_wait.list = pair.alice_list;
  alice_wait.id = pair.msg_id;
  bob_wait.list = pair.bob_list;
  bob_wait.id = pair.msg_id;

  /* The author edits: her model takes the answer, his takes the event. */
  confab_messaging_edit_message_async (confab_messaging_from_session (pair.alice), pair.msg_id,
                                       "final text", NULL,
                                       engine_test_async_cb, &edit_result);
  g_assert_true (request_finish (pair.alice, &edit_result, &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (message_edited_to, &alice_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (message_edited_to, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_message_get_edited_ts (confab_message_list_lookup (pair.bob_list,
                                                                             pair.msg_id)),
                   >, 0);

  /* Only the author may edit; a refusal changes nothing. */
  confab_messaging_edit_message_async (confab_messaging_from_session (pair.bob), pair.msg_id,
                                       "not mine", NULL,
                                       engine_test_async_cb, &foreign_result);
  g_assert_false (request_finish (pair.bob, &foreign_result, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  g_clear_error (&error);
  engine_test_run_for (300);
  g_assert_true (message_edited_to (&alice_wait));
  g_assert_true (message_edited_to (&bob_wait));

  /* The author deletes: the message stays in both lists, marked deleted, without its body. */
  confab_messaging_delete_message_async (confab_messaging_from_session (pair.alice), pair.msg_id,
                                         NULL, engine_test_async_cb,
                                         &delete_result);
  g_assert_true (request_finish (pair.alice, &delete_result, &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (message_deleted, &alice_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (message_deleted, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  msg = confab_message_list_lookup (pair.bob_list, pair.msg_id);
  g_assert_cmpstr (confab_message_get_body (msg), ==, "");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pair.bob_list)), ==, 1);

  pair_tear_down (&pair);
}

static void
test_react (void)
{
  Pair pair = { 0 };
  g_autoptr(GAsyncResult) on_result = NULL;
  g_autoptr(GAsyncResult) off_result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) users = NULL;
  MessageWait alice_wait = { NULL, 0, NULL, THUMBS_UP, 1 };
  MessageWait bob_wait = { NULL, 0, NULL, THUMBS_UP, 1 };

  if (!have_confabd ())
    return;
  pair_set_up (&pair);
  alice_wait.list = pair.alice_list;
  alice_wait.id = pair.msg_id;
  bob_wait.list = pair.bob_list;
  bob_wait.id = pair.msg_id;

  /* Bob reacts to alice's message: both models count it, under his name. */
  confab_messaging_react_async (confab_messaging_from_session (pair.bob), pair.msg_id, THUMBS_UP,
                                TRUE, NULL,
                                engine_test_async_cb, &on_result);
  g_assert_true (request_finish (pair.bob, &on_result, &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (reaction_count_is, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (reaction_count_is, &alice_wait, ENGINE_TEST_TIMEOUT_MS));
  users = confab_message_dup_reaction_users (confab_message_list_lookup (pair.alice_list,
                                                                         pair.msg_id),
                                             THUMBS_UP);
  g_assert_cmpuint (g_strv_length (users), ==, 1);
  g_assert_cmpstr (users[0], ==, "bob");

  /* And takes it back. */
  confab_messaging_react_async (confab_messaging_from_session (pair.bob), pair.msg_id, THUMBS_UP,
                                FALSE, NULL,
                                engine_test_async_cb, &off_result);
  g_assert_true (request_finish (pair.bob, &off_result, &error));
  g_assert_no_error (error);
  bob_wait.count = alice_wait.count = 0;
  g_assert_true (engine_test_wait (reaction_count_is, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (reaction_count_is, &alice_wait, ENGINE_TEST_TIMEOUT_MS));

  pair_tear_down (&pair);
}

static gboolean
message_failed (gpointer data)
{
  return confab_message_get_state (data) == CONFAB_MESSAGE_STATE_FAILED;
}

static gboolean
has_no_items (gpointer data)
{
  return g_list_model_get_n_items (data) == 0;
}

static void
test_retry_and_discard (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(ConfabClient) carol_client = NULL;
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(ConfabSession) carol = NULL;
  g_autoptr(ConfabMessageList) carol_list = NULL;
  g_autoptr(ConfabMessageList) dave_list = NULL;
  g_autoptr(ConfabMessageList) carol_got = NULL;
  g_autoptr(ConfabMessage) to_carol = NULL;
  g_autoptr(ConfabMessage) to_dave = NULL;
  g_autoptr(ConfabMessage) received = NULL;

  if (!have_confabd ())
    return;

  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  alice = start_session (alice_client);
  g_assert_true (engine_test_wait (client_connected, alice_client, ENGINE_TEST_TIMEOUT_MS));

  /* Neither carol nor dave exists yet: the server refuses both messages for good. */
  carol_list = confab_messaging_get_messages (confab_messaging_from_session (alice),
                                              "dm:alice:carol");
  dave_list = confab_messaging_get_messages (confab_messaging_from_session (alice),
                                             "dm:alice:dave");
  to_carol = send_text (alice, "dm:alice:carol", "welcome carol");
  to_dave = send_text (alice, "dm:alice:dave", "welcome dave");
  g_assert_true (engine_test_wait (message_failed, to_carol, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (message_failed, to_dave, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_message_get_id (to_carol), ==, 0);

  /* Carol signs up; the retried message goes out and reaches her. */
  carol_client = signed_up_client (server, "carol", NULL);
  confab_messaging_retry_message (confab_messaging_from_session (alice), to_carol);
  g_assert_cmpint (confab_message_get_state (to_carol), ==, CONFAB_MESSAGE_STATE_SENDING);
  g_assert_true (engine_test_wait (all_sent, carol_list, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (carol_list)), ==, 1);
  {
    g_autoptr(ConfabMessage) stored = g_list_model_get_item (G_LIST_MODEL (carol_list), 0);

    g_assert_cmpint (confab_message_get_state (stored), ==, CONFAB_MESSAGE_STATE_SENT);
    g_assert_cmpint (confab_message_get_id (stored), >, 0);
  }
  carol = start_session (carol_client);
  carol_got = confab_messaging_get_messages (confab_messaging_from_session (carol),
                                             "dm:alice:carol");
  g_assert_true (wait_n_items (carol_got, 1));
  received = g_list_model_get_item (G_LIST_MODEL (carol_got), 0);
  g_assert_cmpstr (confab_message_get_body (received), ==, "welcome carol");
  g_assert_cmpstr (confab_message_get_sender (received), ==, "alice");

  /* The message to dave is discarded: it leaves the model and the outbox. */
  g_assert_cmpint (confab_message_get_state (to_dave), ==, CONFAB_MESSAGE_STATE_FAILED);
  confab_messaging_discard_message (confab_messaging_from_session (alice), to_dave);
  g_assert_true (engine_test_wait (has_no_items, dave_list, ENGINE_TEST_TIMEOUT_MS));

  confab_session_stop (alice);
  confab_session_stop (carol);
}

typedef struct
{
  ConfabSession *session;
  const char    *conv;
} TypingWait;

static const char *
typing_text (TypingWait *wait)
{
  ConfabConversation *item =
    confab_conversation_list_lookup (conversations_of (wait->session), wait->conv);

  return item != NULL ? confab_conversation_get_typing_text (item) : NULL;
}

static gboolean
is_typing (gpointer data)
{
  return typing_text (data) != NULL;
}

static gboolean
is_not_typing (gpointer data)
{
  return typing_text (data) == NULL;
}

static void
test_typing (void)
{
  Pair pair = { 0 };
  TypingWait bob_sees = { NULL, DM };
  TypingWait alice_sees = { NULL, DM };

  if (!have_confabd ())
    return;
  pair_set_up (&pair);
  bob_sees.session = pair.bob;
  alice_sees.session = pair.alice;
  g_assert_null (typing_text (&bob_sees));

  /* Alice types: bob's conversation says so, hers does not. */
  confab_typing_set_typing (confab_typing_from_session (pair.alice), DM, TRUE);
  g_assert_true (engine_test_wait (is_typing, &bob_sees, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (g_str_has_suffix (typing_text (&bob_sees), " is typing…"));
  g_assert_null (typing_text (&alice_sees));

  /* She clears the entry: it stops at once, before the 6 s expiry would (the wait leaves room
   * for a loaded machine, and still ends a second before that expiry). */
  confab_typing_set_typing (confab_typing_from_session (pair.alice), DM, FALSE);
  g_assert_true (engine_test_wait (is_not_typing, &bob_sees, 5000));

  pair_tear_down (&pair);
}

/* Notifications: only what arrived since the user was last caught up ----------------------- */

static void
on_message_arrived (ConfabMessaging    *messaging,
                    ConfabConversation *conv,
                    ConfabMessage      *msg,
                    GPtrArray          *bodies)
{
  g_ptr_array_add (bodies, g_strdup (confab_message_get_body (msg)));
}

static ConfabClient *
log_in (ConfabTestServer *server,
        const char       *username)
{
  ConfabClient *client = confab_client_new (confab_test_server_get_url (server));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  confab_client_login_async (client, username, "correct horse battery", "second", NULL,
                             engine_test_async_cb, &result);
  g_assert_true (confab_client_login_finish (client, WAIT (result), &error));
  g_assert_no_error (error);
  confab_client_set_backoff (client, 20, 200);
  return client;
}

static ConfabSession *
start_watched (ConfabClient *client,
               GPtrArray    *arrived,
               GPtrArray    *received)
{
  ConfabSession *session = confab_session_new (client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_signal_connect (confab_messaging_from_session (session), "message-arrived",
                    G_CALLBACK (on_message_arrived), arrived);
  g_signal_connect (confab_messaging_from_session (session), "message-received",
                    G_CALLBACK (on_message_received), received);
  confab_session_start_async (session, NULL, engine_test_async_cb, &result);
  g_assert_true (confab_session_start_finish (session, WAIT (result), &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (client_connected, client, ENGINE_TEST_TIMEOUT_MS));
  return session;
}

static void
stop_session (ConfabSession **session)
{
  confab_session_stop (*session);
  g_clear_object (session);
}

static void
call_ok (ConfabClient *client,
         const char   *type,
         JsonObject   *params)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;

  confab_client_request_async (client, type, params, NULL, engine_test_async_cb, &result);
  reply = confab_client_request_finish (client, WAIT (result), &error);
  g_assert_no_error (error);
  json_object_unref (params);
}

static JsonObject *
params_msg (gint64      msg_id,
            const char *body)
{
  JsonObject *params = json_object_new ();

  json_object_set_int_member (params, "msg_id", msg_id);
  if (body != NULL)
    json_object_set_string_member (params, "body", body);
  return params;
}

typedef struct
{
  ConfabSession *session;
  const char    *conv;
  gint64         msg_id;
} ConvWait;

static gboolean
preview_without_body (gpointer data)
{
  ConvWait *wait = data;
  ConfabConversation *conv = confab_conversation_list_lookup (conversations_of (wait->session),
                                                              wait->conv);

  return conv != NULL && confab_conversation_get_last_message_id (conv) == wait->msg_id
         && g_strcmp0 (confab_conversation_get_last_message_preview (conv), "") == 0;
}

static gboolean
preview_is_final (gpointer data)
{
  ConvWait *wait = data;
  ConfabConversation *conv = confab_conversation_list_lookup (conversations_of (wait->session),
                                                              wait->conv);

  return conv != NULL
         && g_strcmp0 (confab_conversation_get_last_message_preview (conv), "final words") == 0;
}

/* Whether @needle is anywhere in the @length bytes of @bytes, NULs and all. */
static gboolean
bytes_contain (const char *bytes,
               gsize       length,
               const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= length; i++)
    if (memcmp (bytes + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
cache_holds (ConfabSession *session,
             const char    *text)
{
  const char *path = confab_cache_get_path (confab_session_get_cache (session));
  const char *suffixes[] = { "", "-wal" };
  gboolean found = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (suffixes) && !found; i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *bytes = NULL;
      gsize length = 0;

      if (g_file_get_contents (file, &bytes, &length, NULL))
        found = bytes_contain (bytes, length, text);
    }
  return found;
}

/* The cache's files (the database and its write-ahead log) do not hold @text anywhere. */
static void
assert_cache_lacks (ConfabSession *session,
                    const char    *text)
{
  const char *path = confab_cache_get_path (confab_session_get_cache (session));
  const char *suffixes[] = { "", "-wal", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_autofree char *bytes = NULL;
      gsize length = 0;

      if (!g_file_get_contents (file, &bytes, &length, NULL))
        continue;
      g_assert_false (bytes_contain (bytes, length, text));
    }
}

static gboolean
message_sent (gpointer data)
{
  return confab_message_get_state (data) != CONFAB_MESSAGE_STATE_SENDING;
}

/* Sends and waits for the server's answer: the message has its id then. */
static ConfabMessage *
send_sent (ConfabSession *session,
           const char    *body)
{
  ConfabMessage *msg = send_text (session, "dm:alice:bob", body);

  g_assert_true (engine_test_wait (message_sent, msg, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_message_get_id (msg), >, 0);
  return msg;
}

static void
test_notify_only_new (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) bob_client = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(ConfabClient) alice_other = NULL;
  g_autoptr(ConfabClient) alice_again = NULL;
  g_autoptr(ConfabSession) bob = NULL;
  g_autoptr(ConfabMessageList) bob_list = NULL;
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(ConfabMessage) deleted = NULL;
  g_autoptr(ConfabMessage) edited = NULL;
  g_autoptr(ConfabMessage) seen = NULL;
  g_autoptr(ConfabMessage) secret = NULL;
  g_autoptr(ConfabMessage) draft = NULL;
  g_autoptr(GPtrArray) arrived = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) received = g_ptr_array_new_with_free_func (g_free);
  ConvWait wait = { NULL, "dm:alice:bob", 0 };
  JsonObject *params;

  if (!have_confabd ())
    return;
  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  bob_client = signed_up_client (server, "bob", NULL);
  bob = start_session (bob_client);
  /* Held: his sent messages are updated in place with their ids. */
  bob_list = confab_messaging_get_messages (confab_messaging_from_session (bob), "dm:alice:bob");
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));

  /* History from before this device: replayed and stored, never told. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("old %u", i);
      g_autoptr(ConfabMessage) msg = send_sent (bob, body);
    }
  alice = start_watched (alice_client, arrived, received);
  g_assert_true (engine_test_wait_uint (&received->len, 3, ENGINE_TEST_TIMEOUT_MS));
  engine_test_run_for (300);
  g_assert_cmpuint (arrived->len, ==, 0);

  /* A new message while connected is told, with its text. */
  g_object_unref (send_sent (bob, "live one"));
  g_assert_true (engine_test_wait_uint (&arrived->len, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (g_ptr_array_index (arrived, 0), ==, "live one");

  /* Deleted and edited while she is connected: the old text is nowhere in her cache, and the
   * sidebar shows no deleted text. */
  wait.session = alice;
  secret = send_sent (bob, "secret words");
  g_assert_true (engine_test_wait_uint (&arrived->len, 2, ENGINE_TEST_TIMEOUT_MS));
  wait.msg_id = confab_message_get_id (secret);
  call_ok (bob_client, "delete", params_msg (wait.msg_id, NULL));
  g_assert_true (engine_test_wait (preview_without_body, &wait, ENGINE_TEST_TIMEOUT_MS));
  draft = send_sent (bob, "draft words");
  g_assert_true (engine_test_wait_uint (&arrived->len, 3, ENGINE_TEST_TIMEOUT_MS));
  call_ok (bob_client, "edit", params_msg (confab_message_get_id (draft), "final words"));
  g_assert_true (engine_test_wait (preview_is_final, &wait, ENGINE_TEST_TIMEOUT_MS));
  /* Read while her cache is open: the database and its write-ahead log (which do hold the
   * text that is still there). */
  g_assert_true (cache_holds (alice, "final words"));
  assert_cache_lacks (alice, "secret words");
  assert_cache_lacks (alice, "draft words");
  stop_session (&alice);
  g_clear_object (&alice_client);

  /* While she is away: one message is read on her other device, one stays, one is deleted,
   * one edited. Back on this device, only what is new and still unread is told, as it is
   * now. */
  g_ptr_array_set_size (arrived, 0);
  g_ptr_array_set_size (received, 0);
  seen = send_sent (bob, "seen on the phone");
  alice_other = log_in (server, "alice");
  confab_client_start (alice_other, 0);
  g_assert_true (engine_test_wait (client_connected, alice_other, ENGINE_TEST_TIMEOUT_MS));
  params = params_msg (confab_message_get_id (seen), NULL);
  json_object_set_string_member (params, "conv", "dm:alice:bob");
  call_ok (alice_other, "read", params);
  confab_client_stop (alice_other);

  g_object_unref (send_sent (bob, "while away"));
  deleted = send_sent (bob, "gone before she looked");
  edited = send_sent (bob, "first take");
  call_ok (bob_client, "delete", params_msg (confab_message_get_id (deleted), NULL));
  call_ok (bob_client, "edit", params_msg (confab_message_get_id (edited), "second take"));

  alice_again = log_in (server, "alice");
  alice = start_watched (alice_again, arrived, received);
  g_assert_true (engine_test_wait_uint (&arrived->len, 2, ENGINE_TEST_TIMEOUT_MS));
  engine_test_run_for (300);
  g_assert_cmpuint (arrived->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (arrived, 0), ==, "while away");
  g_assert_cmpstr (g_ptr_array_index (arrived, 1), ==, "second take");

  stop_session (&alice);
  confab_session_stop (bob);
}

/* Presence: a DM peer's status is right from the start ---------------------------------- */

typedef struct
{
  ConfabSession  *session;
  const char     *user;
  ConfabPresence  presence;
} PresenceWait;

static gboolean
presence_is (gpointer data)
{
  PresenceWait *wait = data;
  ConfabContact *contact = confab_profiles_get_contact (confab_profiles_from_session (
                                                          wait->session), wait->user);

  return confab_contact_get_presence (contact) == wait->presence;
}

static void
test_presence_from_start (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(ConfabClient) bob_client = NULL;
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(ConfabSession) bob = NULL;
  g_autoptr(ConfabMessageList) bob_list = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  PresenceWait wait = { NULL, "bob", CONFAB_PRESENCE_BUSY };

  if (!have_confabd ())
    return;
  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  bob_client = signed_up_client (server, "bob", NULL);
  alice = start_session (alice_client);
  bob = start_session (bob_client);
  g_assert_true (engine_test_wait (client_connected, alice_client, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));

  /* Bob is busy before he and alice share anything: no presence event reaches her. */
  confab_presence_feature_set_presence_async (confab_presence_feature_from_session (bob),
                                              CONFAB_PRESENCE_BUSY, NULL, NULL,
                                              engine_test_async_cb, &result);
  g_assert_true (confab_feature_request_finish (
                   CONFAB_FEATURE (confab_presence_feature_from_session (bob)), WAIT (result),
                   &error));
  g_assert_no_error (error);

  /* His first message makes the DM appear on her side, with his status. */
  bob_list = confab_messaging_get_messages (confab_messaging_from_session (bob), "dm:alice:bob");
  g_object_unref (send_text (bob, "dm:alice:bob", "hi"));
  wait.session = alice;
  g_assert_true (engine_test_wait (presence_is, &wait, ENGINE_TEST_TIMEOUT_MS));

  /* And again after a reconnect, from the start of the next session. */
  confab_session_stop (alice);
  g_clear_object (&alice);
  alice = start_session (alice_client);
  wait.session = alice;
  g_assert_true (engine_test_wait (presence_is, &wait, ENGINE_TEST_TIMEOUT_MS));

  confab_session_stop (alice);
  confab_session_stop (bob);
}

/* Calls: a call the user declined is a record in the DM, not news ------------------------- */

static gboolean
conv_has_messages (gpointer data)
{
  ConvWait *wait = data;
  ConfabConversation *conv = confab_conversation_list_lookup (conversations_of (wait->session),
                                                              wait->conv);

  return conv != NULL && confab_conversation_get_last_message_id (conv) > wait->msg_id;
}

static JsonObject *
call_params (const char *call_id)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "call_id", call_id);
  return params;
}

/* Bob calls alice; she declines, or he gives up before she answers (a missed call). */
static void
ring_alice (ConfabClient *bob_client,
            ConfabClient *alice_client,
            gboolean      declined)
{
  g_autofree char *call_id = g_uuid_string_random ();
  JsonObject *params = call_params (call_id);
  JsonObject *media = json_object_new ();

  json_object_set_string_member (params, "to", "alice");
  json_object_set_boolean_member (media, "audio", TRUE);
  json_object_set_object_member (params, "media", media);
  call_ok (bob_client, "call_invite", params);
  if (declined)
    {
      params = call_params (call_id);
      json_object_set_string_member (params, "reason", "declined");
      call_ok (alice_client, "call_reject", params);
    }
  else
    call_ok (bob_client, "call_hangup", call_params (call_id));
}

static guint
alice_unread (ConfabSession *alice)
{
  ConfabConversation *conv = confab_conversation_list_lookup (conversations_of (alice),
                                                              "dm:alice:bob");

  return conv != NULL ? confab_conversation_get_unread (conv) : 0;
}

static void
test_declined_call (void)
{
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabClient) alice_client = NULL;
  g_autoptr(ConfabClient) bob_client = NULL;
  g_autoptr(ConfabSession) alice = NULL;
  g_autoptr(GPtrArray) arrived = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) received = g_ptr_array_new_with_free_func (g_free);
  ConvWait wait = { NULL, "dm:alice:bob", 0 };
  ConfabConversation *conv;

  if (!have_confabd ())
    return;
  server = confab_test_server_new (NULL, NULL);
  alice_client = signed_up_client (server, "alice", NULL);
  bob_client = signed_up_client (server, "bob", NULL);
  confab_client_start (bob_client, 0);
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));
  alice = start_watched (alice_client, arrived, received);
  wait.session = alice;

  /* She declines: the record comes, is not told and is not unread, live or after a sync. */
  ring_alice (bob_client, alice_client, TRUE);
  g_assert_true (engine_test_wait (conv_has_messages, &wait, ENGINE_TEST_TIMEOUT_MS));
  conv = confab_conversation_list_lookup (conversations_of (alice), "dm:alice:bob");
  wait.msg_id = confab_conversation_get_last_message_id (conv);
  engine_test_run_for (300);
  g_assert_cmpuint (alice_unread (alice), ==, 0);
  g_assert_cmpuint (arrived->len, ==, 0);

  stop_session (&alice);
  alice = start_watched (alice_client, arrived, received);
  wait.session = alice;
  engine_test_run_for (500);
  g_assert_cmpuint (alice_unread (alice), ==, 0);

  /* A call she missed is news. */
  ring_alice (bob_client, alice_client, FALSE);
  g_assert_true (engine_test_wait (conv_has_messages, &wait, ENGINE_TEST_TIMEOUT_MS));
  engine_test_run_for (300);
  g_assert_cmpuint (alice_unread (alice), ==, 1);
  stop_session (&alice);
  alice = start_watched (alice_client, arrived, received);
  engine_test_run_for (500);
  g_assert_cmpuint (alice_unread (alice), ==, 1);
  g_assert_cmpuint (arrived->len, ==, 0);

  stop_session (&alice);
  confab_client_stop (bob_client);
}

int
main (int    argc,
      char **argv)
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/client/session/exchange-and-outbox", test_exchange_and_outbox);
  g_test_add_func ("/confab/client/session/display-names", test_display_names);
  g_test_add_func ("/confab/client/session/sidebar-order", test_sidebar_order);
  g_test_add_func ("/confab/client/session/mute", test_mute);
  g_test_add_func ("/confab/client/session/edit-and-delete", test_edit_and_delete);
  g_test_add_func ("/confab/client/session/react", test_react);
  g_test_add_func ("/confab/client/session/retry-and-discard", test_retry_and_discard);
  g_test_add_func ("/confab/client/session/typing", test_typing);
  g_test_add_func ("/confab/client/session/notify-only-new", test_notify_only_new);
  g_test_add_func ("/confab/client/session/presence-from-start", test_presence_from_start);
  g_test_add_func ("/confab/client/session/declined-call", test_declined_call);

  return confab_test_run ();
}
