/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabRoomStore: the data of rooms: the room, its members and their roles, its invitations.
 * Data access only: who may do what, the events and the timeline's system lines are the rooms
 * module's rules, which call these from a unit of work on the store thread. A room's
 * conversation is `room:<id>`; its members are the conversation's members (their read marks
 * live there too), so messaging sees them through ConfabMessageStore.
 */

#define CONFAB_TYPE_ROOM_STORE (confab_room_store_get_type ())
G_DECLARE_INTERFACE (ConfabRoomStore, confab_room_store, CONFAB, ROOM_STORE, ConfabStore)

struct _ConfabRoomStoreInterface
{
  GTypeInterface parent_iface;

  /* Creates room @room_id and its conversation; FALSE if the id is taken. */
  gboolean    (*create)        (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *name,
                                const char         *topic,
                                const char         *visibility,
                                const char         *owner,
                                gint64              ts);
  /* A Room object {id, name, topic, visibility, owner, created_ts, member_count}, or NULL. */
  JsonObject *(*load)          (ConfabRoomStore    *self,
                                const char         *room_id);
  /* Changes the fields that are not NULL. */
  void        (*update)        (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *name,
                                const char         *topic,
                                const char         *visibility);
  /* @user's role in the room ("owner", "admin", "member"); NULL if not a member. */
  char       *(*role)          (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *user);
  /* Adds @user with @role; what is in the room already counts as read. */
  void        (*add_member)    (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *user,
                                const char         *role,
                                gint64              ts);
  void        (*remove_member) (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *user);
  void        (*set_role)      (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *user,
                                const char         *role);
  guint       (*count_role)    (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *role);
  /* [{user, role, last_seen}] by role (owners first), then username; last_seen 0 if never. */
  JsonArray  *(*members)       (ConfabRoomStore    *self,
                                const char         *room_id);
  /* Invitations: TRUE if added (FALSE: there was one). */
  gboolean    (*invite)        (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *user,
                                const char         *inviter,
                                gint64              ts);
  gboolean    (*invited)       (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *user);
  /* TRUE if there was one. */
  gboolean    (*uninvite)      (ConfabRoomStore    *self,
                                const char         *room_id,
                                const char         *user);
  /* Rooms @user may see (public ones, theirs, those they are invited to) whose name contains
   * @query (ignoring case; NULL: all), by name, as Room objects with `membership` ("member",
   * "invited" or null); @total gets the count of all matches. */
  JsonArray  *(*list)          (ConfabRoomStore    *self,
                                const char         *user,
                                const char         *query,
                                guint               limit,
                                guint               offset,
                                gint64             *total);
};

G_END_DECLS
