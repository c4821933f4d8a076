/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PERSON_PICKER (confab_person_picker_get_type ())
G_DECLARE_FINAL_TYPE (ConfabPersonPicker, confab_person_picker, CONFAB, PERSON_PICKER, AdwWindow)

/* A dialog over @parent that searches the company directory as one types (name, username, email,
 * job title, department) and shows each hit with avatar, name, title and department. Picking one
 * emits "chosen" (username) and closes it. @title names what picking does ("New Conversation",
 * "Add Contact"). */
ConfabPersonPicker *confab_person_picker_new         (GtkWindow          *parent,
                                                      ConfabSession      *session,
                                                      const char         *title);
/* The rows shown (GtkListBox of AdwActionRow), for tests. */
GtkListBox         *confab_person_picker_get_results (ConfabPersonPicker *self);
GtkEditable        *confab_person_picker_get_entry   (ConfabPersonPicker *self);

G_END_DECLS
