/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message"

#include "config.h"

#include "confab-message.h"
#include "confab-frame.h"
#include "confab-limits.h"

#include <glib/gi18n.h>

struct _ConfabMessage
{
  GObject             parent_instance;

  gint64              id;
  char               *conv;
  char               *sender;
  gint64              ts;
  char               *kind;
  char               *body;
  char               *format;
  gint64              reply_to;
  gint64              edited_ts;
  gboolean            deleted;
  char               *client_msg_id;
  ConfabMessageState  state;
  JsonArray          *attachments;
  JsonObject         *call;         /* kind "call": {call_id, media, result, duration_ms} */
  GStrv               mentions;     /* usernames, and "@room", as the server parsed them */
  JsonObject         *system;       /* kind "system" in rooms: {action, user?, by?, …} */
  /* emoji → GPtrArray of usernames; emoji order kept in reaction_order. Both NULL until the
   * first reaction: most messages have none, and a conversation may load 100 000. */
  GHashTable         *reactions;
  GPtrArray          *reaction_order;
};

G_DEFINE_ENUM_TYPE (ConfabMessageState, confab_message_state,
                    G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_SENDING, "sending"),
                    G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_SENT, "sent"),
                    G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_READ, "read"),
                    G_DEFINE_ENUM_VALUE (CONFAB_MESSAGE_STATE_FAILED, "failed"))

G_DEFINE_FINAL_TYPE (ConfabMessage, confab_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_CONV,
  PROP_SENDER,
  PROP_TS,
  PROP_KIND,
  PROP_BODY,
  PROP_FORMAT,
  PROP_REPLY_TO,
  PROP_EDITED,
  PROP_EDITED_TS,
  PROP_DELETED,
  PROP_CLIENT_MSG_ID,
  PROP_STATE,
  PROP_REACTIONS,
  PROP_CALL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];



static gboolean
set_str (char       **field,
         const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
clear_reactions (ConfabMessage *self)
{
  g_clear_pointer (&self->reactions, g_hash_table_unref);
  g_clear_pointer (&self->reaction_order, g_ptr_array_unref);
}

static GPtrArray *
lookup_users (ConfabMessage *self,
              const char    *emoji)
{
  return self->reactions != NULL ? g_hash_table_lookup (self->reactions, emoji) : NULL;
}

static void
add_reaction (ConfabMessage *self,
              const char    *emoji,
              const char    *user)
{
  GPtrArray *users = lookup_users (self, emoji);

  if (self->reactions == NULL)
    {
      self->reactions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify) g_ptr_array_unref);
      self->reaction_order = g_ptr_array_new_with_free_func (g_free);
    }
  if (users == NULL)
    {
      users = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->reactions, g_strdup (emoji), users);
      g_ptr_array_add (self->reaction_order, g_strdup (emoji));
    }
  for (guint i = 0; i < users->len; i++)
    if (g_str_equal (g_ptr_array_index (users, i), user))
      return;
  g_ptr_array_add (users, g_strdup (user));
}

/* The server may send reactions as {"emoji": ["user", …]} or [{"emoji", "users": […]}]. */
static void
load_reactions (ConfabMessage *self,
                JsonNode      *node)
{
  clear_reactions (self);
  if (node == NULL)
    return;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *emoji;
      JsonNode *users;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &emoji, &users))
        {
          JsonArray *array;

          if (!JSON_NODE_HOLDS_ARRAY (users))
            continue;
          array = json_node_get_array (users);
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *u = json_array_get_element (array, i);

              if (JSON_NODE_HOLDS_VALUE (u) && json_node_get_value_type (u) == G_TYPE_STRING)
                add_reaction (self, emoji, json_node_get_string (u));
            }
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          JsonObject *obj;
          const char *emoji;
          JsonNode *users;

          if (!JSON_NODE_HOLDS_OBJECT (item))
            continue;
          obj = json_node_get_object (item);
          emoji = confab_json_get_string (obj, "emoji");
          users = json_object_get_member (obj, "users");
          if (emoji == NULL || users == NULL || !JSON_NODE_HOLDS_ARRAY (users))
            continue;
          for (guint j = 0; j < json_array_get_length (json_node_get_array (users)); j++)
            {
              JsonNode *u = json_array_get_element (json_node_get_array (users), j);

              if (JSON_NODE_HOLDS_VALUE (u) && json_node_get_value_type (u) == G_TYPE_STRING)
                add_reaction (self, emoji, json_node_get_string (u));
            }
        }
    }
}

