/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client's windows under Xvfb against a real confabd: sign-up and sign-in through the
 * sign-in page, a conversation with a second user on a raw WebSocket, the unread badge, and
 * the outbox while the server is down; rooms with a second user. */
#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "confab-application.h"
#include "confab-call.h"
#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-conversation-view-private.h"
#include "confab-conversation.h"
#include "confab-message-list.h"
#include "confab-message.h"
#include "confab-browse-rooms-dialog.h"
#include "confab-messaging.h"
#include "confab-new-room-dialog.h"
#include "confab-room-details.h"
#include "confab-rooms.h"
#include "confab-session.h"
#include "confab-signin-page.h"
#include "confab-test-util.h"
#include "confab-window.h"

/* Each case runs in a process of its own (g_test_trap_subprocess), with its own HOME and XDG
 * directories (confab_test_init), its own confabd, application and window: no case depends on
 * another having run, or on the order. */

static ConfabConversationList *
conversations_of (ConfabSession *session)
{
  return confab_messaging_get_conversations (confab_messaging_from_session (session));
}

typedef struct
{
  ConfabTestServer  *server;
  ConfabApplication *app;
  ConfabWindow      *window;
  ConfabTestUser    *bob;
  ConfabTestClient  *bob_ws;
} Fixture;

typedef struct
{
  ConfabWindow *window;
  const char   *page;
} PageWait;

static gboolean
page_is (gpointer user_data)
{
  PageWait *wait = user_data;

  return g_strcmp0 (confab_window_get_page (wait->window), wait->page) == 0;
}

static gboolean
wait_page (Fixture    *f,
           const char *page)
{
  PageWait wait = { f->window, page };

  return confab_test_wait_until (page_is, &wait, CONFAB_TEST_TIMEOUT_MS);
}

static void
fixture_set_up (Fixture *f)
{
  const char *extra[] = { "--registration", "open", NULL };

  f->server = confab_test_server_new (extra, NULL);

  f->app = confab_application_new ();
  g_application_set_flags (G_APPLICATION (f->app),
                           G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_COMMAND_LINE);
  g_assert_true (g_application_register (G_APPLICATION (f->app), NULL, NULL));
  g_application_activate (G_APPLICATION (f->app));
  f->window = CONFAB_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (f->app)));
  g_assert_nonnull (f->window);
  g_assert_true (wait_page (f, "signin"));
}

static void
fixture_tear_down (Fixture *f)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  /* As the application's shutdown does (g_application_run () is not used here): the call
   * engine's start-up thread must not outlive the process's libraries. */
  confab_call_warm_up_wait ();
  g_clear_pointer (&f->bob_ws, confab_test_client_free);
  g_clear_pointer (&f->bob, confab_test_user_free);
  g_clear_pointer (&f->server, confab_test_server_free);
  g_clear_object (&f->app);
}

static gboolean
client_connected (gpointer user_data)
{
  ConfabSession *session = confab_window_get_session (user_data);

  return session != NULL
         && confab_client_get_state (confab_session_get_client (session))
         == CONFAB_CLIENT_STATE_CONNECTED;
}

static gboolean
client_not_connected (gpointer user_data)
{
  return !client_connected (user_data);
}

static ConfabConversation *
lookup_conv (Fixture    *f,
             const char *conv)
{
  ConfabSession *session = confab_window_get_session (f->window);

  if (session == NULL)
    return NULL;
  return confab_conversation_list_lookup (conversations_of (session), conv);
}

static gboolean
dm_has_unread (gpointer user_data)
{
  ConfabConversation *conv = lookup_conv (user_data, "dm:ann:bob");

  return conv != NULL && confab_conversation_get_unread (conv) >= 1;
}

/* Creates the account "ann" through the sign-in page and waits until the window is signed in
 * and connected. */
static void
sign_up_ann (Fixture *f)
{
  ConfabSigninPage *page = confab_window_get_signin_page (f->window);

  g_assert_cmpstr (confab_window_get_page (f->window), ==, "signin");

  confab_signin_page_set_server (page, confab_test_server_get_url (f->server));
  confab_signin_page_set_create_account (page, TRUE);
  confab_signin_page_set_username (page, "ann");
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                      CONFAB_TYPE_SIGNIN_PAGE,
                                                                      "display_name_row")),
                         "Ann Example");
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                      CONFAB_TYPE_SIGNIN_PAGE,
                                                                      "password_row")),
                         "correct horse battery");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "signin.submit", NULL));

  g_assert_true (wait_page (f, "main"));
  g_assert_true (confab_test_wait_until (client_connected, f->window, CONFAB_TEST_TIMEOUT_MS));
}

/* Bob (on a raw WebSocket) writes to ann first; his message raises the unread badge of the
 * conversation, which ann then opens. */
static void
open_dm_from_bob (Fixture *f)
{
  ConfabConversationView *view = confab_window_get_conversation_view (f->window);

  f->bob = confab_test_user_new (f->server, "bob");
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);

  json_object_unref (confab_test_client_call_ok (f->bob_ws, "send",
                                                 "{\"conv\":\"dm:ann:bob\","
                                                 "\"client_msg_id\":\"b1\","
                                                 "\"body\":\"Hi Ann\"}"));
  g_assert_true (confab_test_wait_until (dm_has_unread, f, CONFAB_TEST_TIMEOUT_MS));

  confab_window_open_conversation (f->window, "dm:ann:bob");
  g_assert_true (confab_conversation_view_get_conversation (view)
                 == lookup_conv (f, "dm:ann:bob"));
}

/* Without a GPU (no DRM device at all here; run_case checks) the window draws with cairo and OpenGL, which
 * would be Mesa's llvmpipe, is never loaded. */
static void
test_renderer_without_gpu (Fixture *f)
{
  g_autofree char *maps = NULL;
  GskRenderer *renderer;

  renderer = gtk_native_get_renderer (GTK_NATIVE (f->window));
  g_assert_nonnull (renderer);
  g_assert_true (GSK_IS_CAIRO_RENDERER (renderer));

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  g_assert_null (strstr (maps, "libLLVM"));
  g_assert_null (strstr (maps, "_dri.so"));
}

