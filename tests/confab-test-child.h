/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-call.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* The side of a call endpoint process that a test or a benchmark drives by lines on its stdin,
 * and that reports by lines on its stdout (tests/confab-call-peer.c,
 * tests/confab-call-client.c). */

/* A line of stdin split into its command (never NULL) and at most two arguments, the last one
 * the rest of the line. */
typedef void (*ConfabTestChildCommandFunc) (char     **words,
                                            gpointer   user_data);

/* One line on stdout, flushed at once: the parent waits for it. */
void         confab_test_child_reply       (const char                 *format,
                                            ...) G_GNUC_PRINTF (1, 2);
/* The CPU time (user and system) this process has used, for the figures per endpoint. */
gint64       confab_test_child_cpu_time_us (void);
/* Reports "first-frame <µs>" once @call has decoded a remote video frame. *@source_id is the
 * watch while it runs (for g_clear_handle_id()), 0 once it has reported. */
void         confab_test_child_watch_first_frame (ConfabCall *call,
                                                  guint      *source_id);
/* Runs @loop, giving each line of stdin but empty ones to @handle_command, until something
 * quits @loop or the parent closes stdin. */
void         confab_test_child_run         (GMainLoop                  *loop,
                                            ConfabTestChildCommandFunc  handle_command,
                                            gpointer                    user_data);

G_END_DECLS
