/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_AUTH (confab_auth_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAuth, confab_auth, CONFAB, AUTH, GObject)

ConfabAuth *confab_auth_new                   (guint64              opslimit,
                                               gsize                memlimit,
                                               guint                failures_per_user,
                                               guint                failures_per_address,
                                               guint                lockout_ms,
                                               guint                threads,
                                               guint                max_waiting);
void        confab_auth_hash_password_async   (ConfabAuth          *self,
                                               const char          *password,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
char       *confab_auth_hash_password_finish  (ConfabAuth          *self,
                                               GAsyncResult        *result,
                                               GError             **error);
void        confab_auth_verify_password_async (ConfabAuth          *self,
                                               const char          *hash,
                                               const char          *password,
                                               const char          *username,
                                               const char          *address,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean    confab_auth_verify_password_finish (ConfabAuth         *self,
                                                GAsyncResult       *result,
                                                GError            **error);
void        confab_auth_new_token             (char               **token,
                                               char               **token_hash);
char       *confab_auth_hash_token            (const char          *token);
char       *confab_auth_new_id                (gsize                bytes);
gboolean    confab_auth_login_allowed         (ConfabAuth          *self,
                                               const char          *username,
                                               const char          *address,
                                               gint64              *retry_after_ms);
void        confab_auth_login_failed          (ConfabAuth          *self,
                                               const char          *username,
                                               const char          *address);
void        confab_auth_login_succeeded       (ConfabAuth          *self,
                                               const char          *username,
                                               const char          *address);

G_END_DECLS
