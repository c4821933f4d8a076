/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Points HOME and XDG_* at a fresh temp dir (removed at exit) and runs g_test_init. */
void         engine_test_init        (int          *argc,
                                      char       ***argv);
const char  *engine_test_tmp_dir     (void);
/* A new empty directory under the temp dir. */
char        *engine_test_new_dir     (const char   *prefix);

typedef gboolean (*EngineTestCondition) (gpointer user_data);

/* Iterates the default main context until @condition holds or @timeout_ms pass. */
gboolean     engine_test_wait        (EngineTestCondition condition,
                                      gpointer            user_data,
                                      guint               timeout_ms);
gboolean     engine_test_wait_flag   (const gboolean     *flag,
                                      guint               timeout_ms);
gboolean     engine_test_wait_uint   (const guint        *counter,
                                      guint               at_least,
                                      guint               timeout_ms);
/* Keeps the main loop running for @ms to let anything unwanted show up (used only to check
 * that something does NOT happen). */
void         engine_test_run_for     (guint               ms);
/* Waits for a GAsyncResult: give engine_test_async_cb and &result as callback/user data. */
void         engine_test_async_cb    (GObject            *object,
                                      GAsyncResult       *result,
                                      gpointer            user_data);
GAsyncResult *engine_test_wait_result (GAsyncResult     **result,
                                       guint              timeout_ms);

#define ENGINE_TEST_TIMEOUT_MS 10000

G_END_DECLS
