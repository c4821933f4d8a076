/* SPDX-License-Identifier: GPL-3.0-or-later */
/* People in the client's window under Xvfb against a real confabd: New Conversation finds a
 * colleague in the directory by department and opens the DM; a contact request is accepted from
 * the People view; an announcement arrives, is told and read in its own conversation, and an
 * admin announces from its composer, as does a holder of the broadcast permission; a profile
 * card shows a colleague's local time; away when idle, and back by real input; a message and an
 * announcement reach a real notification server. */
#include "config.h"

#include "confab-announcements-view.h"
#include "confab-announcements.h"
#include "confab-contacts.h"
#include "confab-conversation-view-private.h"
#include "confab-conversation-view.h"
#include "confab-contact.h"
#include "confab-conversation.h"
#include "confab-client.h"
#include "confab-people-view.h"
#include "confab-person-picker.h"
#include "confab-profile-window.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-ui-test-util.h"

#include <string.h>

/* Each case runs in a process of its own with its own server and window (confab_ui_test_add). */

static ConfabSession *
session_of (ConfabUiFixture *f)
{
  return confab_window_get_session (f->window);
}

static GtkListBoxRow *
first_hit (ConfabPersonPicker *picker)
{
  return gtk_list_box_get_row_at_index (confab_person_picker_get_results (picker), 0);
}

static gboolean
has_hit (gpointer user_data)
{
  return first_hit (user_data) != NULL;
}

static gboolean
dm_open (gpointer user_data)
{
  ConfabUiFixture *f = user_data;
  ConfabConversation *conv = confab_conversation_view_get_conversation (
    confab_window_get_conversation_view (f->window));

  return conv != NULL && g_strcmp0 (confab_conversation_get_conv (conv), "dm:ann:bob") == 0;
}

/* Ann types Bob's department into New Conversation: Bob is found with his title and
 * department; picking him opens the DM, and what Ann writes reaches him. */
static void
find_by_department (ConfabUiFixture *f)
{
  ConfabConversationView *view = confab_window_get_conversation_view (f->window);
  g_autoptr(JsonObject) event = NULL;
  ConfabPersonPicker *picker;
  GtkListBoxRow *row;
  JsonObject *msg;

  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"department\":\"Construction\","
                                                 "\"title\":\"Site Manager\"}"));
  confab_ui_fixture_sign_in (f);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.new-conversation",
                                             NULL));
  picker = CONFAB_PERSON_PICKER (confab_ui_find_toplevel (CONFAB_TYPE_PERSON_PICKER));
  g_assert_nonnull (picker);
  gtk_editable_set_text (confab_person_picker_get_entry (picker), "constr");
  g_assert_true (confab_test_wait_until (has_hit, picker, CONFAB_TEST_TIMEOUT_MS));
  row = first_hit (picker);
  g_assert_null (gtk_list_box_get_row_at_index (confab_person_picker_get_results (picker), 1));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Bob Builder");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "Site Manager · Construction");
  g_assert_nonnull (confab_ui_find_widget (GTK_WIDGET (row), ADW_TYPE_AVATAR));

  g_signal_emit_by_name (confab_person_picker_get_results (picker), "row-activated", row);
  g_assert_null (confab_ui_find_toplevel (CONFAB_TYPE_PERSON_PICKER));
  g_assert_true (confab_test_wait_until (dm_open, f, CONFAB_TEST_TIMEOUT_MS));

  confab_conversation_view_set_draft (view, "Hello from the directory");
  confab_conversation_view_send (view);
  event = confab_test_client_wait_event (f->bob_ws, "message", CONFAB_TEST_TIMEOUT_MS);
  msg = json_object_get_object_member (json_object_get_object_member (event, "data"), "msg");
  g_assert_cmpstr (json_object_get_string_member (msg, "body"), ==, "Hello from the directory");
  g_assert_cmpstr (json_object_get_string_member (msg, "from"), ==, "ann");
}

static gboolean
accept_shown (gpointer user_data)
{
  ConfabUiFixture *f = user_data;

  return confab_people_view_get_response_button (
    CONFAB_PEOPLE_VIEW (confab_window_get_people_view (f->window)), "bob", TRUE) != NULL;
}

