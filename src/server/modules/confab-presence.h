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
