/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room"

#include "config.h"

#include "confab-frame.h"
#include "confab-room.h"
#include "confab-validate.h"

#include <glib/gi18n.h>

enum {
  PROP_0,
  PROP_ID,
  PROP_CONV,
  PROP_NAME,
  PROP_TOPIC,
  PROP_PUBLIC,
  PROP_OWNER,
  PROP_CREATED_TS,
  PROP_MEMBER_COUNT,
  PROP_MEMBERSHIP,
  PROP_INVITED_BY,
  PROP_NOTIFY_LEVEL,
  N_PROPS
};

struct _ConfabRoom
{
  GObject           parent_instance;

  char             *id;
  char             *conv;
  char             *name;
  char             *topic;
  gboolean          is_public;
  char             *owner;
  gint64            created_ts;
  guint             member_count;
  char             *membership;
  char             *invited_by;
  ConfabRoomNotify  notify_level;
};

G_DEFINE_ENUM_TYPE (ConfabRoomNotify, confab_room_notify,
                    G_DEFINE_ENUM_VALUE (CONFAB_ROOM_NOTIFY_ALL, "all"),
                    G_DEFINE_ENUM_VALUE (CONFAB_ROOM_NOTIFY_MENTIONS, "mentions"),
                    G_DEFINE_ENUM_VALUE (CONFAB_ROOM_NOTIFY_NOTHING, "nothing"))

G_DEFINE_FINAL_TYPE (ConfabRoom, confab_room, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static gboolean
set_string (ConfabRoom  *self,
            char       **field,
            const char  *value,
            guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
  return TRUE;
}

static void
confab_room_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  ConfabRoom *self = CONFAB_ROOM (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_CONV: g_value_set_string (value, self->conv); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_TOPIC: g_value_set_string (value, confab_room_get_topic (self)); break;
    case PROP_PUBLIC: g_value_set_boolean (value, self->is_public); break;
    case PROP_OWNER: g_value_set_string (value, self->owner); break;
    case PROP_CREATED_TS: g_value_set_int64 (value, self->created_ts); break;
    case PROP_MEMBER_COUNT: g_value_set_uint (value, self->member_count); break;
    case PROP_MEMBERSHIP: g_value_set_string (value, self->membership); break;
    case PROP_INVITED_BY: g_value_set_string (value, self->invited_by); break;
    case PROP_NOTIFY_LEVEL: g_value_set_enum (value, self->notify_level); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_room_finalize (GObject *object)
{
  ConfabRoom *self = CONFAB_ROOM (object);

  g_free (self->id);
  g_free (self->conv);
  g_free (self->name);
  g_free (self->topic);
  g_free (self->owner);
  g_free (self->membership);
  g_free (self->invited_by);

  G_OBJECT_CLASS (confab_room_parent_class)->finalize (object);
}

static void
confab_room_class_init (ConfabRoomClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = confab_room_get_property;
  object_class->finalize = confab_room_finalize;

  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, flags);
  properties[PROP_CONV] = g_param_spec_string ("conv", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_TOPIC] = g_param_spec_string ("topic", NULL, NULL, NULL, flags);
  properties[PROP_PUBLIC] = g_param_spec_boolean ("public", NULL, NULL, FALSE, flags);
  properties[PROP_OWNER] = g_param_spec_string ("owner", NULL, NULL, NULL, flags);
  properties[PROP_CREATED_TS] = g_param_spec_int64 ("created-ts", NULL, NULL, 0, G_MAXINT64, 0,
                                                    flags);
  properties[PROP_MEMBER_COUNT] = g_param_spec_uint ("member-count", NULL, NULL, 0, G_MAXUINT, 0,
                                                     flags);
  properties[PROP_MEMBERSHIP] = g_param_spec_string ("membership", NULL, NULL, NULL, flags);
  properties[PROP_INVITED_BY] = g_param_spec_string ("invited-by", NULL, NULL, NULL, flags);
  properties[PROP_NOTIFY_LEVEL] = g_param_spec_enum ("notify-level", NULL, NULL,
                                                     CONFAB_TYPE_ROOM_NOTIFY,
                                                     CONFAB_ROOM_NOTIFY_ALL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_room_init (ConfabRoom *self)
{
}

const char *
confab_room_notify_to_string (ConfabRoomNotify level)
{
  switch (level)
    {
    case CONFAB_ROOM_NOTIFY_MENTIONS: return "mentions";
    case CONFAB_ROOM_NOTIFY_NOTHING: return "nothing";
    case CONFAB_ROOM_NOTIFY_ALL:
    default:
      return "all";
    }
}

gboolean
confab_room_notify_from_string (const char       *text,
                                ConfabRoomNotify *out)
{
  static const ConfabRoomNotify levels[] = {
    CONFAB_ROOM_NOTIFY_ALL, CONFAB_ROOM_NOTIFY_MENTIONS, CONFAB_ROOM_NOTIFY_NOTHING,
  };

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (levels); i++)
    if (g_str_equal (text, confab_room_notify_to_string (levels[i])))
      {
        *out = levels[i];
        return TRUE;
      }
  return FALSE;
}

ConfabRoom *
confab_room_new_from_json (JsonObject *room)
{
  const char *id, *name;
  ConfabRoom *self;

  g_return_val_if_fail (room != NULL, NULL);

  id = confab_json_get_string (room, "id");
  name = confab_json_get_string (room, "name");
  if (!confab_room_id_is_valid (id) || name == NULL)
    return NULL;

  self = g_object_new (CONFAB_TYPE_ROOM, NULL);
  self->id = g_strdup (id);
  self->conv = confab_conv_room (id);
  confab_room_update_from_json (self, room);
  return self;
}

const char *
confab_room_get_id (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);
  return self->id;
}

const char *
confab_room_get_conv (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);
  return self->conv;
}

