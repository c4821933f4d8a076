/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-presence"

#include "config.h"

#include "confab-client.h"
#include "confab-frame.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-limits.h"
#include "confab-messaging.h"
#include "confab-presence-feature.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-session.h"

struct _ConfabPresenceFeature
{
  ConfabFeature  parent_instance;

  GHashTable    *wanted;     /* usernames to ask for at the next idle */
  guint          ask_id;
};

G_DEFINE_FINAL_TYPE (ConfabPresenceFeature, confab_presence_feature, CONFAB_TYPE_FEATURE)

static ConfabProfiles *
get_profiles (ConfabPresenceFeature *self)
{
  return confab_profiles_from_session (confab_feature_get_session (CONFAB_FEATURE (self)));
}

static void
on_presence_event (ConfabClient          *client,
                   const char            *name,
                   JsonObject            *data,
                   gint64                 seq,
                   ConfabPresenceFeature *self)
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
  confab_contact_set_presence (confab_profiles_get_contact (get_profiles (self), user),
                               confab_presence_from_string (status),
                               confab_json_get_string (data, "text"), last_seen);
}

static void
presence_get_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabPresenceFeature) self = user_data;
  g_autoptr(JsonObject) reply = NULL;
  ConfabProfiles *profiles;
  JsonArray *array;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, NULL);
  array = confab_json_get_array (reply, "presence");
  if (array == NULL || confab_feature_get_session (CONFAB_FEATURE (self)) == NULL)
    return;
  profiles = get_profiles (self);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      const char *user;
      JsonObject *obj;

      if (!JSON_NODE_HOLDS_OBJECT (item))
        continue;
      obj = json_node_get_object (item);
      user = confab_json_get_string (obj, "user");
      if (user == NULL)
        continue;
      confab_contact_set_presence (confab_profiles_get_contact (profiles, user),
                                   confab_presence_from_string (confab_json_get_string (obj,
                                                                                        "status")),
                                   confab_json_get_string (obj, "text"),
                                   confab_json_get_int_or (obj, "last_seen", 0));
    }
}

/* Asks for the status of @names, in requests of at most CONFAB_PRESENCE_GET_MAX_USERS. */
static void
ask_presence (ConfabPresenceFeature *self,
              GPtrArray             *names)
{
  ConfabFeature *feature = CONFAB_FEATURE (self);
  const char *own = confab_feature_get_username (feature);
  ConfabClient *client = confab_feature_get_client (feature);
  guint i = 0;

  if (client == NULL || confab_client_get_state (client) != CONFAB_CLIENT_STATE_CONNECTED)
    return;
  while (i < names->len)
    {
      g_autoptr(JsonObject) params = json_object_new ();
      JsonArray *users = json_array_new ();

      for (; i < names->len && json_array_get_length (users) < CONFAB_PRESENCE_GET_MAX_USERS; i++)
        if (g_strcmp0 (g_ptr_array_index (names, i), own) != 0)
          json_array_add_string_element (users, g_ptr_array_index (names, i));
      json_object_set_array_member (params, "users", users);
      if (json_array_get_length (users) == 0)
        continue;
      confab_client_request_async (client, CONFAB_REQUEST_PRESENCE_GET, params,
                                   confab_feature_get_cancellable (feature), presence_get_cb,
                                   g_object_ref (self));
    }
}

/* The status of everyone the session shows, after each sync (the first and every reconnect). */
static void
confab_presence_feature_synced (ConfabFeature *feature)
{
  ConfabPresenceFeature *self = CONFAB_PRESENCE_FEATURE (feature);
  g_autoptr(GPtrArray) names = confab_profiles_dup_usernames (get_profiles (self));

  ask_presence (self, names);
}

static gboolean
ask_wanted_cb (gpointer user_data)
{
  ConfabPresenceFeature *self = user_data;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer name;

  self->ask_id = 0;
  g_hash_table_iter_init (&iter, self->wanted);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    {
      g_ptr_array_add (names, name);
      g_hash_table_iter_steal (&iter);
    }
  if (confab_feature_get_session (CONFAB_FEATURE (self)) != NULL)
    ask_presence (self, names);
  return G_SOURCE_REMOVE;
}

