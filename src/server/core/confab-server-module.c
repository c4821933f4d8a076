/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-server-module"

#include "config.h"

#include "confab-server-module.h"
#include "confab-account-store.h"
#include "confab-limits.h"
#include "confab-validate.h"

/* What the core offers modules beyond the registry (which lives in confab-server.c): signing in
 * with a token, and request parameters that more than one module reads, validated the same way
 * everywhere. */

static ConfabStoreReply *
session_lookup_work (ConfabStore  *store,
                     gpointer      data,
                     GError      **error)
{
  ConfabAccountStoreInterface *iface = CONFAB_ACCOUNT_STORE_GET_IFACE (store);
  g_autofree char *device_id = NULL;
  gboolean disabled = FALSE;
  JsonObject *user;
  JsonObject *result;

  user = iface->session (CONFAB_ACCOUNT_STORE (store), data, &device_id, &disabled);
  if (user == NULL)
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                           "invalid or revoked token");
      return NULL;
    }
  if (disabled)
    {
      json_object_unref (user);
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                           "this account is disabled");
      return NULL;
    }

  iface->device_seen (CONFAB_ACCOUNT_STORE (store), device_id, g_get_real_time () / 1000);
  result = json_object_new ();
  json_object_set_object_member (result, "user", user);
  json_object_set_string_member (result, "device_id", device_id);
  return confab_store_reply_new (result);
}

void
confab_session_lookup_async (ConfabStore         *store,
                             const char          *token_hash,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT_STORE (store));
  g_return_if_fail (token_hash != NULL);

  confab_store_run_async (store, "session_lookup", CONFAB_STORE_WORK_WRITE, session_lookup_work,
                          g_strdup (token_hash), g_free, cancellable, callback, user_data,
                          confab_session_lookup_async);
}

/* --- Signed-in HTTP requests ----------------------------------------------------------------- */

typedef struct
{
  ConfabHttpCall      *call;
  ConfabHttpCallFlags  flags;
  ConfabHttpCallFunc   signed_in;
} SignIn;

void
confab_http_call_finish (ConfabHttpCall *call)
{
  soup_server_message_unpause (call->msg);
  if (call->data_free != NULL)
    g_clear_pointer (&call->data, call->data_free);
  g_clear_pointer (&call->user, json_object_unref);
  g_clear_pointer (&call->body, json_object_unref);
  g_free (call->device_id);
  g_free (call->address);
  g_object_unref (call->msg);
  g_object_unref (call->server);
  g_free (call);
}

static void
http_session_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autofree SignIn *sign_in = user_data;
  ConfabHttpCall *call = sign_in->call;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  JsonObject *result_json;

  if (reply == NULL)
    {
      confab_http_send_gerror (call->msg, error);
      confab_http_call_finish (call);
      return;
    }

  result_json = confab_store_reply_get_result (reply);
  call->user = json_object_ref (json_object_get_object_member (result_json, "user"));
  call->username = json_object_get_string_member (call->user, "username");
  call->device_id = g_strdup (json_object_get_string_member (result_json, "device_id"));
  if ((sign_in->flags & CONFAB_HTTP_CALL_JSON_BODY) != 0)
    {
      call->body = confab_http_read_json_body (call->msg);
      if (call->body == NULL)
        {
          confab_http_call_finish (call);
          return;
        }
    }
  sign_in->signed_in (call);
}

void
confab_http_call_start (ConfabServer        *server,
                        SoupServerMessage   *msg,
                        ConfabHttpCallFlags  flags,
                        ConfabHttpCallFunc   signed_in,
                        gpointer             data,
                        GDestroyNotify       data_free)
{
  g_autofree char *token = confab_http_bearer_token (msg);
  g_autofree char *token_hash = NULL;
  ConfabHttpCall *call;
  SignIn *sign_in;

  g_return_if_fail (signed_in != NULL);

  if (token == NULL || *token == '\0')
    {
      confab_http_send_error (msg, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED, "missing bearer token");
      if (data_free != NULL && data != NULL)
        data_free (data);
      return;
    }

  call = g_new0 (ConfabHttpCall, 1);
  call->server = g_object_ref (server);
  call->msg = g_object_ref (msg);
  call->address = g_strdup (soup_server_message_get_remote_host (msg));
  call->data = data;
  call->data_free = data_free;
  sign_in = g_new0 (SignIn, 1);
  sign_in->call = call;
  sign_in->flags = flags;
  sign_in->signed_in = signed_in;
  soup_server_message_pause (msg);
  token_hash = confab_auth_hash_token (token);
  confab_session_lookup_async (confab_server_get_store (server), token_hash, NULL,
                               http_session_cb, sign_in);
}

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
