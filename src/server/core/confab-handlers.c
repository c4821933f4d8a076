/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-handlers"

#include "config.h"

#include "confab-connection-private.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-server.h"
#include "confab-validate.h"

#include <string.h>

/* One function per request type of protocol v1. Each validates its parameters (network input is
 * answered with bad_request, never asserted), then hands the work to the store or the presence
 * tracker. Whatever the store answers becomes the response; its events go to the recipients. */

#define STORE(self) confab_server_get_store ((self)->server)
#define CALL(self, id, hook) (self)->cancellable, confab_store_call_cb, \
  confab_connection_store_call ((self), (id), (hook))

static gboolean
get_conv (JsonObject        *frame,
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

static gboolean
get_msg_id (JsonObject  *frame,
            const char  *name,
            ConfabParamFlags flags,
            gint64      *msg_id,
            GError     **error)
{
  return confab_params_get_int (frame, name, flags, 1, CONFAB_MAX_SAFE_INTEGER, msg_id, error);
}

static gboolean
get_username (JsonObject  *frame,
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

/* --- hello ------------------------------------------------------------------------------------ */

typedef struct
{
  ConfabConnection *connection;
  char             *id;
  gint64            since;
} Hello;

static void
session_lookup_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Hello *hello = user_data;
  ConfabConnection *self = hello->connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (self->state == CONNECTION_AUTHENTICATING)
    {
      if (reply == NULL)
        {
          gboolean known = error->domain == CONFAB_PROTOCOL_ERROR
                           && (error->code == CONFAB_PROTOCOL_ERROR_UNAUTHORIZED
                               || error->code == CONFAB_PROTOCOL_ERROR_FORBIDDEN);

          confab_connection_respond_error (self, hello->id, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                                           known ? error->message : "the token is not valid");
          confab_connection_close (self, CONFAB_CLOSE_UNAUTHORIZED, "unauthorized");
        }
      else
        {
          JsonObject *user = json_object_get_object_member (reply->result, "user");
          const char *device_id = json_object_get_string_member (reply->result, "device_id");

          confab_connection_begin_session (self, hello->id, user, device_id, hello->since);
        }
    }

  g_object_unref (hello->connection);
  g_free (hello->id);
  g_free (hello);
}

void
confab_handle_hello (ConfabConnection *self,
                     const char       *id,
                     JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token_hash = NULL;
  const char *token = NULL;
  const char *client = NULL;
  gint64 since = 0;
  Hello *hello;

  if (!confab_params_get_string (frame, "token", CONFAB_PARAM_REQUIRED, 1, 512, &token, &error)
      || !confab_params_get_int (frame, "since", CONFAB_PARAM_OPTIONAL, 0, CONFAB_MAX_SAFE_INTEGER,
                                 &since, &error)
      || !confab_params_get_string (frame, "client", CONFAB_PARAM_OPTIONAL, 0, 128, &client,
                                    &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  self->state = CONNECTION_AUTHENTICATING;
  token_hash = confab_auth_hash_token (token);

  hello = g_new0 (Hello, 1);
  hello->connection = g_object_ref (self);
  hello->id = g_strdup (id);
  hello->since = since;
  confab_store_session_lookup_async (STORE (self), token_hash, self->cancellable,
                                     session_lookup_cb, hello);
}

/* --- Messaging -------------------------------------------------------------------------------- */

static gboolean
check_send_rate (ConfabConnection *self,
                 const char       *id)
{
  gint64 retry_after_ms = 0;

  if (confab_server_take_send_token (self->server, self->username, &retry_after_ms))
    return TRUE;

  confab_connection_respond_rate_limited (self, id, retry_after_ms);
  return FALSE;
}

static gboolean
get_format (JsonObject          *frame,
            ConfabMessageFormat *format,
            GError             **error)
{
  const char *str = NULL;

  if (!confab_params_get_string (frame, "format", CONFAB_PARAM_OPTIONAL, 1, 16, &str, error))
    return FALSE;
  if (str == NULL || g_str_equal (str, "plain"))
    *format = CONFAB_MESSAGE_FORMAT_PLAIN;
  else if (g_str_equal (str, "markdown"))
    *format = CONFAB_MESSAGE_FORMAT_MARKDOWN;
  else
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                   "format must be 'plain' or 'markdown'");
      return FALSE;
    }
  return TRUE;
}

static void
handle_send (ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  const ConfabConfig *config = confab_server_get_config (self->server);
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  const char *client_msg_id = NULL;
  const char *body = NULL;
  ConfabMessageFormat format = CONFAB_MESSAGE_FORMAT_PLAIN;
  gint64 reply_to = 0;
  JsonArray *attachments = NULL;

  if (!get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_params_get_string (frame, "client_msg_id", CONFAB_PARAM_REQUIRED, 1,
                                    CONFAB_CLIENT_MSG_ID_MAX_CHARS, &client_msg_id, &error)
      || !confab_params_get_string (frame, "body", CONFAB_PARAM_MULTILINE, 1,
                                    config->max_body_chars, &body, &error)
      || !get_format (frame, &format, &error)
      || !get_msg_id (frame, "reply_to", CONFAB_PARAM_OPTIONAL, &reply_to, &error)
      || !confab_params_get_array (frame, "attachments", CONFAB_PARAM_OPTIONAL, 20, &attachments,
                                   &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  /* Files arrive with the file-transfer API; until then no attachment can be valid. */
  if (attachments != NULL && json_array_get_length (attachments) > 0)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_INVALID,
                                       "this server does not accept attachments yet");
      return;
    }

  if (!check_send_rate (self, id))
    return;

  confab_store_message_send_async (STORE (self), self->username, conv, client_msg_id, body, format,
                                   reply_to, NULL, CALL (self, id, NULL));
}

static void
handle_edit (ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  const ConfabConfig *config = confab_server_get_config (self->server);
  g_autoptr(GError) error = NULL;
  const char *body = NULL;
  gint64 msg_id = 0;

  if (!get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error)
      || !confab_params_get_string (frame, "body", CONFAB_PARAM_MULTILINE, 1,
                                    config->max_body_chars, &body, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (!check_send_rate (self, id))
    return;

  confab_store_message_edit_async (STORE (self), self->username, msg_id, body,
                                   CALL (self, id, NULL));
}

static void
handle_delete (ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  gint64 msg_id = 0;

  if (!get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_message_delete_async (STORE (self), self->username, msg_id, CALL (self, id, NULL));
}

static void
handle_react (ConfabConnection *self,
              const char       *id,
              JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *emoji = NULL;
  gint64 msg_id = 0;
  gboolean on = TRUE;

  if (!get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error)
      || !confab_params_get_string (frame, "emoji", CONFAB_PARAM_REQUIRED, 1,
                                    CONFAB_EMOJI_MAX_CHARS, &emoji, &error)
      || !confab_params_get_bool (frame, "on", CONFAB_PARAM_REQUIRED, &on, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (strpbrk (emoji, " \t\n") != NULL)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "an emoji has no spaces");
      return;
    }
  if (!check_send_rate (self, id))
    return;

  confab_store_react_async (STORE (self), self->username, msg_id, emoji, on,
                            CALL (self, id, NULL));
}

static void
handle_read (ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  gint64 msg_id = 0;

  if (!get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_read_async (STORE (self), self->username, conv, msg_id, CALL (self, id, NULL));
}

static void
handle_typing (ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *conv = NULL;
  gboolean active = FALSE;
  const char *recipients[2] = { NULL, NULL };

  if (!get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_params_get_bool (frame, "active", CONFAB_PARAM_REQUIRED, &active, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  if (confab_conv_parse (conv, &a, &b) != CONFAB_CONV_DM)
    {
      /* Room membership comes with rooms; until then no room conversation exists. */
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                                       "no such conversation");
      return;
    }
  if (!g_str_equal (self->username, a) && !g_str_equal (self->username, b))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                       "you are not in this conversation");
      return;
    }

  recipients[0] = g_str_equal (self->username, a) ? b : a;
  confab_presence_typing (confab_server_get_presence (self->server), self->username, conv,
                          recipients, active);
  confab_connection_respond_ok (self, id, NULL);
}

static void
handle_history (ConfabConnection *self,
                const char       *id,
                JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  gint64 before = 0;
  gint64 after = 0;
  gint64 limit = CONFAB_HISTORY_DEFAULT_LIMIT;

  if (!get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !get_msg_id (frame, "before", CONFAB_PARAM_OPTIONAL, &before, &error)
      || !confab_params_get_int (frame, "after", CONFAB_PARAM_OPTIONAL, 0, CONFAB_MAX_SAFE_INTEGER,
                                 &after, &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1,
                                 CONFAB_HISTORY_MAX_LIMIT, &limit, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_history_async (STORE (self), self->username, conv, before, after, (guint) limit,
                              CALL (self, id, NULL));
}

static void
handle_conversations (ConfabConnection *self,
                      const char       *id,
                      JsonObject       *frame)
{
  confab_store_conversations_async (STORE (self), self->username, CALL (self, id, NULL));
}

static void
handle_search (ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *query = NULL;
  const char *conv = NULL;
  gint64 limit = CONFAB_SEARCH_DEFAULT_LIMIT;

  if (!confab_params_get_string (frame, "query", CONFAB_PARAM_REQUIRED, 1,
                                 CONFAB_SEARCH_QUERY_MAX_CHARS, &query, &error)
      || !get_conv (frame, CONFAB_PARAM_OPTIONAL, &conv, &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1, CONFAB_SEARCH_MAX_LIMIT,
                                 &limit, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_search_async (STORE (self), self->username, query, conv, (guint) limit,
                             CALL (self, id, NULL));
}

/* --- Presence and profiles -------------------------------------------------------------------- */

static void
handle_presence (ConfabConnection *self,
                 const char       *id,
                 JsonObject       *frame)
{
  static const char * const statuses[] = { "online", "away", "busy", "invisible", NULL };
  g_autoptr(GError) error = NULL;
  const char *status = NULL;
  const char *text = NULL;

  if (!confab_params_get_string (frame, "status", CONFAB_PARAM_REQUIRED, 1, 16, &status, &error)
      || !confab_params_get_string (frame, "text", CONFAB_PARAM_OPTIONAL, 0,
                                    CONFAB_PRESENCE_TEXT_MAX_CHARS, &text, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (!g_strv_contains (statuses, status))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "status must be online, away, busy or invisible");
      return;
    }

  confab_presence_set (confab_server_get_presence (self->server), self->username, status, text);
  confab_connection_respond_ok (self, id, NULL);
}

static void
presence_get_hook (ConfabConnection *self,
                   ConfabStoreReply *reply)
{
  ConfabPresence *presence = confab_server_get_presence (self->server);
  JsonObject *last_seen = json_object_get_object_member (reply->result, "last_seen");
  JsonArray *list = json_array_new ();
  JsonObjectIter iter;
  const char *username;
  JsonNode *node;

  json_object_iter_init (&iter, last_seen);
  while (json_object_iter_next (&iter, &username, &node))
    json_array_add_object_element (list, confab_presence_describe (presence, username,
                                                                   json_node_get_int (node)));

  json_object_remove_member (reply->result, "last_seen");
  json_object_set_array_member (reply->result, "presence", list);
}

static void
handle_presence_get (ConfabConnection *self,
                     const char       *id,
                     JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array = NULL;

  if (!confab_params_get_array (frame, "users", CONFAB_PARAM_REQUIRED,
                                CONFAB_PRESENCE_GET_MAX_USERS, &array, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      char *username = NULL;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        username = confab_username_normalize (json_node_get_string (node));
      if (username == NULL)
        {
          confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                           "users must be a list of usernames");
          return;
        }
      g_ptr_array_add (users, username);
    }
  g_ptr_array_add (users, NULL);

  confab_store_last_seen_get_async (STORE (self), (const char * const *) users->pdata,
                                    CALL (self, id, presence_get_hook));
}

static void
handle_profile_get (ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;

  if (!get_username (frame, "user", &user, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_profile_get_async (STORE (self), user, CALL (self, id, NULL));
}

static void
handle_profile_update (ConfabConnection *self,
                       const char       *id,
                       JsonObject       *frame)
{
  static const char * const fields[] = {
    "display_name", "email", "phone", "department", "title", "location", "avatar_file_id",
  };
  g_autoptr(JsonObject) values = json_object_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value = NULL;
      guint min = g_str_equal (fields[i], "display_name") ? 1 : 0;
      guint max = g_str_equal (fields[i], "display_name") ? CONFAB_DISPLAY_NAME_MAX_CHARS
                                                           : CONFAB_PROFILE_FIELD_MAX_CHARS;

      if (!confab_params_get_string (frame, fields[i], CONFAB_PARAM_OPTIONAL, min, max, &value,
                                     &error))
        {
          confab_connection_respond_gerror (self, id, error);
          return;
        }
      if (value != NULL)
        json_object_set_string_member (values, fields[i], value);
    }

  if (json_object_get_size (values) == 0)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "nothing to update");
      return;
    }
  if (json_object_has_member (values, "avatar_file_id"))
    {
      /* Avatars are files; they come with the file-transfer API. */
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_INVALID,
                                       "this server does not accept avatars yet");
      return;
    }

  confab_store_profile_update_async (STORE (self), self->username, values, CALL (self, id, NULL));
}

/* --- Password and devices --------------------------------------------------------------------- */

static void
close_revoked_devices (ConfabConnection *self,
                       ConfabStoreReply *reply)
{
  ConfabRouter *router = confab_server_get_router (self->server);

  for (guint i = 0; reply->revoked_devices != NULL && reply->revoked_devices[i] != NULL; i++)
    {
      /* The connection that asked gets its response before it is closed. */
      if (g_strcmp0 (reply->revoked_devices[i], self->device_id) == 0)
        continue;
      confab_router_close_device (router, reply->revoked_devices[i], CONFAB_CLOSE_UNAUTHORIZED,
                                  "device revoked");
    }
}

typedef struct
{
  ConfabConnection *connection;
  char             *id;
  char             *old_password;
  char             *new_password;
} PasswordChange;

static void
free_secret (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

static void
password_change_free (PasswordChange *change)
{
  g_object_unref (change->connection);
  g_free (change->id);
  free_secret (change->old_password);
  free_secret (change->new_password);
  g_free (change);
}

static void
password_hashed_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  PasswordChange *change = user_data;
  ConfabConnection *self = change->connection;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = confab_auth_hash_password_finish (CONFAB_AUTH (source), result, &error);

  if (hash == NULL)
    confab_connection_respond_gerror (self, change->id, error);
  else if (self->state != CONNECTION_CLOSED)
    confab_store_password_set_async (STORE (self), self->username, hash, self->device_id,
                                     CALL (self, change->id, close_revoked_devices));
  password_change_free (change);
}

static void
old_password_checked_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PasswordChange *change = user_data;
  ConfabConnection *self = change->connection;
  g_autoptr(GError) error = NULL;

  if (!confab_auth_verify_password_finish (CONFAB_AUTH (source), result, &error))
    {
      if (error == NULL)
        confab_auth_login_failed (CONFAB_AUTH (source), self->username, self->address);
      confab_connection_respond_error (self, change->id, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                       "the current password is wrong");
      password_change_free (change);
      return;
    }

  confab_auth_hash_password_async (CONFAB_AUTH (source), change->new_password, NULL,
                                   password_hashed_cb, change);
}

static void
password_credentials_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  PasswordChange *change = user_data;
  ConfabConnection *self = change->connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    {
      confab_connection_respond_gerror (self, change->id, error);
      password_change_free (change);
      return;
    }

  confab_auth_verify_password_async (confab_server_get_auth (self->server),
                                     json_object_get_string_member (reply->result, "password_hash"),
                                     change->old_password, NULL, old_password_checked_cb, change);
}

static gboolean
get_password (JsonObject  *frame,
              const char  *name,
              const char **out,
              GError     **error)
{
  gsize len;

  if (!confab_params_get_string (frame, name, CONFAB_PARAM_REQUIRED, 1, CONFAB_PASSWORD_MAX_BYTES,
                                 out, error))
    return FALSE;
  len = strlen (*out);
  if (len < CONFAB_PASSWORD_MIN_BYTES || len > CONFAB_PASSWORD_MAX_BYTES)
    {
      g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID,
                   "a password has %d to %d bytes", CONFAB_PASSWORD_MIN_BYTES,
                   CONFAB_PASSWORD_MAX_BYTES);
      return FALSE;
    }
  return TRUE;
}

static void
handle_password_change (ConfabConnection *self,
                        const char       *id,
                        JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *old = NULL;
  const char *new_password = NULL;
  gint64 retry_after_ms = 0;
  PasswordChange *change;

  if (!confab_params_get_string (frame, "old", CONFAB_PARAM_REQUIRED, 1,
                                 CONFAB_PASSWORD_MAX_BYTES, &old, &error)
      || !get_password (frame, "new", &new_password, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  /* Guessing the old password here is guessing a password: the login throttle applies. */
  if (!confab_auth_login_allowed (confab_server_get_auth (self->server), self->username,
                                  self->address, &retry_after_ms))
    {
      confab_connection_respond_rate_limited (self, id, retry_after_ms);
      return;
    }

  change = g_new0 (PasswordChange, 1);
  change->connection = g_object_ref (self);
  change->id = g_strdup (id);
  change->old_password = g_strdup (old);
  change->new_password = g_strdup (new_password);
  confab_store_credentials_get_async (STORE (self), self->username, self->cancellable,
                                      password_credentials_cb, change);
}

static void
handle_devices (ConfabConnection *self,
                const char       *id,
                JsonObject       *frame)
{
  confab_store_devices_list_async (STORE (self), self->username, self->device_id,
                                   CALL (self, id, NULL));
}

static gboolean
close_later (gpointer user_data)
{
  ConfabConnection *self = user_data;

  confab_connection_close (self, CONFAB_CLOSE_UNAUTHORIZED, "device revoked");
  return G_SOURCE_REMOVE;
}

static void
device_revoke_hook (ConfabConnection *self,
                    ConfabStoreReply *reply)
{
  close_revoked_devices (self, reply);
  if (reply->revoked_devices != NULL
      && g_strv_contains ((const char * const *) reply->revoked_devices, self->device_id))
    g_idle_add_full (G_PRIORITY_DEFAULT, close_later, g_object_ref (self), g_object_unref);
}

static void
handle_device_revoke (ConfabConnection *self,
                      const char       *id,
                      JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *device_id = NULL;

  if (!confab_params_get_string (frame, "device_id", CONFAB_PARAM_REQUIRED, 1, 64, &device_id,
                                 &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_device_revoke_async (STORE (self), self->username, device_id,
                                    CALL (self, id, device_revoke_hook));
}

/* --- Calls ------------------------------------------------------------------------------------ */

static gboolean
get_call_id (JsonObject  *frame,
             const char **call_id,
             GError     **error)
{
  return confab_params_get_string (frame, "call_id", CONFAB_PARAM_REQUIRED, 1, 64, call_id, error);
}

/* Reasons are short lower-case words (declined, busy, hangup, connection_lost, ...): they are
 * shown to the other side, so nothing else gets through. */
static gboolean
get_reason (JsonObject  *frame,
            const char  *fallback,
            const char **reason,
            GError     **error)
{
  *reason = NULL;
  if (!confab_params_get_string (frame, "reason", CONFAB_PARAM_OPTIONAL, 1, 32, reason, error))
    return FALSE;
  if (*reason == NULL)
    *reason = fallback;
  for (const char *p = *reason; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && *p != '_')
      {
        g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                     "a reason is a lower-case word such as 'declined'");
        return FALSE;
      }
  return TRUE;
}

static void
handle_call_invite (ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *to = NULL;
  const char *call_id = NULL;
  JsonObject *media = NULL;
  gboolean audio = TRUE;
  gboolean video = FALSE;

  if (!get_call_id (frame, &call_id, &error)
      || !get_username (frame, "to", &to, &error)
      || !confab_params_get_object (frame, "media", CONFAB_PARAM_REQUIRED, &media, &error)
      || !confab_params_get_bool (media, "audio", CONFAB_PARAM_OPTIONAL, &audio, &error)
      || !confab_params_get_bool (media, "video", CONFAB_PARAM_OPTIONAL, &video, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_calls_invite (confab_server_get_calls (self->server), self, id, call_id, to, audio,
                       video);
}

static void
handle_call_answer (ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;

  if (!get_call_id (frame, &call_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_calls_answer (confab_server_get_calls (self->server), self, id, call_id);
}

static void
handle_call_reject (ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;
  const char *reason = NULL;

  if (!get_call_id (frame, &call_id, &error) || !get_reason (frame, "declined", &reason, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (!g_str_equal (reason, "declined") && !g_str_equal (reason, "busy"))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "reason must be 'declined' or 'busy'");
      return;
    }
  confab_calls_reject (confab_server_get_calls (self->server), self, id, call_id, reason);
}

static void
handle_call_signal (ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;
  const char *to_device = NULL;
  JsonObject *sdp = NULL;
  JsonObject *ice = NULL;
  g_autoptr(JsonObject) clean_sdp = NULL;
  g_autoptr(JsonObject) clean_ice = NULL;

  if (!get_call_id (frame, &call_id, &error)
      || !confab_params_get_string (frame, "to_device", CONFAB_PARAM_REQUIRED, 1, 64, &to_device,
                                    &error)
      || !confab_params_get_object (frame, "sdp", CONFAB_PARAM_OPTIONAL, &sdp, &error)
      || !confab_params_get_object (frame, "ice", CONFAB_PARAM_OPTIONAL, &ice, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if ((sdp == NULL) == (ice == NULL))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "a signal carries either 'sdp' or 'ice'");
      return;
    }

  /* Only the documented members are relayed, validated, so a peer gets nothing it did not ask
   * for. */
  if (sdp != NULL)
    {
      static const char * const types[] = { "offer", "answer", "pranswer", "rollback", NULL };
      const char *type = NULL;
      const char *text = "";

      if (!confab_params_get_string (sdp, "type", CONFAB_PARAM_REQUIRED, 1, 16, &type, &error)
          || !confab_params_get_string (sdp, "sdp", CONFAB_PARAM_MULTILINE | CONFAB_PARAM_OPTIONAL,
                                        0, 60000, &text, &error))
        {
          confab_connection_respond_gerror (self, id, error);
          return;
        }
      if (!g_strv_contains (types, type))
        {
          confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                           "sdp.type must be offer, answer, pranswer or rollback");
          return;
        }
      clean_sdp = json_object_new ();
      json_object_set_string_member (clean_sdp, "type", type);
      json_object_set_string_member (clean_sdp, "sdp", text);
    }
  else
    {
      const char *candidate = NULL;
      gint64 mline = 0;

      if (!confab_params_get_string (ice, "candidate", CONFAB_PARAM_REQUIRED, 0, 2048, &candidate,
                                     &error)
          || !confab_params_get_int (ice, "sdp_mline_index", CONFAB_PARAM_REQUIRED, 0, 255, &mline,
                                     &error))
        {
          confab_connection_respond_gerror (self, id, error);
          return;
        }
      clean_ice = json_object_new ();
      json_object_set_string_member (clean_ice, "candidate", candidate);
      json_object_set_int_member (clean_ice, "sdp_mline_index", mline);
    }

  confab_calls_signal (confab_server_get_calls (self->server), self, id, call_id, to_device,
                       clean_sdp, clean_ice);
}

static void
handle_call_hangup (ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;
  const char *reason = NULL;

  if (!get_call_id (frame, &call_id, &error) || !get_reason (frame, "hangup", &reason, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_calls_hangup (confab_server_get_calls (self->server), self, id, call_id, reason);
}

/* --- Dispatch --------------------------------------------------------------------------------- */

static const struct
{
  const char    *type;
  ConfabHandler  handler;
} handlers[] = {
  { "send", handle_send },
  { "edit", handle_edit },
  { "delete", handle_delete },
  { "react", handle_react },
  { "read", handle_read },
  { "typing", handle_typing },
  { "history", handle_history },
  { "conversations", handle_conversations },
  { "search", handle_search },
  { "presence", handle_presence },
  { "presence_get", handle_presence_get },
  { "profile_get", handle_profile_get },
  { "profile_update", handle_profile_update },
  { "password_change", handle_password_change },
  { "devices", handle_devices },
  { "device_revoke", handle_device_revoke },
  { "call_invite", handle_call_invite },
  { "call_answer", handle_call_answer },
  { "call_reject", handle_call_reject },
  { "call_signal", handle_call_signal },
  { "call_hangup", handle_call_hangup },
};

ConfabHandler
confab_handlers_lookup (const char *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (handlers); i++)
    if (g_str_equal (handlers[i].type, type))
      return handlers[i].handler;
  return NULL;
}
