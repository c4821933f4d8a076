/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-messaging"

#include "config.h"

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-error.h"
#include "confab-feature.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-message-list-private.h"
#include "confab-message-list.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-session.h"
#include "confab-validate.h"

#include <glib/gi18n.h>

/* Message ids remembered to drop a message replayed under a new seq. */
#define RECENT_MESSAGE_IDS 2048

struct _ConfabMessaging
{
  ConfabFeature           parent_instance;

  ConfabConversationList *conversations;
  GHashTable             *message_lists;   /* conv → ConfabMessageList (weak) */
  GPtrArray              *loaded_convs;    /* from the cache, until applied */
  GHashTable             *recent_ids;      /* message ids seen lately */
  GQueue                  recent_order;

  gboolean                flushing;
  gboolean                flush_again;

  /* Notifications: messages replayed on (re)connecting wait for the end of the replay and
   * are told only if still unread then; a replay from the start is old history. */
  GPtrArray              *held;            /* ConfabMessage */
  gboolean                replay_from_start;
};

enum {
  PROP_0,
  PROP_UNREAD_COUNT,
  N_PROPS
};

enum {
  SIGNAL_MESSAGE_RECEIVED,
  SIGNAL_CONVERSATIONS_LISTED,
  SIGNAL_MESSAGE_ARRIVED,
  SIGNAL_MESSAGE_CHANGED,
  SIGNAL_MESSAGE_DELETED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabMessaging, confab_messaging, CONFAB_TYPE_FEATURE)

static void flush_outbox (ConfabMessaging *self);
static void refresh_conversation (ConfabMessaging *self, const char *conv);

/* After the session went, late answers find nothing to update. */
static gboolean
gone (ConfabMessaging *self)
{
  return confab_feature_get_session (CONFAB_FEATURE (self)) == NULL;
}

static ConfabClient *
get_client (ConfabMessaging *self)
{
  return confab_feature_get_client (CONFAB_FEATURE (self));
}

static ConfabCache *
get_cache (ConfabMessaging *self)
{
  return confab_feature_get_cache (CONFAB_FEATURE (self));
}

static GCancellable *
get_cancellable (ConfabMessaging *self)
{
  return confab_feature_get_cancellable (CONFAB_FEATURE (self));
}

static const char *
own_username (ConfabMessaging *self)
{
  return confab_feature_get_username (CONFAB_FEATURE (self));
}

static ConfabProfiles *
get_profiles (ConfabMessaging *self)
{
  return confab_profiles_from_session (confab_feature_get_session (CONFAB_FEATURE (self)));
}

static ConfabContact *
get_contact (ConfabMessaging *self,
             const char      *username)
{
  return confab_profiles_get_contact (get_profiles (self), username);
}

/* Helpers ---------------------------------------------------------------------------------- */



static ConfabMessageList *
lookup_list (ConfabMessaging *self,
             const char    *conv)
{
  return conv != NULL ? g_hash_table_lookup (self->message_lists, conv) : NULL;
}

static ConfabConversation *
ensure_conversation (ConfabMessaging *self,
                     const char    *conv)
{
  ConfabConversation *item = confab_conversation_list_lookup (self->conversations, conv);
  g_autoptr(ConfabConversation) fresh = NULL;
  if (gone (self))
    return NULL;

  if (item != NULL)
    return item;
  fresh = confab_conversation_new (conv, own_username (self));
  if (fresh == NULL)
    return NULL;
  if (confab_conversation_get_peer (fresh) != NULL)
    confab_conversation_set_peer_contact (fresh, get_contact (
                                            self, confab_conversation_get_peer (fresh)));
  return confab_conversation_list_add (self->conversations, fresh);
}

/* Copies what the cache knows about a conversation into the model object. */
static void
apply_conversation (ConfabMessaging    *self,
                    ConfabConversation *stored)
{
  ConfabConversation *item = ensure_conversation (self, confab_conversation_get_conv (stored));
  ConfabMessageList *list;
  if (gone (self))
    return;

  if (item == NULL)
    return;
  /* Rooms have a stored name; a DM's title follows the peer's display name, which the
   * server's title (that same name) stands in for until the profile itself is known. */
  if (confab_conversation_get_kind (stored) == CONFAB_CONVERSATION_ROOM)
    confab_conversation_set_title (item, confab_conversation_get_title (stored));
  else if (confab_conversation_get_peer (item) != NULL
           && !confab_profiles_is_known (get_profiles (self), confab_conversation_get_peer (item))
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
  confab_conversation_set_last_message_sender (
    item, confab_conversation_get_last_message_sender (stored));
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
  g_autoptr(ConfabMessaging) self = user_data;
  g_autoptr(ConfabConversation) stored = NULL;
  g_autoptr(GError) error = NULL;

  stored = confab_cache_load_conversation_finish (CONFAB_CACHE (object), result, &error);
  if (stored != NULL)
    apply_conversation (self, stored);
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("cannot load conversation: %s", error->message);
}

static void
refresh_conversation (ConfabMessaging *self,
                      const char    *conv)
{
  if (gone (self))
    return;
  confab_cache_load_conversation_async (get_cache (self), conv, get_cancellable (self),
                                        refresh_conversation_cb, g_object_ref (self));
}

static void
refresh_all_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabMessaging) self = user_data;
  g_autoptr(GPtrArray) convs = NULL;
  g_autoptr(GError) error = NULL;

  convs = confab_cache_load_conversations_finish (CONFAB_CACHE (object), result, &error);
  for (guint i = 0; convs != NULL && i < convs->len; i++)
    apply_conversation (self, g_ptr_array_index (convs, i));
}

