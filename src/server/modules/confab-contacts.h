/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* Contacts: a contact list whose additions need the other side's consent, groups, blocks. */
void confab_contacts_register       (ConfabServer        *server);

/*
 * The operations, on any store that implements ConfabContactStore and ConfabAccountStore.
 * Each completes with confab_store_finish (). @user is the one asking, @target the other.
 * Every change is a durable event (see docs/protocol.md, Contacts).
 */

/* result {state: "pending" | "added"}: a request, or, if @target had asked @user already,
 * both contacts at once. invalid (oneself), not_found, forbidden (a block either way),
 * conflict (already a contact, or asked before). */
void confab_contacts_request_async  (ConfabStore         *store,
                                     const char          *user,
                                     const char          *target,
                                     const char          *message,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* result {}; not_found unless @target asked @user. */
void confab_contacts_respond_async  (ConfabStore         *store,
                                     const char          *user,
                                     const char          *target,
                                     gboolean             accept,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* result {}; ends a contact or withdraws (or declines) a request; not_found if there is none. */
void confab_contacts_remove_async   (ConfabStore         *store,
                                     const char          *user,
                                     const char          *target,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* result {}; not_found unless @target is a contact of @user. "" ungroups. */
void confab_contacts_group_async    (ConfabStore         *store,
                                     const char          *user,
                                     const char          *target,
                                     const char          *group,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* result {}; @user blocks (@blocked TRUE) or unblocks @target. A block ends any contact or
 * request between them. invalid (oneself), not_found. */
void confab_contacts_block_async    (ConfabStore         *store,
                                     const char          *user,
                                     const char          *target,
                                     gboolean             blocked,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* result {contacts: [{user: User, group, last_seen}], pending_in, pending_out:
 * [{user: User, message, ts}], blocked: [username]}. (The contacts request replaces
 * last_seen with the contact's presence.) */
void confab_contacts_list_async     (ConfabStore         *store,
                                     const char          *user,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);

G_END_DECLS
