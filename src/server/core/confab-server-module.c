/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-server-module"

#include "config.h"

#include "confab-server-module.h"
#include "confab-limits.h"
#include "confab-validate.h"

/* Request parameters that more than one module reads, validated the same way everywhere. The
 * registry itself lives in confab-server.c. */

gboolean
confab_request_get_conv (JsonObject        *frame,
                         ConfabParamFlags   flags,
                         const char       **conv,
                         GError           **error)
{
  if (!confab_params_get_string (frame, "conv", flags, 1, 128, conv, error))
    return FALSE;
  if (*conv != NULL && confab_conv_parse (*conv, NULL, NULL) == CONFAB_CONV_INVALID)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "'%s' is not a conversation id", *conv);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_request_get_msg_id (JsonObject        *frame,
                           const char        *name,
                           ConfabParamFlags   flags,
                           gint64            *msg_id,
                           GError           **error)
{
  return confab_params_get_int (frame, name, flags, 1, CONFAB_MAX_SAFE_INTEGER, msg_id, error);
}

gboolean
confab_request_get_username (JsonObject  *frame,
                             const char  *name,
                             char       **username,
                             GError     **error)
{
  const char *raw = NULL;

  if (!confab_params_get_string (frame, name, CONFAB_PARAM_REQUIRED, 1, 64, &raw, error))
    return FALSE;
  *username = confab_username_normalize (raw);
  if (*username == NULL)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "'%s' is not a username", raw);
      return FALSE;
    }
  return TRUE;
}
