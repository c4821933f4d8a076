/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-application.h"
#include "confab-test-util.h"
#include "confab-window.h"

G_BEGIN_DECLS

/* The client's window against a real confabd with two users: ann ("Ann Example"), whom the
 * window signs in through its sign-in page, and bob ("Bob Builder") on a raw WebSocket. */
typedef struct
{
  ConfabTestServer  *server;
  ConfabTestUser    *ann;
  ConfabTestUser    *bob;
  ConfabTestClient  *bob_ws;
  ConfabApplication *app;
  ConfabWindow      *window;
} ConfabUiFixture;

/* Initialises GTK and libadwaita as confab's main () does, with notifications off (Xvfb runs
 * have no notification server unless a case starts one). */
void                confab_ui_test_init           (int              *argc,
                                                   char           ***argv);
/* Starts a window manager (openbox) on the display unless one runs: then the window that
 * opens last is active and has the keyboard, as on a desktop. Fails the test if there is no
 * window manager to start. */
void                confab_ui_test_start_window_manager (void);
void                confab_ui_test_stop_window_manager  (void);
/* Types @keys through the X server as a keyboard would (xdotool key: "Tab", "ctrl+k"…) to
 * the window with the keyboard focus; the events arrive on the next main loop iterations. */
void                confab_ui_test_keys           (const char       *keys);
/* The server, both users, a window manager, the application and its window on the sign-in
 * page, active. */
void                confab_ui_fixture_set_up      (ConfabUiFixture  *f);
void                confab_ui_fixture_tear_down   (ConfabUiFixture  *f);
/* Signs ann in through the sign-in page; returns once connected. */
void                confab_ui_fixture_sign_in     (ConfabUiFixture  *f);
/* bob sends @body to ann's DM; returns the message's id. */
gint64              confab_ui_fixture_bob_says    (ConfabUiFixture  *f,
                                                   const char       *body);
/* Waits until ann's window lists @conv, then opens it. */
void                confab_ui_fixture_open        (ConfabUiFixture  *f,
                                                   const char       *conv);
ConfabConversation *confab_ui_fixture_lookup      (ConfabUiFixture  *f,
                                                   const char       *conv);
typedef void (*ConfabUiCase) (ConfabUiFixture *f);

/* Adds @run as the test @path. It runs in a process of its own (g_test_trap_subprocess), with
 * its own HOME and XDG directories, server, application and window: the fixture is set up
 * before it and torn down after it, and no case depends on another having run. */
void                confab_ui_test_add            (const char       *path,
                                                   ConfabUiCase      run);
/* The first widget of @type under @root (depth first), or NULL. */
GtkWidget          *confab_ui_find_widget         (GtkWidget        *root,
                                                   GType             type);
/* The open toplevel of @type, or NULL. */
GtkWindow          *confab_ui_find_toplevel       (GType             type);

G_END_DECLS
