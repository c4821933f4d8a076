/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-account.h"
#include "confab-application.h"
#include "confab-idle-monitor.h"
#include "confab-messaging.h"
#include "confab-profiles.h"
#include "confab-window.h"

G_BEGIN_DECLS

/* Conversations the first frame of the sidebar shows: a tall screen's worth. GTK 4.8's list view
 * makes a row for up to 200 items, visible or not; the rest come in the frame after. */
#define SIDEBAR_FIRST_FRAME 25

struct _ConfabWindow
{
  AdwApplicationWindow    parent_instance;

  GSettings              *settings;
  ConfabAccount          *account;
  ConfabClient           *client;         /* the session's, while the window shows one */
  ConfabSession          *session;
  GCancellable           *cancellable;
  GtkSingleSelection     *selection;
  ConfabConversation     *current;
  gboolean                signing_in;
  char                   *pending_conv;
  guint                   reselect_id;
  gboolean                first_frame_pending;
  guint                   first_frame_idle_id;
  GtkSliceListModel      *sidebar_slice;
  ConfabCallManager      *call_manager;
  AdwMessageDialog       *incoming_dialog;
  ConfabCallWindow       *call_window;
  GHashTable             *notified;       /* conv → gint64 id of the message told last */
  guint                   banner_tick_id;
  gboolean                replay_from_start;  /* the stream is replayed for a new cache */

  AdwToastOverlay        *toast_overlay;
  GtkStack               *main_stack;
  ConfabSigninPage       *signin_page;   /* made when first needed */
  AdwLeaflet             *leaflet;
  GtkWidget              *sidebar;
  GtkWidget              *content;
  AdwHeaderBar           *content_header;
  GtkMenuButton          *presence_button;
  AdwAvatar              *self_avatar;
  GtkWidget              *self_presence_dot;
  AdwWindowTitle         *sidebar_title;
  GtkRevealer            *connection_banner;
  GtkLabel               *connection_banner_label;
  GtkWidget              *connection_retry_button;
  GtkToggleButton        *search_button;
  GtkSearchBar           *search_bar;
  GtkSearchEntry         *search_entry;
  GtkWidget              *invitations_banner;
  GtkStack               *sidebar_stack;
  GtkListView            *conversation_list;
  AdwWindowTitle         *content_title;
  GtkWidget              *conversation_menu_button;
  GtkWidget              *audio_call_button;
  GtkWidget              *video_call_button;
  GtkStack               *content_stack;
  ConfabConversationView *conversation_view;   /* made after the first frame */

  /* confab-window-people.c */
  AdwViewStack           *sidebar_views;
  AdwBin                 *people_page;     /* holds the People view once it is shown */
  GtkWidget              *people_view;
  GtkWidget              *announcements_button;
  GtkWidget              *announcements_badge;
  GtkWidget              *announcements_view;
  gint64                  told_announcement;
  ConfabIdleMonitor      *idle_monitor;
  gboolean                auto_away;       /* idle: an online status shows as away */
};

static inline ConfabApplication *
_confab_window_app (ConfabWindow *self)
{
  return CONFAB_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

/* Whether the user sees the window: shown (closing only hides it while Confab runs in the
 * background) and focused. What the user does not see is told by a desktop notification. */
static inline gboolean
_confab_window_in_view (ConfabWindow *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self)) && gtk_window_is_active (GTK_WINDOW (self));
}

static inline ConfabMessaging *
_confab_window_messaging (ConfabWindow *self)
{
  return confab_messaging_from_session (self->session);
}

static inline ConfabProfiles *
_confab_window_profiles (ConfabWindow *self)
{
  return confab_profiles_from_session (self->session);
}

static inline ConfabConversationList *
_confab_window_conversations (ConfabWindow *self)
{
  return confab_messaging_get_conversations (_confab_window_messaging (self));
}

/* confab-window.c */
void _confab_window_on_conversations_changed (GListModel   *model,
                                              guint         position,
                                              guint         removed,
                                              guint         added,
                                              ConfabWindow *self);
void _confab_window_show_conversation (ConfabWindow *self, ConfabConversation *conv);
ConfabConversationView *_confab_window_conversation_view (ConfabWindow *self);
/* Where the sidebar shows @conv, or GTK_INVALID_LIST_POSITION. */
guint _confab_window_find_position (ConfabWindow *self, ConfabConversation *conv);
void _confab_window_update_sidebar_stack (ConfabWindow *self);

/* confab-window-session.c */
gboolean _confab_window_online (ConfabWindow *self);
void _confab_window_reconnect (ConfabWindow *self);
ConfabPresence _confab_window_own_presence (ConfabWindow *self);
void _confab_window_send_presence (ConfabWindow *self);
void _confab_window_show_account (ConfabWindow *self);
void _confab_window_stop_session (ConfabWindow *self);
void _confab_window_update_self (ConfabWindow *self);

/* confab-window-signin.c */
ConfabSigninPage *_confab_window_signin_page (ConfabWindow *self);
void _confab_window_show_signin (ConfabWindow *self);
void _confab_window_on_signin_submit (ConfabWindow *self);

/* confab-window-calls.c */
void _confab_window_call_action (GtkWidget *widget, const char *action_name, GVariant *param);
void _confab_window_start_calls (ConfabWindow *self);
void _confab_window_stop_calls (ConfabWindow *self);
void _confab_window_update_call_actions (ConfabWindow *self);

/* confab-window-rooms.c */
void     _confab_window_rooms_class_init     (GtkWidgetClass     *widget_class);
void     _confab_window_rooms_start          (ConfabWindow       *self);
void     _confab_window_rooms_stop           (ConfabWindow       *self);
void     _confab_window_rooms_update_actions (ConfabWindow       *self);
gboolean _confab_window_rooms_should_notify  (ConfabWindow       *self,
                                              ConfabConversation *conv,
                                              ConfabMessage      *message);

/* confab-window-people.c */
void     _confab_window_people_class_init    (GtkWidgetClass     *widget_class);
void     _confab_window_people_init          (ConfabWindow       *self);
void     _confab_window_people_start         (ConfabWindow       *self);
void     _confab_window_people_stop          (ConfabWindow       *self);
void     _confab_window_people_after_first_frame (ConfabWindow   *self);

/* confab-window-actions.c */
void _confab_window_class_actions_init (GtkWidgetClass *widget_class);
void _confab_window_actions_init (ConfabWindow *self);

G_END_DECLS
