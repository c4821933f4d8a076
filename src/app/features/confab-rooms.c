/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-rooms"

#include "config.h"

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-feature.h"
#include "confab-frame.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-profiles.h"
#include "confab-room-member.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-session.h"
#include "confab-validate.h"

/* room_list pages while syncing: the most the server gives at once. */
#define ROOM_LIST_PAGE 100

struct _ConfabRooms
{
  ConfabFeature  parent_instance;

  GHashTable    *rooms;        /* room id → ConfabRoom */
  GListStore    *invitations;  /* ConfabRoom, membership "invited" */
  GHashTable    *members;      /* room id → GListStore of ConfabRoomMember */
  GHashTable    *reads;        /* conv → (username → gint64 *msg_id) */
  GHashTable    *counted;      /* conv → gint64 *: messages up to it are in mentions_unread */
  GKeyFile      *settings;     /* [notify] room id = all | mentions | nothing */
  char          *settings_path;
  guint          prune_id;
};

enum {
  SIGNAL_INVITED,
  SIGNAL_SEEN_CHANGED,
  SIGNAL_ROOM_LEFT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabRooms, confab_rooms, CONFAB_TYPE_FEATURE)

static void load_members (ConfabRooms *self, const char *room_id);

/* After the session went, late answers find nothing to update. */
static gboolean
gone (ConfabRooms *self)
{
  return confab_feature_get_session (CONFAB_FEATURE (self)) == NULL || self->rooms == NULL;
}

static const char *
own_username (ConfabRooms *self)
{
  return confab_feature_get_username (CONFAB_FEATURE (self));
}

static ConfabMessaging *
get_messaging (ConfabRooms *self)
{
  return confab_messaging_from_session (confab_feature_get_session (CONFAB_FEATURE (self)));
}

static ConfabConversationList *
get_conversations (ConfabRooms *self)
{
  return confab_messaging_get_conversations (get_messaging (self));
}

static ConfabProfiles *
get_profiles (ConfabRooms *self)
{
  return confab_profiles_from_session (confab_feature_get_session (CONFAB_FEATURE (self)));
}

/* Notification levels ------------------------------------------------------------------------ */

static void
load_settings (ConfabRooms *self)
{
  ConfabCache *cache = confab_feature_get_cache (CONFAB_FEATURE (self));

  if (self->settings != NULL || cache == NULL || confab_cache_get_path (cache) == NULL)
    return;
  self->settings = g_key_file_new ();
  self->settings_path = g_strconcat (confab_cache_get_path (cache), ".rooms.ini", NULL);
  /* A missing or unreadable file leaves every room at "all". */
  g_key_file_load_from_file (self->settings, self->settings_path, G_KEY_FILE_NONE, NULL);
}

static void
settings_saved_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    g_message ("cannot save room settings: %s", error->message);
}

static void
save_settings (ConfabRooms *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length = 0;
  char *data;

  if (self->settings_path == NULL)
    return;
  data = g_key_file_to_data (self->settings, &length, NULL);
  bytes = g_bytes_new_take (data, length);
  file = g_file_new_for_path (self->settings_path);
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL,
                                       settings_saved_cb, NULL);
}

static ConfabRoomNotify
stored_notify_level (ConfabRooms *self,
                     const char  *room_id)
{
  g_autofree char *text = NULL;
  ConfabRoomNotify level = CONFAB_ROOM_NOTIFY_ALL;

  load_settings (self);
  if (self->settings != NULL)
    text = g_key_file_get_string (self->settings, "notify", room_id, NULL);
  confab_room_notify_from_string (text, &level);
  return level;
}

/* Rooms and their conversations -------------------------------------------------------------- */

/* The kept room for a Room object of the server, updated from it; NULL if it is not one. */
static ConfabRoom *
ensure_room (ConfabRooms *self,
             JsonObject  *json)
{
  ConfabRoom *room;
  const char *id = json != NULL ? confab_json_get_string (json, "id") : NULL;

  if (id == NULL || gone (self))
    return NULL;
  room = g_hash_table_lookup (self->rooms, id);
  if (room != NULL)
    {
      confab_room_update_from_json (room, json);
      return room;
    }
  room = confab_room_new_from_json (json);
  if (room == NULL)
    return NULL;
  confab_room_set_notify_level (room, stored_notify_level (self, id));
  g_hash_table_insert (self->rooms, g_strdup (id), room);
  return room;
}

static gboolean
find_room (GListStore *store,
           ConfabRoom *room,
           guint      *position)
{
  return g_list_store_find (store, room, position);
}

static void
remove_invitation (ConfabRooms *self,
                   ConfabRoom  *room)
{
  guint position;

  if (self->invitations != NULL && find_room (self->invitations, room, &position))
    g_list_store_remove (self->invitations, position);
}

