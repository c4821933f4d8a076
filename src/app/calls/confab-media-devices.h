/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MEDIA_DEVICES (confab_media_devices_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMediaDevices, confab_media_devices, CONFAB, MEDIA_DEVICES, GObject)

ConfabMediaDevices *confab_media_devices_new                     (void);

gboolean            confab_media_devices_get_test_mode           (ConfabMediaDevices *self);

GListModel         *confab_media_devices_get_cameras             (ConfabMediaDevices *self);
GListModel         *confab_media_devices_get_microphones         (ConfabMediaDevices *self);
GListModel         *confab_media_devices_get_speakers            (ConfabMediaDevices *self);

GstDevice          *confab_media_devices_get_camera              (ConfabMediaDevices *self);
void                confab_media_devices_set_camera              (ConfabMediaDevices *self,
                                                                  GstDevice          *device);
GstDevice          *confab_media_devices_get_microphone          (ConfabMediaDevices *self);
void                confab_media_devices_set_microphone          (ConfabMediaDevices *self,
                                                                  GstDevice          *device);
GstDevice          *confab_media_devices_get_speaker             (ConfabMediaDevices *self);
void                confab_media_devices_set_speaker             (ConfabMediaDevices *self,
                                                                  GstDevice          *device);

/* Stable name of @device, as kept in the settings (properties camera-id, microphone-id,
 * speaker-id: "" is the default device). */
char               *confab_media_devices_device_id               (GstDevice          *device);

gboolean            confab_media_devices_has_camera              (ConfabMediaDevices *self);
GstElement         *confab_media_devices_create_camera_source    (ConfabMediaDevices *self);
GstElement         *confab_media_devices_create_microphone_source (ConfabMediaDevices *self);
GstElement         *confab_media_devices_create_speaker_sink     (ConfabMediaDevices *self);

G_END_DECLS
