/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-avatar-group.h"
#include "confab-call-devices-group.h"
#include "confab-devices.h"
#include "confab-error.h"
#include "confab-preferences-window.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-ui-util.h"

struct _ConfabPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  ConfabSession        *session;
  GSettings            *settings;
  GCancellable         *cancellable;
  JsonObject           *profile;

  AdwComboRow          *style_row;
  GtkSwitch            *enter_sends_switch;
  GtkSwitch            *notifications_switch;
  GtkSwitch            *background_switch;
  GtkSwitch            *autostart_switch;
  AdwPreferencesPage   *account_page;
  AdwEntryRow          *display_name_row;
  AdwEntryRow          *title_row;
  AdwEntryRow          *department_row;
  AdwEntryRow          *location_row;
  AdwEntryRow          *email_row;
  AdwEntryRow          *phone_row;
  AdwActionRow         *timezone_row;
  GtkWidget            *save_profile_button;
  AdwEntryRow          *old_password_row;
  AdwEntryRow          *new_password_row;
  GtkWidget            *change_password_button;
  GtkListBox           *devices_list;
  GtkWidget            *call_devices_group;
  GtkWidget            *avatar_group;
};

G_DEFINE_FINAL_TYPE (ConfabPreferencesWindow, confab_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

static void load_devices (ConfabPreferencesWindow *self);

/* Profile rows and the protocol field each edits. */
static const struct {
  const char *field;
  gsize       offset;
} profile_fields[] = {
  { "display_name", G_STRUCT_OFFSET (ConfabPreferencesWindow, display_name_row) },
  { "title", G_STRUCT_OFFSET (ConfabPreferencesWindow, title_row) },
  { "department", G_STRUCT_OFFSET (ConfabPreferencesWindow, department_row) },
  { "location", G_STRUCT_OFFSET (ConfabPreferencesWindow, location_row) },
  { "email", G_STRUCT_OFFSET (ConfabPreferencesWindow, email_row) },
  { "phone", G_STRUCT_OFFSET (ConfabPreferencesWindow, phone_row) },
};

static GtkEditable *
profile_row (ConfabPreferencesWindow *self,
             guint                    i)
{
  return G_STRUCT_MEMBER (GtkEditable *, self, profile_fields[i].offset);
}

static void
toast (ConfabPreferencesWindow *self,
       const char              *text)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
}

static gboolean
color_scheme_get_mapping (GValue   *value,
                          GVariant *variant,
                          gpointer  user_data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  g_value_set_uint (value, g_str_equal (nick, "light") ? 1 : g_str_equal (nick, "dark") ? 2 : 0);
  return TRUE;
}

static GVariant *
color_scheme_set_mapping (const GValue       *value,
                          const GVariantType *type,
                          gpointer            user_data)
{
  static const char *nicks[] = { "system", "light", "dark" };
  guint i = g_value_get_uint (value);

  return g_variant_new_string (nicks[MIN (i, 2)]);
}

static const char *
profile_value (JsonObject *profile,
               const char *field)
{
  if (profile == NULL || !json_object_has_member (profile, field))
    return "";

  return json_object_get_string_member_with_default (profile, field, "");
}

static void
on_profile_changed (ConfabPreferencesWindow *self)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (profile_fields); i++)
    changed |= g_strcmp0 (gtk_editable_get_text (profile_row (self, i)),
                          profile_value (self->profile, profile_fields[i].field)) != 0;

  gtk_widget_set_sensitive (self->save_profile_button, changed && self->profile != NULL);
}

static void
fill_profile (ConfabPreferencesWindow *self,
              JsonObject              *profile)
{
  g_clear_pointer (&self->profile, json_object_unref);
  self->profile = profile ? json_object_ref (profile) : NULL;

  for (guint i = 0; i < G_N_ELEMENTS (profile_fields); i++)
    gtk_editable_set_text (profile_row (self, i), profile_value (profile,
                                                                 profile_fields[i].field));
  /* Not edited here: the client keeps it to the system's (see ConfabProfiles). */
  adw_action_row_set_subtitle (self->timezone_row,
                               profile_value (profile, "timezone")[0] != '\0'
                               ? profile_value (profile, "timezone") : _("Not set"));
  on_profile_changed (self);
}

