/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-protocol"

#include "config.h"

#include "confab-frame.h"
#include "confab-protocol.h"

/**
 * confab_message_deleted_to_json:
 * @event: the message that was deleted
 *
 * Returns: (transfer full): the data of a `message_deleted` event
 */
JsonObject *
confab_message_deleted_to_json (const ConfabMessageDeleted *event)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "conv", event->conv);
  json_object_set_int_member (data, "msg_id", event->msg_id);
  return data;
}

/**
 * confab_message_deleted_from_json:
 * @data: (nullable): the data of a `message_deleted` event, from the network
 * @out: (out): its members, borrowed from @data; set only on success
 *
 * Returns: %TRUE if @data has the members of the event, of their types
 */
gboolean
confab_message_deleted_from_json (JsonObject           *data,
                                  ConfabMessageDeleted *out)
{
  ConfabMessageDeleted event = { 0 };

  event.conv = confab_json_get_string (data, "conv");
  if (event.conv == NULL || !confab_json_get_int (data, "msg_id", &event.msg_id))
    return FALSE;
  *out = event;
  return TRUE;
}

/**
 * confab_reaction_to_json:
 * @event: a reaction added or removed
 *
 * Returns: (transfer full): the data of a `reaction` event
 */
JsonObject *
confab_reaction_to_json (const ConfabReaction *event)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "conv", event->conv);
  json_object_set_int_member (data, "msg_id", event->msg_id);
  json_object_set_string_member (data, "user", event->user);
  json_object_set_string_member (data, "emoji", event->emoji);
  json_object_set_boolean_member (data, "on", event->on);
  return data;
}

/**
 * confab_reaction_from_json:
 * @data: (nullable): the data of a `reaction` event, from the network
 * @out: (out): its members, borrowed from @data; set only on success
 *
 * Returns: %TRUE if @data has the members of the event, of their types
 */
gboolean
confab_reaction_from_json (JsonObject     *data,
                           ConfabReaction *out)
{
  ConfabReaction event = { 0 };

  event.conv = confab_json_get_string (data, "conv");
  event.user = confab_json_get_string (data, "user");
  event.emoji = confab_json_get_string (data, "emoji");
  if (event.conv == NULL || event.user == NULL || event.emoji == NULL
      || !confab_json_get_int (data, "msg_id", &event.msg_id)
      || !confab_json_get_bool (data, "on", &event.on))
    return FALSE;
  *out = event;
  return TRUE;
}

/**
 * confab_read_mark_to_json:
 * @event: a read mark that moved
 *
 * Returns: (transfer full): the data of a `read` event
 */
JsonObject *
confab_read_mark_to_json (const ConfabReadMark *event)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, "conv", event->conv);
  json_object_set_string_member (data, "user", event->user);
  json_object_set_int_member (data, "msg_id", event->msg_id);
  return data;
}

/**
 * confab_read_mark_from_json:
 * @data: (nullable): the data of a `read` event, from the network
 * @out: (out): its members, borrowed from @data; set only on success
 *
 * Returns: %TRUE if @data has the members of the event, of their types
 */
gboolean
confab_read_mark_from_json (JsonObject     *data,
                            ConfabReadMark *out)
{
  ConfabReadMark event = { 0 };

  event.conv = confab_json_get_string (data, "conv");
  event.user = confab_json_get_string (data, "user");
  if (event.conv == NULL || event.user == NULL
      || !confab_json_get_int (data, "msg_id", &event.msg_id))
    return FALSE;
  *out = event;
  return TRUE;
}

/**
 * confab_call_ref_to_json:
 * @call_id: a call
 *
 * Returns: (transfer full): `{call_id}`, to which a request or an event adds its members
 */
JsonObject *
confab_call_ref_to_json (const char *call_id)
{
  JsonObject *data = json_object_new ();

  json_object_set_string_member (data, CONFAB_CALL_ID, call_id);
  return data;
}

/**
 * confab_call_ref_from_json:
 * @data: (nullable): the data of a call event, from the network
 *
 * Returns: (nullable): its `call_id`, borrowed from @data, or %NULL if it has none
 */
const char *
confab_call_ref_from_json (JsonObject *data)
{
  return confab_json_get_string (data, CONFAB_CALL_ID);
}
