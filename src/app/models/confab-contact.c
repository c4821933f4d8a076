/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-contact"

#include "config.h"

#include "confab-contact.h"
#include "confab-frame.h"

enum {
  PROP_0,
  PROP_USERNAME,
  PROP_DISPLAY_NAME,
  PROP_EMAIL,
  PROP_PHONE,
  PROP_DEPARTMENT,
  PROP_TITLE,
  PROP_LOCATION,
  PROP_AVATAR_FILE_ID,
  PROP_ROLE,
  PROP_TIMEZONE,
  PROP_BOT,
  PROP_PRESENCE,
  PROP_PRESENCE_TEXT,
  PROP_LAST_SEEN,
  N_PROPS
};

/* Profile string fields, in property order from PROP_DISPLAY_NAME. */
static const char * const profile_fields[] = {
  "display_name", "email", "phone", "department", "title", "location", "avatar_file_id", "role",
  "timezone",
};
#define N_FIELDS G_N_ELEMENTS (profile_fields)

struct _ConfabContact
{
  GObject         parent_instance;

  char           *username;
  char           *fields[N_FIELDS];
  gboolean        bot;
  ConfabPresence  presence;
  char           *presence_text;
  gint64          last_seen;
};

G_DEFINE_ENUM_TYPE (ConfabPresence, confab_presence,
                    G_DEFINE_ENUM_VALUE (CONFAB_PRESENCE_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (CONFAB_PRESENCE_ONLINE, "online"),
                    G_DEFINE_ENUM_VALUE (CONFAB_PRESENCE_AWAY, "away"),
                    G_DEFINE_ENUM_VALUE (CONFAB_PRESENCE_BUSY, "busy"),
                    G_DEFINE_ENUM_VALUE (CONFAB_PRESENCE_INVISIBLE, "invisible"))

G_DEFINE_FINAL_TYPE (ConfabContact, confab_contact, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

ConfabPresence
confab_presence_from_string (const char *status)
{
  static const char * const names[] = { "offline", "online", "away", "busy", "invisible" };

  for (guint i = 0; status != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (status, names[i]))
      return (ConfabPresence) i;
  return CONFAB_PRESENCE_OFFLINE;
}

const char *
confab_presence_to_string (ConfabPresence presence)
{
  static const char * const names[] = { "offline", "online", "away", "busy", "invisible" };

  if ((guint) presence >= G_N_ELEMENTS (names))
    return "offline";
  return names[presence];
}

static void
confab_contact_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabContact *self = CONFAB_CONTACT (object);

  switch (prop_id)
    {
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, confab_contact_get_display_name (self));
      break;
    case PROP_EMAIL:
    case PROP_PHONE:
    case PROP_DEPARTMENT:
    case PROP_TITLE:
    case PROP_LOCATION:
    case PROP_AVATAR_FILE_ID:
    case PROP_ROLE:
    case PROP_TIMEZONE:
      g_value_set_string (value, self->fields[prop_id - PROP_DISPLAY_NAME]);
      break;
    case PROP_BOT:
      g_value_set_boolean (value, self->bot);
      break;
    case PROP_PRESENCE:
      g_value_set_enum (value, self->presence);
      break;
    case PROP_PRESENCE_TEXT:
      g_value_set_string (value, self->presence_text);
      break;
    case PROP_LAST_SEEN:
      g_value_set_int64 (value, self->last_seen);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_contact_finalize (GObject *object)
{
  ConfabContact *self = CONFAB_CONTACT (object);

  g_free (self->username);
  for (guint i = 0; i < N_FIELDS; i++)
    g_free (self->fields[i]);
  g_free (self->presence_text);

  G_OBJECT_CLASS (confab_contact_parent_class)->finalize (object);
}

static void
confab_contact_class_init (ConfabContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = confab_contact_get_property;
  object_class->finalize = confab_contact_finalize;

  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, flags);
  properties[PROP_EMAIL] = g_param_spec_string ("email", NULL, NULL, NULL, flags);
  properties[PROP_PHONE] = g_param_spec_string ("phone", NULL, NULL, NULL, flags);
  properties[PROP_DEPARTMENT] = g_param_spec_string ("department", NULL, NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, flags);
  properties[PROP_AVATAR_FILE_ID] = g_param_spec_string ("avatar-file-id", NULL, NULL, NULL,
                                                         flags);
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  properties[PROP_TIMEZONE] = g_param_spec_string ("timezone", NULL, NULL, NULL, flags);
  properties[PROP_BOT] = g_param_spec_boolean ("bot", NULL, NULL, FALSE, flags);
  properties[PROP_PRESENCE] = g_param_spec_enum ("presence", NULL, NULL, CONFAB_TYPE_PRESENCE,
                                                 CONFAB_PRESENCE_OFFLINE, flags);
  properties[PROP_PRESENCE_TEXT] = g_param_spec_string ("presence-text", NULL, NULL, NULL, flags);
  properties[PROP_LAST_SEEN] = g_param_spec_int64 ("last-seen", NULL, NULL, 0, G_MAXINT64, 0,
                                                   flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_contact_init (ConfabContact *self)
{
}

ConfabContact *
confab_contact_new (const char *username)
{
  ConfabContact *self;

  g_return_val_if_fail (username != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_CONTACT, NULL);
  self->username = g_strdup (username);
  return self;
}

const char *
confab_contact_get_username (ConfabContact *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACT (self), NULL);
  return self->username;
}

const char *
confab_contact_get_display_name (ConfabContact *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACT (self), NULL);

  if (self->fields[0] != NULL && self->fields[0][0] != '\0')
    return self->fields[0];
  return self->username;
}

#define FIELD_GETTER(name, index) \
  const char * \
  confab_contact_get_##name (ConfabContact *self) \
  { \
    g_return_val_if_fail (CONFAB_IS_CONTACT (self), NULL); \
    return self->fields[index]; \
  }

FIELD_GETTER (email, 1)
FIELD_GETTER (phone, 2)
FIELD_GETTER (department, 3)
FIELD_GETTER (title, 4)
FIELD_GETTER (location, 5)
FIELD_GETTER (avatar_file_id, 6)
FIELD_GETTER (role, 7)
FIELD_GETTER (timezone, 8)

gboolean
confab_contact_get_bot (ConfabContact *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACT (self), FALSE);
  return self->bot;
}