static void
profile_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  user = confab_profiles_profile_finish (CONFAB_PROFILES (object), result, &error);
  if (user == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = confab_error_to_user_text (error, result);
      toast (self, text);
      return;
    }

  fill_profile (self, user);
}

static void
update_profile_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  user = confab_profiles_profile_finish (CONFAB_PROFILES (object), result, &error);
  if (user == NULL)
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = confab_error_to_user_text (error, result);
      toast (self, text);
      on_profile_changed (self);
      return;
    }

  fill_profile (self, user);
  toast (self, _("Profile saved"));
}

static void
on_save_profile (ConfabPreferencesWindow *self)
{
  g_autoptr(JsonObject) fields = json_object_new ();

  for (guint i = 0; i < G_N_ELEMENTS (profile_fields); i++)
    {
      g_autofree char *value = g_strstrip (g_strdup (gtk_editable_get_text (profile_row (self,
                                                                                         i))));

      if (g_strcmp0 (value, profile_value (self->profile, profile_fields[i].field)) != 0)
        json_object_set_string_member (fields, profile_fields[i].field, value);
    }

  if (json_object_get_size (fields) == 0)
    return;

  gtk_widget_set_sensitive (self->save_profile_button, FALSE);
  confab_profiles_update_profile_async (confab_profiles_from_session (self->session), fields,
                                        self->cancellable,
                                        update_profile_cb, g_object_ref (self));
}

static void
on_password_changed (ConfabPreferencesWindow *self)
{
  const char *old_password = gtk_editable_get_text (GTK_EDITABLE (self->old_password_row));
  const char *new_password = gtk_editable_get_text (GTK_EDITABLE (self->new_password_row));

  gtk_widget_remove_css_class (GTK_WIDGET (self->old_password_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->new_password_row), "error");
  gtk_widget_set_sensitive (self->change_password_button,
                            *old_password != '\0' && *new_password != '\0');
}

static void
change_password_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(ConfabPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED)
          || g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_FORBIDDEN))
        {
          gtk_widget_add_css_class (GTK_WIDGET (self->old_password_row), "error");
          text = g_strdup (_("The current password is wrong."));
        }
      else if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_INVALID))
        {
          gtk_widget_add_css_class (GTK_WIDGET (self->new_password_row), "error");
          text = g_strdup (_("The new password is too short: use at least 8 characters."));
        }
      else
        text = confab_error_to_user_text (error, result);

      toast (self, text);
      on_password_changed (self);
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (self->old_password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->new_password_row), "");
  toast (self, _("Password changed. Your other devices were signed out."));
  load_devices (self);
}

static void
on_change_password (ConfabPreferencesWindow *self)
{
  const char *new_password = gtk_editable_get_text (GTK_EDITABLE (self->new_password_row));

  if (strlen (new_password) < 8)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->new_password_row), "error");
      toast (self, _("The new password is too short: use at least 8 characters."));
      return;
    }

  gtk_widget_set_sensitive (self->change_password_button, FALSE);
  confab_devices_change_password_async (confab_devices_from_session (self->session),
                                        gtk_editable_get_text (GTK_EDITABLE (self->old_password_row)),
                                        new_password, self->cancellable, change_password_cb,
                                        g_object_ref (self));
}

static void
revoke_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = confab_error_to_user_text (error, result);
      toast (self, text);
    }
  else
    toast (self, _("Device signed out"));

  load_devices (self);
}

static void
on_revoke_clicked (GtkButton               *button,
                   ConfabPreferencesWindow *self)
{
  const char *device_id = g_object_get_data (G_OBJECT (button), "device-id");

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  confab_devices_revoke_async (confab_devices_from_session (self->session), device_id,
                               self->cancellable, revoke_cb,
                               g_object_ref (self));
}

