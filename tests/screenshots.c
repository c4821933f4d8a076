/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Not a test: takes the screenshots of docs/screenshots/ against a real, seeded confabd.
 * Run through tests/screenshots.sh, which provides Xvfb, the environment and the output dir. */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "confab-announcements.h"
#include "confab-application.h"
#include "confab-call-window-private.h"
#include "confab-call.h"
#include "confab-conversation-list.h"
#include "confab-contacts.h"
#include "confab-conversation-view-private.h"
#include "confab-conversation.h"
#include "confab-files-test-util.h"
#include "confab-files.h"
#include "confab-image-viewer.h"
#include "confab-upload.h"
#include "confab-messaging.h"
#include "confab-new-room-dialog.h"
#include "confab-person-picker.h"
#include "confab-profile-window.h"
#include "confab-quick-switcher.h"
#include "confab-room-details.h"
#include "confab-rooms.h"
#include "confab-search-window.h"
#include "confab-session.h"
#include "confab-signin-page.h"
#include "confab-test-util.h"
#include "confab-window.h"

static ConfabConversationList *
conversations_of (ConfabSession *session)
{
  return confab_messaging_get_conversations (confab_messaging_from_session (session));
}

static ConfabWindow *window;
static const char *out_dir;
static const char *suffix;

static gboolean
page_is (gpointer user_data)
{
  return g_strcmp0 (confab_window_get_page (window), user_data) == 0;
}

static gboolean
conv_loaded (gpointer user_data)
{
  ConfabSession *session = confab_window_get_session (window);

  return session != NULL
         && confab_conversation_list_lookup (conversations_of (session),
                                             user_data) != NULL;
}

static void
shoot_window (GtkWidget  *widget,
              const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s/%s%s.png", out_dir, name, suffix);
  g_autofree char *geometry = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  int width, height;
  const char *argv[] = { "import", "-window", "root", "-crop", NULL, file, NULL };

  /* Let layout, fades and the first frames of the new state finish. */
  confab_test_drain (1500);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);

  geometry = g_strdup_printf ("%dx%d+0+0", width, height);
  argv[4] = geometry;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, &error) || !g_spawn_check_wait_status (status, &error))
    g_error ("import failed: %s", error->message);
  g_print ("%s\n", file);
}

static void
shoot (const char *name)
{
  shoot_window (GTK_WIDGET (window), name);
}

/* The other person of a call: a headless client (tests/confab-call-client) that answers. */
static GSubprocess *
start_call_peer (ConfabTestServer *server,
                 ConfabTestUser   *user)
{
  const char *path = g_getenv ("CONFAB_CALL_CLIENT");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  GSubprocess *process;
  char *line;

  if (path == NULL)
    g_error ("CONFAB_CALL_CLIENT is not set");

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                              &error, path, "--server", confab_test_server_get_url (server),
                              "--username", user->username, "--password", user->password,
                              "--auto-answer", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  while ((line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error)) != NULL)
    {
      gboolean ready = g_str_has_prefix (line, "ready ");

      g_free (line);
      if (ready)
        return process;
    }
  g_error ("the call peer did not sign in: %s", error ? error->message : "it exited");
}

static gboolean
call_shows_video (gpointer user_data)
{
  ConfabCallWindow *call_window = confab_window_get_call_window (window);

  return call_window != NULL && confab_call_window_get_showing_video (call_window)
         && confab_call_get_state (confab_call_window_get_call (call_window))
         == CONFAB_CALL_STATE_CONNECTED
         && confab_call_get_duration (confab_call_window_get_call (call_window)) >= 2;
}

static gboolean
call_window_gone (gpointer user_data)
{
  return confab_window_get_call_window (window) == NULL;
}