static gboolean
contact_shown (gpointer user_data)
{
  ConfabUiFixture *f = user_data;

  return confab_people_view_get_contact_row (
    CONFAB_PEOPLE_VIEW (confab_window_get_people_view (f->window)), "bob") != NULL
         && !accept_shown (f);
}

/* Bob asks Ann; the People view shows his request with its message; Accept makes him a
 * contact, listed under Contacts for Ann and told to Bob. */
static void
accept_request (ConfabUiFixture *f)
{
  ConfabPeopleView *people;
  GtkWidget *accept, *row, *group;
  g_autoptr(JsonObject) added = NULL;

  confab_ui_fixture_sign_in (f);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.people", NULL));
  json_object_unref (confab_test_client_call_ok (f->bob_ws, "contact_request",
                                                 "{\"user\":\"ann\","
                                                 "\"message\":\"We build things together\"}"));
  g_assert_true (confab_test_wait_until (accept_shown, f, CONFAB_TEST_TIMEOUT_MS));
  people = CONFAB_PEOPLE_VIEW (confab_window_get_people_view (f->window));
  accept = confab_people_view_get_response_button (people, "bob", TRUE);
  row = gtk_widget_get_ancestor (accept, ADW_TYPE_ACTION_ROW);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "We build things together");
  g_assert_true (gtk_widget_get_mapped (accept));

  g_signal_emit_by_name (accept, "clicked");
  g_assert_true (confab_test_wait_until (contact_shown, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_true (confab_contacts_is_contact (confab_contacts_from_session (session_of (f)),
                                             "bob"));
  row = confab_people_view_get_contact_row (people, "bob");
  group = gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP);
  g_assert_cmpstr (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (group)), ==,
                   "Contacts");
  added = confab_test_client_wait_event (f->bob_ws, "contact_added", CONFAB_TEST_TIMEOUT_MS);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (added, "data"),
                                                  "user"), ==, "ann");
}

/* The server's data changed while it is stopped (there is no admin request for it yet); Bob's
 * raw connection is opened again, Ann's window reconnects by itself. */
static void
change_data (ConfabUiFixture *f,
             const char      *sql)
{
  g_clear_pointer (&f->bob_ws, confab_test_client_free);
  confab_test_server_stop (f->server);
  g_assert_cmpint (confab_test_server_db_exec (f->server, sql), ==, 1);
  confab_test_server_start (f->server);
  f->bob_ws = confab_test_client_new (f->server, f->bob->token, 0);
}

static ConfabAnnouncements *
announcements_of (ConfabUiFixture *f)
{
  return confab_announcements_from_session (session_of (f));
}

static gboolean
announcement_told (gpointer user_data)
{
  ConfabUiFixture *f = user_data;

  return confab_window_get_told_announcement (f->window) > 0;
}

static gboolean
two_announcements (gpointer user_data)
{
  ConfabUiFixture *f = user_data;

  return g_list_model_get_n_items (confab_announcements_get_list (announcements_of (f))) == 2;
}

/* Bob, given the broadcast permission, announces to everyone: Ann is told, the pinned
 * Announcements row counts it, and opening it shows the card and reads it. Ann (the first
 * account, an admin) has a composer and announces to Bob's department. */