static void
confab_message_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabMessage *self = CONFAB_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_CONV: g_value_set_string (value, self->conv); break;
    case PROP_SENDER: g_value_set_string (value, self->sender); break;
    case PROP_TS: g_value_set_int64 (value, self->ts); break;
    case PROP_KIND: g_value_set_string (value, self->kind); break;
    case PROP_BODY: g_value_set_string (value, confab_message_get_body (self)); break;
    case PROP_FORMAT: g_value_set_string (value, self->format); break;
    case PROP_REPLY_TO: g_value_set_int64 (value, self->reply_to); break;
    case PROP_EDITED: g_value_set_boolean (value, self->edited_ts > 0); break;
    case PROP_EDITED_TS: g_value_set_int64 (value, self->edited_ts); break;
    case PROP_DELETED: g_value_set_boolean (value, self->deleted); break;
    case PROP_CLIENT_MSG_ID: g_value_set_string (value, self->client_msg_id); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_REACTIONS: g_value_take_boxed (value, confab_message_dup_reactions_json (self)); break;
    case PROP_CALL: g_value_set_boxed (value, self->call); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_finalize (GObject *object)
{
  ConfabMessage *self = CONFAB_MESSAGE (object);

  g_free (self->conv);
  g_free (self->sender);
  g_free (self->kind);
  g_free (self->body);
  g_free (self->format);
  g_free (self->client_msg_id);
  g_clear_pointer (&self->attachments, json_array_unref);
  g_clear_pointer (&self->call, json_object_unref);
  g_clear_pointer (&self->mentions, g_strfreev);
  g_clear_pointer (&self->system, json_object_unref);
  clear_reactions (self);

  G_OBJECT_CLASS (confab_message_parent_class)->finalize (object);
}

static void
confab_message_class_init (ConfabMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = confab_message_get_property;
  object_class->finalize = confab_message_finalize;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_CONV] = g_param_spec_string ("conv", NULL, NULL, NULL, flags);
  properties[PROP_SENDER] = g_param_spec_string ("sender", NULL, NULL, NULL, flags);
  properties[PROP_TS] = g_param_spec_int64 ("ts", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_KIND] = g_param_spec_string ("kind", NULL, NULL, "text", flags);
  properties[PROP_BODY] = g_param_spec_string ("body", NULL, NULL, "", flags);
  properties[PROP_FORMAT] = g_param_spec_string ("format", NULL, NULL, "plain", flags);
  properties[PROP_REPLY_TO] = g_param_spec_int64 ("reply-to", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_EDITED] = g_param_spec_boolean ("edited", NULL, NULL, FALSE, flags);
  properties[PROP_EDITED_TS] = g_param_spec_int64 ("edited-ts", NULL, NULL, 0, G_MAXINT64, 0,
                                                   flags);
  properties[PROP_DELETED] = g_param_spec_boolean ("deleted", NULL, NULL, FALSE, flags);
  properties[PROP_CLIENT_MSG_ID] = g_param_spec_string ("client-msg-id", NULL, NULL, NULL, flags);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, CONFAB_TYPE_MESSAGE_STATE,
                                              CONFAB_MESSAGE_STATE_SENT, flags);
  properties[PROP_REACTIONS] = g_param_spec_boxed ("reactions", NULL, NULL, JSON_TYPE_OBJECT,
                                                   flags);
  properties[PROP_CALL] = g_param_spec_boxed ("call", NULL, NULL, JSON_TYPE_OBJECT, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_message_init (ConfabMessage *self)
{
  self->kind = g_strdup ("text");
  self->format = g_strdup ("plain");
  self->body = g_strdup ("");
  self->state = CONFAB_MESSAGE_STATE_SENT;
}

ConfabMessage *
confab_message_new_from_json (JsonObject *msg)
{
  ConfabMessage *self;
  gint64 id, ts;
  const char *conv, *from;

  g_return_val_if_fail (msg != NULL, NULL);

  conv = confab_json_get_string (msg, "conv");
  from = confab_json_get_string (msg, "from");
  if (!confab_json_get_int (msg, "id", &id) || id <= 0 || id > CONFAB_MAX_SAFE_INTEGER
      || !confab_json_get_int (msg, "ts", &ts) || conv == NULL || from == NULL)
    return NULL;

  self = g_object_new (CONFAB_TYPE_MESSAGE, NULL);
  self->id = id;
  self->ts = ts;
  self->conv = g_strdup (conv);
  self->sender = g_strdup (from);
  g_object_freeze_notify (G_OBJECT (self));
  confab_message_update_from_json (self, msg);
  g_object_thaw_notify (G_OBJECT (self));
  return self;
}

ConfabMessage *
confab_message_new_pending (const char *conv,
                            const char *from,
                            const char *client_msg_id,
                            const char *body,
                            const char *format,
                            gint64      reply_to,
                            gint64      ts)
{
  ConfabMessage *self;

  g_return_val_if_fail (conv != NULL, NULL);
  g_return_val_if_fail (client_msg_id != NULL, NULL);

  self = g_object_new (CONFAB_TYPE_MESSAGE, NULL);
  self->conv = g_strdup (conv);
  self->sender = g_strdup (from);
  self->client_msg_id = g_strdup (client_msg_id);
  set_str (&self->body, body != NULL ? body : "");
  set_str (&self->format, format != NULL ? format : "plain");
  self->reply_to = reply_to;
  self->ts = ts;
  self->state = CONFAB_MESSAGE_STATE_SENDING;
  return self;
}

void
confab_message_set_pending_attachments (ConfabMessage *self,
                                        JsonArray     *attachments)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  g_clear_pointer (&self->attachments, json_array_unref);
  if (attachments != NULL)
    self->attachments = json_array_ref (attachments);
}

