/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-rooms"

#include "config.h"

#include "confab-rooms.h"
#include "confab-messages.h"
#include "confab-message-store.h"
#include "confab-presence.h"
#include "confab-room-store.h"
#include "confab-server-module.h"
#include "confab-validate.h"

#include <string.h>

/* Rooms. The requests validate their parameters and run the matching operation; the
 * operations hold the rules (who may see, join, invite, kick, update, set roles), keep the
 * room's stream membership in step with its members, write the system lines of the timeline
 * and the durable events. A room's events are written once in its stream (`room:<id>`), which
 * its members read from their joining to their leaving; the user an event is about gets it
 * too when outside the room (an invitee). */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

/* --- The rules -------------------------------------------------------------------------------- */

#define RS(store) CONFAB_ROOM_STORE_GET_IFACE (store)
#define RSELF(store) ((ConfabRoomStore *) (store))
#define MS(store) CONFAB_MESSAGE_STORE_GET_IFACE (store)
#define MSELF(store) ((ConfabMessageStore *) (store))

typedef struct
{
  char  *user;
  char  *room;
  char  *target;
  char  *name;
  char  *topic;
  char  *visibility;
  char  *role;
  char  *query;
  GStrv  members;
  guint  limit;
  guint  offset;
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->user);
  g_free (args->room);
  g_free (args->target);
  g_free (args->name);
  g_free (args->topic);
  g_free (args->visibility);
  g_free (args->role);
  g_free (args->query);
  g_strfreev (args->members);
  g_free (args);
}

static Args *
args_new (const char *user,
          const char *room)
{
  Args *args = g_new0 (Args, 1);

  args->user = g_strdup (user);
  args->room = g_strdup (room);
  return args;
}

static void
run_work (ConfabStore          *store,
          const char           *name,
          ConfabStoreWorkFlags  flags,
          ConfabStoreWorkFunc   func,
          Args                 *args,
          GCancellable         *cancellable,
          GAsyncReadyCallback   callback,
          gpointer              user_data,
          gpointer              source_tag)
{
  g_return_if_fail (CONFAB_IS_ROOM_STORE (store));
  g_return_if_fail (CONFAB_IS_MESSAGE_STORE (store));

  confab_store_run_async (store, name, flags, func, args, args_free, cancellable, callback,
                          user_data, source_tag);
}

static gboolean
is_admin (const char *role)
{
  return role != NULL && (g_str_equal (role, "owner") || g_str_equal (role, "admin"));
}

/* What a request knows of a room once its caller may see it. */
typedef struct
{
  char       *conv;
  JsonObject *room;
  char       *role;     /* the caller's; NULL if not a member */
  gboolean    invited;
  gboolean    public;
} Room;

static void
room_clear (Room *room)
{
  g_clear_pointer (&room->conv, g_free);
  g_clear_pointer (&room->room, json_object_unref);
  g_clear_pointer (&room->role, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Room, room_clear)

/* Loads room @room_id for @user: not_found if it does not exist or is private and @user is
 * neither a member nor invited, so that outsiders cannot tell it from an unknown id. */
static gboolean
room_open (ConfabStore  *store,
           const char   *room_id,
           const char   *user,
           Room         *room,
           GError      **error)
{
  room->room = RS (store)->load (RSELF (store), room_id);
  if (room->room != NULL)
    {
      room->conv = confab_conv_room (room_id);
      room->role = RS (store)->role (RSELF (store), room_id, user);
      room->invited = room->role == NULL && RS (store)->invited (RSELF (store), room_id, user);
      room->public = g_str_equal (json_object_get_string_member (room->room, "visibility"),
                                  "public");
    }
  if (room->room == NULL || (!room->public && room->role == NULL && !room->invited))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such room");
      return FALSE;
    }
  return TRUE;
}

/* Members only: an outsider of a private room has been told not_found already; of a public
 * one, or an invitee, it is forbidden. */
static gboolean
room_check_member (Room    *room,
                   GError **error)
{
  if (room->role == NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "you are not a member of this room");
      return FALSE;
    }
  return TRUE;
}

static gboolean
room_check_admin (Room    *room,
                  GError **error)
{
  if (!room_check_member (room, error))
    return FALSE;
  if (!is_admin (room->role))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "only a room admin can do this");
      return FALSE;
    }
  return TRUE;
}