static void
announcement (ConfabUiFixture *f)
{
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(JsonObject) event = NULL;
  GtkWidget *content_stack, *page, *entry, *department;
  gint64 id;

  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"department\":\"Construction\"}"));
  change_data (f, "UPDATE users SET permissions = 'broadcast' WHERE username = 'bob'");
  confab_ui_fixture_sign_in (f);

  result = confab_test_client_call_ok (f->bob_ws, "broadcast",
                                       "{\"body\":\"Hard hats on site from Monday.\","
                                       "\"audience\":{\"all\":true}}");
  id = json_object_get_int_member (result, "id");
  g_assert_true (confab_test_wait_until (announcement_told, f, CONFAB_TEST_TIMEOUT_MS));
  g_assert_cmpint (confab_window_get_told_announcement (f->window), ==, id);
  g_assert_cmpuint (confab_announcements_get_unread (announcements_of (f)), ==, 1);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.open-announcements",
                                             NULL));
  content_stack = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window),
                                                             CONFAB_TYPE_WINDOW,
                                                             "content_stack"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (content_stack)), ==,
                   "announcements");
  g_assert_cmpuint (confab_announcements_get_unread (announcements_of (f)), ==, 0);
  page = gtk_stack_get_visible_child (GTK_STACK (content_stack));

  /* The admin's composer, to one department. */
  entry = GTK_WIDGET (gtk_widget_get_template_child (page, CONFAB_TYPE_ANNOUNCEMENTS_VIEW,
                                                     "body_entry"));
  department = GTK_WIDGET (gtk_widget_get_template_child (page, CONFAB_TYPE_ANNOUNCEMENTS_VIEW,
                                                          "department_entry"));
  g_assert_true (gtk_widget_get_mapped (entry));
  gtk_editable_set_text (GTK_EDITABLE (department), "construction");
  gtk_editable_set_text (GTK_EDITABLE (entry), "Site visit on Friday.");
  g_signal_emit_by_name (entry, "activate");
  event = confab_test_client_wait_event (f->bob_ws, "broadcast", CONFAB_TEST_TIMEOUT_MS);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "data"),
                                                  "body"), ==, "Site visit on Friday.");
  g_assert_true (confab_test_wait_until (two_announcements, f, CONFAB_TEST_TIMEOUT_MS));
  /* One's own announcement is neither told nor unread. */
  g_assert_cmpint (confab_window_get_told_announcement (f->window), ==, id);
  g_assert_cmpuint (confab_announcements_get_unread (announcements_of (f)), ==, 0);
}

static GtkWidget *
announcements_page (ConfabUiFixture *f)
{
  GtkWidget *content_stack = GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (f->window),
                                                                        CONFAB_TYPE_WINDOW,
                                                                        "content_stack"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.open-announcements",
                                             NULL));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (content_stack)), ==,
                   "announcements");
  return gtk_stack_get_visible_child (GTK_STACK (content_stack));
}

static gboolean
composer_mapped (gpointer user_data)
{
  return gtk_widget_get_mapped (user_data);
}

static gboolean
composer_hidden_and_connected (gpointer user_data)
{
  ConfabUiFixture *f = user_data;
  GtkWidget *entry = GTK_WIDGET (gtk_widget_get_template_child (announcements_page (f),
                                                                CONFAB_TYPE_ANNOUNCEMENTS_VIEW,
                                                                "body_entry"));

  return !gtk_widget_get_mapped (entry)
         && confab_client_get_state (confab_session_get_client (session_of (f)))
         == CONFAB_CLIENT_STATE_CONNECTED;
}

/* Ann is no admin, but holds the broadcast permission: she has the composer, and what she
 * announces reaches Bob. Once the permission is withdrawn, her next connection has none. */
static void
broadcast_permission (ConfabUiFixture *f)
{
  g_autoptr(JsonObject) event = NULL;
  GtkWidget *page, *entry;

  change_data (f, "UPDATE users SET role = 'user', permissions = 'broadcast'"
               " WHERE username = 'ann'");
  confab_ui_fixture_sign_in (f);

  page = announcements_page (f);
  entry = GTK_WIDGET (gtk_widget_get_template_child (page, CONFAB_TYPE_ANNOUNCEMENTS_VIEW,
                                                     "body_entry"));
  g_assert_true (confab_test_wait_until (composer_mapped, entry, CONFAB_TEST_TIMEOUT_MS));
  gtk_editable_set_text (GTK_EDITABLE (entry), "Fire drill at 11.");
  g_signal_emit_by_name (entry, "activate");
  event = confab_test_client_wait_event (f->bob_ws, "broadcast", CONFAB_TEST_TIMEOUT_MS);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "data"),
                                                  "body"), ==, "Fire drill at 11.");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "data"),
                                                  "from"), ==, "ann");

  /* Without the permission: no composer. */
  change_data (f, "UPDATE users SET permissions = '' WHERE username = 'ann'");
  g_assert_true (confab_test_wait_until (composer_hidden_and_connected, f,
                                         CONFAB_TEST_TIMEOUT_MS));
  g_assert_false (confab_announcements_can_send (announcements_of (f)));
}