/* Durable events: stored first, then shown, then acked ------------------------------------ */

typedef struct
{
  ConfabMessaging *messaging;
  gint64         seq;
  char          *conv;
  char          *user;
  char          *emoji;
  gint64         msg_id;
  gboolean       on;
  gboolean       edited;     /* message_edited, not message */
  gboolean       replayed;   /* came before the stream caught up */
  JsonObject    *object;
} EventData;

static EventData *
event_data_new (ConfabMessaging *self,
                gint64         seq)
{
  EventData *data = g_new0 (EventData, 1);

  data->messaging = g_object_ref (self);
  data->seq = seq;
  return data;
}

static void
event_data_free (EventData *data)
{
  g_object_unref (data->messaging);
  g_free (data->conv);
  g_free (data->user);
  g_free (data->emoji);
  g_clear_pointer (&data->object, json_object_unref);
  g_free (data);
}

static void
ack (ConfabMessaging *self,
     gint64         seq)
{
  if (seq > 0)
    confab_client_ack (get_client (self), seq);
}

/* Notifications ---------------------------------------------------------------------------- */

/* Whether @msg is something to tell the user of: a message someone else wrote, still there.
 * Call records are told by the calls themselves (an incoming or missed call), never as a
 * message: the one who declined or ended a call is not told of it. */
static gboolean
worth_telling (ConfabMessaging *self,
               ConfabMessage   *msg)
{
  return g_strcmp0 (confab_message_get_sender (msg), own_username (self)) != 0
         && g_strcmp0 (confab_message_get_kind (msg), "call") != 0
         && !confab_message_get_deleted (msg)
         && confab_message_get_body (msg) != NULL && confab_message_get_body (msg)[0] != '\0';
}

static void
tell_arrived (ConfabMessaging *self,
              ConfabMessage   *msg)
{
  ConfabConversation *conv = confab_conversation_list_lookup (self->conversations,
                                                              confab_message_get_conv (msg));

  /* Caught up meanwhile: read here or on another device, or answered by the user. */
  if (conv == NULL || confab_message_get_id (msg) <= confab_conversation_get_last_read (conv))
    return;
  g_signal_emit (self, signals[SIGNAL_MESSAGE_ARRIVED], 0, conv, msg);
}

static void
on_client_state (ConfabMessaging *self)
{
  ConfabClient *client = get_client (self);

  /* The hello is answered: what comes until synced is the replay of what was missed. */
  if (client != NULL && confab_client_get_state (client) == CONFAB_CLIENT_STATE_SYNCING)
    self->replay_from_start = confab_client_get_acked_seq (client) == 0;
}

static void
held_checked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabMessaging) self = user_data;
  g_autoptr(GPtrArray) convs = NULL;
  g_autoptr(GPtrArray) held = g_steal_pointer (&self->held);

  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  convs = confab_cache_load_conversations_finish (CONFAB_CACHE (object), result, NULL);
  if (convs == NULL || gone (self))
    return;
  /* The read marks and own messages of the whole replay are stored by now. */
  for (guint i = 0; i < convs->len; i++)
    apply_conversation (self, g_ptr_array_index (convs, i));
  for (guint i = 0; i < held->len; i++)
    tell_arrived (self, g_ptr_array_index (held, i));
}

/* At the end of a replay. Its events may still be on their way into the cache, but the cache
 * runs its jobs in order: this read comes after every one of them is stored, and their
 * messages are held by then. */
static void
tell_held (ConfabMessaging *self)
{
  if (gone (self))
    return;
  confab_cache_load_conversations_async (get_cache (self), get_cancellable (self),
                                         held_checked_cb, g_object_ref (self));
}

static void
consider_telling (ConfabMessaging *self,
                  EventData       *data,
                  ConfabMessage   *stored,
                  gboolean         is_new)
{
  if (data->edited || !is_new || !worth_telling (self, stored))
    {
      /* An edit or a deletion replaces what was told. */
      if (!is_new)
        g_signal_emit (self, signals[SIGNAL_MESSAGE_CHANGED], 0,
                       confab_conversation_list_lookup (self->conversations,
                                                        confab_message_get_conv (stored)),
                       stored);
      return;
    }
  if (!data->replayed)
    tell_arrived (self, stored);
  else if (!self->replay_from_start)
    g_ptr_array_add (self->held, g_object_ref (stored));
}

