/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-session.h"
#include "confab-engine-test-util.h"

#include <glib-unix.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

/* Sessions against the real confabd ($CONFABD), started on 127.0.0.1 with a temp data dir. */

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)

typedef struct
{
  char       *data_dir;
  char       *url;
  guint       port;
  GSubprocess *process;
} Server;

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
server_start (Server *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *listen = g_strdup_printf ("127.0.0.1:%u", server->port);
  g_autofree char *line = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  /* If this test dies, the server goes with it. */
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawn (launcher, &error,
                                                 g_getenv ("CONFABD"), "--data-dir",
                                                 server->data_dir, "--listen", listen, "--plain",
                                                 "--registration", "open", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  /* The server prints its URL once it listens; reading the line is the readiness wait. */
  while ((line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error)) != NULL)
    {
      if (g_str_has_prefix (line, "listening on "))
        break;
      g_clear_pointer (&line, g_free);
    }
  g_assert_no_error (error);
  g_assert_nonnull (line);
  if (server->url == NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (line + strlen ("listening on "), G_URI_FLAGS_NONE,
                                         &error);

      g_assert_no_error (error);
      server->port = g_uri_get_port (uri);
      server->url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
    }
}

static void
server_stop (Server *server)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&server->process);
}

static Server *
server_new (void)
{
  Server *server = g_new0 (Server, 1);

  server->data_dir = engine_test_new_dir ("confabd");
  server_start (server);
  return server;
}

