/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "confab-auth.h"
#include "confab-config.h"
#include "confab-connection.h"
#include "confab-router.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SERVER (confab_server_get_type ())
G_DECLARE_FINAL_TYPE (ConfabServer, confab_server, CONFAB, SERVER, GObject)

ConfabServer       *confab_server_new                (ConfabConfig      *config,
                                                      GError           **error);
gboolean            confab_server_start              (ConfabServer      *self,
                                                      GError           **error);
void                confab_server_stop               (ConfabServer      *self);
const char         *confab_server_get_url            (ConfabServer      *self);
const ConfabConfig *confab_server_get_config         (ConfabServer      *self);
ConfabStore        *confab_server_get_store          (ConfabServer      *self);
ConfabAuth         *confab_server_get_auth           (ConfabServer      *self);
ConfabRouter       *confab_server_get_router         (ConfabServer      *self);
JsonObject         *confab_server_describe           (ConfabServer      *self);
void                confab_server_accept_stream      (ConfabServer      *self,
                                                      GIOStream         *stream,
                                                      GSocketAddress    *local,
                                                      GSocketAddress    *remote);
gboolean            confab_server_take_send_token    (ConfabServer      *self,
                                                      const char        *username,
                                                      gint64            *retry_after_ms);

/* For ConfabConnection. */
const char         *confab_server_request_type       (ConfabServer      *self,
                                                      const char        *type);
void                confab_server_record_request     (ConfabServer      *self,
                                                      const char        *type,
                                                      const char        *outcome,
                                                      gint64             elapsed_us);
void                confab_server_connection_closed  (ConfabServer      *self,
                                                      ConfabConnection  *connection);
gboolean            confab_server_dispatch           (ConfabServer      *self,
                                                      ConfabConnection  *connection,
                                                      const char        *type,
                                                      const char        *id,
                                                      JsonObject        *frame);
void                confab_server_session_started    (ConfabServer      *self,
                                                      ConfabConnection  *connection,
                                                      gboolean           first_of_user);
void                confab_server_describe_session   (ConfabServer      *self,
                                                      ConfabConnection  *connection,
                                                      JsonObject        *hello_result);

G_END_DECLS
