/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client's contacts, directory and announcements features against the real confabd:
 * sessions of several users ask, accept, decline, group, remove and block each other, search the
 * directory and announce, and see each other's changes through the stream, also after being
 * away. */
#include "config.h"

#include "confab-announcements.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-contacts.h"
#include "confab-directory.h"
#include "confab-engine-test-util.h"
#include "confab-error.h"
#include "confab-feature.h"
#include "confab-message.h"
#include "confab-profiles.h"
#include "confab-session-test-util.h"

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)

static ConfabContacts *
contacts_of (ConfabSession *session)
{
  return confab_contacts_from_session (session);
}

static gboolean
in_model (GListModel *model,
          const char *username)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(ConfabContact) contact = g_list_model_get_item (model, i);

      if (g_str_equal (confab_contact_get_username (contact), username))
        return TRUE;
    }
  return FALSE;
}

typedef enum
{
  NOTHING,
  CONTACT,
  PENDING_IN,
  PENDING_OUT,
} Relation;

typedef struct
{
  ConfabSession *session;
  const char    *other;
  Relation       relation;
} RelationWait;

/* @other is in exactly the list of @relation, and in no other. */
static gboolean
has_relation (gpointer data)
{
  RelationWait *wait = data;
  ConfabContacts *contacts = contacts_of (wait->session);

  return confab_contacts_is_loaded (contacts)
         && in_model (confab_contacts_get_contacts (contacts), wait->other)
         == (wait->relation == CONTACT)
         && in_model (confab_contacts_get_pending_in (contacts), wait->other)
         == (wait->relation == PENDING_IN)
         && in_model (confab_contacts_get_pending_out (contacts), wait->other)
         == (wait->relation == PENDING_OUT);
}

static void
assert_relation (ConfabSession *session,
                 const char    *other,
                 Relation       relation)
{
  RelationWait wait = { session, other, relation };

  g_assert_true (engine_test_wait (has_relation, &wait, ENGINE_TEST_TIMEOUT_MS));
}

static gboolean
ask (ConfabSession *session,
     const char    *other,
     const char    *message,
     GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  gboolean added = FALSE;

  confab_contacts_request_async (contacts_of (session), other, message, NULL,
                                 engine_test_async_cb, &result);
  if (!confab_contacts_request_finish (contacts_of (session), WAIT (result), &added, error))
    return FALSE;
  return added;
}

static void
finish_ok (ConfabSession *session,
           GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (confab_feature_request_finish (CONFAB_FEATURE (contacts_of (session)),
                                                WAIT (*result), &error));
  g_assert_no_error (error);
  g_clear_object (result);
}

typedef struct
{
  char  *from;
  char  *message;
  guint  count;
} Received;

static void
on_request_received (ConfabContacts *contacts,
                     const char     *from,
                     const char     *message,
                     Received       *received)
{
  g_free (received->from);
  g_free (received->message);
  received->from = g_strdup (from);
  received->message = g_strdup (message);
  received->count++;
}

static void
received_clear (Received *received)
{
  g_free (received->from);
  g_free (received->message);
}

static gboolean
grouped (gpointer data)
{
  return g_strcmp0 (confab_contacts_get_group (contacts_of (data), "bob"), "Project X") == 0;
}

/* Alice asks Bob with a message; both see the pending request and Bob is told of it; Bob accepts
 * and both become contacts; Alice's group for Bob is hers alone; removing ends it for both. */
