/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-messages"

#include "config.h"

#include "confab-messages.h"
#include "confab-json-writer.h"
#include "confab-limits.h"
#include "confab-mentions.h"
#include "confab-message-store.h"
#include "confab-protocol.h"
#include "confab-server-module.h"
#include "confab-validate.h"

#include <string.h>

/* Messages. The requests validate their parameters (network input is answered with
 * bad_request, never asserted) and run the matching operation; its reply becomes the response
 * while its events go to the recipients. The operations hold the rules: who may write, edit,
 * delete or react where, when a DM comes into being, who receives each event and what it says.
 * They reach the data only through ConfabMessageStore, so any backend serves them. */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))
#define MESSAGES_STORED "confab_messages_stored_total"

/* --- The rules ---------------------------------------------------------------------------------
 *
 * Each operation is a unit of work on the store thread (confab_store_run_async): the checks
 * below, then data access through ConfabMessageStore, then the durable events, all in one
 * transaction. Its data holds copies of the parameters only. */

#define MS(store) CONFAB_MESSAGE_STORE_GET_IFACE (store)
#define MSELF(store) ((ConfabMessageStore *) (store))

typedef struct
{
  char        *user;
  char        *conv;
  char        *target;
  char        *client_msg_id;
  char        *body;
  char        *emoji;
  char        *query;
  char        *attachments;
  char        *call;
  const char  *format;
  gint64       msg_id;
  gint64       reply_to;
  gint64       before;
  gint64       after;
  guint        limit;
  gboolean     on;
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->user);
  g_free (args->conv);
  g_free (args->target);
  g_free (args->client_msg_id);
  g_free (args->body);
  g_free (args->emoji);
  g_free (args->query);
  g_free (args->attachments);
  g_free (args->call);
  g_free (args);
}

/* Set once, at registration, before any request runs; read on the store thread. */
static ConfabAttachmentsFunc attachments_func;

void
confab_messages_set_attachments_func (ConfabAttachmentsFunc func)
{
  attachments_func = func;
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
  g_return_if_fail (CONFAB_IS_MESSAGE_STORE (store));

  confab_store_run_async (store, name, flags, func, args, args_free, cancellable, callback,
                          user_data, source_tag);
}

/* Checks that @user takes part in @conv: for a DM the conv id itself decides, for a room the
 * membership. On success, @role (if not NULL) gets the room role ("member" for a DM). */
static gboolean
check_participant (ConfabStore  *store,
                   const char   *conv,
                   const char   *user,
                   char        **role,
                   GError      **error)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  ConfabConvKind kind = confab_conv_parse (conv, &a, &b);

  if (kind == CONFAB_CONV_DM)
    {
      if (!g_str_equal (user, a) && !g_str_equal (user, b))
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                     "not a participant of this conversation");
          return FALSE;
        }
      if (role != NULL)
        *role = g_strdup ("member");
      return TRUE;
    }

  if (kind == CONFAB_CONV_ROOM)
    {
      char *r = MS (store)->member_role (MSELF (store), conv, user);

      /* Outsiders do not learn that a room exists (protocol §9). */
      if (r == NULL)
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such conversation");
          return FALSE;
        }
      if (role != NULL)
        *role = r;
      else
        g_free (r);
      return TRUE;
    }

  confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "malformed conversation id");
  return FALSE;
}

/* Everyone taking part in @conv: the recipients of its events. */
static GStrv
participants (ConfabStore *store,
              const char  *conv)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  if (confab_conv_parse (conv, &a, &b) == CONFAB_CONV_DM)
    {
      GStrv users = g_new0 (char *, 3);

      users[0] = g_steal_pointer (&a);
      users[1] = g_steal_pointer (&b);
      return users;
    }
  return MS (store)->members (MSELF (store), conv);
}

/* Stores event @name (@data_json) for @recipients, everyone taking part in @conv. A DM's event
 * is addressed to its two users; a room's is written once in the room's stream (the conv id),
 * which its members read from their joining to their leaving, whatever their number. */
static void
emit_to_conv (ConfabStore        *store,
              ConfabStoreReply   *reply,
              const char         *name,
              const char         *data_json,
              const char         *conv,
              const char * const *recipients)
{
  if (g_str_has_prefix (conv, "dm:"))
    confab_store_emit_event_text (store, reply, name, data_json, recipients);
  else
    confab_store_emit_stream_event_text (store, reply, name, data_json, conv, recipients, NULL);
}

