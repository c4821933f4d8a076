/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_IDLE_MONITOR (confab_idle_monitor_get_type ())
G_DECLARE_FINAL_TYPE (ConfabIdleMonitor, confab_idle_monitor, CONFAB, IDLE_MONITOR, GObject)

/* Whether the user has been away from the keyboard and mouse for @timeout_ms ("idle", notified
 * as it changes): from the session's idle monitor (org.gnome.Mutter.IdleMonitor on the session
 * bus), or, without one, from the input events @window receives. */
ConfabIdleMonitor *confab_idle_monitor_new         (GtkWindow         *window,
                                                    guint              timeout_ms);
gboolean           confab_idle_monitor_get_idle    (ConfabIdleMonitor *self);
/* TRUE when the session's monitor answers, FALSE on the window's events. */
gboolean           confab_idle_monitor_uses_session (ConfabIdleMonitor *self);

G_END_DECLS
