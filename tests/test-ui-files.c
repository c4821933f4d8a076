/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Files in the window, under Xvfb against a real confabd: ann sends a picture and a PDF to bob,
 * who gets both byte for byte; bob's file shows in ann's conversation as a row and comes down
 * the same; a picture shows its thumbnail with its aspect ratio and opens in the viewer; an
 * upload shows its row and survives a restart of the server. The cases on real input drive
 * the X server's mouse and keyboard with xdotool under the fixture's window manager: a file
 * dragged from another window and dropped (XDND), Open and Save As… on a file's row, the
 * viewer's keys. */
#include "config.h"

#include "confab-attachments-box.h"
#include "confab-avatar-group.h"
#include "confab-contact.h"
#include "confab-conversation-row.h"
#include "confab-preferences-window.h"
#include "confab-profiles.h"
#include "confab-conversation-view-private.h"
#include "confab-conversation-view.h"
#include "confab-files-test-util.h"
#include "confab-files.h"
#include "confab-frame.h"
#include "confab-image-viewer.h"
#include "confab-message-list.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-session.h"
#include "confab-ui-test-util.h"
#include "confab-upload-list.h"
#include "confab-upload.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gdk/x11/gdkx.h>
#include <glib/gstdio.h>
#include <string.h>

#define DM "dm:ann:bob"

typedef ConfabUiFixture Fixture;

static ConfabSession *
session_of (Fixture *f)
{
  return confab_window_get_session (f->window);
}

static ConfabConversationView *
view_of (Fixture *f)
{
  return confab_window_get_conversation_view (f->window);
}

static void
open_dm (Fixture *f)
{
  confab_ui_fixture_sign_in (f);
  confab_ui_fixture_bob_says (f, "Send me the minutes, please");
  confab_ui_fixture_open (f, DM);
}

/* A PNG of @width × @height in the test's temp dir. */
static GFile *
make_picture (const char *name,
              int         width,
              int         height,
              char      **sha256)
{
  g_autofree char *dir = confab_test_make_dir ("pictures");
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  gdk_pixbuf_fill (pixbuf, 0x2a7fffff);
  g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", &error, NULL));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  *sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
  return g_file_new_for_path (path);
}

/* A file of @size bytes that starts as a PDF does. */
static GFile *
make_document (const char *name,
               gsize       size,
               char      **sha256)
{
  g_autofree char *dir = confab_test_make_dir ("documents");
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GBytes) noise = confab_files_random_bytes (size, 7);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (noise, NULL), size);

  memcpy (data, "%PDF-1.4\n", 9);
  g_assert_true (g_file_set_contents (path, (const char *) data, size, NULL));
  *sha256 = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  return g_file_new_for_path (path);
}

/* What bob downloads of @file_id, hashed. */
static char *
bob_downloads (Fixture    *f,
               const char *file_id)
{
  g_autofree char *path = g_strconcat ("/v1/files/", file_id, NULL);
  g_autoptr(ConfabFilesReply) reply = confab_files_request (f->server, "GET", path,
                                                            f->bob->token, NULL, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
  return confab_files_sha256 (reply->body);
}

/* The first widget under @root (depth first) that is visible and has @css_class. */
static GtkWidget *
find_with_class (GtkWidget  *root,
                 const char *css_class)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (!gtk_widget_get_visible (child))
        continue;
      if (gtk_widget_has_css_class (child, css_class))
        return child;
      found = find_with_class (child, css_class);
      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  Fixture    *f;
  const char *css_class;
} ClassWait;

static gboolean
shown_with_class (gpointer user_data)
{
  ClassWait *wait = user_data;

  return find_with_class (GTK_WIDGET (view_of (wait->f)), wait->css_class) != NULL;
}

static gboolean
thumbnail_drawn (gpointer user_data)
{
  Fixture *f = user_data;
  GtkWidget *picture = find_with_class (GTK_WIDGET (view_of (f)), "attachment-picture");

  return picture != NULL && gtk_picture_get_paintable (GTK_PICTURE (picture)) != NULL;
}

static ConfabMessage *
last_message (Fixture *f)
{
  g_autoptr(ConfabMessageList) list =
    confab_messaging_get_messages (confab_messaging_from_session (session_of (f)), DM);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

  return n > 0 ? g_list_model_get_item (G_LIST_MODEL (list), n - 1) : NULL;
}

static gboolean
last_sent_with_files (gpointer user_data)
{
  g_autoptr(ConfabMessage) msg = last_message (user_data);

  return msg != NULL && confab_message_get_state (msg) == CONFAB_MESSAGE_STATE_SENT
         && confab_message_get_attachments (msg) != NULL
         && json_object_get_member (json_array_get_object_element (
                                      confab_message_get_attachments (msg), 0), "sha256") != NULL;
}

static JsonObject *
bob_gets_message_with_files (Fixture *f)
{
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (f->bob_ws, "message", 60000);
      JsonObject *msg;

      g_assert_nonnull (event);
      msg = json_object_get_object_member (json_object_get_object_member (event, "data"), "msg");
      if (json_object_has_member (msg, "attachments"))
        return json_object_ref (msg);
    }
}

/* Ann sends a picture and a PDF with a caption as one message: bob gets both byte for byte;
 * ann's conversation shows the thumbnail (its aspect kept) and the file row; the viewer opens
 * on the picture. Bob's PDF shows as a row in ann's window and downloads the same. */
