/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-frame"

#include "config.h"

#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-protocol.h"
#include "confab-validate.h"

#include <stdint.h>
#include <string.h>

/* The decoder sees bytes straight off the network. Whatever they are, it must not crash, leak or
 * read out of bounds, and what it accepts must keep the promises the server relies on: strings
 * are clean UTF-8 within their bounds, integers within theirs, conversation ids round-trip. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_string (JsonObject *frame,
              const char *name,
              guint       flags,
              guint       min_chars,
              guint       max_chars)
{
  g_autoptr(GError) error = NULL;
  const char *str = NULL;

  if (confab_params_get_string (frame, name, flags, min_chars, max_chars, &str, &error))
    {
      g_assert_no_error (error);
      if (str == NULL)
        {
          g_assert_true ((flags & CONFAB_PARAM_OPTIONAL) != 0);
          return;
        }
      g_assert_true (g_utf8_validate (str, -1, NULL));
      g_assert_true (confab_text_is_clean (str, (flags & CONFAB_PARAM_MULTILINE) != 0));
      g_assert_cmpint (g_utf8_strlen (str, -1), >=, min_chars);
      g_assert_cmpint (g_utf8_strlen (str, -1), <=, max_chars);
    }
  else
    {
      g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
    }
}

static void
check_conv (const char *conv)
{
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *again = NULL;

  switch (confab_conv_parse (conv, &first, &second))
    {
    case CONFAB_CONV_DM:
      g_assert_true (confab_username_is_valid (first));
      g_assert_true (confab_username_is_valid (second));
      g_assert_cmpint (strcmp (first, second), <, 0);
      again = confab_conv_dm (second, first);
      g_assert_cmpstr (again, ==, conv);
      break;

    case CONFAB_CONV_ROOM:
      g_assert_true (confab_room_id_is_valid (first));
      g_assert_null (second);
      again = confab_conv_room (first);
      g_assert_cmpstr (again, ==, conv);
      break;

    case CONFAB_CONV_INVALID:
    default:
      g_assert_null (first);
      g_assert_null (second);
      break;
    }
}

static void
check_member (JsonObject *frame,
              const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;
  gint64 value = -1;
  gboolean flag;
  JsonObject *object = NULL;
  JsonArray *array = NULL;
  const char *str = NULL;

  check_string (frame, name, CONFAB_PARAM_REQUIRED, 1, CONFAB_CLIENT_MSG_ID_MAX_CHARS);
  check_string (frame, name, CONFAB_PARAM_OPTIONAL | CONFAB_PARAM_MULTILINE, 1,
                CONFAB_DEFAULT_MAX_BODY_CHARS);
  check_string (frame, name, CONFAB_PARAM_OPTIONAL, 0, 0);

  if (confab_params_get_int (frame, name, CONFAB_PARAM_REQUIRED, 1, CONFAB_MAX_SAFE_INTEGER,
                             &value, &error))
    {
      g_assert_cmpint (value, >=, 1);
      g_assert_cmpint (value, <=, CONFAB_MAX_SAFE_INTEGER);
    }
  g_clear_error (&error);
  if (confab_params_get_int (frame, name, CONFAB_PARAM_OPTIONAL, G_MININT64, G_MAXINT64, &value,
                             &error))
    g_assert_no_error (error);
  g_clear_error (&error);

  if (!confab_params_get_bool (frame, name, CONFAB_PARAM_REQUIRED, &flag, &error))
    g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
  g_clear_error (&error);

  if (confab_params_get_object (frame, name, CONFAB_PARAM_OPTIONAL, &object, &error)
      && object != NULL)
    {
      /* Nested objects are request parameters too (media, sdp, audience). */
      JsonObjectIter iter;
      const char *inner;
      JsonNode *node;

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &inner, &node))
        check_string (object, inner, CONFAB_PARAM_REQUIRED, 1, 64);
    }
  g_clear_error (&error);

  if (confab_params_get_array (frame, name, CONFAB_PARAM_REQUIRED, 8, &array, &error))
    g_assert_cmpuint (json_array_get_length (array), <=, 8);
  g_clear_error (&error);

  if (confab_params_get_string (frame, name, CONFAB_PARAM_REQUIRED, 0, G_MAXUINT, &str, &error))
    {
      check_conv (str);
      user = confab_username_normalize (str);
      if (user != NULL)
        g_assert_true (confab_username_is_valid (user));
      confab_room_id_is_valid (str);
      confab_token_id_is_valid (str, CONFAB_REQUEST_ID_MAX_CHARS);
    }
  g_clear_error (&error);
}

