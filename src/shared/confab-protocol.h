/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * The names of protocol v1 (docs/protocol.md), one section per capability, so both sides spell
 * them once: a request type is CONFAB_REQUEST_*, an event name CONFAB_EVENT_*. The shapes that
 * both sides build or read (an event's members) have a struct and a pair of helpers below their
 * names: *_to_json on the side that sends, *_from_json on the side that reads, which checks the
 * members' types and leaves the rest (ranges, rights) to its caller. A new capability (rooms,
 * files, contacts) adds its own section the same way.
 */

/* The stream (core) */
#define CONFAB_REQUEST_HELLO            "hello"
#define CONFAB_REQUEST_ACK              "ack"
#define CONFAB_EVENT_SYNCED             "synced"
#define CONFAB_EVENT_RESYNC_REQUIRED    "resync_required"

/* Accounts and devices */
#define CONFAB_REQUEST_PASSWORD_CHANGE  "password_change"
#define CONFAB_REQUEST_DEVICES          "devices"
#define CONFAB_REQUEST_DEVICE_REVOKE    "device_revoke"

/* Messages */
#define CONFAB_REQUEST_SEND             "send"
#define CONFAB_REQUEST_EDIT             "edit"
#define CONFAB_REQUEST_DELETE           "delete"
#define CONFAB_REQUEST_REACT            "react"
#define CONFAB_REQUEST_READ             "read"
#define CONFAB_REQUEST_HISTORY          "history"
#define CONFAB_REQUEST_CONVERSATIONS    "conversations"
#define CONFAB_REQUEST_SEARCH           "search"
#define CONFAB_EVENT_MESSAGE            "message"
#define CONFAB_EVENT_MESSAGE_EDITED     "message_edited"
#define CONFAB_EVENT_MESSAGE_DELETED    "message_deleted"
#define CONFAB_EVENT_REACTION           "reaction"
#define CONFAB_EVENT_READ               "read"

/* message_deleted {conv, msg_id} */
typedef struct
{
  const char *conv;
  gint64      msg_id;
} ConfabMessageDeleted;

/* reaction {conv, msg_id, user, emoji, on} */
typedef struct
{
  const char *conv;
  gint64      msg_id;
  const char *user;
  const char *emoji;
  gboolean    on;
} ConfabReaction;

/* read {conv, user, msg_id} */
typedef struct
{
  const char *conv;
  const char *user;
  gint64      msg_id;
} ConfabReadMark;

JsonObject *confab_message_deleted_to_json   (const ConfabMessageDeleted *event);
gboolean    confab_message_deleted_from_json (JsonObject                 *data,
                                              ConfabMessageDeleted       *out);
JsonObject *confab_reaction_to_json          (const ConfabReaction       *event);
gboolean    confab_reaction_from_json        (JsonObject                 *data,
                                              ConfabReaction             *out);
JsonObject *confab_read_mark_to_json         (const ConfabReadMark       *event);
gboolean    confab_read_mark_from_json       (JsonObject                 *data,
                                              ConfabReadMark             *out);

/* Presence and typing */
#define CONFAB_REQUEST_PRESENCE         "presence"
#define CONFAB_REQUEST_PRESENCE_GET     "presence_get"
#define CONFAB_REQUEST_TYPING           "typing"
#define CONFAB_EVENT_PRESENCE           "presence"
#define CONFAB_EVENT_TYPING             "typing"

/* Profiles */
#define CONFAB_REQUEST_PROFILE_GET      "profile_get"
#define CONFAB_REQUEST_PROFILE_UPDATE   "profile_update"
#define CONFAB_EVENT_PROFILE_UPDATED    "profile_updated"

/* Contacts (a contact list whose additions need the other side's consent) */
#define CONFAB_REQUEST_CONTACTS         "contacts"
#define CONFAB_REQUEST_CONTACT_REQUEST  "contact_request"
#define CONFAB_REQUEST_CONTACT_RESPOND  "contact_respond"
#define CONFAB_REQUEST_CONTACT_REMOVE   "contact_remove"
#define CONFAB_REQUEST_CONTACT_GROUP    "contact_group"
#define CONFAB_REQUEST_BLOCK            "block"
#define CONFAB_REQUEST_UNBLOCK          "unblock"
#define CONFAB_EVENT_CONTACT_REQUEST    "contact_request"
#define CONFAB_EVENT_CONTACT_ADDED      "contact_added"
#define CONFAB_EVENT_CONTACT_REMOVED    "contact_removed"
#define CONFAB_EVENT_CONTACT_DECLINED   "contact_declined"
#define CONFAB_EVENT_CONTACT_UPDATED    "contact_updated"
#define CONFAB_EVENT_USER_BLOCKED       "user_blocked"
#define CONFAB_EVENT_USER_UNBLOCKED     "user_unblocked"

/* Directory */
#define CONFAB_REQUEST_DIRECTORY_SEARCH "directory_search"

/* Broadcast (announcements) */
#define CONFAB_REQUEST_BROADCAST        "broadcast"
#define CONFAB_EVENT_BROADCAST          "broadcast"

/* Calls. Every call request and event carries the call's `call_id`. */
#define CONFAB_REQUEST_CALL_INVITE      "call_invite"
#define CONFAB_REQUEST_CALL_ANSWER      "call_answer"
#define CONFAB_REQUEST_CALL_REJECT      "call_reject"
#define CONFAB_REQUEST_CALL_SIGNAL      "call_signal"
#define CONFAB_REQUEST_CALL_HANGUP      "call_hangup"
#define CONFAB_EVENT_CALL_INVITE        "call_invite"
#define CONFAB_EVENT_CALL_ANSWERED      "call_answered"
#define CONFAB_EVENT_CALL_SIGNAL        "call_signal"
#define CONFAB_EVENT_CALL_ENDED         "call_ended"
#define CONFAB_EVENT_CALL_MISSED        "call_missed"
#define CONFAB_CALL_ID                  "call_id"

/* {call_id}: the parameters of a request about one call, or the start of an event's data. */
JsonObject *confab_call_ref_to_json   (const char *call_id);
/* The call_id of a call event's data, or NULL if it has none. */
const char *confab_call_ref_from_json (JsonObject *data);

G_END_DECLS
