/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-session"

#include "config.h"

#include "confab-error.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-message-list-private.h"
#include "confab-session.h"
#include "confab-validate.h"

#include <glib/gi18n.h>

/* Re-sent this often while typing, so the peer's 6 s expiry never fires mid-sentence. */
#define TYPING_RESEND_MS (CONFAB_TYPING_EXPIRY_MS * 2 / 3)
/* Without keystrokes for this long, typing stops by itself. */
#define TYPING_IDLE_MS   (CONFAB_TYPING_EXPIRY_MS - 1000)
/* Message ids remembered to drop a message replayed under a new seq. */
#define RECENT_MESSAGE_IDS 2048

typedef struct
{
  gint64 last_sent_us;
  guint  idle_source;
} OwnTyping;

typedef struct
{
  ConfabSession *session;
  char          *conv;
  char          *user;
  guint          source;
} PeerTyping;

struct _ConfabSession
{
  GObject                 parent_instance;

  ConfabClient           *client;
  ConfabCache            *cache;
  char                   *username;
  GCancellable           *cancellable;
  gboolean                started;
  guint                   connect_holds;   /* reasons not to connect yet */
  gint64                  start_seq;

  ConfabConversationList *conversations;
  GHashTable             *message_lists;   /* conv → ConfabMessageList (weak) */
  GHashTable             *contacts;        /* username → ConfabContact */
  GHashTable             *profiles_known;  /* usernames whose User object was seen (set) */
  GHashTable             *profiles_asked;  /* usernames with a profile_get under way (set) */
  guint                   profiles_source;
  GHashTable             *own_typing;      /* conv → OwnTyping */
  GHashTable             *peer_typing;     /* "conv\nuser" → PeerTyping */
  GHashTable             *recent_ids;      /* message ids seen lately */
  GQueue                  recent_order;

  gboolean                flushing;
  gboolean                flush_again;
};

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_UNREAD_COUNT,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE_RECEIVED,
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabSession, confab_session, G_TYPE_OBJECT)

static void flush_outbox (ConfabSession *self);
static void refresh_conversation (ConfabSession *self, const char *conv);
static void want_profiles (ConfabSession *self);

/* Helpers ---------------------------------------------------------------------------------- */

static gint64
obj_int (JsonObject *obj,
         const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return json_node_get_int (node);
}

static gboolean
obj_bool (JsonObject *obj,
          const char *name,
          gboolean   *out)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  *out = json_node_get_boolean (node);
  return TRUE;
}

static ConfabMessageList *
lookup_list (ConfabSession *self,
             const char    *conv)
{
  return conv != NULL ? g_hash_table_lookup (self->message_lists, conv) : NULL;
}

static ConfabConversation *
ensure_conversation (ConfabSession *self,
                     const char    *conv)
{
  ConfabConversation *item = confab_conversation_list_lookup (self->conversations, conv);
  g_autoptr(ConfabConversation) fresh = NULL;

  if (item != NULL)
    return item;
  fresh = confab_conversation_new (conv, self->username);
  if (fresh == NULL)
    return NULL;
  if (confab_conversation_get_peer (fresh) != NULL)
    confab_conversation_set_peer_contact (fresh, confab_session_get_contact (
                                                   self, confab_conversation_get_peer (fresh)));
  return confab_conversation_list_add (self->conversations, fresh);
}

/* Copies what the cache knows about a conversation into the model object. */
static void
apply_conversation (ConfabSession      *self,
                    ConfabConversation *stored)
{
  ConfabConversation *item = ensure_conversation (self, confab_conversation_get_conv (stored));
  ConfabMessageList *list;

  if (item == NULL)
    return;
  /* Rooms have a stored name; a DM's title follows the peer's display name, which the
   * server's title (that same name) stands in for until the profile itself is known. */
  if (confab_conversation_get_kind (stored) == CONFAB_CONVERSATION_ROOM)
    confab_conversation_set_title (item, confab_conversation_get_title (stored));
  else if (confab_conversation_get_peer (item) != NULL
           && !g_hash_table_contains (self->profiles_known, confab_conversation_get_peer (item))
           && g_strcmp0 (confab_conversation_get_title (stored),
                         confab_conversation_get_peer (item)) != 0)
    {
      g_autoptr(JsonObject) user = json_object_new ();

      json_object_set_string_member (user, "username", confab_conversation_get_peer (item));
      json_object_set_string_member (user, "display_name", confab_conversation_get_title (stored));
      confab_contact_update_from_json (confab_conversation_get_peer_contact (item), user);
    }
  confab_conversation_set_last_message (item, confab_conversation_get_last_message_id (stored),
                                        confab_conversation_get_last_message_preview (stored),
                                        confab_conversation_get_last_message_time (stored));
  confab_conversation_set_last_read (item, confab_conversation_get_last_read (stored));
  confab_conversation_set_unread (item, confab_conversation_get_unread (stored));
  confab_conversation_set_peer_read (item, confab_conversation_get_peer_read (stored));
  confab_conversation_set_muted (item, confab_conversation_get_muted (stored));

  list = lookup_list (self, confab_conversation_get_conv (item));
  if (list != NULL)
    confab_message_list_set_peer_read (list, confab_conversation_get_peer_read (item));
}

static void
refresh_conversation_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(ConfabSession) self = user_data;
  g_autoptr(ConfabConversation) stored = NULL;
  g_autoptr(GError) error = NULL;

  stored = confab_cache_load_conversation_finish (CONFAB_CACHE (object), result, &error);
  if (stored != NULL)
    apply_conversation (self, stored);
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("cannot load conversation: %s", error->message);
}

static void
refresh_conversation (ConfabSession *self,
                      const char    *conv)
{
  confab_cache_load_conversation_async (self->cache, conv, self->cancellable,
                                        refresh_conversation_cb, g_object_ref (self));
}

static void
refresh_all_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabSession) self = user_data;
  g_autoptr(GPtrArray) convs = NULL;
  g_autoptr(GError) error = NULL;

  convs = confab_cache_load_conversations_finish (CONFAB_CACHE (object), result, &error);
  for (guint i = 0; convs != NULL && i < convs->len; i++)
    apply_conversation (self, g_ptr_array_index (convs, i));
}

/* Durable events: stored first, then shown, then acked ------------------------------------ */

typedef struct
{
  ConfabSession *session;
  gint64         seq;
  char          *conv;
  char          *user;
  char          *emoji;
  gint64         msg_id;
  gboolean       on;
  JsonObject    *object;
} EventData;

static EventData *
event_data_new (ConfabSession *self,
                gint64         seq)
{
  EventData *data = g_new0 (EventData, 1);

  data->session = g_object_ref (self);
  data->seq = seq;
  return data;
}

static void
event_data_free (EventData *data)
{
  g_object_unref (data->session);
  g_free (data->conv);
  g_free (data->user);
  g_free (data->emoji);
  g_clear_pointer (&data->object, json_object_unref);
  g_free (data);
}

static void
ack (ConfabSession *self,
     gint64         seq)
{
  if (seq > 0)
    confab_client_ack (self->client, seq);
}

