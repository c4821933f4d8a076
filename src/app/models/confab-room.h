/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* When a room's messages notify: always, only when they mention the user, or never. */
typedef enum
{
  CONFAB_ROOM_NOTIFY_ALL,
  CONFAB_ROOM_NOTIFY_MENTIONS,
  CONFAB_ROOM_NOTIFY_NOTHING,
} ConfabRoomNotify;

#define CONFAB_TYPE_ROOM_NOTIFY (confab_room_notify_get_type ())
GType confab_room_notify_get_type (void);

const char       *confab_room_notify_to_string   (ConfabRoomNotify level);
/* FALSE for anything but "all", "mentions" and "nothing". */
gboolean          confab_room_notify_from_string (const char       *text,
                                                  ConfabRoomNotify *out);

#define CONFAB_TYPE_ROOM (confab_room_get_type ())
G_DECLARE_FINAL_TYPE (ConfabRoom, confab_room, CONFAB, ROOM, GObject)

/* A protocol Room object (with the membership of room_list items); NULL without a valid id
 * or a name. */
ConfabRoom       *confab_room_new_from_json      (JsonObject       *room);

const char       *confab_room_get_id             (ConfabRoom       *self);
/* "room:<id>" */
const char       *confab_room_get_conv           (ConfabRoom       *self);
const char       *confab_room_get_name           (ConfabRoom       *self);
const char       *confab_room_get_topic          (ConfabRoom       *self); /* "" when none */
gboolean          confab_room_get_public         (ConfabRoom       *self);
const char       *confab_room_get_owner          (ConfabRoom       *self);
gint64            confab_room_get_created_ts     (ConfabRoom       *self);
guint             confab_room_get_member_count   (ConfabRoom       *self);
/* "member", "invited" or NULL (a public room one is not in). */
const char       *confab_room_get_membership     (ConfabRoom       *self);
/* Who invited the user, while the membership is "invited". */
const char       *confab_room_get_invited_by     (ConfabRoom       *self);
ConfabRoomNotify  confab_room_get_notify_level   (ConfabRoom       *self);

/* Engine use (notify on change). update_from_json takes the Room fields present in @room;
 * a membership member is updated only when present. */
void              confab_room_update_from_json   (ConfabRoom       *self,
                                                  JsonObject       *room);
void              confab_room_set_membership     (ConfabRoom       *self,
                                                  const char       *membership,
                                                  const char       *invited_by);
void              confab_room_set_notify_level   (ConfabRoom       *self,
                                                  ConfabRoomNotify  level);

/* "12 members · Pixels and fonts" (translated), for headers. */
char             *confab_room_dup_summary        (ConfabRoom       *self);

/* Two-letter initials of a name for an avatar ("Design Team" → "DT"). */
char             *confab_room_dup_initials       (const char       *name);

/* Properties: id, conv, name, topic, public, owner, created-ts, member-count, membership,
 * invited-by, notify-level. */

G_END_DECLS
