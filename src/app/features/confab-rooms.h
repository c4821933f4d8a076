/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
/* For ConfabRoomNotify. */
#include "confab-room.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ROOMS (confab_rooms_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRooms, confab_rooms, CONFAB, ROOMS, ConfabFeature)

/* Rooms: the rooms the user is in (each one's ConfabRoom set on its conversation in the
 * messaging feature's list), the invitations, member lists, mentions, who has read what, the
 * notification level of each room, and the requests room_create, room_list, room_join,
 * room_invite, room_leave, room_kick, room_update, room_members and room_set_role. The events
 * room_member_joined, room_member_left, room_updated and room_invite keep all of it current;
 * the room messages themselves are the messaging feature's. */
ConfabRooms *confab_rooms_new              (ConfabSession *session);
ConfabRooms *confab_rooms_from_session     (ConfabSession *session);

/* A room one is in, invited to, or has seen in a list; NULL if none. */
ConfabRoom  *confab_rooms_lookup           (ConfabRooms   *self,
                                            const char    *room_id);
/* Pending invitations, a GListModel of ConfabRoom (membership "invited"), oldest first. */
GListModel  *confab_rooms_get_invitations  (ConfabRooms   *self);
/* The members of @room_id, a GListModel of ConfabRoomMember sorted by display name: loaded
 * with room_members when first asked for (and after each sync), then kept current by the
 * room events. The same object while the feature lives. */
GListModel  *confab_rooms_get_members      (ConfabRooms   *self,
                                            const char    *room_id);
/* The member @username of a loaded member list, or NULL. */
ConfabRoomMember *confab_rooms_lookup_member (ConfabRooms *self,
                                              const char  *room_id,
                                              const char  *username);

/* Whether @message in @conv should notify: never for the user's own messages or system lines;
 * in a room, as its notification level says, except that a mention of the user always does
 * unless the level is "nothing". DMs follow "muted". */
gboolean     confab_rooms_should_notify    (ConfabRooms        *self,
                                            ConfabConversation *conv,
                                            ConfabMessage      *message);
/* Kept on this device only. */
void         confab_rooms_set_notify_level (ConfabRooms       *self,
                                            const char        *room_id,
                                            ConfabRoomNotify   level);

/* Who (besides the sender) has read @msg_id in @conv, from the read receipts seen since
 * the session started; usernames sorted. */
GStrv        confab_rooms_dup_seen_by      (ConfabRooms   *self,
                                            const char    *conv,
                                            gint64         msg_id,
                                            const char    *sender);

/* room_create: @visibility "public" or "private"; @members usernames (may be NULL). */
void         confab_rooms_create_async     (ConfabRooms          *self,
                                            const char           *name,
                                            const char           *topic,
                                            const char           *visibility,
                                            const char * const   *members,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
void         confab_rooms_join_async       (ConfabRooms          *self,
                                            const char           *room_id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* room_update: NULL leaves a field as it is. */
void         confab_rooms_update_async     (ConfabRooms          *self,
                                            const char           *room_id,
                                            const char           *name,
                                            const char           *topic,
                                            const char           *visibility,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* The finish of create, join and update: the room, as kept by the feature. */
ConfabRoom  *confab_rooms_room_finish      (ConfabRooms          *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* room_list: public rooms, the user's rooms and invitations; @query may be NULL. */
void         confab_rooms_list_async       (ConfabRooms          *self,
                                            const char           *query,
                                            guint                 limit,
                                            guint                 offset,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* A GListModel of ConfabRoom; @total (may be NULL) gets the server's total. */
GListModel  *confab_rooms_list_finish      (ConfabRooms          *self,
                                            GAsyncResult         *result,
                                            guint                *total,
                                            GError              **error);

/* These finish with confab_feature_request_finish(). Declining an invitation is room_leave
 * of the room one is invited to; either way the invitation goes from the list at once. */
void         confab_rooms_invite_async     (ConfabRooms          *self,
                                            const char           *room_id,
                                            const char           *username,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
void         confab_rooms_leave_async      (ConfabRooms          *self,
                                            const char           *room_id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
void         confab_rooms_decline_async    (ConfabRooms          *self,
                                            const char           *room_id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
void         confab_rooms_kick_async       (ConfabRooms          *self,
                                            const char           *room_id,
                                            const char           *username,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* @role: "owner", "admin" or "member". */
void         confab_rooms_set_role_async   (ConfabRooms          *self,
                                            const char           *room_id,
                                            const char           *username,
                                            const char           *role,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);

/* Signals:
 *   "invited" (ConfabRoom *room)  a new invitation arrived (for a notification)
 *   "seen-changed" (const char *conv)  someone's read mark in @conv moved
 *   "room-left" (ConfabRoom *room, const char *reason)  the user left or was removed
 *       ("left" or "kicked")
 */

G_END_DECLS
