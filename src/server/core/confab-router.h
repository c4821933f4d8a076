/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "confab-store.h"

G_BEGIN_DECLS

typedef struct _ConfabConnection ConfabConnection;

#define CONFAB_TYPE_ROUTER (confab_router_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRouter, confab_router, CONFAB, ROUTER, GObject)

ConfabRouter *confab_router_new             (void);
gboolean      confab_router_add             (ConfabRouter      *self,
                                             ConfabConnection  *connection);
gboolean      confab_router_remove          (ConfabRouter      *self,
                                             ConfabConnection  *connection);
guint         confab_router_count_user      (ConfabRouter      *self,
                                             const char        *username);
guint         confab_router_count           (ConfabRouter      *self);
/* How many users have at least one connection. */
guint         confab_router_count_users     (ConfabRouter      *self);
guint64       confab_router_count_sent      (ConfabRouter      *self,
                                             gboolean           durable);
void          confab_router_deliver         (ConfabRouter      *self,
                                             ConfabStoreEvent  *event,
                                             ConfabConnection  *except);
void          confab_router_send_to_user    (ConfabRouter      *self,
                                             const char        *username,
                                             GBytes            *frame,
                                             ConfabConnection  *except);
void          confab_router_send_to_user_but_device (ConfabRouter *self,
                                                     const char   *username,
                                                     const char   *except_device,
                                                     GBytes       *frame);
gboolean      confab_router_send_to_device  (ConfabRouter      *self,
                                             const char        *username,
                                             const char        *device_id,
                                             GBytes            *frame);
gboolean      confab_router_device_online   (ConfabRouter      *self,
                                             const char        *username,
                                             const char        *device_id);
void          confab_router_close_device    (ConfabRouter      *self,
                                             const char        *device_id,
                                             gushort            code,
                                             const char        *reason);
void          confab_router_close_user      (ConfabRouter      *self,
                                             const char        *username,
                                             gushort            code,
                                             const char        *reason);
void          confab_router_close_all       (ConfabRouter      *self,
                                             gushort            code,
                                             const char        *reason);

G_END_DECLS
