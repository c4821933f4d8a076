/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

/* For ConfabPresence. */
#include "confab-contact.h"

G_BEGIN_DECLS

char       *confab_format_time_short   (gint64          ts_ms);
char       *confab_format_clock        (gint64          ts_ms);
/* The time at @now_ms in the IANA zone @timezone, and how far that zone is from the local one
 * when it differs: "14:05 (+2 h)"; NULL if @timezone is NULL or unknown. */
char       *confab_format_local_time   (const char     *timezone,
                                        gint64          now_ms);
char       *confab_format_day          (gint64          ts_ms);
gboolean    confab_same_day            (gint64          a_ms,
                                        gint64          b_ms);
const char *confab_presence_label      (ConfabPresence  presence);
const char *confab_presence_css_class  (ConfabPresence  presence);
char       *confab_error_to_user_text  (const GError   *error,
                                        GAsyncResult   *result);
char       *confab_text_head           (const char     *text,
                                        guint           max_chars);
void        confab_set_tooltip_and_label (GtkWidget    *widget,
                                          const char   *text);
void        confab_set_row_label       (GtkWidget      *row,
                                        const char     *text);

G_END_DECLS