static void
message_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EventData *data = user_data;
  ConfabSession *self = data->session;
  g_autoptr(ConfabMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  gboolean is_new = FALSE;

  stored = confab_cache_store_message_finish (CONFAB_CACHE (object), result, &is_new, &error);
  if (stored == NULL)
    {
      /* Not stored: no ack, so the server offers it again on the next hello. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("cannot store message: %s", error ? error->message : "?");
      event_data_free (data);
      return;
    }

  {
    const char *conv = confab_message_get_conv (stored);
    ConfabMessageList *list = lookup_list (self, conv);

    if (list != NULL)
      confab_message_list_add_json (list, data->object);
    ensure_conversation (self, conv);
    refresh_conversation (self, conv);
    if (is_new && g_strcmp0 (confab_message_get_sender (stored), self->username) != 0)
      g_signal_emit (self, signals[SIGNAL_MESSAGE_RECEIVED], 0,
                     confab_conversation_list_lookup (self->conversations, conv), stored);
  }
  ack (self, data->seq);
  event_data_free (data);
}

static void
store_message (ConfabSession *self,
               JsonObject    *msg,
               gint64         seq)
{
  EventData *data = event_data_new (self, seq);

  data->object = json_object_ref (msg);
  confab_cache_store_message_async (self->cache, msg, seq, self->cancellable,
                                    message_stored_cb, data);
}

static gboolean
valid_message (JsonObject *msg)
{
  gint64 id, ts;

  return msg != NULL && confab_json_get_int (msg, "id", &id) && id > 0
         && id <= CONFAB_MAX_SAFE_INTEGER && confab_json_get_int (msg, "ts", &ts)
         && confab_conv_parse (confab_json_get_string (msg, "conv"), NULL, NULL)
            != CONFAB_CONV_INVALID
         && confab_json_get_string (msg, "from") != NULL;
}

/* FALSE if @id was seen lately: the same message again under a new seq. */
static gboolean
remember_message_id (ConfabSession *self,
                     gint64         id)
{
  gint64 *key;

  if (g_hash_table_contains (self->recent_ids, &id))
    return FALSE;
  key = g_new (gint64, 1);
  *key = id;
  g_hash_table_add (self->recent_ids, key);
  g_queue_push_tail (&self->recent_order, key);
  if (self->recent_order.length > RECENT_MESSAGE_IDS)
    g_hash_table_remove (self->recent_ids, g_queue_pop_head (&self->recent_order));
  return TRUE;
}

static void
on_message_event (ConfabClient  *client,
                  const char    *name,
                  JsonObject    *data,
                  gint64         seq,
                  ConfabSession *self)
{
  JsonObject *msg = confab_json_get_object (data, "msg");
  gint64 id = 0;

  if (!valid_message (msg))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  confab_json_get_int (msg, "id", &id);
  if (g_str_equal (name, "message") && !remember_message_id (self, id))
    {
      g_debug ("dropping duplicate message %" G_GINT64_FORMAT, id);
      return;
    }
  store_message (self, msg, seq);
}

static void
deleted_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EventData *data = user_data;
  ConfabMessageList *list;

  if (confab_cache_delete_message_finish (CONFAB_CACHE (object), result, NULL))
    {
      list = lookup_list (data->session, data->conv);
      if (list != NULL)
        confab_message_list_set_deleted (list, data->msg_id);
      refresh_conversation (data->session, data->conv);
      ack (data->session, data->seq);
    }
  event_data_free (data);
}

static void
apply_deleted (ConfabSession *self,
               const char    *conv,
               gint64         msg_id,
               gint64         seq)
{
  EventData *data = event_data_new (self, seq);

  data->conv = g_strdup (conv);
  data->msg_id = msg_id;
  confab_cache_delete_message_async (self->cache, msg_id, seq, self->cancellable,
                                     deleted_stored_cb, data);
}

static void
reaction_stored_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  EventData *data = user_data;
  ConfabMessageList *list;

  if (confab_cache_set_reaction_finish (CONFAB_CACHE (object), result, NULL))
    {
      list = lookup_list (data->session, data->conv);
      if (list != NULL)
        confab_message_list_set_reaction (list, data->msg_id, data->user, data->emoji, data->on);
      ack (data->session, data->seq);
    }
  event_data_free (data);
}

static void
apply_reaction (ConfabSession *self,
                const char    *conv,
                gint64         msg_id,
                const char    *user,
                const char    *emoji,
                gboolean       on,
                gint64         seq)
{
  EventData *data = event_data_new (self, seq);

  data->conv = g_strdup (conv);
  data->msg_id = msg_id;
  data->user = g_strdup (user);
  data->emoji = g_strdup (emoji);
  data->on = on;
  confab_cache_set_reaction_async (self->cache, msg_id, user, emoji, on, seq, self->cancellable,
                                   reaction_stored_cb, data);
}

static void
on_message_deleted_event (ConfabClient  *client,
                          const char    *name,
                          JsonObject    *data,
                          gint64         seq,
                          ConfabSession *self)
{
  const char *conv = confab_json_get_string (data, "conv");
  gint64 msg_id;

  if (conv == NULL || !confab_json_get_int (data, "msg_id", &msg_id) || msg_id <= 0)
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  apply_deleted (self, conv, msg_id, seq);
}

static void
on_reaction_event (ConfabClient  *client,
                   const char    *name,
                   JsonObject    *data,
                   gint64         seq,
                   ConfabSession *self)
{
  const char *conv = confab_json_get_string (data, "conv");
  const char *user = confab_json_get_string (data, "user");
  const char *emoji = confab_json_get_string (data, "emoji");
  gint64 msg_id;
  gboolean on;

  if (conv == NULL || user == NULL || emoji == NULL || emoji[0] == '\0'
      || !confab_json_get_int (data, "msg_id", &msg_id) || !obj_bool (data, "on", &on))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  apply_reaction (self, conv, msg_id, user, emoji, on, seq);
}

static void
read_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  EventData *data = user_data;

  if (confab_cache_set_read_finish (CONFAB_CACHE (object), result, NULL))
    {
      refresh_conversation (data->session, data->conv);
      ack (data->session, data->seq);
    }
  event_data_free (data);
}

static void
apply_read (ConfabSession *self,
            const char    *conv,
            const char    *user,
            gint64         msg_id,
            gint64         seq)
{
  EventData *data = event_data_new (self, seq);

  data->conv = g_strdup (conv);
  confab_cache_set_read_async (self->cache, conv, user, msg_id, seq, self->cancellable,
                               read_stored_cb, data);
}

static void
on_read_event (ConfabClient  *client,
               const char    *name,
               JsonObject    *data,
               gint64         seq,
               ConfabSession *self)
{
  const char *conv = confab_json_get_string (data, "conv");
  const char *user = confab_json_get_string (data, "user");
  gint64 msg_id;

  if (conv == NULL || user == NULL || !confab_json_get_int (data, "msg_id", &msg_id))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  apply_read (self, conv, user, msg_id, seq);
}

static void
user_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  EventData *data = user_data;

  if (confab_cache_store_user_finish (CONFAB_CACHE (object), result, NULL))
    ack (data->session, data->seq);
  event_data_free (data);
}

static void
store_user (ConfabSession *self,
            JsonObject    *user,
            gint64         seq)
{
  EventData *data = event_data_new (self, seq);
  const char *username = confab_json_get_string (user, "username");

  if (username != NULL)
    {
      g_hash_table_add (self->profiles_known, g_strdup (username));
      confab_contact_update_from_json (confab_session_get_contact (self, username), user);
    }
  confab_cache_store_user_async (self->cache, user, seq, self->cancellable, user_stored_cb, data);
}

static void
on_profile_updated_event (ConfabClient  *client,
                          const char    *name,
                          JsonObject    *data,
                          gint64         seq,
                          ConfabSession *self)
{
  JsonObject *user = confab_json_get_object (data, "user");

  if (user == NULL || confab_json_get_string (user, "username") == NULL)
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  store_user (self, user, seq);
}

/* Profiles of people the session shows (DM peers, senders, callers) and has not seen yet:
 * fetched with profile_get, stored in the cache, kept current by profile_updated. */

typedef struct
{
  ConfabSession *session;
  char          *username;
} ProfileData;

