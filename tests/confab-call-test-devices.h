/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gst/gst.h>

#include "confab-call.h"

G_BEGIN_DECLS

/* Devices as a device provider would report them, for the call tests (tests have no real
 * ones): a microphone, one that cannot be opened, a camera and a speaker that counts what
 * it plays. */
typedef enum
{
  CONFAB_CALL_TEST_MICROPHONE,
  CONFAB_CALL_TEST_BROKEN_MICROPHONE,
  CONFAB_CALL_TEST_CAMERA,
  CONFAB_CALL_TEST_SPEAKER,
} ConfabCallTestDeviceKind;

GstDevice *confab_call_test_device_new         (ConfabCallTestDeviceKind  kind,
                                                const char               *name);
guint      confab_call_test_device_get_buffers (GstDevice                *device);
GstDevice *confab_call_test_device_in_use      (ConfabCall               *call,
                                                const char               *name);

/* @sdp with the media line of @media ("audio", "video") rejected as a peer that refuses it
 * answers (port 0, RFC 3264 §6); its index in @mline. */
char      *confab_call_test_refuse_media       (const char               *sdp,
                                                const char               *media,
                                                guint                    *mline);

G_END_DECLS
