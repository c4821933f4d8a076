/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-devices"

#include "config.h"

#include "confab-devices.h"
#include "confab-protocol.h"
#include "confab-session.h"

struct _ConfabDevices
{
  ConfabFeature parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabDevices, confab_devices, CONFAB_TYPE_FEATURE)

static void
confab_devices_class_init (ConfabDevicesClass *klass)
{
}

static void
confab_devices_init (ConfabDevices *self)
{
}

ConfabDevices *
confab_devices_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_DEVICES, "session", session, NULL);
}

ConfabDevices *
confab_devices_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_DEVICES);
}

void
confab_devices_list_async (ConfabDevices       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_DEVICES (self));

  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_DEVICES, params, NULL,
                          confab_devices_list_async, cancellable, callback, user_data);
}

JsonArray *
confab_devices_list_finish (ConfabDevices  *self,
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
confab_devices_revoke_async (ConfabDevices       *self,
                             const char          *device_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_DEVICES (self));
  g_return_if_fail (device_id != NULL);

  json_object_set_string_member (params, "device_id", device_id);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_DEVICE_REVOKE, params, NULL,
                          confab_devices_revoke_async, cancellable, callback, user_data);
}

void
confab_devices_change_password_async (ConfabDevices       *self,
                                      const char          *old_password,
                                      const char          *new_password,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_DEVICES (self));
  g_return_if_fail (old_password != NULL && new_password != NULL);

  json_object_set_string_member (params, "old", old_password);
  json_object_set_string_member (params, "new", new_password);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_PASSWORD_CHANGE, params, NULL,
                          confab_devices_change_password_async, cancellable, callback,
                          user_data);
}