static void
add_invitation (ConfabRooms *self,
                ConfabRoom  *room,
                const char  *from)
{
  gboolean is_new = !find_room (self->invitations, room, NULL);

  confab_room_set_membership (room, "invited", from != NULL ? from
                                                            : confab_room_get_invited_by (room));
  if (is_new)
    {
      g_list_store_append (self->invitations, room);
      g_signal_emit (self, signals[SIGNAL_INVITED], 0, room);
    }
}

static void
on_conversation_notify_unread (ConfabConversation *conv)
{
  if (confab_conversation_get_unread (conv) == 0)
    confab_conversation_set_mentions_unread (conv, 0);
}

/* The user is in @room: its conversation is in the list and carries it. */
static ConfabConversation *
attach_room (ConfabRooms *self,
             ConfabRoom  *room)
{
  ConfabConversationList *list = get_conversations (self);
  ConfabConversation *item = confab_conversation_list_lookup (list, confab_room_get_conv (room));

  confab_room_set_membership (room, "member", NULL);
  remove_invitation (self, room);
  if (item == NULL)
    {
      g_autoptr(ConfabConversation) fresh = confab_conversation_new (confab_room_get_conv (room),
                                                                     own_username (self));

      if (fresh == NULL)
        return NULL;
      item = confab_conversation_list_add (list, fresh);
    }
  if (confab_conversation_get_room (item) != room)
    {
      if (confab_conversation_get_room (item) == NULL)
        g_signal_connect_object (item, "notify::unread",
                                 G_CALLBACK (on_conversation_notify_unread), NULL, 0);
      confab_conversation_set_room (item, room);
    }
  return item;
}

/* The user left @room, was removed, or declined it. */
static void
detach_room (ConfabRooms *self,
             ConfabRoom  *room,
             const char  *reason)
{
  gboolean was_member = g_strcmp0 (confab_room_get_membership (room), "member") == 0;

  g_object_ref (room);
  remove_invitation (self, room);
  confab_room_set_membership (room, NULL, NULL);
  confab_conversation_list_remove (get_conversations (self), confab_room_get_conv (room));
  g_hash_table_remove (self->members, confab_room_get_id (room));
  g_hash_table_remove (self->reads, confab_room_get_conv (room));
  if (was_member)
    g_signal_emit (self, signals[SIGNAL_ROOM_LEFT], 0, room, reason);
  g_object_unref (room);
}

/* Members -------------------------------------------------------------------------------------- */

static int
role_rank (const char *role)
{
  if (g_strcmp0 (role, "owner") == 0)
    return 0;
  if (g_strcmp0 (role, "admin") == 0)
    return 1;
  return 2;
}

static int
compare_members (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  ConfabRoomMember *ma = (ConfabRoomMember *) a;
  ConfabRoomMember *mb = (ConfabRoomMember *) b;
  int rank = role_rank (confab_room_member_get_role (ma))
             - role_rank (confab_room_member_get_role (mb));

  if (rank != 0)
    return rank;
  return g_utf8_collate (confab_room_member_get_display_name (ma),
                         confab_room_member_get_display_name (mb));
}

static gboolean
find_member (GListModel *members,
             const char *username,
             guint      *position)
{
  for (guint i = 0; members != NULL && i < g_list_model_get_n_items (members); i++)
    {
      g_autoptr(ConfabRoomMember) member = g_list_model_get_item (members, i);

      if (g_strcmp0 (confab_room_member_get_username (member), username) == 0)
        {
          if (position != NULL)
            *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
put_member (ConfabRooms *self,
            GListStore  *store,
            const char  *username,
            const char  *role)
{
  g_autoptr(ConfabRoomMember) member = NULL;
  guint position;

  if (find_member (G_LIST_MODEL (store), username, &position))
    {
      member = g_list_model_get_item (G_LIST_MODEL (store), position);
      if (role == NULL || g_strcmp0 (confab_room_member_get_role (member), role) == 0)
        return;
      /* A new role moves the member among the owners, admins and members. */
      g_list_store_remove (store, position);
      confab_room_member_set_role (member, role);
    }
  else
    {
      member = confab_room_member_new (username, role);
      confab_room_member_set_contact (member, confab_profiles_get_contact (get_profiles (self),
                                                                           username));
    }
  g_list_store_insert_sorted (store, member, compare_members, NULL);
}

static void
apply_presence (ConfabContact *contact,
                JsonNode      *node)
{
  const char *status = NULL, *text = NULL;
  gint64 last_seen = 0;

  if (node == NULL)
    return;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    status = json_node_get_string (node);
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);

      status = confab_json_get_string (obj, "status");
      text = confab_json_get_string (obj, "text");
      confab_json_get_int (obj, "last_seen", &last_seen);
    }
  if (status != NULL)
    confab_contact_set_presence (contact, confab_presence_from_string (status), text,
                                 MAX (last_seen, 0));
}

typedef struct
{
  ConfabRooms *rooms;
  char        *room_id;
} MembersLoad;

static void
members_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  MembersLoad *load = user_data;
  ConfabRooms *self = load->rooms;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  GListStore *store;
  JsonNode *node;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  store = !gone (self) ? g_hash_table_lookup (self->members, load->room_id) : NULL;
  node = reply != NULL ? json_object_get_member (reply, "members") : NULL;
  if (store == NULL || node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("room_members: %s", error->message);
      goto out;
    }

  g_list_store_remove_all (store);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (node), i);
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *user = obj != NULL ? confab_json_get_string (obj, "user") : NULL;

      if (!confab_username_is_valid (user))
        continue;
      put_member (self, store, user, confab_json_get_string (obj, "role"));
      apply_presence (confab_profiles_get_contact (get_profiles (self), user),
                      json_object_get_member (obj, "presence"));
    }

