/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-engine-test-util.h"
#include "confab-fs.h"

#include <glib/gstdio.h>
#include <stdlib.h>

static char *tmp_dir;

static void
cleanup (void)
{
  if (tmp_dir != NULL && g_getenv ("CONFAB_TEST_KEEP") == NULL)
    confab_fs_remove_tree (tmp_dir);
}

void
engine_test_init (int    *argc,
                  char ***argv)
{
  static const char * const dirs[][2] = {
    { "HOME", "home" },
    { "XDG_DATA_HOME", "data" },
    { "XDG_CONFIG_HOME", "config" },
    { "XDG_CACHE_HOME", "cache" },
    { "XDG_STATE_HOME", "state" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *runtime = NULL;

  /* A keyring wrapper may already have set up HOME and XDG_* (and the daemon uses them). */
  if (g_getenv ("CONFAB_TEST_ENV_READY") == NULL)
    {
      tmp_dir = g_dir_make_tmp ("confab-engine-XXXXXX", &error);
      g_assert_no_error (error);
      for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
        {
          g_autofree char *path = g_build_filename (tmp_dir, dirs[i][1], NULL);

          g_mkdir_with_parents (path, 0700);
          g_setenv (dirs[i][0], path, TRUE);
        }
      runtime = g_build_filename (tmp_dir, "runtime", NULL);
      g_mkdir_with_parents (runtime, 0700);
      g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
      atexit (cleanup);
    }
  else
    tmp_dir = g_strdup (g_getenv ("HOME"));

  g_test_init (argc, argv, NULL);
}

const char *
engine_test_tmp_dir (void)
{
  return tmp_dir;
}

char *
engine_test_new_dir (const char *prefix)
{
  static guint counter;
  char *path = g_strdup_printf ("%s/%s-%u", tmp_dir, prefix, ++counter);

  g_mkdir_with_parents (path, 0700);
  return path;
}

static gboolean
tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
engine_test_wait (EngineTestCondition condition,
                  gpointer            user_data,
                  guint               timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      /* A short timer so the loop wakes up to check the deadline even when idle. */
      {
        guint source = g_timeout_add (10, tick, NULL);

        g_main_context_iteration (NULL, TRUE);
        g_source_remove (source);
      }
    }
  return TRUE;
}

static gboolean
flag_set (gpointer data)
{
  return *(const gboolean *) data;
}

gboolean
engine_test_wait_flag (const gboolean *flag,
                       guint           timeout_ms)
{
  return engine_test_wait (flag_set, (gpointer) flag, timeout_ms);
}

typedef struct
{
  const guint *counter;
  guint        at_least;
} CounterWait;

static gboolean
counter_reached (gpointer data)
{
  CounterWait *wait = data;

  return *wait->counter >= wait->at_least;
}

gboolean
engine_test_wait_uint (const guint *counter,
                       guint        at_least,
                       guint        timeout_ms)
{
  CounterWait wait = { counter, at_least };

  return engine_test_wait (counter_reached, &wait, timeout_ms);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

void
engine_test_run_for (guint ms)
{
  engine_test_wait (never, NULL, ms);
}

void
engine_test_async_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static gboolean
result_ready (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

GAsyncResult *
engine_test_wait_result (GAsyncResult **result,
                         guint          timeout_ms)
{
  if (!engine_test_wait (result_ready, result, timeout_ms))
    g_error ("timed out waiting for an async result");
  return *result;
}
