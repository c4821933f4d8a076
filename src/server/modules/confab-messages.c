/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-messages"

#include "config.h"

#include "confab-messages.h"
#include "confab-limits.h"
#include "confab-server-module.h"

#include <string.h>

/* Messaging requests. Each validates its parameters (network input is answered with
 * bad_request, never asserted), then hands the work to the store, whose reply becomes the
 * response while its events go to the recipients. */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

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
handle_send (gpointer          instance,
             ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  const ConfabConfig *config = confab_server_get_config (confab_connection_get_server (self));
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  const char *client_msg_id = NULL;
  const char *body = NULL;
  ConfabMessageFormat format = CONFAB_MESSAGE_FORMAT_PLAIN;
  gint64 reply_to = 0;
  JsonArray *attachments = NULL;

  if (!confab_request_get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_params_get_string (frame, "client_msg_id", CONFAB_PARAM_REQUIRED, 1,
                                    CONFAB_CLIENT_MSG_ID_MAX_CHARS, &client_msg_id, &error)
      || !confab_params_get_string (frame, "body", CONFAB_PARAM_MULTILINE, 1,
                                    config->max_body_chars, &body, &error)
      || !get_format (frame, &format, &error)
      || !confab_request_get_msg_id (frame, "reply_to", CONFAB_PARAM_OPTIONAL, &reply_to, &error)
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

  if (!confab_connection_check_send_rate (self, id))
    return;

  confab_store_message_send_async (STORE (self), confab_connection_get_username (self), conv,
                                   client_msg_id, body, format, reply_to, NULL,
                                   CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_edit (gpointer          instance,
             ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  const ConfabConfig *config = confab_server_get_config (confab_connection_get_server (self));
  g_autoptr(GError) error = NULL;
  const char *body = NULL;
  gint64 msg_id = 0;

  if (!confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error)
      || !confab_params_get_string (frame, "body", CONFAB_PARAM_MULTILINE, 1,
                                    config->max_body_chars, &body, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (!confab_connection_check_send_rate (self, id))
    return;

  confab_store_message_edit_async (STORE (self), confab_connection_get_username (self), msg_id,
                                   body,
                                   CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_delete (gpointer          instance,
               ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  gint64 msg_id = 0;

  if (!confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_message_delete_async (STORE (self), confab_connection_get_username (self), msg_id,
                                     CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_react (gpointer          instance,
              ConfabConnection *self,
              const char       *id,
              JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *emoji = NULL;
  gint64 msg_id = 0;
  gboolean on = TRUE;

  if (!confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error)
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
  if (!confab_connection_check_send_rate (self, id))
    return;

  confab_store_react_async (STORE (self), confab_connection_get_username (self), msg_id, emoji, on,
                            CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_read (gpointer          instance,
             ConfabConnection *self,
             const char       *id,
             JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  gint64 msg_id = 0;

  if (!confab_request_get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_request_get_msg_id (frame, "msg_id", CONFAB_PARAM_REQUIRED, &msg_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_read_async (STORE (self), confab_connection_get_username (self), conv, msg_id,
                           CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_history (gpointer          instance,
                ConfabConnection *self,
                const char       *id,
                JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *conv = NULL;
  gint64 before = 0;
  gint64 after = 0;
  gint64 limit = CONFAB_HISTORY_DEFAULT_LIMIT;

  if (!confab_request_get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_request_get_msg_id (frame, "before", CONFAB_PARAM_OPTIONAL, &before, &error)
      || !confab_params_get_int (frame, "after", CONFAB_PARAM_OPTIONAL, 0, CONFAB_MAX_SAFE_INTEGER,
                                 &after, &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1,
                                 CONFAB_HISTORY_MAX_LIMIT, &limit, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_history_async (STORE (self), confab_connection_get_username (self), conv, before,
                              after, (guint) limit, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_conversations (gpointer          instance,
                      ConfabConnection *self,
                      const char       *id,
                      JsonObject       *frame)
{
  confab_store_conversations_async (STORE (self), confab_connection_get_username (self),
                                    CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_search (gpointer          instance,
               ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *query = NULL;
  const char *conv = NULL;
  gint64 limit = CONFAB_SEARCH_DEFAULT_LIMIT;

  if (!confab_params_get_string (frame, "query", CONFAB_PARAM_REQUIRED, 1,
                                 CONFAB_SEARCH_QUERY_MAX_CHARS, &query, &error)
      || !confab_request_get_conv (frame, CONFAB_PARAM_OPTIONAL, &conv, &error)
      || !confab_params_get_int (frame, "limit", CONFAB_PARAM_OPTIONAL, 1, CONFAB_SEARCH_MAX_LIMIT,
                                 &limit, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_search_async (STORE (self), confab_connection_get_username (self), query, conv,
                             (guint) limit, CONFAB_STORE_CALL (self, id, NULL));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { "send", handle_send },
  { "edit", handle_edit },
  { "delete", handle_delete },
  { "react", handle_react },
  { "read", handle_read },
  { "history", handle_history },
  { "conversations", handle_conversations },
  { "search", handle_search },
  { NULL }
};

static const char * const events[] = {
  "message", "message_edited", "message_deleted", "reaction", "read", NULL
};

static const ConfabServerModule module = {
  .name = "messages",
  .requests = requests,
  .events = events,
};

void
confab_messages_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
