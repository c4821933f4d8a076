/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-attachments-box"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>

#include "confab-attachments-box.h"
#include "confab-files.h"
#include "confab-frame.h"
#include "confab-image-viewer.h"
#include "confab-message.h"
#include "confab-session.h"
#include "confab-ui-util.h"

/* The longest side of a picture in a message. */
#define PICTURE_MAX_PX 320
#define ATTACHMENT_KEY "confab-attachment"

struct _ConfabAttachmentsBox
{
  GtkWidget          parent_instance;

  ConfabMessage     *message;
  JsonArray         *shown;      /* the attachments the children show */
  ConfabSession     *session;    /* weak */
  ConfabMessageList *list;       /* weak */
  GCancellable      *cancellable;
};

G_DEFINE_FINAL_TYPE (ConfabAttachmentsBox, confab_attachments_box, GTK_TYPE_WIDGET)

static void
toast (GtkWidget  *widget,
       const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  GtkRoot *root = gtk_widget_get_root (widget);

  if (overlay == NULL && ADW_IS_WINDOW (root))
    overlay = gtk_widget_get_ancestor (adw_window_get_content (ADW_WINDOW (root)),
                                       ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

gboolean
confab_attachment_is_picture (JsonObject *attachment)
{
  return confab_json_get_string (attachment, "thumbnail_file_id") != NULL
         && confab_json_get_int_or (attachment, "width", 0) > 0
         && confab_json_get_int_or (attachment, "height", 0) > 0;
}

GPtrArray *
confab_attachments_collect_pictures (GListModel *list)
{
  GPtrArray *pictures = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; list != NULL && i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(ConfabMessage) msg = g_list_model_get_item (list, i);
      JsonArray *attachments = confab_message_get_attachments (msg);

      if (confab_message_get_deleted (msg) || attachments == NULL)
        continue;
      for (guint j = 0; j < json_array_get_length (attachments); j++)
        {
          JsonNode *node = json_array_get_element (attachments, j);

          if (JSON_NODE_HOLDS_OBJECT (node)
              && confab_attachment_is_picture (json_node_get_object (node)))
            g_ptr_array_add (pictures, json_object_ref (json_node_get_object (node)));
        }
    }
  return pictures;
}

/* Saving --------------------------------------------------------------------------------- */

typedef struct
{
  GtkWidget  *widget;
  JsonObject *attachment;
  GFile      *target;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_object_unref (data->widget);
  json_object_unref (data->attachment);
  g_clear_object (&data->target);
  g_free (data);
}

static void
copied_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  SaveData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (object), result, &error))
    toast (data->widget, error->message);
  save_data_free (data);
}

static void
save_downloaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  SaveData *data = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = confab_files_download_finish (CONFAB_FILES (object), result, &error);

  if (file == NULL)
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      toast (data->widget, text);
      save_data_free (data);
      return;
    }
  g_file_copy_async (file, data->target, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT, NULL, NULL,
                     NULL, copied_cb, data);
}

static void
on_save_response (GtkNativeDialog *dialog,
                  int              response,
                  gpointer         user_data)
{
  SaveData *data = user_data;
  ConfabSession *session = g_object_get_data (G_OBJECT (dialog), "confab-session");

  if (response == GTK_RESPONSE_ACCEPT && session != NULL)
    {
      data->target = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      confab_files_download_async (confab_files_from_session (session), data->attachment, NULL,
                                   NULL, NULL, save_downloaded_cb, data);
    }
  else
    save_data_free (data);
  g_object_unref (dialog);
}

