/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "confab-call-types.h"

G_BEGIN_DECLS

/* End reasons the manager adds to the call's own (see confab-call.h) and the server's
 * (declined, busy, timeout, cancelled, answered_elsewhere, connection_lost). */
#define CONFAB_CALL_END_UNAVAILABLE   "unavailable"   /* no device of the peer was online */
#define CONFAB_CALL_END_INVITE_FAILED "invite_failed" /* the server refused the invitation */

#define CONFAB_TYPE_CALL_MANAGER (confab_call_manager_get_type ())

G_DECLARE_FINAL_TYPE (ConfabCallManager, confab_call_manager, CONFAB, CALL_MANAGER, GObject)

ConfabCallManager  *confab_call_manager_new                (ConfabClient       *client,
                                                            ConfabMediaDevices *devices);
ConfabClient       *confab_call_manager_get_client         (ConfabCallManager  *self);
ConfabMediaDevices *confab_call_manager_get_devices        (ConfabCallManager  *self);

/* The call under way (ringing out, connecting, connected), or NULL. */
ConfabCall         *confab_call_manager_get_current_call   (ConfabCallManager  *self);

/* The call ringing in, if any: its id (NULL when none), caller and media. */
const char         *confab_call_manager_get_incoming_id    (ConfabCallManager  *self);
const char         *confab_call_manager_get_incoming_from  (ConfabCallManager  *self);
ConfabCallMedia     confab_call_manager_get_incoming_media (ConfabCallManager  *self);

/* Calls @peer: the call exists at once (state new: ringing), the invitation goes out, and the
 * caller makes the offer once the peer answers. Fails if a call is already under way. */
ConfabCall         *confab_call_manager_start_call         (ConfabCallManager  *self,
                                                            const char         *peer,
                                                            ConfabCallMedia     media,
                                                            GError            **error);
/* Answers the ringing call @call_id: its ConfabCall becomes the current call. */
ConfabCall         *confab_call_manager_accept             (ConfabCallManager  *self,
                                                            const char         *call_id,
                                                            GError            **error);
void                confab_call_manager_decline            (ConfabCallManager  *self,
                                                            const char         *call_id);
/* Hangs up the current call (cancels it while it still rings). */
void                confab_call_manager_hangup             (ConfabCallManager  *self);

/*
 * Signals:
 *   "incoming-call"       (const char *call_id, const char *from, ConfabCallMedia media)
 *   "incoming-call-ended" (const char *call_id, const char *reason)   stopped ringing without
 *                          being answered here: cancelled, timeout, answered_elsewhere,
 *                          declined (here or elsewhere)
 *   "call-started"        (ConfabCall *call)                          now the current call
 *   "call-ended"          (ConfabCall *call, const char *reason)      no longer current
 *   "missed-call"         (const char *call_id, const char *from, ConfabCallMedia media,
 *                          gint64 ts)                                 the durable call_missed
 */

G_END_DECLS