static void
store_result (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

static void
test_send_receive (Fixture *f)
{
  g_autofree char *picture_sha = NULL;
  g_autofree char *document_sha = NULL;
  g_autoptr(GFile) picture = make_picture ("whiteboard.png", 1200, 800, &picture_sha);
  g_autoptr(GFile) document = make_document ("minutes.pdf", 300 * 1024, &document_sha);
  GFile *files[2] = { picture, document };
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(GBytes) bob_pdf = confab_files_random_bytes (200 * 1024, 11);
  g_autofree char *bob_pdf_sha = confab_files_sha256 (bob_pdf);
  g_autofree char *bob_file_id = NULL;
  g_autofree char *got = NULL;
  GtkTextView *composer;
  g_autofree char *got_pdf = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GFile) downloaded = NULL;
  g_autoptr(GError) error = NULL;
  ClassWait file_row = { f, "attachment-file" };
  GtkWidget *thumbnail;
  ConfabImageViewer *viewer;
  JsonArray *attachments;
  JsonObject *shown_picture;
  JsonObject *shown_document;
  int width, height;

  open_dm (f);
  confab_conversation_view_set_draft (view_of (f), "Whiteboard and minutes");
  confab_conversation_view_send_files (view_of (f), files, 2);

  msg = bob_gets_message_with_files (f);
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "Whiteboard and minutes");
  attachments = json_object_get_array_member (msg, "attachments");
  g_assert_cmpuint (json_array_get_length (attachments), ==, 2);
  shown_picture = json_array_get_object_element (attachments, 0);
  shown_document = json_array_get_object_element (attachments, 1);
  g_assert_cmpstr (confab_json_get_string (shown_picture, "name"), ==, "whiteboard.png");
  g_assert_cmpint (confab_json_get_int_or (shown_picture, "width", 0), ==, 1200);
  g_assert_cmpint (confab_json_get_int_or (shown_picture, "height", 0), ==, 800);
  g_assert_nonnull (confab_json_get_string (shown_picture, "thumbnail_file_id"));
  g_assert_cmpstr (confab_json_get_string (shown_document, "name"), ==, "minutes.pdf");
  g_assert_cmpstr (confab_json_get_string (shown_document, "mime"), ==, "application/pdf");
  got = bob_downloads (f, confab_json_get_string (shown_picture, "file_id"));
  g_assert_cmpstr (got, ==, picture_sha);
  g_free (got);
  got = bob_downloads (f, confab_json_get_string (shown_document, "file_id"));
  g_assert_cmpstr (got, ==, document_sha);
  composer = GTK_TEXT_VIEW (confab_ui_find_widget (GTK_WIDGET (view_of (f)), GTK_TYPE_TEXT_VIEW));
  g_assert_cmpint (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (composer)), ==, 0);

  /* Ann's own message: the thumbnail with the picture's aspect ratio, and the file's row. */
  g_assert_true (confab_test_wait_until (last_sent_with_files, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (thumbnail_drawn, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (shown_with_class, &file_row, CONFAB_TEST_TIMEOUT_MS));
  thumbnail = find_with_class (GTK_WIDGET (view_of (f)), "attachment-picture");
  gtk_widget_get_size_request (thumbnail, &width, &height);
  g_assert_cmpint (width, ==, 320);
  g_assert_cmpint (height, ==, 213);

  /* The viewer opens on it. */
  {
    g_autoptr(GPtrArray) pictures = g_ptr_array_new_with_free_func (
      (GDestroyNotify) json_object_unref);

    g_ptr_array_add (pictures, json_object_ref (shown_picture));
    viewer = confab_image_viewer_new (GTK_WINDOW (f->window), session_of (f), pictures, 0);
    gtk_window_present (GTK_WINDOW (viewer));
    g_assert_cmpstr (confab_json_get_string (confab_image_viewer_get_attachment (viewer),
                                             "file_id"), ==,
                     confab_json_get_string (shown_picture, "file_id"));
    gtk_window_destroy (GTK_WINDOW (viewer));
  }

  /* Bob sends a PDF: ann sees its row and her download matches. */
  bob_file_id = confab_files_upload (f->server, f->bob->token, bob_pdf, "agenda.pdf",
                                     "application/pdf", 64 * 1024);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "send",
                                                 "{\"conv\":\"" DM "\",\"client_msg_id\":"
                                                 "\"bob-file-1\",\"body\":\"Agenda\","
                                                 "\"attachments\":[{\"file_id\":\"%s\"}]}",
                                                 bob_file_id));
  {
    g_autoptr(ConfabMessage) last = NULL;
    JsonObject *attachment;

    for (guint i = 0; i < 200; i++)
      {
        g_clear_object (&last);
        last = last_message (f);
        if (last != NULL && g_strcmp0 (confab_message_get_body (last), "Agenda") == 0)
          break;
        confab_test_drain (50);
      }
    g_assert_cmpstr (confab_message_get_body (last), ==, "Agenda");
    attachment = json_array_get_object_element (confab_message_get_attachments (last), 0);
    g_assert_cmpstr (confab_json_get_string (attachment, "name"), ==, "agenda.pdf");
    confab_files_download_async (confab_files_from_session (session_of (f)), attachment, NULL,
                                 NULL, NULL, store_result, &result);
    g_assert_true (confab_test_wait_until (has_result, &result, 30000));
    downloaded = confab_files_download_finish (confab_files_from_session (session_of (f)),
                                               result, &error);
    g_assert_no_error (error);
    {
      g_autofree char *contents = NULL;
      gsize length;

      g_assert_true (g_file_load_contents (downloaded, NULL, &contents, &length, NULL, NULL));
      got_pdf = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents,
                                             length);
    }
    g_assert_cmpstr (got_pdf, ==, bob_pdf_sha);
  }
}

