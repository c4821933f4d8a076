/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabMessageStore: the data of messaging, as a store backend keeps it. Data access only:
 * who may do what, which conversation a DM is, who receives an event and what its frame says
 * are the messages module's rules, which call these from a unit of work on the store thread
 * (confab_store_run_async). Objects returned are the protocol's (Message, conversation items).
 */

typedef struct
{
  const char *conv;
  const char *sender;
  gint64      ts;
  const char *client_msg_id;
  const char *kind;           /* "text", "call", "system" */
  const char *body;
  const char *format;         /* "plain", "markdown" */
  gint64      reply_to;       /* 0: none */
  const char *attachments;    /* JSON array text, or NULL */
  const char *call;           /* JSON object text, or NULL */
  const char *mentions;       /* JSON array text, or NULL */
  const char *system;         /* JSON object text (kind "system"), or NULL */
} ConfabNewMessage;

typedef struct
{
  char     *conv;
  char     *sender;
  char     *body;
  char     *kind;
  gboolean  deleted;
} ConfabMessageInfo;

void confab_message_info_clear (ConfabMessageInfo *info);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ConfabMessageInfo, confab_message_info_clear)

#define CONFAB_TYPE_MESSAGE_STORE (confab_message_store_get_type ())
G_DECLARE_INTERFACE (ConfabMessageStore, confab_message_store, CONFAB, MESSAGE_STORE, ConfabStore)

struct _ConfabMessageStoreInterface
{
  GTypeInterface parent_iface;

  gboolean    (*user_exists)    (ConfabMessageStore      *self,
                                 const char              *username);
  /* Whether @blocker blocks @blocked. */
  gboolean    (*blocks)         (ConfabMessageStore      *self,
                                 const char              *blocker,
                                 const char              *blocked);
  /* @username's role in room conversation @conv; NULL if not a member. */
  char       *(*member_role)    (ConfabMessageStore      *self,
                                 const char              *conv,
                                 const char              *username);
  /* The members of room conversation @conv. */
  GStrv       (*members)        (ConfabMessageStore      *self,
                                 const char              *conv);
  /* Creates the rows of DM @conv between @a and @b unless they exist. */
  void        (*dm_ensure)      (ConfabMessageStore      *self,
                                 const char              *conv,
                                 const char              *a,
                                 const char              *b,
                                 gint64                   ts);
  /* Stores @msg. FALSE if (sender, client_msg_id) is taken; @id gets the new message's id.
   * Unread counts follow from the read marks: nothing is written per member. */
  gboolean    (*insert)         (ConfabMessageStore      *self,
                                 const ConfabNewMessage  *msg,
                                 gint64                  *id);
  JsonObject *(*find)           (ConfabMessageStore      *self,
                                 const char              *sender,
                                 const char              *client_msg_id);
  JsonObject *(*load)           (ConfabMessageStore      *self,
                                 gint64                   msg_id);
  gboolean    (*info)           (ConfabMessageStore      *self,
                                 gint64                   msg_id,
                                 ConfabMessageInfo       *info);
  /* The conversation of message @msg_id; NULL if there is none. */
  char       *(*conv_of)        (ConfabMessageStore      *self,
                                 gint64                   msg_id);
  /* @mentions: the new text's, as JSON array text, or NULL. */
  void        (*edit)           (ConfabMessageStore      *self,
                                 gint64                   msg_id,
                                 const char              *old_body,
                                 const char              *body,
                                 const char              *mentions,
                                 gint64                   ts);
  /* Erases the body, attachments, call, reactions and search entry of the message @info
   * describes. */
  void        (*erase)          (ConfabMessageStore      *self,
                                 gint64                   msg_id,
                                 const ConfabMessageInfo *info);
  /* Adds (@on) or removes a reaction; FALSE if that changed nothing. */
  gboolean    (*react)          (ConfabMessageStore      *self,
                                 gint64                   msg_id,
                                 const char              *username,
                                 const char              *emoji,
                                 gboolean                 on,
                                 gint64                   ts);
  /* @username's read mark in @conv; -1 without a membership row. */
  gint64      (*read_mark)      (ConfabMessageStore      *self,
                                 const char              *conv,
                                 const char              *username);
  /* Moves the read mark. */
  void        (*set_read_mark)  (ConfabMessageStore      *self,
                                 const char              *conv,
                                 const char              *username,
                                 gint64                   msg_id);
  /* Up to @limit messages of @conv in ascending ids, @before/@after exclusive (0: unset;
   * @after negative: from the oldest); without @after, the newest ones. */
  JsonArray  *(*history)        (ConfabMessageStore      *self,
                                 const char              *conv,
                                 gint64                   before,
                                 gint64                   after,
                                 guint                    limit,
                                 gboolean                *has_more);
  /* @username's conversations, by last activity, newest first. */
  JsonArray  *(*conversations)  (ConfabMessageStore      *self,
                                 const char              *username);
  /* Full-text matches of the words of @query, newest first, only from @username's
   * conversations (and only @conv if not NULL). */
  JsonArray  *(*search)         (ConfabMessageStore      *self,
                                 const char              *username,
                                 const char              *query,
                                 const char              *conv,
                                 guint                    limit);
};

G_END_DECLS
