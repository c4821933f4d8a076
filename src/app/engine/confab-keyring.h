/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

#define CONFAB_KEYRING_ERROR (confab_keyring_error_quark ())

typedef enum
{
  /* No Secret Service on the session bus (or it cannot be unlocked): the UI says so and asks
   * for the password at each start. The token is then kept in memory only. */
  CONFAB_KEYRING_ERROR_NO_SERVICE,
  CONFAB_KEYRING_ERROR_FAILED,
} ConfabKeyringError;

GQuark             confab_keyring_error_quark        (void);
/* Schema "im.confab.Confab" with string attributes "server" and "username". */
const SecretSchema *confab_keyring_get_schema        (void);

/* @server is the client's server key ("host:port"). */
void      confab_keyring_store_token_async   (const char          *server,
                                              const char          *username,
                                              const char          *token,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean  confab_keyring_store_token_finish  (GAsyncResult        *result,
                                              GError             **error);
/* Completes with the token, or NULL without an error if none is stored. */
void      confab_keyring_lookup_token_async  (const char          *server,
                                              const char          *username,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char     *confab_keyring_lookup_token_finish (GAsyncResult        *result,
                                              GError             **error);
void      confab_keyring_clear_token_async   (const char          *server,
                                              const char          *username,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean  confab_keyring_clear_token_finish  (GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
