/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-person-row"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-person-row.h"
#include "confab-ui-util.h"

char *
confab_person_work_text (ConfabContact *contact)
{
  const char *title = confab_contact_get_title (contact);
  const char *department = confab_contact_get_department (contact);
  gboolean has_title = title != NULL && title[0] != '\0';
  gboolean has_department = department != NULL && department[0] != '\0';

  if (has_title && has_department)
    return g_strdup_printf ("%s · %s", title, department);
  return g_strdup (has_title ? title : has_department ? department : "");
}

char *
confab_person_status_text (ConfabContact *contact)
{
  const char *label = confab_presence_label (confab_contact_get_presence (contact));
  const char *text = confab_contact_get_presence_text (contact);

  if (text != NULL && text[0] != '\0')
    return g_strdup_printf ("%s · %s", label, text);
  return g_strdup (label);
}

static void
update_row (GtkWidget *row)
{
  ConfabContact *contact = g_object_get_data (G_OBJECT (row), "contact");
  ConfabPersonRowKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "kind"));
  GtkWidget *avatar = g_object_get_data (G_OBJECT (row), "avatar");
  GtkWidget *dot = g_object_get_data (G_OBJECT (row), "dot");
  ConfabPresence presence = confab_contact_get_presence (contact);
  const char *name = confab_contact_get_display_name (contact);
  g_autofree char *subtitle = NULL;
  g_autofree char *status = confab_person_status_text (contact);
  g_autofree char *label = NULL;
  const char *note = g_object_get_data (G_OBJECT (row), "note");

  if (note != NULL && note[0] != '\0')
    subtitle = g_strdup (note);
  else if (kind == CONFAB_PERSON_ROW_WORK)
    subtitle = confab_person_work_text (contact);
  else
    subtitle = g_strdup (status);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_avatar_set_text (ADW_AVATAR (avatar), name);
  for (ConfabPresence p = CONFAB_PRESENCE_OFFLINE; p <= CONFAB_PRESENCE_INVISIBLE; p++)
    gtk_widget_remove_css_class (dot, confab_presence_css_class (p));
  gtk_widget_add_css_class (dot, confab_presence_css_class (presence));
  if (subtitle[0] != '\0' && g_strcmp0 (subtitle, status) != 0)
    label = g_strdup_printf ("%s, %s, %s", name, subtitle, status);
  else
    label = g_strdup_printf ("%s, %s", name, status);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

GtkWidget *
confab_person_row_new (ConfabContact       *contact,
                       ConfabPersonRowKind  kind)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *avatar = adw_avatar_new (36, NULL, TRUE);
  GtkWidget *dot = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  gtk_widget_set_halign (dot, GTK_ALIGN_END);
  gtk_widget_set_valign (dot, GTK_ALIGN_END);
  gtk_widget_add_css_class (dot, "presence-dot");
  gtk_widget_add_css_class (dot, "small");
  gtk_overlay_set_child (GTK_OVERLAY (overlay), avatar);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), dot);
  gtk_widget_set_valign (overlay, GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), overlay);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);

  g_object_set_data_full (G_OBJECT (row), "contact", g_object_ref (contact), g_object_unref);
  g_object_set_data_full (G_OBJECT (row), "username",
                          g_strdup (confab_contact_get_username (contact)), g_free);
  g_object_set_data (G_OBJECT (row), "kind", GINT_TO_POINTER (kind));
  g_object_set_data (G_OBJECT (row), "avatar", avatar);
  g_object_set_data (G_OBJECT (row), "dot", dot);
  g_signal_connect_object (contact, "notify", G_CALLBACK (update_row), row, G_CONNECT_SWAPPED);
  update_row (row);
  return row;
}

void
confab_person_row_set_note (GtkWidget  *row,
                            const char *note)
{
  g_return_if_fail (ADW_IS_ACTION_ROW (row));

  g_object_set_data_full (G_OBJECT (row), "note", g_strdup (note), g_free);
  update_row (row);
}
