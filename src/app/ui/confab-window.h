/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_WINDOW (confab_window_get_type ())

G_DECLARE_FINAL_TYPE (ConfabWindow, confab_window, CONFAB, WINDOW, AdwApplicationWindow)

ConfabWindow           *confab_window_new                   (ConfabApplication *application);
void                    confab_window_set_server            (ConfabWindow      *self,
                                                             const char        *server);
void                    confab_window_open_conversation     (ConfabWindow      *self,
                                                             const char        *conv);
void                    confab_window_sign_out              (ConfabWindow      *self);
/* Signs out, first asking whether to keep or discard messages not sent yet, if any. */
void                    confab_window_ask_sign_out          (ConfabWindow      *self);
void                    confab_window_add_toast             (ConfabWindow      *self,
                                                             const char        *text);

/* The session once signed in, or NULL. */
ConfabSession          *confab_window_get_session           (ConfabWindow      *self);
/* "signin", "loading" or "main". */
const char             *confab_window_get_page              (ConfabWindow      *self);
/* The id of the message the desktop notification of @conv tells of, or 0. */
gint64                  confab_window_get_notified_message  (ConfabWindow      *self,
                                                             const char        *conv);
/* The id of the announcement told last (a notification, unless the Announcements page was in
 * view), or 0. */
gint64                  confab_window_get_told_announcement (ConfabWindow      *self);
/* The People page of the sidebar (a ConfabPeopleView), made now if it was not shown yet. */
GtkWidget              *confab_window_get_people_view       (ConfabWindow      *self);
ConfabSigninPage       *confab_window_get_signin_page       (ConfabWindow      *self);
ConfabConversationView *confab_window_get_conversation_view (ConfabWindow      *self);
GtkListView            *confab_window_get_conversation_list (ConfabWindow      *self);

/* Calls: the session's call manager (NULL when signed out), the open call window (or NULL),
 * and what the Accept and Decline buttons of a ringing call do. */
ConfabCallManager      *confab_window_get_call_manager      (ConfabWindow      *self);
ConfabCallWindow       *confab_window_get_call_window       (ConfabWindow      *self);
void                    confab_window_accept_call           (ConfabWindow      *self,
                                                             const char        *call_id);
void                    confab_window_decline_call          (ConfabWindow      *self,
                                                             const char        *call_id);

G_END_DECLS
