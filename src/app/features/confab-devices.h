/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_DEVICES (confab_devices_get_type ())
G_DECLARE_FINAL_TYPE (ConfabDevices, confab_devices, CONFAB, DEVICES, ConfabFeature)

/* The account's devices (each signed-in copy of the app) and its password. */
ConfabDevices *confab_devices_new          (ConfabSession *session);
ConfabDevices *confab_devices_from_session (ConfabSession *session);

/* Completes with the "devices" array ({device_id, name, created_ts, last_seen_ts, current}). */
void           confab_devices_list_async   (ConfabDevices        *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
JsonArray     *confab_devices_list_finish  (ConfabDevices        *self,
                                            GAsyncResult         *result,
                                            GError              **error);
/* Signs @device_id out. Finish with confab_feature_request_finish(). */
void           confab_devices_revoke_async (ConfabDevices        *self,
                                            const char           *device_id,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
/* Finish with confab_feature_request_finish(). */
void           confab_devices_change_password_async (ConfabDevices       *self,
                                                     const char          *old_password,
                                                     const char          *new_password,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);

G_END_DECLS
