/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  CONFAB_MESSAGE_STATE_SENDING, /* in the outbox, not yet answered by the server */
  CONFAB_MESSAGE_STATE_SENT,    /* stored on the server (and every received message) */
  CONFAB_MESSAGE_STATE_READ,    /* own message the peer has read */
  CONFAB_MESSAGE_STATE_FAILED,  /* refused by the server; can be retried or discarded */
} ConfabMessageState;

#define CONFAB_TYPE_MESSAGE_STATE (confab_message_state_get_type ())
GType confab_message_state_get_type (void);

#define CONFAB_TYPE_MESSAGE (confab_message_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMessage, confab_message, CONFAB, MESSAGE, GObject)

/* A protocol Message object; NULL if it lacks id, conv, from or ts. */
ConfabMessage      *confab_message_new_from_json    (JsonObject     *msg);
/* A message of the outbox (id 0, state sending). */
ConfabMessage      *confab_message_new_pending      (const char     *conv,
                                                     const char     *from,
                                                     const char     *client_msg_id,
                                                     const char     *body,
                                                     const char     *format,
                                                     gint64          reply_to,
                                                     gint64          ts);

gint64              confab_message_get_id           (ConfabMessage  *self); /* 0 while pending */
const char         *confab_message_get_conv         (ConfabMessage  *self);
const char         *confab_message_get_sender       (ConfabMessage  *self); /* "from" */
gint64              confab_message_get_ts           (ConfabMessage  *self); /* ms since epoch */
const char         *confab_message_get_kind         (ConfabMessage  *self); /* text, call, system */
const char         *confab_message_get_body         (ConfabMessage  *self); /* "" when deleted */
const char         *confab_message_get_format       (ConfabMessage  *self); /* plain, markdown */
gint64              confab_message_get_reply_to     (ConfabMessage  *self); /* 0 if none */
gboolean            confab_message_get_edited       (ConfabMessage  *self);
gint64              confab_message_get_edited_ts    (ConfabMessage  *self);
gboolean            confab_message_get_deleted      (ConfabMessage  *self);
const char         *confab_message_get_client_msg_id (ConfabMessage *self);
ConfabMessageState  confab_message_get_state        (ConfabMessage  *self);
/* Attachments array as sent by the server, or NULL. */
JsonArray          *confab_message_get_attachments  (ConfabMessage  *self);
/* The record of a kind "call" message ({call_id, media {audio, video}, result, duration_ms}),
 * or NULL. */
JsonObject         *confab_message_get_call         (ConfabMessage  *self);
/* Emoji of the reactions, in first-seen order. */
GStrv               confab_message_dup_reaction_emojis (ConfabMessage *self);
/* Usernames that reacted with @emoji (NULL-terminated, possibly empty). */
GStrv               confab_message_dup_reaction_users  (ConfabMessage *self,
                                                        const char    *emoji);
guint               confab_message_get_reaction_count  (ConfabMessage *self,
                                                        const char    *emoji);
/* What a room's system line records ({action, user?, by?, name?, topic?, visibility?, role?}),
 * for text in the reader's language; NULL for other messages. */
JsonObject         *confab_message_get_system          (ConfabMessage *self);
/* TRUE if the server found @username, or @room, among the message's mentions. */
gboolean            confab_message_mentions            (ConfabMessage *self,
                                                        const char    *username);

/* Engine use: these notify the properties that change. */
void                confab_message_update_from_json (ConfabMessage  *self,
                                                     JsonObject     *msg);
/* What an outbox message sends as attachments ([{file_id, …}]), shown until the server's
 * Attachments replace it. */
void                confab_message_set_pending_attachments (ConfabMessage *self,
                                                            JsonArray     *attachments);
void                confab_message_set_state        (ConfabMessage  *self,
                                                     ConfabMessageState state);
void                confab_message_set_deleted      (ConfabMessage  *self);
void                confab_message_set_reaction     (ConfabMessage  *self,
                                                     const char     *emoji,
                                                     const char     *user,
                                                     gboolean        on);
/* Reactions as stored in the cache: {"emoji": ["user", …], …}. */
JsonObject         *confab_message_dup_reactions_json (ConfabMessage *self);

/* "Video call · 2:35", "Missed call", "No answer"…, and an icon to go with it, for a call
 * record (@outgoing: the own user called). @record may be NULL while it is not known. */
char               *confab_call_record_describe     (JsonObject     *record,
                                                     gboolean        outgoing,
                                                     const char    **icon_name);
/* 2:35, or 1:02:03 from an hour on. */
char               *confab_call_format_duration     (guint64         seconds);

/* Properties: id, conv, sender, ts, kind, body, format, reply-to, edited, edited-ts, deleted,
 * client-msg-id, state, call; reactions-changed is signalled through notify::reactions. */

G_END_DECLS
