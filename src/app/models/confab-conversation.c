/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-conversation"

#include "config.h"

#include "confab-conversation.h"
#include "confab-contact.h"
#include "confab-room.h"
#include "confab-validate.h"

enum {
  PROP_0,
  PROP_CONV,
  PROP_KIND,
  PROP_TITLE,
  PROP_PEER,
  PROP_PEER_CONTACT,
  PROP_PEER_PRESENCE,
  PROP_LAST_MESSAGE_PREVIEW,
  PROP_LAST_MESSAGE_TIME,
  PROP_LAST_MESSAGE_ID,
  PROP_UNREAD,
  PROP_LAST_READ,
  PROP_PEER_READ,
  PROP_MUTED,
  PROP_TYPING_TEXT,
  PROP_ROOM,
  PROP_LAST_MESSAGE_SENDER,
  PROP_MENTIONS_UNREAD,
  N_PROPS
};

struct _ConfabConversation
{
  GObject                 parent_instance;

  char                   *conv;
  ConfabConversationKind  kind;
  char                   *title;
  char                   *peer;
  ConfabContact          *peer_contact;
  gulong                  presence_handler;
  gulong                  name_handler;
  char                   *preview;
  gint64                  last_ts;
  gint64                  last_id;
  guint                   unread;
  gint64                  last_read;
  gint64                  peer_read;
  gboolean                muted;
  char                   *typing_text;
  ConfabRoom             *room;
  gulong                  room_name_handler;
  char                   *last_sender;
  guint                   mentions_unread;
};

G_DEFINE_ENUM_TYPE (ConfabConversationKind, confab_conversation_kind,
                    G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_DM, "dm"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CONVERSATION_ROOM, "room"))

G_DEFINE_FINAL_TYPE (ConfabConversation, confab_conversation, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
on_peer_contact_notify_presence (ConfabConversation *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_PRESENCE]);
}

