/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-room-rows"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-frame.h"
#include "confab-profiles.h"
#include "confab-room-rows.h"
#include "confab-room.h"

GtkWidget *
confab_room_person_row_new (ConfabSession  *session,
                            const char     *username,
                            GtkWidget     **out_check)
{
  ConfabContact *contact = confab_profiles_get_contact (confab_profiles_from_session (session),
                                                        username);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar = adw_avatar_new (32, NULL, TRUE);
  GtkWidget *check = gtk_check_button_new ();

  g_object_bind_property (contact, "display-name", row, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (contact, "display-name", avatar, "text", G_BINDING_SYNC_CREATE);
  g_object_bind_property (contact, "display-name", check, "tooltip-text", G_BINDING_SYNC_CREATE);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), username);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  confab_contact_get_display_name (contact), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  *out_check = check;
  return row;
}

GtkWidget *
confab_room_list_row_new (ConfabRoom *room)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *avatar = adw_avatar_new (36, confab_room_get_name (room), TRUE);
  guint count = confab_room_get_member_count (room);
  g_autofree char *members = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u member",
                                                           "%u members", count), count);
  g_autofree char *subtitle = NULL;

  if (confab_room_get_topic (room)[0] != '\0')
    subtitle = g_strdup_printf ("%s · %s", confab_room_get_topic (room), members);
  else
    subtitle = g_strdup (members);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), confab_room_get_name (room));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), avatar);
  return row;
}

const char *
confab_room_role_label (const char *role)
{
  if (g_strcmp0 (role, "owner") == 0)
    return C_("room role", "Owner");
  if (g_strcmp0 (role, "admin") == 0)
    return C_("room role", "Admin");
  return C_("room role", "Member");
}

char *
confab_room_system_text (JsonObject         *system,
                         const char         *from,
                         ConfabRoomNameFunc  name,
                         gpointer            user_data)
{
  const char *action = confab_json_get_string (system, "action");
  const char *user = confab_json_get_string (system, "user");
  const char *by = confab_json_get_string (system, "by");
  const char *value;
  const char *subject = name (user_data, user != NULL ? user : from);
  const char *actor = name (user_data, by != NULL ? by : from);

  if (g_strcmp0 (action, "created") == 0)
    return g_strdup_printf (_("%s created the room"), actor);
  if (g_strcmp0 (action, "joined") == 0)
    return g_strdup_printf (_("%s joined"), subject);
  if (g_strcmp0 (action, "left") == 0)
    return g_strdup_printf (_("%s left"), subject);
  if (g_strcmp0 (action, "kicked") == 0)
    /* Translators: "Bob removed Carol". */
    return g_strdup_printf (_("%s removed %s"), actor, subject);
  if (g_strcmp0 (action, "invited") == 0)
    /* Translators: "Bob invited Carol". */
    return g_strdup_printf (_("%s invited %s"), actor, subject);
  if (g_strcmp0 (action, "renamed") == 0
      && (value = confab_json_get_string (system, "name")) != NULL)
    return g_strdup_printf (_("%s renamed the room to “%s”"), actor, value);
  if (g_strcmp0 (action, "topic") == 0
      && (value = confab_json_get_string (system, "topic")) != NULL)
    return value[0] != '\0' ? g_strdup_printf (_("%s changed the topic to “%s”"), actor, value)
                             : g_strdup_printf (_("%s cleared the topic"), actor);
  if (g_strcmp0 (action, "visibility") == 0
      && (value = confab_json_get_string (system, "visibility")) != NULL)
    return g_strdup_printf (g_str_equal (value, "public") ? _("%s made the room public")
                                                          : _("%s made the room private"),
                            actor);
  if (g_strcmp0 (action, "role") == 0 && (value = confab_json_get_string (system, "role")) != NULL)
    {
      /* Translators: "Bob made Carol an admin". */
      if (g_str_equal (value, "owner"))
        return g_strdup_printf (_("%s made %s an owner"), actor, subject);
      if (g_str_equal (value, "admin"))
        return g_strdup_printf (_("%s made %s an admin"), actor, subject);
      return g_strdup_printf (_("%s made %s a member"), actor, subject);
    }
  return NULL;
}