static void
message_stored_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  EventData *data = user_data;
  ConfabMessaging *self = data->messaging;
  g_autoptr(ConfabMessage) stored = NULL;
  g_autoptr(GError) error = NULL;
  gboolean is_new = FALSE;

  stored = confab_cache_store_message_finish (CONFAB_CACHE (object), result, &is_new, &error);
  if (stored == NULL || gone (self))
    {
      /* Not stored: no ack, so the server offers it again on the next hello. */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_message ("cannot store message: %s", error->message);
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
    if (is_new && g_strcmp0 (confab_message_get_sender (stored), own_username (self)) != 0)
      g_signal_emit (self, signals[SIGNAL_MESSAGE_RECEIVED], 0,
                     confab_conversation_list_lookup (self->conversations, conv), stored);
    consider_telling (self, data, stored, is_new);
  }
  ack (self, data->seq);
  event_data_free (data);
}

static void
store_message (ConfabMessaging *self,
               JsonObject    *msg,
               gint64         seq,
               gboolean       edited)
{
  EventData *data;

  if (gone (self))
    return;
  data = event_data_new (self, seq);
  data->object = json_object_ref (msg);
  data->edited = edited;
  data->replayed = confab_client_get_state (get_client (self)) != CONFAB_CLIENT_STATE_CONNECTED;
  confab_cache_store_message_async (get_cache (self), msg, seq, get_cancellable (self),
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
remember_message_id (ConfabMessaging *self,
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
                  ConfabMessaging *self)
{
  JsonObject *msg = confab_json_get_object (data, "msg");
  gint64 id = 0;

  if (!valid_message (msg))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  confab_json_get_int (msg, "id", &id);
  if (g_str_equal (name, CONFAB_EVENT_MESSAGE) && !remember_message_id (self, id))
    {
      g_debug ("dropping duplicate message %" G_GINT64_FORMAT, id);
      return;
    }
  store_message (self, msg, seq, g_str_equal (name, CONFAB_EVENT_MESSAGE_EDITED));
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
      ConfabMessaging *self = data->messaging;

      list = lookup_list (self, data->conv);
      if (list != NULL)
        confab_message_list_set_deleted (list, data->msg_id);
      refresh_conversation (self, data->conv);
      /* A message held for the end of a replay is not told once deleted. */
      for (guint i = self->held->len; i > 0; i--)
        if (confab_message_get_id (g_ptr_array_index (self->held, i - 1)) == data->msg_id)
          g_ptr_array_remove_index (self->held, i - 1);
      g_signal_emit (self, signals[SIGNAL_MESSAGE_DELETED], 0, data->conv, data->msg_id);
      ack (data->messaging, data->seq);
    }
  event_data_free (data);
}

static void
apply_deleted (ConfabMessaging *self,
               const char    *conv,
               gint64         msg_id,
               gint64         seq)
{
  EventData *data;

  if (gone (self))
    return;
  data = event_data_new (self, seq);
  data->conv = g_strdup (conv);
  data->msg_id = msg_id;
  confab_cache_delete_message_async (get_cache (self), msg_id, seq, get_cancellable (self),
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
      list = lookup_list (data->messaging, data->conv);
      if (list != NULL)
        confab_message_list_set_reaction (list, data->msg_id, data->user, data->emoji, data->on);
      ack (data->messaging, data->seq);
    }
  event_data_free (data);
}

static void
apply_reaction (ConfabMessaging *self,
                const char    *conv,
                gint64         msg_id,
                const char    *user,
                const char    *emoji,
                gboolean       on,
                gint64         seq)
{
  EventData *data;

  if (gone (self))
    return;
  data = event_data_new (self, seq);
  data->conv = g_strdup (conv);
  data->msg_id = msg_id;
  data->user = g_strdup (user);
  data->emoji = g_strdup (emoji);
  data->on = on;
  confab_cache_set_reaction_async (get_cache (self), msg_id, user, emoji, on, seq,
                                   get_cancellable (self),
                                   reaction_stored_cb, data);
}

static void
on_message_deleted_event (ConfabClient  *client,
                          const char    *name,
                          JsonObject    *data,
                          gint64         seq,
                          ConfabMessaging *self)
{
  ConfabMessageDeleted event;

  if (!confab_message_deleted_from_json (data, &event) || event.msg_id <= 0)
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  apply_deleted (self, event.conv, event.msg_id, seq);
}

static void
on_reaction_event (ConfabClient  *client,
                   const char    *name,
                   JsonObject    *data,
                   gint64         seq,
                   ConfabMessaging *self)
{
  ConfabReaction event;

  if (!confab_reaction_from_json (data, &event) || event.emoji[0] == '\0')
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  apply_reaction (self, event.conv, event.msg_id, event.user, event.emoji, event.on, seq);
}

static void
read_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  EventData *data = user_data;

  if (confab_cache_set_read_finish (CONFAB_CACHE (object), result, NULL))
    {
      refresh_conversation (data->messaging, data->conv);
      ack (data->messaging, data->seq);
    }
  event_data_free (data);
}

