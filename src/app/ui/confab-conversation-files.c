/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The conversation view's files: the attach button's file chooser, files dropped on the
 * conversation and a picture pasted into the composer go out as one message, with the
 * composer's text as their caption. */
#define G_LOG_DOMAIN "confab-conversation-files"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-conversation-view-private.h"
#include "confab-files.h"
#include "confab-session.h"
#include "confab-ui-util.h"

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ConfabConversationView) self = user_data;
  g_autoptr(GPtrArray) uploads = NULL;
  g_autoptr(GError) error = NULL;

  uploads = confab_files_send_finish (CONFAB_FILES (object), result, &error);
  if (uploads == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      confab_conversation_view_show_toast (self, text);
    }
}

void
confab_conversation_view_send_files (ConfabConversationView *self,
                                     GFile * const          *files,
                                     guint                   n_files)
{
  ConfabSession *session = confab_conversation_view_get_session (self);
  const char *conv = confab_conversation_view_get_conv (self);
  g_autofree char *caption = NULL;

  if (session == NULL || conv == NULL || n_files == 0)
    return;
  caption = confab_conversation_view_take_draft (self);
  confab_files_send_async (confab_files_from_session (session), conv, files, n_files,
                           g_strstrip (caption), NULL, sent_cb, g_object_ref (self));
}

/* The attach button. */

static void
on_chooser_response (GtkNativeDialog        *dialog,
                     int                     response,
                     ConfabConversationView *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        g_ptr_array_add (array, g_list_model_get_item (files, i));
      confab_conversation_view_send_files (self, (GFile * const *) array->pdata, array->len);
    }
  g_object_unref (dialog);
  g_object_unref (self);
}

void
confab_conversation_view_choose_files (ConfabConversationView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog;

  if (confab_conversation_view_get_conv (self) == NULL)
    return;
  /* GtkFileChooserNative goes through the file chooser portal inside Flatpak. */
  dialog = gtk_file_chooser_native_new (_("Send Files"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Send"), NULL);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* Drag and drop. */

static gboolean
on_drop (GtkDropTarget          *target,
         const GValue           *value,
         double                  x,
         double                  y,
         ConfabConversationView *self)
{
  GSList *list;
  g_autoptr(GPtrArray) files = g_ptr_array_new ();

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  list = g_value_get_boxed (value);
  for (GSList *l = list; l != NULL; l = l->next)
    g_ptr_array_add (files, l->data);
  if (files->len == 0 || confab_conversation_view_get_conv (self) == NULL)
    return FALSE;
  confab_conversation_view_send_files (self, (GFile * const *) files->pdata, files->len);
  return TRUE;
}

void
confab_conversation_view_setup_files (ConfabConversationView *self)
{
  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

/* A pasted picture: written as PNG to the cache, then sent as a file. */

static void
texture_read_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabConversationView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (object),
                                                                     result, &error);
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "confab", "pasted", NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H.%M.%S");
  /* Translators: the name of a picture pasted from the clipboard; %s is the date and time. */
  g_autofree char *name = g_strdup_printf (_("Pasted picture %s.png"), stamp);
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;

  if (texture == NULL)
    {
      confab_conversation_view_show_toast (self, error->message);
      return;
    }
  path = g_build_filename (dir, name, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0 || !gdk_texture_save_to_png (texture, path))
    {
      confab_conversation_view_show_toast (self, _("The pasted picture could not be saved."));
      return;
    }
  file = g_file_new_for_path (path);
  confab_conversation_view_send_files (self, &file, 1);
}

gboolean
confab_conversation_view_paste_picture (ConfabConversationView *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  /* Text wins: a picture is pasted as a file only when there is no text to paste. */
  if (confab_conversation_view_get_conv (self) == NULL
      || !gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE)
      || gdk_content_formats_contain_gtype (formats, G_TYPE_STRING))
    return FALSE;
  gdk_clipboard_read_texture_async (clipboard, NULL, texture_read_cb, g_object_ref (self));
  return TRUE;
}
