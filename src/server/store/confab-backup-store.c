/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-backup-store"

#include "config.h"

#include "confab-backup-store.h"

G_DEFINE_INTERFACE (ConfabBackupStore, confab_backup_store, CONFAB_TYPE_STORE)

static void
confab_backup_store_default_init (ConfabBackupStoreInterface *iface)
{
}
