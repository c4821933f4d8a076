/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room-member"

#include "config.h"

#include "confab-room-member.h"
#include "confab-contact.h"

enum {
  PROP_0,
  PROP_USERNAME,
  PROP_ROLE,
  PROP_CONTACT,
  PROP_DISPLAY_NAME,
  N_PROPS
};

struct _ConfabRoomMember
{
  GObject        parent_instance;

  char          *username;
  char          *role;
  ConfabContact *contact;
  gulong         name_handler;
};

G_DEFINE_FINAL_TYPE (ConfabRoomMember, confab_room_member, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
on_contact_notify_display_name (ConfabRoomMember *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
}

static void
confab_room_member_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabRoomMember *self = CONFAB_ROOM_MEMBER (object);

  switch (prop_id)
    {
    case PROP_USERNAME: g_value_set_string (value, self->username); break;
    case PROP_ROLE: g_value_set_string (value, self->role); break;
    case PROP_CONTACT: g_value_set_object (value, self->contact); break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, confab_room_member_get_display_name (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_room_member_dispose (GObject *object)
{
  ConfabRoomMember *self = CONFAB_ROOM_MEMBER (object);

  if (self->contact != NULL)
    g_clear_signal_handler (&self->name_handler, self->contact);
  g_clear_object (&self->contact);

  G_OBJECT_CLASS (confab_room_member_parent_class)->dispose (object);
}

static void
confab_room_member_finalize (GObject *object)
{
  ConfabRoomMember *self = CONFAB_ROOM_MEMBER (object);

  g_free (self->username);
  g_free (self->role);

  G_OBJECT_CLASS (confab_room_member_parent_class)->finalize (object);
}

static void
confab_room_member_class_init (ConfabRoomMemberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = confab_room_member_get_property;
  object_class->dispose = confab_room_member_dispose;
  object_class->finalize = confab_room_member_finalize;

  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  properties[PROP_CONTACT] = g_param_spec_object ("contact", NULL, NULL, CONFAB_TYPE_CONTACT,
                                                  flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_room_member_init (ConfabRoomMember *self)
{
}

ConfabRoomMember *
confab_room_member_new (const char *username,
                        const char *role)
{
  ConfabRoomMember *self;

  g_return_val_if_fail (username != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_ROOM_MEMBER, NULL);
  self->username = g_strdup (username);
  self->role = g_strdup (role != NULL ? role : "member");
  return self;
}

const char *
confab_room_member_get_username (ConfabRoomMember *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_MEMBER (self), NULL);
  return self->username;
}

const char *
confab_room_member_get_role (ConfabRoomMember *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_MEMBER (self), NULL);
  return self->role;
}

ConfabContact *
confab_room_member_get_contact (ConfabRoomMember *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_MEMBER (self), NULL);
  return self->contact;
}

const char *
confab_room_member_get_display_name (ConfabRoomMember *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_MEMBER (self), NULL);

  if (self->contact != NULL)
    return confab_contact_get_display_name (self->contact);
  return self->username;
}

gboolean
confab_room_member_is_admin (ConfabRoomMember *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOM_MEMBER (self), FALSE);
  return g_strcmp0 (self->role, "owner") == 0 || g_strcmp0 (self->role, "admin") == 0;
}

void
confab_room_member_set_role (ConfabRoomMember *self,
                             const char       *role)
{
  g_return_if_fail (CONFAB_IS_ROOM_MEMBER (self));

  if (role == NULL || g_strcmp0 (self->role, role) == 0)
    return;
  g_free (self->role);
  self->role = g_strdup (role);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
}

void
confab_room_member_set_contact (ConfabRoomMember *self,
                                ConfabContact    *contact)
{
  g_return_if_fail (CONFAB_IS_ROOM_MEMBER (self));

  if (self->contact == contact)
    return;
  if (self->contact != NULL)
    g_clear_signal_handler (&self->name_handler, self->contact);
  g_set_object (&self->contact, contact);
  if (contact != NULL)
    self->name_handler = g_signal_connect_object (contact, "notify::display-name",
                                                  G_CALLBACK (on_contact_notify_display_name),
                                                  self, G_CONNECT_SWAPPED);
  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
  g_object_thaw_notify (G_OBJECT (self));
}