static void
room_reload (ConfabStore *store,
             const char  *room_id,
             Room        *room)
{
  g_clear_pointer (&room->room, json_object_unref);
  room->room = RS (store)->load (RSELF (store), room_id);
}

/* Everything about a change: its system line, then its event, both to @members (who read the
 * room's stream) and to @extra (outside it). */
static void
announce (ConfabStore        *store,
          ConfabStoreReply   *reply,
          Room               *room,
          const char         *actor,
          const char         *line,
          JsonObject         *system,
          const char         *event_name,
          JsonObject         *event,
          const char * const *members,
          const char * const *extra)
{
  if (line != NULL)
    confab_messages_add_system (store, reply, room->conv, actor, line, system, members);
  confab_store_emit_stream_event (store, reply, event_name, event, room->conv, members, extra);
}

static JsonObject *
system_new (const char *action,
            const char *user,
            const char *by)
{
  JsonObject *system = json_object_new ();

  json_object_set_string_member (system, "action", action);
  if (user != NULL)
    json_object_set_string_member (system, "user", user);
  if (by != NULL)
    json_object_set_string_member (system, "by", by);
  return system;
}

/* The data of room_member_joined/left and room_updated. */
static JsonObject *
event_new (Room       *room,
           const char *user,
           const char *by)
{
  JsonObject *event = json_object_new ();

  json_object_set_object_member (event, "room", json_object_ref (room->room));
  if (user != NULL)
    json_object_set_string_member (event, "user", user);
  if (by != NULL)
    json_object_set_string_member (event, "by", by);
  return event;
}

static ConfabStoreReply *
room_reply (Room *room)
{
  JsonObject *result = json_object_new ();

  json_object_set_object_member (result, "room", json_object_ref (room->room));
  return confab_store_reply_new (result);
}

static char *
new_room_id (void)
{
  guint8 bytes[12];
  g_autofree char *id = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bytes); i++)
    bytes[i] = (guint8) g_random_int_range (0, 256);
  id = g_base64_encode (bytes, sizeof bytes);
  for (char *p = id; *p != '\0'; p++)
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  return g_steal_pointer (&id);
}

static ConfabStoreReply *
create_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  g_autoptr(GStrvBuilder) everyone = g_strv_builder_new ();
  g_auto(GStrv) members = NULL;
  g_autoptr(JsonObject) system = NULL;
  g_autoptr(JsonArray) added_json = json_array_new ();
  g_autoptr(GString) line = NULL;
  g_auto(Room) room = { 0 };
  g_autofree char *room_id = NULL;
  ConfabStoreReply *reply;
  gint64 ts = confab_now_ms ();

  /* Every check first: a refused create writes nothing. */
  for (guint i = 0; args->members != NULL && args->members[i] != NULL; i++)
    {
      const char *member = args->members[i];

      if (g_str_equal (member, args->user)
          || g_ptr_array_find_with_equal_func (added, member, g_str_equal, NULL))
        continue;
      if (!MS (store)->user_exists (MSELF (store), member))
        {
          g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                       "no such user: %s", member);
          return NULL;
        }
      g_ptr_array_add (added, (gpointer) member);
    }

  for (guint attempt = 0; ; attempt++)
    {
      g_free (room_id);
      room_id = new_room_id ();
      if (RS (store)->create (RSELF (store), room_id, args->name, args->topic, args->visibility,
                              args->user, ts))
        break;
      if (attempt == 3)
        return NULL;
    }

  RS (store)->add_member (RSELF (store), room_id, args->user, "owner", ts);
  g_strv_builder_add (everyone, args->user);
  for (guint i = 0; i < added->len; i++)
    {
      RS (store)->add_member (RSELF (store), room_id, g_ptr_array_index (added, i), "member", ts);
      g_strv_builder_add (everyone, g_ptr_array_index (added, i));
      json_array_add_string_element (added_json, g_ptr_array_index (added, i));
    }
  members = g_strv_builder_end (everyone);

  room.conv = confab_conv_room (room_id);
  room.room = RS (store)->load (RSELF (store), room_id);
  if (room.room == NULL)
    return NULL;
  for (guint i = 0; members[i] != NULL; i++)
    confab_store_stream_join (store, room.conv, members[i]);

  reply = room_reply (&room);

  /* One line for the whole creation; each member hears of their own joining (the room is
   * new, so there is no one else to tell). */
  system = system_new ("created", args->user, NULL);
  json_object_set_array_member (system, "members", json_array_ref (added_json));
  line = g_string_new (NULL);
  g_string_printf (line, "%s created the room", args->user);
  if (added->len > 0)
    g_string_append_printf (line, " with %u member%s", added->len, added->len == 1 ? "" : "s");
  confab_messages_add_system (store, reply, room.conv, args->user, line->str, system,
                              (const char * const *) members);
  for (guint i = 0; members[i] != NULL; i++)
    {
      g_autoptr(JsonObject) event = event_new (&room, members[i], i == 0 ? NULL : args->user);
      const char *one[] = { members[i], NULL };

      confab_store_emit_event (store, reply, "room_member_joined", event, one);
    }
  return reply;
}