/* Sends @bodies; returns the id of the last. */
static gint64
send_many (ConfabTestClient *ws,
           const char       *conv,
           const char       *prefix,
           const char * const *bodies)
{
  gint64 last = 0;

  for (guint i = 0; bodies[i] != NULL; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s-%u", prefix, i);
      g_autoptr(JsonObject) r = NULL;
      g_autoptr(JsonObject) params = json_object_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autofree char *text = NULL;

      json_object_set_string_member (params, "conv", conv);
      json_object_set_string_member (params, "client_msg_id", id);
      json_object_set_string_member (params, "body", bodies[i]);
      json_node_set_object (node, params);
      text = json_to_string (node, FALSE);
      /* The params are a JSON object literal without its braces' format specifiers. */
      r = confab_test_client_call_ok (ws, "send", "%s", text);
      last = json_object_get_int_member (json_object_get_object_member (r, "msg"), "id");
    }
  return last;
}

static void
react (ConfabTestClient *ws,
       gint64            msg_id,
       const char       *emoji)
{
  g_autoptr(JsonObject) r = confab_test_client_call_ok (ws, "react",
                                                        "{\"msg_id\":%" G_GINT64_FORMAT ","
                                                        "\"emoji\":\"%s\",\"on\":true}",
                                                        msg_id, emoji);
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type))
        return toplevel;
    }
  return NULL;
}

static gboolean
has_results (gpointer user_data)
{
  return g_list_model_get_n_items (confab_search_window_get_results (user_data)) > 0;
}

/* Shoots @dialog (a window over the main one), then closes it. */
static void
shoot_dialog (GtkWindow  *dialog,
              const char *name)
{
  gtk_window_present (dialog);
  shoot_window (GTK_WIDGET (dialog), name);
  gtk_window_destroy (dialog);
}

static ConfabTestClient *
user_with_name (ConfabTestServer *server,
                const char       *username,
                const char       *display_name,
                ConfabTestUser  **out_user)
{
  ConfabTestUser *user = confab_test_user_new (server, username);
  ConfabTestClient *ws = confab_test_client_new (server, user->token, 0);
  g_autoptr(JsonObject) params = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) r = NULL;

  json_object_set_string_member (params, "display_name", display_name);
  json_node_set_object (node, params);
  text = json_to_string (node, FALSE);
  r = confab_test_client_call_ok (ws, "profile_update", "%s", text);

  *out_user = user;
  return ws;
}

/* --- A busy room ----------------------------------------------------------------------------- */

static char *room_conv;

static gint64
room_say (ConfabTestClient *ws,
          const char       *body)
{
  static guint counter;
  g_autofree char *id = g_strdup_printf ("room-%u", counter++);
  g_autoptr(JsonObject) params = json_object_new ();
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) result = NULL;

  json_object_set_string_member (params, "conv", room_conv);
  json_object_set_string_member (params, "client_msg_id", id);
  json_object_set_string_member (params, "body", body);
  json_node_set_object (node, params);
  text = json_to_string (node, FALSE);
  result = confab_test_client_call_ok (ws, "send", "%s", text);
  return json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
}

static void
room_call (ConfabTestClient *ws,
           const char       *type,
           const char       *format,
           ...) G_GNUC_PRINTF (3, 4);

static void
room_call (ConfabTestClient *ws,
           const char       *type,
           const char       *format,
           ...)
{
  g_autofree char *params = NULL;
  va_list args;

  va_start (args, format);
  params = g_strdup_vprintf (format, args);
  va_end (args);
  json_object_unref (confab_test_client_call_ok (ws, type, "%s", params));
}

static gboolean
room_loaded (gpointer user_data)
{
  ConfabSession *session = confab_window_get_session (window);
  ConfabConversation *conv = session != NULL
    ? confab_conversation_list_lookup (conversations_of (session), room_conv) : NULL;

  return conv != NULL && confab_conversation_get_room (conv) != NULL
         && g_strcmp0 (confab_conversation_get_last_message_sender (conv), "dave") == 0;
}

static gboolean
invitation_arrived (gpointer user_data)
{
  return g_list_model_get_n_items (confab_rooms_get_invitations (
                                     confab_rooms_from_session (confab_window_get_session (
                                                                  window)))) > 0;
}