static void
apply_read (ConfabMessaging *self,
            const char    *conv,
            const char    *user,
            gint64         msg_id,
            gint64         seq)
{
  EventData *data;

  if (gone (self))
    return;
  data = event_data_new (self, seq);
  data->conv = g_strdup (conv);
  confab_cache_set_read_async (get_cache (self), conv, user, msg_id, seq, get_cancellable (self),
                               read_stored_cb, data);
}

static void
on_read_event (ConfabClient  *client,
               const char    *name,
               JsonObject    *data,
               gint64         seq,
               ConfabMessaging *self)
{
  ConfabReadMark event;

  if (!confab_read_mark_from_json (data, &event))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  apply_read (self, event.conv, event.user, event.msg_id, seq);
}

/* Sync ------------------------------------------------------------------------------------- */

static void
conversations_stored_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(ConfabMessaging) self = user_data;

  if (confab_cache_store_conversations_finish (CONFAB_CACHE (object), result, NULL) && !gone (self))
    confab_cache_load_conversations_async (get_cache (self), get_cancellable (self), refresh_all_cb,
                                           g_object_ref (self));
}

static void
conversations_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabMessaging) self = user_data;
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
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || gone (self))
    return;
  g_signal_emit (self, signals[SIGNAL_CONVERSATIONS_LISTED], 0, json_node_get_array (node));
  confab_cache_store_conversations_async (get_cache (self), json_node_get_array (node),
                                          get_cancellable (self), conversations_stored_cb,
                                          g_object_ref (self));
}

static void
request_conversations (ConfabMessaging *self)
{
  if (gone (self))
    return;
  confab_client_request_async (get_client (self), CONFAB_REQUEST_CONVERSATIONS, NULL,
                               get_cancellable (self), conversations_cb, g_object_ref (self));
}

typedef struct
{
  ConfabMessaging *messaging;
  char          *conv;
  JsonArray     *messages;
} CatchUpData;

static void
catch_up_data_free (CatchUpData *data)
{
  g_object_unref (data->messaging);
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
      && (list = lookup_list (data->messaging, data->conv)) != NULL)
    for (guint i = 0; i < json_array_get_length (data->messages); i++)
      {
        JsonNode *node = json_array_get_element (data->messages, i);

        if (JSON_NODE_HOLDS_OBJECT (node))
          confab_message_list_add_json (list, json_node_get_object (node));
      }
  refresh_conversation (data->messaging, data->conv);
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
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || gone (data->messaging))
    {
      catch_up_data_free (data);
      return;
    }
  data->messages = json_array_ref (json_node_get_array (node));
  confab_cache_store_history_async (get_cache (data->messaging), data->messages,
                                    get_cancellable (data->messaging), catch_up_stored_cb, data);
}

/* An open conversation gets what was written after its newest message while the events were
 * lost (one history page; older gaps fill in as the user scrolls). */
static void
catch_up (ConfabMessaging   *self,
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
  data->messaging = g_object_ref (self);
  data->conv = g_strdup (confab_message_list_get_conv (list));
  confab_client_request_async (get_client (self), CONFAB_REQUEST_HISTORY, params,
                               get_cancellable (self), catch_up_cb, data);
}

/* Outbox ----------------------------------------------------------------------------------- */

static void flush_next (ConfabMessaging *self, GPtrArray *queue);

typedef struct
{
  ConfabMessaging *messaging;
  GPtrArray     *queue;    /* pending ConfabMessages still to send, oldest first */
  ConfabMessage *msg;
} SendData;

static void
send_data_free (SendData *data)
{
  g_object_unref (data->messaging);
  g_clear_pointer (&data->queue, g_ptr_array_unref);
  g_clear_object (&data->msg);
  g_free (data);
}

static ConfabMessage *
live_pending (ConfabMessaging *self,
              ConfabMessage *stored)
{
  ConfabMessageList *list = lookup_list (self, confab_message_get_conv (stored));
  ConfabMessage *live = NULL;

  if (list != NULL)
    live = confab_message_list_lookup_pending (list, confab_message_get_client_msg_id (stored));
  return live != NULL ? live : stored;
}

static void
flush_done (ConfabMessaging *self)
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
  /* Held past send_data_free (): its reference may be the last one once the session went. */
  g_autoptr(ConfabMessaging) self = g_object_ref (data->messaging);
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
mark_failed (ConfabMessaging *self,
             ConfabMessage *msg)
{
  confab_message_set_state (msg, CONFAB_MESSAGE_STATE_FAILED);
  if (gone (self))
    return;
  confab_cache_outbox_set_state_async (get_cache (self), confab_message_get_client_msg_id (msg),
                                       CONFAB_MESSAGE_STATE_FAILED, NULL, NULL, NULL);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SendData *data = user_data;
  ConfabMessaging *self = data->messaging;
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
  if (msg == NULL || gone (self))
    {
      mark_failed (self, data->msg);
      flush_next (self, g_steal_pointer (&data->queue));
      send_data_free (data);
      return;
    }
  g_object_set_data_full (G_OBJECT (data->msg), "confab-sent-json", json_object_ref (msg),
                          (GDestroyNotify) json_object_unref);
  confab_cache_store_message_async (get_cache (self), msg, 0, get_cancellable (self),
                                    sent_stored_cb,
                                    data);
}

