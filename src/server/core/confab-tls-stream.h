/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

/* A server-side TLS connection run by GnuTLS on the main loop: the handshake is stepped as the
 * socket becomes readable, reads and writes are pollable, nothing waits in a thread. */
#define CONFAB_TYPE_TLS_STREAM (confab_tls_stream_get_type ())
G_DECLARE_FINAL_TYPE (ConfabTlsStream, confab_tls_stream, CONFAB, TLS_STREAM, GIOStream)

typedef enum
{
  CONFAB_TLS_HANDSHAKE_DONE,
  CONFAB_TLS_HANDSHAKE_AGAIN,   /* wait for confab_tls_stream_get_wait_condition() */
  CONFAB_TLS_HANDSHAKE_FAILED,
} ConfabTlsHandshakeStatus;

ConfabTlsStream          *confab_tls_stream_new                (GSocketConnection               *base,
                                                                gnutls_certificate_credentials_t credentials,
                                                                gnutls_priority_t                priority,
                                                                GError                         **error);
ConfabTlsHandshakeStatus  confab_tls_stream_handshake_step     (ConfabTlsStream                 *self,
                                                                GError                         **error);
GIOCondition              confab_tls_stream_get_wait_condition (ConfabTlsStream                 *self);
GSocket                  *confab_tls_stream_get_socket         (ConfabTlsStream                 *self);

G_END_DECLS
