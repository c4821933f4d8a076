/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* For ConfabPresence. */
#include "confab-contact.h"
#include "confab-feature.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PRESENCE_FEATURE (confab_presence_feature_get_type ())
G_DECLARE_FINAL_TYPE (ConfabPresenceFeature, confab_presence_feature, CONFAB, PRESENCE_FEATURE,
                      ConfabFeature)

/* Presence: the own status (per connection on the server: announce it after each reconnect),
 * and the contacts' from presence_get after each sync and the presence events. Nothing of it
 * is stored. (ConfabPresence is the status enum of confab-contact.h.) */
ConfabPresenceFeature *confab_presence_feature_new          (ConfabSession *session);
ConfabPresenceFeature *confab_presence_feature_from_session (ConfabSession *session);

/* Finish with confab_feature_request_finish(). */
void confab_presence_feature_set_presence_async (ConfabPresenceFeature *self,
                                                 ConfabPresence         status,
                                                 const char            *text,
                                                 GCancellable          *cancellable,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);

G_END_DECLS
