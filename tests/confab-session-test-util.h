/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-session.h"
#include "confab-test-util.h"

G_BEGIN_DECLS

/* A session that is stopped before it goes, as the application does: the outbox and the cache
 * finish with it. */
typedef ConfabSession RunningSession;

void           running_session_free (RunningSession   *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RunningSession, running_session_free)

/* A client of a new account @username on @server, logged in (its token held), not started. */
ConfabClient  *signed_up_client     (ConfabTestServer *server,
                                     const char       *username,
                                     const char       *display_name);
/* A session of @client, started and connected. */
ConfabSession *start_session        (ConfabClient     *client);
/* Both of the above. */
ConfabSession *signed_in_session    (ConfabTestServer *server,
                                     const char       *username,
                                     const char       *display_name);

G_END_DECLS
