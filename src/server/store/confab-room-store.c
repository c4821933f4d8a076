/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room-store"

#include "config.h"

#include "confab-room-store.h"

G_DEFINE_INTERFACE (ConfabRoomStore, confab_room_store, CONFAB_TYPE_STORE)

static void
confab_room_store_default_init (ConfabRoomStoreInterface *iface)
{
}