static void
emit_object_to_conv (ConfabStore        *store,
                     ConfabStoreReply   *reply,
                     const char         *name,
                     JsonObject         *data,
                     const char         *conv,
                     const char * const *recipients)
{
  g_autofree char *data_json = confab_json_object_to_string (data, NULL);

  emit_to_conv (store, reply, name, data_json, conv, recipients);
}

/* `{"msg": Message}` for a message just stored: the data of its event and the result of its
 * send, one text for both. The members are those the store gives for a new message. */
static char *
new_message_json (gint64                  id,
                  const ConfabNewMessage *m)
{
  GString *out = g_string_sized_new (128 + strlen (m->body));
  ConfabJsonWriter w;

  confab_json_writer_init (&w, out);
  confab_json_writer_begin_object (&w);
  confab_json_writer_key (&w, "msg");
  confab_json_writer_begin_object (&w);
  confab_json_writer_key (&w, "id");
  confab_json_writer_int (&w, id);
  confab_json_writer_key (&w, "conv");
  confab_json_writer_string (&w, m->conv);
  confab_json_writer_key (&w, "from");
  confab_json_writer_string (&w, m->sender);
  confab_json_writer_key (&w, "ts");
  confab_json_writer_int (&w, m->ts);
  confab_json_writer_key (&w, "client_msg_id");
  confab_json_writer_string (&w, m->client_msg_id);
  confab_json_writer_key (&w, "kind");
  confab_json_writer_string (&w, m->kind);
  confab_json_writer_key (&w, "body");
  confab_json_writer_string (&w, m->body);
  confab_json_writer_key (&w, "format");
  confab_json_writer_string (&w, m->format);
  if (m->reply_to != 0)
    {
      confab_json_writer_key (&w, "reply_to");
      confab_json_writer_int (&w, m->reply_to);
    }
  if (m->system != NULL)
    {
      confab_json_writer_key (&w, "system");
      confab_json_writer_raw (&w, m->system);
    }
  /* Both were written by json-glib when the request was taken, so they are JSON already. */
  if (m->attachments != NULL)
    {
      confab_json_writer_key (&w, "attachments");
      confab_json_writer_raw (&w, m->attachments);
    }
  if (m->call != NULL)
    {
      confab_json_writer_key (&w, "call");
      confab_json_writer_raw (&w, m->call);
    }
  if (m->mentions != NULL)
    {
      confab_json_writer_key (&w, "mentions");
      confab_json_writer_raw (&w, m->mentions);
    }
  confab_json_writer_end_object (&w);
  confab_json_writer_end_object (&w);
  return g_string_free (out, FALSE);
}

/* Stores a new message and its event to @recipients; the checks are the caller's. A message
 * with the same (sender, client_msg_id) is returned instead, with no event. */
static ConfabStoreReply *
insert_message (ConfabStore             *store,
                const ConfabNewMessage  *msg,
                const char * const      *recipients,
                GError                 **error)
{
  g_autofree char *data_json = NULL;
  ConfabStoreReply *reply;
  gint64 id = 0;

  if (!MS (store)->insert (MSELF (store), msg, &id))
    {
      JsonObject *result;
      JsonObject *found;

      /* A retry: the original message, and nothing delivered twice. */
      found = MS (store)->find (MSELF (store), msg->sender, msg->client_msg_id);
      if (found == NULL)
        return NULL;
      if (!g_str_equal (json_object_get_string_member (found, "conv"), msg->conv))
        {
          json_object_unref (found);
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                     "client_msg_id was already used in another conversation");
          return NULL;
        }
      result = json_object_new ();
      json_object_set_object_member (result, "msg", found);
      return confab_store_reply_new (result);
    }

  data_json = new_message_json (id, msg);
  reply = confab_store_reply_new_text (g_strdup (data_json));
  emit_to_conv (store, reply, CONFAB_EVENT_MESSAGE, data_json, msg->conv, recipients);
  return reply;
}

/* The mentions of @body in room @conv as JSON array text: the members it names and "@room";
 * NULL if none. Names of non-members are left out: they would notify no one. */