static void
profile_got_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ProfileData *data = user_data;
  ConfabSession *self = data->session;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *user;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_hash_table_remove (self->profiles_asked, data->username);
      user = confab_json_get_object (reply, "user");
      if (user != NULL && g_strcmp0 (confab_json_get_string (user, "username"), data->username) == 0)
        store_user (self, user, 0);
      else if (error != NULL && error->domain == CONFAB_PROTOCOL_ERROR
               && error->code == CONFAB_PROTOCOL_ERROR_NOT_FOUND)
        /* Gone for good: shown by username from now on, not asked again. */
        g_hash_table_add (self->profiles_known, g_strdup (data->username));
    }
  g_object_unref (data->session);
  g_free (data->username);
  g_free (data);
}

static gboolean
request_profiles_cb (gpointer user_data)
{
  ConfabSession *self = user_data;
  GHashTableIter iter;
  gpointer key;

  self->profiles_source = 0;
  if (confab_client_get_state (self->client) != CONFAB_CLIENT_STATE_CONNECTED)
    return G_SOURCE_REMOVE;

  g_hash_table_iter_init (&iter, self->contacts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autoptr(JsonObject) params = NULL;
      ProfileData *data;

      if (g_strcmp0 (key, self->username) == 0
          || g_hash_table_contains (self->profiles_known, key)
          || g_hash_table_contains (self->profiles_asked, key))
        continue;
      params = json_object_new ();
      json_object_set_string_member (params, "user", key);
      data = g_new0 (ProfileData, 1);
      data->session = g_object_ref (self);
      data->username = g_strdup (key);
      g_hash_table_add (self->profiles_asked, g_strdup (key));
      confab_client_request_async (self->client, "profile_get", params, self->cancellable,
                                   profile_got_cb, data);
    }
  return G_SOURCE_REMOVE;
}

/* Asks, once the current main loop iteration is done, for every profile still unknown. */
static void
want_profiles (ConfabSession *self)
{
  if (self->profiles_source == 0 && self->started
      && confab_client_get_state (self->client) == CONFAB_CLIENT_STATE_CONNECTED)
    self->profiles_source = g_idle_add (request_profiles_cb, self);
}

static void
seq_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  EventData *data = user_data;

  if (confab_cache_set_last_seq_finish (CONFAB_CACHE (object), result, NULL))
    ack (data->session, data->seq);
  event_data_free (data);
}

static gboolean
is_handled_event (const char *name)
{
  static const char *const handled[] = {
    "message", "message_edited", "message_deleted", "reaction", "read", "typing", "presence",
    "profile_updated", "synced", "resync_required",
  };

  for (guint i = 0; i < G_N_ELEMENTS (handled); i++)
    if (g_str_equal (name, handled[i]))
      return TRUE;
  return FALSE;
}

static void
on_client_event (ConfabClient  *client,
                 const char    *name,
                 JsonObject    *data,
                 gint64         seq,
                 ConfabSession *self)
{
  if (is_handled_event (name))
    return;

  g_signal_emit (self, signals[SIGNAL_EVENT], g_quark_from_string (name), name, data);
  /* Events the session does not keep still move the stored seq, in order with the rest. */
  if (seq > 0)
    confab_cache_set_last_seq_async (self->cache, seq, self->cancellable, seq_stored_cb,
                                     event_data_new (self, seq));
}

/* Ephemeral events ------------------------------------------------------------------------ */

static void
update_typing_text (ConfabSession *self,
                    const char    *conv)
{
  ConfabConversation *item = confab_conversation_list_lookup (self->conversations, conv);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *text = NULL;
  GHashTableIter iter;
  PeerTyping *typing;

  if (item == NULL)
    return;
  g_hash_table_iter_init (&iter, self->peer_typing);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &typing))
    if (g_str_equal (typing->conv, conv))
      g_ptr_array_add (names, (gpointer) confab_contact_get_display_name (
                                confab_session_get_contact (self, typing->user)));

  if (names->len == 1)
    text = g_strdup_printf (_("%s is typing…"), (char *) g_ptr_array_index (names, 0));
  else if (names->len == 2)
    text = g_strdup_printf (_("%s and %s are typing…"), (char *) g_ptr_array_index (names, 0),
                            (char *) g_ptr_array_index (names, 1));
  else if (names->len > 2)
    text = g_strdup (_("Several people are typing…"));
  confab_conversation_set_typing_text (item, text);
}

static void
peer_typing_free (PeerTyping *typing)
{
  g_clear_handle_id (&typing->source, g_source_remove);
  g_free (typing->conv);
  g_free (typing->user);
  g_free (typing);
}

static gboolean
peer_typing_expired_cb (gpointer user_data)
{
  PeerTyping *typing = user_data;
  ConfabSession *self = typing->session;
  g_autofree char *conv = g_strdup (typing->conv);
  g_autofree char *key = g_strdup_printf ("%s\n%s", typing->conv, typing->user);

  typing->source = 0;
  g_hash_table_remove (self->peer_typing, key);
  update_typing_text (self, conv);
  return G_SOURCE_REMOVE;
}

static void
on_typing_event (ConfabClient  *client,
                 const char    *name,
                 JsonObject    *data,
                 gint64         seq,
                 ConfabSession *self)
{
  const char *conv = confab_json_get_string (data, "conv");
  const char *user = confab_json_get_string (data, "user");
  g_autofree char *key = NULL;
  gboolean active;

  if (conv == NULL || user == NULL || !obj_bool (data, "active", &active))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  key = g_strdup_printf ("%s\n%s", conv, user);
  if (g_strcmp0 (user, self->username) == 0)
    return;
  if (active)
    {
      PeerTyping *typing = g_hash_table_lookup (self->peer_typing, key);

      if (typing == NULL)
        {
          typing = g_new0 (PeerTyping, 1);
          typing->session = self;
          typing->conv = g_strdup (conv);
          typing->user = g_strdup (user);
          g_hash_table_insert (self->peer_typing, g_strdup (key), typing);
        }
      g_clear_handle_id (&typing->source, g_source_remove);
      typing->source = g_timeout_add (CONFAB_TYPING_EXPIRY_MS, peer_typing_expired_cb, typing);
    }
  else
    g_hash_table_remove (self->peer_typing, key);
  update_typing_text (self, conv);
}

static void
on_presence_event (ConfabClient  *client,
                   const char    *name,
                   JsonObject    *data,
                   gint64         seq,
                   ConfabSession *self)
{
  const char *user = confab_json_get_string (data, "user");
  const char *status = confab_json_get_string (data, "status");
  gint64 last_seen = 0;

  if (user == NULL || status == NULL)
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  confab_json_get_int (data, "last_seen", &last_seen);
  confab_contact_set_presence (confab_session_get_contact (self, user),
                               confab_presence_from_string (status),
                               confab_json_get_string (data, "text"), last_seen);
}

/* Sync ------------------------------------------------------------------------------------- */

static void
conversations_stored_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(ConfabSession) self = user_data;

  if (confab_cache_store_conversations_finish (CONFAB_CACHE (object), result, NULL))
    confab_cache_load_conversations_async (self->cache, self->cancellable, refresh_all_cb,
                                           g_object_ref (self));
}

static void
conversations_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabSession) self = user_data;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      g_debug ("conversations: %s", error->message);
      return;
    }
  node = json_object_get_member (reply, "conversations");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  confab_cache_store_conversations_async (self->cache, json_node_get_array (node),
                                          self->cancellable, conversations_stored_cb,
                                          g_object_ref (self));
}

static void
request_conversations (ConfabSession *self)
{
  confab_client_request_async (self->client, "conversations", NULL, self->cancellable,
                               conversations_cb, g_object_ref (self));
}