static gboolean
upload_row_shown (gpointer user_data)
{
  Fixture *f = user_data;
  GtkWidget *list = confab_ui_find_widget (GTK_WIDGET (view_of (f)), CONFAB_TYPE_UPLOAD_LIST);

  return list != NULL && gtk_widget_get_visible (list)
         && find_with_class (list, "upload-row") != NULL;
}

static gboolean
upload_list_hidden (gpointer user_data)
{
  Fixture *f = user_data;
  GtkWidget *list = confab_ui_find_widget (GTK_WIDGET (view_of (f)), CONFAB_TYPE_UPLOAD_LIST);

  return list != NULL && !gtk_widget_get_visible (list);
}

static gboolean
upload_past (gpointer user_data)
{
  ConfabUpload *upload = user_data;

  return confab_upload_get_offset (upload) >= 256 * 1024;
}

static gboolean
upload_waiting (gpointer user_data)
{
  return confab_upload_get_state (user_data) == CONFAB_UPLOAD_WAITING;
}

/* An upload shows its row with progress; the server stops in the middle and starts again:
 * the upload waits, goes on, and bob gets the whole file. */
static void
test_upload_survives_restart (Fixture *f)
{
  g_autofree char *sha = NULL;
  g_autoptr(GFile) document = make_document ("budget.pdf", 24 * 1024 * 1024, &sha);
  ConfabFiles *files;
  g_autoptr(ConfabUpload) upload = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autofree char *got = NULL;
  JsonObject *attachment;

  open_dm (f);
  files = confab_files_from_session (session_of (f));
  confab_files_set_chunk_size (files, 32 * 1024);
  confab_conversation_view_send_files (view_of (f), &document, 1);
  g_assert_true (confab_test_wait_until (upload_row_shown, f, CONFAB_TEST_TIMEOUT_MS));
  upload = g_list_model_get_item (confab_files_get_uploads (files), 0);
  g_assert_nonnull (upload);
  g_assert_cmpstr (confab_upload_get_name (upload), ==, "budget.pdf");
  g_assert_true (confab_test_wait_until (upload_past, upload, CONFAB_TEST_TIMEOUT_MS));

  confab_test_server_stop (f->server);
  /* Large enough that the server went away in the middle of it, not after. */
  g_assert_cmpuint (confab_upload_get_offset (upload), <, confab_upload_get_size (upload));
  g_assert_true (confab_test_wait_until (upload_waiting, upload, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (upload_row_shown (f));
  confab_test_server_start (f->server);
  confab_test_client_free (f->bob_ws);
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);

  msg = bob_gets_message_with_files (f);
  attachment = json_array_get_object_element (json_object_get_array_member (msg, "attachments"),
                                              0);
  g_assert_cmpstr (confab_json_get_string (attachment, "sha256"), ==, sha);
  got = bob_downloads (f, confab_json_get_string (attachment, "file_id"));
  g_assert_cmpstr (got, ==, sha);
  g_assert_true (confab_test_wait_until (upload_list_hidden, f, CONFAB_TEST_TIMEOUT_MS));
}

static gboolean
has_custom_image (gpointer user_data)
{
  return adw_avatar_get_custom_image (user_data) != NULL;
}

static gboolean
no_custom_image (gpointer user_data)
{
  return adw_avatar_get_custom_image (user_data) == NULL;
}

static gboolean
own_avatar_set (gpointer user_data)
{
  Fixture *f = user_data;
  ConfabContact *self_contact = confab_profiles_get_self_contact (
    confab_profiles_from_session (session_of (f)));
  const char *file_id = confab_contact_get_avatar_file_id (self_contact);

  return file_id != NULL && file_id[0] != '\0';
}

/* The profile picture: chosen in Preferences, cropped to its centred square, shown in the
 * header, readable by bob; bob's own picture shows in ann's sidebar; removed again, the
 * initials come back. */
static void
test_avatar (Fixture *f)
{
  g_autofree char *sha = NULL;
  g_autoptr(GFile) picture = make_picture ("portrait.png", 800, 600, &sha);
  ConfabPreferencesWindow *prefs;
  ConfabAvatarGroup *group;
  ConfabContact *self_contact;
  GtkWidget *header_avatar;
  GtkWidget *row;
  GtkWidget *row_avatar;
  g_autoptr(GBytes) bob_png = NULL;
  g_autofree char *bob_file_id = NULL;
  g_autoptr(GdkPixbuf) bob_pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 300, 300);
  char *bob_data = NULL;
  gsize bob_size = 0;

  open_dm (f);
  prefs = confab_preferences_window_new (GTK_WINDOW (f->window), session_of (f), NULL);
  gtk_window_present (GTK_WINDOW (prefs));
  group = CONFAB_AVATAR_GROUP (confab_ui_find_widget (GTK_WIDGET (prefs),
                                                      CONFAB_TYPE_AVATAR_GROUP));
  g_assert_nonnull (group);
  confab_avatar_group_set_picture (group, picture);
  g_assert_true (confab_test_wait_until (own_avatar_set, f, CONFAB_TEST_TIMEOUT_MS));

  /* Everyone signed in may read it: a square of the picture's short side. */
  self_contact = confab_profiles_get_self_contact (confab_profiles_from_session (session_of (f)));
  {
    g_autofree char *path = g_strconcat ("/v1/files/",
                                         confab_contact_get_avatar_file_id (self_contact), NULL);
    g_autoptr(ConfabFilesReply) reply = confab_files_request (f->server, "GET", path,
                                                              f->bob->token, NULL, NULL);
    g_autoptr(GInputStream) stream = NULL;
    g_autoptr(GdkPixbuf) square = NULL;

    g_assert_cmpuint (reply->status, ==, 200);
    stream = g_memory_input_stream_new_from_bytes (reply->body);
    square = gdk_pixbuf_new_from_stream (stream, NULL, NULL);
    g_assert_nonnull (square);
    g_assert_cmpint (gdk_pixbuf_get_width (square), ==, 512);
    g_assert_cmpint (gdk_pixbuf_get_height (square), ==, 512);
  }
  header_avatar = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window),
                                                             CONFAB_TYPE_WINDOW,
                                                             "self_avatar"));
  g_assert_nonnull (header_avatar);
  g_assert_true (confab_test_wait_until (has_custom_image, header_avatar,
                                         CONFAB_TEST_TIMEOUT_MS));

  /* Bob's picture reaches ann's sidebar. */
  gdk_pixbuf_fill (bob_pixbuf, 0xcc3366ff);
  g_assert_true (gdk_pixbuf_save_to_buffer (bob_pixbuf, &bob_data, &bob_size, "png", NULL,
                                            NULL));
  bob_png = g_bytes_new_take (bob_data, bob_size);
  bob_file_id = confab_files_upload (f->server, f->bob->token, bob_png, "bob.png", "image/png",
                                     64 * 1024);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"avatar_file_id\":\"%s\"}", bob_file_id));
  row = confab_ui_find_widget (GTK_WIDGET (f->window), CONFAB_TYPE_CONVERSATION_ROW);
  g_assert_nonnull (row);
  row_avatar = confab_ui_find_widget (row, ADW_TYPE_AVATAR);
  g_assert_true (confab_test_wait_until (has_custom_image, row_avatar, CONFAB_TEST_TIMEOUT_MS));

  /* Removed: the initials again. */
  confab_avatar_group_remove (group);
  g_assert_true (confab_test_wait_until (no_custom_image, header_avatar,
                                         CONFAB_TEST_TIMEOUT_MS));
  g_assert_false (own_avatar_set (f));
  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* A picture on the clipboard, pasted with Ctrl+V into the composer, goes out as a file with the
 * composer's text as caption; text on the clipboard is pasted as text, not sent. */
