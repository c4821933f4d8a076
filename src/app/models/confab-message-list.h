/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_LIST (confab_message_list_get_type ())
G_DECLARE_FINAL_TYPE (ConfabMessageList, confab_message_list, CONFAB, MESSAGE_LIST, GObject)

/* About a screenful: the page a conversation opens with, so its first frame lays out no more. */
#define CONFAB_MESSAGE_LIST_FIRST_PAGE 20
/* Stored messages kept at most: a scroll through a long history drops the far end and reads
 * it back from the cache by id when scrolled back, so memory does not grow with the history. */
#define CONFAB_MESSAGE_LIST_WINDOW 2000

/* A GListModel of ConfabMessage for one conversation, oldest first, with the outbox's pending
 * messages at the end. It holds a window of the conversation, never all of it: it starts with
 * the newest page and grows upwards through load_older, which reads the cache first and the
 * server's history when the cache has no more. The window has a bounded size: past it, loading
 * at one end drops messages at the other, which load_older or load_newer read back from the
 * cache. Get one from confab_session_get_messages(). */

const char *confab_message_list_get_conv     (ConfabMessageList *self);
/* FALSE once the oldest message of the conversation is loaded (property "has-more"). */
gboolean    confab_message_list_get_has_more (ConfabMessageList *self);
/* TRUE when newer messages than the window's were dropped from it (property "has-newer"). */
gboolean    confab_message_list_get_has_newer (ConfabMessageList *self);
/* TRUE while a load is under way (property "loading"). */
gboolean    confab_message_list_get_loading  (ConfabMessageList *self);
/* Loads up to @count older messages (0 = default page of 50) and inserts them at position 0.
 * Completes with the number of messages added; 0 and has-more FALSE at the start. */
void        confab_message_list_load_older_async  (ConfabMessageList   *self,
                                                   guint                count,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
guint       confab_message_list_load_older_finish (ConfabMessageList   *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
/* Loads up to @count newer messages from the cache (0 = default page of 50) after the window's
 * newest stored one. Completes with the number added; has-newer is FALSE once the newest is in. */
void        confab_message_list_load_newer_async  (ConfabMessageList   *self,
                                                   guint                count,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
guint       confab_message_list_load_newer_finish (ConfabMessageList   *self,
                                                   GAsyncResult       *result,
                                                   GError             **error);
/* Drops the window when has-newer and loads the newest page again (the way to the end of a
 * long history) of CONFAB_MESSAGE_LIST_FIRST_PAGE messages. */
void        confab_message_list_reload_newest     (ConfabMessageList   *self);
/* The loaded message with server id @id, or NULL. */
ConfabMessage *confab_message_list_lookup        (ConfabMessageList *self,
                                                  gint64             id);

G_END_DECLS
