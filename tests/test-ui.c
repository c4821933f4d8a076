/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client's windows under Xvfb against a real confabd: sign-up and sign-in through the
 * sign-in page, a conversation with a second user on a raw WebSocket, the unread badge, and
 * the outbox while the server is down. */
#include "config.h"

#include <adwaita.h>

#include "confab-application.h"
#include "confab-conversation-view-private.h"
#include "confab-session.h"
#include "confab-test-util.h"
#include "confab-window.h"

typedef struct
{
  ConfabTestServer  *server;
  ConfabApplication *app;
  ConfabWindow      *window;
  ConfabTestUser    *bob;
  ConfabTestClient  *bob_ws;
} Fixture;

static Fixture fx;

/* Without a GPU (no DRM device at all here) the window draws with cairo and OpenGL, which
 * would be Mesa's llvmpipe, is never loaded. */
static void
test_renderer_without_gpu (void)
{
  g_autofree char *maps = NULL;
  GskRenderer *renderer;

  if (g_file_test ("/dev/dri", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("this machine may have a GPU");
      return;
    }

  renderer = gtk_native_get_renderer (GTK_NATIVE (fx.window));
  g_assert_nonnull (renderer);
  g_assert_true (GSK_IS_CAIRO_RENDERER (renderer));

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  g_assert_null (strstr (maps, "libLLVM"));
  g_assert_null (strstr (maps, "_dri.so"));
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, address, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
page_is (gpointer user_data)
{
  return g_strcmp0 (confab_window_get_page (fx.window), user_data) == 0;
}

static gboolean
client_connected (gpointer user_data)
{
  ConfabSession *session = confab_window_get_session (fx.window);

  return session != NULL
         && confab_client_get_state (confab_session_get_client (session))
            == CONFAB_CLIENT_STATE_CONNECTED;
}

static gboolean
client_not_connected (gpointer user_data)
{
  return !client_connected (NULL);
}

static ConfabConversation *
lookup_conv (const char *conv)
{
  ConfabSession *session = confab_window_get_session (fx.window);

  if (session == NULL)
    return NULL;
  return confab_conversation_list_lookup (confab_session_get_conversations (session), conv);
}

static gboolean
conv_has_unread (gpointer user_data)
{
  ConfabConversation *conv = lookup_conv (user_data);

  return conv != NULL && confab_conversation_get_unread (conv) >= 1;
}

static void
test_register_and_sign_in (void)
{
  ConfabSigninPage *page = confab_window_get_signin_page (fx.window);

  g_assert_cmpstr (confab_window_get_page (fx.window), ==, "signin");

  confab_signin_page_set_server (page, confab_test_server_get_url (fx.server));
  confab_signin_page_set_create_account (page, TRUE);
  confab_signin_page_set_username (page, "ann");
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                      CONFAB_TYPE_SIGNIN_PAGE,
                                                                      "display_name_row")),
                         "Ann Example");
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                      CONFAB_TYPE_SIGNIN_PAGE,
                                                                      "password_row")),
                         "correct horse battery");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "signin.submit", NULL));

  g_assert_true (confab_test_wait_until (page_is, (gpointer) "main", CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (client_connected, NULL, CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_session_get_username (confab_window_get_session (fx.window)), ==,
                   "ann");
}

static void
test_exchange_and_unread (void)
{
  ConfabConversationView *view = confab_window_get_conversation_view (fx.window);
  g_autoptr(JsonObject) event = NULL;
  JsonObject *msg;

  fx.bob = confab_test_user_new (fx.server, "bob");
  fx.bob_ws = confab_test_client_new (fx.server, fx.bob->token, 0);

  /* An incoming message raises the unread badge of a conversation that is not open. */
  confab_test_client_call_ok (fx.bob_ws, "send",
                              "{\"conv\":\"dm:ann:bob\",\"client_msg_id\":\"b1\","
                              "\"body\":\"Hi Ann\"}");
  g_assert_true (confab_test_wait_until (conv_has_unread, (gpointer) "dm:ann:bob",
                                         CONFAB_TEST_TIMEOUT_MS));

  confab_window_open_conversation (fx.window, "dm:ann:bob");
  g_assert_true (confab_conversation_view_get_conversation (view) == lookup_conv ("dm:ann:bob"));

  confab_conversation_view_set_draft (view, "Hello Bob");
  confab_conversation_view_send (view);

  event = confab_test_client_wait_event (fx.bob_ws, "message", CONFAB_TEST_TIMEOUT_MS);
  g_assert_nonnull (event);
  msg = json_object_get_object_member (json_object_get_object_member (event, "data"), "msg");
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "Hello Bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "ann");
}

static ConfabMessageList *
open_messages (void)
{
  return confab_session_get_messages (confab_window_get_session (fx.window), "dm:ann:bob");
}

static gboolean
last_three_sent (gpointer user_data)
{
  GListModel *model = G_LIST_MODEL (open_messages ());
  guint n = g_list_model_get_n_items (model);

  if (n < 3)
    return FALSE;
  for (guint i = n - 3; i < n; i++)
    {
      g_autoptr(ConfabMessage) m = g_list_model_get_item (model, i);

      if (confab_message_get_state (m) == CONFAB_MESSAGE_STATE_SENDING)
        return FALSE;
    }
  return TRUE;
}

static void
test_outbox_while_offline (void)
{
  ConfabConversationView *view = confab_window_get_conversation_view (fx.window);
  GListModel *model;
  g_autoptr(GPtrArray) events = NULL;
  const char *bodies[] = { "one", "two", "three" };
  guint n, seen = 0;

  confab_test_server_stop (fx.server);
  g_assert_true (confab_test_wait_until (client_not_connected, NULL, CONFAB_TEST_TIMEOUT_MS));

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      confab_conversation_view_set_draft (view, bodies[i]);
      confab_conversation_view_send (view);
    }
  confab_test_drain (50);

  model = G_LIST_MODEL (open_messages ());
  n = g_list_model_get_n_items (model);
  g_assert_cmpuint (n, >=, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(ConfabMessage) m = g_list_model_get_item (model, n - 3 + i);

      g_assert_cmpstr (confab_message_get_body (m), ==, bodies[i]);
      g_assert_cmpint (confab_message_get_state (m), ==, CONFAB_MESSAGE_STATE_SENDING);
    }

  /* Same port, same data: the client reconnects by itself. */
  confab_test_server_start (fx.server);
  confab_test_client_free (fx.bob_ws);
  fx.bob_ws = confab_test_client_new (fx.server, fx.bob->token, 0);

  g_assert_true (confab_test_wait_until (client_connected, NULL, 30000));
  g_assert_true (confab_test_wait_until (last_three_sent, NULL, CONFAB_TEST_TIMEOUT_MS));

  /* Bob's history holds each of them exactly once, in order. */
  {
    g_autoptr(JsonObject) result = confab_test_client_call_ok (fx.bob_ws, "history",
                                                               "{\"conv\":\"dm:ann:bob\","
                                                               "\"limit\":200}");
    JsonArray *messages = json_object_get_array_member (result, "messages");

    for (guint i = 0; i < json_array_get_length (messages); i++)
      {
        JsonObject *m = json_array_get_object_element (messages, i);
        const char *body = json_object_get_string_member (m, "body");

        for (guint j = 0; j < G_N_ELEMENTS (bodies); j++)
          if (g_strcmp0 (body, bodies[j]) == 0)
            {
              g_assert_cmpuint (j, ==, seen);
              seen++;
            }
      }
  }
  g_assert_cmpuint (seen, ==, 3);
  (void) events;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *listen = NULL;
  const char *extra[5];
  int ret;

  confab_test_init (&argc, &argv);
  /* As confab's main () does. */
  confab_application_choose_renderer ();
  gtk_init ();
  adw_init ();

  listen = g_strdup_printf ("127.0.0.1:%u", free_port ());
  extra[0] = "--listen";
  extra[1] = listen;
  extra[2] = "--registration";
  extra[3] = "open";
  extra[4] = NULL;
  fx.server = confab_test_server_new (extra, NULL);

  /* Desktop notifications need a notification server on the session bus, which Xvfb runs
   * lack; the notification path is left out here. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);

    g_settings_set_boolean (settings, "notifications", FALSE);
  }

  fx.app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (fx.app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  g_assert_true (g_application_register (G_APPLICATION (fx.app), NULL, NULL));
  g_application_activate (G_APPLICATION (fx.app));
  fx.window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (fx.app)));
  g_assert_nonnull (fx.window);
  g_assert_true (confab_test_wait_until (page_is, (gpointer) "signin", CONFAB_TEST_TIMEOUT_MS));

  g_test_add_func ("/confab/ui/renderer-without-gpu", test_renderer_without_gpu);
  g_test_add_func ("/confab/ui/register-and-sign-in", test_register_and_sign_in);
  g_test_add_func ("/confab/ui/exchange-and-unread", test_exchange_and_unread);
  g_test_add_func ("/confab/ui/outbox-while-offline", test_outbox_while_offline);
  ret = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (fx.window));
  g_clear_pointer (&fx.bob_ws, confab_test_client_free);
  g_clear_pointer (&fx.bob, confab_test_user_free);
  g_clear_pointer (&fx.server, confab_test_server_free);
  g_clear_object (&fx.app);
  return ret;
}
