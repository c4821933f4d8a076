/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-connection.h"
#include "confab-router.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PRESENCE (confab_presence_get_type ())
G_DECLARE_FINAL_TYPE (ConfabPresence, confab_presence, CONFAB, PRESENCE, GObject)

/* Registers the presence and typing module with @server. */
void            confab_presence_register     (ConfabServer      *server);

/* On any store that implements ConfabProfileStore; each completes with confab_store_finish ().
 * peers: result {users: [username]}, everyone who shares a conversation with @username (DM
 * peers and room co-members), the audience of presence. last_seen_get: result
 * {last_seen: {username: ts}} for the users of @usernames that exist (others absent); ts is
 * -2 for those who block @viewer (nullable), whose presence @viewer may not see.
 * last_seen_set: result {}; records @ts as @username's last_seen. */
void            confab_presence_peers_async  (ConfabStore         *store,
                                              const char          *username,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
void            confab_presence_last_seen_get_async (ConfabStore         *store,
                                                     const char * const  *usernames,
                                                     const char          *viewer,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
void            confab_presence_last_seen_set_async (ConfabStore         *store,
                                                     const char          *username,
                                                     gint64               ts,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);

/* The presence module of @server, for modules that show presence (NULL before it registered). */
ConfabPresence *confab_presence_from_server  (ConfabServer      *server);
ConfabPresence *confab_presence_new          (ConfabStore       *store,
                                              ConfabRouter      *router);
void            confab_presence_connected    (ConfabPresence    *self,
                                              const char        *username);
void            confab_presence_disconnected (ConfabPresence    *self,
                                              const char        *username);
void            confab_presence_set          (ConfabPresence    *self,
                                              const char        *username,
                                              const char        *status,
                                              const char        *text);
JsonObject     *confab_presence_describe     (ConfabPresence    *self,
                                              const char        *username,
                                              gint64             stored_last_seen);
gboolean        confab_presence_is_online    (ConfabPresence    *self,
                                              const char        *username);
void            confab_presence_typing       (ConfabPresence    *self,
                                              const char        *username,
                                              const char        *conv,
                                              const char * const *recipients,
                                              gboolean           active);

G_END_DECLS
