/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-call-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CALL_WINDOW (confab_call_window_get_type ())

G_DECLARE_FINAL_TYPE (ConfabCallWindow, confab_call_window, CONFAB, CALL_WINDOW, AdwWindow)

/* The window of @call with @peer_name (display name) for title and avatar; it closes itself a
 * moment after the call ended. */
ConfabCallWindow *confab_call_window_new        (GtkApplication   *application,
                                                 ConfabCall       *call,
                                                 const char       *peer_name);
ConfabCall       *confab_call_window_get_call   (ConfabCallWindow *self);

/* For a call that ended: what to tell the user, or NULL for an ordinary hang-up. */
const char       *confab_call_end_reason_text   (const char       *reason,
                                                 ConfabCallRole    role);

G_END_DECLS
