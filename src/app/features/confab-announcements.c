/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-announcements"

#include "config.h"

#include "confab-announcements.h"
#include "confab-cache.h"
#include "confab-client.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-message.h"
#include "confab-protocol.h"
#include "confab-session.h"

struct _ConfabAnnouncements
{
  ConfabFeature  parent_instance;

  GListStore    *list;       /* ConfabMessage, by id */
  GHashTable    *ids;        /* ids in the list (gint64 keys) */
  guint          unread;
  gint64         last_id;
  GPtrArray     *loaded;     /* from the cache, until applied */
};

enum
{
  PROP_0,
  PROP_UNREAD,
  N_PROPS
};

enum
{
  SIGNAL_RECEIVED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabAnnouncements, confab_announcements, CONFAB_TYPE_FEATURE)

static void
set_unread (ConfabAnnouncements *self,
            guint                unread)
{
  if (self->unread == unread)
    return;
  self->unread = unread;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD]);
}

static int
compare_by_id (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  gint64 ia = confab_message_get_id ((ConfabMessage *) a);
  gint64 ib = confab_message_get_id ((ConfabMessage *) b);

  return ia < ib ? -1 : ia > ib;
}

/* The ConfabMessage of a broadcast event's data (or a stored copy): NULL if it lacks a member. */
static ConfabMessage *
message_from_announcement (JsonObject *data)
{
  g_autoptr(JsonObject) msg = json_object_new ();
  const char *from = confab_json_get_string (data, "from");
  const char *body = confab_json_get_string (data, "body");
  gint64 id, ts;

  if (from == NULL || body == NULL || !confab_json_get_int (data, "id", &id)
      || !confab_json_get_int (data, "ts", &ts))
    return NULL;
  json_object_set_int_member (msg, "id", id);
  json_object_set_string_member (msg, "conv", CONFAB_ANNOUNCEMENTS_CONV);
  json_object_set_string_member (msg, "from", from);
  json_object_set_int_member (msg, "ts", ts);
  json_object_set_string_member (msg, "kind", "text");
  json_object_set_string_member (msg, "body", body);
  json_object_set_string_member (msg, "format", "plain");
  return confab_message_new_from_json (msg);
}

/* Adds @message unless there; TRUE if it is new. */
static gboolean
add_message (ConfabAnnouncements *self,
             ConfabMessage       *message,
             gboolean             read)
{
  gint64 id = confab_message_get_id (message);

  if (g_hash_table_contains (self->ids, &id))
    return FALSE;
  g_hash_table_add (self->ids, g_memdup2 (&id, sizeof id));
  g_list_store_insert_sorted (self->list, message, compare_by_id, NULL);
  self->last_id = MAX (self->last_id, id);
  if (!read)
    set_unread (self, self->unread + 1);
  return TRUE;
}

typedef struct
{
  ConfabAnnouncements *self;
  ConfabMessage       *message;
  gint64               seq;
} StoreData;

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  StoreData *data = user_data;
  ConfabAnnouncements *self = data->self;
  g_autoptr(GError) error = NULL;

  /* Not stored, not acked: the server offers it again on the next hello. */
  if (confab_cache_store_announcement_finish (CONFAB_CACHE (object), result, &error)
      && confab_feature_get_session (CONFAB_FEATURE (self)) != NULL)
    {
      /* One's own announcement is read already and not told. */
      gboolean own = g_strcmp0 (confab_message_get_sender (data->message),
                                confab_feature_get_username (CONFAB_FEATURE (self))) == 0;

      if (add_message (self, data->message, own) && !own)
        g_signal_emit (self, signals[SIGNAL_RECEIVED], 0, data->message);
      confab_feature_ack (CONFAB_FEATURE (self), data->seq);
    }
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("could not store an announcement: %s", error->message);
  g_object_unref (data->self);
  g_object_unref (data->message);
  g_free (data);
}