static void
test_register_and_sign_in (Fixture *f)
{
  sign_up_ann (f);
  g_assert_cmpstr (confab_session_get_username (confab_window_get_session (f->window)), ==,
                   "ann");
}

static void
test_exchange_and_unread (Fixture *f)
{
  ConfabConversationView *view = confab_window_get_conversation_view (f->window);
  g_autoptr(JsonObject) event = NULL;
  JsonObject *msg;

  sign_up_ann (f);
  /* An incoming message raises the unread badge of a conversation that is not open. */
  open_dm_from_bob (f);

  confab_conversation_view_set_draft (view, "Hello Bob");
  confab_conversation_view_send (view);

  event = confab_test_client_wait_event (f->bob_ws, "message", CONFAB_TEST_TIMEOUT_MS);
  msg = json_object_get_object_member (json_object_get_object_member (event, "data"), "msg");
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "Hello Bob");
  g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "ann");
}

static ConfabMessageList *
open_messages (Fixture *f)
{
  ConfabSession *session = confab_window_get_session (f->window);

  return confab_messaging_get_messages (confab_messaging_from_session (session), "dm:ann:bob");
}

static gboolean
last_three_sent (gpointer user_data)
{
  g_autoptr(ConfabMessageList) list = open_messages (user_data);
  GListModel *model = G_LIST_MODEL (list);
  guint n = g_list_model_get_n_items (model);

  if (n < 3)
    return FALSE;
  for (guint i = n - 3; i < n; i++)
    {
      g_autoptr(ConfabMessage) m = g_list_model_get_item (model, i);

      if (confab_message_get_state (m) == CONFAB_MESSAGE_STATE_SENDING)
        return FALSE;
    }
  return TRUE;
}

static void
test_outbox_while_offline (Fixture *f)
{
  ConfabConversationView *view = confab_window_get_conversation_view (f->window);
  g_autoptr(ConfabMessageList) list = NULL;
  GListModel *model;
  const char *bodies[] = { "one", "two", "three" };
  guint n, seen = 0;

  sign_up_ann (f);
  open_dm_from_bob (f);

  confab_test_server_stop (f->server);
  g_assert_true (confab_test_wait_until (client_not_connected, f->window,
                                         CONFAB_TEST_TIMEOUT_MS));

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      confab_conversation_view_set_draft (view, bodies[i]);
      confab_conversation_view_send (view);
    }
  confab_test_drain (50);

  list = open_messages (f);
  model = G_LIST_MODEL (list);
  n = g_list_model_get_n_items (model);
  g_assert_cmpuint (n, >=, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(ConfabMessage) m = g_list_model_get_item (model, n - 3 + i);

      g_assert_cmpstr (confab_message_get_body (m), ==, bodies[i]);
      g_assert_cmpint (confab_message_get_state (m), ==, CONFAB_MESSAGE_STATE_SENDING);
    }

  /* Same port, same data: the client reconnects by itself. */
  confab_test_server_start (f->server);
  confab_test_client_free (f->bob_ws);
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);

  g_assert_true (confab_test_wait_until (client_connected, f->window, 30000));
  g_assert_true (confab_test_wait_until (last_three_sent, f, CONFAB_TEST_TIMEOUT_MS));

  /* Bob's history holds each of them exactly once, in order. */
  {
    g_autoptr(JsonObject) result = confab_test_client_call_ok (f->bob_ws, "history",
                                                               "{\"conv\":\"dm:ann:bob\","
                                                               "\"limit\":200}");
    JsonArray *messages = json_object_get_array_member (result, "messages");

    for (guint i = 0; i < json_array_get_length (messages); i++)
      {
        JsonObject *m = json_array_get_object_element (messages, i);
        const char *body = json_object_get_string_member (m, "body");

        for (guint j = 0; j < G_N_ELEMENTS (bodies); j++)
          if (g_strcmp0 (body, bodies[j]) == 0)
            {
              g_assert_cmpuint (j, ==, seen);
              seen++;
            }
      }
  }
  g_assert_cmpuint (seen, ==, 3);
}

/* --- rooms ----------------------------------------------------------------------------------- */

static ConfabRooms *
rooms_of (Fixture *f)
{
  return confab_rooms_from_session (confab_window_get_session (f->window));
}

static GtkWindow *
find_toplevel (GType type)
{
  GtkWindow *found = NULL;

  for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      found = l->data;
  return found;
}

/* A descendant of @widget of @type whose label (a GtkLabel's or a GtkButton's) is @text. */
static GtkWidget *
find_labelled (GtkWidget  *widget,
               GType       type,
               const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type)
          && ((GTK_IS_LABEL (child)
               && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), text) == 0)
              || (GTK_IS_BUTTON (child)
                  && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), text) == 0)))
        return child;
      found = find_labelled (child, type, text);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
template_child (gpointer    widget,
                GType       type,
                const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (widget), type, name));
}

typedef struct
{
  Fixture    *f;
  const char *name;
  char       *conv;
} RoomWait;

/* The conversation of the room called @name, once the window's session has it. */
static gboolean
room_conv_named (gpointer user_data)
{
  RoomWait *wait = user_data;
  ConfabConversationList *list = conversations_of (confab_window_get_session (wait->f->window));

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    {
      g_autoptr(ConfabConversation) conv = g_list_model_get_item (G_LIST_MODEL (list), i);
      ConfabRoom *room = confab_conversation_get_room (conv);

      if (room != NULL && g_strcmp0 (confab_room_get_name (room), wait->name) == 0
          && g_strcmp0 (confab_room_get_membership (room), "member") == 0)
        {
          g_free (wait->conv);
          wait->conv = g_strdup (confab_conversation_get_conv (conv));
          return TRUE;
        }
    }
  return FALSE;
}

typedef struct
{
  Fixture    *f;
  const char *conv;
  const char *kind;
  const char *body;
} MessageWait;

static gboolean
ann_has_message (gpointer user_data)
{
  MessageWait *wait = user_data;
  ConfabSession *session = confab_window_get_session (wait->f->window);
  g_autoptr(ConfabMessageList) list =
    confab_messaging_get_messages (confab_messaging_from_session (session), wait->conv);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    {
      g_autoptr(ConfabMessage) m = g_list_model_get_item (G_LIST_MODEL (list), i);

      if (g_strcmp0 (confab_message_get_kind (m), wait->kind) == 0
          && (wait->body == NULL || g_strcmp0 (confab_message_get_body (m), wait->body) == 0))
        return TRUE;
    }
  return FALSE;
}

