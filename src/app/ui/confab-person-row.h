/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

typedef enum
{
  CONFAB_PERSON_ROW_WORK,    /* subtitle: job title · department */
  CONFAB_PERSON_ROW_STATUS,  /* subtitle: status · status text */
} ConfabPersonRowKind;

/* An AdwActionRow for @contact: the avatar with a presence dot, the display name, and a
 * subtitle of @kind; it follows the contact's changes. Its accessible name says all of it. The
 * contact's username is the row's "username" data. */
GtkWidget *confab_person_row_new      (ConfabContact       *contact,
                                       ConfabPersonRowKind  kind);
/* Shows @note (a request's message) as the subtitle instead, while not empty. */
void       confab_person_row_set_note (GtkWidget           *row,
                                       const char          *note);
/* "Job title · Department" of @contact, or "" (newly allocated). */
char      *confab_person_work_text    (ConfabContact       *contact);
/* "Status · status text" of @contact (newly allocated). */
char      *confab_person_status_text  (ConfabContact       *contact);

G_END_DECLS