static void
presence_get_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabSession) self = user_data;
  g_autoptr(JsonObject) reply = NULL;
  JsonNode *node;
  JsonArray *array;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, NULL);
  node = reply != NULL ? json_object_get_member (reply, "presence") : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *obj;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      obj = json_node_get_object (item);
      if (confab_json_get_string (obj, "user") == NULL)
        continue;
      confab_contact_set_presence (confab_session_get_contact (self, confab_json_get_string (obj, "user")),
                                   confab_presence_from_string (confab_json_get_string (obj, "status")),
                                   confab_json_get_string (obj, "text"), obj_int (obj, "last_seen"));
    }
}

static void
request_presence (ConfabSession *self)
{
  g_autoptr(JsonObject) params = json_object_new ();
  JsonArray *users = json_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->contacts);
  while (g_hash_table_iter_next (&iter, &key, NULL)
         && json_array_get_length (users) < CONFAB_PRESENCE_GET_MAX_USERS)
    if (g_strcmp0 (key, self->username) != 0)
      json_array_add_string_element (users, key);
  json_object_set_array_member (params, "users", users);
  if (json_array_get_length (users) == 0)
    return;
  confab_client_request_async (self->client, "presence_get", params, self->cancellable,
                               presence_get_cb, g_object_ref (self));
}

static void
on_client_synced (ConfabClient  *client,
                  gint64         last_seq,
                  ConfabSession *self)
{
  request_conversations (self);
  request_presence (self);
  want_profiles (self);
  flush_outbox (self);
}

static void
resync_seq_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  EventData *data = user_data;

  if (confab_cache_set_last_seq_finish (CONFAB_CACHE (object), result, NULL))
    ack (data->session, data->seq);
  event_data_free (data);
}

typedef struct
{
  ConfabSession *session;
  char          *conv;
  JsonArray     *messages;
} CatchUpData;

static void
catch_up_data_free (CatchUpData *data)
{
  g_object_unref (data->session);
  g_free (data->conv);
  g_clear_pointer (&data->messages, json_array_unref);
  g_free (data);
}

static void
catch_up_stored_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CatchUpData *data = user_data;
  ConfabMessageList *list;

  if (confab_cache_store_history_finish (CONFAB_CACHE (object), result, NULL) > 0
      && (list = lookup_list (data->session, data->conv)) != NULL)
    for (guint i = 0; i < json_array_get_length (data->messages); i++)
      {
        JsonNode *node = json_array_get_element (data->messages, i);

        if (JSON_NODE_HOLDS_OBJECT (node))
          confab_message_list_add_json (list, json_node_get_object (node));
      }
  refresh_conversation (data->session, data->conv);
  catch_up_data_free (data);
}

static void
catch_up_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  CatchUpData *data = user_data;
  g_autoptr(JsonObject) reply = NULL;
  JsonNode *node;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, NULL);
  node = reply != NULL ? json_object_get_member (reply, "messages") : NULL;
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      catch_up_data_free (data);
      return;
    }
  data->messages = json_array_ref (json_node_get_array (node));
  confab_cache_store_history_async (data->session->cache, data->messages,
                                    data->session->cancellable, catch_up_stored_cb, data);
}

/* An open conversation gets what was written after its newest message while the events were
 * lost (one history page; older gaps fill in as the user scrolls). */
static void
catch_up (ConfabSession     *self,
          ConfabMessageList *list)
{
  GListModel *model = G_LIST_MODEL (list);
  g_autoptr(JsonObject) params = json_object_new ();
  CatchUpData *data;
  gint64 newest = 0;

  for (guint i = g_list_model_get_n_items (model); i > 0 && newest == 0; i--)
    {
      g_autoptr(ConfabMessage) msg = g_list_model_get_item (model, i - 1);

      newest = confab_message_get_id (msg);
    }
  json_object_set_string_member (params, "conv", confab_message_list_get_conv (list));
  if (newest > 0)
    json_object_set_int_member (params, "after", newest);
  json_object_set_int_member (params, "limit", CONFAB_HISTORY_MAX_LIMIT);
  data = g_new0 (CatchUpData, 1);
  data->session = g_object_ref (self);
  data->conv = g_strdup (confab_message_list_get_conv (list));
  confab_client_request_async (self->client, "history", params, self->cancellable, catch_up_cb,
                               data);
}

static void
on_client_resync_required (ConfabClient  *client,
                           ConfabSession *self)
{
  JsonObject *hello = confab_client_get_hello_result (client);
  gint64 last_seq = obj_int (hello, "last_seq");
  GHashTableIter iter;
  ConfabMessageList *list;

  /* The missed events are gone: reload the state instead, and continue from now on. */
  g_hash_table_remove_all (self->profiles_known);
  want_profiles (self);
  request_conversations (self);
  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &list))
    catch_up (self, list);
  if (last_seq > 0)
    confab_cache_set_last_seq_async (self->cache, last_seq, self->cancellable, resync_seq_cb,
                                     event_data_new (self, last_seq));
  flush_outbox (self);
}

static void
on_client_user_notify (ConfabClient  *client,
                       GParamSpec    *pspec,
                       ConfabSession *self)
{
  JsonObject *user = confab_client_get_user (client);

  if (user != NULL && self->username != NULL)
    confab_contact_update_from_json (confab_session_get_contact (self, self->username), user);
}

/* Outbox ----------------------------------------------------------------------------------- */

static void flush_next (ConfabSession *self, GPtrArray *queue);

typedef struct
{
  ConfabSession *session;
  GPtrArray     *queue;    /* pending ConfabMessages still to send, oldest first */
  ConfabMessage *msg;
} SendData;

static void
send_data_free (SendData *data)
{
  g_object_unref (data->session);
  g_clear_pointer (&data->queue, g_ptr_array_unref);
  g_clear_object (&data->msg);
  g_free (data);
}

static ConfabMessage *
live_pending (ConfabSession *self,
              ConfabMessage *stored)
{
  ConfabMessageList *list = lookup_list (self, confab_message_get_conv (stored));
  ConfabMessage *live = NULL;

  if (list != NULL)
    live = confab_message_list_lookup_pending (list, confab_message_get_client_msg_id (stored));
  return live != NULL ? live : stored;
}

static void
flush_done (ConfabSession *self)
{
  self->flushing = FALSE;
  if (self->flush_again)
    {
      self->flush_again = FALSE;
      flush_outbox (self);
    }
}

static void
sent_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  SendData *data = user_data;
  ConfabSession *self = data->session;
  g_autoptr(ConfabMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) queue = g_steal_pointer (&data->queue);

  stored = confab_cache_store_message_finish (CONFAB_CACHE (object), result, NULL, &error);
  if (stored != NULL)
    {
      const char *conv = confab_message_get_conv (stored);
      ConfabMessageList *list = lookup_list (self, conv);
      JsonObject *json = g_object_get_data (G_OBJECT (data->msg), "confab-sent-json");

      if (list != NULL && json != NULL)
        confab_message_list_add_json (list, json);
      else
        confab_message_set_state (data->msg, CONFAB_MESSAGE_STATE_SENT);
      ensure_conversation (self, conv);
      refresh_conversation (self, conv);
    }
  send_data_free (data);
  flush_next (self, g_steal_pointer (&queue));
}

