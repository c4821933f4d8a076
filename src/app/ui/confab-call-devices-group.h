/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CALL_DEVICES_GROUP (confab_call_devices_group_get_type ())

G_DECLARE_FINAL_TYPE (ConfabCallDevicesGroup, confab_call_devices_group, CONFAB,
                      CALL_DEVICES_GROUP, AdwPreferencesGroup)

GtkWidget          *confab_call_devices_group_new         (ConfabMediaDevices     *devices);
ConfabMediaDevices *confab_call_devices_group_get_devices (ConfabCallDevicesGroup *self);
void                confab_call_devices_group_set_devices (ConfabCallDevicesGroup *self,
                                                           ConfabMediaDevices     *devices);

G_END_DECLS
