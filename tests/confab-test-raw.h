/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-test-util.h"

G_BEGIN_DECLS

/* A WebSocket peer on a raw socket with a small receive window, which reads only when told:
 * what the server sends it piles up on the server's side. */
typedef struct
{
  GSocketConnection *socket;
  GIOStream         *stream;  /* the socket, or TLS over it */
} ConfabTestRawPeer;

/* Connects, upgrades and sends hello with @token (its answer is not read). */
ConfabTestRawPeer *confab_test_raw_peer_new    (ConfabTestServer  *server,
                                                const char        *token,
                                                gboolean           tls);
void               confab_test_raw_peer_free   (ConfabTestRawPeer *peer);
/* Sends @text as one masked text frame. */
void               confab_test_raw_send        (ConfabTestRawPeer *peer,
                                                const char        *text);
/* Reads the server's frames until its close frame, the end of the stream, or the event
 * @until_event (NULL: none). Returns the close code (0 if there was none); the seqs of the
 * `message` events go to @seqs (may be NULL). */
guint              confab_test_raw_read_frames (ConfabTestRawPeer *peer,
                                                GArray            *seqs,
                                                const char        *until_event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTestRawPeer, confab_test_raw_peer_free)

G_END_DECLS
