/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROFILES (confab_profiles_get_type ())
G_DECLARE_FINAL_TYPE (ConfabProfiles, confab_profiles, CONFAB, PROFILES, ConfabFeature)

/* Profiles of the people the session shows (DM peers, senders, callers): read from the cache at
 * start, fetched with profile_get when not seen yet, kept current by profile_updated. After
 * each sync the own profile's time zone is set to the system's when it differs. */
ConfabProfiles *confab_profiles_new              (ConfabSession  *session);
ConfabProfiles *confab_profiles_from_session     (ConfabSession  *session);

/* Contact object for @username, created on demand; presence and profile stay current. */
ConfabContact  *confab_profiles_get_contact      (ConfabProfiles *self,
                                                  const char     *username);
ConfabContact  *confab_profiles_get_self_contact (ConfabProfiles *self);
/* TRUE once the User object of @username was seen (or the user is gone for good). */
gboolean        confab_profiles_is_known         (ConfabProfiles *self,
                                                  const char     *username);
/* The contact object of a User object seen in a list (contacts, the directory), brought up to
 * date and not asked for again; not stored. NULL without a username. */
ConfabContact  *confab_profiles_update_user      (ConfabProfiles *self,
                                                  JsonObject     *user);
/* The usernames of every contact made so far. */
GPtrArray      *confab_profiles_dup_usernames    (ConfabProfiles *self);

/* Completes with the User object (see confab_profiles_profile_finish); the contact object is
 * updated and the profile stored too. */
void            confab_profiles_get_profile_async    (ConfabProfiles      *self,
                                                      const char          *username,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
/* @fields: any of display_name, email, phone, department, title, location, avatar_file_id,
 * timezone. */
void            confab_profiles_update_profile_async (ConfabProfiles      *self,
                                                      JsonObject          *fields,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
JsonObject     *confab_profiles_profile_finish       (ConfabProfiles      *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