static void
on_peer_contact_notify_display_name (ConfabConversation *self)
{
  if (self->title == NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

static void
confab_conversation_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_CONV: g_value_set_string (value, self->conv); break;
    case PROP_KIND: g_value_set_enum (value, self->kind); break;
    case PROP_TITLE: g_value_set_string (value, confab_conversation_get_title (self)); break;
    case PROP_PEER: g_value_set_string (value, self->peer); break;
    case PROP_PEER_CONTACT: g_value_set_object (value, self->peer_contact); break;
    case PROP_PEER_PRESENCE:
      g_value_set_enum (value, confab_conversation_get_peer_presence (self));
      break;
    case PROP_LAST_MESSAGE_PREVIEW: g_value_set_string (value, self->preview); break;
    case PROP_LAST_MESSAGE_TIME: g_value_set_int64 (value, self->last_ts); break;
    case PROP_LAST_MESSAGE_ID: g_value_set_int64 (value, self->last_id); break;
    case PROP_UNREAD: g_value_set_uint (value, self->unread); break;
    case PROP_LAST_READ: g_value_set_int64 (value, self->last_read); break;
    case PROP_PEER_READ: g_value_set_int64 (value, self->peer_read); break;
    case PROP_MUTED: g_value_set_boolean (value, self->muted); break;
    case PROP_TYPING_TEXT: g_value_set_string (value, self->typing_text); break;
    case PROP_ROOM: g_value_set_object (value, self->room); break;
    case PROP_LAST_MESSAGE_SENDER: g_value_set_string (value, self->last_sender); break;
    case PROP_MENTIONS_UNREAD: g_value_set_uint (value, self->mentions_unread); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_dispose (GObject *object)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

  if (self->peer_contact != NULL)
    {
      g_clear_signal_handler (&self->presence_handler, self->peer_contact);
      g_clear_signal_handler (&self->name_handler, self->peer_contact);
      g_clear_object (&self->peer_contact);
    }
  if (self->room != NULL)
    g_clear_signal_handler (&self->room_name_handler, self->room);
  g_clear_object (&self->room);

  G_OBJECT_CLASS (confab_conversation_parent_class)->dispose (object);
}

static void
confab_conversation_finalize (GObject *object)
{
  ConfabConversation *self = CONFAB_CONVERSATION (object);

  g_free (self->conv);
  g_free (self->title);
  g_free (self->peer);
  g_free (self->preview);
  g_free (self->typing_text);
  g_free (self->last_sender);

  G_OBJECT_CLASS (confab_conversation_parent_class)->finalize (object);
}

static void
confab_conversation_class_init (ConfabConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = confab_conversation_get_property;
  object_class->dispose = confab_conversation_dispose;
  object_class->finalize = confab_conversation_finalize;

  properties[PROP_CONV] = g_param_spec_string ("conv", NULL, NULL, NULL, flags);
  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, CONFAB_TYPE_CONVERSATION_KIND,
                                             CONFAB_CONVERSATION_DM, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_PEER] = g_param_spec_string ("peer", NULL, NULL, NULL, flags);
  properties[PROP_PEER_CONTACT] = g_param_spec_object ("peer-contact", NULL, NULL,
                                                       CONFAB_TYPE_CONTACT, flags);
  properties[PROP_PEER_PRESENCE] = g_param_spec_enum ("peer-presence", NULL, NULL,
                                                      CONFAB_TYPE_PRESENCE,
                                                      CONFAB_PRESENCE_OFFLINE, flags);
  properties[PROP_LAST_MESSAGE_PREVIEW] = g_param_spec_string ("last-message-preview", NULL, NULL,
                                                               NULL, flags);
  properties[PROP_LAST_MESSAGE_TIME] = g_param_spec_int64 ("last-message-time", NULL, NULL,
                                                           0, G_MAXINT64, 0, flags);
  properties[PROP_LAST_MESSAGE_ID] = g_param_spec_int64 ("last-message-id", NULL, NULL,
                                                         0, G_MAXINT64, 0, flags);
  properties[PROP_UNREAD] = g_param_spec_uint ("unread", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_LAST_READ] = g_param_spec_int64 ("last-read", NULL, NULL, 0, G_MAXINT64, 0,
                                                   flags);
  properties[PROP_PEER_READ] = g_param_spec_int64 ("peer-read", NULL, NULL, 0, G_MAXINT64, 0,
                                                   flags);
  properties[PROP_MUTED] = g_param_spec_boolean ("muted", NULL, NULL, FALSE, flags);
  properties[PROP_TYPING_TEXT] = g_param_spec_string ("typing-text", NULL, NULL, NULL, flags);
  properties[PROP_ROOM] = g_param_spec_object ("room", NULL, NULL, CONFAB_TYPE_ROOM, flags);
  properties[PROP_LAST_MESSAGE_SENDER] = g_param_spec_string ("last-message-sender", NULL, NULL,
                                                              NULL, flags);
  properties[PROP_MENTIONS_UNREAD] = g_param_spec_uint ("mentions-unread", NULL, NULL, 0,
                                                        G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_conversation_init (ConfabConversation *self)
{
}

ConfabConversation *
confab_conversation_new (const char *conv,
                         const char *self_username)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  ConfabConversation *self;
  ConfabConvKind kind;

  g_return_val_if_fail (conv != NULL, NULL);

  kind = confab_conv_parse (conv, &first, &second);
  if (kind == CONFAB_CONV_INVALID)
    return NULL;

  self = g_object_new (CONFAB_TYPE_CONVERSATION, NULL);
  self->conv = g_strdup (conv);
  if (kind == CONFAB_CONV_DM)
    {
      self->kind = CONFAB_CONVERSATION_DM;
      self->peer = g_strdup (g_strcmp0 (first, self_username) == 0 ? second : first);
    }
  else
    self->kind = CONFAB_CONVERSATION_ROOM;
  return self;
}

const char *
confab_conversation_get_conv (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);
  return self->conv;
}

ConfabConversationKind
confab_conversation_get_kind (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), CONFAB_CONVERSATION_DM);
  return self->kind;
}

const char *
confab_conversation_get_title (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);

  /* A known room's name is newer than any stored title. */
  if (self->room != NULL)
    return confab_room_get_name (self->room);
  if (self->title != NULL)
    return self->title;
  if (self->peer_contact != NULL)
    return confab_contact_get_display_name (self->peer_contact);
  if (self->peer != NULL)
    return self->peer;
  return self->conv;
}

const char *
confab_conversation_get_peer (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);
  return self->peer;
}

ConfabContact *
confab_conversation_get_peer_contact (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);
  return self->peer_contact;
}

ConfabPresence
confab_conversation_get_peer_presence (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), CONFAB_PRESENCE_OFFLINE);

  if (self->peer_contact == NULL)
    return CONFAB_PRESENCE_OFFLINE;
  return confab_contact_get_presence (self->peer_contact);
}

const char *
confab_conversation_get_last_message_preview (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);
  return self->preview;
}

gint64
confab_conversation_get_last_message_time (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);
  return self->last_ts;
}

gint64
confab_conversation_get_last_message_id (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);
  return self->last_id;
}

guint
confab_conversation_get_unread (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);
  return self->unread;
}

gint64
confab_conversation_get_last_read (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);
  return self->last_read;
}

gint64
confab_conversation_get_peer_read (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);
  return self->peer_read;
}

gboolean
confab_conversation_get_muted (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), FALSE);
  return self->muted;
}

