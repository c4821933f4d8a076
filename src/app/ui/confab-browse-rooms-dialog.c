/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-browse-rooms-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-browse-rooms-dialog.h"
#include "confab-room-rows.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-session.h"
#include "confab-ui-util.h"

/* One page of results: enough for a company's public rooms at a glance; search narrows it. */
#define BROWSE_LIMIT 100

enum {
  SIGNAL_OPEN_ROOM,
  N_SIGNALS
};

struct _ConfabBrowseRoomsDialog
{
  AdwWindow        parent_instance;

  ConfabSession   *session;
  GCancellable    *search_cancellable;
  GListModel      *rooms;

  AdwToastOverlay *toast_overlay;
  GtkSearchEntry  *search_entry;
  GtkStack        *stack;
  GtkListBox      *list;
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabBrowseRoomsDialog, confab_browse_rooms_dialog, ADW_TYPE_WINDOW)

static void
show_error (ConfabBrowseRoomsDialog *self,
            GError                  *error,
            GAsyncResult            *result)
{
  g_autofree char *text = confab_error_to_user_text (error, result);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

static void
joined_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabBrowseRoomsDialog) self = user_data;
  g_autoptr(ConfabRoom) room = NULL;
  g_autoptr(GError) error = NULL;

  room = confab_rooms_room_finish (CONFAB_ROOMS (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->session == NULL)
    return;
  if (room == NULL)
    {
      show_error (self, error, result);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_OPEN_ROOM], 0, room);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_join_clicked (GtkButton  *button,
                 ConfabRoom *room)
{
  ConfabBrowseRoomsDialog *self =
    CONFAB_BROWSE_ROOMS_DIALOG (gtk_widget_get_root (GTK_WIDGET (button)));

  if (g_strcmp0 (confab_room_get_membership (room), "member") == 0)
    {
      g_signal_emit (self, signals[SIGNAL_OPEN_ROOM], 0, room);
      gtk_window_close (GTK_WINDOW (self));
      return;
    }
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  confab_rooms_join_async (confab_rooms_from_session (self->session), confab_room_get_id (room),
                           NULL, joined_cb, g_object_ref (self));
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  ConfabRoom *room = item;
  GtkWidget *row = confab_room_list_row_new (room);
  gboolean member = g_strcmp0 (confab_room_get_membership (room), "member") == 0;
  GtkWidget *button = gtk_button_new_with_mnemonic (member ? _("_Open") : _("_Join"));
  g_autofree char *description = g_strdup_printf (member ? _("Open %s") : _("Join %s"),
                                                  confab_room_get_name (room));

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  if (!member)
    gtk_widget_add_css_class (button, "suggested-action");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  description, -1);
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_join_clicked), room, 0);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabBrowseRoomsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  GListModel *rooms;

  rooms = confab_rooms_list_finish (CONFAB_ROOMS (object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->session == NULL)
    return;
  if (rooms == NULL)
    {
      show_error (self, error, result);
      return;
    }
  g_clear_object (&self->rooms);
  self->rooms = rooms;
  gtk_list_box_bind_model (self->list, self->rooms, create_row, self, NULL);
  gtk_stack_set_visible_child_name (self->stack, g_list_model_get_n_items (rooms) > 0
                                                 ? "list" : "empty");
}

static void
search (ConfabBrowseRoomsDialog *self)
{
  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  self->search_cancellable = g_cancellable_new ();
  confab_rooms_list_async (confab_rooms_from_session (self->session),
                           gtk_editable_get_text (GTK_EDITABLE (self->search_entry)),
                           BROWSE_LIMIT, 0, self->search_cancellable, listed_cb,
                           g_object_ref (self));
}

static void
on_search_changed (ConfabBrowseRoomsDialog *self)
{
  search (self);
}

static void
confab_browse_rooms_dialog_dispose (GObject *object)
{
  ConfabBrowseRoomsDialog *self = CONFAB_BROWSE_ROOMS_DIALOG (object);

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->rooms);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_BROWSE_ROOMS_DIALOG);

  G_OBJECT_CLASS (confab_browse_rooms_dialog_parent_class)->dispose (object);
}

static void
confab_browse_rooms_dialog_class_init (ConfabBrowseRoomsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_browse_rooms_dialog_dispose;

  signals[SIGNAL_OPEN_ROOM] =
    g_signal_new ("open-room", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, CONFAB_TYPE_ROOM);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-browse-rooms-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabBrowseRoomsDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabBrowseRoomsDialog, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabBrowseRoomsDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabBrowseRoomsDialog, list);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_browse_rooms_dialog_init (ConfabBrowseRoomsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

ConfabBrowseRoomsDialog *
confab_browse_rooms_dialog_new (GtkWindow     *parent,
                                ConfabSession *session)
{
  ConfabBrowseRoomsDialog *self;

  g_return_val_if_fail (CONFAB_IS_SESSION (session), NULL);

  self = g_object_new (CONFAB_TYPE_BROWSE_ROOMS_DIALOG, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  search (self);
  return self;
}