/* A DM that appears (a first message, a new conversation in the list) shows its peer's status
 * at once, not only after the peer changes it. */
static void
on_conversations_changed (GListModel            *model,
                          guint                  position,
                          guint                  removed,
                          guint                  added,
                          ConfabPresenceFeature *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(ConfabConversation) conv = g_list_model_get_item (model, i);
      const char *peer = confab_conversation_get_peer (conv);

      if (peer != NULL)
        g_hash_table_add (self->wanted, g_strdup (peer));
    }
  if (g_hash_table_size (self->wanted) > 0 && self->ask_id == 0)
    self->ask_id = g_idle_add (ask_wanted_cb, self);
}

static void
confab_presence_feature_constructed (GObject *object)
{
  ConfabSession *session;
  ConfabMessaging *messaging;

  G_OBJECT_CLASS (confab_presence_feature_parent_class)->constructed (object);

  confab_feature_handle_event (CONFAB_FEATURE (object), CONFAB_EVENT_PRESENCE,
                               G_CALLBACK (on_presence_event));
  session = confab_feature_get_session (CONFAB_FEATURE (object));
  messaging = session != NULL ? confab_messaging_from_session (session) : NULL;
  if (messaging != NULL)
    g_signal_connect_object (confab_messaging_get_conversations (messaging), "items-changed",
                             G_CALLBACK (on_conversations_changed), object, 0);
}

static void
confab_presence_feature_dispose (GObject *object)
{
  ConfabPresenceFeature *self = CONFAB_PRESENCE_FEATURE (object);

  g_clear_handle_id (&self->ask_id, g_source_remove);

  G_OBJECT_CLASS (confab_presence_feature_parent_class)->dispose (object);
}

static void
confab_presence_feature_finalize (GObject *object)
{
  ConfabPresenceFeature *self = CONFAB_PRESENCE_FEATURE (object);

  g_hash_table_unref (self->wanted);

  G_OBJECT_CLASS (confab_presence_feature_parent_class)->finalize (object);
}

static void
confab_presence_feature_class_init (ConfabPresenceFeatureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabFeatureClass *feature_class = CONFAB_FEATURE_CLASS (klass);

  object_class->constructed = confab_presence_feature_constructed;
  object_class->dispose = confab_presence_feature_dispose;
  object_class->finalize = confab_presence_feature_finalize;
  feature_class->synced = confab_presence_feature_synced;
}

static void
confab_presence_feature_init (ConfabPresenceFeature *self)
{
  self->wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

ConfabPresenceFeature *
confab_presence_feature_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_PRESENCE_FEATURE, "session", session, NULL);
}

ConfabPresenceFeature *
confab_presence_feature_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_PRESENCE_FEATURE);
}

static void
apply_presence (ConfabFeature *feature,
                JsonObject    *params,
                JsonObject    *reply)
{
  ConfabPresenceFeature *self = CONFAB_PRESENCE_FEATURE (feature);

  confab_contact_set_presence (confab_profiles_get_self_contact (get_profiles (self)),
                               confab_presence_from_string (confab_json_get_string (params,
                                                                                    "status")),
                               confab_json_get_string (params, "text"), 0);
}

void
confab_presence_feature_set_presence_async (ConfabPresenceFeature *self,
                                            ConfabPresence         status,
                                            const char            *text,
                                            GCancellable          *cancellable,
                                            GAsyncReadyCallback    callback,
                                            gpointer               user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_PRESENCE_FEATURE (self));
  g_return_if_fail (status != CONFAB_PRESENCE_OFFLINE);

  json_object_set_string_member (params, "status", confab_presence_to_string (status));
  if (text != NULL && text[0] != '\0')
    json_object_set_string_member (params, "text", text);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_PRESENCE, params, apply_presence,
                          confab_presence_feature_set_presence_async, cancellable, callback,
                          user_data);
}
