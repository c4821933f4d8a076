/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ACCOUNT (confab_account_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAccount, confab_account, CONFAB, ACCOUNT, GObject)

/* The app's account: signing in and registering, the token in the keyring, the server's
 * certificate, restoring the last account at start, and signing out. It makes the ConfabClient
 * and the ConfabSession and starts the session; the application owns it and windows show it.
 * @settings holds the keys last-server and last-username. */
ConfabAccount *confab_account_new                (GSettings     *settings);
/* The client of the account being signed in, signed in or restored; NULL when signed out. */
ConfabClient  *confab_account_get_client         (ConfabAccount *self);
/* The session once signed in (or while restoring), else NULL (property "session"). */
ConfabSession *confab_account_get_session        (ConfabAccount *self);
/* TRUE once storing or reading the token failed: no Secret Service (property). */
gboolean       confab_account_get_keyring_missing (ConfabAccount *self);
/* TRUE while the restored session waits for the keyring's answer. */
gboolean       confab_account_get_restoring      (ConfabAccount *self);
/* TRUE when the session's cached state is read and its credentials are known. */
gboolean       confab_account_get_ready          (ConfabAccount *self);

/* The last account of @settings, if any: its session is made and starts reading the cache at
 * once while the keyring is asked for the token. Without a token (or a last account) the
 * account stays signed out. Returns FALSE if there is nothing to restore. */
gboolean       confab_account_restore            (ConfabAccount *self);

/* Registers @username on @server (an address as typed, see confab_server_address_to_url).
 * Completes with the new User object. Errors as confab_client_register_finish(); the details
 * stay readable with confab_client_result_get_error_details() on the result. */
void           confab_account_register_async     (ConfabAccount       *self,
                                                  const char          *server,
                                                  const char          *username,
                                                  const char          *password,
                                                  const char          *display_name,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
JsonObject    *confab_account_register_finish    (ConfabAccount       *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* TRUE once the current client registered its account (a retry after trusting the server's
 * certificate then signs in instead of registering again). */
gboolean       confab_account_get_registered     (ConfabAccount *self);
/* Signs in: on success @server and the username are remembered, the token goes to the
 * keyring and the session is made and started. A sign-in overtaken by another completes with
 * G_IO_ERROR_CANCELLED. */
void           confab_account_sign_in_async      (ConfabAccount       *self,
                                                  const char          *server,
                                                  const char          *username,
                                                  const char          *password,
                                                  const char          *device_name,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean       confab_account_sign_in_finish     (ConfabAccount       *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* A failed sign-in: forgets the client (not a signed-in one), so the next try starts afresh. */
void           confab_account_abandon_sign_in    (ConfabAccount *self);

/* After a CONFAB_CLIENT_ERROR_UNTRUSTED_CERTIFICATE: the fingerprint to show, and pinning it
 * once the user accepted it. */
const char    *confab_account_get_untrusted_fingerprint (ConfabAccount *self);
const char    *confab_account_get_server_key     (ConfabAccount *self);
gboolean       confab_account_trust_certificate  (ConfabAccount  *self,
                                                  const char     *fingerprint,
                                                  GError        **error);

/* Forgets the token (keyring and server, if signed in), stops the session and drops it and
 * the client. */
void           confab_account_sign_out           (ConfabAccount *self);

/* Accepts what people type: "chat.example.com", "chat.example.com:8443", "[::1]:7443", or a
 * full http(s) URL (plain http only makes sense against a loopback test server). */
char          *confab_server_address_to_url      (const char    *address,
                                                  GError       **error);

/*
 * Signals:
 *   "session-ready"  ()                the session's cached state is read and its credentials
 *       known: show it
 *   "session-failed" (GError *error)   the local store could not be opened; the session is
 *       dropped
 *   "signed-out"     (GError *error)   the server refused the token (forwarded from the
 *       client); sign out and ask for the password
 */

G_END_DECLS
