/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ANNOUNCEMENTS (confab_announcements_get_type ())
G_DECLARE_FINAL_TYPE (ConfabAnnouncements, confab_announcements, CONFAB, ANNOUNCEMENTS,
                      ConfabFeature)

/* The conv of the ConfabMessages that stand for announcements (not a server conversation). */
#define CONFAB_ANNOUNCEMENTS_CONV "announcements"
/* The newest announcements read from the cache at start. */
#define CONFAB_ANNOUNCEMENTS_LOADED 500

/* Announcements: the `broadcast` events, kept in the cache and shown as one conversation of
 * their own; admins send them. */
ConfabAnnouncements *confab_announcements_new          (ConfabSession       *session);
ConfabAnnouncements *confab_announcements_from_session (ConfabSession       *session);

/* A GListModel of ConfabMessage (conv CONFAB_ANNOUNCEMENTS_CONV, id the announcement's), oldest
 * first. */
GListModel *confab_announcements_get_list          (ConfabAnnouncements *self);
/* Announcements not yet marked read (property "unread"). */
guint       confab_announcements_get_unread        (ConfabAnnouncements *self);
/* Marks every announcement read, here and in the cache. */
void        confab_announcements_mark_read         (ConfabAnnouncements *self);
/* TRUE if the own account may announce (role admin, from the hello's user). */
gboolean    confab_announcements_can_send          (ConfabAnnouncements *self);

/* Signal "received" (ConfabMessage): an announcement not seen before was stored. */

/* Sends @body to everyone, or to @department when not NULL nor empty. Finish with
 * confab_announcements_send_finish (the number of recipients, -1 on error). */
void        confab_announcements_send_async        (ConfabAnnouncements *self,
                                                    const char          *body,
                                                    const char          *department,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gint64      confab_announcements_send_finish       (ConfabAnnouncements *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