static void
test_consent (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(RunningSession) bob = signed_in_session (server, "bob", "Bob");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  Received received = { 0 };
  ConfabContact *contact;

  g_signal_connect (contacts_of (bob), "request-received", G_CALLBACK (on_request_received),
                    &received);
  g_assert_false (ask (alice, "bob", "Hello Bob,\nshall we?", &error));
  g_assert_no_error (error);
  assert_relation (alice, "bob", PENDING_OUT);
  assert_relation (bob, "alice", PENDING_IN);
  g_assert_cmpuint (received.count, ==, 1);
  g_assert_cmpstr (received.from, ==, "alice");
  g_assert_cmpstr (received.message, ==, "Hello Bob,\nshall we?");
  g_assert_cmpstr (confab_contacts_get_request_message (contacts_of (bob), "alice"), ==,
                   "Hello Bob,\nshall we?");
  g_assert_true (confab_contacts_is_pending_in (contacts_of (bob), "alice"));
  g_assert_true (confab_contacts_is_pending_out (contacts_of (alice), "bob"));
  /* The list brings the whole profile along. */
  contact = g_list_model_get_item (confab_contacts_get_pending_in (contacts_of (bob)), 0);
  g_assert_cmpstr (confab_contact_get_display_name (contact), ==, "Alice");
  g_object_unref (contact);

  /* Asking twice is a conflict. */
  g_assert_false (ask (alice, "bob", NULL, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_CONFLICT);
  g_clear_error (&error);

  confab_contacts_respond_async (contacts_of (bob), "alice", TRUE, NULL, engine_test_async_cb,
                                 &result);
  finish_ok (bob, &result);
  assert_relation (bob, "alice", CONTACT);
  assert_relation (alice, "bob", CONTACT);
  g_assert_true (confab_contacts_is_contact (contacts_of (alice), "bob"));
  g_assert_cmpstr (confab_contacts_get_group (contacts_of (alice), "bob"), ==, "");

  confab_contacts_set_group_async (contacts_of (alice), "bob", "Project X", NULL,
                                   engine_test_async_cb, &result);
  finish_ok (alice, &result);
  g_assert_true (engine_test_wait (grouped, alice, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_contacts_get_group (contacts_of (bob), "alice"), ==, "");

  confab_contacts_remove_async (contacts_of (bob), "alice", NULL, engine_test_async_cb, &result);
  finish_ok (bob, &result);
  assert_relation (alice, "bob", NOTHING);
  assert_relation (bob, "alice", NOTHING);
  g_assert_cmpuint (received.count, ==, 1);
  received_clear (&received);
}

/* A decline clears both sides (only the decliner hears of it); two requests that cross make
 * contacts at once; unknown users and oneself are refused. */
static void
test_decline_mutual (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) bob = signed_in_session (server, "bob", "Bob");
  g_autoptr(RunningSession) carol = signed_in_session (server, "carol", "Carol");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (ask (carol, "bob", NULL, &error));
  g_assert_no_error (error);
  assert_relation (bob, "carol", PENDING_IN);
  confab_contacts_respond_async (contacts_of (bob), "carol", FALSE, NULL, engine_test_async_cb,
                                 &result);
  finish_ok (bob, &result);
  assert_relation (bob, "carol", NOTHING);

  /* Carol is not told of the decline; Bob's own request later shows her the truth. */
  g_assert_false (ask (bob, "carol", NULL, &error));
  g_assert_no_error (error);
  assert_relation (carol, "bob", PENDING_IN);
  g_assert_true (ask (carol, "bob", NULL, &error));
  g_assert_no_error (error);
  assert_relation (carol, "bob", CONTACT);
  assert_relation (bob, "carol", CONTACT);

  g_assert_false (ask (bob, "nobody", NULL, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ask (bob, "bob", NULL, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID);
}

/* A block ends a contact; the blocked user's request is refused until the block is lifted. */
static void
test_block (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(RunningSession) bob = signed_in_session (server, "bob", "Bob");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (ask (bob, "alice", NULL, &error));
  g_assert_true (ask (alice, "bob", NULL, &error));
  g_assert_no_error (error);
  assert_relation (bob, "alice", CONTACT);

  confab_contacts_block_async (contacts_of (alice), "bob", TRUE, NULL, engine_test_async_cb,
                               &result);
  finish_ok (alice, &result);
  assert_relation (alice, "bob", NOTHING);
  assert_relation (bob, "alice", NOTHING);
  g_assert_true (confab_contacts_is_blocked (contacts_of (alice), "bob"));
  g_assert_false (confab_contacts_is_blocked (contacts_of (bob), "alice"));
  g_assert_false (ask (bob, "alice", NULL, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  g_clear_error (&error);

  confab_contacts_block_async (contacts_of (alice), "bob", FALSE, NULL, engine_test_async_cb,
                               &result);
  finish_ok (alice, &result);
  g_assert_false (confab_contacts_is_blocked (contacts_of (alice), "bob"));
  g_assert_false (ask (bob, "alice", "Sorry", &error));
  g_assert_no_error (error);
  assert_relation (alice, "bob", PENDING_IN);
}

/* Requests and their answers made while a side is away reach it on its next connection. */
static void
test_offline_replay (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(ConfabClient) bob_client = signed_up_client (server, "bob", "Bob");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  RunningSession *bob = start_session (bob_client);

  running_session_free (bob);
  g_assert_false (ask (alice, "bob", "While you were out", &error));
  g_assert_no_error (error);

  bob = start_session (bob_client);
  assert_relation (bob, "alice", PENDING_IN);
  g_assert_cmpstr (confab_contacts_get_request_message (contacts_of (bob), "alice"), ==,
                   "While you were out");
  confab_contacts_respond_async (contacts_of (bob), "alice", TRUE, NULL, engine_test_async_cb,
                                 &result);
  finish_ok (bob, &result);
  assert_relation (bob, "alice", CONTACT);
  running_session_free (bob);
  assert_relation (alice, "bob", CONTACT);

  confab_contacts_remove_async (contacts_of (alice), "bob", NULL, engine_test_async_cb, &result);
  finish_ok (alice, &result);
  bob = start_session (bob_client);
  assert_relation (bob, "alice", NOTHING);
  running_session_free (bob);
}

static void
set_profile (ConfabSession *session,
             const char    *department,
             const char    *title)
{
  g_autoptr(JsonObject) fields = json_object_new ();
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabProfiles *profiles = confab_profiles_from_session (session);

  json_object_set_string_member (fields, "department", department);
  json_object_set_string_member (fields, "title", title);
  confab_profiles_update_profile_async (profiles, fields, NULL, engine_test_async_cb, &result);
  user = confab_profiles_profile_finish (profiles, WAIT (result), &error);
  g_assert_no_error (error);
}

static GPtrArray *
search (ConfabSession *session,
        const char    *query,
        const char    *department,
        guint          limit,
        guint          offset,
        guint         *total)
{
  ConfabDirectory *directory = confab_directory_from_session (session);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *hits;

  confab_directory_search_async (directory, query, department, NULL, NULL, limit, offset, NULL,
                                 engine_test_async_cb, &result);
  hits = confab_directory_search_finish (directory, WAIT (result), total, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hits);
  return hits;
}

/* The directory by department, by name prefix (accents and Cyrillic too), in pages. */
static void
test_directory (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) ana = signed_in_session (server, "ana", "Ana Fernández");
  g_autoptr(RunningSession) olena = signed_in_session (server, "olena", "Олена Коваленко");
  g_autoptr(RunningSession) piotr = signed_in_session (server, "piotr", "Piotr Kovalski");
  g_autoptr(GPtrArray) sales = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) kova = NULL;
  g_autoptr(GPtrArray) cyrillic = NULL;
  g_autoptr(GPtrArray) bad = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint total = 0;

  set_profile (ana, "Sales", "Account Manager");
  set_profile (olena, "Sales", "Head of Sales");
  set_profile (piotr, "Engineering", "Developer");

  sales = search (piotr, NULL, "sales", 0, 0, &total);
  g_assert_cmpuint (total, ==, 2);
  g_assert_cmpuint (sales->len, ==, 2);
  /* Latin before Cyrillic; each hit carries the profile. */
  g_assert_cmpstr (confab_contact_get_username (g_ptr_array_index (sales, 0)), ==, "ana");
  g_assert_cmpstr (confab_contact_get_title (g_ptr_array_index (sales, 0)), ==,
                   "Account Manager");
  g_assert_cmpstr (confab_contact_get_department (g_ptr_array_index (sales, 1)), ==, "Sales");

  page = search (piotr, NULL, "Sales", 1, 1, &total);
  g_assert_cmpuint (total, ==, 2);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (confab_contact_get_username (g_ptr_array_index (page, 0)), ==, "olena");

  kova = search (ana, "fernandez", NULL, 0, 0, &total);
  g_assert_cmpuint (total, ==, 1);
  g_assert_cmpstr (confab_contact_get_display_name (g_ptr_array_index (kova, 0)), ==,
                   "Ana Fernández");
  cyrillic = search (ana, "КОВА", NULL, 0, 0, &total);
  g_assert_cmpuint (total, ==, 1);
  g_assert_cmpstr (confab_contact_get_username (g_ptr_array_index (cyrillic, 0)), ==, "olena");

  /* Out of range: the server's bad_request. */
  confab_directory_search_async (confab_directory_from_session (ana), "a", NULL, NULL, NULL,
                                 10000, 0, NULL, engine_test_async_cb, &result);
  bad = confab_directory_search_finish (confab_directory_from_session (ana), WAIT (result), NULL,
                                        &error);
  g_assert_null (bad);
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
}

static gboolean
has_announcements (gpointer data)
{
  ConfabSession *session = data;
  guint *wanted = g_object_get_data (G_OBJECT (session), "wanted");

  return g_list_model_get_n_items (
    confab_announcements_get_list (confab_announcements_from_session (session)))
         == *wanted;
}

static void
assert_announcements (ConfabSession *session,
                      guint          count)
{
  g_object_set_data (G_OBJECT (session), "wanted", &count);
  g_assert_true (engine_test_wait (has_announcements, session, ENGINE_TEST_TIMEOUT_MS));
  g_object_set_data (G_OBJECT (session), "wanted", NULL);
}

static gint64
announce (ConfabSession *session,
          const char    *body,
          const char    *department,
          GError       **error)
{
  ConfabAnnouncements *announcements = confab_announcements_from_session (session);
  g_autoptr(GAsyncResult) result = NULL;

  confab_announcements_send_async (announcements, body, department, NULL, engine_test_async_cb,
                                   &result);
  return confab_announcements_send_finish (announcements, WAIT (result), error);
}

static void
on_announcement (ConfabAnnouncements *announcements,
                 ConfabMessage       *message,
                 guint               *count)
{
  (*count)++;
}

/* The first account (an admin) announces to everyone and to a department; the announcements
 * are kept in the cache, read marks too; someone away gets them on connecting; a non-admin may
 * not announce. */
static void
test_announcements (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) admin = signed_in_session (server, "boss", "The Boss");
  g_autoptr(RunningSession) carol = signed_in_session (server, "carol", "Carol");
  g_autoptr(ConfabClient) bob_client = signed_up_client (server, "bob", "Bob");
  g_autoptr(GError) error = NULL;
  RunningSession *bob = start_session (bob_client);
  ConfabAnnouncements *bobs;
  g_autoptr(ConfabMessage) first = NULL;
  guint told = 0;

  set_profile (carol, "Sales", "Seller");
  g_assert_true (confab_announcements_can_send (confab_announcements_from_session (admin)));
  g_assert_false (confab_announcements_can_send (confab_announcements_from_session (bob)));

  bobs = confab_announcements_from_session (bob);
  g_signal_connect (bobs, "received", G_CALLBACK (on_announcement), &told);
  g_assert_cmpint (announce (admin, "The office is closed on Friday.", NULL, &error), ==, 2);
  g_assert_no_error (error);
  assert_announcements (bob, 1);
  assert_announcements (carol, 1);
  assert_announcements (admin, 1);
  g_assert_cmpuint (told, ==, 1);
  g_assert_cmpuint (confab_announcements_get_unread (bobs), ==, 1);
  first = g_list_model_get_item (confab_announcements_get_list (bobs), 0);
  g_assert_cmpstr (confab_message_get_body (first), ==, "The office is closed on Friday.");
  g_assert_cmpstr (confab_message_get_sender (first), ==, "boss");
  g_assert_cmpstr (confab_message_get_conv (first), ==, CONFAB_ANNOUNCEMENTS_CONV);
  confab_announcements_mark_read (bobs);
  g_assert_cmpuint (confab_announcements_get_unread (bobs), ==, 0);

  g_assert_cmpint (announce (bob, "Me too", NULL, &error), ==, -1);
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_FORBIDDEN);
  g_clear_error (&error);

  /* Bob is away: the department's announcement is not his, the next one to all reaches him
   * on connecting, after the one he read, which the cache kept. */
  running_session_free (bob);
  g_assert_cmpint (announce (admin, "Sales meeting at 3.", "sales", &error), ==, 1);
  g_assert_cmpint (announce (admin, "Fire drill at noon.", NULL, &error), ==, 2);
  g_assert_no_error (error);
  assert_announcements (carol, 3);

  bob = start_session (bob_client);
  bobs = confab_announcements_from_session (bob);
  assert_announcements (bob, 2);
  g_assert_cmpuint (confab_announcements_get_unread (bobs), ==, 1);
  running_session_free (bob);
}

int
main (int    argc,
      char **argv)
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/people/contacts/consent", test_consent);
  g_test_add_func ("/confab/people/contacts/decline-mutual", test_decline_mutual);
  g_test_add_func ("/confab/people/contacts/block", test_block);
  g_test_add_func ("/confab/people/contacts/offline-replay", test_offline_replay);
  g_test_add_func ("/confab/people/directory", test_directory);
  g_test_add_func ("/confab/people/announcements", test_announcements);

  return confab_test_run ();
}