static char *
room_mentions (ConfabStore *store,
               const char  *conv,
               const char  *body)
{
  g_auto(GStrv) found = confab_mentions_parse (body);
  g_autoptr(GString) out = NULL;

  for (guint i = 0; found[i] != NULL; i++)
    {
      if (!g_str_equal (found[i], CONFAB_MENTION_ROOM))
        {
          g_autofree char *role = MS (store)->member_role (MSELF (store), conv, found[i]);

          if (role == NULL)
            continue;
        }
      /* Usernames and "@room" need no escaping. */
      out = out == NULL ? g_string_new ("[") : g_string_append_c (out, ',');
      g_string_append_printf (out, "\"%s\"", found[i]);
    }
  if (out == NULL)
    return NULL;
  g_string_append_c (out, ']');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static ConfabStoreReply *
send_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autofree char *mentions = NULL;
  g_autofree char *attachments = NULL;
  ConfabNewMessage msg = { 0 };
  ConfabConvKind kind;

  kind = confab_conv_parse (args->conv, &a, &b);
  if (kind == CONFAB_CONV_DM)
    {
      const char *peer;

      if (!g_str_equal (args->user, a) && !g_str_equal (args->user, b))
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                     "not a participant of this conversation");
          return NULL;
        }
      peer = g_str_equal (args->user, a) ? b : a;
      if (!MS (store)->user_exists (MSELF (store), peer))
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such user");
          return NULL;
        }
      if (MS (store)->blocks (MSELF (store), peer, args->user))
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                     "this user does not accept your messages");
          return NULL;
        }
      /* A DM comes into being with its first message. */
      MS (store)->dm_ensure (MSELF (store), args->conv, a, b, confab_now_ms ());
      recipients = g_new0 (char *, 3);
      recipients[0] = g_steal_pointer (&a);
      recipients[1] = g_steal_pointer (&b);
    }
  else if (kind == CONFAB_CONV_ROOM)
    {
      if (!check_participant (store, args->conv, args->user, NULL, error))
        return NULL;
      recipients = MS (store)->members (MSELF (store), args->conv);
      mentions = room_mentions (store, args->conv, args->body);
    }
  else
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "malformed conversation id");
      return NULL;
    }

  if (args->reply_to != 0)
    {
      g_autofree char *reply_conv = MS (store)->conv_of (MSELF (store), args->reply_to);

      if (g_strcmp0 (reply_conv, args->conv) != 0)
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID,
                                     "reply_to is not a message of this conversation");
          return NULL;
        }
    }

  if (args->attachments != NULL)
    {
      if (attachments_func == NULL)
        {
          confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID,
                                     "this server does not accept attachments");
          return NULL;
        }
      attachments = attachments_func (store, args->user, args->conv, args->client_msg_id,
                                      args->attachments, error);
      if (attachments == NULL)
        return NULL;
    }

  msg.conv = args->conv;
  msg.sender = args->user;
  msg.ts = confab_now_ms ();
  msg.client_msg_id = args->client_msg_id;
  msg.kind = "text";
  msg.body = args->body;
  msg.format = args->format;
  msg.reply_to = args->reply_to;
  msg.attachments = attachments;
  msg.mentions = mentions;
  return insert_message (store, &msg, (const char * const *) recipients, error);
}

static ConfabStoreReply *
record_call_work (ConfabStore  *store,
                  gpointer      data,
                  GError      **error)
{
  Args *args = data;
  g_autofree char *conv = confab_conv_dm (args->user, args->target);
  g_autofree char *client_msg_id = g_strconcat ("call:", args->client_msg_id, NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *recipients[3] = { NULL, };
  ConfabNewMessage msg = { 0 };

  if (confab_conv_parse (conv, &a, &b) != CONFAB_CONV_DM)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "a call needs two different users");
      return NULL;
    }
  if (!MS (store)->user_exists (MSELF (store), a) || !MS (store)->user_exists (MSELF (store), b))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such user");
      return NULL;
    }

  MS (store)->dm_ensure (MSELF (store), conv, a, b, confab_now_ms ());
  recipients[0] = a;
  recipients[1] = b;
  msg.conv = conv;
  msg.sender = args->user;
  msg.ts = confab_now_ms ();
  msg.client_msg_id = client_msg_id;
  msg.kind = "call";
  msg.body = "";
  msg.format = "plain";
  msg.call = args->call;
  return insert_message (store, &msg, recipients, error);
}