static gboolean
room_row_shows_mention (gpointer user_data)
{
  Fixture *f = user_data;
  GtkWidget *list = template_child (f->window, CONFAB_TYPE_WINDOW, "conversation_list");
  GtkWidget *preview = find_labelled (list, GTK_TYPE_LABEL, "Bob Smith: @ann ready for review?");
  GtkWidget *badge = find_labelled (list, GTK_TYPE_LABEL, "@");

  return preview != NULL && badge != NULL && gtk_widget_get_visible (badge);
}

static gboolean
seen_by_one (gpointer user_data)
{
  Fixture *f = user_data;
  GtkWidget *label = find_labelled (GTK_WIDGET (confab_window_get_conversation_view (f->window)),
                                    GTK_TYPE_LABEL, "Seen by 1");

  return label != NULL && gtk_widget_is_visible (label);
}

static gboolean
invitation_shown (gpointer user_data)
{
  Fixture *f = user_data;
  GtkWidget *banner = template_child (f->window, CONFAB_TYPE_WINDOW, "invitations_banner");

  return gtk_revealer_get_child_revealed (GTK_REVEALER (gtk_widget_get_first_child (banner)));
}

static gboolean
room_gone (gpointer user_data)
{
  RoomWait *wait = user_data;

  return lookup_conv (wait->f, wait->conv) == NULL;
}

static GtkWidget *
completion_popover (GtkWidget *text_view)
{
  for (GtkWidget *child = gtk_widget_get_first_child (text_view); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER (child) && gtk_widget_has_css_class (child, "mention-completion"))
      return child;
  return NULL;
}

static gboolean
completion_shown (gpointer user_data)
{
  GtkWidget *popover = completion_popover (user_data);

  return popover != NULL && gtk_widget_get_visible (popover);
}

static GtkWidget *
completion_row (GtkWidget  *text_view,
                const char *name)
{
  GtkWidget *label = find_labelled (completion_popover (text_view), GTK_TYPE_LABEL, name);

  return label != NULL ? gtk_widget_get_ancestor (label, GTK_TYPE_LIST_BOX_ROW) : NULL;
}

static gboolean
join_button_shown (gpointer user_data)
{
  return find_labelled (user_data, GTK_TYPE_BUTTON, "_Join") != NULL;
}

static gboolean
member_row_shown (gpointer user_data)
{
  return find_labelled (user_data, GTK_TYPE_LABEL, "Bob Smith") != NULL;
}

/* The next event @name whose data has @member equal to @value (others of that name pass). */
static JsonObject *
wait_event_with (ConfabTestClient *ws,
                 const char       *name,
                 const char       *member,
                 const char       *value)
{
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (ws, name,
                                                                   CONFAB_TEST_TIMEOUT_MS);
      JsonObject *data;

      if (event == NULL)
        return NULL;
      data = json_object_get_object_member (event, "data");
      if (g_strcmp0 (json_object_get_string_member_with_default (data, member, NULL), value) == 0)
        return g_steal_pointer (&event);
    }
}

static char *
bob_call_ok_id (Fixture    *f,
                const char *type,
                const char *params)
{
  g_autoptr(JsonObject) result = confab_test_client_call_ok (f->bob_ws, type, "%s", params);

  return g_strdup (json_object_get_string_member (json_object_get_object_member (result, "room"),
                                                  "id"));
}

/* Ann makes a room in the New Room dialog and invites Bob from Room Details; Bob (a second
 * signed-in client) joins; both see each other's messages; Bob's mention of Ann shows in her
 * sidebar and notifies her on "mentions only"; the system lines are in the room; Bob's read
 * shows as "Seen by 1"; "@bo" completes to Bob; Browse Rooms finds and joins Bob's public room.
 * Then Bob invites Ann to his room: the banner's Accept joins it, and
 * Bob's kick takes it away. Last, Ann's Room Details make Bob an admin and remove him, and she
 * leaves the public room from its details. */
