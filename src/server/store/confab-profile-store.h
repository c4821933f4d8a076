/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabProfileStore: the data of profiles and presence: users as others see them, who shares
 * a conversation with whom, and when each was last seen. Data access only; the profiles and
 * presence modules hold the rules and call these from a unit of work on the store thread.
 */

/* The profile fields of an update, in this order. */
typedef enum
{
  CONFAB_PROFILE_DISPLAY_NAME,
  CONFAB_PROFILE_EMAIL,
  CONFAB_PROFILE_PHONE,
  CONFAB_PROFILE_DEPARTMENT,
  CONFAB_PROFILE_TITLE,
  CONFAB_PROFILE_LOCATION,
  CONFAB_PROFILE_AVATAR_FILE_ID,
  CONFAB_PROFILE_TIMEZONE,
  CONFAB_N_PROFILE_FIELDS,
} ConfabProfileField;

extern const char * const confab_profile_field_names[CONFAB_N_PROFILE_FIELDS];

#define CONFAB_TYPE_PROFILE_STORE (confab_profile_store_get_type ())
G_DECLARE_INTERFACE (ConfabProfileStore, confab_profile_store, CONFAB, PROFILE_STORE, ConfabStore)

struct _ConfabProfileStoreInterface
{
  GTypeInterface parent_iface;

  /* The protocol's User; NULL if there is no such user. */
  JsonObject *(*user)          (ConfabProfileStore  *self,
                                const char          *username);
  /* @values by ConfabProfileField: NULL leaves a field, "" clears it. FALSE: no such user. */
  gboolean    (*update)        (ConfabProfileStore  *self,
                                const char          *username,
                                const char * const  *values);
  /* Everyone who shares a conversation with @username, sorted. */
  GStrv       (*peers)         (ConfabProfileStore  *self,
                                const char          *username);
  /* @username's last_seen (0: never); -1 if there is no such user. */
  gint64      (*last_seen)     (ConfabProfileStore  *self,
                                const char          *username);
  void        (*set_last_seen) (ConfabProfileStore  *self,
                                const char          *username,
                                gint64               ts);
};

G_END_DECLS
