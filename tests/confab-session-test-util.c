/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Signed-in sessions of the client's engine against the real confabd. */
#include "config.h"

#include "confab-client.h"
#include "confab-engine-test-util.h"
#include "confab-session-test-util.h"

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)

void
running_session_free (RunningSession *session)
{
  confab_session_stop (session);
  g_object_unref (session);
}

static gboolean
connected (gpointer data)
{
  return confab_client_get_state (confab_session_get_client (data))
         == CONFAB_CLIENT_STATE_CONNECTED;
}

ConfabClient *
signed_up_client (ConfabTestServer *server,
                  const char       *username,
                  const char       *display_name)
{
  ConfabClient *client = confab_client_new (confab_test_server_get_url (server));
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
  confab_client_set_backoff (client, 20, 200);
  return client;
}

ConfabSession *
start_session (ConfabClient *client)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabSession *session = confab_session_new (client);
  gboolean started;

  confab_session_start_async (session, NULL, engine_test_async_cb, &result);
  started = confab_session_start_finish (session, WAIT (result), &error);
  g_assert_no_error (error);
  g_assert_true (started);
  g_assert_true (engine_test_wait (connected, session, ENGINE_TEST_TIMEOUT_MS));
  return session;
}

ConfabSession *
signed_in_session (ConfabTestServer *server,
                   const char       *username,
                   const char       *display_name)
{
  g_autoptr(ConfabClient) client = signed_up_client (server, username, display_name);

  return start_session (client);
}
