/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SESSION (confab_session_get_type ())
G_DECLARE_FINAL_TYPE (ConfabSession, confab_session, CONFAB, SESSION, GObject)

/* One signed-in account: ties a ConfabClient (already holding username and token, from
 * login or the keyring) to its ConfabCache and holds the features, one per capability
 * (messaging, profiles, typing, presence, devices; calls join from the calls library). Each
 * feature owns its requests, events and part of the cache; get one with
 * confab_<feature>_from_session(). */
ConfabSession *confab_session_new             (ConfabClient  *client);
ConfabClient  *confab_session_get_client      (ConfabSession *self);
ConfabCache   *confab_session_get_cache       (ConfabSession *self);
const char    *confab_session_get_username    (ConfabSession *self);

/* Adds @feature (transfer full), made for this session; one per type. Features added before
 * start load with it. */
void           confab_session_add_feature     (ConfabSession *self,
                                               ConfabFeature *feature);
/* The feature of @type (or a subtype), or NULL. */
gpointer       confab_session_get_feature     (ConfabSession *self,
                                               GType          type);

/* Opens the cache, lets every feature read its part, then connects (resuming from the last
 * stored seq) and stays connected. Completes once the cached state is shown, not when online. */
void           confab_session_start_async     (ConfabSession       *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean       confab_session_start_finish    (ConfabSession       *self,
                                               GAsyncResult        *result,
                                               GError             **error);
/* While held (a count), start stops short of connecting: the cache can be read while the token
 * is still being looked up. The last release connects if start got that far. */
void           confab_session_hold_connect    (ConfabSession *self);
void           confab_session_release_connect (ConfabSession *self);
/* Disconnects and closes the cache (the outbox is kept for the next start). */
void           confab_session_stop            (ConfabSession *self);

/* Signals:
 *   "event" (detailed) (const char *name, JsonObject *data)  forwarded from the client, for
 *       events no feature claims (rooms, contacts…); their seq is stored and acked here
 */

G_END_DECLS