gint64 confab_message_get_id (ConfabMessage *self) { return self->id; }
const char *confab_message_get_conv (ConfabMessage *self) { return self->conv; }
const char *confab_message_get_sender (ConfabMessage *self) { return self->sender; }
gint64 confab_message_get_ts (ConfabMessage *self) { return self->ts; }
const char *confab_message_get_kind (ConfabMessage *self) { return self->kind; }
const char *confab_message_get_format (ConfabMessage *self) { return self->format; }
gint64 confab_message_get_reply_to (ConfabMessage *self) { return self->reply_to; }
gboolean confab_message_get_edited (ConfabMessage *self) { return self->edited_ts > 0; }
gint64 confab_message_get_edited_ts (ConfabMessage *self) { return self->edited_ts; }
gboolean confab_message_get_deleted (ConfabMessage *self) { return self->deleted; }
const char *confab_message_get_client_msg_id (ConfabMessage *self) { return self->client_msg_id; }
ConfabMessageState confab_message_get_state (ConfabMessage *self) { return self->state; }
JsonArray *confab_message_get_attachments (ConfabMessage *self) { return self->attachments; }
JsonObject *confab_message_get_call (ConfabMessage *self) { return self->call; }

const char *
confab_message_get_body (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  return self->deleted ? "" : self->body;
}

GStrv
confab_message_dup_reaction_emojis (ConfabMessage *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv strv;

  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  for (guint i = 0; self->reaction_order != NULL && i < self->reaction_order->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->reaction_order, i));
  strv = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return strv;
}

GStrv
confab_message_dup_reaction_users (ConfabMessage *self,
                                   const char    *emoji)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GPtrArray *users;
  GStrv strv;

  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);

  users = lookup_users (self, emoji);
  for (guint i = 0; users != NULL && i < users->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (users, i));
  strv = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return strv;
}

guint
confab_message_get_reaction_count (ConfabMessage *self,
                                   const char    *emoji)
{
  GPtrArray *users;

  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), 0);

  users = lookup_users (self, emoji);
  return users != NULL ? users->len : 0;
}

