/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Not a test: the confab program as tests/bench/confab-client-bench runs it, with the bench
 * probe (confab-bench-probe.c) attached to its main window. Everything else is what
 * src/app/main.c does, so the benchmark times the application the users run. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "confab-application.h"
#include "confab-bench-probe.h"
#include "confab-window.h"

/* The window is new here: its template is built and its session restoring, but it is not
 * realized yet, so the probe sees its first frame. */
static void
on_window_added (GtkApplication *app,
                 GtkWindow      *window,
                 gpointer        user_data)
{
  gboolean *attached = user_data;

  if (*attached || !CONFAB_IS_WINDOW (window))
    return;

  *attached = TRUE;
  confab_bench_probe_attach (CONFAB_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ConfabApplication) app = NULL;
  gboolean attached = FALSE;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  confab_application_choose_renderer ();
  app = confab_application_new ();
  g_signal_connect (app, "window-added", G_CALLBACK (on_window_added), &attached);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
