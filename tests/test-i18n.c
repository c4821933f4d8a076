/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client speaks the user's language when run from the build tree (confab-local sets
 * CONFAB_LOCALEDIR to the build's po/ folder), also on a system whose locale is C, where gettext
 * alone would ignore LANGUAGE. Each case runs in a subprocess: the locale is process-wide. */
#include "config.h"

#include <glib/gi18n.h>

#include "confab-application.h"

static void
check_language (const char *language,
                const char *expected)
{
  g_unsetenv ("LC_ALL");
  g_unsetenv ("LC_MESSAGES");
  g_setenv ("LANG", "C", TRUE);
  g_setenv ("LANGUAGE", language, TRUE);
  g_setenv ("CONFAB_LOCALEDIR", g_test_get_filename (G_TEST_BUILT, "..", "po", NULL), TRUE);

  confab_application_setup_i18n ();

  g_assert_cmpstr (_("Sign in to this server"), ==, expected);
}

static void
test_language_from_build_tree (void)
{
  if (g_test_subprocess ())
    {
      check_language ("uk", "Увійти на цей сервер");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_russian_from_build_tree (void)
{
  if (g_test_subprocess ())
    {
      check_language ("ru", "Войти на этот сервер");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

static void
test_english_by_default (void)
{
  if (g_test_subprocess ())
    {
      check_language ("", "Sign in to this server");
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/i18n/ukrainian-from-build-tree", test_language_from_build_tree);
  g_test_add_func ("/confab/i18n/russian-from-build-tree", test_russian_from_build_tree);
  g_test_add_func ("/confab/i18n/english-by-default", test_english_by_default);
  return g_test_run ();
}
