/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean         confab_tls_generate_self_signed (const char  *cert_path,
                                                  const char  *key_path,
                                                  GError     **error);
GTlsCertificate *confab_tls_load_or_create       (const char  *data_dir,
                                                  const char  *cert_path,
                                                  const char  *key_path,
                                                  GError     **error);

G_END_DECLS