static void
test_paste_picture (Fixture *f)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, TRUE, 8, 900, 300);
  g_autoptr(GdkTexture) texture = NULL;
  GdkClipboard *clipboard;
  g_autoptr(JsonObject) msg = NULL;
  JsonObject *attachment;

  open_dm (f);
  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (view_of (f)));
  gdk_clipboard_set_text (clipboard, "just text");
  g_assert_false (confab_conversation_view_paste_picture (view_of (f)));

  gdk_pixbuf_fill (pixbuf, 0x55aa33ff);
  texture = gdk_texture_new_for_pixbuf (pixbuf);
  gdk_clipboard_set_texture (clipboard, texture);
  confab_conversation_view_set_draft (view_of (f), "Screenshot of the bug");
  g_assert_true (confab_conversation_view_paste_picture (view_of (f)));

  msg = bob_gets_message_with_files (f);
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "Screenshot of the bug");
  attachment = json_array_get_object_element (json_object_get_array_member (msg, "attachments"),
                                              0);
  g_assert_cmpstr (confab_json_get_string (attachment, "mime"), ==, "image/png");
  g_assert_true (g_str_has_suffix (confab_json_get_string (attachment, "name"), ".png"));
  g_assert_cmpint (confab_json_get_int_or (attachment, "width", 0), ==, 900);
  g_assert_cmpint (confab_json_get_int_or (attachment, "height", 0), ==, 300);
  g_assert_nonnull (confab_json_get_string (attachment, "thumbnail_file_id"));
}

/* --- Real input ------------------------------------------------------------------------------ */

static void
subprocess_done_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_subprocess_wait_check_finish (G_SUBPROCESS (object), result, &error))
    g_error ("xdotool: %s", error->message);
  *(gboolean *) user_data = TRUE;
}

/* Runs xdotool with @args (mouse and keys) while the main loop goes on: during a drag the
 * application answers the X server while the pointer moves. */
static void
xdotool (const char *args)
{
  g_autofree char *program = g_find_program_in_path ("xdotool");
  g_autofree char *command = NULL;
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  gboolean done = FALSE;

  if (program == NULL)
    g_error ("no xdotool to drive the mouse: install it (.ci/install-deps)");
  command = g_strdup_printf ("'%s' %s", program, args);
  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  process = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (process, NULL, subprocess_done_cb, &done);
  g_assert_true (confab_test_wait_flag (&done, CONFAB_TEST_TIMEOUT_MS));
}

