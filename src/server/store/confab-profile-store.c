/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-profile-store"

#include "config.h"

#include "confab-profile-store.h"

G_DEFINE_INTERFACE (ConfabProfileStore, confab_profile_store, CONFAB_TYPE_STORE)

const char * const confab_profile_field_names[CONFAB_N_PROFILE_FIELDS] = {
  [CONFAB_PROFILE_DISPLAY_NAME] = "display_name",
  [CONFAB_PROFILE_EMAIL] = "email",
  [CONFAB_PROFILE_PHONE] = "phone",
  [CONFAB_PROFILE_DEPARTMENT] = "department",
  [CONFAB_PROFILE_TITLE] = "title",
  [CONFAB_PROFILE_LOCATION] = "location",
  [CONFAB_PROFILE_AVATAR_FILE_ID] = "avatar_file_id",
  [CONFAB_PROFILE_TIMEZONE] = "timezone",
};

static void
confab_profile_store_default_init (ConfabProfileStoreInterface *iface)
{
}
