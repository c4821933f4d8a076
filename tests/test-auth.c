/* SPDX-License-Identifier: GPL-3.0-or-later */
/* confabd's Argon2 queue (src/server/core/confab-auth.c), in-process: which password check a
 * free thread takes next, and which is refused when too many wait. */
#include "config.h"

#include "confab-auth.h"
#include "confab-error.h"

#include <sodium.h>
#include <string.h>

#define OFFICE    "198.51.100.7"   /* one office behind one NAT address, the attacker too */
#define ELSEWHERE "203.0.113.20"

/* A hash made with far more work than the auth's own limits: verifying it keeps the only
 * thread busy while the test queues everything else behind it. */
static char *
slow_hash (const char *password)
{
  char out[crypto_pwhash_STRBYTES];

  g_assert_cmpint (crypto_pwhash_str_alg (out, password, strlen (password), 4, 64 * 1024 * 1024,
                                          crypto_pwhash_ALG_ARGON2ID13), ==, 0);
  return g_strdup (out);
}

static char *
fast_hash (const char *password)
{
  char out[crypto_pwhash_STRBYTES];

  g_assert_cmpint (crypto_pwhash_str_alg (out, password, strlen (password),
                                          crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                                          crypto_pwhash_ALG_ARGON2ID13), ==, 0);
  return g_strdup (out);
}

static ConfabAuth *
new_auth (guint max_waiting)
{
  /* One thread, so the order of the waiting checks is the order they are served in. */
  return confab_auth_new (crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                          5, 20, 30000, 1, max_waiting);
}

typedef struct
{
  GPtrArray *order;     /* names of the checks, as they finished */
  GPtrArray *outcome;   /* "ok", "wrong" or "refused", in the same order */
  guint      pending;
} Checks;

typedef struct
{
  Checks *checks;
  char   *name;
} Check;

static void
verify_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Check *check = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = confab_auth_verify_password_finish (CONFAB_AUTH (source), result, &error);

  if (error != NULL)
    g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAVAILABLE);
  g_ptr_array_add (check->checks->order, g_steal_pointer (&check->name));
  g_ptr_array_add (check->checks->outcome,
                   g_strdup (error != NULL ? "refused" : ok ? "ok" : "wrong"));
  check->checks->pending--;
  g_free (check);
}

static void
verify (ConfabAuth *auth,
        Checks     *checks,
        const char *name,
        const char *hash,
        const char *password,
        const char *username,
        const char *address)
{
  Check *check = g_new0 (Check, 1);

  check->checks = checks;
  check->name = g_strdup (name);
  checks->pending++;
  confab_auth_verify_password_async (auth, hash, password, username, address, NULL, verify_cb,
                                     check);
}

