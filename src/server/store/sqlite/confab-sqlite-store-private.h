/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-sqlite-store.h"
#include "confab-db.h"
#include "confab-room-store.h"

G_BEGIN_DECLS

/* What the files of the SQLite backend share. Worker thread only. */

ConfabDb   *confab_sqlite_store_get_db          (ConfabSqliteStore        *self);

/* confab-sqlite-rooms.c */
void        confab_sqlite_room_store_iface_init (ConfabRoomStoreInterface *iface);
JsonObject *confab_sqlite_rooms_load            (ConfabSqliteStore        *self,
                                                 const char               *room_id);

G_END_DECLS