out:
  g_object_unref (load->rooms);
  g_free (load->room_id);
  g_free (load);
}

static void
load_members (ConfabRooms *self,
              const char  *room_id)
{
  g_autoptr(JsonObject) params = json_object_new ();
  MembersLoad *load;

  if (gone (self) || !confab_feature_get_started (CONFAB_FEATURE (self)))
    return;
  load = g_new0 (MembersLoad, 1);
  load->rooms = g_object_ref (self);
  load->room_id = g_strdup (room_id);
  json_object_set_string_member (params, "room", room_id);
  confab_client_request_async (confab_feature_get_client (CONFAB_FEATURE (self)), "room_members",
                               params, confab_feature_get_cancellable (CONFAB_FEATURE (self)),
                               members_cb, load);
}

/* Events -------------------------------------------------------------------------------------- */

static ConfabRoom *
event_room (ConfabRooms *self,
            const char  *name,
            JsonObject  *data,
            const char  *user_member)
{
  ConfabRoom *room = NULL;
  const char *user = user_member != NULL ? confab_json_get_string (data, user_member) : NULL;

  if (user_member == NULL || confab_username_is_valid (user))
    room = ensure_room (self, confab_json_get_object (data, "room"));
  if (room == NULL)
    g_message ("skipping event '%s': missing or mistyped fields", name);
  return room;
}

static void
on_member_joined_event (ConfabClient *client,
                        const char   *name,
                        JsonObject   *data,
                        gint64        seq,
                        ConfabRooms  *self)
{
  ConfabRoom *room = event_room (self, name, data, "user");
  const char *user = confab_json_get_string (data, "user");
  GListStore *store;

  if (room == NULL)
    return;
  if (g_strcmp0 (user, own_username (self)) == 0)
    attach_room (self, room);
  store = g_hash_table_lookup (self->members, confab_room_get_id (room));
  if (store != NULL)
    put_member (self, store, user, NULL);
}

static void
on_member_left_event (ConfabClient *client,
                      const char   *name,
                      JsonObject   *data,
                      gint64        seq,
                      ConfabRooms  *self)
{
  ConfabRoom *room = event_room (self, name, data, "user");
  const char *user = confab_json_get_string (data, "user");
  const char *reason = confab_json_get_string (data, "reason");
  GListStore *store;
  guint position;

  if (room == NULL)
    return;
  if (g_strcmp0 (user, own_username (self)) == 0)
    {
      detach_room (self, room, g_strcmp0 (reason, "kicked") == 0 ? "kicked" : "left");
      return;
    }
  store = g_hash_table_lookup (self->members, confab_room_get_id (room));
  if (store != NULL && find_member (G_LIST_MODEL (store), user, &position))
    g_list_store_remove (store, position);
}

static void
on_room_updated_event (ConfabClient *client,
                       const char   *name,
                       JsonObject   *data,
                       gint64        seq,
                       ConfabRooms  *self)
{
  ConfabRoom *room = event_room (self, name, data, NULL);
  const char *user = confab_json_get_string (data, "user");
  const char *role = confab_json_get_string (data, "role");
  GListStore *store;

  if (room == NULL)
    return;
  store = g_hash_table_lookup (self->members, confab_room_get_id (room));
  if (store != NULL && confab_username_is_valid (user)
      && (role_rank (role) < 2 || g_strcmp0 (role, "member") == 0))
    put_member (self, store, user, role);
}

static void
on_room_invite_event (ConfabClient *client,
                      const char   *name,
                      JsonObject   *data,
                      gint64        seq,
                      ConfabRooms  *self)
{
  ConfabRoom *room = event_room (self, name, data, "from");
  const char *user = confab_json_get_string (data, "user");

  /* Members hear of every invitation too; only one naming the user (or no one) is theirs. */
  if (room == NULL || g_strcmp0 (confab_room_get_membership (room), "member") == 0
      || (user != NULL && g_strcmp0 (user, own_username (self)) != 0))
    return;
  add_invitation (self, room, confab_json_get_string (data, "from"));
}

