/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-person-picker"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-directory.h"
#include "confab-person-picker.h"
#include "confab-person-row.h"
#include "confab-session.h"

/* The hits asked for at a time: a screen's worth; the search narrows as one types. */
#define PICKER_LIMIT 30

struct _ConfabPersonPicker
{
  AdwWindow       parent_instance;

  ConfabSession  *session;
  GCancellable   *search_cancellable;

  AdwWindowTitle *window_title;
  GtkSearchEntry *search_entry;
  GtkStack       *stack;
  GtkListBox     *results;
};

enum
{
  SIGNAL_CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabPersonPicker, confab_person_picker, ADW_TYPE_WINDOW)

static void
clear_results (ConfabPersonPicker *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results))) != NULL)
    gtk_list_box_remove (self->results, child);
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  ConfabPersonPicker *self;

  hits = confab_directory_search_finish (CONFAB_DIRECTORY (object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  clear_results (self);
  for (guint i = 0; hits != NULL && i < hits->len; i++)
    {
      GtkWidget *row = confab_person_row_new (g_ptr_array_index (hits, i),
                                              CONFAB_PERSON_ROW_WORK);

      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_list_box_append (self->results, row);
    }
  if (error != NULL)
    g_debug ("Searching the directory failed: %s", error->message);
  gtk_stack_set_visible_child_name (self->stack, hits != NULL && hits->len > 0 ? "results"
                                                                               : "none");
}

static void
on_search_changed (ConfabPersonPicker *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (
                                                  GTK_EDITABLE (self->search_entry))));

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  if (text[0] == '\0')
    {
      clear_results (self);
      gtk_stack_set_visible_child_name (self->stack, "start");
      return;
    }
  self->search_cancellable = g_cancellable_new ();
  confab_directory_search_async (confab_directory_from_session (self->session), text, NULL, NULL,
                                 NULL, PICKER_LIMIT, 0, self->search_cancellable, search_cb,
                                 self);
}

static void
choose (ConfabPersonPicker *self,
        GtkListBoxRow      *row)
{
  const char *username = g_object_get_data (G_OBJECT (row), "username");

  if (username == NULL)
    return;
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_CHOSEN], 0, username);
  gtk_window_close (GTK_WINDOW (self));
  g_object_unref (self);
}

static void
on_row_activated (ConfabPersonPicker *self,
                  GtkListBoxRow      *row)
{
  choose (self, row);
}

/* Enter picks the first hit. */
static void
on_search_activate (ConfabPersonPicker *self)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->results, 0);

  if (row != NULL && g_str_equal (gtk_stack_get_visible_child_name (self->stack), "results"))
    choose (self, row);
}

static void
confab_person_picker_dispose (GObject *object)
{
  ConfabPersonPicker *self = CONFAB_PERSON_PICKER (object);

  g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_PERSON_PICKER);

  G_OBJECT_CLASS (confab_person_picker_parent_class)->dispose (object);
}

static void
confab_person_picker_class_init (ConfabPersonPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_person_picker_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-person-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPersonPicker, window_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabPersonPicker, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabPersonPicker, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPersonPicker, results);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  signals[SIGNAL_CHOSEN] =
    g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
confab_person_picker_init (ConfabPersonPicker *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

ConfabPersonPicker *
confab_person_picker_new (GtkWindow     *parent,
                          ConfabSession *session,
                          const char    *title)
{
  ConfabPersonPicker *self;

  g_return_val_if_fail (CONFAB_IS_SESSION (session), NULL);

  self = g_object_new (CONFAB_TYPE_PERSON_PICKER, "transient-for", parent, "title", title, NULL);
  self->session = g_object_ref (session);
  adw_window_title_set_title (self->window_title, title);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  return self;
}

GtkListBox *
confab_person_picker_get_results (ConfabPersonPicker *self)
{
  g_return_val_if_fail (CONFAB_IS_PERSON_PICKER (self), NULL);
  return self->results;
}

GtkEditable *
confab_person_picker_get_entry (ConfabPersonPicker *self)
{
  g_return_val_if_fail (CONFAB_IS_PERSON_PICKER (self), NULL);
  return GTK_EDITABLE (self->search_entry);
}
