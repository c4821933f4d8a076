/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-error"

#include "config.h"

#include "confab-error.h"

G_DEFINE_QUARK (confab-protocol-error-quark, confab_protocol_error)

static const struct
{
  const char *name;
  guint       http_status;
} error_table[] = {
  [CONFAB_PROTOCOL_ERROR_BAD_REQUEST] = { "bad_request", 400 },
  [CONFAB_PROTOCOL_ERROR_INVALID] = { "invalid", 400 },
  [CONFAB_PROTOCOL_ERROR_UNAUTHORIZED] = { "unauthorized", 401 },
  [CONFAB_PROTOCOL_ERROR_FORBIDDEN] = { "forbidden", 403 },
  [CONFAB_PROTOCOL_ERROR_NOT_FOUND] = { "not_found", 404 },
  [CONFAB_PROTOCOL_ERROR_CONFLICT] = { "conflict", 409 },
  [CONFAB_PROTOCOL_ERROR_TOO_LARGE] = { "too_large", 413 },
  [CONFAB_PROTOCOL_ERROR_RATE_LIMITED] = { "rate_limited", 429 },
  [CONFAB_PROTOCOL_ERROR_UNAVAILABLE] = { "unavailable", 503 },
  [CONFAB_PROTOCOL_ERROR_INTERNAL] = { "internal", 500 },
};

/**
 * confab_protocol_error_to_string:
 * @code: an error code
 *
 * Returns: the wire name of @code, such as `"bad_request"`
 */
const char *
confab_protocol_error_to_string (ConfabProtocolError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_table))
    return "internal";
  return error_table[code].name;
}

/**
 * confab_protocol_error_from_string:
 * @str: a wire error code
 * @code: (out): where to store the code
 *
 * Returns: %TRUE if @str is one of the codes of the contract
 */
gboolean
confab_protocol_error_from_string (const char          *str,
                                   ConfabProtocolError *code)
{
  g_return_val_if_fail (code != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (error_table); i++)
    {
      if (g_str_equal (str, error_table[i].name))
        {
          *code = (ConfabProtocolError) i;
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * confab_protocol_error_http_status:
 * @code: an error code
 *
 * Returns: the HTTP status that carries @code
 */
guint
confab_protocol_error_http_status (ConfabProtocolError code)
{
  if ((guint) code >= G_N_ELEMENTS (error_table))
    return 500;
  return error_table[code].http_status;
}