static void
mark_failed (ConfabSession *self,
             ConfabMessage *msg)
{
  confab_message_set_state (msg, CONFAB_MESSAGE_STATE_FAILED);
  confab_cache_outbox_set_state_async (self->cache, confab_message_get_client_msg_id (msg),
                                       CONFAB_MESSAGE_STATE_FAILED, NULL, NULL, NULL);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendData *data = user_data;
  ConfabSession *self = data->session;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *msg;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      if (error->domain == CONFAB_PROTOCOL_ERROR
          && error->code != CONFAB_PROTOCOL_ERROR_RATE_LIMITED
          && error->code != CONFAB_PROTOCOL_ERROR_UNAVAILABLE
          && error->code != CONFAB_PROTOCOL_ERROR_INTERNAL)
        {
          /* The server refused this message for good; the others still go. */
          g_message ("message refused: %s", error->message);
          mark_failed (self, data->msg);
          flush_next (self, g_steal_pointer (&data->queue));
        }
      else
        {
          /* Offline or busy: keep the order, try everything again after the next sync. */
          g_debug ("outbox paused: %s", error->message);
          flush_done (self);
        }
      send_data_free (data);
      return;
    }

  msg = confab_json_get_object (reply, "msg");
  if (msg == NULL)
    {
      mark_failed (self, data->msg);
      flush_next (self, g_steal_pointer (&data->queue));
      send_data_free (data);
      return;
    }
  g_object_set_data_full (G_OBJECT (data->msg), "confab-sent-json", json_object_ref (msg),
                          (GDestroyNotify) json_object_unref);
  confab_cache_store_message_async (self->cache, msg, 0, self->cancellable, sent_stored_cb,
                                    data);
}

static void
flush_next (ConfabSession *self,
            GPtrArray     *queue)
{
  g_autoptr(GPtrArray) owned = queue;
  g_autoptr(JsonObject) params = NULL;
  SendData *data;
  ConfabMessage *msg = NULL;

  while (owned->len > 0 && msg == NULL)
    {
      ConfabMessage *candidate = live_pending (self, g_ptr_array_index (owned, 0));

      g_object_ref (candidate);
      g_ptr_array_remove_index (owned, 0);
      if (confab_message_get_state (candidate) == CONFAB_MESSAGE_STATE_SENDING)
        msg = candidate;
      else
        g_object_unref (candidate);
    }
  if (msg == NULL)
    {
      flush_done (self);
      return;
    }

  params = json_object_new ();
  json_object_set_string_member (params, "conv", confab_message_get_conv (msg));
  json_object_set_string_member (params, "client_msg_id", confab_message_get_client_msg_id (msg));
  json_object_set_string_member (params, "body", confab_message_get_body (msg));
  json_object_set_string_member (params, "format", confab_message_get_format (msg));
  if (confab_message_get_reply_to (msg) > 0)
    json_object_set_int_member (params, "reply_to", confab_message_get_reply_to (msg));

  data = g_new0 (SendData, 1);
  data->session = g_object_ref (self);
  data->queue = g_steal_pointer (&owned);
  data->msg = msg;
  confab_client_request_async (self->client, "send", params, NULL, send_cb, data);
}

static void
outbox_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabSession) self = user_data;
  g_autoptr(GPtrArray) queue = NULL;
  g_autoptr(GError) error = NULL;

  queue = confab_cache_outbox_list_finish (CONFAB_CACHE (object), result, &error);
  if (queue == NULL)
    {
      flush_done (self);
      return;
    }
  flush_next (self, g_steal_pointer (&queue));
}

/* Sends the outbox in order, one message at a time, while connected. */
static void
flush_outbox (ConfabSession *self)
{
  ConfabClientState state = confab_client_get_state (self->client);

  if (state != CONFAB_CLIENT_STATE_CONNECTED)
    return;
  if (self->flushing)
    {
      self->flush_again = TRUE;
      return;
    }
  self->flushing = TRUE;
  confab_cache_outbox_list_async (self->cache, NULL, self->cancellable, outbox_listed_cb,
                                  g_object_ref (self));
}

/* GObject ---------------------------------------------------------------------------------- */

static void
on_conversations_notify_unread (ConfabSession *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

static void
confab_session_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabSession *self = CONFAB_SESSION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, confab_session_get_unread_count (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_session_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ConfabSession *self = CONFAB_SESSION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_session_constructed (GObject *object)
{
  ConfabSession *self = CONFAB_SESSION (object);
  g_autofree char *path = NULL;

  G_OBJECT_CLASS (confab_session_parent_class)->constructed (object);

  g_assert (self->client != NULL);
  self->username = g_strdup (confab_client_get_username (self->client));
  path = confab_cache_build_path (confab_client_get_server_key (self->client),
                                  self->username != NULL ? self->username : "unknown");
  self->cache = confab_cache_new (path, self->username);

  g_signal_connect_object (self->client, "event::message", G_CALLBACK (on_message_event),
                           self, 0);
  g_signal_connect_object (self->client, "event::message_edited",
                           G_CALLBACK (on_message_event), self, 0);
  g_signal_connect_object (self->client, "event::message_deleted",
                           G_CALLBACK (on_message_deleted_event), self, 0);
  g_signal_connect_object (self->client, "event::reaction", G_CALLBACK (on_reaction_event),
                           self, 0);
  g_signal_connect_object (self->client, "event::read", G_CALLBACK (on_read_event), self, 0);
  g_signal_connect_object (self->client, "event::typing", G_CALLBACK (on_typing_event), self, 0);
  g_signal_connect_object (self->client, "event::presence", G_CALLBACK (on_presence_event),
                           self, 0);
  g_signal_connect_object (self->client, "event::profile_updated",
                           G_CALLBACK (on_profile_updated_event), self, 0);
  g_signal_connect_object (self->client, "event", G_CALLBACK (on_client_event), self, 0);
  g_signal_connect_object (self->client, "synced", G_CALLBACK (on_client_synced), self, 0);
  g_signal_connect_object (self->client, "resync-required",
                           G_CALLBACK (on_client_resync_required), self, 0);
  g_signal_connect_object (self->client, "notify::user", G_CALLBACK (on_client_user_notify),
                           self, 0);
  g_signal_connect_object (self->conversations, "notify::unread-count",
                           G_CALLBACK (on_conversations_notify_unread), self,
                           G_CONNECT_SWAPPED);
}

static void
own_typing_free (OwnTyping *typing)
{
  g_clear_handle_id (&typing->idle_source, g_source_remove);
  g_free (typing);
}

static void
confab_session_dispose (GObject *object)
{
  ConfabSession *self = CONFAB_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->profiles_source, g_source_remove);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      confab_client_stop (self->client);
    }
  g_clear_pointer (&self->own_typing, g_hash_table_unref);
  g_clear_pointer (&self->peer_typing, g_hash_table_unref);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->conversations);

  G_OBJECT_CLASS (confab_session_parent_class)->dispose (object);
}

static void
remove_list_weak (gpointer  data,
                  GObject  *where_the_object_was)
{
  ConfabSession *self = data;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (value == (gpointer) where_the_object_was)
      {
        g_hash_table_iter_remove (&iter);
        break;
      }
}

static void
confab_session_finalize (GObject *object)
{
  ConfabSession *self = CONFAB_SESSION (object);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_object_weak_unref (value, remove_list_weak, self);
  g_hash_table_unref (self->message_lists);
  g_hash_table_unref (self->contacts);
  g_hash_table_unref (self->profiles_known);
  g_hash_table_unref (self->profiles_asked);
  g_queue_clear (&self->recent_order);
  g_hash_table_unref (self->recent_ids);
  g_clear_object (&self->cancellable);
  g_free (self->username);

  G_OBJECT_CLASS (confab_session_parent_class)->finalize (object);
}

static void
confab_session_class_init (ConfabSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_session_get_property;
  object_class->set_property = confab_session_set_property;
  object_class->constructed = confab_session_constructed;
  object_class->dispose = confab_session_dispose;
  object_class->finalize = confab_session_finalize;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CONFAB_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  CONFAB_TYPE_CONVERSATION, CONFAB_TYPE_MESSAGE);
  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
}

