/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-browse-rooms-dialog.h"
#include "confab-conversation.h"
#include "confab-invitations-banner.h"
#include "confab-new-room-dialog.h"
#include "confab-room-details.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-window-private.h"
#include "confab-window.h"

/* Rooms in the window: New Room, Browse Rooms, Room Details, the invitations banner, and what
 * the window tells about invitations and removals. */

static ConfabRooms *
get_rooms (ConfabWindow *self)
{
  return confab_rooms_from_session (self->session);
}

static void
open_room (ConfabWindow *self,
           ConfabRoom   *room)
{
  confab_window_open_conversation (self, confab_room_get_conv (room));
}

static void
new_room_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabNewRoomDialog *dialog;

  if (self->session == NULL)
    return;
  dialog = confab_new_room_dialog_new (GTK_WINDOW (self), self->session);
  g_signal_connect_object (dialog, "room-created", G_CALLBACK (open_room), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
browse_rooms_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabBrowseRoomsDialog *dialog;

  if (self->session == NULL)
    return;
  dialog = confab_browse_rooms_dialog_new (GTK_WINDOW (self), self->session);
  g_signal_connect_object (dialog, "open-room", G_CALLBACK (open_room), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
room_details_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabRoom *room = self->current != NULL ? confab_conversation_get_room (self->current) : NULL;

  if (self->session == NULL || room == NULL)
    return;
  gtk_window_present (GTK_WINDOW (confab_room_details_new (GTK_WINDOW (self), self->session,
                                                           room)));
}

static void
on_invited (ConfabRooms  *rooms,
            ConfabRoom   *room,
            ConfabWindow *self)
{
  GApplication *app = G_APPLICATION (_confab_window_app (self));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;

  if (app == NULL || !g_settings_get_boolean (self->settings, "notifications")
      || _confab_window_in_view (self))
    return;
  notification = g_notification_new (_("Room Invitation"));
  g_notification_set_body (notification, confab_room_get_name (room));
  g_notification_set_category (notification, "im");
  id = g_strconcat ("room-invite-", confab_room_get_id (room), NULL);
  g_application_send_notification (app, id, notification);
}

static void
on_room_left (ConfabRooms  *rooms,
              ConfabRoom   *room,
              const char   *reason,
              ConfabWindow *self)
{
  g_autofree char *text = NULL;

  if (g_strcmp0 (reason, "kicked") != 0)
    return;
  text = g_strdup_printf (_("You were removed from %s"), confab_room_get_name (room));
  confab_window_add_toast (self, text);
}

static void
on_banner_error (ConfabInvitationsBanner *banner,
                 const char              *text,
                 ConfabWindow            *self)
{
  confab_window_add_toast (self, text);
}

void
_confab_window_rooms_class_init (GtkWidgetClass *widget_class)
{
  g_type_ensure (CONFAB_TYPE_INVITATIONS_BANNER);
  gtk_widget_class_install_action (widget_class, "win.new-room", NULL, new_room_action);
  gtk_widget_class_install_action (widget_class, "win.browse-rooms", NULL, browse_rooms_action);
  gtk_widget_class_install_action (widget_class, "win.room-details", NULL, room_details_action);
}

void
_confab_window_rooms_start (ConfabWindow *self)
{
  confab_invitations_banner_set_session (CONFAB_INVITATIONS_BANNER (self->invitations_banner),
                                         self->session);
  g_signal_connect_object (self->invitations_banner, "room-joined", G_CALLBACK (open_room), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->invitations_banner, "error", G_CALLBACK (on_banner_error), self,
                           0);
  g_signal_connect_object (get_rooms (self), "invited", G_CALLBACK (on_invited), self, 0);
  g_signal_connect_object (get_rooms (self), "room-left", G_CALLBACK (on_room_left), self, 0);
}

void
_confab_window_rooms_stop (ConfabWindow *self)
{
  g_signal_handlers_disconnect_by_data (self->invitations_banner, self);
  confab_invitations_banner_set_session (CONFAB_INVITATIONS_BANNER (self->invitations_banner),
                                         NULL);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (get_rooms (self), self);
}

void
_confab_window_rooms_update_actions (ConfabWindow *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.room-details",
                                 self->current != NULL
                                 && confab_conversation_get_room (self->current) != NULL);
}

gboolean
_confab_window_rooms_should_notify (ConfabWindow       *self,
                                    ConfabConversation *conv,
                                    ConfabMessage      *message)
{
  return self->session != NULL && confab_rooms_should_notify (get_rooms (self), conv, message);
}