/* Loads what edit, delete and react need; not_found unless the message exists and @user takes
 * part in its conversation. */
static gboolean
load_info (ConfabStore        *store,
           gint64              msg_id,
           const char         *user,
           ConfabMessageInfo  *info,
           char              **role,
           GError            **error)
{
  if (!MS (store)->info (MSELF (store), msg_id, info)
      || !check_participant (store, info->conv, user, role, NULL))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such message");
      return FALSE;
    }
  return TRUE;
}

static ConfabStoreReply *
edit_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  g_auto(ConfabMessageInfo) info = { 0 };
  g_auto(GStrv) recipients = NULL;
  g_autoptr(JsonObject) event = json_object_new ();
  g_autofree char *mentions = NULL;
  ConfabStoreReply *reply;
  JsonObject *result;
  JsonObject *msg;

  if (!load_info (store, args->msg_id, args->user, &info, NULL, error))
    return NULL;
  if (!g_str_equal (info.sender, args->user))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "only the author can edit a message");
      return NULL;
    }
  if (info.deleted)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "the message was deleted");
      return NULL;
    }
  if (!g_str_equal (info.kind, "text"))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "only text messages can be edited");
      return NULL;
    }

  if (g_str_has_prefix (info.conv, "room:"))
    mentions = room_mentions (store, info.conv, args->body);
  MS (store)->edit (MSELF (store), args->msg_id, info.body, args->body, mentions, confab_now_ms ());
  msg = MS (store)->load (MSELF (store), args->msg_id);
  if (msg == NULL)
    return NULL;
  json_object_set_object_member (event, "msg", json_object_ref (msg));
  result = json_object_new ();
  json_object_set_object_member (result, "msg", msg);
  reply = confab_store_reply_new (result);

  recipients = participants (store, info.conv);
  emit_object_to_conv (store, reply, CONFAB_EVENT_MESSAGE_EDITED, event, info.conv,
                       (const char * const *) recipients);
  return reply;
}

static ConfabStoreReply *
delete_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  g_auto(ConfabMessageInfo) info = { 0 };
  g_auto(GStrv) recipients = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *role = NULL;
  ConfabStoreReply *reply;

  if (!load_info (store, args->msg_id, args->user, &info, &role, error))
    return NULL;
  if (!g_str_equal (info.sender, args->user)
      && !(g_str_has_prefix (info.conv, "room:")
           && (g_str_equal (role, "owner") || g_str_equal (role, "admin"))))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                 "only the author or a room admin can delete a message");
      return NULL;
    }
  if (info.deleted)
    return confab_store_reply_new (NULL);

  MS (store)->erase (MSELF (store), args->msg_id, &info);

  reply = confab_store_reply_new (NULL);
  event = confab_message_deleted_to_json (&(ConfabMessageDeleted) {
    .conv = info.conv, .msg_id = args->msg_id,
  });
  recipients = participants (store, info.conv);
  emit_object_to_conv (store, reply, CONFAB_EVENT_MESSAGE_DELETED, event, info.conv,
                       (const char * const *) recipients);
  return reply;
}

static ConfabStoreReply *
react_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  g_auto(ConfabMessageInfo) info = { 0 };
  g_auto(GStrv) recipients = NULL;
  g_autoptr(JsonObject) event = NULL;
  ConfabStoreReply *reply;

  if (args->emoji[0] == '\0')
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "empty emoji");
      return NULL;
    }
  if (!load_info (store, args->msg_id, args->user, &info, NULL, error))
    return NULL;
  if (info.deleted)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "the message was deleted");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  /* A change that changes nothing tells no one. */
  if (!MS (store)->react (MSELF (store), args->msg_id, args->user, args->emoji, args->on,
                          confab_now_ms ()))
    return reply;

  event = confab_reaction_to_json (&(ConfabReaction) {
    .conv = info.conv, .msg_id = args->msg_id, .user = args->user, .emoji = args->emoji,
    .on = args->on,
  });
  recipients = participants (store, info.conv);
  emit_object_to_conv (store, reply, CONFAB_EVENT_REACTION, event, info.conv,
                       (const char * const *) recipients);
  return reply;
}

