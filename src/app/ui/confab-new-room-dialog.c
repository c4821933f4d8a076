/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-new-room-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-new-room-dialog.h"
#include "confab-profiles.h"
#include "confab-room-rows.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-session.h"
#include "confab-ui-util.h"
#include "confab-validate.h"

enum {
  SIGNAL_ROOM_CREATED,
  N_SIGNALS
};

struct _ConfabNewRoomDialog
{
  AdwWindow             parent_instance;

  ConfabSession        *session;
  GCancellable         *cancellable;
  GHashTable           *checks;       /* username → GtkCheckButton */

  AdwToastOverlay      *toast_overlay;
  GtkWidget            *create_button;
  AdwEntryRow          *name_row;
  AdwEntryRow          *topic_row;
  GtkSwitch            *public_switch;
  AdwPreferencesGroup  *members_group;
  AdwEntryRow          *username_row;
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabNewRoomDialog, confab_new_room_dialog, ADW_TYPE_WINDOW)

static void
on_name_changed (ConfabNewRoomDialog *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (
                                                  GTK_EDITABLE (self->name_row))));
  glong length = g_utf8_strlen (name, -1);

  gtk_widget_set_sensitive (self->create_button, length >= 1 && length <= 80);
}

/* A row with a check box for @username, checked; or the existing one checked again. */
static void
add_person (ConfabNewRoomDialog *self,
            const char          *username,
            gboolean             active)
{
  GtkWidget *check = g_hash_table_lookup (self->checks, username);
  GtkWidget *row;

  if (check == NULL)
    {
      row = confab_room_person_row_new (self->session, username, &check);
      g_hash_table_insert (self->checks, g_strdup (username), check);
      adw_preferences_group_add (self->members_group, row);
    }
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), active);
}

static void
on_username_apply (ConfabNewRoomDialog *self)
{
  g_autofree char *username = confab_username_normalize (gtk_editable_get_text (
                                                           GTK_EDITABLE (self->username_row)));

  if (!confab_username_is_valid (username))
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("That is not a valid username.")));
      return;
    }
  if (g_strcmp0 (username, confab_session_get_username (self->session)) != 0)
    add_person (self, username, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), "");
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabNewRoomDialog) self = user_data;
  g_autoptr(ConfabRoom) room = NULL;
  g_autoptr(GError) error = NULL;

  room = confab_rooms_room_finish (CONFAB_ROOMS (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (self->create_button, TRUE);
  if (room == NULL)
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
      return;
    }
  g_signal_emit (self, signals[SIGNAL_ROOM_CREATED], 0, room);
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_create_clicked (ConfabNewRoomDialog *self)
{
  g_autoptr(GPtrArray) members = g_ptr_array_new ();
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (
                                                  GTK_EDITABLE (self->name_row))));
  g_autofree char *topic = g_strstrip (g_strdup (gtk_editable_get_text (
                                                   GTK_EDITABLE (self->topic_row))));
  GHashTableIter iter;
  const char *username;
  GtkCheckButton *check;

  g_hash_table_iter_init (&iter, self->checks);
  while (g_hash_table_iter_next (&iter, (gpointer *) &username, (gpointer *) &check))
    if (gtk_check_button_get_active (check))
      g_ptr_array_add (members, (gpointer) username);
  g_ptr_array_add (members, NULL);

  gtk_widget_set_sensitive (self->create_button, FALSE);
  confab_rooms_create_async (confab_rooms_from_session (self->session), name, topic,
                             gtk_switch_get_active (self->public_switch) ? "public" : "private",
                             (const char * const *) members->pdata, self->cancellable,
                             created_cb, g_object_ref (self));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
confab_new_room_dialog_dispose (GObject *object)
{
  ConfabNewRoomDialog *self = CONFAB_NEW_ROOM_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_pointer (&self->checks, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_NEW_ROOM_DIALOG);

  G_OBJECT_CLASS (confab_new_room_dialog_parent_class)->dispose (object);
}

static void
confab_new_room_dialog_class_init (ConfabNewRoomDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_new_room_dialog_dispose;

  signals[SIGNAL_ROOM_CREATED] =
    g_signal_new ("room-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, CONFAB_TYPE_ROOM);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-new-room-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabNewRoomDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewRoomDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewRoomDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewRoomDialog, topic_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewRoomDialog, public_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewRoomDialog, members_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewRoomDialog, username_row);
  gtk_widget_class_bind_template_callback (widget_class, on_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_username_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_new_room_dialog_init (ConfabNewRoomDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

ConfabNewRoomDialog *
confab_new_room_dialog_new (GtkWindow     *parent,
                            ConfabSession *session)
{
  ConfabNewRoomDialog *self;
  g_autoptr(GPtrArray) known = NULL;

  g_return_val_if_fail (CONFAB_IS_SESSION (session), NULL);

  self = g_object_new (CONFAB_TYPE_NEW_ROOM_DIALOG, "transient-for", parent, NULL);
  self->session = g_object_ref (session);

  /* The people the user knows: every contact the session has met, but the user. */
  known = confab_profiles_dup_usernames (confab_profiles_from_session (session));
  g_ptr_array_sort (known, compare_names);
  for (guint i = 0; i < known->len; i++)
    {
      const char *username = g_ptr_array_index (known, i);

      if (g_strcmp0 (username, confab_session_get_username (session)) != 0)
        add_person (self, username, FALSE);
    }
  return self;
}
