/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROFILE_WINDOW (confab_profile_window_get_type ())

G_DECLARE_FINAL_TYPE (ConfabProfileWindow, confab_profile_window, CONFAB, PROFILE_WINDOW,
                      AdwWindow)

/* A person's profile over @parent: name, username, status and what the server keeps (title,
 * department, email, phone, location, role), and their local time when their time zone is
 * known; it follows the contact as the server's answer to
 * a fresh profile_get comes in. */
ConfabProfileWindow *confab_profile_window_new      (GtkWindow           *parent,
                                                     ConfabSession       *session,
                                                     const char          *username);
/* The value shown for @field ("title", "department", "email", "phone", "location",
 * "local-time", "role", "status"), or NULL when that row is hidden. */
const char          *confab_profile_window_get_field (ConfabProfileWindow *self,
                                                      const char          *field);

G_END_DECLS