static void
flush_next (ConfabMessaging *self,
            GPtrArray     *queue)
{
  g_autoptr(GPtrArray) owned = queue;
  g_autoptr(JsonObject) params = NULL;
  SendData *data;
  ConfabMessage *msg = NULL;

  if (gone (self))
    {
      flush_done (self);
      return;
    }
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
  if (confab_message_get_attachments (msg) != NULL)
    json_object_set_array_member (params, "attachments",
                                  json_array_ref (confab_message_get_attachments (msg)));

  data = g_new0 (SendData, 1);
  data->messaging = g_object_ref (self);
  data->queue = g_steal_pointer (&owned);
  data->msg = msg;
  confab_client_request_async (get_client (self), CONFAB_REQUEST_SEND, params, NULL, send_cb, data);
}

static void
outbox_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabMessaging) self = user_data;
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
flush_outbox (ConfabMessaging *self)
{
  if (gone (self) || confab_client_get_state (get_client (self)) != CONFAB_CLIENT_STATE_CONNECTED)
    return;
  if (self->flushing)
    {
      self->flush_again = TRUE;
      return;
    }
  self->flushing = TRUE;
  confab_cache_outbox_list_async (get_cache (self), NULL, get_cancellable (self), outbox_listed_cb,
                                  g_object_ref (self));
}

/* GObject ---------------------------------------------------------------------------------- */

static void
on_conversations_notify_unread (ConfabMessaging *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

static void
conversations_loaded_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessaging *self = g_task_get_source_object (task);
  GError *error = NULL;

  g_clear_pointer (&self->loaded_convs, g_ptr_array_unref);
  self->loaded_convs = confab_cache_load_conversations_finish (CONFAB_CACHE (object), result,
                                                               &error);
  if (self->loaded_convs == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
confab_messaging_load_async (ConfabFeature       *feature,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task = g_task_new (feature, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_messaging_load_async);
  confab_cache_load_conversations_async (confab_feature_get_cache (feature), cancellable,
                                         conversations_loaded_cb, task);
}

static gboolean
confab_messaging_load_finish (ConfabFeature  *feature,
                              GAsyncResult   *result,
                              GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
confab_messaging_apply (ConfabFeature *feature)
{
  ConfabMessaging *self = CONFAB_MESSAGING (feature);
  g_autoptr(GPtrArray) convs = g_steal_pointer (&self->loaded_convs);

  for (guint i = 0; convs != NULL && i < convs->len; i++)
    apply_conversation (self, g_ptr_array_index (convs, i));
}

static void
confab_messaging_synced (ConfabFeature *feature)
{
  ConfabMessaging *self = CONFAB_MESSAGING (feature);

  request_conversations (self);
  flush_outbox (self);
  tell_held (self);
}

static void
confab_messaging_resync (ConfabFeature *feature)
{
  ConfabMessaging *self = CONFAB_MESSAGING (feature);
  GHashTableIter iter;
  ConfabMessageList *list;

  request_conversations (self);
  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &list))
    catch_up (self, list);
  flush_outbox (self);
}

static void
confab_messaging_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  ConfabMessaging *self = CONFAB_MESSAGING (object);

  switch (prop_id)
    {
    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, confab_messaging_get_unread_count (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_messaging_constructed (GObject *object)
{
  ConfabMessaging *self = CONFAB_MESSAGING (object);
  ConfabFeature *feature = CONFAB_FEATURE (object);

  G_OBJECT_CLASS (confab_messaging_parent_class)->constructed (object);

  confab_feature_handle_event (feature, CONFAB_EVENT_MESSAGE, G_CALLBACK (on_message_event));
  confab_feature_handle_event (feature, CONFAB_EVENT_MESSAGE_EDITED, G_CALLBACK (on_message_event));
  confab_feature_handle_event (feature, CONFAB_EVENT_MESSAGE_DELETED,
                               G_CALLBACK (on_message_deleted_event));
  confab_feature_handle_event (feature, CONFAB_EVENT_REACTION, G_CALLBACK (on_reaction_event));
  confab_feature_handle_event (feature, CONFAB_EVENT_READ, G_CALLBACK (on_read_event));
  g_signal_connect_object (get_client (self), "notify::state", G_CALLBACK (on_client_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversations, "notify::unread-count",
                           G_CALLBACK (on_conversations_notify_unread), self,
                           G_CONNECT_SWAPPED);
}

static void
remove_list_weak (gpointer  data,
                  GObject  *where_the_object_was)
{
  ConfabMessaging *self = data;
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
confab_messaging_dispose (GObject *object)
{
  ConfabMessaging *self = CONFAB_MESSAGING (object);

  g_clear_pointer (&self->loaded_convs, g_ptr_array_unref);
  g_clear_object (&self->conversations);
  if (self->held != NULL)
    g_ptr_array_set_size (self->held, 0);

  G_OBJECT_CLASS (confab_messaging_parent_class)->dispose (object);
}

static void
confab_messaging_finalize (GObject *object)
{
  ConfabMessaging *self = CONFAB_MESSAGING (object);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_object_weak_unref (value, remove_list_weak, self);
  g_hash_table_unref (self->message_lists);
  g_queue_clear (&self->recent_order);
  g_hash_table_unref (self->recent_ids);
  g_ptr_array_unref (self->held);

  G_OBJECT_CLASS (confab_messaging_parent_class)->finalize (object);
}

static void
confab_messaging_class_init (ConfabMessagingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabFeatureClass *feature_class = CONFAB_FEATURE_CLASS (klass);

  object_class->get_property = confab_messaging_get_property;
  object_class->constructed = confab_messaging_constructed;
  object_class->dispose = confab_messaging_dispose;
  object_class->finalize = confab_messaging_finalize;

  feature_class->load_async = confab_messaging_load_async;
  feature_class->load_finish = confab_messaging_load_finish;
  feature_class->apply = confab_messaging_apply;
  feature_class->synced = confab_messaging_synced;
  feature_class->resync = confab_messaging_resync;

  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  CONFAB_TYPE_CONVERSATION, CONFAB_TYPE_MESSAGE);
  signals[SIGNAL_CONVERSATIONS_LISTED] =
    g_signal_new ("conversations-listed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_ARRAY);
  signals[SIGNAL_MESSAGE_ARRIVED] =
    g_signal_new ("message-arrived", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  CONFAB_TYPE_CONVERSATION, CONFAB_TYPE_MESSAGE);
  signals[SIGNAL_MESSAGE_CHANGED] =
    g_signal_new ("message-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  CONFAB_TYPE_CONVERSATION, CONFAB_TYPE_MESSAGE);
  signals[SIGNAL_MESSAGE_DELETED] =
    g_signal_new ("message-deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_INT64);
}

static void
confab_messaging_init (ConfabMessaging *self)
{
  self->conversations = confab_conversation_list_new ();
  self->message_lists = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->recent_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->recent_order);
}

/* Public API ------------------------------------------------------------------------------- */

ConfabMessaging *
confab_messaging_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_MESSAGING, "session", session, NULL);
}

ConfabMessaging *
confab_messaging_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_MESSAGING);
}

ConfabConversationList *
confab_messaging_get_conversations (ConfabMessaging *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGING (self), NULL);
  return self->conversations;
}

guint
confab_messaging_get_unread_count (ConfabMessaging *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGING (self), 0);
  return self->conversations != NULL
         ? confab_conversation_list_get_unread_count (self->conversations) : 0;
}

