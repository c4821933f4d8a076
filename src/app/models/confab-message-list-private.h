/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-message-list.h"
#include "confab-types.h"

G_BEGIN_DECLS

/* How a list reads what lies before its oldest message once the cache has no more: @fetch asks
 * for up to @limit messages before @before (0: the newest) and completes, through
 * @fetch_finish, with the server's history reply ({messages, has_more}) or an error (offline). */
typedef void        (*ConfabMessageListFetch)       (GObject              *source,
                                                     const char           *conv,
                                                     gint64                before,
                                                     guint                 limit,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
typedef JsonObject *(*ConfabMessageListFetchFinish) (GObject              *source,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Used by ConfabMessaging, which routes stored events to the open lists and answers their
 * history requests. Without a history source a list reads the cache only. */
ConfabMessageList *confab_message_list_new             (ConfabCache       *cache,
                                                        const char        *conv,
                                                        const char        *self_username);
/* @source is held weakly. */
void               confab_message_list_set_history_source (ConfabMessageList            *self,
                                                           GObject                      *source,
                                                           ConfabMessageListFetch        fetch,
                                                           ConfabMessageListFetchFinish  fetch_finish);
/* A stored message (new, edited or the server's copy of a pending one). */
void               confab_message_list_add_json        (ConfabMessageList *self,
                                                        JsonObject        *msg);
void               confab_message_list_add_pending     (ConfabMessageList *self,
                                                        ConfabMessage     *msg);
ConfabMessage     *confab_message_list_lookup_pending  (ConfabMessageList *self,
                                                        const char        *client_msg_id);
void               confab_message_list_remove_pending  (ConfabMessageList *self,
                                                        const char        *client_msg_id);
void               confab_message_list_set_deleted     (ConfabMessageList *self,
                                                        gint64             msg_id);
void               confab_message_list_set_reaction    (ConfabMessageList *self,
                                                        gint64             msg_id,
                                                        const char        *user,
                                                        const char        *emoji,
                                                        gboolean           on);
/* Own messages up to @msg_id become "read". */
void               confab_message_list_set_peer_read   (ConfabMessageList *self,
                                                        gint64             msg_id);

G_END_DECLS
