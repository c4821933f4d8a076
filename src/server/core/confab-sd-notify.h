/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The service manager's notification protocol (sd_notify(3)), without libsystemd: each state
 * ("READY=1", "STATUS=…", "WATCHDOG=1", "STOPPING=1", newline-separated) is one datagram to
 * the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 * Without $NOTIFY_SOCKET (not started by systemd with Type=notify) nothing is sent.
 */

/* Sends @state; FALSE if there is no socket to send to or the send failed (logged). */
gboolean confab_sd_notify             (const char *state);
/* How often the service manager wants a WATCHDOG=1 ($WATCHDOG_USEC for this process, see
 * $WATCHDOG_PID), in microseconds; 0 when it wants none. */
guint64  confab_sd_watchdog_usec      (void);

G_END_DECLS
