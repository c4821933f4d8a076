/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_UPLOAD_LIST (confab_upload_list_get_type ())

G_DECLARE_FINAL_TYPE (ConfabUploadList, confab_upload_list, CONFAB, UPLOAD_LIST, GtkWidget)

/* The uploads on their way to one conversation, a row each: name, progress bar, speed or
 * state, pause/resume and cancel. Hidden while there is none. */
GtkWidget *confab_upload_list_new      (void);
/* @session may be NULL (nothing shown). */
void       confab_upload_list_set_conv (ConfabUploadList *self,
                                        ConfabSession    *session,
                                        const char       *conv);

G_END_DECLS
