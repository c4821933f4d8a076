/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_SQLITE_STORE_DEFAULT_RETENTION_DAYS  30
#define CONFAB_SQLITE_STORE_DEFAULT_USER_EVENT_CAP  100000

#define CONFAB_TYPE_SQLITE_STORE (confab_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSqliteStore, confab_sqlite_store, CONFAB, SQLITE_STORE, GObject)

ConfabSqliteStore *confab_sqlite_store_new           (const char          *path,
                                                      GError             **error);
void               confab_sqlite_store_set_retention (ConfabSqliteStore   *self,
                                                      guint                days,
                                                      guint                per_user_cap);
/* Runs the event retention step now (it also runs by itself from time to time); completes
 * with confab_store_finish (). */
void               confab_sqlite_store_prune_async   (ConfabSqliteStore   *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);

G_END_DECLS
