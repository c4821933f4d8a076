/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-directory-store.h"

G_BEGIN_DECLS

/* The company directory: directory_search. */
void confab_directory_register     (ConfabServer               *server);

/* On any store that implements ConfabDirectoryStore; completes with confab_store_finish ().
 * result {users, total}. @query is copied. */
void confab_directory_search_async (ConfabStore                *store,
                                    const ConfabDirectoryQuery *query,
                                    GCancellable               *cancellable,
                                    GAsyncReadyCallback         callback,
                                    gpointer                    user_data);

G_END_DECLS