static void
confab_session_init (ConfabSession *self)
{
  self->cancellable = g_cancellable_new ();
  self->conversations = confab_conversation_list_new ();
  self->message_lists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->contacts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->profiles_known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->profiles_asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->recent_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_queue_init (&self->recent_order);
  self->own_typing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) own_typing_free);
  self->peer_typing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) peer_typing_free);
}

/* Public API ------------------------------------------------------------------------------- */

ConfabSession *
confab_session_new (ConfabClient *client)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (confab_client_get_username (client) != NULL, NULL);

  return g_object_new (CONFAB_TYPE_SESSION, "client", client, NULL);
}

ConfabClient *
confab_session_get_client (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  return self->client;
}

ConfabCache *
confab_session_get_cache (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  return self->cache;
}

const char *
confab_session_get_username (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  return self->username;
}

/* start: open, conversations, users and last seq, queued on the cache's thread at once and
 * applied when all four have answered, so no step waits for the main loop; then connect. */

typedef struct
{
  guint      pending;
  GError    *error;      /* the first */
  GPtrArray *convs;
  GPtrArray *users;
  gint64     seq;
} StartData;

static void
start_data_free (StartData *data)
{
  g_clear_error (&data->error);
  g_clear_pointer (&data->convs, g_ptr_array_unref);
  g_clear_pointer (&data->users, g_ptr_array_unref);
  g_free (data);
}

static void
start_apply (GTask *task)
{
  ConfabSession *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);

  if (data->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&data->error));
      return;
    }

  for (guint i = 0; i < data->convs->len; i++)
    apply_conversation (self, g_ptr_array_index (data->convs, i));
  for (guint i = 0; data->users != NULL && i < data->users->len; i++)
    {
      JsonObject *user = g_ptr_array_index (data->users, i);
      const char *username = confab_json_get_string (user, "username");

      if (username == NULL)
        continue;
      g_hash_table_add (self->profiles_known, g_strdup (username));
      confab_contact_update_from_json (confab_session_get_contact (self, username), user);
    }

  self->started = TRUE;
  self->start_seq = data->seq;
  on_client_user_notify (self->client, NULL, self);
  if (self->connect_holds == 0)
    confab_client_start (self->client, data->seq);
  g_task_return_boolean (task, TRUE);
}

/* One of the four answered: keep its result (or the first error) and apply after the last. */
static void
start_step_done (GTask  *task,
                 GError *error)
{
  StartData *data = g_task_get_task_data (task);

  if (error != NULL && data->error == NULL)
    data->error = error;
  else if (error != NULL)
    g_error_free (error);

  if (--data->pending == 0)
    start_apply (task);
  g_object_unref (task);
}

static void
start_open_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError *error = NULL;

  confab_cache_open_finish (CONFAB_CACHE (object), result, &error);
  start_step_done (user_data, error);
}

static void
start_conversations_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  StartData *data = g_task_get_task_data (G_TASK (user_data));
  GError *error = NULL;

  data->convs = confab_cache_load_conversations_finish (CONFAB_CACHE (object), result, &error);
  start_step_done (user_data, error);
}

/* Profiles are a nicety: a cache that cannot give them still starts. */
static void
start_users_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  StartData *data = g_task_get_task_data (G_TASK (user_data));

  data->users = confab_cache_load_users_finish (CONFAB_CACHE (object), result, NULL);
  start_step_done (user_data, NULL);
}

static void
start_last_seq_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  StartData *data = g_task_get_task_data (G_TASK (user_data));
  GError *error = NULL;

  data->seq = confab_cache_get_last_seq_finish (CONFAB_CACHE (object), result, &error);
  start_step_done (user_data, error);
}

void
confab_session_start_async (ConfabSession       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;
  StartData *data;

  g_return_if_fail (CONFAB_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_session_start_async);
  data = g_new0 (StartData, 1);
  data->pending = 4;
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);

  /* The cache runs its jobs in order on one thread: the reads find it open. */
  confab_cache_open_async (self->cache, cancellable, start_open_cb, g_object_ref (task));
  confab_cache_load_conversations_async (self->cache, cancellable, start_conversations_cb,
                                         g_object_ref (task));
  confab_cache_load_users_async (self->cache, cancellable, start_users_cb, g_object_ref (task));
  confab_cache_get_last_seq_async (self->cache, cancellable, start_last_seq_cb,
                                   g_object_ref (task));
  g_object_unref (task);
}

gboolean
confab_session_start_finish (ConfabSession  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
confab_session_hold_connect (ConfabSession *self)
{
  g_return_if_fail (CONFAB_IS_SESSION (self));

  self->connect_holds++;
}

void
confab_session_release_connect (ConfabSession *self)
{
  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (self->connect_holds > 0);

  if (--self->connect_holds == 0 && self->started)
    confab_client_start (self->client, self->start_seq);
}

void
confab_session_stop (ConfabSession *self)
{
  g_return_if_fail (CONFAB_IS_SESSION (self));

  confab_client_stop (self->client);
  self->started = FALSE;
}

ConfabConversationList *
confab_session_get_conversations (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  return self->conversations;
}

guint
confab_session_get_unread_count (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), 0);
  return self->conversations != NULL
         ? confab_conversation_list_get_unread_count (self->conversations) : 0;
}

static void
pending_listed_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabMessageList) list = user_data;
  g_autoptr(GPtrArray) pending = NULL;

  pending = confab_cache_outbox_list_finish (CONFAB_CACHE (object), result, NULL);
  for (guint i = 0; pending != NULL && i < pending->len; i++)
    confab_message_list_add_pending (list, g_ptr_array_index (pending, i));
}

ConfabMessageList *
confab_session_get_messages (ConfabSession *self,
                             const char    *conv)
{
  ConfabMessageList *list;
  ConfabConversation *item;

  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  g_return_val_if_fail (conv != NULL, NULL);

  list = lookup_list (self, conv);
  if (list != NULL)
    return g_object_ref (list);

  list = confab_message_list_new (self->cache, self->client, conv, self->username);
  g_hash_table_insert (self->message_lists, g_strdup (conv), list);
  g_object_weak_ref (G_OBJECT (list), remove_list_weak, self);

  item = confab_conversation_list_lookup (self->conversations, conv);
  if (item != NULL)
    confab_message_list_set_peer_read (list, confab_conversation_get_peer_read (item));
  /* The first page, then what is still in the outbox: the cache runs them in this order. */
  confab_message_list_load_older_async (list, CONFAB_MESSAGE_LIST_FIRST_PAGE, NULL, NULL, NULL);
  confab_cache_outbox_list_async (self->cache, conv, NULL, pending_listed_cb,
                                  g_object_ref (list));
  return list;
}

ConfabContact *
confab_session_get_contact (ConfabSession *self,
                            const char    *username)
{
  ConfabContact *contact;

  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  contact = g_hash_table_lookup (self->contacts, username);
  if (contact == NULL)
    {
      contact = confab_contact_new (username);
      g_hash_table_insert (self->contacts, g_strdup (username), contact);
      want_profiles (self);
    }
  return contact;
}

ConfabContact *
confab_session_get_self_contact (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  return confab_session_get_contact (self, self->username);
}

/* Messaging */

