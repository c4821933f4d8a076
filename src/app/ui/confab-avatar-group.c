/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-avatar-group"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-avatar-group.h"
#include "confab-avatar.h"
#include "confab-contact.h"
#include "confab-files.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-ui-util.h"

#define AVATAR_MAX_PX 512

struct _ConfabAvatarGroup
{
  AdwPreferencesGroup  parent_instance;

  ConfabSession       *session;   /* weak */
  GCancellable        *cancellable;
  AdwAvatar           *avatar;
  GtkWidget           *remove_button;
  GtkWidget           *choose_button;
};

G_DEFINE_FINAL_TYPE (ConfabAvatarGroup, confab_avatar_group, ADW_TYPE_PREFERENCES_GROUP)

static void
toast (ConfabAvatarGroup *self,
       const char        *text)
{
  GtkWidget *root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (text));
  else
    g_message ("%s", text);
}

static void
set_busy (ConfabAvatarGroup *self,
          gboolean           busy)
{
  gtk_widget_set_sensitive (self->choose_button, !busy);
  gtk_widget_set_sensitive (self->remove_button, !busy);
}

static void
update (ConfabAvatarGroup *self)
{
  ConfabContact *contact = self->session != NULL
                           ? confab_profiles_get_self_contact (
    confab_profiles_from_session (self->session)) : NULL;
  const char *file_id = contact != NULL ? confab_contact_get_avatar_file_id (contact) : NULL;

  adw_avatar_set_text (self->avatar, contact != NULL ? confab_contact_get_display_name (contact)
                                                     : NULL);
  confab_avatar_follow (self->avatar, self->session, contact);
  gtk_widget_set_visible (self->remove_button, file_id != NULL && file_id[0] != '\0');
}

static void
profile_updated_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(ConfabAvatarGroup) self = user_data;
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(GError) error = NULL;

  user = confab_profiles_profile_finish (CONFAB_PROFILES (object), result, &error);
  set_busy (self, FALSE);
  if (user == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      toast (self, text);
    }
  update (self);
}

static void
set_file_id (ConfabAvatarGroup *self,
             const char        *file_id)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  json_object_set_string_member (fields, "avatar_file_id", file_id);
  confab_profiles_update_profile_async (confab_profiles_from_session (self->session), fields,
                                        self->cancellable, profile_updated_cb,
                                        g_object_ref (self));
}

static void
uploaded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabAvatarGroup) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *file_id = confab_files_upload_file_finish (CONFAB_FILES (object), result,
                                                              &error);

  if (file_id == NULL || self->session == NULL)
    {
      set_busy (self, FALSE);
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = confab_error_to_user_text (error, result);

          toast (self, text);
        }
      return;
    }
  set_file_id (self, file_id);
}

/* Off the main thread: the centred square of the picture, at most 512 px, as a PNG in the
 * cache. */
static void
crop_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autoptr(GdkPixbuf) loaded = NULL;
  g_autoptr(GdkPixbuf) oriented = NULL;
  g_autoptr(GdkPixbuf) square = NULL;
  g_autoptr(GdkPixbuf) scaled = NULL;
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "confab", "avatars", NULL);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *name = g_strconcat (uuid, ".png", NULL);
  g_autofree char *out = g_build_filename (dir, name, NULL);
  GError *error = NULL;
  int width, height, side;

  loaded = path != NULL ? gdk_pixbuf_new_from_file (path, &error) : NULL;
  if (loaded == NULL)
    {
      g_clear_error (&error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("This file is not a picture Confab can read."));
      return;
    }
  oriented = gdk_pixbuf_apply_embedded_orientation (loaded);
  width = gdk_pixbuf_get_width (oriented);
  height = gdk_pixbuf_get_height (oriented);
  side = MIN (width, height);
  square = gdk_pixbuf_new_subpixbuf (oriented, (width - side) / 2, (height - side) / 2, side,
                                     side);
  scaled = side > AVATAR_MAX_PX
           ? gdk_pixbuf_scale_simple (square, AVATAR_MAX_PX, AVATAR_MAX_PX, GDK_INTERP_HYPER)
           : g_object_ref (square);
  if (g_mkdir_with_parents (dir, 0700) != 0 || !gdk_pixbuf_save (scaled, out, "png", &error, NULL))
    {
      if (error == NULL)
        error = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", dir, g_strerror (errno));
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_file_new_for_path (out), g_object_unref);
}