static ConfabStoreReply *
list_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();
  gint64 total = 0;
  JsonArray *rooms;

  rooms = RS (store)->list (RSELF (store), args->user, args->query, args->limit, args->offset,
                            &total);
  json_object_set_array_member (result, "rooms", rooms);
  json_object_set_int_member (result, "total", total);
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
join_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  g_auto(Room) room = { 0 };
  g_auto(GStrv) members = NULL;
  g_autoptr(JsonObject) system = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *line = NULL;
  ConfabStoreReply *reply;

  if (!room_open (store, args->room, args->user, &room, error))
    return NULL;
  if (room.role != NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT, "you are already a member of this room");
      return NULL;
    }
  if (!room.public && !room.invited)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such room");
      return NULL;
    }

  /* A room everyone left has no owner; whoever comes in first takes it on. */
  RS (store)->add_member (RSELF (store), args->room, args->user,
                          RS (store)->count_role (RSELF (store), args->room, "owner") == 0
                          ? "owner" : "member",
                          confab_now_ms ());
  RS (store)->uninvite (RSELF (store), args->room, args->user);
  confab_store_stream_join (store, room.conv, args->user);
  room_reload (store, args->room, &room);
  members = MS (store)->members (MSELF (store), room.conv);

  reply = room_reply (&room);
  system = system_new ("joined", args->user, NULL);
  event = event_new (&room, args->user, NULL);
  line = g_strdup_printf ("%s joined the room", args->user);
  announce (store, reply, &room, args->user, line, system, "room_member_joined", event,
            (const char * const *) members, NULL);
  return reply;
}

static ConfabStoreReply *
invite_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  g_auto(Room) room = { 0 };
  g_auto(GStrv) members = NULL;
  g_autofree char *target_role = NULL;
  g_autoptr(JsonObject) system = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *line = NULL;
  const char *extra[] = { args->target, NULL };
  ConfabStoreReply *reply;

  if (!room_open (store, args->room, args->user, &room, error)
      || !room_check_member (&room, error))
    return NULL;
  /* In a public room anyone may come in, so any member may ask someone. */
  if (!room.public && !is_admin (room.role))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                 "only a room admin can invite to a private room");
      return NULL;
    }
  if (!MS (store)->user_exists (MSELF (store), args->target))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such user");
      return NULL;
    }
  target_role = RS (store)->role (RSELF (store), args->room, args->target);
  if (target_role != NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT, "this user is already a member");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  /* Asking again changes nothing and tells no one again. */
  if (!RS (store)->invite (RSELF (store), args->room, args->target, args->user, confab_now_ms ()))
    return reply;

  members = MS (store)->members (MSELF (store), room.conv);
  system = system_new ("invited", args->target, args->user);
  event = json_object_new ();
  json_object_set_object_member (event, "room", json_object_ref (room.room));
  json_object_set_string_member (event, "from", args->user);
  json_object_set_string_member (event, "user", args->target);
  line = g_strdup_printf ("%s invited %s", args->user, args->target);
  announce (store, reply, &room, args->user, line, system, "room_invite", event,
            (const char * const *) members, extra);
  return reply;
}

/* @target leaves (@by NULL) or is kicked by @by: the member row goes, the line and the event
 * go to everyone who was in, @target included, and then @target's stream interval closes. */