static ConfabStoreReply *
read_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  g_autofree char *msg_conv = NULL;
  g_auto(GStrv) recipients = NULL;
  g_autoptr(JsonObject) event = NULL;
  ConfabStoreReply *reply;
  gint64 last_read;

  if (!check_participant (store, args->conv, args->user, NULL, error))
    return NULL;
  msg_conv = MS (store)->conv_of (MSELF (store), args->msg_id);
  if (g_strcmp0 (msg_conv, args->conv) != 0)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such message in this conversation");
      return NULL;
    }

  /* The read mark never moves back. */
  last_read = MS (store)->read_mark (MSELF (store), args->conv, args->user);
  reply = confab_store_reply_new (NULL);
  if (last_read < 0 || args->msg_id <= last_read)
    return reply;

  MS (store)->set_read_mark (MSELF (store), args->conv, args->user, args->msg_id);
  event = confab_read_mark_to_json (&(ConfabReadMark) {
    .conv = args->conv, .user = args->user, .msg_id = args->msg_id,
  });
  recipients = participants (store, args->conv);
  emit_object_to_conv (store, reply, CONFAB_EVENT_READ, event, args->conv,
                       (const char * const *) recipients);
  return reply;
}

static ConfabStoreReply *
history_work (ConfabStore  *store,
              gpointer      data,
              GError      **error)
{
  Args *args = data;
  JsonObject *result;
  JsonArray *messages;
  gboolean has_more = FALSE;
  guint limit = args->limit;

  if (!check_participant (store, args->conv, args->user, NULL, error))
    return NULL;
  if (limit == 0)
    limit = CONFAB_HISTORY_DEFAULT_LIMIT;
  limit = MIN (limit, CONFAB_HISTORY_MAX_LIMIT);

  messages = MS (store)->history (MSELF (store), args->conv, args->before, args->after, limit,
                                  &has_more);
  result = json_object_new ();
  json_object_set_boolean_member (result, "has_more", has_more);
  json_object_set_array_member (result, "messages", messages);
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
conversations_work (ConfabStore  *store,
                    gpointer      data,
                    GError      **error)
{
  Args *args = data;
  JsonObject *result = json_object_new ();

  json_object_set_array_member (result, "conversations",
                                MS (store)->conversations (MSELF (store), args->user));
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
search_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  JsonObject *result;
  guint limit = args->limit;

  /* Searching one conversation needs to be in it, as reading its history does. */
  if (args->conv != NULL && !check_participant (store, args->conv, args->user, NULL, error))
    return NULL;
  result = json_object_new ();
  if (limit == 0)
    limit = CONFAB_SEARCH_DEFAULT_LIMIT;
  limit = MIN (limit, CONFAB_SEARCH_MAX_LIMIT);

  json_object_set_array_member (result, "messages",
                                MS (store)->search (MSELF (store), args->user, args->query,
                                                    args->conv, limit));
  return confab_store_reply_new (result);
}

void
confab_messages_add_system (ConfabStore        *store,
                            ConfabStoreReply   *reply,
                            const char         *conv,
                            const char         *actor,
                            const char         *body,
                            JsonObject         *system,
                            const char * const *recipients)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *client_msg_id = g_strconcat ("system:", uuid, NULL);
  g_autofree char *system_json = confab_json_object_to_string (system, NULL);
  g_autofree char *data_json = NULL;
  ConfabNewMessage msg = { 0 };
  gint64 id = 0;

  g_return_if_fail (CONFAB_IS_MESSAGE_STORE (store));

  msg.conv = conv;
  msg.sender = actor;
  msg.ts = confab_now_ms ();
  msg.client_msg_id = client_msg_id;
  msg.kind = "system";
  msg.body = body;
  msg.format = "plain";
  msg.system = system_json;
  if (!MS (store)->insert (MSELF (store), &msg, &id))
    return;
  data_json = new_message_json (id, &msg);
  emit_to_conv (store, reply, CONFAB_EVENT_MESSAGE, data_json, conv, recipients);
}