void
confab_attachment_save_as (GtkWidget     *widget,
                           ConfabSession *session,
                           JsonObject    *attachment)
{
  GtkFileChooserNative *dialog;
  SaveData *data;
  GtkRoot *root = gtk_widget_get_root (widget);

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (attachment != NULL);

  if (session == NULL)
    return;
  dialog = gtk_file_chooser_native_new (_("Save File"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  if (confab_json_get_string (attachment, "name") != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                       confab_json_get_string (attachment, "name"));
  g_object_set_data_full (G_OBJECT (dialog), "confab-session", g_object_ref (session),
                          g_object_unref);
  data = g_new0 (SaveData, 1);
  data->widget = g_object_ref (widget);
  data->attachment = json_object_ref (attachment);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), data);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Pictures ------------------------------------------------------------------------------- */

static void
thumbnail_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GtkPicture) picture = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = confab_files_download_finish (CONFAB_FILES (object), result, &error);
  g_autoptr(GdkTexture) texture = NULL;

  if (file == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("thumbnail not loaded: %s", error->message);
      return;
    }
  texture = gdk_texture_new_from_file (file, &error);
  if (texture == NULL)
    {
      g_debug ("thumbnail not shown: %s", error->message);
      return;
    }
  gtk_picture_set_paintable (picture, GDK_PAINTABLE (texture));
  gtk_widget_remove_css_class (GTK_WIDGET (picture), "loading");
}

static void
on_picture_clicked (GtkGestureClick      *gesture,
                    int                   n_press,
                    double                x,
                    double                y,
                    ConfabAttachmentsBox *self)
{
  GtkWidget *picture = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  JsonObject *attachment = g_object_get_data (G_OBJECT (picture), ATTACHMENT_KEY);
  g_autoptr(GPtrArray) pictures = NULL;
  GtkRoot *root = gtk_widget_get_root (picture);
  guint index = 0;

  if (self->session == NULL || attachment == NULL)
    return;
  pictures = confab_attachments_collect_pictures (G_LIST_MODEL (self->list));
  for (guint i = 0; i < pictures->len; i++)
    if (g_strcmp0 (confab_json_get_string (g_ptr_array_index (pictures, i), "file_id"),
                   confab_json_get_string (attachment, "file_id")) == 0)
      index = i;
  if (pictures->len == 0)
    g_ptr_array_add (pictures, json_object_ref (attachment));
  gtk_window_present (GTK_WINDOW (confab_image_viewer_new (GTK_IS_WINDOW (root)
                                                           ? GTK_WINDOW (root) : NULL,
                                                           self->session, pictures, index)));
}

static GtkWidget *
picture_new (ConfabAttachmentsBox *self,
             JsonObject           *attachment)
{
  GtkWidget *picture = gtk_picture_new ();
  g_autoptr(JsonObject) thumb = json_object_new ();
  double width = (double) confab_json_get_int_or (attachment, "width", 1);
  double height = (double) confab_json_get_int_or (attachment, "height", 1);
  double scale = MIN (1.0, PICTURE_MAX_PX / MAX (width, height));
  GtkGesture *click = gtk_gesture_click_new ();
  g_autofree char *label = g_strdup_printf (_("Picture %s"),
                                            confab_json_get_string (attachment, "name"));

  gtk_picture_set_content_fit (GTK_PICTURE (picture), GTK_CONTENT_FIT_COVER);
  gtk_widget_set_size_request (picture, MAX (48, (int) (width * scale)),
                               MAX (48, (int) (height * scale)));
  gtk_widget_set_halign (picture, GTK_ALIGN_START);
  gtk_widget_add_css_class (picture, "attachment-picture");
  gtk_widget_add_css_class (picture, "loading");
  gtk_widget_set_cursor_from_name (picture, "pointer");
  gtk_widget_set_tooltip_text (picture, confab_json_get_string (attachment, "name"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  g_object_set_data_full (G_OBJECT (picture), ATTACHMENT_KEY, json_object_ref (attachment),
                          (GDestroyNotify) json_object_unref);
  g_signal_connect (click, "released", G_CALLBACK (on_picture_clicked), self);
  gtk_widget_add_controller (picture, GTK_EVENT_CONTROLLER (click));

  json_object_set_string_member (thumb, "file_id",
                                 confab_json_get_string (attachment, "thumbnail_file_id"));
  confab_files_download_async (confab_files_from_session (self->session), thumb, NULL, NULL,
                               self->cancellable, thumbnail_loaded_cb, g_object_ref (picture));
  return picture;
}

/* Other files ---------------------------------------------------------------------------- */

typedef struct
{
  GtkWidget     *row;
  GtkProgressBar *progress;
  JsonObject    *attachment;
  gboolean       open;
} FileAction;

static void
file_action_free (FileAction *action)
{
  g_object_unref (action->row);
  json_object_unref (action->attachment);
  g_free (action);
}

static void
on_download_progress (goffset  current,
                      goffset  total,
                      gpointer user_data)
{
  FileAction *action = user_data;

  gtk_widget_set_visible (GTK_WIDGET (action->progress), TRUE);
  if (total > 0)
    gtk_progress_bar_set_fraction (action->progress, (double) current / (double) total);
}

static void
launched_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GtkWidget) row = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_app_info_launch_default_for_uri_finish (result, &error))
    toast (row, error->message);
}