static ConfabStoreReply *
remove_member (ConfabStore  *store,
               Room         *room,
               const char   *room_id,
               const char   *target,
               const char   *by)
{
  g_auto(GStrv) members = MS (store)->members (MSELF (store), room->conv);
  g_autoptr(JsonObject) system = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *line = NULL;
  ConfabStoreReply *reply = confab_store_reply_new (NULL);

  RS (store)->remove_member (RSELF (store), room_id, target);
  room_reload (store, room_id, room);

  system = system_new (by != NULL ? "kicked" : "left", target, by);
  event = event_new (room, target, by);
  json_object_set_string_member (event, "reason", by != NULL ? "kicked" : "left");
  line = by != NULL ? g_strdup_printf ("%s removed %s", by, target)
                    : g_strdup_printf ("%s left the room", target);
  announce (store, reply, room, by != NULL ? by : target, line, system, "room_member_left",
            event, (const char * const *) members, NULL);
  confab_store_stream_leave (store, room->conv, target);
  return reply;
}

static ConfabStoreReply *
leave_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  g_auto(Room) room = { 0 };

  if (!room_open (store, args->room, args->user, &room, error))
    return NULL;

  if (room.role == NULL)
    {
      g_autoptr(JsonObject) event = NULL;
      ConfabStoreReply *reply;
      const char *self[] = { args->user, NULL };

      if (!room.invited)
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "you are not in this room");
          return NULL;
        }
      /* Declining an invitation: only the invitee's devices need to hear of it. */
      RS (store)->uninvite (RSELF (store), args->room, args->user);
      reply = confab_store_reply_new (NULL);
      event = event_new (&room, args->user, NULL);
      json_object_set_string_member (event, "reason", "left");
      confab_store_emit_event (store, reply, "room_member_left", event, self);
      return reply;
    }

  if (g_str_equal (room.role, "owner")
      && RS (store)->count_role (RSELF (store), args->room, "owner") == 1
      && json_object_get_int_member (room.room, "member_count") > 1)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                 "you are the last owner: make another member owner first");
      return NULL;
    }
  return remove_member (store, &room, args->room, args->user, NULL);
}

static ConfabStoreReply *
kick_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  g_auto(Room) room = { 0 };
  g_autofree char *target_role = NULL;

  if (!room_open (store, args->room, args->user, &room, error)
      || !room_check_admin (&room, error))
    return NULL;
  if (g_str_equal (args->target, args->user))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "to leave a room, use room_leave");
      return NULL;
    }
  target_role = RS (store)->role (RSELF (store), args->room, args->target);
  if (target_role == NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "this user is not a member");
      return NULL;
    }
  if (g_str_equal (target_role, "owner"))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "an owner cannot be kicked");
      return NULL;
    }
  if (g_str_equal (target_role, "admin") && !g_str_equal (room.role, "owner"))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "only an owner can kick an admin");
      return NULL;
    }
  return remove_member (store, &room, args->room, args->target, args->user);
}

static ConfabStoreReply *
update_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  g_auto(Room) room = { 0 };
  g_auto(GStrv) members = NULL;
  g_autoptr(GPtrArray) systems = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  const char *name = NULL;
  const char *topic = NULL;
  const char *visibility = NULL;
  g_autoptr(JsonObject) event = NULL;
  ConfabStoreReply *reply;

  if (!room_open (store, args->room, args->user, &room, error)
      || !room_check_admin (&room, error))
    return NULL;

  /* Only what changes is written and told. */
  if (args->name != NULL
      && !g_str_equal (args->name, json_object_get_string_member (room.room, "name")))
    {
      JsonObject *system = system_new ("renamed", NULL, args->user);

      name = args->name;
      json_object_set_string_member (system, "name", name);
      g_ptr_array_add (systems, system);
      g_ptr_array_add (lines, g_strdup_printf ("%s renamed the room to %s", args->user, name));
    }
  if (args->topic != NULL
      && !g_str_equal (args->topic, json_object_get_string_member (room.room, "topic")))
    {
      JsonObject *system = system_new ("topic", NULL, args->user);

      topic = args->topic;
      json_object_set_string_member (system, "topic", topic);
      g_ptr_array_add (systems, system);
      g_ptr_array_add (lines, g_strdup_printf ("%s changed the topic to %s", args->user, topic));
    }
  if (args->visibility != NULL
      && !g_str_equal (args->visibility, json_object_get_string_member (room.room, "visibility")))
    {
      JsonObject *system = system_new ("visibility", NULL, args->user);

      visibility = args->visibility;
      json_object_set_string_member (system, "visibility", visibility);
      g_ptr_array_add (systems, system);
      g_ptr_array_add (lines, g_strdup_printf ("%s made the room %s", args->user, visibility));
    }
  if (systems->len == 0)
    return room_reply (&room);

  RS (store)->update (RSELF (store), args->room, name, topic, visibility);
  room_reload (store, args->room, &room);
  members = MS (store)->members (MSELF (store), room.conv);
  reply = room_reply (&room);
  for (guint i = 0; i < systems->len; i++)
    confab_messages_add_system (store, reply, room.conv, args->user, g_ptr_array_index (lines, i),
                                g_ptr_array_index (systems, i), (const char * const *) members);
  event = event_new (&room, NULL, args->user);
  confab_store_emit_stream_event (store, reply, "room_updated", event, room.conv,
                                  (const char * const *) members, NULL);
  return reply;
}

