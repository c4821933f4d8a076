/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The client's rooms feature against the real confabd: sessions of two and three users create, invite,
 * join, talk, mention, kick and leave, and see each other's changes through the stream. */
#include "config.h"

#include "confab-account.h"
#include "confab-cache.h"
#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-engine-test-util.h"
#include "confab-error.h"
#include "confab-feature.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-room-member.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-session.h"
#include "confab-session-test-util.h"
#include "confab-test-util.h"

#include <string.h>

#define WAIT(result) engine_test_wait_result (&(result), ENGINE_TEST_TIMEOUT_MS)

static ConfabRooms *
rooms_of (ConfabSession *session)
{
  return confab_rooms_from_session (session);
}

static ConfabConversation *
conv_of (ConfabSession *session,
         ConfabRoom    *room)
{
  return confab_conversation_list_lookup (
    confab_messaging_get_conversations (confab_messaging_from_session (session)),
    confab_room_get_conv (room));
}

static ConfabRoom *
create_room (ConfabSession      *session,
             const char         *name,
             const char         *visibility,
             const char * const *members)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  ConfabRoom *room;

  confab_rooms_create_async (rooms_of (session), name, "Plans and drafts", visibility, members,
                             NULL, engine_test_async_cb, &result);
  room = confab_rooms_room_finish (rooms_of (session), WAIT (result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (room);
  return room;
}

typedef struct
{
  ConfabSession *session;
  const char    *room_id;
} RoomWait;

static gboolean
invited (gpointer data)
{
  RoomWait *wait = data;
  ConfabRoom *room = confab_rooms_lookup (rooms_of (wait->session), wait->room_id);

  return room != NULL && g_strcmp0 (confab_room_get_membership (room), "invited") == 0
         && g_list_model_get_n_items (confab_rooms_get_invitations (rooms_of (wait->session)))
         == 1;
}

static gboolean
member (gpointer data)
{
  RoomWait *wait = data;
  ConfabRoom *room = confab_rooms_lookup (rooms_of (wait->session), wait->room_id);

  return room != NULL && g_strcmp0 (confab_room_get_membership (room), "member") == 0
         && conv_of (wait->session, room) != NULL;
}

static gboolean
gone (gpointer data)
{
  RoomWait *wait = data;
  ConfabRoom *room = confab_rooms_lookup (rooms_of (wait->session), wait->room_id);

  return room == NULL || (confab_room_get_membership (room) == NULL
                          && conv_of (wait->session, room) == NULL);
}

static gboolean
mentioned_once (gpointer data)
{
  ConfabConversation *conv = data;

  return confab_conversation_get_mentions_unread (conv) == 1
         && confab_conversation_get_unread (conv) >= 2;
}

static void
send_text (ConfabSession *session,
           const char    *conv,
           const char    *body)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(ConfabMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  confab_messaging_send_message_async (confab_messaging_from_session (session), conv, body,
                                       "plain", 0, NULL, engine_test_async_cb, &result);
  message = confab_messaging_send_message_finish (confab_messaging_from_session (session),
                                                  WAIT (result), &error);
  g_assert_no_error (error);
}

/* Alice makes a private room and invites Bob; Bob sees the invitation, accepts, and then the
 * messages: one mentioning him counts in his mention badge, system lines do not count. */
static void
test_invite_join_mention (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(RunningSession) bob = signed_in_session (server, "bob", "Bob");
  g_autoptr(ConfabRoom) room = create_room (alice, "Launch", "private", NULL);
  g_autoptr(GAsyncResult) invited_result = NULL;
  g_autoptr(GAsyncResult) joined_result = NULL;
  g_autoptr(ConfabRoom) joined = NULL;
  g_autoptr(GError) error = NULL;
  RoomWait bob_wait = { bob, confab_room_get_id (room) };
  ConfabConversation *bob_conv;

  g_assert_false (confab_room_get_public (room));
  g_assert_cmpstr (confab_room_get_membership (room), ==, "member");
  g_assert_nonnull (conv_of (alice, room));

  confab_rooms_invite_async (rooms_of (alice), confab_room_get_id (room), "bob", NULL,
                             engine_test_async_cb, &invited_result);
  g_assert_true (confab_feature_request_finish (CONFAB_FEATURE (rooms_of (alice)),
                                                WAIT (invited_result), &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (invited, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpstr (confab_room_get_invited_by (confab_rooms_lookup (rooms_of (bob),
                                                                    confab_room_get_id (room))),
                   ==, "alice");

  confab_rooms_join_async (rooms_of (bob), confab_room_get_id (room), NULL, engine_test_async_cb,
                           &joined_result);
  joined = confab_rooms_room_finish (rooms_of (bob), WAIT (joined_result), &error);
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (member, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (confab_rooms_get_invitations (rooms_of (bob))), ==,
                    0);

  send_text (alice, confab_room_get_conv (room), "Welcome to the launch room");
  send_text (alice, confab_room_get_conv (room), "@bob can you take the release notes?");
  bob_conv = conv_of (bob, joined);
  g_assert_true (engine_test_wait (mentioned_once, bob_conv, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (confab_conversation_get_unread (bob_conv), ==, 2);
  g_assert_cmpstr (confab_conversation_get_last_message_sender (bob_conv), ==, "alice");
}

/* Alice kicks Bob: his room and conversation go at once; the room-left signal says why. */
static void
test_kick (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(RunningSession) bob = signed_in_session (server, "bob", "Bob");
  const char *members[] = { "bob", NULL };
  g_autoptr(ConfabRoom) room = create_room (alice, "Team", "public", members);
  g_autoptr(GAsyncResult) kicked = NULL;
  g_autoptr(GError) error = NULL;
  RoomWait bob_wait = { bob, confab_room_get_id (room) };

  g_assert_true (engine_test_wait (member, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  confab_rooms_kick_async (rooms_of (alice), confab_room_get_id (room), "bob", NULL,
                           engine_test_async_cb, &kicked);
  g_assert_true (confab_feature_request_finish (CONFAB_FEATURE (rooms_of (alice)), WAIT (kicked),
                                                &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (gone, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
}

/* Browse: a public room is found by its name and joined. */
static void
test_browse_join (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(RunningSession) bob = signed_in_session (server, "bob", "Bob");
  g_autoptr(ConfabRoom) room = create_room (alice, "Gardening club", "public", NULL);
  g_autoptr(ConfabRoom) other = create_room (alice, "Board", "private", NULL);
  g_autoptr(GAsyncResult) listed = NULL;
  g_autoptr(GAsyncResult) joined = NULL;
  g_autoptr(GListModel) rooms = NULL;
  g_autoptr(ConfabRoom) found = NULL;
  g_autoptr(ConfabRoom) member_of = NULL;
  g_autoptr(GError) error = NULL;
  RoomWait bob_wait = { bob, confab_room_get_id (room) };
  guint total = 0;

  confab_rooms_list_async (rooms_of (bob), "garden", 20, 0, NULL, engine_test_async_cb, &listed);
  rooms = confab_rooms_list_finish (rooms_of (bob), WAIT (listed), &total, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (rooms), ==, 1);
  g_assert_cmpuint (total, ==, 1);
  found = g_list_model_get_item (rooms, 0);
  g_assert_cmpstr (confab_room_get_name (found), ==, "Gardening club");
  g_assert_null (confab_room_get_membership (found));
  /* The private room stays unknown to Bob. */
  g_assert_null (confab_rooms_lookup (rooms_of (bob), confab_room_get_id (other)));

  confab_rooms_join_async (rooms_of (bob), confab_room_get_id (found), NULL,
                           engine_test_async_cb, &joined);
  member_of = confab_rooms_room_finish (rooms_of (bob), WAIT (joined), &error);
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (member, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
}

/* Bob is away while Alice makes a room with him in it and mentions him: on his first start the
 * replay brings the room, its messages and the mention. */
static void
test_offline_replay (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(ConfabClient) bob_client = signed_up_client (server, "bob", "Bob");
  g_autoptr(RunningSession) bob = NULL;
  const char *members[] = { "bob", NULL };
  g_autoptr(ConfabRoom) room = create_room (alice, "Night shift", "private", members);
  RoomWait bob_wait = { NULL, confab_room_get_id (room) };

  send_text (alice, confab_room_get_conv (room), "Handover notes are in the wiki");
  send_text (alice, confab_room_get_conv (room), "@bob please confirm when you are in");

  bob = start_session (bob_client);
  bob_wait.session = bob;
  g_assert_true (engine_test_wait (member, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (mentioned_once,
                                   conv_of (bob, confab_rooms_lookup (rooms_of (bob),
                                                                      confab_room_get_id (room))),
                                   ENGINE_TEST_TIMEOUT_MS));
}

static gboolean
no_invitation (gpointer data)
{
  RoomWait *wait = data;
  ConfabRoom *room = confab_rooms_lookup (rooms_of (wait->session), wait->room_id);

  return g_list_model_get_n_items (confab_rooms_get_invitations (rooms_of (wait->session))) == 0
         && (room == NULL || confab_room_get_membership (room) == NULL);
}

typedef struct
{
  GListModel *members;
  const char *user;
  const char *role;
  guint       count;
} MemberWait;

static gboolean
member_has_role (gpointer data)
{
  MemberWait *wait = data;

  if (g_list_model_get_n_items (wait->members) != wait->count)
    return FALSE;
  for (guint i = 0; i < wait->count; i++)
    {
      g_autoptr(ConfabRoomMember) m = g_list_model_get_item (wait->members, i);

      if (g_strcmp0 (confab_room_member_get_username (m), wait->user) == 0)
        return g_strcmp0 (confab_room_member_get_role (m), wait->role) == 0;
    }
  return FALSE;
}

/* Carol declines; Bob is made an admin and both member lists follow; the last owner cannot
 * leave, and says so. */
static void
test_decline_roles_leave (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(RunningSession) alice = signed_in_session (server, "alice", "Alice");
  g_autoptr(RunningSession) bob = signed_in_session (server, "bob", "Bob");
  g_autoptr(RunningSession) carol = signed_in_session (server, "carol", "Carol");
  const char *members[] = { "bob", NULL };
  g_autoptr(ConfabRoom) room = create_room (alice, "Budget", "private", members);
  g_autoptr(GAsyncResult) invited_result = NULL;
  g_autoptr(GAsyncResult) declined = NULL;
  g_autoptr(GAsyncResult) promoted = NULL;
  g_autoptr(GAsyncResult) left = NULL;
  g_autoptr(GError) error = NULL;
  RoomWait carol_wait = { carol, confab_room_get_id (room) };
  RoomWait bob_wait = { bob, confab_room_get_id (room) };
  MemberWait alice_members = { NULL, "bob", "member", 2 };
  MemberWait bob_members = { NULL, "bob", "admin", 2 };

  confab_rooms_invite_async (rooms_of (alice), confab_room_get_id (room), "carol", NULL,
                             engine_test_async_cb, &invited_result);
  g_assert_true (confab_feature_request_finish (CONFAB_FEATURE (rooms_of (alice)),
                                                WAIT (invited_result), &error));
  g_assert_true (engine_test_wait (invited, &carol_wait, ENGINE_TEST_TIMEOUT_MS));
  /* Bob, a member, heard of the invitation too, but it is not his. */
  g_assert_true (engine_test_wait (member, &bob_wait, ENGINE_TEST_TIMEOUT_MS));
  g_assert_cmpuint (g_list_model_get_n_items (confab_rooms_get_invitations (rooms_of (bob))), ==,
                    0);

  confab_rooms_decline_async (rooms_of (carol), confab_room_get_id (room), NULL,
                              engine_test_async_cb, &declined);
  g_assert_true (confab_feature_request_finish (CONFAB_FEATURE (rooms_of (carol)),
                                                WAIT (declined), &error));
  g_assert_no_error (error);
  g_assert_true (engine_test_wait (no_invitation, &carol_wait, ENGINE_TEST_TIMEOUT_MS));

  alice_members.members = confab_rooms_get_members (rooms_of (alice), confab_room_get_id (room));
  bob_members.members = confab_rooms_get_members (rooms_of (bob), confab_room_get_id (room));
  g_assert_true (engine_test_wait (member_has_role, &alice_members, ENGINE_TEST_TIMEOUT_MS));
  confab_rooms_set_role_async (rooms_of (alice), confab_room_get_id (room), "bob", "admin", NULL,
                               engine_test_async_cb, &promoted);
  g_assert_true (confab_feature_request_finish (CONFAB_FEATURE (rooms_of (alice)),
                                                WAIT (promoted), &error));
  g_assert_no_error (error);
  alice_members.role = "admin";
  g_assert_true (engine_test_wait (member_has_role, &alice_members, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (engine_test_wait (member_has_role, &bob_members, ENGINE_TEST_TIMEOUT_MS));
  g_assert_true (confab_room_member_is_admin (
                   confab_rooms_lookup_member (rooms_of (bob), confab_room_get_id (room), "bob")));

  confab_rooms_leave_async (rooms_of (alice), confab_room_get_id (room), NULL,
                            engine_test_async_cb, &left);
  g_assert_false (confab_feature_request_finish (CONFAB_FEATURE (rooms_of (alice)), WAIT (left),
                                                 &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_CONFLICT);
  g_assert_cmpstr (confab_room_get_membership (room), ==, "member");
  g_assert_nonnull (conv_of (alice, room));
}

static gboolean
notify_level_saved (gpointer data)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (data, &text, NULL, NULL) && strstr (text, "=mentions") != NULL;
}

typedef struct
{
  ConfabSession *session;
  const char    *room_id;
} LevelWait;

static gboolean
notify_level_back (gpointer data)
{
  LevelWait *wait = data;
  ConfabRoom *room = confab_rooms_lookup (rooms_of (wait->session), wait->room_id);

  return room != NULL && confab_room_get_notify_level (room) == CONFAB_ROOM_NOTIFY_MENTIONS;
}

/* A room's notification level is kept on the device: the next session of the account finds it
 * again. */
static void
test_notify_level_kept (void)
{
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, NULL);
  g_autoptr(ConfabClient) client = signed_up_client (server, "alice", "Alice");
  g_autoptr(RunningSession) first = start_session (client);
  g_autoptr(RunningSession) second = NULL;
  g_autoptr(ConfabRoom) room = create_room (first, "Standup", "public", NULL);
  g_autofree char *path = g_strconcat (confab_cache_get_path (confab_session_get_cache (first)),
                                       ".rooms.ini", NULL);
  LevelWait wait = { NULL, confab_room_get_id (room) };

  g_assert_cmpint (confab_room_get_notify_level (room), ==, CONFAB_ROOM_NOTIFY_ALL);
  confab_rooms_set_notify_level (rooms_of (first), confab_room_get_id (room),
                                 CONFAB_ROOM_NOTIFY_MENTIONS);
  g_assert_true (engine_test_wait (notify_level_saved, path, ENGINE_TEST_TIMEOUT_MS));
  g_clear_pointer (&first, running_session_free);

  second = start_session (client);
  wait.session = second;
  g_assert_true (engine_test_wait (notify_level_back, &wait, ENGINE_TEST_TIMEOUT_MS));
}

int
main (int    argc,
      char **argv)
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/rooms/invite-join-mention", test_invite_join_mention);
  g_test_add_func ("/confab/rooms/kick", test_kick);
  g_test_add_func ("/confab/rooms/browse-join", test_browse_join);
  g_test_add_func ("/confab/rooms/offline-replay", test_offline_replay);
  g_test_add_func ("/confab/rooms/decline-roles-leave", test_decline_roles_leave);
  g_test_add_func ("/confab/rooms/notify-level-kept", test_notify_level_kept);

  return confab_test_run ();
}
