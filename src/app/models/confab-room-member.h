/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ROOM_MEMBER (confab_room_member_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRoomMember, confab_room_member, CONFAB, ROOM_MEMBER, GObject)

/* One member of a room as room_members lists it: {user, role, presence}. */
ConfabRoomMember *confab_room_member_new       (const char       *username,
                                                const char       *role);

const char       *confab_room_member_get_username (ConfabRoomMember *self);
/* "owner", "admin" or "member". */
const char       *confab_room_member_get_role     (ConfabRoomMember *self);
/* The member's profile and presence, once known (else NULL). */
ConfabContact    *confab_room_member_get_contact  (ConfabRoomMember *self);
/* The display name of the contact, else the username. */
const char       *confab_room_member_get_display_name (ConfabRoomMember *self);
/* TRUE for owners and admins. */
gboolean          confab_room_member_is_admin     (ConfabRoomMember *self);

/* Engine use (notify on change). */
void              confab_room_member_set_role     (ConfabRoomMember *self,
                                                   const char       *role);
void              confab_room_member_set_contact  (ConfabRoomMember *self,
                                                   ConfabContact    *contact);

/* Properties: username, role, contact, display-name. */

G_END_DECLS