/* xdotool's "--window ID X Y" for the point (@x, @y) of @widget. */
static char *
window_point (GtkWidget *widget,
              double     x,
              double     y)
{
  GtkNative *native = gtk_widget_get_native (widget);
  graphene_point_t point = GRAPHENE_POINT_INIT (x, y);
  graphene_point_t in_native;
  double surface_x, surface_y;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &point, &in_native));
  gtk_native_get_surface_transform (native, &surface_x, &surface_y);
  return g_strdup_printf ("--window %lu %d %d",
                          (gulong) gdk_x11_surface_get_xid (gtk_native_get_surface (native)),
                          (int) (in_native.x + surface_x), (int) (in_native.y + surface_y));
}

static gboolean
widget_mapped (gpointer user_data)
{
  return gtk_widget_get_mapped (user_data) && gtk_widget_get_width (user_data) > 0;
}

typedef struct
{
  GtkWidget       *widget;
  graphene_point_t last;
  guint            still_frames;
} SettleWait;

/* Counts the frames over which @widget has not moved in its window. */
static gboolean
settle_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  SettleWait *wait = user_data;
  graphene_point_t origin = GRAPHENE_POINT_INIT (0, 0);
  graphene_point_t now;

  if (!gtk_widget_compute_point (widget, GTK_WIDGET (gtk_widget_get_native (widget)), &origin,
                                 &now))
    wait->still_frames = 0;
  else if (graphene_point_equal (&now, &wait->last))
    wait->still_frames++;
  else
    {
      wait->last = now;
      wait->still_frames = 0;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
settled (gpointer user_data)
{
  SettleWait *wait = user_data;

  return wait->still_frames >= 10;
}

/* Clicks the middle of @widget with the X server's mouse, once it is laid out and has stopped
 * moving: the conversation keeps scrolling to its end for a few frames while rows are measured,
 * and a click computed before that lands on whatever has moved under the point. */
static void
click (GtkWidget *widget)
{
  g_autofree char *at = NULL;
  g_autofree char *args = NULL;
  SettleWait settle = { widget, GRAPHENE_POINT_INIT (-1, -1), 0 };
  guint tick;

  g_assert_true (confab_test_wait_until (widget_mapped, widget, CONFAB_TEST_TIMEOUT_MS));
  tick = gtk_widget_add_tick_callback (widget, settle_tick_cb, &settle, NULL);
  g_assert_true (confab_test_wait_until (settled, &settle, CONFAB_TEST_TIMEOUT_MS));
  gtk_widget_remove_tick_callback (widget, tick);
  at = window_point (widget, gtk_widget_get_width (widget) / 2.0,
                     gtk_widget_get_height (widget) / 2.0);
  args = g_strdup_printf ("mousemove %s click 1", at);

  xdotool (args);
}

static gboolean
window_is_active (gpointer user_data)
{
  return gtk_window_is_active (user_data);
}

/* --- Drag and drop --------------------------------------------------------------------------- */

static void
on_drag_begin (GtkDragSource *source,
               GdkDrag       *drag,
               gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
}

static GtkDropTarget *
drop_target_of (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }
  return NULL;
}

static gboolean
drop_over_target (gpointer user_data)
{
  return gtk_drop_target_get_current_drop (user_data) != NULL;
}

/* A real drag and drop through the X server (XDND), driven by xdotool: a file dragged from a
 * small window of the test's onto the conversation goes out with the composer's text as
 * caption, and bob gets it byte for byte. */
static void
test_drop (Fixture *f)
{
  g_autofree char *sha = NULL;
  g_autoptr(GFile) document = make_document ("report.pdf", 100 * 1024, &sha);
  GSList *list = g_slist_prepend (NULL, document);
  g_autoptr(GdkContentProvider) content = NULL;
  GtkDragSource *source = gtk_drag_source_new ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *label = gtk_label_new ("report.pdf");
  GtkWidget *view;
  GtkDropTarget *target;
  gboolean began = FALSE;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *args = NULL;
  g_autoptr(JsonObject) msg = NULL;
  JsonObject *attachment;
  g_autofree char *got = NULL;

  open_dm (f);
  view = GTK_WIDGET (view_of (f));
  target = drop_target_of (view);
  g_assert_nonnull (target);
  confab_conversation_view_set_draft (view_of (f), "The report, dropped");

  content = gdk_content_provider_new_typed (GDK_TYPE_FILE_LIST, list);
  g_slist_free (list);
  gtk_drag_source_set_content (source, content);
  gtk_drag_source_set_actions (source, GDK_ACTION_COPY);
  g_signal_connect (source, "drag-begin", G_CALLBACK (on_drag_begin), &began);
  gtk_widget_add_controller (label, GTK_EVENT_CONTROLLER (source));
  gtk_widget_set_size_request (label, 160, 80);
  gtk_window_set_title (GTK_WINDOW (window), "Files");
  gtk_window_set_child (GTK_WINDOW (window), label);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (confab_test_wait_until (window_is_active, window, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (widget_mapped, label, CONFAB_TEST_TIMEOUT_MS));
  /* Into the screen's bottom right corner, away from where it is dropped. */
  g_free (args);
  args = g_strdup_printf ("windowmove --sync %lu 1090 690",
                          (gulong) gdk_x11_surface_get_xid (gtk_native_get_surface (
                                                              GTK_NATIVE (window))));
  xdotool (args);

  /* Press on the label and move past the drag threshold: the drag begins. */
  from = window_point (label, 80, 40);
  g_free (args);
  args = g_strdup_printf ("mousemove %s mousedown 1 mousemove_relative 12 0 "
                          "mousemove_relative 12 0 mousemove_relative 12 0", from);
  xdotool (args);
  g_assert_true (confab_test_wait_flag (&began, CONFAB_TEST_TIMEOUT_MS));

  /* Over the conversation (the part of it below the header, left of the middle, where the
   * small window is not): the drop target takes it. */
  to = window_point (view, gtk_widget_get_width (view) / 3.0, gtk_widget_get_height (view) / 2.0);
  g_free (args);
  args = g_strdup_printf ("mousemove %s mousemove_relative 4 4", to);
  xdotool (args);
  g_assert_true (confab_test_wait_until (drop_over_target, target, CONFAB_TEST_TIMEOUT_MS));
  xdotool ("mousemove_relative 2 2 mouseup 1");

  msg = bob_gets_message_with_files (f);
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "The report, dropped");
  attachment = json_array_get_object_element (json_object_get_array_member (msg, "attachments"),
                                              0);
  g_assert_cmpstr (confab_json_get_string (attachment, "name"), ==, "report.pdf");
  g_assert_cmpstr (confab_json_get_string (attachment, "sha256"), ==, sha);
  got = bob_downloads (f, confab_json_get_string (attachment, "file_id"));
  g_assert_cmpstr (got, ==, sha);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* --- Open and Save As… ----------------------------------------------------------------------- */

/* Bob sends @name (@size bytes of a PDF) to ann; returns its SHA-256 once ann's conversation
 * shows its row. */
static char *
bob_sends_document (Fixture    *f,
                    const char *name,
                    gsize       size)
{
  g_autoptr(GBytes) noise = confab_files_random_bytes (size, 13);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (noise, NULL), size);
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *file_id = NULL;
  ClassWait file_row = { f, "attachment-file" };

  memcpy (data, "%PDF-1.4\n", 9);
  bytes = g_bytes_new (data, size);
  file_id = confab_files_upload (f->server, f->bob->token, bytes, name, "application/pdf",
                                 64 * 1024);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "send",
                                                 "{\"conv\":\"" DM "\",\"client_msg_id\":"
                                                 "\"bob-doc-1\",\"body\":\"Read this\","
                                                 "\"attachments\":[{\"file_id\":\"%s\"}]}",
                                                 file_id));
  g_assert_true (confab_test_wait_until (shown_with_class, &file_row, CONFAB_TEST_TIMEOUT_MS));
  return confab_files_sha256 (bytes);
}