static void
on_read_event (ConfabClient *client,
               const char   *name,
               JsonObject   *data,
               gint64        seq,
               ConfabRooms  *self)
{
  const char *conv = confab_json_get_string (data, "conv");
  const char *user = confab_json_get_string (data, "user");
  GHashTable *marks;
  gint64 msg_id, *stored;

  /* The messaging feature stores and acks read events; this only remembers who read what. */
  if (confab_conv_parse (conv, NULL, NULL) != CONFAB_CONV_ROOM || !confab_username_is_valid (user)
      || !confab_json_get_int (data, "msg_id", &msg_id) || msg_id <= 0 || gone (self))
    return;
  marks = g_hash_table_lookup (self->reads, conv);
  if (marks == NULL)
    {
      marks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (self->reads, g_strdup (conv), marks);
    }
  stored = g_hash_table_lookup (marks, user);
  if (stored != NULL && *stored >= msg_id)
    return;
  if (stored == NULL)
    {
      stored = g_new (gint64, 1);
      g_hash_table_insert (marks, g_strdup (user), stored);
    }
  *stored = msg_id;
  g_signal_emit (self, signals[SIGNAL_SEEN_CHANGED], 0, conv);
}

static void
on_message_received (ConfabMessaging    *messaging,
                     ConfabConversation *conv,
                     ConfabMessage      *message,
                     ConfabRooms        *self)
{
  gint64 *counted;

  if (conv == NULL || confab_conversation_get_kind (conv) != CONFAB_CONVERSATION_ROOM
      || confab_message_get_id (message) <= confab_conversation_get_last_read (conv)
      || !confab_message_mentions (message, own_username (self)) || gone (self))
    return;
  /* The server's count already holds what it had when it listed the conversations. */
  counted = g_hash_table_lookup (self->counted, confab_conversation_get_conv (conv));
  if (counted != NULL && confab_message_get_id (message) <= *counted)
    return;
  confab_conversation_set_mentions_unread (conv, confab_conversation_get_mentions_unread (conv) + 1);
}

/* The rooms items of the server's conversations answer: the Room objects and mention counts. */
static void
on_conversations_listed (ConfabMessaging *messaging,
                         JsonArray       *items,
                         ConfabRooms     *self)
{
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      ConfabRoom *room;
      ConfabConversation *conv;
      gint64 mentions = 0;

      if (item == NULL || g_strcmp0 (confab_json_get_string (item, "kind"), "room") != 0)
        continue;
      room = ensure_room (self, confab_json_get_object (item, "room"));
      if (room == NULL)
        continue;
      conv = attach_room (self, room);
      if (conv != NULL && confab_json_get_int (item, "mentions_unread", &mentions))
        {
          gint64 *counted = g_new0 (gint64, 1);

          confab_json_get_int (confab_json_get_object (item, "last_msg"), "id", counted);
          g_hash_table_insert (self->counted, g_strdup (confab_conversation_get_conv (conv)),
                               counted);
          confab_conversation_set_mentions_unread (conv, (guint) CLAMP (mentions, 0, G_MAXUINT));
        }
    }
}

/* Sync: room_list, page by page -------------------------------------------------------------- */

typedef struct
{
  ConfabRooms *rooms;
  GHashTable  *seen;    /* room ids listed in this sync */
  guint        offset;
} SyncData;

static void sync_page (SyncData *sync);

static void
sync_data_free (SyncData *sync)
{
  g_object_unref (sync->rooms);
  g_hash_table_unref (sync->seen);
  g_free (sync);
}

/* The listing is complete: rooms and invitations it did not name are gone. */
static void
sync_done (SyncData *sync)
{
  ConfabRooms *self = sync->rooms;
  g_autoptr(GPtrArray) stale = g_ptr_array_new_with_free_func (g_object_unref);
  ConfabConversationList *list = get_conversations (self);
  GHashTableIter iter;
  ConfabRoom *room;
  GListStore *store;
  const char *room_id;

  g_hash_table_iter_init (&iter, self->rooms);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &room))
    if (confab_room_get_membership (room) != NULL
        && !g_hash_table_contains (sync->seen, confab_room_get_id (room)))
      g_ptr_array_add (stale, g_object_ref (room));
  for (guint i = 0; i < stale->len; i++)
    detach_room (self, g_ptr_array_index (stale, i), "left");

  /* Room conversations the cache still had from before a departure while away. */
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (list)); i > 0; i--)
    {
      g_autoptr(ConfabConversation) conv = g_list_model_get_item (G_LIST_MODEL (list), i - 1);
      g_autofree char *id = NULL;

      if (confab_conversation_get_kind (conv) != CONFAB_CONVERSATION_ROOM
          || confab_conversation_get_room (conv) != NULL)
        continue;
      if (confab_conv_parse (confab_conversation_get_conv (conv), &id, NULL) == CONFAB_CONV_ROOM
          && !g_hash_table_contains (sync->seen, id))
        confab_conversation_list_remove (list, confab_conversation_get_conv (conv));
    }

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, (gpointer *) &room_id, (gpointer *) &store))
    load_members (self, room_id);
}

