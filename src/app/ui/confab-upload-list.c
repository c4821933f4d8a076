/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-upload-list"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-files.h"
#include "confab-session.h"
#include "confab-ui-util.h"
#include "confab-upload-list.h"
#include "confab-upload.h"

struct _ConfabUploadList
{
  GtkWidget           parent_instance;

  ConfabSession      *session;    /* weak */
  char               *conv;
  GtkFilterListModel *filtered;
  GtkListBox         *list_box;
};

G_DEFINE_FINAL_TYPE (ConfabUploadList, confab_upload_list, GTK_TYPE_WIDGET)

typedef struct
{
  GtkWidget      *row;
  ConfabUpload   *upload;
  GtkProgressBar *progress;
  GtkLabel       *status;
  GtkButton      *pause;
} UploadRow;

static void
upload_row_free (UploadRow *row)
{
  g_signal_handlers_disconnect_by_data (row->upload, row);
  g_object_unref (row->upload);
  g_free (row);
}

static ConfabFiles *
files_of (GtkWidget *widget)
{
  ConfabUploadList *self = CONFAB_UPLOAD_LIST (gtk_widget_get_ancestor (widget,
                                                                        CONFAB_TYPE_UPLOAD_LIST));

  return self != NULL && self->session != NULL ? confab_files_from_session (self->session)
                                               : NULL;
}

static void
update_row (UploadRow *row)
{
  ConfabUpload *upload = row->upload;
  ConfabUploadState state = confab_upload_get_state (upload);
  g_autofree char *done = g_format_size (confab_upload_get_offset (upload));
  g_autofree char *total = g_format_size (confab_upload_get_size (upload));
  g_autofree char *speed = NULL;
  g_autofree char *text = NULL;
  gboolean paused = state == CONFAB_UPLOAD_PAUSED;

  gtk_progress_bar_set_fraction (row->progress, confab_upload_get_fraction (upload));
  switch (state)
    {
    case CONFAB_UPLOAD_UPLOADING:
      if (confab_upload_get_speed (upload) > 0)
        {
          speed = g_format_size ((guint64) confab_upload_get_speed (upload));
          /* Translators: bytes sent of the whole, and the speed, e.g. "1.2 MB of 5.0 MB · 800
           * kB/s". */
          text = g_strdup_printf (_("%s of %s · %s/s"), done, total, speed);
        }
      else
        text = g_strdup_printf (_("%s of %s"), done, total);
      break;
    case CONFAB_UPLOAD_QUEUED:
      text = g_strdup (_("Waiting to send"));
      break;
    case CONFAB_UPLOAD_PAUSED:
      text = g_strdup_printf (_("Paused at %s of %s"), done, total);
      break;
    case CONFAB_UPLOAD_WAITING:
      text = g_strdup (_("Waiting for the server"));
      break;
    case CONFAB_UPLOAD_SENDING:
      text = g_strdup (_("Sending"));
      break;
    case CONFAB_UPLOAD_FAILED:
    default:
      text = g_strdup_printf (_("Not sent: %s"), confab_upload_get_error (upload) != NULL
                                                 ? confab_upload_get_error (upload) : "");
      break;
    }
  gtk_label_set_label (row->status, text);
  gtk_button_set_icon_name (row->pause, paused ? "media-playback-start-symbolic"
                                               : "media-playback-pause-symbolic");
  confab_set_tooltip_and_label (GTK_WIDGET (row->pause), paused ? _("Resume Upload")
                                                                : _("Pause Upload"));
  gtk_widget_set_sensitive (GTK_WIDGET (row->pause), state != CONFAB_UPLOAD_FAILED
                            && state != CONFAB_UPLOAD_SENDING);
}

static void
on_pause_clicked (GtkButton *button,
                  UploadRow *row)
{
  ConfabFiles *files = files_of (GTK_WIDGET (button));

  if (files == NULL)
    return;
  if (confab_upload_get_state (row->upload) == CONFAB_UPLOAD_PAUSED)
    confab_files_resume (files, row->upload);
  else
    confab_files_pause (files, row->upload);
}

static void
on_cancel_clicked (GtkButton *button,
                   UploadRow *row)
{
  ConfabFiles *files = files_of (GTK_WIDGET (button));

  if (files != NULL)
    confab_files_cancel (files, row->upload);
}