/* The button of the file row whose accessible label is its tooltip, @tooltip. */
static GtkWidget *
file_row_button (Fixture    *f,
                 const char *tooltip)
{
  GtkWidget *row = find_with_class (GTK_WIDGET (view_of (f)), "attachment-file");
  GtkWidget *found = NULL;

  g_assert_nonnull (row);
  for (GtkWidget *widget = row; widget != NULL && found == NULL;)
    {
      if (GTK_IS_BUTTON (widget)
          && g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0)
        found = widget;
      else if (gtk_widget_get_first_child (widget) != NULL)
        widget = gtk_widget_get_first_child (widget);
      else
        {
          while (widget != row && gtk_widget_get_next_sibling (widget) == NULL)
            widget = gtk_widget_get_parent (widget);
          widget = widget == row ? NULL : gtk_widget_get_next_sibling (widget);
        }
    }
  g_assert_nonnull (found);
  return found;
}

static gboolean
file_exists (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

static char *
sha256_of_path (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

typedef struct
{
  const char *path;
  const char *sha256;
} SavedWait;

static gboolean
saved_whole (gpointer user_data)
{
  SavedWait *wait = user_data;
  g_autofree char *sha = sha256_of_path (wait->path);

  return g_strcmp0 (sha, wait->sha256) == 0;
}

/* Open hands the downloaded file, under its own name, to the default application for its type
 * (here a script that records its argument, made the default for PDFs in the test's
 * mimeapps.list). */
static void
test_open (Fixture *f)
{
  g_autofree char *records = confab_test_make_dir ("opened");
  g_autofree char *record = g_build_filename (records, "opened.txt", NULL);
  g_autofree char *script = g_build_filename (g_get_user_data_dir (), "record-open.sh", NULL);
  g_autofree char *apps = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *desktop = g_build_filename (apps, "confab-test-open.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (g_get_user_config_dir (), "mimeapps.list", NULL);
  g_autofree char *script_text = NULL;
  g_autofree char *desktop_text = NULL;
  g_autofree char *sha = NULL;
  g_autofree char *opened = NULL;
  g_autofree char *basename = NULL;
  g_autofree char *got = NULL;

  /* Before anything asks GIO for applications: it reads these once. */
  g_assert_cmpint (g_mkdir_with_parents (apps, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (g_get_user_config_dir (), 0700), ==, 0);
  script_text = g_strdup_printf ("#!/bin/sh\nprintf '%%s\\n' \"$1\" > '%s.part'\n"
                                 "mv '%s.part' '%s'\n", record, record, record);
  g_assert_true (g_file_set_contents (script, script_text, -1, NULL));
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);
  desktop_text = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Record Open\n"
                                  "Exec='%s' %%f\nMimeType=application/pdf;\n"
                                  "NoDisplay=true\n", script);
  g_assert_true (g_file_set_contents (desktop, desktop_text, -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps, "[Default Applications]\n"
                                      "application/pdf=confab-test-open.desktop\n", -1, NULL));

  open_dm (f);
  sha = bob_sends_document (f, "plan.pdf", 150 * 1024);
  click (file_row_button (f, "Open"));
  g_assert_true (confab_test_wait_until (file_exists, record, 30000));
  g_assert_true (g_file_get_contents (record, &opened, NULL, NULL));
  g_strchomp (opened);
  basename = g_path_get_basename (opened);
  g_assert_cmpstr (basename, ==, "plan.pdf");
  got = sha256_of_path (opened);
  g_assert_cmpstr (got, ==, sha);
}

static gboolean
chooser_active (gpointer user_data)
{
  GtkWindow *dialog = confab_ui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);

  return dialog != NULL && gtk_window_is_active (dialog);
}

static gboolean
no_chooser (gpointer user_data)
{
  return confab_ui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) == NULL;
}