static void
sync_page_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyncData *sync = user_data;
  ConfabRooms *self = sync->rooms;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *node;
  JsonArray *items;
  gint64 total = 0;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  node = reply != NULL ? json_object_get_member (reply, "rooms") : NULL;
  if (gone (self) || node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      /* An unfinished listing removes nothing; the next sync tries again. */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("room_list: %s", error->message);
      sync_data_free (sync);
      return;
    }

  items = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *item = json_array_get_element (items, i);
      JsonObject *obj = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *membership = obj != NULL ? confab_json_get_string (obj, "membership") : NULL;
      ConfabRoom *room;

      if (membership == NULL)
        continue;
      room = ensure_room (self, obj);
      if (room == NULL)
        continue;
      g_hash_table_add (sync->seen, g_strdup (confab_room_get_id (room)));
      if (g_str_equal (membership, "member"))
        attach_room (self, room);
      else if (g_str_equal (membership, "invited"))
        add_invitation (self, room, NULL);
    }

  confab_json_get_int (reply, "total", &total);
  sync->offset += json_array_get_length (items);
  if (json_array_get_length (items) > 0 && sync->offset < total)
    sync_page (sync);
  else
    {
      sync_done (sync);
      sync_data_free (sync);
    }
}

static void
sync_page (SyncData *sync)
{
  g_autoptr(JsonObject) params = json_object_new ();

  json_object_set_int_member (params, "limit", ROOM_LIST_PAGE);
  json_object_set_int_member (params, "offset", sync->offset);
  confab_client_request_async (confab_feature_get_client (CONFAB_FEATURE (sync->rooms)),
                               "room_list", params,
                               confab_feature_get_cancellable (CONFAB_FEATURE (sync->rooms)),
                               sync_page_cb, sync);
}

static void
confab_rooms_synced (ConfabFeature *feature)
{
  ConfabRooms *self = CONFAB_ROOMS (feature);
  SyncData *sync;

  if (gone (self))
    return;
  sync = g_new0 (SyncData, 1);
  sync->rooms = g_object_ref (self);
  sync->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sync_page (sync);
}

/* GObject ------------------------------------------------------------------------------------- */

static void
connect_event (ConfabRooms *self,
               const char  *name,
               GCallback    handler)
{
  g_autofree char *detailed = g_strconcat ("event::", name, NULL);

  /* Not claimed: the session stores and acks these seqs, as rooms keep nothing in the cache. */
  g_signal_connect_object (confab_feature_get_client (CONFAB_FEATURE (self)), detailed, handler,
                           self, 0);
}

static void
confab_rooms_constructed (GObject *object)
{
  ConfabRooms *self = CONFAB_ROOMS (object);

  G_OBJECT_CLASS (confab_rooms_parent_class)->constructed (object);

  connect_event (self, "room_member_joined", G_CALLBACK (on_member_joined_event));
  connect_event (self, "room_member_left", G_CALLBACK (on_member_left_event));
  connect_event (self, "room_updated", G_CALLBACK (on_room_updated_event));
  connect_event (self, "room_invite", G_CALLBACK (on_room_invite_event));
  connect_event (self, "read", G_CALLBACK (on_read_event));
}

/* A room one has left can still send a last line (the system line of one's own departure):
 * the messaging feature then brings its conversation back, and this takes it away again. */
static gboolean
prune_left_rooms (gpointer user_data)
{
  ConfabRooms *self = user_data;
  ConfabConversationList *list;

  self->prune_id = 0;
  if (gone (self))
    return G_SOURCE_REMOVE;
  list = get_conversations (self);
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (list)); i > 0; i--)
    {
      g_autoptr(ConfabConversation) conv = g_list_model_get_item (G_LIST_MODEL (list), i - 1);
      g_autofree char *id = NULL;
      ConfabRoom *room;

      if (confab_conversation_get_kind (conv) != CONFAB_CONVERSATION_ROOM
          || confab_conv_parse (confab_conversation_get_conv (conv), &id, NULL)
          != CONFAB_CONV_ROOM)
        continue;
      room = g_hash_table_lookup (self->rooms, id);
      if (room != NULL && g_strcmp0 (confab_room_get_membership (room), "member") != 0)
        confab_conversation_list_remove (list, confab_conversation_get_conv (conv));
    }
  return G_SOURCE_REMOVE;
}

static void
on_conversations_changed (GListModel  *list,
                          guint        position,
                          guint        removed,
                          guint        added,
                          ConfabRooms *self)
{
  if (added > 0 && self->prune_id == 0)
    self->prune_id = g_idle_add (prune_left_rooms, self);
}

static void
confab_rooms_apply (ConfabFeature *feature)
{
  ConfabRooms *self = CONFAB_ROOMS (feature);
  ConfabMessaging *messaging = get_messaging (self);

  /* Messaging is added before rooms, so it exists by now. */
  g_signal_connect_object (messaging, "message-received", G_CALLBACK (on_message_received), self,
                           0);
  g_signal_connect_object (messaging, "conversations-listed",
                           G_CALLBACK (on_conversations_listed), self, 0);
  g_signal_connect_object (get_conversations (self), "items-changed",
                           G_CALLBACK (on_conversations_changed), self, 0);
}