JsonObject *
confab_message_dup_reactions_json (ConfabMessage *self)
{
  JsonObject *obj = json_object_new ();

  for (guint i = 0; self->reaction_order != NULL && i < self->reaction_order->len; i++)
    {
      const char *emoji = g_ptr_array_index (self->reaction_order, i);
      GPtrArray *users = lookup_users (self, emoji);
      JsonArray *array = json_array_new ();

      for (guint j = 0; j < users->len; j++)
        json_array_add_string_element (array, g_ptr_array_index (users, j));
      json_object_set_array_member (obj, emoji, array);
    }
  return obj;
}

void
confab_message_update_from_json (ConfabMessage *self,
                                 JsonObject    *msg)
{
  GObject *object = G_OBJECT (self);
  const char *str;
  gint64 value;
  JsonNode *node;
  gboolean deleted = FALSE;

  g_return_if_fail (CONFAB_IS_MESSAGE (self));
  g_return_if_fail (msg != NULL);

  g_object_freeze_notify (object);

  if (self->id == 0 && confab_json_get_int (msg, "id", &value) && value > 0)
    {
      self->id = value;
      g_object_notify_by_pspec (object, properties[PROP_ID]);
    }
  if (confab_json_get_int (msg, "ts", &value) && value != self->ts)
    {
      self->ts = value;
      g_object_notify_by_pspec (object, properties[PROP_TS]);
    }
  if ((str = confab_json_get_string (msg, "kind")) != NULL && set_str (&self->kind, str))
    g_object_notify_by_pspec (object, properties[PROP_KIND]);
  if ((str = confab_json_get_string (msg, "body")) != NULL && set_str (&self->body, str))
    g_object_notify_by_pspec (object, properties[PROP_BODY]);
  if ((str = confab_json_get_string (msg, "format")) != NULL && set_str (&self->format, str))
    g_object_notify_by_pspec (object, properties[PROP_FORMAT]);
  if ((str = confab_json_get_string (msg, "client_msg_id")) != NULL && set_str (&self->client_msg_id, str))
    g_object_notify_by_pspec (object, properties[PROP_CLIENT_MSG_ID]);
  if (confab_json_get_int (msg, "reply_to", &value) && value != self->reply_to)
    {
      self->reply_to = value;
      g_object_notify_by_pspec (object, properties[PROP_REPLY_TO]);
    }
  if (confab_json_get_int (msg, "edited_ts", &value) && value != self->edited_ts)
    {
      self->edited_ts = value;
      g_object_notify_by_pspec (object, properties[PROP_EDITED_TS]);
      g_object_notify_by_pspec (object, properties[PROP_EDITED]);
    }
  confab_json_get_bool (msg, "deleted", &deleted);
  if (deleted && !self->deleted)
    confab_message_set_deleted (self);

  node = json_object_get_member (msg, "attachments");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      g_clear_pointer (&self->attachments, json_array_unref);
      self->attachments = json_array_ref (json_node_get_array (node));
    }

  node = json_object_get_member (msg, "mentions");
  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (item));
        }
      g_clear_pointer (&self->mentions, g_strfreev);
      self->mentions = g_strv_builder_end (builder);
    }

  node = json_object_get_member (msg, "system");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      g_clear_pointer (&self->system, json_object_unref);
      self->system = json_object_ref (json_node_get_object (node));
    }

  node = json_object_get_member (msg, "call");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      g_clear_pointer (&self->call, json_object_unref);
      self->call = json_object_ref (json_node_get_object (node));
      g_object_notify_by_pspec (object, properties[PROP_CALL]);
    }

  node = json_object_get_member (msg, "reactions");
  if (node != NULL)
    {
      load_reactions (self, node);
      g_object_notify_by_pspec (object, properties[PROP_REACTIONS]);
    }

  if (self->state == CONFAB_MESSAGE_STATE_SENDING || self->state == CONFAB_MESSAGE_STATE_FAILED)
    confab_message_set_state (self, CONFAB_MESSAGE_STATE_SENT);

  g_object_thaw_notify (object);
}

void
confab_message_set_state (ConfabMessage      *self,
                          ConfabMessageState  state)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