static ConfabStoreReply *
set_role_work (ConfabStore  *store,
               gpointer      data,
               GError      **error)
{
  Args *args = data;
  g_auto(Room) room = { 0 };
  g_auto(GStrv) members = NULL;
  g_autofree char *target_role = NULL;
  g_autofree char *line = NULL;
  g_autoptr(JsonObject) system = NULL;
  g_autoptr(JsonObject) event = NULL;
  ConfabStoreReply *reply;

  if (!room_open (store, args->room, args->user, &room, error)
      || !room_check_admin (&room, error))
    return NULL;
  target_role = RS (store)->role (RSELF (store), args->room, args->target);
  if (target_role == NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "this user is not a member");
      return NULL;
    }
  if ((g_str_equal (args->role, "owner") || g_str_equal (target_role, "owner"))
      && !g_str_equal (room.role, "owner"))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "only an owner can make or unmake owners");
      return NULL;
    }
  if (g_str_equal (target_role, args->role))
    return confab_store_reply_new (NULL);
  if (g_str_equal (target_role, "owner")
      && RS (store)->count_role (RSELF (store), args->room, "owner") == 1)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                 "the last owner stays owner until another member is owner");
      return NULL;
    }

  RS (store)->set_role (RSELF (store), args->room, args->target, args->role);
  room_reload (store, args->room, &room);
  members = MS (store)->members (MSELF (store), room.conv);
  reply = confab_store_reply_new (NULL);
  system = system_new ("role", args->target, args->user);
  json_object_set_string_member (system, "role", args->role);
  event = event_new (&room, args->target, args->user);
  json_object_set_string_member (event, "role", args->role);
  line = g_strdup_printf ("%s made %s %s", args->user, args->target,
                          g_str_equal (args->role, "member") ? "a member"
                          : g_str_equal (args->role, "admin") ? "an admin" : "an owner");
  announce (store, reply, &room, args->user, line, system, "room_updated", event,
            (const char * const *) members, NULL);
  return reply;
}

static ConfabStoreReply *
members_work (ConfabStore  *store,
              gpointer      data,
              GError      **error)
{
  Args *args = data;
  g_auto(Room) room = { 0 };
  JsonObject *result;
  JsonArray *members;

  if (!room_open (store, args->room, args->user, &room, error))
    return NULL;
  /* Who is in a private room is for its members. */
  if (!room.public && room.role == NULL)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such room");
      return NULL;
    }
  members = RS (store)->members (RSELF (store), args->room);
  result = json_object_new ();
  json_object_set_int_member (result, "total", json_array_get_length (members));
  json_object_set_array_member (result, "members", members);
  return confab_store_reply_new (result);
}

/* --- Operations -------------------------------------------------------------------------------
 *
 * Each completes with confab_store_finish (). */

void
confab_rooms_create_async (ConfabStore         *store,
                           const char          *user,
                           const char          *name,
                           const char          *topic,
                           const char          *visibility,
                           const char * const  *members,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (visibility != NULL);

  args = args_new (user, NULL);
  args->name = g_strdup (name);
  args->topic = g_strdup (topic != NULL ? topic : "");
  args->visibility = g_strdup (visibility);
  args->members = g_strdupv ((char **) members);
  run_work (store, "room_create", CONFAB_STORE_WORK_WRITE, create_work, args, cancellable,
            callback, user_data, confab_rooms_create_async);
}