static void
test_rooms (Fixture *f)
{
  ConfabConversationView *view = confab_window_get_conversation_view (f->window);
  RoomWait design = { f, "Design Team", NULL };
  RoomWait ops = { f, "Ops", NULL };
  RoomWait lunch = { f, "Lunch club", NULL };
  MessageWait created = { f, NULL, "system", NULL };
  MessageWait hello = { f, NULL, "text", "@ann ready for review?" };
  GtkWindow *dialog;
  GtkWidget *banner, *accept;
  g_autoptr(JsonObject) event = NULL;
  g_autofree char *room_id = NULL;
  g_autofree char *ops_id = NULL;
  g_autofree char *params = NULL;
  gint64 own_id;

  sign_up_ann (f);
  /* Bob writes to Ann first: she knows him, and has somewhere else to look than the room. */
  open_dm_from_bob (f);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"display_name\":\"Bob Smith\"}"));

  /* New Room: a name, then Create. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-room", NULL));
  dialog = find_toplevel (CONFAB_TYPE_NEW_ROOM_DIALOG);
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, CONFAB_TYPE_NEW_ROOM_DIALOG,
                                                       "name_row")), "Design Team");
  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, CONFAB_TYPE_NEW_ROOM_DIALOG,
                                                       "topic_row")), "Screens and icons");
  g_assert_true (gtk_widget_get_sensitive (template_child (dialog, CONFAB_TYPE_NEW_ROOM_DIALOG,
                                                           "create_button")));
  g_signal_emit_by_name (template_child (dialog, CONFAB_TYPE_NEW_ROOM_DIALOG, "create_button"),
                         "clicked");
  g_assert_true (confab_test_wait_until (room_conv_named, &design, CONFAB_TEST_TIMEOUT_MS));
  room_id = g_strdup (design.conv + strlen ("room:"));
  created.conv = hello.conv = design.conv;

  /* Room Details: invite Bob by his username. */
  confab_window_open_conversation (f->window, design.conv);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.room-details", NULL));
  dialog = find_toplevel (CONFAB_TYPE_ROOM_DETAILS);
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, CONFAB_TYPE_ROOM_DETAILS,
                                                       "invite_row")), "bob");
  g_signal_emit_by_name (template_child (dialog, CONFAB_TYPE_ROOM_DETAILS, "invite_row"),
                         "apply");
  event = confab_test_client_wait_event (f->bob_ws, "room_invite", CONFAB_TEST_TIMEOUT_MS);
  g_assert_nonnull (event);
  gtk_window_destroy (dialog);

  /* Bob joins and writes, mentioning Ann. */
  params = g_strdup_printf ("{\"room\":\"%s\"}", room_id);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "room_join", "%s", params));
  g_clear_pointer (&params, g_free);
  confab_window_open_conversation (f->window, "dm:ann:bob");
  params = g_strdup_printf ("{\"conv\":\"%s\",\"client_msg_id\":\"b-1\","
                            "\"body\":\"@ann ready for review?\"}", design.conv);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "send", "%s", params));
  g_clear_pointer (&params, g_free);
  g_assert_true (confab_test_wait_until (ann_has_message, &hello, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (room_row_shows_mention, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (ann_has_message, &created, CONFAB_TEST_TIMEOUT_MS));

  /* On "mentions only" the mention notifies Ann, a plain line does not, a system line never. */
  {
    ConfabConversation *conv = lookup_conv (f, design.conv);
    g_autofree char *mention_json = g_strdup_printf (
      "{\"id\":1,\"conv\":\"%s\",\"from\":\"bob\",\"ts\":1,\"kind\":\"text\",\"body\":\"@ann\","
      "\"mentions\":[\"ann\"]}", design.conv);
    g_autofree char *plain_json = g_strdup_printf (
      "{\"id\":2,\"conv\":\"%s\",\"from\":\"bob\",\"ts\":1,\"kind\":\"text\",\"body\":\"hi\"}",
      design.conv);
    g_autoptr(JsonNode) m = json_from_string (mention_json, NULL);
    g_autoptr(JsonNode) p = json_from_string (plain_json, NULL);
    g_autoptr(ConfabMessage) mention = confab_message_new_from_json (json_node_get_object (m));
    g_autoptr(ConfabMessage) plain = confab_message_new_from_json (json_node_get_object (p));

    confab_rooms_set_notify_level (rooms_of (f), room_id, CONFAB_ROOM_NOTIFY_MENTIONS);
    g_assert_true (confab_rooms_should_notify (rooms_of (f), conv, mention));
    g_assert_false (confab_rooms_should_notify (rooms_of (f), conv, plain));
  }

  /* Ann answers from the composer; Bob gets it and reads it: "Seen by 1" under it. */
  confab_window_open_conversation (f->window, design.conv);
  confab_conversation_view_set_draft (view, "Looking at it now");
  confab_conversation_view_send (view);
  g_clear_pointer (&event, json_object_unref);
  event = confab_test_client_wait_event (f->bob_ws, "message", CONFAB_TEST_TIMEOUT_MS);
  g_assert_nonnull (event);
  own_id = json_object_get_int_member (json_object_get_object_member (
                                         json_object_get_object_member (event, "data"), "msg"),
                                       "id");
  params = g_strdup_printf ("{\"conv\":\"%s\",\"msg_id\":%" G_GINT64_FORMAT "}", design.conv,
                            own_id);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "read", "%s", params));
  g_clear_pointer (&params, g_free);
  g_assert_true (confab_test_wait_until (seen_by_one, f, CONFAB_TEST_TIMEOUT_MS));

  /* "@bo" in the composer offers Bob; choosing him writes "@bob ". */
  {
    GtkWidget *text_view = template_child (view, CONFAB_TYPE_CONVERSATION_VIEW, "text_view");
    GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (text_view));
    GtkWidget *row;
    g_autofree char *text = NULL;
    GtkTextIter start, end;

    gtk_text_buffer_set_text (buffer, "", -1);
    gtk_text_buffer_insert_at_cursor (buffer, "Thanks @bo", -1);
    g_assert_true (confab_test_wait_until (completion_shown, text_view, CONFAB_TEST_TIMEOUT_MS));
    row = completion_row (text_view, "Bob Smith");
    g_assert_nonnull (row);
    gtk_widget_activate (row);
    gtk_text_buffer_get_bounds (buffer, &start, &end);
    text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    g_assert_cmpstr (text, ==, "Thanks @bob ");
    gtk_text_buffer_set_text (buffer, "", -1);
  }

  /* Browse Rooms: Bob's public room, found by a word of its name, joined with Join. */
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "room_create",
                                                 "{\"name\":\"Lunch club\","
                                                 "\"visibility\":\"public\"}"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.browse-rooms", NULL));
  dialog = find_toplevel (CONFAB_TYPE_BROWSE_ROOMS_DIALOG);
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (template_child (dialog, CONFAB_TYPE_BROWSE_ROOMS_DIALOG,
                                                       "search_entry")), "lunch");
  g_assert_true (confab_test_wait_until (join_button_shown, dialog, CONFAB_TEST_TIMEOUT_MS));
  g_signal_emit_by_name (find_labelled (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, "_Join"),
                         "clicked");
  g_assert_true (confab_test_wait_until (room_conv_named, &lunch, CONFAB_TEST_TIMEOUT_MS));

  /* Bob's own room, with Ann invited: the banner, Accept, and the room is Ann's. */
  ops_id = bob_call_ok_id (f, "room_create", "{\"name\":\"Ops\",\"visibility\":\"private\"}");
  params = g_strdup_printf ("{\"room\":\"%s\",\"user\":\"ann\"}", ops_id);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "room_invite", "%s", params));
  g_assert_true (confab_test_wait_until (invitation_shown, f, CONFAB_TEST_TIMEOUT_MS));
  banner = template_child (f->window, CONFAB_TYPE_WINDOW, "invitations_banner");
  g_assert_nonnull (find_labelled (banner, GTK_TYPE_LABEL, "Bob Smith invited you to Ops"));
  g_assert_nonnull (find_labelled (banner, GTK_TYPE_BUTTON, "_Decline"));
  accept = find_labelled (banner, GTK_TYPE_BUTTON, "_Accept");
  g_assert_nonnull (accept);
  g_signal_emit_by_name (accept, "clicked");
  g_assert_true (confab_test_wait_until (room_conv_named, &ops, CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (confab_rooms_get_invitations (rooms_of (f))), ==, 0);

  /* Bob removes Ann: the room leaves her sidebar. */
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "room_kick", "%s", params));
  g_assert_true (confab_test_wait_until (room_gone, &ops, CONFAB_TEST_TIMEOUT_MS));

  /* Room Details as the owner: Bob among the members, made an admin, then removed. */
  confab_window_open_conversation (f->window, design.conv);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.room-details", NULL));
  dialog = find_toplevel (CONFAB_TYPE_ROOM_DETAILS);
  g_assert_nonnull (dialog);
  g_assert_true (confab_test_wait_until (member_row_shown, dialog, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "details.set-role", "(ss)",
                                             "bob", "admin"));
  g_clear_pointer (&event, json_object_unref);
  event = wait_event_with (f->bob_ws, "room_updated", "role", "admin");
  g_assert_nonnull (event);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "details.kick", "s", "bob"));
  g_clear_pointer (&event, json_object_unref);
  event = wait_event_with (f->bob_ws, "room_member_left", "reason", "kicked");
  g_assert_nonnull (event);
  gtk_window_destroy (dialog);

  /* Leaving Bob's public room from its details. */
  confab_window_open_conversation (f->window, lunch.conv);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.room-details", NULL));
  dialog = find_toplevel (CONFAB_TYPE_ROOM_DETAILS);
  g_assert_nonnull (dialog);
  g_signal_emit_by_name (template_child (dialog, CONFAB_TYPE_ROOM_DETAILS, "leave_button"),
                         "clicked");
  g_assert_true (confab_test_wait_until (room_gone, &lunch, CONFAB_TEST_TIMEOUT_MS));

  g_free (design.conv);
  g_free (ops.conv);
  g_free (lunch.conv);
}

