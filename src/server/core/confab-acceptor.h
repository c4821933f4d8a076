/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "confab-tls.h"

G_BEGIN_DECLS

/* Accepts confabd's TCP connections on the main loop, does the TLS handshake there, and hands
 * each connection to the SoupServer once it is ready for HTTP. Until the connection's first
 * request headers are in it is pending: pending connections have a deadline, and past a cap
 * per address or overall the oldest pending one is closed to make room. */
typedef struct _ConfabAcceptor ConfabAcceptor;

typedef struct
{
  guint deadline_ms;       /* from accept to the first request's headers */
  guint max_pending;
  guint max_pending_per_address;
} ConfabAcceptorLimits;

ConfabAcceptor *confab_acceptor_new          (SoupServer                 *soup,
                                              ConfabTlsContext           *tls,
                                              const ConfabAcceptorLimits *limits);
gboolean        confab_acceptor_listen       (ConfabAcceptor             *self,
                                              GSocket                    *socket,
                                              GError                    **error);
guint           confab_acceptor_get_pending  (ConfabAcceptor             *self);
void            confab_acceptor_free         (ConfabAcceptor             *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabAcceptor, confab_acceptor_free)

G_END_DECLS