const char *
confab_room_get_name (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);
  return self->name != NULL ? self->name : self->id;
}

const char *
confab_room_get_topic (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);
  return self->topic != NULL ? self->topic : "";
}

gboolean
confab_room_get_public (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), FALSE);
  return self->is_public;
}

const char *
confab_room_get_owner (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);
  return self->owner;
}

gint64
confab_room_get_created_ts (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), 0);
  return self->created_ts;
}

guint
confab_room_get_member_count (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), 0);
  return self->member_count;
}

const char *
confab_room_get_membership (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);
  return self->membership;
}

const char *
confab_room_get_invited_by (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);
  return self->invited_by;
}

ConfabRoomNotify
confab_room_get_notify_level (ConfabRoom *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM (self), CONFAB_ROOM_NOTIFY_ALL);
  return self->notify_level;
}

void
confab_room_update_from_json (ConfabRoom *self,
                              JsonObject *room)
{
  const char *value;
  gint64 number;
  JsonNode *node;

  g_return_if_fail (CONFAB_IS_ROOM (self));
  g_return_if_fail (room != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  if ((value = confab_json_get_string (room, "name")) != NULL)
    set_string (self, &self->name, value, PROP_NAME);
  if ((value = confab_json_get_string (room, "topic")) != NULL)
    set_string (self, &self->topic, value, PROP_TOPIC);
  if ((value = confab_json_get_string (room, "owner")) != NULL)
    set_string (self, &self->owner, value, PROP_OWNER);
  if ((value = confab_json_get_string (room, "visibility")) != NULL
      && self->is_public != g_str_equal (value, "public"))
    {
      self->is_public = g_str_equal (value, "public");
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PUBLIC]);
    }
  if (confab_json_get_int (room, "created_ts", &number) && number >= 0
      && number != self->created_ts)
    {
      self->created_ts = number;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREATED_TS]);
    }
  if (confab_json_get_int (room, "member_count", &number) && number >= 0 && number <= G_MAXUINT
      && (guint) number != self->member_count)
    {
      self->member_count = (guint) number;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEMBER_COUNT]);
    }
  node = json_object_get_member (room, "membership");
  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    set_string (self, &self->membership, NULL, PROP_MEMBERSHIP);
  else if ((value = confab_json_get_string (room, "membership")) != NULL
           && (g_str_equal (value, "member") || g_str_equal (value, "invited")))
    set_string (self, &self->membership, value, PROP_MEMBERSHIP);
  g_object_thaw_notify (G_OBJECT (self));
}

void
confab_room_set_membership (ConfabRoom *self,
                            const char *membership,
                            const char *invited_by)
{
  g_return_if_fail (CONFAB_IS_ROOM (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_string (self, &self->membership, membership, PROP_MEMBERSHIP);
  set_string (self, &self->invited_by, g_strcmp0 (membership, "invited") == 0 ? invited_by : NULL,
              PROP_INVITED_BY);
  g_object_thaw_notify (G_OBJECT (self));
}

void
confab_room_set_notify_level (ConfabRoom       *self,
                              ConfabRoomNotify  level)
{
  g_return_if_fail (CONFAB_IS_ROOM (self));

  if (self->notify_level == level)
    return;
  self->notify_level = level;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTIFY_LEVEL]);
}

char *
confab_room_dup_initials (const char *name)
{
  GString *initials = g_string_new (NULL);
  gboolean word_start = TRUE;
  guint count = 0;

  for (const char *p = name; p != NULL && *p != '\0' && count < 2; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isalnum (c))
        {
          word_start = TRUE;
          continue;
        }
      if (word_start)
        {
          g_string_append_unichar (initials, g_unichar_toupper (c));
          count++;
        }
      word_start = FALSE;
    }
  if (initials->len == 0)
    g_string_append_c (initials, '#');
  return g_string_free (initials, FALSE);
}

char *
confab_room_dup_summary (ConfabRoom *self)
{
  g_autofree char *members = NULL;

  g_return_val_if_fail (CONFAB_IS_ROOM (self), NULL);

  members = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member", "%u members",
                                          self->member_count), self->member_count);
  if (self->topic == NULL || self->topic[0] == '\0')
    return g_steal_pointer (&members);
  return g_strdup_printf ("%s · %s", members, self->topic);
}