void
confab_rooms_list_async (ConfabStore         *store,
                         const char          *user,
                         const char          *query,
                         guint                limit,
                         guint                offset,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);

  args = args_new (user, NULL);
  args->query = g_strdup (query != NULL && *query != '\0' ? query : NULL);
  args->limit = limit == 0 ? CONFAB_ROOM_LIST_DEFAULT_LIMIT : MIN (limit, CONFAB_ROOM_LIST_MAX_LIMIT);
  args->offset = offset;
  run_work (store, "room_list", CONFAB_STORE_WORK_READ, list_work, args, cancellable, callback,
            user_data, confab_rooms_list_async);
}

void
confab_rooms_join_async (ConfabStore         *store,
                         const char          *user,
                         const char          *room,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (user != NULL && room != NULL);

  run_work (store, "room_join", CONFAB_STORE_WORK_WRITE, join_work, args_new (user, room),
            cancellable, callback, user_data, confab_rooms_join_async);
}

void
confab_rooms_leave_async (ConfabStore         *store,
                          const char          *user,
                          const char          *room,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (user != NULL && room != NULL);

  run_work (store, "room_leave", CONFAB_STORE_WORK_WRITE, leave_work, args_new (user, room),
            cancellable, callback, user_data, confab_rooms_leave_async);
}

void
confab_rooms_members_async (ConfabStore         *store,
                            const char          *user,
                            const char          *room,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (user != NULL && room != NULL);

  run_work (store, "room_members", CONFAB_STORE_WORK_READ, members_work, args_new (user, room),
            cancellable, callback, user_data, confab_rooms_members_async);
}

void
confab_rooms_invite_async (ConfabStore         *store,
                           const char          *user,
                           const char          *room,
                           const char          *target,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL && room != NULL && target != NULL);

  args = args_new (user, room);
  args->target = g_strdup (target);
  run_work (store, "room_invite", CONFAB_STORE_WORK_WRITE, invite_work, args, cancellable,
            callback, user_data, confab_rooms_invite_async);
}

void
confab_rooms_kick_async (ConfabStore         *store,
                         const char          *user,
                         const char          *room,
                         const char          *target,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL && room != NULL && target != NULL);

  args = args_new (user, room);
  args->target = g_strdup (target);
  run_work (store, "room_kick", CONFAB_STORE_WORK_WRITE, kick_work, args, cancellable, callback,
            user_data, confab_rooms_kick_async);
}

void
confab_rooms_set_role_async (ConfabStore         *store,
                             const char          *user,
                             const char          *room,
                             const char          *target,
                             const char          *role,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL && room != NULL && target != NULL && role != NULL);

  args = args_new (user, room);
  args->target = g_strdup (target);
  args->role = g_strdup (role);
  run_work (store, "room_set_role", CONFAB_STORE_WORK_WRITE, set_role_work, args, cancellable,
            callback, user_data, confab_rooms_set_role_async);
}

void
confab_rooms_update_async (ConfabStore         *store,
                           const char          *user,
                           const char          *room,
                           const char          *name,
                           const char          *topic,
                           const char          *visibility,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL && room != NULL);

  args = args_new (user, room);
  args->name = g_strdup (name);
  args->topic = g_strdup (topic);
  args->visibility = g_strdup (visibility);
  run_work (store, "room_update", CONFAB_STORE_WORK_WRITE, update_work, args, cancellable,
            callback, user_data, confab_rooms_update_async);
}

/* --- Requests -------------------------------------------------------------------------------- */

/* A text field trimmed of surrounding white space and counted in code points (protocol §9):
 * a value of the wrong type is bad_request, a length out of bounds `invalid`. */
static gboolean
get_text (JsonObject        *frame,
          const char        *name,
          ConfabParamFlags   flags,
          guint              min_chars,
          guint              max_chars,
          char             **out,
          GError           **error)
{
  const char *raw = NULL;
  g_autofree char *text = NULL;
  glong chars;

  /* The raw value may carry white space beyond the bound; the frame limit bounds it anyway. */
  if (!confab_params_get_string (frame, name, flags, 0, G_MAXINT, &raw, error))
    return FALSE;
  if (raw == NULL)
    {
      *out = NULL;
      return TRUE;
    }
  text = g_strstrip (g_strdup (raw));
  chars = g_utf8_strlen (text, -1);
  if ((gulong) chars < min_chars || (gulong) chars > max_chars)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                   "%s must have %u to %u characters", name, min_chars, max_chars);
      return FALSE;
    }
  *out = g_steal_pointer (&text);
  return TRUE;
}

