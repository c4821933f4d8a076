/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Running with the window closed, and starting at login. Inside Flatpak both go through the
 * Background portal (libportal, where Confab was built with it); outside, starting at login is
 * an XDG autostart entry and running in the background needs nothing. */

/* $XDG_CONFIG_HOME/autostart/<app id>.desktop. */
char     *confab_background_dup_autostart_path (void);
/* Writes or removes the autostart entry (outside Flatpak), or asks the portal. */
gboolean  confab_background_set_autostart      (GtkWindow  *parent,
                                                gboolean    enabled,
                                                GError    **error);
/* The window was closed and Confab goes on: inside Flatpak, asks the portal to let it. */
void      confab_background_request            (GtkWindow  *parent,
                                                gboolean    autostart);

G_END_DECLS
