/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-directory-store"

#include "config.h"

#include "confab-directory-store.h"

G_DEFINE_INTERFACE (ConfabDirectoryStore, confab_directory_store, CONFAB_TYPE_STORE)

static void
confab_directory_store_default_init (ConfabDirectoryStoreInterface *iface)
{
}