/* Stores @message, then shows it and acks @seq. */
static void
store_message (ConfabAnnouncements *self,
               ConfabMessage       *message,
               gint64               seq)
{
  g_autoptr(JsonObject) stored = json_object_new ();
  StoreData *store;


  json_object_set_int_member (stored, "id", confab_message_get_id (message));
  json_object_set_string_member (stored, "from", confab_message_get_sender (message));
  json_object_set_int_member (stored, "ts", confab_message_get_ts (message));
  json_object_set_string_member (stored, "body", confab_message_get_body (message));
  store = g_new0 (StoreData, 1);
  store->self = g_object_ref (self);
  store->message = g_object_ref (message);
  store->seq = seq;
  confab_cache_store_announcement_async (confab_feature_get_cache (CONFAB_FEATURE (self)), stored,
                                         seq,
                                         confab_feature_get_cancellable (CONFAB_FEATURE (self)),
                                         stored_cb, store);
}

static void
on_broadcast_event (ConfabClient        *client,
                    const char          *name,
                    JsonObject          *data,
                    gint64               seq,
                    ConfabAnnouncements *self)
{
  g_autoptr(ConfabMessage) message = message_from_announcement (data);

  if (message == NULL)
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  store_message (self, message, seq);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabAnnouncements *self = g_task_get_source_object (task);
  GError *error = NULL;

  g_clear_pointer (&self->loaded, g_ptr_array_unref);
  self->loaded = confab_cache_load_announcements_finish (CONFAB_CACHE (object), result, &error);
  if (self->loaded == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
confab_announcements_load_async (ConfabFeature       *feature,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task = g_task_new (feature, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_announcements_load_async);
  confab_cache_load_announcements_async (confab_feature_get_cache (feature),
                                         CONFAB_ANNOUNCEMENTS_LOADED, cancellable, loaded_cb,
                                         task);
}

static gboolean
confab_announcements_load_finish (ConfabFeature  *feature,
                                  GAsyncResult   *result,
                                  GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
confab_announcements_apply (ConfabFeature *feature)
{
  ConfabAnnouncements *self = CONFAB_ANNOUNCEMENTS (feature);
  g_autoptr(GPtrArray) loaded = g_steal_pointer (&self->loaded);

  for (guint i = 0; loaded != NULL && i < loaded->len; i++)
    {
      JsonObject *obj = g_ptr_array_index (loaded, i);
      g_autoptr(ConfabMessage) message = message_from_announcement (obj);
      gboolean read = FALSE;

      confab_json_get_bool (obj, "read", &read);
      if (message != NULL)
        add_message (self, message, read);
    }
}

static void
confab_announcements_constructed (GObject *object)
{
  G_OBJECT_CLASS (confab_announcements_parent_class)->constructed (object);

  confab_feature_handle_event (CONFAB_FEATURE (object), CONFAB_EVENT_BROADCAST,
                               G_CALLBACK (on_broadcast_event));
}

static void
confab_announcements_finalize (GObject *object)
{
  ConfabAnnouncements *self = CONFAB_ANNOUNCEMENTS (object);

  g_object_unref (self->list);
  g_hash_table_unref (self->ids);
  g_clear_pointer (&self->loaded, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_announcements_parent_class)->finalize (object);
}

static void
confab_announcements_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabAnnouncements *self = CONFAB_ANNOUNCEMENTS (object);

  switch (prop_id)
    {
    case PROP_UNREAD:
      g_value_set_uint (value, self->unread);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_announcements_class_init (ConfabAnnouncementsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabFeatureClass *feature_class = CONFAB_FEATURE_CLASS (klass);

  object_class->constructed = confab_announcements_constructed;
  object_class->finalize = confab_announcements_finalize;
  object_class->get_property = confab_announcements_get_property;
  feature_class->load_async = confab_announcements_load_async;
  feature_class->load_finish = confab_announcements_load_finish;
  feature_class->apply = confab_announcements_apply;

  properties[PROP_UNREAD] =
    g_param_spec_uint ("unread", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_RECEIVED] =
    g_signal_new ("received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CONFAB_TYPE_MESSAGE);
}

static void
confab_announcements_init (ConfabAnnouncements *self)
{
  self->list = g_list_store_new (CONFAB_TYPE_MESSAGE);
  self->ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
}

ConfabAnnouncements *
confab_announcements_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_ANNOUNCEMENTS, "session", session, NULL);
}

ConfabAnnouncements *
confab_announcements_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_ANNOUNCEMENTS);
}

GListModel *
confab_announcements_get_list (ConfabAnnouncements *self)
{
  g_return_val_if_fail (CONFAB_IS_ANNOUNCEMENTS (self), NULL);
  return G_LIST_MODEL (self->list);
}

guint
confab_announcements_get_unread (ConfabAnnouncements *self)
{
  g_return_val_if_fail (CONFAB_IS_ANNOUNCEMENTS (self), 0);
  return self->unread;
}

void
confab_announcements_mark_read (ConfabAnnouncements *self)
{
  g_return_if_fail (CONFAB_IS_ANNOUNCEMENTS (self));

  if (self->unread == 0)
    return;
  set_unread (self, 0);
  confab_cache_set_announcements_read_async (confab_feature_get_cache (CONFAB_FEATURE (self)),
                                             self->last_id,
                                             confab_feature_get_cancellable (CONFAB_FEATURE (self)),
                                             NULL, NULL);
}

/* Admins, and holders of the broadcast permission, which hello's own user lists. */
gboolean
confab_announcements_can_send (ConfabAnnouncements *self)
{
  ConfabClient *client;
  JsonObject *user;
  JsonArray *permissions;

  g_return_val_if_fail (CONFAB_IS_ANNOUNCEMENTS (self), FALSE);

  client = confab_feature_get_client (CONFAB_FEATURE (self));
  user = client != NULL ? confab_client_get_user (client) : NULL;
  if (user == NULL)
    return FALSE;
  if (g_strcmp0 (confab_json_get_string (user, "role"), "admin") == 0)
    return TRUE;
  permissions = confab_json_get_array (user, "permissions");
  for (guint i = 0; permissions != NULL && i < json_array_get_length (permissions); i++)
    {
      JsonNode *node = json_array_get_element (permissions, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
          && g_str_equal (json_node_get_string (node), "broadcast"))
        return TRUE;
    }
  return FALSE;
}

/* The connection that announced gets no event of it (the other devices do): the own
 * announcement is kept from the answer, with the time the answer came. */
static void
apply_send (ConfabFeature *feature,
            JsonObject    *params,
            JsonObject    *reply)
{
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(ConfabMessage) message = NULL;
  gint64 id;

  if (!confab_json_get_int (reply, "id", &id))
    return;
  json_object_set_int_member (data, "id", id);
  json_object_set_string_member (data, "from", confab_feature_get_username (feature));
  json_object_set_int_member (data, "ts", g_get_real_time () / 1000);
  json_object_set_string_member (data, "body", confab_json_get_string (params, "body"));
  message = message_from_announcement (data);
  if (message != NULL)
    store_message (CONFAB_ANNOUNCEMENTS (feature), message, 0);
}

void
confab_announcements_send_async (ConfabAnnouncements *self,
                                 const char          *body,
                                 const char          *department,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();
  JsonObject *audience = json_object_new ();

  g_return_if_fail (CONFAB_IS_ANNOUNCEMENTS (self));
  g_return_if_fail (body != NULL);

  json_object_set_string_member (params, "body", body);
  if (department != NULL && department[0] != '\0')
    json_object_set_string_member (audience, "department", department);
  else
    json_object_set_boolean_member (audience, "all", TRUE);
  json_object_set_object_member (params, "audience", audience);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_BROADCAST, params, apply_send,
                          confab_announcements_send_async, cancellable, callback, user_data);
}

gint64
confab_announcements_send_finish (ConfabAnnouncements  *self,
                                  GAsyncResult         *result,
                                  GError              **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  reply = confab_feature_request_reply (CONFAB_FEATURE (self), result, error);
  return reply != NULL ? confab_json_get_int_or (reply, "recipients", 0) : -1;
}
