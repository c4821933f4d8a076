/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

char *confab_certificate_fingerprint (GTlsCertificate *certificate);

G_END_DECLS
