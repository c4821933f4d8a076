/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-broadcast-store"

#include "config.h"

#include "confab-broadcast-store.h"

G_DEFINE_INTERFACE (ConfabBroadcastStore, confab_broadcast_store, CONFAB_TYPE_STORE)

static void
confab_broadcast_store_default_init (ConfabBroadcastStoreInterface *iface)
{
}
