/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-keyring.h"
#include "confab-engine-test-util.h"

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)

static char *
lookup (const char  *server,
        const char  *username,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  confab_keyring_lookup_token_async (server, username, NULL, engine_test_async_cb, &result);
  return confab_keyring_lookup_token_finish (WAIT (result), error);
}

/* Runs under tests/run-with-keyring.sh: a private gnome-keyring on a private bus. */
static void
test_store_lookup_clear (void)
{
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *other = NULL;
  g_autofree char *gone = NULL;

  if (g_getenv ("CONFAB_KEYRING_INNER") == NULL)
    {
      g_test_skip ("needs tests/run-with-keyring.sh");
      return;
    }

  g_assert_null (lookup ("chat.example.com:7443", "alice", &error));
  g_assert_no_error (error);

  confab_keyring_store_token_async ("chat.example.com:7443", "alice", "secret-token-1", NULL,
                                    engine_test_async_cb, &r1);
  g_assert_true (confab_keyring_store_token_finish (WAIT (r1), &error));
  g_assert_no_error (error);
  /* Another account on the same server does not see it. */
  confab_keyring_store_token_async ("chat.example.com:7443", "bob", "secret-token-2", NULL,
                                    engine_test_async_cb, &r2);
  g_assert_true (confab_keyring_store_token_finish (WAIT (r2), &error));

  token = lookup ("chat.example.com:7443", "alice", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "secret-token-1");
  other = lookup ("other.example.com:7443", "alice", &error);
  g_assert_no_error (error);
  g_assert_null (other);

  confab_keyring_clear_token_async ("chat.example.com:7443", "alice", NULL,
                                    engine_test_async_cb, &r3);
  g_assert_true (confab_keyring_clear_token_finish (WAIT (r3), &error));
  g_assert_no_error (error);
  gone = lookup ("chat.example.com:7443", "alice", &error);
  g_assert_no_error (error);
  g_assert_null (gone);
  g_free (gone);
  gone = lookup ("chat.example.com:7443", "bob", &error);
  g_assert_cmpstr (gone, ==, "secret-token-2");
}

/* The secret service is gone: the UI gets the "no secret service" error to show. */
static void
test_no_service (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      confab_keyring_store_token_async ("chat.example.com:7443", "alice", "t", NULL,
                                        engine_test_async_cb, &result);
      g_assert_false (confab_keyring_store_token_finish (WAIT (result), &error));
      g_assert_error (error, CONFAB_KEYRING_ERROR, CONFAB_KEYRING_ERROR_NO_SERVICE);
      return;
    }

  /* A session bus address that leads nowhere. */
  {
    g_autofree char *socket = g_build_filename (engine_test_tmp_dir (), "no-bus", NULL);
    g_autofree char *address = g_strdup_printf ("unix:path=%s", socket);
    g_autofree char *saved = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));

    g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);
    g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
    if (saved != NULL)
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", saved, TRUE);
    else
      g_unsetenv ("DBUS_SESSION_BUS_ADDRESS");
    g_test_trap_assert_passed ();
  }
}

int
main (int    argc,
      char **argv)
{
  engine_test_init (&argc, &argv);

  g_test_add_func ("/confab/client/keyring/store-lookup-clear", test_store_lookup_clear);
  g_test_add_func ("/confab/client/keyring/no-service", test_no_service);

  return g_test_run ();
}
