/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-image-viewer"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-attachments-box.h"
#include "confab-files.h"
#include "confab-frame.h"
#include "confab-image-viewer.h"
#include "confab-session.h"
#include "confab-ui-util.h"

#define ZOOM_STEP 1.25
#define ZOOM_MAX  8.0

static const struct
{
  guint       keyval;
  const char *action;
} zoom_keys[] = {
  { GDK_KEY_plus, "viewer.zoom-in" },
  { GDK_KEY_equal, "viewer.zoom-in" },
  { GDK_KEY_KP_Add, "viewer.zoom-in" },
  { GDK_KEY_minus, "viewer.zoom-out" },
  { GDK_KEY_KP_Subtract, "viewer.zoom-out" },
  { GDK_KEY_0, "viewer.zoom-fit" },
  { GDK_KEY_KP_0, "viewer.zoom-fit" },
};

struct _ConfabImageViewer
{
  AdwWindow       parent_instance;

  ConfabSession  *session;     /* weak */
  GPtrArray      *pictures;    /* of JsonObject */
  guint           index;
  double          zoom;        /* 0: fit the window */
  GdkTexture     *texture;
  GCancellable   *cancellable;

  AdwWindowTitle *title;
  GtkWidget      *previous_button;
  GtkWidget      *next_button;
  GtkWidget      *zoom_in_button;
  GtkWidget      *zoom_out_button;
  GtkWidget      *save_button;
  GtkStack       *stack;
  GtkPicture     *picture;
  AdwToastOverlay *toasts;
};

G_DEFINE_FINAL_TYPE (ConfabImageViewer, confab_image_viewer, ADW_TYPE_WINDOW)

static JsonObject *
current (ConfabImageViewer *self)
{
  return self->index < self->pictures->len ? g_ptr_array_index (self->pictures, self->index)
                                           : NULL;
}

static void
apply_zoom (ConfabImageViewer *self)
{
  double width = self->texture != NULL ? gdk_texture_get_width (self->texture) : 0;
  double height = self->texture != NULL ? gdk_texture_get_height (self->texture) : 0;

  if (self->zoom <= 0 || self->texture == NULL)
    {
      gtk_picture_set_can_shrink (self->picture, TRUE);
      gtk_widget_set_size_request (GTK_WIDGET (self->picture), -1, -1);
    }
  else
    {
      gtk_picture_set_can_shrink (self->picture, FALSE);
      gtk_widget_set_size_request (GTK_WIDGET (self->picture), (int) (width * self->zoom),
                                   (int) (height * self->zoom));
    }
  gtk_widget_set_sensitive (self->zoom_in_button, self->texture != NULL
                            && self->zoom < ZOOM_MAX);
  gtk_widget_set_sensitive (self->zoom_out_button, self->texture != NULL && self->zoom > 0);
}

static void
picture_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabImageViewer) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = confab_files_download_finish (CONFAB_FILES (object), result, &error);

  if (file != NULL)
    self->texture = gdk_texture_new_from_file (file, &error);
  if (self->texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = confab_error_to_user_text (error, result);

          adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
        }
      return;
    }
  gtk_picture_set_paintable (self->picture, GDK_PAINTABLE (self->texture));
  gtk_stack_set_visible_child_name (self->stack, "picture");
  apply_zoom (self);
}

static void
show_current (ConfabImageViewer *self)
{
  JsonObject *attachment = current (self);
  g_autofree char *position = g_strdup_printf (_("%u of %u"), self->index + 1,
                                               self->pictures->len);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->texture);
  self->zoom = 0;
  gtk_picture_set_paintable (self->picture, NULL);
  gtk_stack_set_visible_child_name (self->stack, "loading");
  adw_window_title_set_title (self->title, confab_json_get_string (attachment, "name"));
  adw_window_title_set_subtitle (self->title, self->pictures->len > 1 ? position : NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  confab_json_get_string (attachment, "name"), -1);
  gtk_widget_set_sensitive (self->previous_button, self->index > 0);
  gtk_widget_set_sensitive (self->next_button, self->index + 1 < self->pictures->len);
  apply_zoom (self);
  if (self->session == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  confab_files_download_async (confab_files_from_session (self->session), attachment, NULL, NULL,
                               self->cancellable, picture_loaded_cb, g_object_ref (self));
}

static void
go (ConfabImageViewer *self,
    int                delta)
{
  if ((delta < 0 && self->index == 0) || (delta > 0 && self->index + 1 >= self->pictures->len))
    return;
  self->index += delta;
  show_current (self);
}

static void
previous_action (GtkWidget *widget, const char *name, GVariant *param)
{
  go (CONFAB_IMAGE_VIEWER (widget), -1);
}

static void
next_action (GtkWidget *widget, const char *name, GVariant *param)
{
  go (CONFAB_IMAGE_VIEWER (widget), 1);
}

/* The zoom at which the texture fills the view as "fit" shows it. */
static double
fit_zoom (ConfabImageViewer *self)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self->stack));
  double height = gtk_widget_get_height (GTK_WIDGET (self->stack));

  if (self->texture == NULL || width <= 0 || height <= 0)
    return 1.0;
  return MIN (1.0, MIN (width / gdk_texture_get_width (self->texture),
                        height / gdk_texture_get_height (self->texture)));
}

static void
zoom_in_action (GtkWidget *widget, const char *name, GVariant *param)
{
  ConfabImageViewer *self = CONFAB_IMAGE_VIEWER (widget);

  self->zoom = MIN (ZOOM_MAX, (self->zoom > 0 ? self->zoom : fit_zoom (self)) * ZOOM_STEP);
  apply_zoom (self);
}

