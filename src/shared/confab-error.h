/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONFAB_PROTOCOL_ERROR (confab_protocol_error_quark ())

/**
 * ConfabProtocolError:
 *
 * The error codes of protocol v1 (section 7), in the order of the contract.
 */
typedef enum
{
  CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
  CONFAB_PROTOCOL_ERROR_INVALID,
  CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
  CONFAB_PROTOCOL_ERROR_FORBIDDEN,
  CONFAB_PROTOCOL_ERROR_NOT_FOUND,
  CONFAB_PROTOCOL_ERROR_CONFLICT,
  CONFAB_PROTOCOL_ERROR_TOO_LARGE,
  CONFAB_PROTOCOL_ERROR_RATE_LIMITED,
  CONFAB_PROTOCOL_ERROR_UNAVAILABLE,
  CONFAB_PROTOCOL_ERROR_INTERNAL,
} ConfabProtocolError;

GQuark       confab_protocol_error_quark     (void);
const char  *confab_protocol_error_to_string (ConfabProtocolError code);
gboolean     confab_protocol_error_from_string (const char          *str,
                                                ConfabProtocolError *code);
guint        confab_protocol_error_http_status (ConfabProtocolError code);

G_END_DECLS