static ConfabStoreReply *
participants_work (ConfabStore  *store,
                   gpointer      data,
                   GError      **error)
{
  Args *args = data;
  g_auto(GStrv) users = NULL;
  JsonObject *result;
  JsonArray *array;

  if (!check_participant (store, args->conv, args->user, NULL, error))
    return NULL;
  users = participants (store, args->conv);
  array = json_array_new ();
  for (guint i = 0; users[i] != NULL; i++)
    json_array_add_string_element (array, users[i]);
  result = json_object_new ();
  json_object_set_string_member (result, "conv", args->conv);
  json_object_set_array_member (result, "users", array);
  return confab_store_reply_new (result);
}

/* --- Operations -------------------------------------------------------------------------------
 *
 * Each completes with confab_store_finish (). */

void
confab_messages_send_async (ConfabStore         *store,
                            const char          *sender,
                            const char          *conv,
                            const char          *client_msg_id,
                            const char          *body,
                            ConfabMessageFormat  format,
                            gint64               reply_to,
                            JsonArray           *attachments,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Args *args;

  g_return_if_fail (sender != NULL);
  g_return_if_fail (conv != NULL);
  g_return_if_fail (client_msg_id != NULL);
  g_return_if_fail (body != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (sender);
  args->conv = g_strdup (conv);
  args->client_msg_id = g_strdup (client_msg_id);
  args->body = g_strdup (body);
  args->format = format == CONFAB_MESSAGE_FORMAT_MARKDOWN ? "markdown" : "plain";
  args->reply_to = reply_to;
  if (attachments != NULL && json_array_get_length (attachments) > 0)
    {
      g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), attachments);

      args->attachments = confab_json_to_string (node, NULL);
    }
  run_work (store, "message_send", CONFAB_STORE_WORK_WRITE, send_work, args, cancellable,
            callback, user_data, confab_messages_send_async);
}

void
confab_messages_edit_async (ConfabStore         *store,
                            const char          *user,
                            gint64               msg_id,
                            const char          *body,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);
  g_return_if_fail (body != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->msg_id = msg_id;
  args->body = g_strdup (body);
  run_work (store, "message_edit", CONFAB_STORE_WORK_WRITE, edit_work, args, cancellable,
            callback, user_data, confab_messages_edit_async);
}

void
confab_messages_delete_async (ConfabStore         *store,
                              const char          *user,
                              gint64               msg_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->msg_id = msg_id;
  run_work (store, "message_delete", CONFAB_STORE_WORK_WRITE, delete_work, args, cancellable,
            callback, user_data, confab_messages_delete_async);
}

void
confab_messages_react_async (ConfabStore         *store,
                             const char          *user,
                             gint64               msg_id,
                             const char          *emoji,
                             gboolean             on,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);
  g_return_if_fail (emoji != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->msg_id = msg_id;
  args->emoji = g_strdup (emoji);
  args->on = !!on;
  run_work (store, "react", CONFAB_STORE_WORK_WRITE, react_work, args, cancellable, callback,
            user_data, confab_messages_react_async);
}

void
confab_messages_read_async (ConfabStore         *store,
                            const char          *user,
                            const char          *conv,
                            gint64               msg_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);
  g_return_if_fail (conv != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->conv = g_strdup (conv);
  args->msg_id = msg_id;
  run_work (store, "read", CONFAB_STORE_WORK_WRITE, read_work, args, cancellable, callback,
            user_data, confab_messages_read_async);
}

void
confab_messages_history_async (ConfabStore         *store,
                               const char          *user,
                               const char          *conv,
                               gint64               before,
                               gint64               after,
                               guint                limit,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);
  g_return_if_fail (conv != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->conv = g_strdup (conv);
  args->before = before;
  args->after = after;
  args->limit = limit;
  run_work (store, "history", CONFAB_STORE_WORK_READ, history_work, args, cancellable, callback,
            user_data, confab_messages_history_async);
}

void
confab_messages_conversations_async (ConfabStore         *store,
                                     const char          *user,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  run_work (store, "conversations", CONFAB_STORE_WORK_READ, conversations_work, args,
            cancellable, callback, user_data, confab_messages_conversations_async);
}

void
confab_messages_search_async (ConfabStore         *store,
                              const char          *user,
                              const char          *query,
                              const char          *conv,
                              guint                limit,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);
  g_return_if_fail (query != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->query = g_strdup (query);
  args->conv = g_strdup (conv);
  args->limit = limit;
  run_work (store, "search", CONFAB_STORE_WORK_READ, search_work, args, cancellable, callback,
            user_data, confab_messages_search_async);
}

