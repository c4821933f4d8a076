/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-feature"

#include "config.h"

#include "confab-feature.h"
#include "confab-client.h"
#include "confab-session-private.h"

#define ERROR_DETAILS_KEY "confab-error-details"

typedef struct
{
  /* The session owns its features: a borrowed pointer, cleared when it goes. */
  ConfabSession *session;
} ConfabFeaturePrivate;

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (ConfabFeature, confab_feature, G_TYPE_OBJECT)

typedef struct
{
  JsonObject             *params;
  ConfabFeatureApplyFunc  apply;
} RequestData;

static void
request_data_free (RequestData *data)
{
  g_clear_pointer (&data->params, json_object_unref);
  g_free (data);
}

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabFeature *self = g_task_get_source_object (task);
  RequestData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  JsonObject *reply;
  JsonObject *details;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      details = confab_client_result_get_error_details (result);
      if (details != NULL)
        g_object_set_data_full (G_OBJECT (task), ERROR_DETAILS_KEY, json_object_ref (details),
                                (GDestroyNotify) json_object_unref);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* After the session went there is nothing left to update. */
  if (data->apply != NULL && confab_feature_get_session (self) != NULL)
    data->apply (self, data->params, reply);
  g_task_return_pointer (task, reply, (GDestroyNotify) json_object_unref);
}

static void
confab_feature_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabFeature *self = CONFAB_FEATURE (object);
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, priv->session);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_feature_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ConfabFeature *self = CONFAB_FEATURE (object);
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_SESSION:
      priv->session = g_value_get_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_feature_dispose (GObject *object)
{
  ConfabFeature *self = CONFAB_FEATURE (object);
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  if (priv->session != NULL)
    {
      ConfabClient *client = confab_session_get_client (priv->session);

      if (client != NULL)
        g_signal_handlers_disconnect_by_data (client, self);
    }
  priv->session = NULL;

  G_OBJECT_CLASS (confab_feature_parent_class)->dispose (object);
}

static void
confab_feature_class_init (ConfabFeatureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_feature_get_property;
  object_class->set_property = confab_feature_set_property;
  object_class->dispose = confab_feature_dispose;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, CONFAB_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_feature_init (ConfabFeature *self)
{
}

ConfabSession *
confab_feature_get_session (ConfabFeature *self)
{
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_FEATURE (self), NULL);
  return priv->session;
}

ConfabClient *
confab_feature_get_client (ConfabFeature *self)
{
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_FEATURE (self), NULL);
  return priv->session != NULL ? confab_session_get_client (priv->session) : NULL;
}

ConfabCache *
confab_feature_get_cache (ConfabFeature *self)
{
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_FEATURE (self), NULL);
  return priv->session != NULL ? confab_session_get_cache (priv->session) : NULL;
}

const char *
confab_feature_get_username (ConfabFeature *self)
{
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_FEATURE (self), NULL);
  return priv->session != NULL ? confab_session_get_username (priv->session) : NULL;
}

GCancellable *
confab_feature_get_cancellable (ConfabFeature *self)
{
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_FEATURE (self), NULL);
  return priv->session != NULL ? confab_session_get_cancellable (priv->session) : NULL;
}

gboolean
confab_feature_get_started (ConfabFeature *self)
{
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_FEATURE (self), FALSE);
  return priv->session != NULL && confab_session_get_started (priv->session);
}

void
confab_feature_handle_event (ConfabFeature *self,
                             const char    *name,
                             GCallback      handler)
{
  ConfabFeaturePrivate *priv = confab_feature_get_instance_private (self);
  g_autofree char *detailed = NULL;

  g_return_if_fail (CONFAB_IS_FEATURE (self));
  g_return_if_fail (name != NULL && handler != NULL);
  g_return_if_fail (priv->session != NULL);

  detailed = g_strconcat ("event::", name, NULL);
  g_signal_connect_object (confab_session_get_client (priv->session), detailed, handler, self, 0);
  confab_session_claim_event (priv->session, name);
}

void
confab_feature_ack (ConfabFeature *self,
                    gint64         seq)
{
  ConfabClient *client;

  g_return_if_fail (CONFAB_IS_FEATURE (self));

  client = confab_feature_get_client (self);
  if (seq > 0 && client != NULL)
    confab_client_ack (client, seq);
}

void
confab_feature_request (ConfabFeature          *self,
                        const char             *type,
                        JsonObject             *params,
                        ConfabFeatureApplyFunc  apply,
                        gpointer                source_tag,
                        GCancellable           *cancellable,
                        GAsyncReadyCallback     callback,
                        gpointer                user_data)
{
  GTask *task;
  RequestData *data;

  g_return_if_fail (CONFAB_IS_FEATURE (self));
  g_return_if_fail (type != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  data = g_new0 (RequestData, 1);
  data->params = params != NULL ? json_object_ref (params) : json_object_new ();
  data->apply = apply;
  g_task_set_task_data (task, data, (GDestroyNotify) request_data_free);
  confab_client_request_async (confab_feature_get_client (self), type, data->params, cancellable,
                               request_cb, task);
}

JsonObject *
confab_feature_request_reply (ConfabFeature  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
confab_feature_request_finish (ConfabFeature  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  return reply != NULL;
}