/* History for the message lists, once their cache has no older messages. */

static void
history_reply_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *reply;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, reply, (GDestroyNotify) json_object_unref);
}

static void
fetch_history (GObject             *source,
               const char          *conv,
               gint64               before,
               guint                limit,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  ConfabMessaging *self = CONFAB_MESSAGING (source);
  g_autoptr(JsonObject) params = NULL;
  GTask *task;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fetch_history);
  if (gone (self))
    {
      g_task_return_new_error (task, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_NOT_CONNECTED,
                               _("Not connected to the server."));
      g_object_unref (task);
      return;
    }

  params = json_object_new ();
  json_object_set_string_member (params, "conv", conv);
  if (before > 0)
    json_object_set_int_member (params, "before", before);
  json_object_set_int_member (params, "limit", limit);
  confab_client_request_async (get_client (self), CONFAB_REQUEST_HISTORY, params, cancellable,
                               history_reply_cb, task);
}

static JsonObject *
fetch_history_finish (GObject       *source,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
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
confab_messaging_get_messages (ConfabMessaging *self,
                               const char      *conv)
{
  ConfabMessageList *list;
  ConfabConversation *item;

  g_return_val_if_fail (CONFAB_IS_MESSAGING (self), NULL);
  g_return_val_if_fail (conv != NULL, NULL);

  list = lookup_list (self, conv);
  if (list != NULL)
    return g_object_ref (list);

  list = confab_message_list_new (get_cache (self), conv, own_username (self));
  confab_message_list_set_history_source (list, G_OBJECT (self), fetch_history,
                                          fetch_history_finish);
  g_hash_table_insert (self->message_lists, g_strdup (conv), list);
  g_object_weak_ref (G_OBJECT (list), remove_list_weak, self);

  item = confab_conversation_list_lookup (self->conversations, conv);
  if (item != NULL)
    confab_message_list_set_peer_read (list, confab_conversation_get_peer_read (item));
  /* The first page, then what is still in the outbox: the cache runs them in this order. */
  confab_message_list_load_older_async (list, CONFAB_MESSAGE_LIST_FIRST_PAGE, NULL, NULL, NULL);
  confab_cache_outbox_list_async (get_cache (self), conv, NULL, pending_listed_cb,
                                  g_object_ref (list));
  return list;
}

/* Sending */

static void
outbox_added_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessaging *self = g_task_get_source_object (task);
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
confab_messaging_send_message_async (ConfabMessaging     *self,
                                     const char          *conv,
                                     const char          *body,
                                     const char          *format,
                                     gint64               reply_to,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  confab_messaging_send_attachments_async (self, conv, body, format, reply_to, NULL, NULL,
                                           cancellable, callback, user_data);
}

void
confab_messaging_send_attachments_async (ConfabMessaging     *self,
                                         const char          *conv,
                                         const char          *body,
                                         const char          *format,
                                         gint64               reply_to,
                                         JsonArray           *attachments,
                                         const char          *client_msg_id,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autofree char *new_id = NULL;
  gboolean with_files = attachments != NULL && json_array_get_length (attachments) > 0;
  GTask *task;

  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (conv != NULL && body != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_messaging_send_message_async);

  if (confab_conv_parse (conv, NULL, NULL) == CONFAB_CONV_INVALID)
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               _("This conversation does not exist."));
      g_object_unref (task);
      return;
    }
  /* With files, the text is a caption and may be empty. */
  if ((body[0] == '\0' && !with_files)
      || g_utf8_strlen (body, -1) > CONFAB_DEFAULT_MAX_BODY_CHARS
      || !g_utf8_validate (body, -1, NULL))
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                               _("A message must have between 1 and %d characters."),
                               CONFAB_DEFAULT_MAX_BODY_CHARS);
      g_object_unref (task);
      return;
    }

  if (client_msg_id == NULL)
    client_msg_id = new_id = g_uuid_string_random ();
  confab_cache_outbox_add_async (get_cache (self), conv, client_msg_id, body,
                                 format != NULL ? format : "plain", reply_to,
                                 with_files ? attachments : NULL, cancellable,
                                 outbox_added_cb, task);
}

