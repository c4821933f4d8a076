/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/gnutls.h>

G_BEGIN_DECLS

gboolean         confab_tls_generate_self_signed (const char  *cert_path,
                                                  const char  *key_path,
                                                  GError     **error);

/* The server's certificate and the protocol versions it allows, shared by its connections. */
typedef struct
{
  gnutls_certificate_credentials_t credentials;
  gnutls_priority_t                priority;
} ConfabTlsContext;

ConfabTlsContext *confab_tls_context_new         (const char        *data_dir,
                                                  const char        *cert_path,
                                                  const char        *key_path,
                                                  const char        *priority,
                                                  GError           **error);
void              confab_tls_context_free        (ConfabTlsContext  *context);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTlsContext, confab_tls_context_free)

G_END_DECLS
