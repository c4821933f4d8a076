/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_APPLICATION (confab_application_get_type ())

G_DECLARE_FINAL_TYPE (ConfabApplication, confab_application, CONFAB, APPLICATION, AdwApplication)

/* Before anything else: the locale, and the translations (also from the build tree). */
void               confab_application_setup_i18n (void);
/* Before GTK starts: without a GPU, draw with cairo and keep OpenGL unloaded. */
void               confab_application_choose_renderer (void);
ConfabApplication *confab_application_new          (void);
GSettings         *confab_application_get_settings (ConfabApplication *self);
/* The account the app signs in, restores and signs out; windows show it. */
ConfabAccount     *confab_application_get_account  (ConfabApplication *self);
gboolean           confab_application_is_muted     (ConfabApplication *self,
                                                    const char        *conv);
void               confab_application_set_muted    (ConfabApplication *self,
                                                    const char        *conv,
                                                    gboolean           muted);
/* Cameras, microphones and speakers, and the ones chosen for calls; one per process. */
ConfabMediaDevices *confab_application_get_media_devices (ConfabApplication *self);

G_END_DECLS