void
confab_messages_participants_async (ConfabStore         *store,
                                    const char          *user,
                                    const char          *conv,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  Args *args;

  g_return_if_fail (user != NULL);
  g_return_if_fail (conv != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->conv = g_strdup (conv);
  run_work (store, "participants", CONFAB_STORE_WORK_READ, participants_work, args, cancellable,
            callback, user_data, confab_messages_participants_async);
}

void
confab_messages_record_call_async (ConfabStore         *store,
                                   const char          *caller,
                                   const char          *callee,
                                   const char          *call_id,
                                   JsonObject          *call,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  Args *args;

  g_return_if_fail (caller != NULL);
  g_return_if_fail (callee != NULL);
  g_return_if_fail (call_id != NULL);
  g_return_if_fail (call != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (caller);
  args->target = g_strdup (callee);
  args->client_msg_id = g_strdup (call_id);
  args->call = confab_json_object_to_string (call, NULL);
  run_work (store, "call_record", CONFAB_STORE_WORK_WRITE, record_call_work, args, cancellable,
            callback, user_data, confab_messages_record_call_async);
}

/* --- Requests -------------------------------------------------------------------------------- */

static gboolean
get_format (JsonObject          *frame,
            ConfabMessageFormat *format,
            GError             **error)
{
  const char *str = NULL;

  if (!confab_params_get_string (frame, "format", CONFAB_PARAM_OPTIONAL, 1, 16, &str, error))
    return FALSE;
  if (str == NULL || g_str_equal (str, "plain"))
    *format = CONFAB_MESSAGE_FORMAT_PLAIN;
  else if (g_str_equal (str, "markdown"))
    *format = CONFAB_MESSAGE_FORMAT_MARKDOWN;
  else
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "format must be 'plain' or 'markdown'");
      return FALSE;
    }
  return TRUE;
}

/* A send that repeats a client_msg_id stores nothing and has no event. */
static void
count_stored (ConfabConnection *self,
              ConfabStoreReply *reply,
              gpointer          hook_data)
{
  if (reply->events->len > 0)
    confab_metric_add (hook_data, NULL, NULL, 1);
}