/* Save As… opens the file chooser (without a portal, GtkFileChooserNative shows a
 * GtkFileChooserDialog) with the file's name; a path typed into it gets the file, byte for
 * byte. */
static void
test_save_as (Fixture *f)
{
  g_autofree char *dir = confab_test_make_dir ("saved");
  g_autofree char *path = g_build_filename (dir, "kept-plan.pdf", NULL);
  g_autofree char *sha = NULL;
  g_autofree char *keys = NULL;
  GtkWindow *dialog;
  SavedWait wait;

  open_dm (f);
  sha = bob_sends_document (f, "plan.pdf", 150 * 1024);
  click (file_row_button (f, "Save As…"));
  g_assert_true (confab_test_wait_until (chooser_active, NULL, CONFAB_TEST_TIMEOUT_MS));
  dialog = confab_ui_find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_cmpstr (gtk_file_chooser_get_current_name (GTK_FILE_CHOOSER (dialog)), ==,
                   "plan.pdf");

  /* The name field has the keyboard: replace the name with a whole path. */
  keys = g_strdup_printf ("key ctrl+a BackSpace type --delay 10 '%s'", path);
  xdotool (keys);
  xdotool ("key Return");
  g_assert_true (confab_test_wait_until (no_chooser, NULL, CONFAB_TEST_TIMEOUT_MS));
  wait = (SavedWait) { path, sha };
  g_assert_true (confab_test_wait_until (saved_whole, &wait, 30000));
}

/* --- The viewer ------------------------------------------------------------------------------ */

static gboolean
viewer_shown (gpointer user_data)
{
  GtkWindow *viewer = confab_ui_find_toplevel (CONFAB_TYPE_IMAGE_VIEWER);

  return viewer != NULL && gtk_window_is_active (viewer)
         && confab_image_viewer_get_loaded (CONFAB_IMAGE_VIEWER (viewer));
}

typedef struct
{
  ConfabImageViewer *viewer;
  const char        *name;
  int                width;
  int                height;
} ShownWait;

/* The viewer shows the picture called @name, loaded, @width × @height. */
static gboolean
viewer_shows (gpointer user_data)
{
  ShownWait *wait = user_data;
  GtkPicture *picture = GTK_PICTURE (confab_ui_find_widget (GTK_WIDGET (wait->viewer),
                                                            GTK_TYPE_PICTURE));
  GdkPaintable *paintable = gtk_picture_get_paintable (picture);

  return confab_image_viewer_get_loaded (wait->viewer)
         && g_strcmp0 (confab_json_get_string (confab_image_viewer_get_attachment (wait->viewer),
                                               "name"), wait->name) == 0
         && paintable != NULL
         && gdk_paintable_get_intrinsic_width (paintable) == wait->width
         && gdk_paintable_get_intrinsic_height (paintable) == wait->height;
}

/* Waits for the viewer to show what @wait names; says what it shows instead if it does not. */
static void
assert_viewer_shows (ShownWait  *wait,
                     const char *after)
{
  GtkPicture *picture;
  GdkPaintable *paintable;

  if (confab_test_wait_until (viewer_shows, wait, CONFAB_TEST_TIMEOUT_MS))
    return;
  picture = GTK_PICTURE (confab_ui_find_widget (GTK_WIDGET (wait->viewer), GTK_TYPE_PICTURE));
  paintable = gtk_picture_get_paintable (picture);
  g_error ("%s: the viewer shows %s (%s, %d×%d), not %s %d×%d", after,
           confab_json_get_string (confab_image_viewer_get_attachment (wait->viewer), "name"),
           confab_image_viewer_get_loaded (wait->viewer) ? "loaded" : "not loaded",
           paintable != NULL ? gdk_paintable_get_intrinsic_width (paintable) : 0,
           paintable != NULL ? gdk_paintable_get_intrinsic_height (paintable) : 0,
           wait->name, wait->width, wait->height);
}

static void
keys_show (ConfabImageViewer *viewer,
           const char        *keys,
           const char        *name,
           int                width,
           int                height)
{
  ShownWait wait = { viewer, name, width, height };

  confab_ui_test_keys (keys);
  assert_viewer_shows (&wait, keys);
}

typedef struct
{
  GtkWidget *picture;
  int        width;
} ZoomWait;

/* The picture is drawn @width wide (-1: fitted to the window, no size of its own, and no wider
 * than the area it is shown in). */
static gboolean
zoomed_to (gpointer user_data)
{
  ZoomWait *wait = user_data;
  GtkWidget *area = gtk_widget_get_ancestor (wait->picture, GTK_TYPE_SCROLLED_WINDOW);
  int width, height;

  gtk_widget_get_size_request (wait->picture, &width, &height);
  if (width != wait->width)
    return FALSE;
  if (wait->width < 0)
    return gtk_widget_get_width (wait->picture) <= gtk_widget_get_width (area)
           && gtk_widget_get_height (wait->picture) <= gtk_widget_get_height (area);
  return gtk_widget_get_width (wait->picture) >= wait->width;
}

