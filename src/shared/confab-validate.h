/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  CONFAB_CONV_INVALID,
  CONFAB_CONV_DM,
  CONFAB_CONV_ROOM,
} ConfabConvKind;

gboolean        confab_username_is_valid   (const char *username);
char           *confab_username_normalize  (const char *input);
gboolean        confab_room_id_is_valid    (const char *room_id);
gboolean        confab_timezone_name_is_valid (const char *name);
gboolean        confab_token_id_is_valid   (const char *str,
                                            guint       max_chars);
ConfabConvKind  confab_conv_parse          (const char  *conv,
                                            char       **first,
                                            char       **second);
char           *confab_conv_dm             (const char *user_a,
                                            const char *user_b);
char           *confab_conv_room           (const char *room_id);
gboolean        confab_text_is_clean       (const char *text,
                                            gboolean    allow_newlines);
char           *confab_text_fold_words     (const char *text);

G_END_DECLS
