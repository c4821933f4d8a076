/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-connection.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_ROOM_NAME_MAX_CHARS       80
#define CONFAB_ROOM_TOPIC_MAX_CHARS      1000
/* Names in room_create's `members`; more is `invalid` and creates nothing. */
#define CONFAB_ROOM_CREATE_MAX_MEMBERS   1000
#define CONFAB_ROOM_LIST_DEFAULT_LIMIT   20
#define CONFAB_ROOM_LIST_MAX_LIMIT       100

/* Rooms: create, list, join, invite, leave, kick, update, members, roles. */
void confab_rooms_register (ConfabServer *server);

/*
 * The operations, on any store that implements ConfabRoomStore and ConfabMessageStore. Each
 * completes with confab_store_finish (), whose reply carries the result and the durable events
 * (room events go to the room's stream, read by its members, plus the user they are about).
 * A room the caller may not see (private, not a member, not invited) is not_found, as an
 * unknown id is. Every membership or room change also adds a kind "system" message to the
 * room's timeline.
 */

/* result {room}; @name 1–80 code points (trimmed by the caller), @visibility "public" or
 * "private", @members (may be NULL) at most CONFAB_ROOM_CREATE_MAX_MEMBERS existing users
 * (not_found otherwise, nothing written). */
void confab_rooms_create_async   (ConfabStore          *store,
                                  const char           *user,
                                  const char           *name,
                                  const char           *topic,
                                  const char           *visibility,
                                  const char * const   *members,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
/* result {rooms: [Room + {membership}], total}. */
void confab_rooms_list_async     (ConfabStore          *store,
                                  const char           *user,
                                  const char           *query,
                                  guint                 limit,
                                  guint                 offset,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
/* join: result {room}; leave: {} (an invitee leaving declines); members: {members: [{user,
 * role, last_seen}], total} (the request adds presence). */
void confab_rooms_join_async     (ConfabStore          *store,
                                  const char           *user,
                                  const char           *room,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
void confab_rooms_leave_async    (ConfabStore          *store,
                                  const char           *user,
                                  const char           *room,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
void confab_rooms_members_async  (ConfabStore          *store,
                                  const char           *user,
                                  const char           *room,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
/* invite, kick: result {}; set_role: result {}; @role "owner", "admin" or "member". */
void confab_rooms_invite_async   (ConfabStore          *store,
                                  const char           *user,
                                  const char           *room,
                                  const char           *target,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
void confab_rooms_kick_async     (ConfabStore          *store,
                                  const char           *user,
                                  const char           *room,
                                  const char           *target,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
void confab_rooms_set_role_async (ConfabStore          *store,
                                  const char           *user,
                                  const char           *room,
                                  const char           *target,
                                  const char           *role,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);
/* result {room}; the fields that are not NULL change. */
void confab_rooms_update_async   (ConfabStore          *store,
                                  const char           *user,
                                  const char           *room,
                                  const char           *name,
                                  const char           *topic,
                                  const char           *visibility,
                                  GCancellable         *cancellable,
                                  GAsyncReadyCallback   callback,
                                  gpointer              user_data);

G_END_DECLS