/* The readers of event data (confab-protocol.c) take what they accept whole: built again from
 * what they read, the data reads the same. */
static void
check_events (JsonObject *data)
{
  ConfabMessageDeleted deleted, deleted_again;
  ConfabReaction reaction, reaction_again;
  ConfabReadMark mark, mark_again;

  if (confab_message_deleted_from_json (data, &deleted))
    {
      g_autoptr(JsonObject) again = confab_message_deleted_to_json (&deleted);

      g_assert_true (confab_message_deleted_from_json (again, &deleted_again));
      g_assert_cmpstr (deleted_again.conv, ==, deleted.conv);
      g_assert_cmpint (deleted_again.msg_id, ==, deleted.msg_id);
    }
  if (confab_reaction_from_json (data, &reaction))
    {
      g_autoptr(JsonObject) again = confab_reaction_to_json (&reaction);

      g_assert_true (confab_reaction_from_json (again, &reaction_again));
      g_assert_cmpstr (reaction_again.conv, ==, reaction.conv);
      g_assert_cmpint (reaction_again.msg_id, ==, reaction.msg_id);
      g_assert_cmpstr (reaction_again.user, ==, reaction.user);
      g_assert_cmpstr (reaction_again.emoji, ==, reaction.emoji);
      g_assert_cmpint (reaction_again.on, ==, reaction.on);
    }
  if (confab_read_mark_from_json (data, &mark))
    {
      g_autoptr(JsonObject) again = confab_read_mark_to_json (&mark);

      g_assert_true (confab_read_mark_from_json (again, &mark_again));
      g_assert_cmpstr (mark_again.conv, ==, mark.conv);
      g_assert_cmpstr (mark_again.user, ==, mark.user);
      g_assert_cmpint (mark_again.msg_id, ==, mark.msg_id);
    }
  if (confab_call_ref_from_json (data) != NULL)
    {
      g_autoptr(JsonObject) again = confab_call_ref_to_json (confab_call_ref_from_json (data));

      g_assert_cmpstr (confab_call_ref_from_json (again), ==, confab_call_ref_from_json (data));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) frame = NULL;
  g_autofree char *text = NULL;
  g_autofree char *copy = NULL;
  const char *type;
  const char *id;
  GList *members;

  /* An exact-size heap copy, so that a read past the end is caught. */
  copy = g_malloc (size > 0 ? size : 1);
  if (size > 0)
    memcpy (copy, data, size);

  frame = confab_frame_parse (size > 0 ? copy : NULL, size, &error);
  if (frame == NULL)
    {
      g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST);
      return 0;
    }
  g_assert_no_error (error);

  /* The decoder builds the tree itself; what it accepts must mean exactly what json-glib
   * reads in the same text. */
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(JsonNode) ours = json_node_init_object (json_node_alloc (), frame);

    g_assert_true (json_parser_load_from_data (parser, copy, size, NULL));
    g_assert_true (json_node_equal (ours, json_parser_get_root (parser)));
  }

  type = confab_frame_get_type (frame);
  if (type != NULL)
    g_assert_true (confab_token_id_is_valid (type, 64));
  id = confab_frame_get_id (frame);
  if (id != NULL)
    g_assert_true (confab_token_id_is_valid (id, CONFAB_REQUEST_ID_MAX_CHARS));

  /* The fields the server reads, whether present or not, and every member that is there. */
  check_member (frame, "conv");
  check_member (frame, "msg_id");
  check_member (frame, "body");
  members = json_object_get_members (frame);
  for (GList *l = members; l != NULL; l = l->next)
    check_member (frame, l->data);
  g_list_free (members);

  /* An event's data as the client reads it: the frame's "data", and the frame itself. */
  check_events (confab_json_get_object (frame, "data"));
  check_events (frame);

  /* Answers built from what was read: the server echoes the id back. */
  text = confab_frame_response_error (id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, "x", NULL, NULL);
  g_assert_nonnull (text);

  return 0;
}