ConfabMessage *
confab_messaging_send_message_finish (ConfabMessaging *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
confab_messaging_retry_message (ConfabMessaging *self,
                                ConfabMessage *message)
{
  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  if (confab_message_get_state (message) != CONFAB_MESSAGE_STATE_FAILED)
    return;
  confab_message_set_state (message, CONFAB_MESSAGE_STATE_SENDING);
  confab_cache_outbox_set_state_async (get_cache (self), confab_message_get_client_msg_id (message),
                                       CONFAB_MESSAGE_STATE_SENDING, NULL, NULL, NULL);
  flush_outbox (self);
}

void
confab_messaging_discard_message (ConfabMessaging *self,
                                  ConfabMessage *message)
{
  ConfabMessageList *list;
  g_autofree char *client_msg_id = NULL;

  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  if (confab_message_get_id (message) != 0)
    return;
  client_msg_id = g_strdup (confab_message_get_client_msg_id (message));
  confab_cache_outbox_remove_async (get_cache (self), client_msg_id, NULL, NULL, NULL);
  list = lookup_list (self, confab_message_get_conv (message));
  if (list != NULL)
    confab_message_list_remove_pending (list, client_msg_id);
}

static void
unsent_listed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) outbox = NULL;
  GError *error = NULL;

  outbox = confab_cache_outbox_list_finish (CONFAB_CACHE (object), result, &error);
  if (outbox == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, outbox->len);
}

void
confab_messaging_count_unsent_async (ConfabMessaging     *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CONFAB_IS_MESSAGING (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_messaging_count_unsent_async);
  confab_cache_outbox_list_async (get_cache (self), NULL, cancellable, unsent_listed_cb, task);
}

guint
confab_messaging_count_unsent_finish (ConfabMessaging  *self,
                                      GAsyncResult     *result,
                                      GError          **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  n = g_task_propagate_int (G_TASK (result), error);
  return n > 0 ? (guint) n : 0;
}

void
confab_messaging_discard_unsent (ConfabMessaging *self)
{
  GHashTableIter iter;
  ConfabMessageList *list;
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func (g_free);

  g_return_if_fail (CONFAB_IS_MESSAGING (self));

  confab_cache_outbox_remove_async (get_cache (self), NULL, NULL, NULL, NULL);
  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &list))
    {
      GListModel *model = G_LIST_MODEL (list);

      g_ptr_array_set_size (pending, 0);
      for (guint i = 0; i < g_list_model_get_n_items (model); i++)
        {
          g_autoptr(ConfabMessage) msg = g_list_model_get_item (model, i);

          if (confab_message_get_id (msg) == 0)
            g_ptr_array_add (pending, g_strdup (confab_message_get_client_msg_id (msg)));
        }
      for (guint i = 0; i < pending->len; i++)
        confab_message_list_remove_pending (list, g_ptr_array_index (pending, i));
    }
}

static void
apply_edit (ConfabFeature *feature,
            JsonObject    *params,
            JsonObject    *reply)
{
  ConfabMessaging *self = CONFAB_MESSAGING (feature);
  JsonObject *msg = confab_json_get_object (reply, "msg");

  if (msg != NULL)
    store_message (self, msg, 0, TRUE);
}