confab_message_set_deleted (ConfabMessage *self)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (self));

  if (self->deleted)
    return;
  self->deleted = TRUE;
  set_str (&self->body, "");
  clear_reactions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DELETED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BODY]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REACTIONS]);
}

void
confab_message_set_reaction (ConfabMessage *self,
                             const char    *emoji,
                             const char    *user,
                             gboolean       on)
{
  GPtrArray *users;

  g_return_if_fail (CONFAB_IS_MESSAGE (self));
  g_return_if_fail (emoji != NULL && user != NULL);

  if (on)
    {
      guint before = confab_message_get_reaction_count (self, emoji);

      add_reaction (self, emoji, user);
      if (confab_message_get_reaction_count (self, emoji) == before)
        return;
    }
  else
    {
      guint i;

      users = lookup_users (self, emoji);
      if (users == NULL)
        return;
      for (i = 0; i < users->len; i++)
        if (g_str_equal (g_ptr_array_index (users, i), user))
          break;
      if (i == users->len)
        return;
      g_ptr_array_remove_index (users, i);
      if (users->len == 0)
        {
          for (guint j = 0; j < self->reaction_order->len; j++)
            if (g_str_equal (g_ptr_array_index (self->reaction_order, j), emoji))
              {
                g_ptr_array_remove_index (self->reaction_order, j);
                break;
              }
          g_hash_table_remove (self->reactions, emoji);
        }
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REACTIONS]);
}

char *
confab_call_format_duration (guint64 seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", seconds / 3600,
                            (guint) (seconds / 60 % 60), (guint) (seconds % 60));
  return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u", seconds / 60, (guint) (seconds % 60));
}

char *
confab_call_record_describe (JsonObject  *record,
                             gboolean     outgoing,
                             const char **icon_name)
{
  const char *result = confab_json_get_string (record, "result");
  gboolean video = FALSE;
  const char *icon;
  char *text;

  confab_json_get_bool (confab_json_get_object (record, "media"), "video", &video);

  if (g_strcmp0 (result, "answered") == 0)
    {
      gint64 ms = 0;
      g_autofree char *duration = NULL;

      confab_json_get_int (record, "duration_ms", &ms);
      duration = confab_call_format_duration (MAX (ms, 0) / 1000);
      /* Translators: a call in the conversation; %s is its duration, as 2:35. */
      text = g_strdup_printf (video ? _("Video call · %s") : _("Audio call · %s"), duration);
      icon = video ? "camera-video-symbolic"
                   : outgoing ? "call-outgoing-symbolic" : "call-incoming-symbolic";
    }
  else if (g_strcmp0 (result, "declined") == 0)
    {
      text = g_strdup (_("Declined"));
      icon = "call-stop-symbolic";
    }
  else if (g_strcmp0 (result, "busy") == 0)
    {
      /* The person called was already in a call; for them it is a missed call. */
      text = g_strdup (outgoing ? C_("call", "Busy") : _("Missed call"));
      icon = outgoing ? "call-stop-symbolic" : "call-missed-symbolic";
    }
  else if (g_strcmp0 (result, "missed") == 0)
    {
      text = g_strdup (outgoing ? _("No answer") : _("Missed call"));
      icon = outgoing ? "call-outgoing-symbolic" : "call-missed-symbolic";
    }
  else if (record != NULL)
    {
      text = g_strdup (video ? _("Video call") : _("Audio call"));
      icon = video ? "camera-video-symbolic" : "call-start-symbolic";
    }
  else
    {
      text = g_strdup (_("Call"));
      icon = "call-start-symbolic";
    }

  if (icon_name != NULL)
    *icon_name = icon;
  return text;
}

gboolean
confab_message_mentions (ConfabMessage *self,
                         const char    *username)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), FALSE);

  if (self->mentions == NULL || self->deleted)
    return FALSE;
  return (username != NULL && g_strv_contains ((const char * const *) self->mentions, username))
         || g_strv_contains ((const char * const *) self->mentions, "room")
         || g_strv_contains ((const char * const *) self->mentions, "@room");
}

JsonObject *
confab_message_get_system (ConfabMessage *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE (self), NULL);
  return self->system;
}
