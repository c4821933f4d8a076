/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SEARCH (confab_search_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSearch, confab_search, CONFAB, SEARCH, ConfabFeature)

/* Full-text search of the messages of every conversation one is in (the server's search). */
ConfabSearch *confab_search_new             (ConfabSession        *session);
ConfabSearch *confab_search_from_session    (ConfabSession        *session);

/* Completes with the messages that match @query (in @conv only, unless NULL), newest first, at
 * most @limit (0: the server's default), as a GPtrArray of ConfabMessage. */
void          confab_search_messages_async  (ConfabSearch         *self,
                                             const char           *query,
                                             const char           *conv,
                                             guint                 limit,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GPtrArray    *confab_search_messages_finish (ConfabSearch         *self,
                                             GAsyncResult         *result,
                                             GError              **error);

G_END_DECLS