static GtkWidget *
device_row_new (ConfabPreferencesWindow *self,
                JsonObject              *device)
{
  const char *name = json_object_get_string_member_with_default (device, "name", "");
  const char *device_id = json_object_get_string_member_with_default (device, "device_id", "");
  gint64 last_seen = json_object_get_int_member_with_default (device, "last_seen_ts", 0);
  gboolean current = json_object_get_boolean_member_with_default (device, "current", FALSE);
  g_autofree char *subtitle = NULL;
  GtkWidget *row;

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), *name ? name : _("Unnamed device"));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);

  if (current)
    subtitle = g_strdup (_("This device"));
  else if (last_seen > 0)
    {
      g_autofree char *day = confab_format_day (last_seen);
      g_autofree char *clock = confab_format_clock (last_seen);

      /* Translators: when a device was last used; "Today, 14:05". */
      subtitle = g_strdup_printf (_("Last active %s, %s"), day, clock);
    }
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  if (!current)
    {
      GtkWidget *button = gtk_button_new_with_mnemonic (_("_Revoke"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "destructive-action");
      g_object_set_data_full (G_OBJECT (button), "device-id", g_strdup (device_id), g_free);
      g_signal_connect_object (button, "clicked", G_CALLBACK (on_revoke_clicked), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }

  return row;
}

static void
list_devices_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) devices = NULL;
  GtkWidget *child;

  devices = confab_devices_list_finish (CONFAB_DEVICES (object), result, &error);
  if (devices == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->devices_list))))
    gtk_list_box_remove (self->devices_list, child);

  if (devices == NULL)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("The list of devices needs a connection to the server."));
      gtk_list_box_append (self->devices_list, row);
      return;
    }

  for (guint i = 0; i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);

      if (device != NULL)
        gtk_list_box_append (self->devices_list, device_row_new (self, device));
    }
}

static void
load_devices (ConfabPreferencesWindow *self)
{
  confab_devices_list_async (confab_devices_from_session (self->session), self->cancellable,
                             list_devices_cb,
                             g_object_ref (self));
}

static void
confab_preferences_window_dispose (GObject *object)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->profile, json_object_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (confab_preferences_window_parent_class)->dispose (object);
}

static void
confab_preferences_window_class_init (ConfabPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_preferences_window_dispose;

  g_type_ensure (CONFAB_TYPE_CALL_DEVICES_GROUP);
  g_type_ensure (CONFAB_TYPE_AVATAR_GROUP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow,
                                        enter_sends_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow,
                                        notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, autostart_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, title_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, department_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, location_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, email_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, phone_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, timezone_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow,
                                        save_profile_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, old_password_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, new_password_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow,
                                        change_password_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, devices_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, call_devices_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, avatar_group);
  gtk_widget_class_bind_template_callback (widget_class, on_profile_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_save_profile);
  gtk_widget_class_bind_template_callback (widget_class, on_password_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_change_password);
}

static void
confab_preferences_window_init (ConfabPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);

  g_settings_bind (self->settings, "enter-sends", self->enter_sends_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "run-in-background", self->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "start-at-login", self->autostart_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "color-scheme", self->style_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, color_scheme_get_mapping,
                                color_scheme_set_mapping, NULL, NULL);
}

ConfabPreferencesWindow *
confab_preferences_window_new (GtkWindow          *parent,
                               ConfabSession      *session,
                               ConfabMediaDevices *devices)
{
  ConfabPreferencesWindow *self;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (!session || CONFAB_IS_SESSION (session), NULL);

  self = g_object_new (CONFAB_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  if (devices != NULL)
    confab_call_devices_group_set_devices (CONFAB_CALL_DEVICES_GROUP (self->call_devices_group),
                                           devices);

  if (session == NULL)
    {
      adw_preferences_window_remove (ADW_PREFERENCES_WINDOW (self), self->account_page);
      return self;
    }

  self->session = g_object_ref (session);
  confab_avatar_group_set_session (CONFAB_AVATAR_GROUP (self->avatar_group), session);
  confab_profiles_get_profile_async (confab_profiles_from_session (session),
                                     confab_session_get_username (session),
                                     self->cancellable, profile_cb, g_object_ref (self));
  load_devices (self);

  return self;
}