static void
keys_zoom (GtkWidget  *picture,
           const char *keys,
           int         width)
{
  ZoomWait wait = { picture, width };
  int got, height;

  confab_ui_test_keys (keys);
  if (!confab_test_wait_until (zoomed_to, &wait, CONFAB_TEST_TIMEOUT_MS))
    {
      gtk_widget_get_size_request (picture, &got, &height);
      g_error ("%s: the picture is %d px wide (drawn %d), not %d", keys, got,
               gtk_widget_get_width (picture), width);
    }
}

/* Three pictures in the conversation: a click on the first thumbnail opens the viewer on it;
 * Right and Left go through them in the conversation's order (and stop at the ends); + and -
 * zoom in steps of 1.25 from the fitted size, 0 fits the picture to the window again. */
static void
test_viewer_keys (Fixture *f)
{
  g_autofree char *sha1 = NULL;
  g_autofree char *sha2 = NULL;
  g_autofree char *sha3 = NULL;
  g_autoptr(GFile) first = make_picture ("one.png", 1600, 1200, &sha1);
  g_autoptr(GFile) second = make_picture ("two.png", 300, 500, &sha2);
  g_autoptr(GFile) third = make_picture ("three.png", 640, 200, &sha3);
  GFile *files[3] = { first, second, third };
  ClassWait thumbnail = { f, "attachment-picture" };
  ConfabImageViewer *viewer;
  GtkWidget *picture;
  GtkWidget *stack;
  double fit;
  int fitted;

  open_dm (f);
  confab_conversation_view_send_files (view_of (f), files, 3);
  json_object_unref (bob_gets_message_with_files (f));
  g_assert_true (confab_test_wait_until (last_sent_with_files, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (thumbnail_drawn, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (shown_with_class, &thumbnail, CONFAB_TEST_TIMEOUT_MS));

  click (find_with_class (GTK_WIDGET (view_of (f)), "attachment-picture"));
  g_assert_true (confab_test_wait_until (viewer_shown, NULL, 30000));
  viewer = CONFAB_IMAGE_VIEWER (confab_ui_find_toplevel (CONFAB_TYPE_IMAGE_VIEWER));
  {
    ShownWait wait = { viewer, "one.png", 1600, 1200 };

    assert_viewer_shows (&wait, "a click on the first thumbnail");
  }
  g_assert_cmpstr (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
                                                    confab_ui_find_widget (GTK_WIDGET (viewer), ADW_TYPE_WINDOW_TITLE))), ==,
                   "1 of 3");

  /* Zoom: the first picture is larger than the window, so it starts fitted into it. */
  picture = confab_ui_find_widget (GTK_WIDGET (viewer), GTK_TYPE_PICTURE);
  stack = confab_ui_find_widget (GTK_WIDGET (viewer), GTK_TYPE_STACK);
  g_assert_true (confab_test_wait_until (widget_mapped, picture, CONFAB_TEST_TIMEOUT_MS));
  {
    ZoomWait opened = { picture, -1 };

    g_assert_true (confab_test_wait_until (zoomed_to, &opened, CONFAB_TEST_TIMEOUT_MS));
  }
  fit = MIN (1.0, MIN (gtk_widget_get_width (stack) / 1600.0,
                       gtk_widget_get_height (stack) / 1200.0));
  fitted = (int) (1600 * fit * 1.25);
  keys_zoom (picture, "plus", fitted);
  keys_zoom (picture, "plus", (int) (1600 * fit * 1.25 * 1.25));
  keys_zoom (picture, "minus", fitted);
  keys_zoom (picture, "minus", -1);
  keys_zoom (picture, "plus plus plus", (int) (1600 * fit * 1.25 * 1.25 * 1.25));
  keys_zoom (picture, "0", -1);

  /* Next and previous, in the conversation's order. */
  keys_show (viewer, "Right", "two.png", 300, 500);
  keys_show (viewer, "Right", "three.png", 640, 200);
  keys_show (viewer, "Right", "three.png", 640, 200);
  g_assert_cmpstr (adw_window_title_get_subtitle (ADW_WINDOW_TITLE (
                                                    confab_ui_find_widget (GTK_WIDGET (viewer), ADW_TYPE_WINDOW_TITLE))), ==,
                   "3 of 3");
  keys_show (viewer, "Left", "two.png", 300, 500);
  keys_show (viewer, "Left Left", "one.png", 1600, 1200);
  gtk_window_destroy (GTK_WINDOW (viewer));
}


int
main (int    argc,
      char **argv)
{
  confab_ui_test_init (&argc, &argv);

  confab_ui_test_add ("/confab/ui/files/send-receive", test_send_receive);
  confab_ui_test_add ("/confab/ui/files/upload-survives-restart", test_upload_survives_restart);
  confab_ui_test_add ("/confab/ui/files/avatar", test_avatar);
  confab_ui_test_add ("/confab/ui/files/paste-picture", test_paste_picture);
  confab_ui_test_add ("/confab/ui/files/drop", test_drop);
  confab_ui_test_add ("/confab/ui/files/open", test_open);
  confab_ui_test_add ("/confab/ui/files/save-as", test_save_as);
  confab_ui_test_add ("/confab/ui/files/viewer-keys", test_viewer_keys);

  return confab_test_run ();
}