/* Bob's "Design Team" room with Alice, Carolina, Dmytro and Erin: system lines, names and
 * avatars, a mention of Alice, Alice's own line seen by two, and two people typing. */
static void
shoot_room (ConfabTestClient *alice_ws,
            ConfabTestClient *bob_ws,
            ConfabTestClient *carol_ws,
            ConfabTestClient *dave_ws,
            ConfabTestClient *erin_ws)
{
  g_autoptr(JsonObject) created = NULL;
  const char *id;
  gint64 own_id;

  created = confab_test_client_call_ok (bob_ws, "room_create",
                                        "{\"name\":\"Design Team\",\"topic\":\"Settings "
                                        "redesign\",\"visibility\":\"private\",\"members\":"
                                        "[\"alice\",\"carol\",\"dave\"]}");
  id = json_object_get_string_member (json_object_get_object_member (created, "room"), "id");
  room_conv = g_strdup_printf ("room:%s", id);

  room_say (bob_ws, "Welcome! This room is for the redesign of the settings screens.");
  room_say (carol_ws, "Great. I put the first mock-ups in the shared folder.");
  room_say (carol_ws, "The sidebar icons are still placeholders.");
  room_say (dave_ws, "I can draw the icons this week.");
  room_call (bob_ws, "room_invite", "{\"room\":\"%s\",\"user\":\"erin\"}", id);
  room_call (erin_ws, "room_join", "{\"room\":\"%s\"}", id);
  room_say (erin_ws, "Hi all, glad to help with the copy.");
  room_say (bob_ws, "@alice could you review the colour contrast before Friday?");
  own_id = room_say (alice_ws, "Sure, I will check it against the accessibility guide tomorrow.");
  room_call (bob_ws, "room_update", "{\"room\":\"%s\",\"topic\":\"Settings redesign: icons, "
             "screens and the style guide\"}", id);
  room_say (dave_ws, "First icon sketches are up, feedback welcome.");
  room_call (bob_ws, "read", "{\"conv\":\"%s\",\"msg_id\":%" G_GINT64_FORMAT "}", room_conv,
             own_id);
  room_call (carol_ws, "read", "{\"conv\":\"%s\",\"msg_id\":%" G_GINT64_FORMAT "}", room_conv,
             own_id);

  g_assert_true (confab_test_wait_until (room_loaded, NULL, CONFAB_TEST_TIMEOUT_MS));
  confab_window_open_conversation (window, room_conv);
  room_call (carol_ws, "typing", "{\"conv\":\"%s\",\"active\":true}", room_conv);
  room_call (dave_ws, "typing", "{\"conv\":\"%s\",\"active\":true}", room_conv);
  shoot ("room-light");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  room_call (carol_ws, "typing", "{\"conv\":\"%s\",\"active\":true}", room_conv);
  room_call (dave_ws, "typing", "{\"conv\":\"%s\",\"active\":true}", room_conv);
  shoot ("room-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);

  /* Its details, as Bob's guest sees them, and the invitation banner of another room. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.room-details", NULL);
  {
    GtkWidget *details = NULL;

    for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
      if (CONFAB_IS_ROOM_DETAILS (l->data))
        details = l->data;
    g_assert_nonnull (details);
    confab_test_drain (1000);
    shoot_window (details, "room-details");
    gtk_window_destroy (GTK_WINDOW (details));
  }
  {
    g_autoptr(JsonObject) other = confab_test_client_call_ok (carol_ws, "room_create",
                                                              "{\"name\":\"Quarterly report\","
                                                              "\"visibility\":\"private\"}");

    room_call (carol_ws, "room_invite", "{\"room\":\"%s\",\"user\":\"alice\"}",
               json_object_get_string_member (json_object_get_object_member (other, "room"),
                                              "id"));
  }
  g_assert_true (confab_test_wait_until (invitation_arrived, NULL, CONFAB_TEST_TIMEOUT_MS));
  shoot ("room-invitation");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-room", NULL);
  {
    GtkWidget *dialog = NULL;

    for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
      if (CONFAB_IS_NEW_ROOM_DIALOG (l->data))
        dialog = l->data;
    g_assert_nonnull (dialog);
    confab_test_drain (1000);
    shoot_window (dialog, "room-new");
    gtk_window_destroy (GTK_WINDOW (dialog));
  }
  /* Declined, so the banner leaves the shots that follow. */
  {
    ConfabRooms *rooms = confab_rooms_from_session (confab_window_get_session (window));
    g_autoptr(ConfabRoom) invited = g_list_model_get_item (confab_rooms_get_invitations (rooms), 0);

    confab_rooms_decline_async (rooms, confab_room_get_id (invited), NULL, NULL, NULL);
  }
  g_clear_pointer (&room_conv, g_free);
}

static gboolean
people_loaded (gpointer user_data)
{
  ConfabContacts *contacts = confab_contacts_from_session (confab_window_get_session (window));

  return g_list_model_get_n_items (confab_contacts_get_contacts (contacts)) == 3
         && g_list_model_get_n_items (confab_contacts_get_pending_in (contacts)) == 1;
}

static gboolean
picker_has_hits (gpointer user_data)
{
  return gtk_list_box_get_row_at_index (confab_person_picker_get_results (user_data), 1) != NULL;
}

static gboolean
announcements_arrived (gpointer user_data)
{
  ConfabAnnouncements *announcements = confab_announcements_from_session (
    confab_window_get_session (window));

  return g_list_model_get_n_items (confab_announcements_get_list (announcements)) == 2;
}

/* The People view (contacts in Alice's groups, with status texts, and Erin's request), New
 * Conversation searching the directory, and the Announcements conversation. */
static void
shoot_people (ConfabTestClient *alice_ws,
              ConfabTestClient *bob_ws,
              ConfabTestClient *carol_ws,
              ConfabTestClient *dave_ws,
              ConfabTestClient *erin_ws)
{
  ConfabTestClient *askers[] = { bob_ws, carol_ws, dave_ws };
  const char *names[] = { "bob", "carol", "dave" };
  const char *groups[] = { "Release", "Finance", "Release" };

  room_call (bob_ws, "profile_update", "{\"title\":\"Release Manager\","
             "\"department\":\"Engineering\"}");
  room_call (dave_ws, "profile_update", "{\"title\":\"Backend Developer\","
             "\"department\":\"Engineering\"}");
  room_call (erin_ws, "profile_update", "{\"title\":\"Office Manager\","
             "\"department\":\"Facilities\"}");
  room_call (bob_ws, "presence", "{\"status\":\"busy\",\"text\":\"Release day\"}");
  room_call (carol_ws, "presence", "{\"status\":\"away\",\"text\":\"Back at 2 pm\"}");
  room_call (dave_ws, "presence", "{\"status\":\"online\"}");
  for (guint i = 0; i < G_N_ELEMENTS (askers); i++)
    {
      room_call (askers[i], "contact_request", "{\"user\":\"alice\"}");
      room_call (alice_ws, "contact_respond", "{\"user\":\"%s\",\"accept\":true}", names[i]);
      room_call (alice_ws, "contact_group", "{\"user\":\"%s\",\"group\":\"%s\"}", names[i],
                 groups[i]);
    }
  room_call (erin_ws, "contact_request", "{\"user\":\"alice\",\"message\":\"Hi Alice, "
             "I look after the new office. Add me?\"}");
  g_assert_true (confab_test_wait_until (people_loaded, NULL, CONFAB_TEST_TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.people", NULL);
  confab_test_drain (500);
  shoot ("people");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  shoot ("people-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);

  gtk_widget_activate_action (GTK_WIDGET (window), "win.new-conversation", NULL);
  {
    ConfabPersonPicker *picker = CONFAB_PERSON_PICKER (find_toplevel (
                                                         CONFAB_TYPE_PERSON_PICKER));

    gtk_editable_set_text (confab_person_picker_get_entry (picker), "engin");
    g_assert_true (confab_test_wait_until (picker_has_hits, picker, CONFAB_TEST_TIMEOUT_MS));
    shoot_dialog (GTK_WINDOW (picker), "new-conversation");
  }

  room_call (alice_ws, "broadcast", "{\"body\":\"The office is closed on Friday, December "
             "25. Have a good holiday!\",\"audience\":{\"all\":true}}");
  room_call (alice_ws, "broadcast", "{\"body\":\"Engineering: the release review moves to "
             "Thursday, 10:00, room 4.12.\",\"audience\":{\"department\":\"Engineering\"}}");
  g_assert_true (confab_test_wait_until (announcements_arrived, NULL, CONFAB_TEST_TIMEOUT_MS));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-announcements", NULL);
  confab_test_drain (500);
  shoot ("announcements");
}

/* A picture of a floor plan in soft colours, @width × @height, as PNG bytes; @thumb gets the
 * same scaled to 640 px on its long side, as the client makes it. */
static GBytes *
floor_plan (int      width,
            int      height,
            GBytes **thumb)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, width, height);
  g_autoptr(GdkPixbuf) small = NULL;
  guchar *pixels = gdk_pixbuf_get_pixels (pixbuf);
  int stride = gdk_pixbuf_get_rowstride (pixbuf);
  char *data = NULL;
  gsize size = 0;

  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        guchar *p = pixels + y * stride + x * 3;
        gboolean wall = x % 400 < 12 || y % 330 < 12 || x > width - 12 || y > height - 12;
        int room = (x / 400 + y / 330) % 3;

        p[0] = wall ? 60 : (guchar) (room == 0 ? 222 : room == 1 ? 200 : 236);
        p[1] = wall ? 70 : (guchar) (room == 0 ? 235 : room == 1 ? 224 : 226);
        p[2] = wall ? 90 : (guchar) (room == 0 ? 247 : room == 1 ? 210 : 200);
      }
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &data, &size, "png", NULL, NULL));
  small = gdk_pixbuf_scale_simple (pixbuf, 640, 640 * height / width, GDK_INTERP_BILINEAR);
  {
    char *thumb_data = NULL;
    gsize thumb_size = 0;

    g_assert_true (gdk_pixbuf_save_to_buffer (small, &thumb_data, &thumb_size, "png", NULL,
                                              NULL));
    *thumb = g_bytes_new_take (thumb_data, thumb_size);
  }
  return g_bytes_new_take (data, size);
}