static void
confab_rooms_dispose (GObject *object)
{
  ConfabRooms *self = CONFAB_ROOMS (object);

  g_clear_handle_id (&self->prune_id, g_source_remove);
  g_clear_pointer (&self->members, g_hash_table_unref);
  g_clear_pointer (&self->reads, g_hash_table_unref);
  g_clear_pointer (&self->counted, g_hash_table_unref);
  g_clear_object (&self->invitations);
  g_clear_pointer (&self->rooms, g_hash_table_unref);
  g_clear_pointer (&self->settings, g_key_file_unref);
  g_clear_pointer (&self->settings_path, g_free);

  G_OBJECT_CLASS (confab_rooms_parent_class)->dispose (object);
}

static void
confab_rooms_class_init (ConfabRoomsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabFeatureClass *feature_class = CONFAB_FEATURE_CLASS (klass);

  object_class->constructed = confab_rooms_constructed;
  object_class->dispose = confab_rooms_dispose;
  feature_class->apply = confab_rooms_apply;
  feature_class->synced = confab_rooms_synced;
  feature_class->resync = confab_rooms_synced;

  signals[SIGNAL_INVITED] =
    g_signal_new ("invited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CONFAB_TYPE_ROOM);
  signals[SIGNAL_SEEN_CHANGED] =
    g_signal_new ("seen-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ROOM_LEFT] =
    g_signal_new ("room-left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, CONFAB_TYPE_ROOM, G_TYPE_STRING);
}

static void
confab_rooms_init (ConfabRooms *self)
{
  self->rooms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->invitations = g_list_store_new (CONFAB_TYPE_ROOM);
  self->members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->reads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_hash_table_unref);
  self->counted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Public API ---------------------------------------------------------------------------------- */

ConfabRooms *
confab_rooms_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_ROOMS, "session", session, NULL);
}

ConfabRooms *
confab_rooms_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_ROOMS);
}

ConfabRoom *
confab_rooms_lookup (ConfabRooms *self,
                     const char  *room_id)
{
  g_return_val_if_fail (CONFAB_IS_ROOMS (self), NULL);

  if (room_id == NULL || self->rooms == NULL)
    return NULL;
  return g_hash_table_lookup (self->rooms, room_id);
}

GListModel *
confab_rooms_get_invitations (ConfabRooms *self)
{
  g_return_val_if_fail (CONFAB_IS_ROOMS (self), NULL);
  return G_LIST_MODEL (self->invitations);
}

GListModel *
confab_rooms_get_members (ConfabRooms *self,
                          const char  *room_id)
{
  GListStore *store;

  g_return_val_if_fail (CONFAB_IS_ROOMS (self), NULL);
  g_return_val_if_fail (room_id != NULL, NULL);

  if (self->members == NULL)
    return NULL;
  store = g_hash_table_lookup (self->members, room_id);
  if (store == NULL)
    {
      store = g_list_store_new (CONFAB_TYPE_ROOM_MEMBER);
      g_hash_table_insert (self->members, g_strdup (room_id), store);
      load_members (self, room_id);
    }
  return G_LIST_MODEL (store);
}

ConfabRoomMember *
confab_rooms_lookup_member (ConfabRooms *self,
                            const char  *room_id,
                            const char  *username)
{
  GListModel *members;
  guint position;
  ConfabRoomMember *member;

  g_return_val_if_fail (CONFAB_IS_ROOMS (self), NULL);

  members = self->members != NULL && room_id != NULL
            ? g_hash_table_lookup (self->members, room_id) : NULL;
  if (!find_member (members, username, &position))
    return NULL;
  member = g_list_model_get_item (members, position);
  g_object_unref (member);   /* the store keeps it */
  return member;
}

gboolean
confab_rooms_should_notify (ConfabRooms        *self,
                            ConfabConversation *conv,
                            ConfabMessage      *message)
{
  ConfabRoom *room;

  g_return_val_if_fail (CONFAB_IS_ROOMS (self), FALSE);
  g_return_val_if_fail (CONFAB_IS_CONVERSATION (conv), FALSE);
  g_return_val_if_fail (CONFAB_IS_MESSAGE (message), FALSE);

  if (g_strcmp0 (confab_message_get_sender (message), own_username (self)) == 0
      || g_strcmp0 (confab_message_get_kind (message), "system") == 0)
    return FALSE;
  if (confab_conversation_get_kind (conv) != CONFAB_CONVERSATION_ROOM)
    return !confab_conversation_get_muted (conv);

  room = confab_conversation_get_room (conv);
  switch (room != NULL ? confab_room_get_notify_level (room) : CONFAB_ROOM_NOTIFY_ALL)
    {
    case CONFAB_ROOM_NOTIFY_NOTHING:
      return FALSE;
    case CONFAB_ROOM_NOTIFY_MENTIONS:
      return confab_message_mentions (message, own_username (self));
    case CONFAB_ROOM_NOTIFY_ALL:
    default:
      return !confab_conversation_get_muted (conv)
             || confab_message_mentions (message, own_username (self));
    }
}