/* --- running in the background, signing out, the connection banner ------------------------ */

/* A desktop notification server on the session bus, in this process: what it is asked to
 * show is what a user would see. */
static const char notifications_xml[] =
  "<node><interface name='org.freedesktop.Notifications'>"
  "<method name='Notify'><arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "<arg type='s' direction='in'/><arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "<arg type='as' direction='in'/><arg type='a{sv}' direction='in'/>"
  "<arg type='i' direction='in'/><arg type='u' direction='out'/></method>"
  "<method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "<method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "<method name='GetServerInformation'><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "<arg type='s' direction='out'/></method>"
  "<signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "<signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "</interface></node>";

typedef struct
{
  GPtrArray *shown;      /* "summary\nbody" of each Notify */
  guint      next_id;
  guint      closed;     /* CloseNotification calls */
  gboolean   owned;
} Notifications;

static void
notifications_method (GDBusConnection       *connection,
                      const char            *sender,
                      const char            *object_path,
                      const char            *interface_name,
                      const char            *method_name,
                      GVariant              *parameters,
                      GDBusMethodInvocation *invocation,
                      gpointer               user_data)
{
  Notifications *n = user_data;

  if (g_str_equal (method_name, "Notify"))
    {
      const char *summary, *body;

      g_variant_get_child (parameters, 3, "&s", &summary);
      g_variant_get_child (parameters, 4, "&s", &body);
      g_ptr_array_add (n->shown, g_strdup_printf ("%s\n%s", summary, body));
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(u)", ++n->next_id));
    }
  else if (g_str_equal (method_name, "CloseNotification"))
    {
      n->closed++;
      g_dbus_method_invocation_return_value (invocation, NULL);
    }
  else if (g_str_equal (method_name, "GetCapabilities"))
    {
      const char *caps[] = { "body", "actions", NULL };

      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(^as)", (char **) caps));
    }
  else if (g_str_equal (method_name, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ssss)", "test", "confab",
                                                                      "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
notifications_name_acquired (GDBusConnection *connection,
                             const char      *name,
                             gpointer         user_data)
{
  ((Notifications *) user_data)->owned = TRUE;
}

static gboolean
notifications_owned (gpointer user_data)
{
  return ((Notifications *) user_data)->owned;
}

static void
notifications_serve (Notifications *n)
{
  static const GDBusInterfaceVTable vtable = { notifications_method, NULL, NULL, { 0 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (
                                                              g_application_get_default ()));

  g_assert_no_error (error);
  g_assert_nonnull (bus);
  n->shown = g_ptr_array_new_with_free_func (g_free);
  g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications",
                                     info->interfaces[0], &vtable, n, NULL, &error);
  g_assert_no_error (error);
  g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications",
                                G_BUS_NAME_OWNER_FLAGS_NONE, notifications_name_acquired, NULL, n,
                                NULL);
  g_assert_true (confab_test_wait_until (notifications_owned, n, CONFAB_TEST_TIMEOUT_MS));
}

static gboolean
notification_shown (gpointer user_data)
{
  return ((Notifications *) user_data)->shown->len > 0;
}

static gboolean
notification_replaced (gpointer user_data)
{
  return ((Notifications *) user_data)->shown->len > 1;
}

static gboolean
notification_closed (gpointer user_data)
{
  return ((Notifications *) user_data)->closed > 0;
}

static gboolean
no_windows (gpointer user_data)
{
  return gtk_application_get_windows (GTK_APPLICATION (user_data)) == NULL;
}

/* Closing the window keeps Confab running and notifying; Quit ends it. Starting at login
 * writes and removes the XDG autostart entry. */
static void
test_close_keeps_running (Fixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *autostart = g_build_filename (g_get_user_config_dir (), "autostart",
                                                 APP_ID ".desktop", NULL);
  g_autofree char *entry = NULL;
  Notifications notifications = { 0 };
  gint64 msg_id;

  g_assert_true (g_settings_get_boolean (settings, "run-in-background"));
  notifications_serve (&notifications);
  g_settings_set_boolean (settings, "notifications", TRUE);
  sign_up_ann (f);
  f->bob = confab_test_user_new (f->server, "bob");
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"display_name\":\"Bob Builder\"}"));

  gtk_window_close (GTK_WINDOW (f->window));
  confab_test_drain (50);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (f->window)));
  g_assert_nonnull (g_list_find (gtk_application_get_windows (GTK_APPLICATION (f->app)),
                                 f->window));
  g_assert_true (client_connected (f->window));

  result = confab_test_client_call_ok (f->bob_ws, "send",
                                       "{\"conv\":\"dm:ann:bob\",\"client_msg_id\":\"b1\","
                                       "\"body\":\"Are you there?\"}");
  /* Told on the desktop, under his display name. */
  g_assert_true (confab_test_wait_until (notification_shown, &notifications,
                                         CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpuint (notifications.shown->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (notifications.shown, 0), ==, "Bob Builder\nAre you there?");
  msg_id = json_object_get_int_member (json_object_get_object_member (result, "msg"), "id");
  g_assert_cmpint (confab_window_get_notified_message (f->window, "dm:ann:bob"), ==, msg_id);

  /* An edit replaces the text shown; a deletion takes the notification back. */
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "edit",
                                                 "{\"msg_id\":%" G_GINT64_FORMAT ","
                                                 "\"body\":\"Still there?\"}", msg_id));
  g_assert_true (confab_test_wait_until (notification_replaced, &notifications,
                                         CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpstr (g_ptr_array_index (notifications.shown, 1), ==, "Bob Builder\nStill there?");
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "delete",
                                                 "{\"msg_id\":%" G_GINT64_FORMAT "}", msg_id));
  g_assert_true (confab_test_wait_until (notification_closed, &notifications,
                                         CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_window_get_notified_message (f->window, "dm:ann:bob"), ==, 0);
  g_assert_cmpuint (notifications.shown->len, ==, 2);

  g_assert_false (g_file_test (autostart, G_FILE_TEST_EXISTS));
  g_settings_set_boolean (settings, "start-at-login", TRUE);
  g_assert_true (g_file_get_contents (autostart, &entry, NULL, NULL));
  g_assert_nonnull (strstr (entry, "Exec=confab --background"));
  g_settings_set_boolean (settings, "start-at-login", FALSE);
  g_assert_false (g_file_test (autostart, G_FILE_TEST_EXISTS));

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  g_assert_true (confab_test_wait_until (no_windows, f->app, CONFAB_TEST_TIMEOUT_MS));
  f->window = NULL;
  g_ptr_array_unref (notifications.shown);
}

