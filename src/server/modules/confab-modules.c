/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-modules"

#include "config.h"

#include "confab-modules.h"
#include "confab-accounts.h"
#include "confab-admin.h"
#include "confab-backup.h"
#include "confab-broadcast.h"
#include "confab-calls.h"
#include "confab-contacts.h"
#include "confab-directory.h"
#include "confab-files.h"
#include "confab-ldap.h"
#include "confab-messages.h"
#include "confab-presence.h"
#include "confab-profiles.h"
#include "confab-rooms.h"

/* Every capability of confabd, one line each. A module registers its requests, routes and
 * events itself (see confab-server-module.h). */
void
confab_modules_register_all (ConfabServer *server)
{
  confab_accounts_register (server);
  confab_messages_register (server);
  confab_presence_register (server);
  confab_profiles_register (server);
  confab_calls_register (server);
  confab_rooms_register (server);
  confab_contacts_register (server);
  confab_directory_register (server);
  confab_files_register (server);
  confab_broadcast_register (server);
  confab_admin_register (server);
  confab_backup_register (server);
  confab_ldap_register (server);
}