static void
wait_checks (Checks *checks)
{
  while (checks->pending > 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
checks_init (Checks *checks)
{
  checks->order = g_ptr_array_new_with_free_func (g_free);
  checks->outcome = g_ptr_array_new_with_free_func (g_free);
  checks->pending = 0;
}

static void
checks_clear (Checks *checks)
{
  g_ptr_array_unref (checks->order);
  g_ptr_array_unref (checks->outcome);
}

/* Where @name finished, or -1. */
static int
position (Checks     *checks,
          const char *name)
{
  for (guint i = 0; i < checks->order->len; i++)
    if (g_str_equal (g_ptr_array_index (checks->order, i), name))
      return i;
  return -1;
}

static const char *
outcome (Checks     *checks,
         const char *name)
{
  int i = position (checks, name);

  g_assert_cmpint (i, >=, 0);
  return g_ptr_array_index (checks->outcome, i);
}

/* An attacker guessing alice's password from the office address has already failed there, for
 * her and for many other names. His queued guesses go behind a colleague's check from the same
 * address (bob, who did not fail), and that one behind a check from an address with no
 * failures (carol at home); among equals, first come, first served. */
static void
test_queue_order (void)
{
  g_autoptr(ConfabAuth) auth = new_auth (64);
  g_autofree char *busy = slow_hash ("first in");
  g_autofree char *alice = fast_hash ("alice's password");
  g_autofree char *bob = fast_hash ("bob's password");
  g_autofree char *carol = fast_hash ("carol's password");
  Checks checks;

  checks_init (&checks);
  for (guint i = 0; i < 3; i++)
    confab_auth_login_failed (auth, "alice", OFFICE);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = g_strdup_printf ("user%u", i);

      confab_auth_login_failed (auth, name, OFFICE);
    }

  verify (auth, &checks, "first", busy, "first in", "dave", ELSEWHERE);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u", i);
      g_autofree char *guess = g_strdup_printf ("guess %u", i);

      verify (auth, &checks, name, alice, guess, "alice", OFFICE);
    }
  verify (auth, &checks, "bob", bob, "bob's password", "bob", OFFICE);
  verify (auth, &checks, "carol", carol, "carol's password", "carol", ELSEWHERE);
  wait_checks (&checks);

  g_assert_cmpuint (checks.order->len, ==, 11);
  g_assert_cmpint (position (&checks, "first"), ==, 0);
  g_assert_cmpint (position (&checks, "carol"), ==, 1);
  g_assert_cmpint (position (&checks, "bob"), ==, 2);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u", i);

      g_assert_cmpint (position (&checks, name), ==, 3 + i);
      g_assert_cmpstr (outcome (&checks, name), ==, "wrong");
    }
  g_assert_cmpstr (outcome (&checks, "first"), ==, "ok");
  g_assert_cmpstr (outcome (&checks, "bob"), ==, "ok");
  g_assert_cmpstr (outcome (&checks, "carol"), ==, "ok");
  checks_clear (&checks);
}

/* With `argon2_max_waiting` checks waiting, one more refuses the check that would run last: a
 * colleague's check pushes out the attacker's last guess, and a further guess is refused
 * itself, at once, while the thread is still busy. */
static void
test_queue_cap (void)
{
  g_autoptr(ConfabAuth) auth = new_auth (4);
  g_autofree char *busy = slow_hash ("first in");
  g_autofree char *alice = fast_hash ("alice's password");
  g_autofree char *bob = fast_hash ("bob's password");
  Checks checks;

  checks_init (&checks);
  for (guint i = 0; i < 3; i++)
    confab_auth_login_failed (auth, "alice", OFFICE);

  verify (auth, &checks, "first", busy, "first in", "dave", ELSEWHERE);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u", i);

      verify (auth, &checks, name, alice, "wrong", "alice", OFFICE);
    }
  g_assert_cmpuint (checks.order->len, ==, 0);
  verify (auth, &checks, "bob", bob, "bob's password", "bob", OFFICE);
  verify (auth, &checks, "guess4", alice, "wrong", "alice", OFFICE);
  wait_checks (&checks);

  g_assert_cmpuint (checks.order->len, ==, 7);
  /* The two refusals come before the busy check ends. */
  g_assert_cmpstr (g_ptr_array_index (checks.order, 0), ==, "guess3");
  g_assert_cmpstr (g_ptr_array_index (checks.outcome, 0), ==, "refused");
  g_assert_cmpstr (g_ptr_array_index (checks.order, 1), ==, "guess4");
  g_assert_cmpstr (g_ptr_array_index (checks.outcome, 1), ==, "refused");
  g_assert_cmpstr (g_ptr_array_index (checks.order, 2), ==, "first");
  g_assert_cmpstr (g_ptr_array_index (checks.order, 3), ==, "bob");
  g_assert_cmpstr (outcome (&checks, "bob"), ==, "ok");
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u", i);

      g_assert_cmpint (position (&checks, name), ==, 4 + i);
      g_assert_cmpstr (outcome (&checks, name), ==, "wrong");
    }
  checks_clear (&checks);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/confab/auth/queue-order", test_queue_order);
  g_test_add_func ("/confab/auth/queue-cap", test_queue_cap);
  return g_test_run ();
}
