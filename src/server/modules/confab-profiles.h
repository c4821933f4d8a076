/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* Profiles: profile_get and profile_update. */
void confab_profiles_register     (ConfabServer        *server);

/* Decides whether @file_id may become @user's avatar (store thread, inside the update's
 * transaction): FALSE with @error set if not. The files module provides it; without one, an
 * avatar is refused. */
typedef gboolean (*ConfabAvatarFunc) (ConfabStore  *store,
                                      const char   *user,
                                      const char   *file_id,
                                      GError      **error);

void confab_profiles_set_avatar_func (ConfabAvatarFunc func);

/* What `register` and `profile_update` accept as an email address: 3 or more characters,
 * one of them '@' (the length limit and clean text are checked with the other fields). */
gboolean    confab_profiles_email_is_valid (const char *email);
/* NULL if @timezone is an acceptable IANA time zone name, else why not ("too_long",
 * "invalid", "unknown"). */
const char *confab_profiles_timezone_check (const char *timezone);

/* On any store that implements ConfabProfileStore; both complete with confab_store_finish ().
 * result {user}; not_found. */
void confab_profiles_get_async    (ConfabStore         *store,
                                   const char          *username,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
/* @fields holds any of display_name, email, phone, department, title, location, avatar_file_id,
 * timezone as strings (already validated; an empty string clears an optional field; an avatar must
 * pass the avatar function, see confab_profiles_set_avatar_func). result {user};
 * durable event profile_updated {user} to the user and everyone who shares a conversation
 * with them. */
void confab_profiles_update_async (ConfabStore         *store,
                                   const char          *username,
                                   JsonObject          *fields,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);

/* Reads the profile fields of @params (display_name, email, phone, department, title,
 * location, avatar_file_id, timezone; each optional) into @values as strings, checked as
 * profile_update checks them: FALSE with @error (bad_request, or invalid for an email or a
 * time zone) otherwise. */
gboolean    confab_profiles_read_fields (JsonObject  *params,
                                         JsonObject  *values,
                                         GError     **error);

/* Inside a unit of work (store thread): sets @username's profile fields @values (by
 * ConfabProfileField, as ConfabProfileStore.update takes them, already validated), with the
 * durable event profile_updated in @reply, as confab_profiles_update_async () does. Returns
 * the new User, or NULL with @error set (not_found, an avatar refused). */
JsonObject *confab_profiles_apply (ConfabStore         *store,
                                   ConfabStoreReply    *reply,
                                   const char          *username,
                                   const char * const  *values,
                                   GError             **error);

G_END_DECLS