static gboolean
own_timezone_shared (gpointer user_data)
{
  ConfabUiFixture *f = user_data;

  return g_strcmp0 (confab_contact_get_timezone (confab_profiles_get_self_contact (
                                                   confab_profiles_from_session (session_of (f)))),
                    "UTC") == 0;
}

static gboolean
local_time_shown (gpointer user_data)
{
  return confab_profile_window_get_field (user_data, "local-time") != NULL;
}

/* "HH:MM (+3 h)" for Bob, three hours ahead of the test's UTC, at @now. */
static char *
expected_local_time (GDateTime *now)
{
  g_autoptr(GDateTime) there = g_date_time_add_hours (now, 3);

  return g_date_time_format (there, "%H:%M (+3 h)");
}

/* The test runs in UTC. Ann's client gives her profile the system's zone after signing in;
 * Bob, whose zone is three hours east, shows his local time and the difference on his card. */
static void
local_time (ConfabUiFixture *f)
{
  g_autoptr(JsonObject) ann = NULL;
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(GDateTime) after = NULL;
  g_autofree char *early = NULL;
  g_autofree char *late = NULL;
  ConfabProfileWindow *card;
  const char *shown;

  json_object_unref (confab_test_client_call_ok (f->bob_ws, "profile_update",
                                                 "{\"timezone\":\"Etc/GMT-3\"}"));
  confab_ui_fixture_sign_in (f);
  g_assert_true (confab_test_wait_until (own_timezone_shared, f, CONFAB_TEST_TIMEOUT_MS));
  ann = confab_test_client_call_ok (f->bob_ws, "profile_get", "{\"user\":\"ann\"}");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (ann, "user"),
                                                  "timezone"), ==, "UTC");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.profile", "s", "bob"));
  card = CONFAB_PROFILE_WINDOW (confab_ui_find_toplevel (CONFAB_TYPE_PROFILE_WINDOW));
  g_assert_nonnull (card);
  before = g_date_time_new_now_utc ();
  g_assert_true (confab_test_wait_until (local_time_shown, card, CONFAB_TEST_TIMEOUT_MS));
  shown = confab_profile_window_get_field (card, "local-time");
  after = g_date_time_new_now_utc ();
  early = expected_local_time (before);
  late = expected_local_time (after);
  /* The minute may turn while the card loads. */
  if (g_strcmp0 (shown, late) != 0)
    g_assert_cmpstr (shown, ==, early);

  /* One's own card shows the time without a difference. */
  gtk_window_destroy (GTK_WINDOW (card));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "win.profile", "s", "ann"));
  card = CONFAB_PROFILE_WINDOW (confab_ui_find_toplevel (CONFAB_TYPE_PROFILE_WINDOW));
  g_assert_true (confab_test_wait_until (local_time_shown, card, CONFAB_TEST_TIMEOUT_MS));
  g_assert_null (strchr (confab_profile_window_get_field (card, "local-time"), '('));
  gtk_window_destroy (GTK_WINDOW (card));
}

/* Waits until Bob is told that Ann is @status ("online", "away"…) with the status text
 * @text (unless NULL); other presence events before it are dropped. */
static void
wait_presence (ConfabUiFixture *f,
               const char      *status,
               const char      *text)
{
  for (;;)
    {
      g_autoptr(JsonObject) event = confab_test_client_wait_event (f->bob_ws, "presence",
                                                                   CONFAB_TEST_TIMEOUT_MS);
      JsonObject *data = json_object_get_object_member (event, "data");


      if (g_strcmp0 (json_object_get_string_member (data, "user"), "ann") == 0
          && g_strcmp0 (json_object_get_string_member (data, "status"), status) == 0
          && (text == NULL
              || g_strcmp0 (json_object_get_string_member (data, "text"), text) == 0))
        return;
    }
}

/* Ann's status message goes out with her status; left alone past the idle time (a second
 * here) her online status shows as away to Bob, with the same text. */
static void
away_when_idle (ConfabUiFixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  ConfabContact *self;

  g_settings_set_string (settings, "presence-text", "Writing specs");
  g_settings_set_uint (settings, "away-after-seconds", 1);
  confab_ui_fixture_bob_says (f, "Are you there?");
  confab_ui_fixture_sign_in (f);
  wait_presence (f, "away", "Writing specs");
  self = confab_profiles_get_self_contact (confab_profiles_from_session (session_of (f)));
  g_assert_cmpint (confab_contact_get_presence (self), ==, CONFAB_PRESENCE_AWAY);
  g_settings_set_uint (settings, "away-after-seconds", 0);
  wait_presence (f, "online", "Writing specs");
}