void
confab_rooms_set_notify_level (ConfabRooms      *self,
                               const char       *room_id,
                               ConfabRoomNotify  level)
{
  ConfabRoom *room;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (confab_room_id_is_valid (room_id));

  load_settings (self);
  if (self->settings == NULL)
    return;
  room = confab_rooms_lookup (self, room_id);
  if (room != NULL)
    confab_room_set_notify_level (room, level);
  if (level == CONFAB_ROOM_NOTIFY_ALL)
    g_key_file_remove_key (self->settings, "notify", room_id, NULL);
  else
    g_key_file_set_string (self->settings, "notify", room_id, confab_room_notify_to_string (level));
  save_settings (self);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

GStrv
confab_rooms_dup_seen_by (ConfabRooms *self,
                          const char  *conv,
                          gint64       msg_id,
                          const char  *sender)
{
  g_autoptr(GPtrArray) users = g_ptr_array_new ();
  GHashTable *marks;
  GHashTableIter iter;
  const char *user;
  gint64 *mark;

  g_return_val_if_fail (CONFAB_IS_ROOMS (self), NULL);

  marks = self->reads != NULL && conv != NULL ? g_hash_table_lookup (self->reads, conv) : NULL;
  if (marks != NULL && msg_id > 0)
    {
      g_hash_table_iter_init (&iter, marks);
      while (g_hash_table_iter_next (&iter, (gpointer *) &user, (gpointer *) &mark))
        if (*mark >= msg_id && g_strcmp0 (user, sender) != 0
            && g_strcmp0 (user, own_username (self)) != 0)
          g_ptr_array_add (users, g_strdup (user));
    }
  g_ptr_array_sort (users, compare_strings);
  g_ptr_array_add (users, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&users), FALSE);
}

/* Requests ------------------------------------------------------------------------------------ */

static void
apply_joined (ConfabFeature *feature,
              JsonObject    *params,
              JsonObject    *reply)
{
  ConfabRooms *self = CONFAB_ROOMS (feature);
  ConfabRoom *room = ensure_room (self, confab_json_get_object (reply, "room"));

  if (room != NULL)
    attach_room (self, room);
}

static void
apply_updated (ConfabFeature *feature,
               JsonObject    *params,
               JsonObject    *reply)
{
  ensure_room (CONFAB_ROOMS (feature), confab_json_get_object (reply, "room"));
}

static void
apply_left (ConfabFeature *feature,
            JsonObject    *params,
            JsonObject    *reply)
{
  ConfabRooms *self = CONFAB_ROOMS (feature);
  ConfabRoom *room = confab_rooms_lookup (self, confab_json_get_string (params, "room"));

  if (room != NULL)
    detach_room (self, room, "left");
}

static void
apply_kicked (ConfabFeature *feature,
              JsonObject    *params,
              JsonObject    *reply)
{
  ConfabRooms *self = CONFAB_ROOMS (feature);
  GListStore *store = g_hash_table_lookup (self->members, confab_json_get_string (params, "room"));
  guint position;

  if (store != NULL && find_member (G_LIST_MODEL (store), confab_json_get_string (params, "user"),
                                    &position))
    g_list_store_remove (store, position);
}

static void
apply_role (ConfabFeature *feature,
            JsonObject    *params,
            JsonObject    *reply)
{
  ConfabRooms *self = CONFAB_ROOMS (feature);
  GListStore *store = g_hash_table_lookup (self->members, confab_json_get_string (params, "room"));

  if (store != NULL)
    put_member (self, store, confab_json_get_string (params, "user"),
                confab_json_get_string (params, "role"));
}

static void
room_request (ConfabRooms            *self,
              const char             *type,
              JsonObject             *params,
              ConfabFeatureApplyFunc  apply,
              gpointer                source_tag,
              GCancellable           *cancellable,
              GAsyncReadyCallback     callback,
              gpointer                user_data)
{
  confab_feature_request (CONFAB_FEATURE (self), type, params, apply, source_tag, cancellable,
                          callback, user_data);
}

static JsonObject *
room_params (const char *room_id,
             const char *user)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "room", room_id);
  if (user != NULL)
    json_object_set_string_member (params, "user", user);
  return params;
}

void
confab_rooms_create_async (ConfabRooms         *self,
                           const char          *name,
                           const char          *topic,
                           const char          *visibility,
                           const char * const  *members,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (name != NULL && visibility != NULL);

  json_object_set_string_member (params, "name", name);
  if (topic != NULL && topic[0] != '\0')
    json_object_set_string_member (params, "topic", topic);
  json_object_set_string_member (params, "visibility", visibility);
  if (members != NULL && members[0] != NULL)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; members[i] != NULL; i++)
        json_array_add_string_element (array, members[i]);
      json_object_set_array_member (params, "members", array);
    }
  room_request (self, "room_create", params, apply_joined, confab_rooms_create_async,
                cancellable, callback, user_data);
}

