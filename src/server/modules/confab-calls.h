/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-connection.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CALLS (confab_calls_get_type ())
G_DECLARE_FINAL_TYPE (ConfabCalls, confab_calls, CONFAB, CALLS, GObject)

/* Registers the calls module with @server. */
void         confab_calls_register    (ConfabServer      *server);

ConfabCalls *confab_calls_new         (ConfabServer      *server);
JsonArray   *confab_calls_ice_servers (ConfabCalls       *self,
                                       const char        *username);
void         confab_calls_invite      (ConfabCalls       *self,
                                       ConfabConnection  *connection,
                                       const char        *id,
                                       const char        *call_id,
                                       const char        *to,
                                       gboolean           audio,
                                       gboolean           video);
void         confab_calls_answer      (ConfabCalls       *self,
                                       ConfabConnection  *connection,
                                       const char        *id,
                                       const char        *call_id);
void         confab_calls_reject      (ConfabCalls       *self,
                                       ConfabConnection  *connection,
                                       const char        *id,
                                       const char        *call_id,
                                       const char        *reason);
void         confab_calls_signal      (ConfabCalls       *self,
                                       ConfabConnection  *connection,
                                       const char        *id,
                                       const char        *call_id,
                                       const char        *to_device,
                                       JsonObject        *sdp,
                                       JsonObject        *ice);
void         confab_calls_hangup      (ConfabCalls       *self,
                                       ConfabConnection  *connection,
                                       const char        *id,
                                       const char        *call_id,
                                       const char        *reason);
void         confab_calls_device_gone (ConfabCalls       *self,
                                       const char        *username,
                                       const char        *device_id);

G_END_DECLS
