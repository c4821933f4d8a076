/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Structured logs: what an administrator looks for (sign-in, sign-out, refused requests, admin
 * actions, errors) goes through g_log_structured with journald fields of its own, so that
 * `journalctl CONFAB_USER=alice` finds it. A field that is NULL is left out. Never put a
 * message body, a password or a token in a field or in the message.
 */
typedef struct
{
  const char *event;     /* CONFAB_EVENT: sign_in, sign_out, session_start, refused, admin... */
  const char *user;      /* CONFAB_USER */
  const char *device;    /* CONFAB_DEVICE */
  const char *request;   /* CONFAB_REQUEST: a request type, an HTTP route or an admin action */
  const char *outcome;   /* CONFAB_OUTCOME: ok or an error code */
  const char *address;   /* CONFAB_ADDRESS: the client's address */
  const char *target;    /* CONFAB_TARGET: the user or path acted on */
} ConfabLogFields;

void confab_log_full (const char            *domain,
                      GLogLevelFlags         level,
                      const ConfabLogFields *fields,
                      const char            *format,
                      ...) G_GNUC_PRINTF (4, 5);

/* confab_log (level, fields, format, ...); the fields may be a compound literal. */
#define confab_log(level, ...) confab_log_full (G_LOG_DOMAIN, (level), __VA_ARGS__)

/* With CONFAB_LOG_FORMAT=fields in the environment, every log record goes to stderr as one
 * line of KEY=value pairs (values with spaces, quotes or '=' quoted); otherwise GLib's default
 * writer (the journal when stderr is connected to it). Call once, from main (). */
void confab_log_init (void);

G_END_DECLS