/* Idle past the away time, Ann shows as away to Bob; a real key press in her window (through
 * the X server, as a keyboard makes it) brings her back online. */
static void
back_by_input (ConfabUiFixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  ConfabContact *self;

  g_settings_set_uint (settings, "away-after-seconds", 1);
  confab_ui_fixture_bob_says (f, "Still there?");
  confab_ui_fixture_sign_in (f);
  wait_presence (f, "away", NULL);
  self = confab_profiles_get_self_contact (confab_profiles_from_session (session_of (f)));
  g_assert_cmpint (confab_contact_get_presence (self), ==, CONFAB_PRESENCE_AWAY);

  g_assert_true (gtk_window_is_active (GTK_WINDOW (f->window)));
  confab_ui_test_keys ("shift");
  wait_presence (f, "online", NULL);
  g_assert_cmpint (confab_contact_get_presence (self), ==, CONFAB_PRESENCE_ONLINE);
}

/* --- A notification server and what it is asked --------------------------------------------- */

/* Notify calls seen on the session bus, as (summary, body) pairs; filled on GDBus's thread. */
typedef struct
{
  GDBusConnection *bus;
  GMutex           lock;
  GPtrArray       *calls;
  GSubprocess     *daemon;
} NotifyMonitor;

/* A monitor connection may send nothing (the bus would drop it), so everything it is sent is
 * taken here and never reaches GDBus's own handling; replies to its own calls go on. */
static GDBusMessage *
on_monitored (GDBusConnection *connection,
              GDBusMessage    *message,
              gboolean         incoming,
              gpointer         user_data)
{
  NotifyMonitor *monitor = user_data;
  GDBusMessageType type = g_dbus_message_get_message_type (message);
  GVariant *body = g_dbus_message_get_body (message);

  if (!incoming || type == G_DBUS_MESSAGE_TYPE_METHOD_RETURN
      || type == G_DBUS_MESSAGE_TYPE_ERROR)
    return message;
  if (type == G_DBUS_MESSAGE_TYPE_METHOD_CALL
      && g_strcmp0 (g_dbus_message_get_interface (message),
                    "org.freedesktop.Notifications") == 0
      && g_strcmp0 (g_dbus_message_get_member (message), "Notify") == 0
      && body != NULL && g_variant_is_of_type (body, G_VARIANT_TYPE ("(susssasa{sv}i)")))
    {
      const char *summary, *text;

      g_variant_get_child (body, 3, "&s", &summary);
      g_variant_get_child (body, 4, "&s", &text);
      g_mutex_lock (&monitor->lock);
      g_ptr_array_add (monitor->calls, g_strdup_printf ("%s\n%s", summary, text));
      g_mutex_unlock (&monitor->lock);
    }
  g_object_unref (message);
  return NULL;
}