static void
server_free (Server *server)
{
  if (server->process != NULL)
    server_stop (server);
  g_free (server->data_dir);
  g_free (server->url);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static ConfabClient *
sign_up_named (Server     *server,
               const char *username,
               const char *display_name)
{
  ConfabClient *client = confab_client_new (server->url);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  confab_client_register_async (client, username, "correct horse battery", display_name, NULL,
                                NULL, engine_test_async_cb, &r1);
  user = confab_client_register_finish (client, WAIT (r1), &error);
  g_assert_no_error (error);
  confab_client_login_async (client, username, "correct horse battery", "test", NULL,
                             engine_test_async_cb, &r2);
  g_assert_true (confab_client_login_finish (client, WAIT (r2), &error));
  g_assert_no_error (error);
  confab_client_set_backoff (client, 20, 200);
  return client;
}

static ConfabClient *
sign_up (Server     *server,
         const char *username)
{
  return sign_up_named (server, username, NULL);
}

static ConfabSession *
start_session (ConfabClient *client)
{
  ConfabSession *session = confab_session_new (client);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  confab_session_start_async (session, NULL, engine_test_async_cb, &result);
  g_assert_true (confab_session_start_finish (session, WAIT (result), &error));
  g_assert_no_error (error);
  return session;
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
on_message_received (ConfabSession      *session,
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

  confab_session_send_message_async (session, conv, body, NULL, 0, NULL, engine_test_async_cb,
                                     &result);
  msg = confab_session_send_message_finish (session, WAIT (result), &error);
  g_assert_no_error (error);
  return msg;
}

static void
test_exchange_and_outbox (void)
{
  g_autoptr(Server) server = NULL;
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

  if (g_getenv ("CONFABD") == NULL || !g_file_test (g_getenv ("CONFABD"), G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("CONFABD is not set to a confabd executable");
      return;
    }

  server = server_new ();
  alice_client = sign_up (server, "alice");
  bob_client = sign_up (server, "bob");
  alice = start_session (alice_client);
  bob = start_session (bob_client);
  g_signal_connect (bob, "message-received", G_CALLBACK (on_message_received), bob_got);
  g_assert_true (engine_test_wait (client_connected, alice_client, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));

  /* Alice starts a DM by username and writes. */
  confab_session_start_dm_async (alice, "Bob", NULL, engine_test_async_cb, &dm_result);
  dm = confab_session_start_dm_finish (alice, WAIT (dm_result), &error);
  g_assert_no_error (error);
  conv = confab_conversation_get_conv (dm);
  g_assert_cmpstr (conv, ==, "dm:alice:bob");

  alice_list = confab_session_get_messages (alice, conv);
  first = send_text (alice, conv, "hello bob");
  g_assert_true (engine_test_wait (all_sent, alice_list, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_message_get_state (first), ==, CONFAB_MESSAGE_STATE_SENT);
  g_assert_cmpint (confab_message_get_id (first), >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (alice_list)), ==, 1);

  g_assert_true (engine_test_wait_uint (&bob_got->len, 1, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (g_ptr_array_index (bob_got, 0), ==, "hello bob");
  bob_conv = confab_conversation_list_lookup (confab_session_get_conversations (bob), conv);
  g_assert_nonnull (bob_conv);
  g_assert_true (engine_test_wait (unread_is_one, bob_conv, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (confab_session_get_unread_count (bob), ==, 1);
  bob_list = confab_session_get_messages (bob, conv);
  g_assert_true (wait_n_items (bob_list, 1));

  /* The server goes away; alice keeps writing into the outbox. */
  server_stop (server);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("offline %u", i);
      g_autoptr(ConfabMessage) msg = send_text (alice, conv, body);

      g_assert_cmpint (confab_message_get_state (msg), ==, CONFAB_MESSAGE_STATE_SENDING);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (alice_list)), ==, 4);

  /* Back on the same port: the outbox goes out in order, each message once. */
  server_start (server);
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
    confab_conversation_list_lookup (confab_session_get_conversations (wait->session),
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
                      confab_session_get_contact (wait->session, "bob")), wait->title) == 0;
}

static void
test_display_names (void)
{
  g_autoptr(Server) server = NULL;
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

  server = server_new ();
  alice_client = sign_up (server, "alice");
  bob_client = sign_up_named (server, "bob", "Bob Smith");

  /* Bob writes first: alice learns about him only from the server. */
  bob = start_session (bob_client);
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));
  bob_list = confab_session_get_messages (bob, "dm:alice:bob");
  sent = send_text (bob, "dm:alice:bob", "hi alice");
  g_assert_true (engine_test_wait (all_sent, bob_list, ENGINE_TEST_TIMEOUT_MS));

  alice = start_session (alice_client);
  wait.session = alice;
  g_assert_true (engine_test_wait (title_is, &wait, ENGINE_TEST_TIMEOUT_MS));
  alice_list = confab_session_get_messages (alice, "dm:alice:bob");
  g_assert_true (wait_n_items (alice_list, 1));
  received = g_list_model_get_item (G_LIST_MODEL (alice_list), 0);
  g_assert_cmpstr (confab_message_get_sender (received), ==, "bob");
  sender = confab_session_get_contact (alice, confab_message_get_sender (received));
  /* The whole profile comes with profile_get, not only the conversation's title. */
  g_assert_true (engine_test_wait (profile_fetched, sender, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_contact_get_display_name (sender), ==, "Bob Smith");

  /* Bob renames himself: alice's sidebar and his messages follow at once. */
  json_object_set_string_member (fields, "display_name", "Robert Smith");
  confab_session_update_profile_async (bob, fields, NULL, engine_test_async_cb,
                                       &update_result);
  updated = confab_session_profile_finish (bob, WAIT (update_result), &error);
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
  GListModel *model = G_LIST_MODEL (confab_session_get_conversations (wait->session));
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
  g_autoptr(Server) server = NULL;
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

  server = server_new ();
  alice_client = sign_up (server, "alice");
  /* Bob, then carol, then dave write to alice, each after the one before was stored. */
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(ConfabSession) session = NULL;
      g_autoptr(ConfabMessageList) sent_list = NULL;
      g_autoptr(ConfabMessage) msg = NULL;
      g_autofree char *conv = g_strdup_printf ("dm:alice:%s", names[i]);

      g_ptr_array_add (others, sign_up (server, names[i]));
      session = start_session (others->pdata[i]);
      g_assert_true (engine_test_wait (client_connected, others->pdata[i],
                                       ENGINE_TEST_TIMEOUT_MS));
      sent_list = confab_session_get_messages (session, conv);
      msg = send_text (session, conv, "hello");
      g_assert_true (engine_test_wait (all_sent, sent_list, ENGINE_TEST_TIMEOUT_MS));
      confab_session_stop (session);
    }

  alice = start_session (alice_client);
  wait.session = alice;
  g_assert_true (engine_test_wait (order_is, &wait, ENGINE_TEST_TIMEOUT_MS));

  /* Opening the oldest conversation and reading it leaves it where it is. */
  bob_conv = confab_conversation_list_lookup (confab_session_get_conversations (alice),
                                              "dm:alice:bob");
  list = confab_session_get_messages (alice, "dm:alice:bob");
  g_assert_true (wait_n_items (list, 1));
  last = g_list_model_get_item (G_LIST_MODEL (list), 0);
  confab_session_mark_read_async (alice, "dm:alice:bob", confab_message_get_id (last), NULL,
                                  engine_test_async_cb, &read_result);
  g_assert_true (confab_session_request_finish (alice, WAIT (read_result), &error));
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
  g_autoptr(Server) server = NULL;
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

  server = server_new ();
  alice_client = sign_up (server, "alice");
  bob_client = sign_up (server, "bob");
  bob = start_session (bob_client);
  g_assert_true (engine_test_wait (client_connected, bob_client, ENGINE_TEST_TIMEOUT_MS));
  bob_list = confab_session_get_messages (bob, "dm:alice:bob");
  msg = send_text (bob, "dm:alice:bob", "are you there?");
  g_assert_true (engine_test_wait (all_sent, bob_list, ENGINE_TEST_TIMEOUT_MS));

  alice = start_session (alice_client);
  g_assert_true (engine_test_wait (client_connected, alice_client, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (wait_n_items (confab_session_get_conversations (alice), 1));
  item = confab_conversation_list_lookup (confab_session_get_conversations (alice),
                                          "dm:alice:bob");
  g_assert_true (engine_test_wait (unread_is_one, item, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (confab_session_get_unread_count (alice), ==, 1);

  /* Muting shows at once, leaves the total, and is kept with the conversation. */
  confab_session_set_muted_async (alice, "dm:alice:bob", TRUE, NULL, engine_test_async_cb,
                                  &mute_result);
  g_assert_true (confab_conversation_get_muted (item));
  g_assert_cmpuint (confab_session_get_unread_count (alice), ==, 0);
  g_assert_true (confab_session_set_muted_finish (alice, WAIT (mute_result), &error));
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

int
main (int    argc,
      char **argv)
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/confab/client/session/exchange-and-outbox", test_exchange_and_outbox);
  g_test_add_func ("/confab/client/session/display-names", test_display_names);
  g_test_add_func ("/confab/client/session/sidebar-order", test_sidebar_order);
  g_test_add_func ("/confab/client/session/mute", test_mute);

  return g_test_run ();
}