static void
outbox_added_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  ConfabMessage *msg;
  ConfabMessageList *list;
  ConfabConversation *item;

  msg = confab_cache_outbox_add_finish (CONFAB_CACHE (object), result, &error);
  if (msg == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  list = lookup_list (self, confab_message_get_conv (msg));
  if (list != NULL)
    {
      confab_message_list_add_pending (list, msg);
      /* The list may already hold it (it lists the outbox when created). */
      {
        ConfabMessage *live =
          confab_message_list_lookup_pending (list, confab_message_get_client_msg_id (msg));

        if (live != NULL && live != msg)
          {
            g_object_unref (msg);
            msg = g_object_ref (live);
          }
      }
    }
  item = ensure_conversation (self, confab_message_get_conv (msg));
  if (item != NULL)
    confab_conversation_set_last_message (item, confab_conversation_get_last_message_id (item),
                                          confab_message_get_body (msg),
                                          confab_message_get_ts (msg));
  flush_outbox (self);
  g_task_return_pointer (task, msg, g_object_unref);
}

void
confab_session_send_message_async (ConfabSession       *self,
                                   const char          *conv,
                                   const char          *body,
                                   const char          *format,
                                   gint64               reply_to,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autofree char *client_msg_id = NULL;
  GTask *task;

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (conv != NULL && body != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_session_send_message_async);

  if (confab_conv_parse (conv, NULL, NULL) == CONFAB_CONV_INVALID)
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               _("This conversation does not exist."));
      g_object_unref (task);
      return;
    }
  if (body[0] == '\0' || g_utf8_strlen (body, -1) > CONFAB_DEFAULT_MAX_BODY_CHARS
      || !g_utf8_validate (body, -1, NULL))
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               _("A message must have between 1 and %d characters."),
                               CONFAB_DEFAULT_MAX_BODY_CHARS);
      g_object_unref (task);
      return;
    }

  client_msg_id = g_uuid_string_random ();
  confab_cache_outbox_add_async (self->cache, conv, client_msg_id, body,
                                 format != NULL ? format : "plain", reply_to, cancellable,
                                 outbox_added_cb, task);
}

ConfabMessage *
confab_session_send_message_finish (ConfabSession  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
confab_session_retry_message (ConfabSession *self,
                              ConfabMessage *message)
{
  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  if (confab_message_get_state (message) != CONFAB_MESSAGE_STATE_FAILED)
    return;
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_SENDING);
  confab_cache_outbox_set_state_async (self->cache, confab_message_get_client_msg_id (message),
                                       CONFAB_MESSAGE_STATE_SENDING, NULL, NULL, NULL);
  flush_outbox (self);
}

void
confab_session_discard_message (ConfabSession *self,
                                ConfabMessage *message)
{
  ConfabMessageList *list;
  g_autofree char *client_msg_id = NULL;

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  if (confab_message_get_id (message) != 0)
    return;
  client_msg_id = g_strdup (confab_message_get_client_msg_id (message));
  confab_cache_outbox_remove_async (self->cache, client_msg_id, NULL, NULL, NULL);
  list = lookup_list (self, confab_message_get_conv (message));
  if (list != NULL)
    confab_message_list_remove_pending (list, client_msg_id);
}

/* Requests whose answer the session applies locally. */

typedef void (*ApplyFunc) (ConfabSession *self,
                           JsonObject    *params,
                           JsonObject    *reply);

typedef struct
{
  JsonObject *params;
  ApplyFunc   apply;
} RequestData;

static void
request_data_free (RequestData *data)
{
  json_object_unref (data->params);
  g_free (data);
}

static void
session_request_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabSession *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonObject *reply;
  JsonObject *details;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      details = confab_client_result_get_error_details (result);
      if (details != NULL)
        g_object_set_data_full (G_OBJECT (task), "confab-error-details",
                                json_object_ref (details), (GDestroyNotify) json_object_unref);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->apply != NULL)
    data->apply (self, data->params, reply);
  g_task_return_pointer (task, reply, (GDestroyNotify) json_object_unref);
}

static void
session_request (ConfabSession       *self,
                 const char          *type,
                 JsonObject          *params,
                 ApplyFunc            apply,
                 gpointer             source_tag,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  RequestData *data = g_new0 (RequestData, 1);

  g_task_set_source_tag (task, source_tag);
  data->params = json_object_ref (params);
  data->apply = apply;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);
  confab_client_request_async (self->client, type, params, cancellable, session_request_cb,
                               task);
}

gboolean
confab_session_request_finish (ConfabSession  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  return reply != NULL;
}

static void
apply_edit (ConfabSession *self,
            JsonObject    *params,
            JsonObject    *reply)
{
  JsonObject *msg = confab_json_get_object (reply, "msg");

  if (msg != NULL)
    store_message (self, msg, 0);
}

void
confab_session_edit_message_async (ConfabSession       *self,
                                   gint64               msg_id,
                                   const char          *body,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (body != NULL);

  json_object_set_int_member (params, "msg_id", msg_id);
  json_object_set_string_member (params, "body", body);
  session_request (self, "edit", params, apply_edit, confab_session_edit_message_async,
                   cancellable, callback, user_data);
}

static void
apply_delete (ConfabSession *self,
              JsonObject    *params,
              JsonObject    *reply)
{
  gint64 msg_id = obj_int (params, "msg_id");
  GHashTableIter iter;
  ConfabMessageList *list;
  const char *conv = NULL;

  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &list))
    if (confab_message_list_lookup (list, msg_id) != NULL)
      conv = confab_message_list_get_conv (list);
  if (conv != NULL)
    apply_deleted (self, conv, msg_id, 0);
  else
    confab_cache_delete_message_async (self->cache, msg_id, 0, NULL, NULL, NULL);
}

void
confab_session_delete_message_async (ConfabSession       *self,
                                     gint64               msg_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));

  json_object_set_int_member (params, "msg_id", msg_id);
  session_request (self, "delete", params, apply_delete, confab_session_delete_message_async,
                   cancellable, callback, user_data);
}

static void
apply_react (ConfabSession *self,
             JsonObject    *params,
             JsonObject    *reply)
{
  gint64 msg_id = obj_int (params, "msg_id");
  GHashTableIter iter;
  ConfabMessageList *list;
  const char *conv = "";
  JsonNode *on = json_object_get_member (params, "on");

  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &list))
    if (confab_message_list_lookup (list, msg_id) != NULL)
      conv = confab_message_list_get_conv (list);
  apply_reaction (self, conv, msg_id, self->username, confab_json_get_string (params, "emoji"),
                  json_node_get_boolean (on), 0);
}

void
confab_session_react_async (ConfabSession       *self,
                            gint64               msg_id,
                            const char          *emoji,
                            gboolean             on,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (emoji != NULL);

  json_object_set_int_member (params, "msg_id", msg_id);
  json_object_set_string_member (params, "emoji", emoji);
  json_object_set_boolean_member (params, "on", on);
  session_request (self, "react", params, apply_react, confab_session_react_async,
                   cancellable, callback, user_data);
}

void
confab_session_mark_read_async (ConfabSession       *self,
                                const char          *conv,
                                gint64               msg_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();
  ConfabConversation *item;

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (conv != NULL);

  /* Locally at once: the badge must not wait for the network. */
  item = confab_conversation_list_lookup (self->conversations, conv);
  if (item != NULL && msg_id > confab_conversation_get_last_read (item))
    {
      confab_conversation_set_last_read (item, msg_id);
      if (msg_id >= confab_conversation_get_last_message_id (item))
        confab_conversation_set_unread (item, 0);
    }
  apply_read (self, conv, self->username, msg_id, 0);

  json_object_set_string_member (params, "conv", conv);
  json_object_set_int_member (params, "msg_id", msg_id);
  session_request (self, "read", params, NULL, confab_session_mark_read_async, cancellable,
                   callback, user_data);
}

/* Muting */