static void
cropped_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ConfabAvatarGroup *self = CONFAB_AVATAR_GROUP (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) square = g_task_propagate_pointer (G_TASK (result), &error);

  if (square == NULL || self->session == NULL)
    {
      set_busy (self, FALSE);
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  confab_files_upload_file_async (confab_files_from_session (self->session), square,
                                  "avatar.png", "image/png", self->cancellable, uploaded_cb,
                                  g_object_ref (self));
}

void
confab_avatar_group_set_picture (ConfabAvatarGroup *self,
                                 GFile             *file)
{
  GTask *task;

  g_return_if_fail (CONFAB_IS_AVATAR_GROUP (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->session == NULL)
    return;
  set_busy (self, TRUE);
  task = g_task_new (self, self->cancellable, cropped_cb, NULL);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, crop_thread);
  g_object_unref (task);
}

void
confab_avatar_group_remove (ConfabAvatarGroup *self)
{
  g_return_if_fail (CONFAB_IS_AVATAR_GROUP (self));

  if (self->session == NULL)
    return;
  set_busy (self, TRUE);
  set_file_id (self, "");
}

static void
on_chooser_response (GtkNativeDialog   *dialog,
                     int                response,
                     ConfabAvatarGroup *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        confab_avatar_group_set_picture (self, file);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
on_choose_clicked (ConfabAvatarGroup *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_("Choose a Profile Picture"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), NULL);
  gtk_file_filter_set_name (filter, _("Pictures"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

void
confab_avatar_group_set_session (ConfabAvatarGroup *self,
                                 ConfabSession     *session)
{
  g_return_if_fail (CONFAB_IS_AVATAR_GROUP (self));

  g_set_weak_pointer (&self->session, session);
  if (session != NULL)
    {
      ConfabContact *contact = confab_profiles_get_self_contact (
        confab_profiles_from_session (session));

      if (contact != NULL)
        g_signal_connect_object (contact, "notify", G_CALLBACK (update), self,
                                 G_CONNECT_SWAPPED);
    }
  update (self);
}

static void
confab_avatar_group_dispose (GObject *object)
{
  ConfabAvatarGroup *self = CONFAB_AVATAR_GROUP (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_weak_pointer (&self->session);

  G_OBJECT_CLASS (confab_avatar_group_parent_class)->dispose (object);
}

static void
confab_avatar_group_class_init (ConfabAvatarGroupClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_avatar_group_dispose;
}

static void
confab_avatar_group_init (ConfabAvatarGroup *self)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  self->cancellable = g_cancellable_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Profile Picture"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                         _("Shown next to your name. A picture is cropped to "
                                           "its centred square."));
  self->avatar = ADW_AVATAR (adw_avatar_new (64, NULL, TRUE));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->avatar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Your profile picture"), -1);
  self->choose_button = gtk_button_new_with_mnemonic (_("C_hoose…"));
  self->remove_button = gtk_button_new_with_mnemonic (_("_Remove"));
  gtk_widget_add_css_class (self->remove_button, "destructive-action");
  gtk_widget_set_valign (self->choose_button, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (self->remove_button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (self->choose_button, _("Choose a Profile Picture"));
  gtk_widget_set_tooltip_text (self->remove_button, _("Remove the Profile Picture"));
  gtk_box_append (GTK_BOX (buttons), self->choose_button);
  gtk_box_append (GTK_BOX (buttons), self->remove_button);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), GTK_WIDGET (self->avatar));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), buttons);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Profile Picture"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
  g_signal_connect_swapped (self->choose_button, "clicked", G_CALLBACK (on_choose_clicked), self);
  g_signal_connect_swapped (self->remove_button, "clicked",
                            G_CALLBACK (confab_avatar_group_remove), self);
  gtk_widget_set_visible (self->remove_button, FALSE);
}

GtkWidget *
confab_avatar_group_new (void)
{
  return g_object_new (CONFAB_TYPE_AVATAR_GROUP, NULL);
}
