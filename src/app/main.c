/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ConfabApplication) app = NULL;

  confab_application_setup_i18n ();

  confab_application_choose_renderer ();
  app = confab_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