static gboolean
two_notifications_or_more (gpointer user_data)
{
  return ((Notifications *) user_data)->shown->len >= 2;
}

/* A room set to "mentions only" in Room Details: Bob's plain line tells Ann nothing, his mention
 * of her is told on the desktop, under the room's name and with his. */
static void
test_room_mention_notification (Fixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  Notifications notifications = { 0 };
  RoomWait team = { f, "Team", NULL };
  g_autofree char *room_id = NULL;
  g_autofree char *params = NULL;
  GtkWindow *dialog;
  guint before;

  notifications_serve (&notifications);
  sign_up_ann (f);
  open_dm_from_bob (f);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"display_name\":\"Bob Builder\"}"));
  g_settings_set_boolean (settings, "notifications", TRUE);

  room_id = bob_call_ok_id (f, "room_create", "{\"name\":\"Team\",\"visibility\":\"private\","
                            "\"members\":[\"ann\"]}");
  g_assert_true (confab_test_wait_until (room_conv_named, &team, CONFAB_TEST_TIMEOUT_MS));
  confab_window_open_conversation (f->window, team.conv);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.room-details", NULL));
  dialog = find_toplevel (CONFAB_TYPE_ROOM_DETAILS);
  g_assert_nonnull (dialog);
  adw_combo_row_set_selected (ADW_COMBO_ROW (template_child (dialog, CONFAB_TYPE_ROOM_DETAILS,
                                                             "notify_row")),
                              CONFAB_ROOM_NOTIFY_MENTIONS);
  gtk_window_destroy (dialog);
  g_assert_cmpint (confab_room_get_notify_level (confab_rooms_lookup (rooms_of (f), room_id)), ==,
                   CONFAB_ROOM_NOTIFY_MENTIONS);
  /* Ann looks at the DM, so the room's lines are news to her. */
  confab_window_open_conversation (f->window, "dm:ann:bob");
  before = notifications.shown->len;
  g_assert_cmpuint (before, ==, 0);

  params = g_strdup_printf ("{\"conv\":\"%s\",\"client_msg_id\":\"t1\","
                            "\"body\":\"Lunch at noon?\"}", team.conv);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "send", "%s", params));
  g_clear_pointer (&params, g_free);
  params = g_strdup_printf ("{\"conv\":\"%s\",\"client_msg_id\":\"t2\","
                            "\"body\":\"@ann can you review the draft?\"}", team.conv);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "send", "%s", params));
  g_assert_true (confab_test_wait_until (notification_shown, &notifications,
                                         CONFAB_TEST_TIMEOUT_MS));
  /* Whatever else might come would have come by now. */
  g_assert_false (confab_test_wait_until (two_notifications_or_more, &notifications, 500));
  g_assert_cmpuint (notifications.shown->len, ==, before + 1);
  g_assert_cmpstr (g_ptr_array_index (notifications.shown, before), ==,
                   "Team\nBob Builder: @ann can you review the draft?");
  g_free (team.conv);
  g_ptr_array_unref (notifications.shown);
}

/* Signs in through the sign-in page as an existing user. */
static void
sign_in_as (Fixture    *f,
            const char *username,
            const char *password)
{
  ConfabSigninPage *page = confab_window_get_signin_page (f->window);

  g_assert_true (wait_page (f, "signin"));
  confab_signin_page_set_server (page, confab_test_server_get_url (f->server));
  confab_signin_page_set_create_account (page, FALSE);
  confab_signin_page_set_username (page, username);
  gtk_editable_set_text (GTK_EDITABLE (gtk_widget_get_template_child (GTK_WIDGET (page),
                                                                      CONFAB_TYPE_SIGNIN_PAGE,
                                                                      "password_row")),
                         password);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "signin.submit", NULL));
  g_assert_true (wait_page (f, "main"));
  g_assert_true (confab_test_wait_until (client_connected, f->window, CONFAB_TEST_TIMEOUT_MS));
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GtkWindow *dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

  return dialog != NULL ? ADW_MESSAGE_DIALOG (dialog) : NULL;
}