const char *
confab_conversation_get_typing_text (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);
  return self->typing_text;
}

void
confab_conversation_set_title (ConfabConversation *self,
                               const char         *title)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (title != NULL && title[0] == '\0')
    title = NULL;
  if (g_strcmp0 (self->title, title) == 0)
    return;
  g_free (self->title);
  self->title = g_strdup (title);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
confab_conversation_set_peer_contact (ConfabConversation *self,
                                      ConfabContact      *contact)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));
  g_return_if_fail (!contact || CONFAB_IS_CONTACT (contact));

  if (self->peer_contact == contact)
    return;
  if (self->peer_contact != NULL)
    {
      g_clear_signal_handler (&self->presence_handler, self->peer_contact);
      g_clear_signal_handler (&self->name_handler, self->peer_contact);
      g_clear_object (&self->peer_contact);
    }
  if (contact != NULL)
    {
      self->peer_contact = g_object_ref (contact);
      self->presence_handler =
        g_signal_connect_swapped (contact, "notify::presence",
                                  G_CALLBACK (on_peer_contact_notify_presence), self);
      self->name_handler =
        g_signal_connect_swapped (contact, "notify::display-name",
                                  G_CALLBACK (on_peer_contact_notify_display_name), self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_CONTACT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_PRESENCE]);
  if (self->title == NULL)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
confab_conversation_set_last_message (ConfabConversation *self,
                                      gint64              id,
                                      const char         *preview,
                                      gint64              ts)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  /* Only newer messages move the conversation; an edit of the last one updates the preview.
   * A message still in the outbox keeps the id of the one before it but is newer than what
   * the cache knows: reloading the conversation (after a read) must not move it back. */
  if (id < self->last_id || (id == self->last_id && ts < self->last_ts))
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (id != self->last_id)
    {
      self->last_id = id;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE_ID]);
    }
  if (g_strcmp0 (self->preview, preview) != 0)
    {
      g_free (self->preview);
      self->preview = g_strdup (preview);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE_PREVIEW]);
    }
  if (ts != self->last_ts)
    {
      self->last_ts = ts;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE_TIME]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
confab_conversation_set_unread (ConfabConversation *self,
                                guint               unread)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (self->unread == unread)
    return;
  self->unread = unread;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
}

void
confab_conversation_set_last_read (ConfabConversation *self,
                                   gint64              msg_id)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (msg_id <= self->last_read)
    return;
  self->last_read = msg_id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_READ]);
}

void
confab_conversation_set_peer_read (ConfabConversation *self,
                                   gint64              msg_id)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (msg_id <= self->peer_read)
    return;
  self->peer_read = msg_id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PEER_READ]);
}

void
confab_conversation_set_muted (ConfabConversation *self,
                               gboolean            muted)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  muted = !!muted;
  if (self->muted == muted)
    return;
  self->muted = muted;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
}

void
confab_conversation_set_typing_text (ConfabConversation *self,
                                     const char         *text)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (g_strcmp0 (self->typing_text, text) == 0)
    return;
  g_free (self->typing_text);
  self->typing_text = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING_TEXT]);
}

ConfabRoom *
confab_conversation_get_room (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);
  return self->room;
}

const char *
confab_conversation_get_last_message_sender (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), NULL);
  return self->last_sender;
}

guint
confab_conversation_get_mentions_unread (ConfabConversation *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (self), 0);
  return self->mentions_unread;
}

/* A room's title follows its name as room events rename it. */
static void
on_room_notify_name (ConfabConversation *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
confab_conversation_set_room (ConfabConversation *self,
                              ConfabRoom         *room)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));
  g_return_if_fail (room == NULL || CONFAB_IS_ROOM (room));

  if (self->room == room)
    return;
  if (self->room != NULL)
    g_clear_signal_handler (&self->room_name_handler, self->room);
  g_set_object (&self->room, room);
  if (room != NULL)
    {
      self->room_name_handler = g_signal_connect_object (room, "notify::name",
                                                         G_CALLBACK (on_room_notify_name), self,
                                                         G_CONNECT_SWAPPED);
      on_room_notify_name (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROOM]);
}

void
confab_conversation_set_last_message_sender (ConfabConversation *self,
                                             const char         *sender)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (g_strcmp0 (self->last_sender, sender) == 0)
    return;
  g_free (self->last_sender);
  self->last_sender = g_strdup (sender);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_MESSAGE_SENDER]);
}

void
confab_conversation_set_mentions_unread (ConfabConversation *self,
                                         guint               count)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION (self));

  if (self->mentions_unread == count)
    return;
  self->mentions_unread = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MENTIONS_UNREAD]);
}