static gboolean
picture_loaded (gpointer user_data)
{
  return confab_image_viewer_get_loaded (user_data);
}

static gboolean
upload_under_way (gpointer user_data)
{
  GListModel *uploads = user_data;
  g_autoptr(ConfabUpload) upload = g_list_model_get_item (uploads, 0);

  return upload != NULL && confab_upload_get_offset (upload) > 3 * 1024 * 1024
         && confab_upload_get_speed (upload) > 0;
}

/* Carol sends a picture and a report to Alice; Alice sends a large file, caught under way;
 * the picture in the viewer. */
static void
shoot_files (ConfabTestServer *server,
             ConfabTestUser   *carol,
             ConfabTestClient *carol_ws)
{
  g_autoptr(GBytes) thumb = NULL;
  g_autoptr(GBytes) plan = floor_plan (2000, 1320, &thumb);
  g_autoptr(GBytes) report = confab_files_random_bytes (2 * 1024 * 1024 + 123456, 3);
  g_autofree char *plan_id = confab_files_upload (server, carol->token, plan, "floor-plan.png",
                                                  "image/png", 1024 * 1024);
  g_autofree char *thumb_id = confab_files_upload (server, carol->token, thumb,
                                                   "thumbnail.png", "image/png", 1024 * 1024);
  g_autofree char *report_id = confab_files_upload (server, carol->token, report,
                                                    "Quarterly report Q4 2026.pdf",
                                                    "application/pdf", 1024 * 1024);
  ConfabSession *session = confab_window_get_session (window);
  ConfabFiles *files = confab_files_from_session (session);
  g_autofree char *dir = confab_test_make_dir ("to-send");
  g_autofree char *path = g_build_filename (dir, "Design review recording.webm", NULL);
  g_autoptr(GBytes) big = confab_files_random_bytes (48 * 1024 * 1024, 5);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(ConfabUpload) upload = NULL;

  g_assert_true (g_file_set_contents (path, g_bytes_get_data (big, NULL),
                                      g_bytes_get_size (big), NULL));
  json_object_unref (confab_test_client_call_ok (carol_ws, "send",
                                                 "{\"conv\":\"dm:alice:carol\",\"client_msg_id\":"
                                                 "\"plan\",\"body\":\"The new office floor "
                                                 "plan\",\"attachments\":[{\"file_id\":\"%s\","
                                                 "\"thumbnail_file_id\":\"%s\",\"width\":2000,"
                                                 "\"height\":1320}]}", plan_id, thumb_id));
  json_object_unref (confab_test_client_call_ok (carol_ws, "send",
                                                 "{\"conv\":\"dm:alice:carol\",\"client_msg_id\":"
                                                 "\"report\",\"body\":\"\",\"attachments\":"
                                                 "[{\"file_id\":\"%s\"}]}", report_id));
  g_assert_true (confab_test_wait_until (conv_loaded, (gpointer) "dm:alice:carol",
                                         CONFAB_TEST_TIMEOUT_MS));
  confab_window_open_conversation (window, "dm:alice:carol");
  confab_test_drain (1000);
  shoot ("files-message");

  /* A large file on its way. */
  confab_files_set_chunk_size (files, 256 * 1024);
  confab_conversation_view_send_files (confab_window_get_conversation_view (window), &file, 1);
  g_assert_true (confab_test_wait_until (upload_under_way, confab_files_get_uploads (files),
                                         60000));
  shoot ("files-upload");
  upload = g_list_model_get_item (confab_files_get_uploads (files), 0);
  confab_files_cancel (files, upload);

  /* The picture in the viewer. */
  {
    g_autoptr(GPtrArray) pictures = g_ptr_array_new_with_free_func (
      (GDestroyNotify) json_object_unref);
    JsonObject *attachment = json_object_new ();
    ConfabImageViewer *viewer;
    g_autofree char *sha = confab_files_sha256 (plan);

    json_object_set_string_member (attachment, "file_id", plan_id);
    json_object_set_string_member (attachment, "sha256", sha);
    json_object_set_string_member (attachment, "name", "floor-plan.png");
    json_object_set_int_member (attachment, "size", (gint64) g_bytes_get_size (plan));
    g_ptr_array_add (pictures, attachment);
    viewer = confab_image_viewer_new (GTK_WINDOW (window), session, pictures, 0);
    gtk_window_present (GTK_WINDOW (viewer));
    g_assert_true (confab_test_wait_until (picture_loaded, viewer, CONFAB_TEST_TIMEOUT_MS));
    shoot_window (GTK_WIDGET (viewer), "files-viewer");
    gtk_window_destroy (GTK_WINDOW (viewer));
  }
}

