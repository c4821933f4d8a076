/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabAccountStore: the data of accounts: users with their password hashes, and devices with
 * their token hashes (blocks belong to ConfabContactStore). Data access only; the accounts
 * module and the core's sign-in hold the rules and call these from a unit of work on the store
 * thread.
 */

#define CONFAB_TYPE_ACCOUNT_STORE (confab_account_store_get_type ())
G_DECLARE_INTERFACE (ConfabAccountStore, confab_account_store, CONFAB, ACCOUNT_STORE, ConfabStore)

struct _ConfabAccountStoreInterface
{
  GTypeInterface parent_iface;

  gboolean    (*user_exists)    (ConfabAccountStore  *self,
                                 const char          *username);
  /* Whether any account exists that does not come from the company directory. */
  gboolean    (*any_user)       (ConfabAccountStore  *self);
  /* FALSE if @username is taken. Empty @display_name and @email are stored as unset. */
  gboolean    (*user_insert)    (ConfabAccountStore  *self,
                                 const char          *username,
                                 const char          *password_hash,
                                 const char          *display_name,
                                 const char          *email,
                                 const char          *role,
                                 gint64               ts);
  /* The protocol's User, and (if not NULL) the password hash and whether the account is
   * disabled; NULL if there is no such user. */
  JsonObject *(*credentials)    (ConfabAccountStore  *self,
                                 const char          *username,
                                 char               **password_hash,
                                 gboolean            *disabled);
  gboolean    (*set_password)   (ConfabAccountStore  *self,
                                 const char          *username,
                                 const char          *password_hash);
  void        (*device_insert)  (ConfabAccountStore  *self,
                                 const char          *device_id,
                                 const char          *username,
                                 const char          *name,
                                 const char          *token_hash,
                                 gint64               ts);
  /* The User owning the live device that holds @token_hash, with its `permissions` (a list),
   * its device id and whether the account is disabled; NULL if no live device holds it. */
  JsonObject *(*session)        (ConfabAccountStore  *self,
                                 const char          *token_hash,
                                 char               **device_id,
                                 gboolean            *disabled);
  void        (*device_seen)    (ConfabAccountStore  *self,
                                 const char          *device_id,
                                 gint64               ts);
  /* [{device_id, name, created_ts, last_seen_ts, current}] of @username's live devices. */
  JsonArray  *(*devices)        (ConfabAccountStore  *self,
                                 const char          *username,
                                 const char          *current_device_id);
  /* Revokes a live device of @username; FALSE if there is none with @device_id. */
  gboolean    (*device_revoke)  (ConfabAccountStore  *self,
                                 const char          *username,
                                 const char          *device_id);
  /* Revokes every live device of @username but @keep_device_id (may be NULL); returns them. */
  GStrv       (*devices_revoke) (ConfabAccountStore  *self,
                                 const char          *username,
                                 const char          *keep_device_id);
};

G_END_DECLS
