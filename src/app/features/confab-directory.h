/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_DIRECTORY (confab_directory_get_type ())
G_DECLARE_FINAL_TYPE (ConfabDirectory, confab_directory, CONFAB, DIRECTORY, ConfabFeature)

/* The company directory: the server's directory_search. Nothing is stored. */
ConfabDirectory *confab_directory_new           (ConfabSession       *session);
ConfabDirectory *confab_directory_from_session  (ConfabSession       *session);

/* Searches by free text (@query: name, username, email, title, department) and the whole-value
 * filters @department, @title, @location; NULL or "" leaves one out. @limit 0 is the server's
 * default. */
void             confab_directory_search_async  (ConfabDirectory     *self,
                                                 const char          *query,
                                                 const char          *department,
                                                 const char          *title,
                                                 const char          *location,
                                                 guint                limit,
                                                 guint                offset,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* The hits as a GPtrArray of ConfabContact (the profiles feature's objects, brought up to date),
 * in the server's order; @total (may be NULL) is the number of every match. */
GPtrArray       *confab_directory_search_finish (ConfabDirectory     *self,
                                                 GAsyncResult        *result,
                                                 guint               *total,
                                                 GError             **error);

G_END_DECLS