/* One of @values, or `invalid` naming them. */
static gboolean
get_choice (JsonObject          *frame,
            const char          *name,
            ConfabParamFlags     flags,
            const char * const  *values,
            const char         **out,
            GError             **error)
{
  const char *value = NULL;

  if (!confab_params_get_string (frame, name, flags, 1, 64, &value, error))
    return FALSE;
  *out = NULL;
  if (value == NULL)
    return TRUE;
  for (guint i = 0; values[i] != NULL; i++)
    if (g_str_equal (value, values[i]))
      {
        *out = values[i];
        return TRUE;
      }
  {
    g_autofree char *allowed = g_strjoinv (", ", (char **) values);

    g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                 "%s must be one of: %s", name, allowed);
  }
  return FALSE;
}

static const char * const visibilities[] = { "public", "private", NULL };
static const char * const roles[] = { "owner", "admin", "member", NULL };

/* A room id as a request names it: malformed ones cannot exist, so they are not_found too. */
static gboolean
get_room (JsonObject  *frame,
          const char **room,
          GError     **error)
{
  if (!confab_params_get_string (frame, "room", CONFAB_PARAM_REQUIRED, 1, 64, room, error))
    return FALSE;
  if (!confab_room_id_is_valid (*room))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such room");
      return FALSE;
    }
  return TRUE;
}

