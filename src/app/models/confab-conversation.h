/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

/* For ConfabPresence. */
#include "confab-contact.h"
#include "confab-types.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_CONVERSATION_DM,
  CONFAB_CONVERSATION_ROOM,
} ConfabConversationKind;

#define CONFAB_TYPE_CONVERSATION_KIND (confab_conversation_kind_get_type ())
GType confab_conversation_kind_get_type (void);

#define CONFAB_TYPE_CONVERSATION (confab_conversation_get_type ())
G_DECLARE_FINAL_TYPE (ConfabConversation, confab_conversation, CONFAB, CONVERSATION, GObject)

/* @self_username tells which side of a dm: conv is the peer. NULL if @conv is invalid. */
ConfabConversation     *confab_conversation_new               (const char *conv,
                                                               const char *self_username);

const char             *confab_conversation_get_conv          (ConfabConversation *self);
ConfabConversationKind  confab_conversation_get_kind          (ConfabConversation *self);
/* Room name, or the peer's display name (or username) for a DM. */
const char             *confab_conversation_get_title         (ConfabConversation *self);
const char             *confab_conversation_get_peer          (ConfabConversation *self); /* DM */
/* The DM peer as a contact (presence, profile), or NULL for rooms / not yet known. */
ConfabContact          *confab_conversation_get_peer_contact  (ConfabConversation *self);
ConfabPresence          confab_conversation_get_peer_presence (ConfabConversation *self);
const char             *confab_conversation_get_last_message_preview (ConfabConversation *self);
gint64                  confab_conversation_get_last_message_time    (ConfabConversation *self);
gint64                  confab_conversation_get_last_message_id      (ConfabConversation *self);
guint                   confab_conversation_get_unread        (ConfabConversation *self);
gint64                  confab_conversation_get_last_read     (ConfabConversation *self);
/* Highest message id the other participants have read (read receipts). */
gint64                  confab_conversation_get_peer_read     (ConfabConversation *self);
gboolean                confab_conversation_get_muted         (ConfabConversation *self);
/* Display text like "alice is typing…", or NULL. Cleared 6 s after the last typing event. */
const char             *confab_conversation_get_typing_text   (ConfabConversation *self);
/* Rooms: the room (NULL until known), who sent the last message (NULL if unknown), and how
 * many unread messages mention the user. */
ConfabRoom             *confab_conversation_get_room          (ConfabConversation *self);
const char             *confab_conversation_get_last_message_sender (ConfabConversation *self);
guint                   confab_conversation_get_mentions_unread (ConfabConversation *self);

/* Engine use (notify on change). */
void    confab_conversation_set_title         (ConfabConversation *self,
                                               const char         *title);
void    confab_conversation_set_peer_contact  (ConfabConversation *self,
                                               ConfabContact      *contact);
void    confab_conversation_set_last_message  (ConfabConversation *self,
                                               gint64              id,
                                               const char         *preview,
                                               gint64              ts);
void    confab_conversation_set_unread        (ConfabConversation *self,
                                               guint               unread);
void    confab_conversation_set_last_read     (ConfabConversation *self,
                                               gint64              msg_id);
void    confab_conversation_set_peer_read     (ConfabConversation *self,
                                               gint64              msg_id);
void    confab_conversation_set_muted         (ConfabConversation *self,
                                               gboolean            muted);
void    confab_conversation_set_typing_text   (ConfabConversation *self,
                                               const char         *text);
void    confab_conversation_set_room          (ConfabConversation *self,
                                               ConfabRoom         *room);
void    confab_conversation_set_last_message_sender (ConfabConversation *self,
                                                     const char         *sender);
void    confab_conversation_set_mentions_unread (ConfabConversation *self,
                                                 guint               count);

/* Properties: conv, kind, title, peer, peer-contact, peer-presence, last-message-preview,
 * last-message-time, last-message-id, unread, last-read, peer-read, muted, typing-text, room,
 * last-message-sender, mentions-unread. */

G_END_DECLS