/* A copy under the file's own name, for the application that opens it. */
static GFile *
open_copy (GFile      *cached,
           JsonObject *attachment,
           GError    **error)
{
  g_autofree char *key = g_file_get_basename (cached);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "confab", "open", key, NULL);
  g_autofree char *name = g_strdup (confab_json_get_string (attachment, "name"));
  g_autoptr(GFile) copy = NULL;

  if (name == NULL || name[0] == '\0' || name[0] == '.' || strchr (name, '/') != NULL)
    {
      g_free (name);
      name = g_strdup ("file");
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", dir, g_strerror (errno));
      return NULL;
    }
  copy = g_file_new_build_filename (dir, name, NULL);
  if (!g_file_query_exists (copy, NULL)
      && !g_file_copy (cached, copy, G_FILE_COPY_NONE, NULL, NULL, NULL, error))
    return NULL;
  return g_steal_pointer (&copy);
}

static void
file_downloaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  FileAction *action = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = confab_files_download_finish (CONFAB_FILES (object), result, &error);
  g_autoptr(GFile) copy = NULL;
  g_autofree char *uri = NULL;

  gtk_widget_set_visible (GTK_WIDGET (action->progress), FALSE);
  if (file != NULL)
    copy = open_copy (file, action->attachment, &error);
  if (copy == NULL)
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (action->row, text);
      file_action_free (action);
      return;
    }
  uri = g_file_get_uri (copy);
  g_app_info_launch_default_for_uri_async (uri, NULL, NULL, launched_cb,
                                           g_object_ref (action->row));
  file_action_free (action);
}

static void
on_open_clicked (GtkButton            *button,
                 ConfabAttachmentsBox *self)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "confab-row");
  FileAction *action;

  if (self->session == NULL)
    return;
  action = g_new0 (FileAction, 1);
  action->row = g_object_ref (row);
  action->progress = g_object_get_data (G_OBJECT (row), "confab-progress");
  action->attachment = json_object_ref (g_object_get_data (G_OBJECT (row), ATTACHMENT_KEY));
  confab_files_download_async (confab_files_from_session (self->session), action->attachment,
                               on_download_progress, action, self->cancellable,
                               file_downloaded_cb, action);
}

static void
on_save_clicked (GtkButton            *button,
                 ConfabAttachmentsBox *self)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "confab-row");

  confab_attachment_save_as (row, self->session, g_object_get_data (G_OBJECT (row),
                                                                    ATTACHMENT_KEY));
}

static GtkWidget *
icon_button (const char *icon_name,
             const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  confab_set_tooltip_and_label (button, label);
  return button;
}

