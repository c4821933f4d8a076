/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-account-store"

#include "config.h"

#include "confab-account-store.h"

G_DEFINE_INTERFACE (ConfabAccountStore, confab_account_store, CONFAB_TYPE_STORE)

static void
confab_account_store_default_init (ConfabAccountStoreInterface *iface)
{
}
