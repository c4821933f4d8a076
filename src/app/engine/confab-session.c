/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-session"

#include "config.h"

#include "confab-announcements.h"
#include "confab-cache.h"
#include "confab-client.h"
#include "confab-contacts.h"
#include "confab-devices.h"
#include "confab-directory.h"
#include "confab-files.h"
#include "confab-frame.h"
#include "confab-messaging.h"
#include "confab-presence-feature.h"
#include "confab-profiles.h"
#include "confab-rooms.h"
#include "confab-search.h"
#include "confab-session-private.h"
#include "confab-typing.h"

struct _ConfabSession
{
  GObject        parent_instance;

  ConfabClient  *client;
  ConfabCache   *cache;
  char          *username;
  GCancellable  *cancellable;
  gboolean       started;
  guint          connect_holds;   /* reasons not to connect yet */
  gint64         start_seq;

  GPtrArray     *features;        /* ConfabFeature, in the order they were added */
  GHashTable    *claimed_events;  /* event names a feature stores and acks (set) */
};

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabSession, confab_session, G_TYPE_OBJECT)

/* Stream events ---------------------------------------------------------------------------- */

typedef struct
{
  ConfabSession *session;
  gint64         seq;
} SeqData;

static SeqData *
seq_data_new (ConfabSession *self,
              gint64         seq)
{
  SeqData *data = g_new0 (SeqData, 1);

  data->session = g_object_ref (self);
  data->seq = seq;
  return data;
}

static void
seq_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  SeqData *data = user_data;

  if (confab_cache_set_last_seq_finish (CONFAB_CACHE (object), result, NULL) && data->seq > 0)
    confab_client_ack (data->session->client, data->seq);
  g_object_unref (data->session);
  g_free (data);
}

static void
on_client_event (ConfabClient  *client,
                 const char    *name,
                 JsonObject    *data,
                 gint64         seq,
                 ConfabSession *self)
{
  if (g_hash_table_contains (self->claimed_events, name))
    return;

  g_signal_emit (self, signals[SIGNAL_EVENT], g_quark_from_string (name), name, data);
  /* Events no feature keeps still move the stored seq, in order with the rest. */
  if (seq > 0)
    confab_cache_set_last_seq_async (self->cache, seq, self->cancellable, seq_stored_cb,
                                     seq_data_new (self, seq));
}

static void
on_client_synced (ConfabClient  *client,
                  gint64         last_seq,
                  ConfabSession *self)
{
  for (guint i = 0; i < self->features->len; i++)
    {
      ConfabFeature *feature = g_ptr_array_index (self->features, i);

      if (CONFAB_FEATURE_GET_CLASS (feature)->synced != NULL)
        CONFAB_FEATURE_GET_CLASS (feature)->synced (feature);
    }
}

static void
on_client_resync_required (ConfabClient  *client,
                           ConfabSession *self)
{
  JsonObject *hello = confab_client_get_hello_result (client);
  gint64 last_seq = 0;

  /* The missed events are gone: each feature reloads its state instead, and the stream
   * continues from now on. */
  for (guint i = 0; i < self->features->len; i++)
    {
      ConfabFeature *feature = g_ptr_array_index (self->features, i);

      if (CONFAB_FEATURE_GET_CLASS (feature)->resync != NULL)
        CONFAB_FEATURE_GET_CLASS (feature)->resync (feature);
    }
  if (confab_json_get_int (hello, "last_seq", &last_seq) && last_seq > 0)
    confab_cache_set_last_seq_async (self->cache, last_seq, self->cancellable, seq_stored_cb,
                                     seq_data_new (self, last_seq));
}

/* GObject ---------------------------------------------------------------------------------- */

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

  g_hash_table_add (self->claimed_events, g_strdup ("synced"));
  g_hash_table_add (self->claimed_events, g_strdup ("resync_required"));
  g_signal_connect_object (self->client, "event", G_CALLBACK (on_client_event), self, 0);
  g_signal_connect_object (self->client, "synced", G_CALLBACK (on_client_synced), self, 0);
  g_signal_connect_object (self->client, "resync-required",
                           G_CALLBACK (on_client_resync_required), self, 0);

  /* The capabilities, in the order they load, apply and hear of each sync. */
  confab_session_add_feature (self, CONFAB_FEATURE (confab_messaging_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_profiles_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_typing_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_presence_feature_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_devices_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_rooms_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_search_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_files_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_contacts_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_directory_new (self)));
  confab_session_add_feature (self, CONFAB_FEATURE (confab_announcements_new (self)));
}