int
main (int   argc,
      char *argv[])
{
  const char *extra[] = { "--registration", "open", NULL };
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabApplication) app = NULL;
  ConfabTestUser *alice, *bob, *carol, *dave, *erin;
  ConfabTestClient *alice_ws, *bob_ws, *carol_ws, *dave_ws, *erin_ws;
  g_autoptr(GPtrArray) long_talk = g_ptr_array_new_with_free_func (g_free);
  ConfabSigninPage *page;
  const char *localedir = g_getenv ("CONFAB_LOCALEDIR");
  gint64 talk_end = 0, notes_id, question_id;

  setlocale (LC_ALL, "");
  if (localedir != NULL)
    bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  confab_test_init (&argc, &argv);
  /* A tool, not a test: criticals are reported but do not stop the screenshots. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK);
  out_dir = g_getenv ("CONFAB_SCREENSHOT_DIR");
  suffix = g_getenv ("CONFAB_SCREENSHOT_SUFFIX");
  if (out_dir == NULL)
    out_dir = ".";
  if (suffix == NULL)
    suffix = "";

  server = confab_test_server_new (extra, NULL);
  alice_ws = user_with_name (server, "alice", "Alice Johnson", &alice);
  bob_ws = user_with_name (server, "bob", "Bob Smith", &bob);
  carol_ws = user_with_name (server, "carol", "Carolina Fernández-Oliveira de la Cruz", &carol);
  dave_ws = user_with_name (server, "dave", "Dmytro Kovalenko", &dave);
  erin_ws = user_with_name (server, "erin", "Erin O'Brien", &erin);

  /* A 200-message conversation, in runs of one to four messages per sender. */
  for (guint i = 0; i < 200; i++)
    g_ptr_array_add (long_talk, g_strdup_printf ("Status update %u: the %s build is %s.", i + 1,
                                                 i % 3 ? "nightly" : "release",
                                                 i % 5 ? "green" : "waiting for review"));
  for (guint i = 0; i < 200;)
    {
      guint run = 1 + (i * 7) % 4;
      ConfabTestClient *ws = (i / 3) % 2 ? alice_ws : bob_ws;

      for (guint j = 0; j < run && i < 200; j++, i++)
        {
          const char *one[] = { long_talk->pdata[i], NULL };
          g_autofree char *prefix = g_strdup_printf ("talk-%u", i);

          talk_end = send_many (ws, "dm:alice:bob", prefix, one);
        }
    }
  /* Alice read the talk: Bob's last two messages are new. */
  {
    g_autoptr(JsonObject) r = confab_test_client_call_ok (alice_ws, "read",
                                                          "{\"conv\":\"dm:alice:bob\","
                                                          "\"msg_id\":%" G_GINT64_FORMAT "}",
                                                          talk_end);
  }
  {
    g_autoptr(JsonObject) r = confab_test_client_call_ok (
      carol_ws, "profile_update",
      "{\"title\":\"Head of Finance\",\"department\":\"Finance and Controlling\","
      "\"email\":\"carolina.fernandez@example.com\",\"phone\":\"+34 91 123 45 67\","
      "\"location\":\"Madrid, 4th floor\",\"timezone\":\"Europe/Madrid\"}");
  }
  {
    const char *b[] = { "Can you look at the release notes before lunch?",
                        "I added a section about the new outbox: messages written offline are "
                        "now sent in order when the connection comes back, and never twice.\n"
                        "The calls section still needs the numbers from Tuesday's test. Could "
                        "you fill them in? The draft is in the shared folder: "
                        "https://files.example.com/shared/releases/2026-12/"
                        "confab-release-notes-draft-v3.odt", NULL };
    const char *c[] = { "Hi Alice! The quarterly report is ready.",
                        "I put it in the shared folder.", "Let me know if anything is missing.",
                        NULL };
    const char *d[] = { "Meeting moved to 15:00.", NULL };
    const char *e[] = { "Thanks, see you tomorrow!", NULL };

    const char *b0[] = { b[0], NULL };
    const char *b1[] = { b[1], NULL };

    question_id = send_many (bob_ws, "dm:alice:bob", "b0", b0);
    notes_id = send_many (bob_ws, "dm:alice:bob", "b1", b1);
    react (alice_ws, question_id, "👍");
    react (bob_ws, talk_end, "🎉");
    react (alice_ws, talk_end, "🎉");
    react (alice_ws, notes_id, "❤️");
    send_many (erin_ws, "dm:alice:erin", "e", e);
    send_many (dave_ws, "dm:alice:dave", "d", d);
    send_many (carol_ws, "dm:alice:carol", "c", c);
  }

  /* As confab's main () does. */
  confab_application_choose_renderer ();
  gtk_init ();
  adw_init ();
  {
    /* No notification server runs under Xvfb. */
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);

    g_settings_set_boolean (settings, "notifications", FALSE);
  }
  app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_application_activate (G_APPLICATION (app));
  window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  g_assert_true (confab_test_wait_until (page_is, (gpointer) "signin", CONFAB_TEST_TIMEOUT_MS));

  page = confab_window_get_signin_page (window);
  confab_signin_page_set_server (page, "chat.example.com");
  confab_signin_page_set_username (page, "alice");
  shoot ("sign-in");

  confab_signin_page_set_server (page, confab_test_server_get_url (server));
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                      CONFAB_TYPE_SIGNIN_PAGE,
                                                                      "password_row")),
                         alice->password);
  gtk_widget_activate_action (GTK_WIDGET (page), "signin.submit", NULL);
  g_assert_true (confab_test_wait_until (page_is, (gpointer) "main", CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (conv_loaded, (gpointer) "dm:alice:carol",
                                         CONFAB_TEST_TIMEOUT_MS));

  confab_window_open_conversation (window, "dm:alice:bob");
  shoot ("main-light");

  /* Search, the quick switcher and a profile, over the main window. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search-messages", NULL);
  {
    ConfabSearchWindow *search = CONFAB_SEARCH_WINDOW (find_toplevel (CONFAB_TYPE_SEARCH_WINDOW));

    confab_search_window_search (search, "shared folder");
    g_assert_true (confab_test_wait_until (has_results, search, CONFAB_TEST_TIMEOUT_MS));
    shoot_dialog (GTK_WINDOW (search), "search");
  }
  gtk_widget_activate_action (GTK_WIDGET (window), "win.quick-switch", NULL);
  {
    ConfabQuickSwitcher *switcher = CONFAB_QUICK_SWITCHER (
      find_toplevel (CONFAB_TYPE_QUICK_SWITCHER));

    confab_quick_switcher_set_text (switcher, "o");
    shoot_dialog (GTK_WINDOW (switcher), "quick-switcher");
  }
  shoot_dialog (GTK_WINDOW (confab_profile_window_new (GTK_WINDOW (window),
                                                       confab_window_get_session (window),
                                                       "carol")),
                "profile");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_FORCE_DARK);
  shoot ("main-dark");
  shoot_dialog (GTK_WINDOW (confab_profile_window_new (GTK_WINDOW (window),
                                                       confab_window_get_session (window),
                                                       "carol")),
                "profile-dark");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      ADW_COLOR_SCHEME_DEFAULT);

  shoot_room (alice_ws, bob_ws, carol_ws, dave_ws, erin_ws);
  shoot_people (alice_ws, bob_ws, carol_ws, dave_ws, erin_ws);
  shoot_files (server, carol, carol_ws);
  confab_window_open_conversation (window, "dm:alice:bob");

  gtk_window_set_default_size (GTK_WINDOW (window), 360, 720);
  shoot ("narrow");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.back", NULL);
  shoot ("narrow-list");

  /* A video call with Bob, test video both ways, then its record in the conversation. */
  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 720);
  confab_window_open_conversation (window, "dm:alice:bob");
  {
    g_autoptr(GSubprocess) peer = start_call_peer (server, bob);

    gtk_widget_activate_action (GTK_WIDGET (window), "win.call-video", NULL);
    g_assert_true (confab_test_wait_until (call_shows_video, NULL, CONFAB_TEST_TIMEOUT_MS));
    shoot_window (GTK_WIDGET (confab_window_get_call_window (window)), "call");
    gtk_widget_activate_action (GTK_WIDGET (confab_window_get_call_window (window)),
                                "call.hangup", NULL);
    g_assert_true (confab_test_wait_until (call_window_gone, NULL, CONFAB_TEST_TIMEOUT_MS));
    shoot ("call-record");
    g_output_stream_close (g_subprocess_get_stdin_pipe (peer), NULL, NULL);
    g_subprocess_wait (peer, NULL, NULL);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_client_free (alice_ws);
  confab_test_client_free (bob_ws);
  confab_test_client_free (carol_ws);
  confab_test_client_free (dave_ws);
  confab_test_client_free (erin_ws);
  confab_test_user_free (alice);
  confab_test_user_free (bob);
  confab_test_user_free (carol);
  confab_test_user_free (dave);
  confab_test_user_free (erin);
  return 0;
}