static GtkWidget *
file_row_new (ConfabAttachmentsBox *self,
              JsonObject           *attachment)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  GtkWidget *name = gtk_label_new (confab_json_get_string (attachment, "name"));
  GtkWidget *progress = gtk_progress_bar_new ();
  GtkWidget *open = icon_button ("document-open-symbolic", _("Open"));
  GtkWidget *save = icon_button ("document-save-as-symbolic", _("Save As…"));
  const char *mime = confab_json_get_string (attachment, "mime");
  g_autofree char *content_type = g_content_type_from_mime_type (mime != NULL ? mime
                                                                 : "application/octet-stream");
  g_autofree char *description = g_content_type_get_description (content_type);
  g_autofree char *size = g_format_size ((guint64) MAX (confab_json_get_int_or (attachment,
                                                                                "size", 0), 0));
  g_autofree char *details = g_strdup_printf (C_("file size and type", "%s · %s"), size,
                                              description);
  g_autoptr(GIcon) icon = g_content_type_get_symbolic_icon (content_type);
  GtkWidget *image = gtk_image_new_from_gicon (icon);
  GtkWidget *details_label = gtk_label_new (details);
  g_autofree char *row_label = g_strdup_printf (_("File %s, %s"),
                                                confab_json_get_string (attachment, "name"),
                                                details);

  gtk_widget_add_css_class (row, "attachment-file");
  gtk_image_set_pixel_size (GTK_IMAGE (image), 32);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  row_label, -1);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (name), 32);
  gtk_widget_add_css_class (name, "heading");
  gtk_label_set_xalign (GTK_LABEL (details_label), 0);
  gtk_widget_add_css_class (details_label, "caption");
  gtk_widget_add_css_class (details_label, "dim-label");
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (texts), name);
  gtk_box_append (GTK_BOX (texts), details_label);
  gtk_box_append (GTK_BOX (buttons), open);
  gtk_box_append (GTK_BOX (buttons), save);
  gtk_box_append (GTK_BOX (line), image);
  gtk_box_append (GTK_BOX (line), texts);
  gtk_box_append (GTK_BOX (line), buttons);
  gtk_box_append (GTK_BOX (row), line);
  gtk_widget_set_visible (progress, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (progress), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Download progress"), -1);
  gtk_box_append (GTK_BOX (row), progress);
  g_object_set_data (G_OBJECT (row), "confab-progress", progress);
  g_object_set_data_full (G_OBJECT (row), ATTACHMENT_KEY, json_object_ref (attachment),
                          (GDestroyNotify) json_object_unref);
  g_object_set_data (G_OBJECT (open), "confab-row", row);
  g_object_set_data (G_OBJECT (save), "confab-row", row);
  g_signal_connect (open, "clicked", G_CALLBACK (on_open_clicked), self);
  g_signal_connect (save, "clicked", G_CALLBACK (on_save_clicked), self);
  return row;
}

/* The box ------------------------------------------------------------------------------- */

static void
clear (ConfabAttachmentsBox *self)
{
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_pointer (&self->shown, json_array_unref);
}

void
confab_attachments_box_update (ConfabAttachmentsBox *self,
                               ConfabMessage        *message,
                               ConfabSession        *session,
                               ConfabMessageList    *list)
{
  JsonArray *attachments;

  g_return_if_fail (CONFAB_IS_ATTACHMENTS_BOX (self));

  g_set_weak_pointer (&self->session, session);
  g_set_weak_pointer (&self->list, list);
  attachments = message != NULL && !confab_message_get_deleted (message)
                ? confab_message_get_attachments (message) : NULL;
  if (message == self->message && attachments == self->shown)
    return;
  g_set_object (&self->message, message);
  clear (self);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  if (attachments == NULL || session == NULL)
    return;

  self->shown = json_array_ref (attachments);
  self->cancellable = g_cancellable_new ();
  for (guint i = 0; i < json_array_get_length (attachments); i++)
    {
      JsonNode *node = json_array_get_element (attachments, i);
      JsonObject *attachment;
      GtkWidget *child;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      attachment = json_node_get_object (node);
      /* An outbox message names its files only; the server's Attachment says the rest. */
      if (confab_json_get_string (attachment, "file_id") == NULL
          || confab_json_get_string (attachment, "name") == NULL)
        continue;
      child = confab_attachment_is_picture (attachment) ? picture_new (self, attachment)
                                                        : file_row_new (self, attachment);
      gtk_widget_set_parent (child, GTK_WIDGET (self));
      gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
    }
}

static void
confab_attachments_box_dispose (GObject *object)
{
  ConfabAttachmentsBox *self = CONFAB_ATTACHMENTS_BOX (object);

  clear (self);
  g_clear_object (&self->message);
  g_clear_weak_pointer (&self->session);
  g_clear_weak_pointer (&self->list);

  G_OBJECT_CLASS (confab_attachments_box_parent_class)->dispose (object);
}

static void
confab_attachments_box_class_init (ConfabAttachmentsBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_attachments_box_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "attachments");
}

static void
confab_attachments_box_init (ConfabAttachmentsBox *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 6);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
confab_attachments_box_new (void)
{
  return g_object_new (CONFAB_TYPE_ATTACHMENTS_BOX, NULL);
}
