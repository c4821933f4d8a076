/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_TEXT (confab_message_text_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMessageText, confab_message_text, CONFAB, MESSAGE_TEXT, GtkWidget)

GtkWidget  *confab_message_text_new                 (void);
const char *confab_message_text_get_text            (ConfabMessageText *self);
void        confab_message_text_set_text            (ConfabMessageText *self,
                                                     const char        *text);
int         confab_message_text_get_max_width_chars (ConfabMessageText *self);
void        confab_message_text_set_max_width_chars (ConfabMessageText *self,
                                                     int                n_chars);

/* The text's http(s):// and mailto: links; a click on one emits ::activate-link, whose default
 * opens it. */
guint       confab_message_text_get_n_links         (ConfabMessageText *self);
const char *confab_message_text_get_link            (ConfabMessageText *self,
                                                     guint              i);
/* The link under (@x, @y), in the widget's coordinates, or NULL. */
const char *confab_message_text_get_link_at         (ConfabMessageText *self,
                                                     double             x,
                                                     double             y);
void        confab_message_text_activate_link       (ConfabMessageText *self,
                                                     guint              i);

G_END_DECLS