ConfabPresence
confab_contact_get_presence (ConfabContact *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACT (self), CONFAB_PRESENCE_OFFLINE);
  return self->presence;
}

const char *
confab_contact_get_presence_text (ConfabContact *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACT (self), NULL);
  return self->presence_text;
}

gint64
confab_contact_get_last_seen (ConfabContact *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACT (self), 0);
  return self->last_seen;
}

void
confab_contact_update_from_json (ConfabContact *self,
                                 JsonObject    *user)
{
  JsonNode *node;
  gboolean bot;

  g_return_if_fail (CONFAB_IS_CONTACT (self));
  g_return_if_fail (user != NULL);

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; i < N_FIELDS; i++)
    {
      const char *value = NULL;

      node = json_object_get_member (user, profile_fields[i]);
      if (node != NULL && JSON_NODE_HOLDS_VALUE (node)
          && json_node_get_value_type (node) == G_TYPE_STRING)
        value = json_node_get_string (node);
      else if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        continue;

      if (g_strcmp0 (self->fields[i], value) != 0)
        {
          g_free (self->fields[i]);
          self->fields[i] = g_strdup (value);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME + i]);
        }
    }
  if (confab_json_get_bool (user, "bot", &bot) && bot != self->bot)
    {
      self->bot = bot;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOT]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
confab_contact_set_presence (ConfabContact  *self,
                             ConfabPresence  presence,
                             const char     *text,
                             gint64          last_seen)
{
  g_return_if_fail (CONFAB_IS_CONTACT (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->presence != presence)
    {
      self->presence = presence;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESENCE]);
    }
  if (g_strcmp0 (self->presence_text, text) != 0)
    {
      g_free (self->presence_text);
      self->presence_text = g_strdup (text);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESENCE_TEXT]);
    }
  if (last_seen > 0 && self->last_seen != last_seen)
    {
      self->last_seen = last_seen;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEEN]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}