static gboolean
has_message_dialog (gpointer user_data)
{
  return find_message_dialog () != NULL;
}

/* How many times bob's history holds @body. */
static guint
bob_history_count (Fixture    *f,
                   const char *body)
{
  g_autoptr(JsonObject) result = confab_test_client_call_ok (f->bob_ws, "history",
                                                             "{\"conv\":\"dm:ann:bob\","
                                                             "\"limit\":200}");
  JsonArray *messages = json_object_get_array_member (result, "messages");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (messages); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (messages, i),
                                                  "body"), body) == 0)
      n++;
  return n;
}

static gboolean
bob_has_kept_message (gpointer user_data)
{
  return bob_history_count (user_data, "written offline") == 1;
}

/* A message written offline survives Sign Out: asked, the user keeps it; signing in as
 * another user does not send it; signing in again as the same user does. */
static void
test_sign_out_keeps_outbox (Fixture *f)
{
  ConfabConversationView *view = confab_window_get_conversation_view (f->window);
  g_autoptr(ConfabTestUser) carol = NULL;
  AdwMessageDialog *dialog;

  sign_up_ann (f);
  open_dm_from_bob (f);
  carol = confab_test_user_new (f->server, "carol");

  confab_test_server_stop (f->server);
  g_assert_true (confab_test_wait_until (client_not_connected, f->window,
                                         CONFAB_TEST_TIMEOUT_MS));
  confab_conversation_view_set_draft (view, "written offline");
  confab_conversation_view_send (view);
  confab_test_drain (50);

  g_action_group_activate_action (G_ACTION_GROUP (f->app), "sign-out", NULL);
  g_assert_true (confab_test_wait_until (has_message_dialog, NULL, CONFAB_TEST_TIMEOUT_MS));
  dialog = find_message_dialog ();
  g_assert_cmpstr (confab_window_get_page (f->window), ==, "main");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "1 message"));
  /* As its button does: the response, then the dialog closes. */
  adw_message_dialog_response (dialog, "keep");
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_true (wait_page (f, "signin"));

  confab_test_server_start (f->server);
  confab_test_client_free (f->bob_ws);
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);

  /* Carol's session has its own outbox: ann's message stays unsent. */
  sign_in_as (f, "carol", carol->password);
  confab_test_drain (500);
  g_assert_cmpuint (bob_history_count (f, "written offline"), ==, 0);
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "sign-out", NULL);
  g_assert_true (wait_page (f, "signin"));
  g_assert_null (find_message_dialog ());

  sign_in_as (f, "ann", "correct horse battery");
  g_assert_true (confab_test_wait_until (bob_has_kept_message, f, CONFAB_TEST_TIMEOUT_MS));
}

static GtkWidget *
window_child (Fixture    *f,
              const char *name)
{
  return template_child (f->window, CONFAB_TYPE_WINDOW, name);
}

static gboolean
banner_retrying (gpointer user_data)
{
  Fixture *f = user_data;
  const char *text = gtk_label_get_text (GTK_LABEL (window_child (f, "connection_banner_label")));

  return gtk_revealer_get_reveal_child (GTK_REVEALER (window_child (f, "connection_banner")))
         && g_str_has_prefix (text, "Offline. Retrying in ")
         && gtk_widget_get_visible (window_child (f, "connection_retry_button"));
}

/* With the server down: a banner counts down to the next attempt and offers to retry now, the
 * own status dot is grey and the call buttons are insensitive; back, all of it is undone. */
static void
test_server_down_banner (Fixture *f)
{
  GtkRevealer *banner;
  GtkWidget *dot;
  GtkWidget *call_button;

  sign_up_ann (f);
  open_dm_from_bob (f);
  banner = GTK_REVEALER (window_child (f, "connection_banner"));
  dot = window_child (f, "self_presence_dot");
  call_button = window_child (f, "audio_call_button");
  g_assert_false (gtk_revealer_get_reveal_child (banner));
  g_assert_false (gtk_widget_has_css_class (dot, "offline"));
  g_assert_true (gtk_widget_get_sensitive (call_button)
                 && gtk_widget_is_sensitive (call_button));

  confab_test_server_stop (f->server);
  g_assert_true (confab_test_wait_until (banner_retrying, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (gtk_widget_has_css_class (dot, "offline"));
  g_assert_false (gtk_widget_is_sensitive (call_button));

  /* Retry connects at once, whatever the backoff has grown to. */
  confab_test_server_start (f->server);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.reconnect", NULL));
  g_assert_true (confab_test_wait_until (client_connected, f->window, CONFAB_TEST_TIMEOUT_MS));
  g_assert_false (gtk_revealer_get_reveal_child (banner));
  g_assert_false (gtk_widget_has_css_class (dot, "offline"));
  g_assert_true (gtk_widget_is_sensitive (call_button));
}

static gboolean
missed_call_shown (gpointer user_data)
{
  Notifications *n = user_data;

  for (guint i = 0; i < n->shown->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (n->shown, i), "Missed Call\n"))
      return TRUE;
  return FALSE;
}

/* Bob calls ann: a call to nobody online ends at once as missed; one that rings, he gives up
 * before she answers. */
static void
bob_calls (Fixture  *f,
           gboolean  rings)
{
  g_autofree char *call_id = g_uuid_string_random ();

  json_object_unref (confab_test_client_call_ok (f->bob_ws, "call_invite",
                                                 "{\"call_id\":\"%s\",\"to\":\"ann\","
                                                 "\"media\":{\"audio\":true}}", call_id));
  if (rings)
    json_object_unref (confab_test_client_call_ok (f->bob_ws, "call_hangup",
                                                   "{\"call_id\":\"%s\"}", call_id));
}

/* A call missed before this device signed in for the first time is history: the conversation
 * shows it, no notification pops up. One missed while signed in is told. */
static void
test_missed_call_history (Fixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(ConfabTestUser) ann = confab_test_user_new (f->server, "ann");
  Notifications notifications = { 0 };

  notifications_serve (&notifications);
  g_settings_set_boolean (settings, "notifications", TRUE);
  f->bob = confab_test_user_new (f->server, "bob");
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);
  bob_calls (f, FALSE);

  /* She signs in and closes the window at once: the replay comes while it is hidden, where
   * anything told would be a desktop notification. */
  {
    ConfabSigninPage *page = confab_window_get_signin_page (f->window);

    confab_signin_page_set_server (page, confab_test_server_get_url (f->server));
    confab_signin_page_set_create_account (page, FALSE);
    confab_signin_page_set_username (page, "ann");
    gtk_editable_set_text (GTK_EDITABLE (template_child (page, CONFAB_TYPE_SIGNIN_PAGE,
                                                         "password_row")), ann->password);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "signin.submit", NULL));
    gtk_window_close (GTK_WINDOW (f->window));
  }
  g_assert_true (confab_test_wait_until (client_connected, f->window, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_test_wait_until (dm_has_unread, f, CONFAB_TEST_TIMEOUT_MS));
  confab_test_drain (500);
  g_assert_cmpuint (notifications.shown->len, ==, 0);

  bob_calls (f, TRUE);
  g_assert_true (confab_test_wait_until (missed_call_shown, &notifications,
                                         CONFAB_TEST_TIMEOUT_MS));
  g_ptr_array_unref (notifications.shown);
}