static GtkWidget *
small_button (const char *icon_name)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  return button;
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  ConfabUpload *upload = item;
  UploadRow *row = g_new0 (UploadRow, 1);
  GtkWidget *line = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *name = gtk_label_new (confab_upload_get_name (upload));
  GtkWidget *cancel = small_button ("window-close-symbolic");
  g_autofree char *label = g_strdup_printf (_("Sending %s"), confab_upload_get_name (upload));

  row->upload = g_object_ref (upload);
  row->row = gtk_list_box_row_new ();
  row->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  row->status = GTK_LABEL (gtk_label_new (NULL));
  row->pause = GTK_BUTTON (small_button ("media-playback-pause-symbolic"));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row->row), FALSE);
  gtk_widget_set_margin_start (line, 12);
  gtk_widget_set_margin_end (line, 6);
  gtk_widget_set_margin_top (line, 6);
  gtk_widget_set_margin_bottom (line, 6);
  gtk_widget_add_css_class (row->row, "upload-row");
  confab_set_row_label (row->row, label);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (name, "caption-heading");
  gtk_label_set_xalign (row->status, 0);
  gtk_widget_add_css_class (GTK_WIDGET (row->status), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (row->status), "dim-label");
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->progress), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Upload progress"), -1);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (texts), name);
  gtk_box_append (GTK_BOX (texts), GTK_WIDGET (row->progress));
  gtk_box_append (GTK_BOX (texts), GTK_WIDGET (row->status));
  confab_set_tooltip_and_label (cancel, _("Cancel Upload"));
  gtk_box_append (GTK_BOX (line), texts);
  gtk_box_append (GTK_BOX (line), GTK_WIDGET (row->pause));
  gtk_box_append (GTK_BOX (line), cancel);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row->row), line);

  g_signal_connect (row->pause, "clicked", G_CALLBACK (on_pause_clicked), row);
  g_signal_connect (cancel, "clicked", G_CALLBACK (on_cancel_clicked), row);
  g_signal_connect_swapped (upload, "notify", G_CALLBACK (update_row), row);
  g_object_set_data_full (G_OBJECT (row->row), "confab-upload-row", row,
                          (GDestroyNotify) upload_row_free);
  update_row (row);
  return row->row;
}

static gboolean
upload_in_conv (gpointer item,
                gpointer user_data)
{
  ConfabUploadList *self = user_data;

  return g_strcmp0 (confab_upload_get_conv (item), self->conv) == 0;
}

static void
on_items_changed (ConfabUploadList *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self), self->filtered != NULL
                          && g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0);
}

void
confab_upload_list_set_conv (ConfabUploadList *self,
                             ConfabSession    *session,
                             const char       *conv)
{
  GtkCustomFilter *filter;

  g_return_if_fail (CONFAB_IS_UPLOAD_LIST (self));

  g_set_weak_pointer (&self->session, session);
  g_free (self->conv);
  self->conv = g_strdup (conv);
  gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  g_clear_object (&self->filtered);
  if (session != NULL && conv != NULL)
    {
      filter = gtk_custom_filter_new (upload_in_conv, self, NULL);
      self->filtered = gtk_filter_list_model_new (
        g_object_ref (confab_files_get_uploads (confab_files_from_session (session))),
        GTK_FILTER (filter));
      g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (on_items_changed),
                               self, G_CONNECT_SWAPPED);
      gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->filtered), create_row, NULL,
                               NULL);
    }
  on_items_changed (self);
}

static void
confab_upload_list_dispose (GObject *object)
{
  ConfabUploadList *self = CONFAB_UPLOAD_LIST (object);

  if (self->list_box != NULL)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  g_clear_object (&self->filtered);
  g_clear_pointer ((GtkWidget **) &self->list_box, gtk_widget_unparent);
  g_clear_weak_pointer (&self->session);
  g_clear_pointer (&self->conv, g_free);

  G_OBJECT_CLASS (confab_upload_list_parent_class)->dispose (object);
}

static void
confab_upload_list_class_init (ConfabUploadListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_upload_list_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "uploads");
}

static void
confab_upload_list_init (ConfabUploadList *self)
{
  self->list_box = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list_box, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list_box), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_box), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Uploads"), -1);
  gtk_widget_set_parent (GTK_WIDGET (self->list_box), GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
confab_upload_list_new (void)
{
  return g_object_new (CONFAB_TYPE_UPLOAD_LIST, NULL);
}
