/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _ConfabServer ConfabServer;

#define CONFAB_TYPE_CONNECTION (confab_connection_get_type ())
G_DECLARE_FINAL_TYPE (ConfabConnection, confab_connection, CONFAB, CONNECTION, GObject)

/* WebSocket close codes of the protocol beyond RFC 6455's. */
#define CONFAB_CLOSE_UNAUTHORIZED   4401
#define CONFAB_CLOSE_HELLO_TIMEOUT  4408
#define CONFAB_CLOSE_SLOW_READER    4413

ConfabConnection *confab_connection_new           (ConfabServer            *server,
                                                   SoupWebsocketConnection *ws,
                                                   const char              *address);
ConfabConnection *confab_connection_new_upgraded  (ConfabServer            *server,
                                                   SoupServerMessage       *msg);
const char       *confab_connection_get_username  (ConfabConnection        *self);
const char       *confab_connection_get_device_id (ConfabConnection        *self);
void              confab_connection_deliver       (ConfabConnection        *self,
                                                   gint64                   seq,
                                                   GBytes                  *frame);
/* Events fetched for the hello replay, or held back during it, not sent yet. */
guint             confab_connection_get_replay_backlog (ConfabConnection *self);
void              confab_connection_drop_if_silent (ConfabConnection       *self,
                                                    gint64                  now_us);
void              confab_connection_close         (ConfabConnection        *self,
                                                   gushort                  code,
                                                   const char              *reason);

G_END_DECLS
