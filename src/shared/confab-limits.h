/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Defaults of protocol v1; a server may configure others and states them in hello. */
#define CONFAB_DEFAULT_PORT                 7443
#define CONFAB_DEFAULT_MAX_FRAME_BYTES      131072
#define CONFAB_DEFAULT_MAX_BODY_CHARS       16384
#define CONFAB_DEFAULT_MAX_FILE_BYTES       (G_GINT64_CONSTANT (2) << 30)
#define CONFAB_MAX_ATTACHMENTS              10
#define CONFAB_FILE_NAME_MAX_BYTES          255
#define CONFAB_FILE_MIME_MAX_BYTES          127
#define CONFAB_DEFAULT_MESSAGES_PER_MINUTE  600

#define CONFAB_PASSWORD_MIN_BYTES           8
#define CONFAB_PASSWORD_MAX_BYTES           1024
#define CONFAB_REQUEST_ID_MAX_CHARS         64
#define CONFAB_CLIENT_MSG_ID_MAX_CHARS      64
#define CONFAB_DISPLAY_NAME_MAX_CHARS       128
#define CONFAB_PROFILE_FIELD_MAX_CHARS      256
#define CONFAB_TIMEZONE_MAX_CHARS           64
#define CONFAB_DEVICE_NAME_MAX_CHARS        128
#define CONFAB_PRESENCE_TEXT_MAX_CHARS      256
#define CONFAB_EMOJI_MAX_CHARS              32
#define CONFAB_SEARCH_QUERY_MAX_CHARS       256
#define CONFAB_HISTORY_DEFAULT_LIMIT        50
#define CONFAB_HISTORY_MAX_LIMIT            200
#define CONFAB_SEARCH_DEFAULT_LIMIT         50
#define CONFAB_SEARCH_MAX_LIMIT             200
#define CONFAB_PRESENCE_GET_MAX_USERS       500
#define CONFAB_TYPING_EXPIRY_MS             6000
#define CONFAB_CONTACT_MESSAGE_MAX_CHARS    500
#define CONFAB_CONTACT_GROUP_MAX_CHARS      64
#define CONFAB_DIRECTORY_DEFAULT_LIMIT      20
#define CONFAB_DIRECTORY_MAX_LIMIT          100
#define CONFAB_DIRECTORY_MAX_OFFSET         1000000
#define CONFAB_BROADCAST_MAX_USERS          1000

/* Ids and seqs travel as JSON numbers; they stay below 2^53 so every JSON reader keeps them. */
#define CONFAB_MAX_SAFE_INTEGER             ((G_GINT64_CONSTANT (1) << 53) - 1)

G_END_DECLS
