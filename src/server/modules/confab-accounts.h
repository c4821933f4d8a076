/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "confab-connection.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* Accounts and devices: registering, signing in and out (HTTP), changing the password, listing
 * and revoking devices. */
void confab_accounts_register (ConfabServer *server);

/* The body of register (also of an administrator's account creation): NULL if it is valid,
 * with @username normalized and the others pointing into @body (NULL when absent); else the
 * field errors, {"<field>": "missing" | "invalid" | "too_short" | "too_long"}, for
 * confab_accounts_send_invalid (). */
JsonObject *confab_accounts_read_new_account (JsonObject         *body,
                                              char              **username,
                                              const char        **password,
                                              const char        **display_name,
                                              const char        **email);
/* What is wrong with the password member @name of @body, as a field error, or NULL. */
const char *confab_accounts_password_problem (JsonObject         *body,
                                              const char         *name);
/* Answers 400 invalid with @fields. */
void        confab_accounts_send_invalid     (SoupServerMessage  *msg,
                                              JsonObject         *fields);

/*
 * A keeper of passwords other than Confab's own hashes: the company directory. With one set,
 * signing in as a user it owns (or as a username Confab does not know) asks it instead of the
 * stored hash, and its users cannot change their password in Confab.
 */
typedef struct
{
  /* Store thread, inside the unit of work that reads the credentials: whether @username's
   * password is the authority's. */
  gboolean    (*owns_account)(ConfabStore          *store,
                              const char           *username);
  /* Main thread: checks @password for @username, making or updating the local account. Never
   * blocks: the work goes to another thread. */
  void        (*sign_in_async)(gpointer              instance,
                               const char           *username,
                               const char           *password,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data);
  /* {user, disabled}; or unauthorized (wrong username or password: a failed login), or
   * unavailable (the authority cannot be reached), or another protocol error. */
  JsonObject *(*sign_in_finish)(gpointer              instance,
                                GAsyncResult         *result,
                                GError              **error);
} ConfabPasswordAuthority;

/* Sets @server's authority (one at most; @instance is not owned and must outlive @server's
 * requests). */
void confab_accounts_set_password_authority (ConfabServer                  *server,
                                             const ConfabPasswordAuthority *authority,
                                             gpointer                       instance);

/*
 * The operations, on any store that implements ConfabAccountStore. Each completes with
 * confab_store_finish ().
 */

/* result {user}. The first account ever created gets role "admin", atomically.
 * conflict if the username exists. */
void confab_accounts_user_create_async     (ConfabStore         *store,
                                            const char          *username,
                                            const char          *password_hash,
                                            const char          *display_name,
                                            const char          *email,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* result {user, password_hash, disabled, external}; not_found. For the server's login; never
 * forwarded. `external` is FALSE here (see ConfabPasswordAuthority). */
void confab_accounts_credentials_get_async (ConfabStore         *store,
                                            const char          *username,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* result {device_id, user}: a new device of @username holding @token_hash (one token per
 * device). */
void confab_accounts_device_create_async   (ConfabStore         *store,
                                            const char          *username,
                                            const char          *device_name,
                                            const char          *token_hash,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* result {devices: [{device_id, name, created_ts, last_seen_ts, current}]}. */
void confab_accounts_devices_list_async    (ConfabStore         *store,
                                            const char          *username,
                                            const char          *current_device_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* result {}; reply->revoked_devices = {device_id}. not_found unless @device_id is a live device
 * of @username. The token stops working at once. */
void confab_accounts_device_revoke_async   (ConfabStore         *store,
                                            const char          *username,
                                            const char          *device_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* result {}; stores @password_hash and revokes every device of @username but @keep_device_id
 * (NULL: all of them); reply->revoked_devices lists them. */
void confab_accounts_password_set_async    (ConfabStore         *store,
                                            const char          *username,
                                            const char          *password_hash,
                                            const char          *keep_device_id,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
G_END_DECLS