void
confab_rooms_join_async (ConfabRooms         *self,
                         const char          *room_id,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(JsonObject) params = NULL;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (room_id != NULL);

  params = room_params (room_id, NULL);
  room_request (self, "room_join", params, apply_joined, confab_rooms_join_async, cancellable,
                callback, user_data);
}

void
confab_rooms_update_async (ConfabRooms         *self,
                           const char          *room_id,
                           const char          *name,
                           const char          *topic,
                           const char          *visibility,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonObject) params = NULL;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (room_id != NULL);

  params = room_params (room_id, NULL);
  if (name != NULL)
    json_object_set_string_member (params, "name", name);
  if (topic != NULL)
    json_object_set_string_member (params, "topic", topic);
  if (visibility != NULL)
    json_object_set_string_member (params, "visibility", visibility);
  room_request (self, "room_update", params, apply_updated, confab_rooms_update_async,
                cancellable, callback, user_data);
}

ConfabRoom *
confab_rooms_room_finish (ConfabRooms   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;
  ConfabRoom *room;

  g_return_val_if_fail (CONFAB_IS_ROOMS (self), NULL);

  reply = confab_feature_request_reply (CONFAB_FEATURE (self), result, error);
  if (reply == NULL)
    return NULL;
  room = ensure_room (self, confab_json_get_object (reply, "room"));
  if (room == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the answer holds no room");
      return NULL;
    }
  return g_object_ref (room);
}

void
confab_rooms_list_async (ConfabRooms         *self,
                         const char          *query,
                         guint                limit,
                         guint                offset,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_ROOMS (self));

  if (query != NULL && query[0] != '\0')
    json_object_set_string_member (params, "query", query);
  if (limit > 0)
    json_object_set_int_member (params, "limit", limit);
  json_object_set_int_member (params, "offset", offset);
  room_request (self, "room_list", params, NULL, confab_rooms_list_async, cancellable, callback,
                user_data);
}

GListModel *
confab_rooms_list_finish (ConfabRooms   *self,
                          GAsyncResult  *result,
                          guint         *total,
                          GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;
  GListStore *store;
  JsonNode *node;
  gint64 count = 0;

  g_return_val_if_fail (CONFAB_IS_ROOMS (self), NULL);

  reply = confab_feature_request_reply (CONFAB_FEATURE (self), result, error);
  if (reply == NULL)
    return NULL;
  store = g_list_store_new (CONFAB_TYPE_ROOM);
  node = json_object_get_member (reply, "rooms");
  for (guint i = 0; node != NULL && JSON_NODE_HOLDS_ARRAY (node)
       && i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (node), i);
      ConfabRoom *room = JSON_NODE_HOLDS_OBJECT (item)
                         ? ensure_room (self, json_node_get_object (item)) : NULL;

      if (room != NULL)
        g_list_store_append (store, room);
    }
  confab_json_get_int (reply, "total", &count);
  if (total != NULL)
    *total = (guint) CLAMP (count, 0, G_MAXUINT);
  return G_LIST_MODEL (store);
}

void
confab_rooms_invite_async (ConfabRooms         *self,
                           const char          *room_id,
                           const char          *username,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonObject) params = NULL;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (room_id != NULL && username != NULL);

  params = room_params (room_id, username);
  room_request (self, "room_invite", params, NULL, confab_rooms_invite_async, cancellable,
                callback, user_data);
}

void
confab_rooms_leave_async (ConfabRooms         *self,
                          const char          *room_id,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(JsonObject) params = NULL;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (room_id != NULL);

  params = room_params (room_id, NULL);
  room_request (self, "room_leave", params, apply_left, confab_rooms_leave_async, cancellable,
                callback, user_data);
}

void
confab_rooms_decline_async (ConfabRooms         *self,
                            const char          *room_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  ConfabRoom *room;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (room_id != NULL);

  /* Gone from the banner at once, whatever the server answers. */
  room = confab_rooms_lookup (self, room_id);
  if (room != NULL)
    remove_invitation (self, room);
  confab_rooms_leave_async (self, room_id, cancellable, callback, user_data);
}

void
confab_rooms_kick_async (ConfabRooms         *self,
                         const char          *room_id,
                         const char          *username,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(JsonObject) params = NULL;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (room_id != NULL && username != NULL);

  params = room_params (room_id, username);
  room_request (self, "room_kick", params, apply_kicked, confab_rooms_kick_async, cancellable,
                callback, user_data);
}

void
confab_rooms_set_role_async (ConfabRooms         *self,
                             const char          *room_id,
                             const char          *username,
                             const char          *role,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonObject) params = NULL;

  g_return_if_fail (CONFAB_IS_ROOMS (self));
  g_return_if_fail (room_id != NULL && username != NULL && role != NULL);

  params = room_params (room_id, username);
  json_object_set_string_member (params, "role", role);
  room_request (self, "room_set_role", params, apply_role, confab_rooms_set_role_async,
                cancellable, callback, user_data);
}