static gboolean
daemon_running (gpointer user_data)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (user_data, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.Notifications"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                       NULL);
  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* Starts GNOME's notification-daemon on the session bus, then watches the bus for Notify. */
static void
notify_monitor_start (NotifyMonitor *monitor)
{
  static const char * const daemons[] = {
    "/usr/lib/notification-daemon/notification-daemon",
    "/usr/libexec/notification-daemon",
  };
  g_autoptr(GDBusConnection) session = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autofree char *address = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  const char *rules[] = {
    "type='method_call',interface='org.freedesktop.Notifications',member='Notify'", NULL
  };
  const char *daemon = NULL;

  if (session == NULL)
    g_error ("no session bus for a notification server (tests/run-with-keyring.sh starts one)");
  for (guint i = 0; i < G_N_ELEMENTS (daemons) && daemon == NULL; i++)
    if (g_file_test (daemons[i], G_FILE_TEST_IS_EXECUTABLE))
      daemon = daemons[i];
  if (daemon == NULL)
    g_error ("no notification server: install notification-daemon (.ci/install-deps)");
  g_assert_false (daemon_running (session));
  monitor->daemon = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                      | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, daemon, NULL);
  g_assert_no_error (error);
  g_assert_true (confab_test_wait_until (daemon_running, session, CONFAB_TEST_TIMEOUT_MS));

  g_mutex_init (&monitor->lock);
  monitor->calls = g_ptr_array_new_with_free_func (g_free);
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  monitor->bus = g_dbus_connection_new_for_address_sync (
    address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
    | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_add_filter (monitor->bus, on_monitored, monitor, NULL);
  reply = g_dbus_connection_call_sync (monitor->bus, "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                       g_variant_new ("(^asu)", rules, 0), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

static void
notify_monitor_stop (NotifyMonitor *monitor)
{
  g_autoptr(GDBusConnection) session = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* The server answers in order: once it answered this, it has answered every Notify before
   * it, and the application is not left waiting for a server that went away. */
  reply = g_dbus_connection_call_sync (session, "org.freedesktop.Notifications",
                                       "/org/freedesktop/Notifications",
                                       "org.freedesktop.Notifications", "GetServerInformation",
                                       NULL, NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  confab_test_drain (200);
  g_dbus_connection_close_sync (monitor->bus, NULL, NULL);
  g_clear_object (&monitor->bus);
  g_subprocess_force_exit (monitor->daemon);
  g_subprocess_wait (monitor->daemon, NULL, NULL);
  g_clear_object (&monitor->daemon);
  g_clear_pointer (&monitor->calls, g_ptr_array_unref);
  g_mutex_clear (&monitor->lock);
}

typedef struct
{
  NotifyMonitor *monitor;
  const char    *expected;
} NotifyWait;

static gboolean
notified (gpointer user_data)
{
  NotifyWait *wait = user_data;
  gboolean found = FALSE;

  g_mutex_lock (&wait->monitor->lock);
  for (guint i = 0; i < wait->monitor->calls->len && !found; i++)
    found = g_str_equal (g_ptr_array_index (wait->monitor->calls, i), wait->expected);
  g_mutex_unlock (&wait->monitor->lock);
  return found;
}

/* With a real notification server on the session bus, a message from Bob and an announcement
 * of his each reach it as a Notify call with their title and text. */
static void
notifications (ConfabUiFixture *f)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  NotifyMonitor monitor = { 0 };
  NotifyWait wait = { &monitor, NULL };

  change_data (f, "UPDATE users SET permissions = 'broadcast' WHERE username = 'bob'");
  notify_monitor_start (&monitor);
  g_settings_set_boolean (settings, "notifications", TRUE);
  confab_ui_fixture_sign_in (f);

  confab_ui_fixture_bob_says (f, "Lunch at one?");
  wait.expected = "Bob Builder\nLunch at one?";
  g_assert_true (confab_test_wait_until (notified, &wait, CONFAB_TEST_TIMEOUT_MS));

  json_object_unref (confab_test_client_call_ok (f->bob_ws, "broadcast",
                                                 "{\"body\":\"The lifts are serviced today.\","
                                                 "\"audience\":{\"all\":true}}"));
  wait.expected = "Announcement from Bob Builder\nThe lifts are serviced today.";
  g_assert_true (confab_test_wait_until (notified, &wait, CONFAB_TEST_TIMEOUT_MS));
  notify_monitor_stop (&monitor);
}

int
main (int   argc,
      char *argv[])
{
  /* The local times on profile cards are checked against UTC. */
  g_setenv ("TZ", "UTC", TRUE);
  confab_ui_test_init (&argc, &argv);

  confab_ui_test_add ("/confab/ui/people/new-conversation-by-department", find_by_department);
  confab_ui_test_add ("/confab/ui/people/accept-request", accept_request);
  confab_ui_test_add ("/confab/ui/people/announcement", announcement);
  confab_ui_test_add ("/confab/ui/people/broadcast-permission", broadcast_permission);
  confab_ui_test_add ("/confab/ui/people/local-time", local_time);
  confab_ui_test_add ("/confab/ui/people/away-when-idle", away_when_idle);
  confab_ui_test_add ("/confab/ui/people/back-by-input", back_by_input);
  confab_ui_test_add ("/confab/ui/people/notifications", notifications);

  return confab_test_run ();
}
