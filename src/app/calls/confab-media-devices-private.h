/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-media-devices.h"

G_BEGIN_DECLS

/* For tests only: test sources and sinks, and devices that come and go on demand. */
ConfabMediaDevices *confab_media_devices_new_for_testing           (gboolean            camera);
void                confab_media_devices_add_device_for_testing    (ConfabMediaDevices *self,
                                                                    GstDevice          *device);
void                confab_media_devices_remove_device_for_testing (ConfabMediaDevices *self,
                                                                    GstDevice          *device);

G_END_DECLS