typedef struct
{
  Notifications *n;
  const char    *text;
} ShownWait;

static gboolean
notification_says (gpointer user_data)
{
  ShownWait *wait = user_data;

  for (guint i = 0; i < wait->n->shown->len; i++)
    if (g_strcmp0 (g_ptr_array_index (wait->n->shown, i), wait->text) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_notification_says (Notifications *n,
                          const char    *text)
{
  ShownWait wait = { n, text };
  g_autoptr(GString) shown = g_string_new (NULL);

  if (confab_test_wait_until (notification_says, &wait, CONFAB_TEST_TIMEOUT_MS))
    return;
  for (guint i = 0; i < n->shown->len; i++)
    g_string_append_printf (shown, "  [%s]\n", (char *) g_ptr_array_index (n->shown, i));
  g_error ("no notification [%s]; shown:\n%s", text, shown->str);
}

/* A call from someone this device has no profile of yet (no conversation with him either):
 * the ringing is told again by his display name once his profile is loaded, and the missed
 * call names him so too. */
static void
test_call_notification_name (Fixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *call_id = g_uuid_string_random ();
  Notifications notifications = { 0 };

  notifications_serve (&notifications);
  g_settings_set_boolean (settings, "notifications", TRUE);
  sign_up_ann (f);
  /* Closed to the background: calls come as desktop notifications. */
  gtk_window_close (GTK_WINDOW (f->window));

  f->bob = confab_test_user_new (f->server, "bob");
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"display_name\":\"Bob Builder\"}"));
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "call_invite",
                                                 "{\"call_id\":\"%s\",\"to\":\"ann\","
                                                 "\"media\":{\"audio\":true}}", call_id));
  assert_notification_says (&notifications, "Incoming Call\nBob Builder is calling you.");

  json_object_unref (confab_test_client_call_ok (f->bob_ws, "call_hangup",
                                                 "{\"call_id\":\"%s\"}", call_id));
  assert_notification_says (&notifications, "Missed Call\nBob Builder tried to call you.");
  g_ptr_array_unref (notifications.shown);
}

typedef void (*CaseFunc) (Fixture *f);

typedef struct
{
  CaseFunc run;
  gboolean needs_no_gpu;
} Case;

static const Case renderer_without_gpu = { test_renderer_without_gpu, TRUE };
static const Case register_and_sign_in = { test_register_and_sign_in, FALSE };
static const Case exchange_and_unread = { test_exchange_and_unread, FALSE };
static const Case outbox_while_offline = { test_outbox_while_offline, FALSE };
static const Case rooms = { test_rooms, FALSE };
static const Case room_mention_notification = { test_room_mention_notification, FALSE };
static const Case close_keeps_running = { test_close_keeps_running, FALSE };
static const Case sign_out_keeps_outbox = { test_sign_out_keeps_outbox, FALSE };
static const Case server_down_banner = { test_server_down_banner, FALSE };
static const Case missed_call_history = { test_missed_call_history, FALSE };
static const Case call_notification_name = { test_call_notification_name, FALSE };

/* In the test process: runs the case in a child process and checks that it passed. In the
 * child: sets up the fixture, runs the case, tears the fixture down. */
static void
run_case (gconstpointer data)
{
  const Case *test_case = data;
  Fixture f = { 0 };

  if (test_case->needs_no_gpu && g_file_test ("/dev/dri", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("this machine may have a GPU");
      return;
    }
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  fixture_set_up (&f);
  test_case->run (&f);
  fixture_tear_down (&f);
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);
  /* As confab's main () does. */
  confab_application_choose_renderer ();
  gtk_init ();
  adw_init ();

  /* Desktop notifications need a notification server on the session bus, which Xvfb runs
   * lack; the notification path is left out here. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);

    g_settings_set_boolean (settings, "notifications", FALSE);
  }

  g_test_add_data_func ("/confab/ui/renderer-without-gpu", &renderer_without_gpu, run_case);
  g_test_add_data_func ("/confab/ui/register-and-sign-in", &register_and_sign_in, run_case);
  g_test_add_data_func ("/confab/ui/exchange-and-unread", &exchange_and_unread, run_case);
  g_test_add_data_func ("/confab/ui/outbox-while-offline", &outbox_while_offline, run_case);
  g_test_add_data_func ("/confab/ui/rooms", &rooms, run_case);
  g_test_add_data_func ("/confab/ui/room-mention-notification", &room_mention_notification,
                        run_case);
  g_test_add_data_func ("/confab/ui/close-keeps-running", &close_keeps_running, run_case);
  g_test_add_data_func ("/confab/ui/sign-out-keeps-outbox", &sign_out_keeps_outbox, run_case);
  g_test_add_data_func ("/confab/ui/server-down-banner", &server_down_banner, run_case);
  g_test_add_data_func ("/confab/ui/missed-call-history", &missed_call_history, run_case);
  g_test_add_data_func ("/confab/ui/call-notification-name", &call_notification_name,
                        run_case);

  return confab_test_run ();
}