void
confab_messaging_edit_message_async (ConfabMessaging     *self,
                                     gint64               msg_id,
                                     const char          *body,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (body != NULL);

  json_object_set_int_member (params, "msg_id", msg_id);
  json_object_set_string_member (params, "body", body);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_EDIT, params, apply_edit,
                          confab_messaging_edit_message_async,
                          cancellable, callback, user_data);
}

static void
apply_delete (ConfabFeature *feature,
              JsonObject    *params,
              JsonObject    *reply)
{
  ConfabMessaging *self = CONFAB_MESSAGING (feature);
  gint64 msg_id = confab_json_get_int_or (params, "msg_id", 0);
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
    confab_cache_delete_message_async (get_cache (self), msg_id, 0, NULL, NULL, NULL);
}

void
confab_messaging_delete_message_async (ConfabMessaging     *self,
                                       gint64               msg_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_MESSAGING (self));

  json_object_set_int_member (params, "msg_id", msg_id);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_DELETE, params, apply_delete,
                          confab_messaging_delete_message_async,
                          cancellable, callback, user_data);
}

static void
apply_react (ConfabFeature *feature,
             JsonObject    *params,
             JsonObject    *reply)
{
  ConfabMessaging *self = CONFAB_MESSAGING (feature);
  gint64 msg_id = confab_json_get_int_or (params, "msg_id", 0);
  GHashTableIter iter;
  ConfabMessageList *list;
  const char *conv = "";
  JsonNode *on = json_object_get_member (params, "on");

  g_hash_table_iter_init (&iter, self->message_lists);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &list))
    if (confab_message_list_lookup (list, msg_id) != NULL)
      conv = confab_message_list_get_conv (list);
  apply_reaction (self, conv, msg_id, own_username (self), confab_json_get_string (params, "emoji"),
                  json_node_get_boolean (on), 0);
}

void
confab_messaging_react_async (ConfabMessaging     *self,
                              gint64               msg_id,
                              const char          *emoji,
                              gboolean             on,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (emoji != NULL);

  json_object_set_int_member (params, "msg_id", msg_id);
  json_object_set_string_member (params, "emoji", emoji);
  json_object_set_boolean_member (params, "on", on);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_REACT, params, apply_react,
                          confab_messaging_react_async,
                          cancellable, callback, user_data);
}

void
confab_messaging_mark_read_async (ConfabMessaging     *self,
                                  const char          *conv,
                                  gint64               msg_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();
  ConfabConversation *item;

  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (conv != NULL);

  /* Locally at once: the badge must not wait for the network. */
  item = confab_conversation_list_lookup (self->conversations, conv);
  if (item != NULL && msg_id > confab_conversation_get_last_read (item))
    {
      confab_conversation_set_last_read (item, msg_id);
      if (msg_id >= confab_conversation_get_last_message_id (item))
        confab_conversation_set_unread (item, 0);
    }
  apply_read (self, conv, own_username (self), msg_id, 0);

  json_object_set_string_member (params, "conv", conv);
  json_object_set_int_member (params, "msg_id", msg_id);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_READ, params, NULL,
                          confab_messaging_mark_read_async, cancellable,
                          callback, user_data);
}

/* Muting */

static void
muted_stored_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessaging *self = g_task_get_source_object (task);
  ConfabConversation *item;
  GError *error = NULL;

  /* A reload of the conversation read from the cache before this was stored may have put
   * the old state back into the model. */
  item = self->conversations != NULL
         ? confab_conversation_list_lookup (self->conversations, g_task_get_task_data (task))
         : NULL;
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
confab_messaging_set_muted_async (ConfabMessaging     *self,
                                  const char          *conv,
                                  gboolean             muted,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  ConfabConversation *item;
  GTask *task;

  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (conv != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_messaging_set_muted_async);
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
  confab_cache_set_muted_async (get_cache (self), conv, muted, cancellable, muted_stored_cb, task);
}

gboolean
confab_messaging_set_muted_finish (ConfabMessaging *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Starting a DM */

static void
start_dm_profile_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabMessaging *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autofree char *conv = NULL;
  ConfabConversation *item;

  user = confab_profiles_profile_finish (CONFAB_PROFILES (object), result, &error);
  if (user == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  conv = confab_conv_dm (own_username (self), confab_json_get_string (user, "username"));
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
confab_messaging_start_dm_async (ConfabMessaging     *self,
                                 const char          *username,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autofree char *normalized = NULL;
  GTask *task;

  g_return_if_fail (CONFAB_IS_MESSAGING (self));
  g_return_if_fail (username != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_messaging_start_dm_async);
  normalized = confab_username_normalize (username);
  if (normalized == NULL || !confab_username_is_valid (normalized)
      || g_strcmp0 (normalized, own_username (self)) == 0)
    {
      g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                               _("There is no user “%s”."), username);
      g_object_unref (task);
      return;
    }
  confab_profiles_get_profile_async (get_profiles (self), normalized, cancellable,
                                     start_dm_profile_cb, task);
}

ConfabConversation *
confab_messaging_start_dm_finish (ConfabMessaging *self,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