static void
confab_session_dispose (GObject *object)
{
  ConfabSession *self = CONFAB_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      /* Once stopped, the client may already serve the next session of the same account:
       * a session that goes later (its last jobs done) must not stop it under that one. */
      if (self->started)
        confab_client_stop (self->client);
    }
  /* Last added first: a feature may still reach those it uses while it goes. */
  while (self->features->len > 0)
    {
      g_autoptr(ConfabFeature) feature = g_ptr_array_steal_index (self->features,
                                                                  self->features->len - 1);

      g_object_run_dispose (G_OBJECT (feature));
    }
  g_clear_object (&self->client);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (confab_session_parent_class)->dispose (object);
}

static void
confab_session_finalize (GObject *object)
{
  ConfabSession *self = CONFAB_SESSION (object);

  g_ptr_array_unref (self->features);
  g_hash_table_unref (self->claimed_events);
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
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_OBJECT);
}

static void
confab_session_init (ConfabSession *self)
{
  self->cancellable = g_cancellable_new ();
  self->features = g_ptr_array_new_with_free_func (g_object_unref);
  self->claimed_events = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
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

void
confab_session_add_feature (ConfabSession *self,
                            ConfabFeature *feature)
{
  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (CONFAB_IS_FEATURE (feature));
  g_return_if_fail (confab_feature_get_session (feature) == self);
  g_return_if_fail (confab_session_get_feature (self, G_OBJECT_TYPE (feature)) == NULL);

  g_ptr_array_add (self->features, feature);
}

gpointer
confab_session_get_feature (ConfabSession *self,
                            GType          type)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);

  for (guint i = 0; i < self->features->len; i++)
    if (G_TYPE_CHECK_INSTANCE_TYPE (g_ptr_array_index (self->features, i), type))
      return g_ptr_array_index (self->features, i);
  return NULL;
}

void
confab_session_claim_event (ConfabSession *self,
                            const char    *name)
{
  g_return_if_fail (CONFAB_IS_SESSION (self));
  g_return_if_fail (name != NULL);

  g_hash_table_add (self->claimed_events, g_strdup (name));
}

gboolean
confab_session_get_started (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), FALSE);
  return self->started;
}

GCancellable *
confab_session_get_cancellable (ConfabSession *self)
{
  g_return_val_if_fail (CONFAB_IS_SESSION (self), NULL);
  return self->cancellable;
}

/* start: the cache is opened, every feature's part and the last seq are read, all queued on the
 * cache's thread at once and applied when all have answered, so no step waits for the main
 * loop; then connect. */

typedef struct
{
  guint   pending;
  GError *error;      /* the first */
  gint64  seq;
} StartData;

static void
start_data_free (StartData *data)
{
  g_clear_error (&data->error);
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

  for (guint i = 0; i < self->features->len; i++)
    {
      ConfabFeature *feature = g_ptr_array_index (self->features, i);

      if (CONFAB_FEATURE_GET_CLASS (feature)->apply != NULL)
        CONFAB_FEATURE_GET_CLASS (feature)->apply (feature);
    }

  self->started = TRUE;
  self->start_seq = data->seq;
  if (self->connect_holds == 0)
    confab_client_start (self->client, data->seq);
  g_task_return_boolean (task, TRUE);
}

/* One step answered: keep its result (or the first error) and apply after the last. */
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
start_feature_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ConfabFeature *feature = CONFAB_FEATURE (object);
  GError *error = NULL;

  CONFAB_FEATURE_GET_CLASS (feature)->load_finish (feature, result, &error);
  start_step_done (user_data, error);
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
  data->pending = 2;
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);

  /* The cache runs its jobs in order on one thread: the reads find it open. */
  confab_cache_open_async (self->cache, cancellable, start_open_cb, g_object_ref (task));
  for (guint i = 0; i < self->features->len; i++)
    {
      ConfabFeature *feature = g_ptr_array_index (self->features, i);

      if (CONFAB_FEATURE_GET_CLASS (feature)->load_async == NULL)
        continue;
      data->pending++;
      CONFAB_FEATURE_GET_CLASS (feature)->load_async (feature, cancellable, start_feature_cb,
                                                      g_object_ref (task));
    }
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