static void
muted_stored_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabSession *self = g_task_get_source_object (task);
  ConfabConversation *item;
  GError *error = NULL;

  /* A reload of the conversation read from the cache before this was stored may have put
   * the old state back into the model. */
  item = confab_conversation_list_lookup (self->conversations, g_task_get_task_data (task));
  if (confab_cache_set_muted_finish (CONFAB_CACHE (object), result, &error))
    {
      if (item != NULL)
        confab_conversation_set_muted (item, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task),
                                                                              "muted")));
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, error);
}

void
confab_session_set_muted_async (ConfabSession       *self,
                                const char          *conv,
                                gboolean             muted,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  ConfabConversation *item;
  GTask *task;

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (conv != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_session_set_muted_async);
  item = ensure_conversation (self, conv);
  if (item == NULL)
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               _("This conversation does not exist."));
      g_object_unref (task);
      return;
    }
  confab_conversation_set_muted (item, muted);
  g_task_set_task_data (task, g_strdup (conv), g_free);
  g_object_set_data (G_OBJECT (task), "muted", GINT_TO_POINTER (!!muted));
  confab_cache_set_muted_async (self->cache, conv, muted, cancellable, muted_stored_cb, task);
}

gboolean
confab_session_set_muted_finish (ConfabSession  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Typing */

static void
send_typing (ConfabSession *self,
             const char    *conv,
             gboolean       active)
{
  g_autoptr(JsonObject) params = json_object_new ();

  json_object_set_string_member (params, "conv", conv);
  json_object_set_boolean_member (params, "active", active);
  confab_client_request_async (self->client, "typing", params, NULL, NULL, NULL);
}

typedef struct
{
  ConfabSession *session;
  char          *conv;
} TypingIdle;

static void
typing_idle_free (TypingIdle *idle)
{
  g_free (idle->conv);
  g_free (idle);
}

static gboolean
typing_idle_cb (gpointer user_data)
{
  TypingIdle *idle = user_data;
  OwnTyping *typing = g_hash_table_lookup (idle->session->own_typing, idle->conv);

  if (typing != NULL)
    typing->idle_source = 0;
  confab_session_set_typing (idle->session, idle->conv, FALSE);
  return G_SOURCE_REMOVE;
}

void
confab_session_set_typing (ConfabSession *self,
                           const char    *conv,
                           gboolean       active)
{
  OwnTyping *typing;
  gint64 now = g_get_monotonic_time ();
  TypingIdle *idle;

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (conv != NULL);

  typing = g_hash_table_lookup (self->own_typing, conv);
  if (!active)
    {
      if (typing != NULL)
        {
          g_hash_table_remove (self->own_typing, conv);
          send_typing (self, conv, FALSE);
        }
      return;
    }

  if (typing == NULL)
    {
      typing = g_new0 (OwnTyping, 1);
      g_hash_table_insert (self->own_typing, g_strdup (conv), typing);
    }
  if (typing->last_sent_us == 0 || (now - typing->last_sent_us) / 1000 >= TYPING_RESEND_MS)
    {
      typing->last_sent_us = now;
      send_typing (self, conv, TRUE);
    }
  g_clear_handle_id (&typing->idle_source, g_source_remove);
  idle = g_new0 (TypingIdle, 1);
  idle->session = self;
  idle->conv = g_strdup (conv);
  typing->idle_source = g_timeout_add_full (G_PRIORITY_DEFAULT, TYPING_IDLE_MS, typing_idle_cb,
                                            idle, (GDestroyNotify) typing_idle_free);
}

/* Presence, profile, password, devices */

static void
apply_presence (ConfabSession *self,
                JsonObject    *params,
                JsonObject    *reply)
{
  confab_contact_set_presence (confab_session_get_self_contact (self),
                               confab_presence_from_string (confab_json_get_string (params, "status")),
                               confab_json_get_string (params, "text"), 0);
}

void
confab_session_set_presence_async (ConfabSession       *self,
                                   ConfabPresence       status,
                                   const char          *text,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (status != CONFAB_PRESENCE_OFFLINE);

  json_object_set_string_member (params, "status", confab_presence_to_string (status));
  if (text != NULL && text[0] != '\0')
    json_object_set_string_member (params, "text", text);
  session_request (self, "presence", params, apply_presence, confab_session_set_presence_async,
                   cancellable, callback, user_data);
}

static void
apply_profile (ConfabSession *self,
               JsonObject    *params,
               JsonObject    *reply)
{
  JsonObject *user = confab_json_get_object (reply, "user");

  if (user != NULL && confab_json_get_string (user, "username") != NULL)
    store_user (self, user, 0);
}

void
confab_session_get_profile_async (ConfabSession       *self,
                                  const char          *username,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (username != NULL);

  json_object_set_string_member (params, "user", username);
  session_request (self, "profile_get", params, apply_profile, confab_session_get_profile_async,
                   cancellable, callback, user_data);
}

void
confab_session_update_profile_async (ConfabSession       *self,
                                     JsonObject          *fields,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (fields != NULL);

  session_request (self, "profile_update", fields, apply_profile,
                   confab_session_update_profile_async, cancellable, callback, user_data);
}

JsonObject *
confab_session_profile_finish (ConfabSession  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *user;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  if (reply == NULL)
    return NULL;
  user = confab_json_get_object (reply, "user");
  if (user == NULL)
    {
      g_set_error_literal (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                           _("The server sent an answer this app does not understand."));
      return NULL;
    }
  return json_object_ref (user);
}

void
confab_session_change_password_async (ConfabSession       *self,
                                      const char          *old_password,
                                      const char          *new_password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (old_password != NULL && new_password != NULL);

  json_object_set_string_member (params, "old", old_password);
  json_object_set_string_member (params, "new", new_password);
  session_request (self, "password_change", params, NULL, confab_session_change_password_async,
                   cancellable, callback, user_data);
}

void
confab_session_list_devices_async (ConfabSession       *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));

  session_request (self, "devices", params, NULL, confab_session_list_devices_async,
                   cancellable, callback, user_data);
}

JsonArray *
confab_session_list_devices_finish (ConfabSession  *self,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_autoptr(JsonObject) reply = NULL;
  JsonNode *node;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  if (reply == NULL)
    return NULL;
  node = json_object_get_member (reply, "devices");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return json_array_new ();
  return json_array_ref (json_node_get_array (node));
}

void
confab_session_revoke_device_async (ConfabSession       *self,
                                    const char          *device_id,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (device_id != NULL);

  json_object_set_string_member (params, "device_id", device_id);
  session_request (self, "device_revoke", params, NULL, confab_session_revoke_device_async,
                   cancellable, callback, user_data);
}

/* Starting a DM */

static void
start_dm_profile_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabSession *self = CONFAB_SESSION (object);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autofree char *conv = NULL;
  ConfabConversation *item;

  user = confab_session_profile_finish (self, result, &error);
  if (user == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  conv = confab_conv_dm (self->username, confab_json_get_string (user, "username"));
  item = ensure_conversation (self, conv);
  if (item == NULL)
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               _("You cannot start a conversation with yourself."));
      return;
    }
  g_task_return_pointer (task, g_object_ref (item), g_object_unref);
}

void
confab_session_start_dm_async (ConfabSession       *self,
                               const char          *username,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autofree char *normalized = NULL;
  GTask *task;

  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (username != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_session_start_dm_async);
  normalized = confab_username_normalize (username);
  if (normalized == NULL || !confab_username_is_valid (normalized)
      || g_strcmp0 (normalized, self->username) == 0)
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                               _("There is no user “%s”."), username);
      g_object_unref (task);
      return;
    }
  confab_session_get_profile_async (self, normalized, cancellable, start_dm_profile_cb, task);
}

ConfabConversation *
confab_session_start_dm_finish (ConfabSession  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