static void
handle_send (gpointer          instance,
             ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  const ConfabConfig *config = confab_server_get_config (confab_connection_get_server (self));
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  const char *client_msg_id = NULL;
  const char *body = NULL;
  ConfabMessageFormat format = CONFAB_MESSAGE_FORMAT_PLAIN;
  gint64 reply_to = 0;
  JsonArray *attachments = NULL;

  /* With files, the text may be empty (a caption is optional). */
  if (!confab_request_get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_params_get_string (frame, "client_msg_id", CONFAB_PARAM_REQUIRED, 1,
                                    CONFAB_CLIENT_MSG_ID_MAX_CHARS, &client_msg_id, &error)
      || !confab_params_get_array (frame, "attachments", CONFAB_PARAM_OPTIONAL,
                                   CONFAB_MAX_ATTACHMENTS, &attachments, &error)
      || !confab_params_get_string (frame, "body", CONFAB_PARAM_MULTILINE,
                                    attachments != NULL && json_array_get_length (attachments) > 0
                                    ? 0 : 1,
                                    config->max_body_chars, &body, &error)
      || !get_format (frame, &format, &error)
      || !confab_request_get_msg_id (frame, "reply_to", CONFAB_PARAM_OPTIONAL, &reply_to, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  if (!confab_connection_check_send_rate (self, id))
    return;

  confab_messages_send_async (STORE (self), confab_connection_get_username (self), conv,
                              client_msg_id, body, format, reply_to, attachments,
                              CONFAB_STORE_CALL_FULL (self, id, count_stored,
                                                      confab_metrics_lookup (
                                                        confab_server_get_metrics (instance),
                                                        MESSAGES_STORED)));
}

static void
handle_edit (gpointer          instance,
             ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  const ConfabConfig *config = confab_server_get_config (confab_connection_get_server (self));
  g_autoptr(GError) error = NULL;
  const char *body = NULL;
  gint64 msg_id = 0;

  if (!confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error)
      || !confab_params_get_string (frame, "body", CONFAB_PARAM_MULTILINE, 1,
                                    config->max_body_chars, &body, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (!confab_connection_check_send_rate (self, id))
    return;

  confab_messages_edit_async (STORE (self), confab_connection_get_username (self), msg_id, body,
                              CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_delete (gpointer          instance,
               ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  gint64 msg_id = 0;

  if (!confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_messages_delete_async (STORE (self), confab_connection_get_username (self), msg_id,
                                CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_react (gpointer          instance,
              ConfabConnection *self,
              const char       *id,
              JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *emoji = NULL;
  gint64 msg_id = 0;
  gboolean on = TRUE;

  if (!confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error)
      || !confab_params_get_string (frame, "emoji", CONFAB_PARAM_REQUIRED, 1,
                                    CONFAB_EMOJI_MAX_CHARS, &emoji, &error)
      || !confab_params_get_bool (frame, "on", CONFAB_PARAM_REQUIRED, &on, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (strpbrk (emoji, " \t\n") != NULL)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "an emoji has no spaces");
      return;
    }
  if (!confab_connection_check_send_rate (self, id))
    return;

  confab_messages_react_async (STORE (self), confab_connection_get_username (self), msg_id, emoji,
                               on, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_read (gpointer          instance,
             ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  gint64 msg_id = 0;

  if (!confab_request_get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_messages_read_async (STORE (self), confab_connection_get_username (self), conv, msg_id,
                              CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_history (gpointer          instance,
                ConfabConnection *self,
                const char       *id,
                JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  gint64 before = 0;
  gint64 after = -1;    /* absent */
  gint64 limit = CONFAB_HISTORY_DEFAULT_LIMIT;

  if (!confab_request_get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_request_get_msg_id (frame, "before", CONFAB_PARAM_OPTIONAL, &before, &error)
      || !confab_params_get_int (frame, "after", CONFAB_PARAM_OPTIONAL, 0, CONFAB_MAX_SAFE_INTEGER,
                                 &after, &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1,
                                 CONFAB_HISTORY_MAX_LIMIT, &limit, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  /* `after:0` asks for the oldest page; the store takes 0 for "no after" and a negative
   * @after for "from the oldest". */
  after = after < 0 ? 0 : after == 0 ? -1 : after;
  confab_messages_history_async (STORE (self), confab_connection_get_username (self), conv,
                                 before, after, (guint) limit, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_conversations (gpointer          instance,
                      ConfabConnection *self,
                      const char       *id,
                      JsonObject       *frame)
{
  confab_messages_conversations_async (STORE (self), confab_connection_get_username (self),
                                       CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_search (gpointer          instance,
               ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *query = NULL;
  const char *conv = NULL;
  gint64 limit = CONFAB_SEARCH_DEFAULT_LIMIT;

  if (!confab_params_get_string (frame, "query", CONFAB_PARAM_REQUIRED, 1,
                                 CONFAB_SEARCH_QUERY_MAX_CHARS, &query, &error)
      || !confab_request_get_conv (frame, CONFAB_PARAM_OPTIONAL, &conv, &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1, CONFAB_SEARCH_MAX_LIMIT,
                                 &limit, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_messages_search_async (STORE (self), confab_connection_get_username (self), query,
                                conv, (guint) limit, CONFAB_STORE_CALL (self, id, NULL));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { CONFAB_REQUEST_SEND, handle_send },
  { CONFAB_REQUEST_EDIT, handle_edit },
  { CONFAB_REQUEST_DELETE, handle_delete },
  { CONFAB_REQUEST_REACT, handle_react },
  { CONFAB_REQUEST_READ, handle_read },
  { CONFAB_REQUEST_HISTORY, handle_history },
  { CONFAB_REQUEST_CONVERSATIONS, handle_conversations },
  { CONFAB_REQUEST_SEARCH, handle_search },
  { NULL }
};

static const char * const events[] = {
  CONFAB_EVENT_MESSAGE, CONFAB_EVENT_MESSAGE_EDITED, CONFAB_EVENT_MESSAGE_DELETED,
  CONFAB_EVENT_REACTION, CONFAB_EVENT_READ, NULL
};

static const ConfabServerModule module = {
  .name = "messages",
  .requests = requests,
  .events = events,
};

void
confab_messages_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
  confab_metrics_add_counter (confab_server_get_metrics (server), MESSAGES_STORED,
                              "Messages stored by send requests", NULL, NULL);
}