static void
zoom_out_action (GtkWidget *widget, const char *name, GVariant *param)
{
  ConfabImageViewer *self = CONFAB_IMAGE_VIEWER (widget);

  if (self->zoom <= 0)
    return;
  self->zoom /= ZOOM_STEP;
  if (self->zoom <= fit_zoom (self))
    self->zoom = 0;
  apply_zoom (self);
}

static void
zoom_fit_action (GtkWidget *widget, const char *name, GVariant *param)
{
  CONFAB_IMAGE_VIEWER (widget)->zoom = 0;
  apply_zoom (CONFAB_IMAGE_VIEWER (widget));
}

static void
save_action (GtkWidget *widget, const char *name, GVariant *param)
{
  ConfabImageViewer *self = CONFAB_IMAGE_VIEWER (widget);

  if (current (self) != NULL)
    confab_attachment_save_as (GTK_WIDGET (self->picture), self->session, current (self));
}

static GtkWidget *
header_button (const char *icon_name,
               const char *label,
               const char *action)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  confab_set_tooltip_and_label (button, label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  return button;
}

static void
confab_image_viewer_dispose (GObject *object)
{
  ConfabImageViewer *self = CONFAB_IMAGE_VIEWER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->texture);
  g_clear_pointer (&self->pictures, g_ptr_array_unref);
  g_clear_weak_pointer (&self->session);

  G_OBJECT_CLASS (confab_image_viewer_parent_class)->dispose (object);
}

static void
confab_image_viewer_class_init (ConfabImageViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_image_viewer_dispose;

  gtk_widget_class_install_action (widget_class, "viewer.previous", NULL, previous_action);
  gtk_widget_class_install_action (widget_class, "viewer.next", NULL, next_action);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "viewer.zoom-fit", NULL, zoom_fit_action);
  gtk_widget_class_install_action (widget_class, "viewer.save", NULL, save_action);
  /* The viewer has no text to type into: +, - and 0 work alone, as in picture viewers, and
   * with Ctrl, as in the rest of the desktop. */
  for (guint i = 0; i < G_N_ELEMENTS (zoom_keys); i++)
    {
      gtk_widget_class_add_binding_action (widget_class, zoom_keys[i].keyval, 0,
                                           zoom_keys[i].action, NULL);
      gtk_widget_class_add_binding_action (widget_class, zoom_keys[i].keyval, GDK_CONTROL_MASK,
                                           zoom_keys[i].action, NULL);
    }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "viewer.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_image_viewer_init (ConfabImageViewer *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  GtkEventController *arrows = gtk_shortcut_controller_new ();

  self->title = ADW_WINDOW_TITLE (adw_window_title_new ("", NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  self->previous_button = header_button ("go-previous-symbolic", _("Previous Picture"),
                                         "viewer.previous");
  self->next_button = header_button ("go-next-symbolic", _("Next Picture"), "viewer.next");
  self->zoom_out_button = header_button ("zoom-out-symbolic", _("Zoom Out"), "viewer.zoom-out");
  self->zoom_in_button = header_button ("zoom-in-symbolic", _("Zoom In"), "viewer.zoom-in");
  self->save_button = header_button ("document-save-as-symbolic", _("Save As…"), "viewer.save");
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), self->previous_button);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), self->next_button);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->save_button);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->zoom_in_button);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->zoom_out_button);
  gtk_box_append (GTK_BOX (box), header);

  self->picture = GTK_PICTURE (gtk_picture_new ());
  gtk_picture_set_content_fit (self->picture, GTK_CONTENT_FIT_CONTAIN);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), GTK_WIDGET (self->picture));
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  gtk_stack_add_named (self->stack, spinner, "loading");
  gtk_stack_add_named (self->stack, scrolled, "picture");
  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, GTK_WIDGET (self->stack));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->toasts));
  adw_window_set_content (ADW_WINDOW (self), box);

  /* Left and Right go through the pictures wherever the focus is, before GtkWindow's own arrow
   * bindings (which come first among the class's and moved the focus between the header's
   * buttons instead). */
  gtk_event_controller_set_propagation_phase (arrows, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (arrows),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Left, 0),
                                                          gtk_named_action_new ("viewer.previous")));
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (arrows),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Right,
                                                                                  0),
                                                          gtk_named_action_new ("viewer.next")));
  gtk_widget_add_controller (GTK_WIDGET (self), arrows);
  gtk_window_set_default_size (GTK_WINDOW (self), 900, 680);
  gtk_window_set_title (GTK_WINDOW (self), _("Picture"));
}

ConfabImageViewer *
confab_image_viewer_new (GtkWindow     *parent,
                         ConfabSession *session,
                         GPtrArray     *pictures,
                         guint          index)
{
  ConfabImageViewer *self = g_object_new (CONFAB_TYPE_IMAGE_VIEWER,
                                          "transient-for", parent, NULL);

  g_return_val_if_fail (pictures != NULL && pictures->len > 0, self);

  g_set_weak_pointer (&self->session, session);
  self->pictures = g_ptr_array_ref (pictures);
  self->index = MIN (index, pictures->len - 1);
  show_current (self);
  return self;
}

JsonObject *
confab_image_viewer_get_attachment (ConfabImageViewer *self)
{
  g_return_val_if_fail (CONFAB_IS_IMAGE_VIEWER (self), NULL);
  return current (self);
}

gboolean
confab_image_viewer_get_loaded (ConfabImageViewer *self)
{
  g_return_val_if_fail (CONFAB_IS_IMAGE_VIEWER (self), FALSE);
  return self->texture != NULL;
}
