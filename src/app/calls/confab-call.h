/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-call-types.h"

G_BEGIN_DECLS

/* End reasons set by the call itself; others come from signalling (see confab_call_end()). */
#define CONFAB_CALL_END_HANGUP            "hangup"
#define CONFAB_CALL_END_CONNECTION_LOST   "connection_lost"
#define CONFAB_CALL_END_CONNECTION_FAILED "connection_failed"
#define CONFAB_CALL_END_MEDIA_ERROR       "media_error"

#define CONFAB_TYPE_CALL (confab_call_get_type ())

G_DECLARE_FINAL_TYPE (ConfabCall, confab_call, CONFAB, CALL, GObject)

void             confab_call_warm_up                   (void);
void             confab_call_warm_up_wait              (void);

ConfabCall      *confab_call_new                       (const char         *call_id,
                                                        const char         *peer,
                                                        ConfabCallRole      role,
                                                        ConfabCallMedia     media,
                                                        ConfabMediaDevices *devices,
                                                        GError            **error);

const char      *confab_call_get_call_id               (ConfabCall         *self);
const char      *confab_call_get_peer                  (ConfabCall         *self);
ConfabCallRole   confab_call_get_role                  (ConfabCall         *self);
ConfabCallMedia  confab_call_get_media                 (ConfabCall         *self);
ConfabCallState  confab_call_get_state                 (ConfabCall         *self);
const char      *confab_call_get_end_reason            (ConfabCall         *self);
gboolean         confab_call_get_muted                 (ConfabCall         *self);
gboolean         confab_call_get_camera_on             (ConfabCall         *self);
gboolean         confab_call_get_microphone_failed     (ConfabCall         *self);
guint            confab_call_get_duration              (ConfabCall         *self);
ConfabCallMedia  confab_call_get_refused_media         (ConfabCall         *self);
GdkPaintable    *confab_call_get_local_video           (ConfabCall         *self);
GdkPaintable    *confab_call_get_remote_video          (ConfabCall         *self);

gboolean         confab_call_set_ice_servers           (ConfabCall         *self,
                                                        JsonArray          *servers,
                                                        GError            **error);
void             confab_call_start                     (ConfabCall         *self);
gboolean         confab_call_set_remote_description    (ConfabCall         *self,
                                                        const char         *type,
                                                        const char         *sdp,
                                                        GError            **error);
gboolean         confab_call_add_remote_ice            (ConfabCall         *self,
                                                        const char         *candidate,
                                                        guint               sdp_mline_index,
                                                        GError            **error);
void             confab_call_set_muted                 (ConfabCall         *self,
                                                        gboolean            muted);
void             confab_call_set_camera_enabled        (ConfabCall         *self,
                                                        gboolean            enabled);
void             confab_call_hangup                    (ConfabCall         *self);
void             confab_call_end                       (ConfabCall         *self,
                                                        const char         *reason);

const char      *confab_call_state_to_string           (ConfabCallState     state);

G_END_DECLS