static void
handle_room_create (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *topic = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) members = NULL;
  const char *visibility = NULL;
  JsonArray *array = NULL;

  if (!get_text (frame, "name", CONFAB_PARAM_REQUIRED, 1, CONFAB_ROOM_NAME_MAX_CHARS, &name,
                 &error)
      || !get_text (frame, "topic", CONFAB_PARAM_OPTIONAL, 0, CONFAB_ROOM_TOPIC_MAX_CHARS, &topic,
                    &error)
      || !get_choice (frame, "visibility", CONFAB_PARAM_REQUIRED, visibilities, &visibility,
                      &error)
      || !confab_params_get_array (frame, "members", CONFAB_PARAM_OPTIONAL, G_MAXUINT, &array,
                                   &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (array != NULL && json_array_get_length (array) > CONFAB_ROOM_CREATE_MAX_MEMBERS)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_INVALID,
                                       "members: at most "
                                       G_STRINGIFY (CONFAB_ROOM_CREATE_MAX_MEMBERS)
                                       " names; invite the others afterwards");
      return;
    }
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *username = NULL;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        username = confab_username_normalize (json_node_get_string (node));
      if (username == NULL)
        {
          confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                           "members must be a list of usernames");
          return;
        }
      g_strv_builder_add (builder, username);
    }
  members = g_strv_builder_end (builder);
  /* Creating rooms and inviting reach other people, as sending does: the same budget. */
  if (!confab_connection_check_send_rate (self, id))
    return;

  confab_rooms_create_async (STORE (self), confab_connection_get_username (self), name, topic,
                             visibility, (const char * const *) members,
                             CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_room_list (gpointer          instance,
                  ConfabConnection *self,
                  const char       *id,
                  JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *query = NULL;
  gint64 limit = CONFAB_ROOM_LIST_DEFAULT_LIMIT;
  gint64 offset = 0;

  if (!get_text (frame, "query", CONFAB_PARAM_OPTIONAL, 0, CONFAB_ROOM_NAME_MAX_CHARS, &query,
                 &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1,
                                 CONFAB_ROOM_LIST_MAX_LIMIT, &limit, &error)
      || !confab_params_get_int (frame, "offset", CONFAB_PARAM_OPTIONAL, 0, G_MAXINT32, &offset,
                                 &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_rooms_list_async (STORE (self), confab_connection_get_username (self), query,
                           (guint) limit, (guint) offset, CONFAB_STORE_CALL (self, id, NULL));
}

/* A store call about a room (user, room): join, leave. */
typedef void (*RoomOp) (ConfabStore *, const char *, const char *,
                        GCancellable *, GAsyncReadyCallback, gpointer);

/* A store call about a room and another user (user, room, target): invite, kick. */
typedef void (*RoomUserOp) (ConfabStore *, const char *, const char *, const char *,
                            GCancellable *, GAsyncReadyCallback, gpointer);

/* room_join, room_leave: only the room. */
static void
handle_room_simple (ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame,
                    RoomOp            op)
{
  g_autoptr(GError) error = NULL;
  const char *room = NULL;

  if (!get_room (frame, &room, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  op (STORE (self), confab_connection_get_username (self), room,
      CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_room_join (gpointer          instance,
                  ConfabConnection *self,
                  const char       *id,
                  JsonObject       *frame)
{
  handle_room_simple (self, id, frame, confab_rooms_join_async);
}

static void
handle_room_leave (gpointer          instance,
                   ConfabConnection *self,
                   const char       *id,
                   JsonObject       *frame)
{
  handle_room_simple (self, id, frame, confab_rooms_leave_async);
}

/* room_invite, room_kick: the room and a user. */
static void
handle_room_user (ConfabConnection *self,
                  const char       *id,
                  JsonObject       *frame,
                  RoomUserOp        op)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  const char *room = NULL;

  if (!get_room (frame, &room, &error)
      || !confab_request_get_username (frame, "user", &user, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  op (STORE (self), confab_connection_get_username (self), room, user,
      CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_room_invite (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  if (!confab_connection_check_send_rate (self, id))
    return;
  handle_room_user (self, id, frame, confab_rooms_invite_async);
}

static void
handle_room_kick (gpointer          instance,
                  ConfabConnection *self,
                  const char       *id,
                  JsonObject       *frame)
{
  handle_room_user (self, id, frame, confab_rooms_kick_async);
}

static void
handle_room_update (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *topic = NULL;
  const char *visibility = NULL;
  const char *room = NULL;

  if (!get_room (frame, &room, &error)
      || !get_text (frame, "name", CONFAB_PARAM_OPTIONAL, 1, CONFAB_ROOM_NAME_MAX_CHARS, &name,
                    &error)
      || !get_text (frame, "topic", CONFAB_PARAM_OPTIONAL, 0, CONFAB_ROOM_TOPIC_MAX_CHARS, &topic,
                    &error)
      || !get_choice (frame, "visibility", CONFAB_PARAM_OPTIONAL, visibilities, &visibility,
                      &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_rooms_update_async (STORE (self), confab_connection_get_username (self), room, name,
                             topic, visibility, CONFAB_STORE_CALL (self, id, NULL));
}

/* Presence is the presence module's, in memory: it joins the stored list on the main thread. */
static void
members_hook (ConfabConnection *self,
              ConfabStoreReply *reply,
              gpointer          hook_data)
{
  ConfabPresence *presence = confab_presence_from_server (confab_connection_get_server (self));
  JsonObject *result = confab_store_reply_get_result (reply);
  JsonArray *members = json_object_get_array_member (result, "members");

  for (guint i = 0; i < json_array_get_length (members); i++)
    {
      JsonObject *member = json_array_get_object_element (members, i);
      gint64 last_seen = json_object_get_int_member (member, "last_seen");

      if (presence != NULL)
        json_object_set_object_member (member, "presence",
                                       confab_presence_describe (presence,
                                                                 json_object_get_string_member (member, "user"),
                                                                 last_seen));
      json_object_remove_member (member, "last_seen");
    }
}

static void
handle_room_members (gpointer          instance,
                     ConfabConnection *self,
                     const char       *id,
                     JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *room = NULL;

  if (!get_room (frame, &room, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_rooms_members_async (STORE (self), confab_connection_get_username (self), room,
                              CONFAB_STORE_CALL (self, id, members_hook));
}

static void
handle_room_set_role (gpointer          instance,
                      ConfabConnection *self,
                      const char       *id,
                      JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  const char *room = NULL;
  const char *role = NULL;

  if (!get_room (frame, &room, &error)
      || !confab_request_get_username (frame, "user", &user, &error)
      || !get_choice (frame, "role", CONFAB_PARAM_REQUIRED, roles, &role, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_rooms_set_role_async (STORE (self), confab_connection_get_username (self), room, user,
                               role, CONFAB_STORE_CALL (self, id, NULL));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { "room_create", handle_room_create },
  { "room_list", handle_room_list },
  { "room_join", handle_room_join },
  { "room_invite", handle_room_invite },
  { "room_leave", handle_room_leave },
  { "room_kick", handle_room_kick },
  { "room_update", handle_room_update },
  { "room_members", handle_room_members },
  { "room_set_role", handle_room_set_role },
  { NULL }
};

static const char * const events[] = {
  "room_member_joined", "room_member_left", "room_updated", "room_invite", NULL
};

static const ConfabServerModule module = {
  .name = "rooms",
  .requests = requests,
  .events = events,
};

void
confab_rooms_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
