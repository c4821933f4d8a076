/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_BROADCAST_PERMISSION "broadcast"

/* Announcements: the broadcast request and POST /v1/admin/broadcast. */
void confab_broadcast_register   (ConfabServer        *server);

/*
 * On any store that implements ConfabBroadcastStore, ConfabAccountStore and ConfabAuditStore;
 * both complete with confab_store_finish ().
 */

/* result {recipients, id}: @sender announces @body to @audience, an object with one of
 * {all: true}, {department: "…"}, {users: ["…"]} (checked by the caller for form). forbidden
 * unless @sender is an admin or holds the broadcast permission; not_found (and nothing sent)
 * if a listed user does not exist. One durable broadcast event {id, from, ts, body}, stored
 * once for all and department audiences. Each announcement is audited, with @address (the
 * sender's, may be NULL). */
void confab_broadcast_send_async (ConfabStore         *store,
                                  const char          *sender,
                                  const char          *address,
                                  const char          *body,
                                  JsonObject          *audience,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
/* result {}: grants (or withdraws) @username the broadcast permission; not_found. */
void confab_broadcast_grant_async (ConfabStore         *store,
                                   const char          *username,
                                   gboolean             granted,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);

G_END_DECLS
