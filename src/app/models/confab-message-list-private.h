/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-message-list.h"

G_BEGIN_DECLS

/* Used by ConfabSession, which routes stored events to the open lists. */
ConfabMessageList *confab_message_list_new             (ConfabCache       *cache,
                                                        ConfabClient      *client,
                                                        const char        *conv,
                                                        const char        *self_username);
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
