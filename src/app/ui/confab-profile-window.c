/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-profile-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-avatar.h"
#include "confab-contact.h"
#include "confab-contacts.h"
#include "confab-feature.h"
#include "confab-profile-window.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-ui-util.h"

struct _ConfabProfileWindow
{
  AdwWindow      parent_instance;

  ConfabContact *contact;
  GCancellable  *cancellable;
  guint          minute_source;

  AdwAvatar     *avatar;
  GtkLabel      *name_label;
  GtkLabel      *username_label;
  GtkLabel      *status_label;
  GtkWidget     *details_group;
  AdwActionRow  *title_row;
  AdwActionRow  *department_row;
  AdwActionRow  *email_row;
  AdwActionRow  *phone_row;
  AdwActionRow  *location_row;
  AdwActionRow  *local_time_row;
  AdwActionRow  *role_row;
  GtkWidget     *actions_box;
  GtkWidget     *message_button;
  GtkWidget     *call_button;
  GtkWidget     *contact_button;
  GtkWidget     *block_button;
  ConfabContacts *contacts;
};

G_DEFINE_FINAL_TYPE (ConfabProfileWindow, confab_profile_window, ADW_TYPE_WINDOW)

/* A row shows only what the server has. */
static gboolean
set_row (AdwActionRow *row,
         const char   *value)
{
  gboolean shown = value != NULL && value[0] != '\0';

  adw_action_row_set_subtitle (row, shown ? value : "");
  gtk_widget_set_visible (GTK_WIDGET (row), shown);
  return shown;
}

static gboolean update_local_time (ConfabProfileWindow *self);

static gboolean
on_minute (gpointer user_data)
{
  ConfabProfileWindow *self = user_data;

  self->minute_source = 0;
  if (update_local_time (self))
    gtk_widget_set_visible (self->details_group, TRUE);
  return G_SOURCE_REMOVE;
}

/* The person's local time, shown while their time zone is known and told again when the
 * minute turns. */
static gboolean
update_local_time (ConfabProfileWindow *self)
{
  gint64 now_ms = g_get_real_time () / 1000;
  g_autofree char *text = confab_format_local_time (confab_contact_get_timezone (self->contact),
                                                    now_ms);

  g_clear_handle_id (&self->minute_source, g_source_remove);
  if (text != NULL)
    self->minute_source = g_timeout_add (60000 - now_ms % 60000 + 20, on_minute, self);
  return set_row (self->local_time_row, text);
}

/* Message, Call, Add Contact and Block: not for oneself; Add Contact as the relation allows. */
static void
update_actions (ConfabProfileWindow *self)
{
  const char *username = confab_contact_get_username (self->contact);
  ConfabSession *session = confab_feature_get_session (CONFAB_FEATURE (self->contacts));
  gboolean own = session != NULL
                 && g_strcmp0 (username, confab_session_get_username (session)) == 0;
  gboolean blocked = confab_contacts_is_blocked (self->contacts, username);
  const char *contact_label;

  gtk_widget_set_visible (self->actions_box, !own);
  if (confab_contacts_is_contact (self->contacts, username))
    contact_label = _("Contact");
  else if (confab_contacts_is_pending_out (self->contacts, username))
    contact_label = _("Request Sent");
  else if (confab_contacts_is_pending_in (self->contacts, username))
    contact_label = _("_Accept");
  else
    contact_label = _("_Add Contact");
  gtk_button_set_label (GTK_BUTTON (self->contact_button), contact_label);
  gtk_widget_set_sensitive (self->contact_button,
                            !blocked && !confab_contacts_is_contact (self->contacts, username)
                            && !confab_contacts_is_pending_out (self->contacts, username));
  gtk_button_set_label (GTK_BUTTON (self->block_button), blocked ? _("_Unblock") : _("_Block"));
  gtk_widget_set_sensitive (self->message_button, !blocked);
  gtk_widget_set_sensitive (self->call_button, !blocked);
}

static void
update (ConfabProfileWindow *self)
{
  ConfabContact *contact = self->contact;
  g_autofree char *username = g_strdup_printf ("@%s", confab_contact_get_username (contact));
  g_autoptr(GString) status = g_string_new (confab_presence_label (
                                              confab_contact_get_presence (contact)));
  const char *text = confab_contact_get_presence_text (contact);
  gboolean any = FALSE;

  adw_avatar_set_text (self->avatar, confab_contact_get_display_name (contact));
  gtk_label_set_label (self->name_label, confab_contact_get_display_name (contact));
  gtk_label_set_label (self->username_label, username);
  gtk_window_set_title (GTK_WINDOW (self), confab_contact_get_display_name (contact));

  if (text != NULL && text[0] != '\0')
    g_string_append_printf (status, " · %s", text);
  gtk_label_set_label (self->status_label, status->str);

  any |= set_row (self->title_row, confab_contact_get_title (contact));
  any |= set_row (self->department_row, confab_contact_get_department (contact));
  any |= set_row (self->email_row, confab_contact_get_email (contact));
  any |= set_row (self->phone_row, confab_contact_get_phone (contact));
  any |= set_row (self->location_row, confab_contact_get_location (contact));
  any |= update_local_time (self);
  any |= set_row (self->role_row, g_strcmp0 (confab_contact_get_role (contact), "admin") == 0
                                  ? _("Administrator") : NULL);
  gtk_widget_set_visible (self->details_group, any);
  update_actions (self);
}

static void
profile_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(GError) error = NULL;

  /* The contact is updated with the answer and notifies; a failure leaves what is known. */
  user = confab_profiles_profile_finish (CONFAB_PROFILES (object), result, &error);
  if (user == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Loading the profile failed: %s", error->message);
}

/* The window's own actions (win.*) open the DM, call, and ask. */
static void
parent_action (ConfabProfileWindow *self,
               const char          *action)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), action, "s",
                                confab_contact_get_username (self->contact));
}

static void
on_message_clicked (ConfabProfileWindow *self)
{
  parent_action (self, "win.message-user");
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_call_clicked (ConfabProfileWindow *self)
{
  parent_action (self, "win.call-user");
  gtk_window_close (GTK_WINDOW (self));
}

static void
respond_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error))
    g_debug ("Answering the request failed: %s", error->message);
}

static void
on_contact_clicked (ConfabProfileWindow *self)
{
  const char *username = confab_contact_get_username (self->contact);

  if (confab_contacts_is_pending_in (self->contacts, username))
    confab_contacts_respond_async (self->contacts, username, TRUE, self->cancellable,
                                   respond_cb, NULL);
  else
    parent_action (self, "win.add-contact-user");
  gtk_widget_set_sensitive (self->contact_button, FALSE);
}

static void
block_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Blocking failed: %s", error->message);
  else if (error == NULL)
    update_actions (user_data);
}

static void
on_block_clicked (ConfabProfileWindow *self)
{
  const char *username = confab_contact_get_username (self->contact);

  confab_contacts_block_async (self->contacts, username,
                               !confab_contacts_is_blocked (self->contacts, username),
                               self->cancellable, block_cb, self);
}

static void
confab_profile_window_dispose (GObject *object)
{
  ConfabProfileWindow *self = CONFAB_PROFILE_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->minute_source, g_source_remove);
  g_clear_object (&self->contact);
  g_clear_object (&self->contacts);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_PROFILE_WINDOW);

  G_OBJECT_CLASS (confab_profile_window_parent_class)->dispose (object);
}

static void
confab_profile_window_class_init (ConfabProfileWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_profile_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-profile-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, username_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, details_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, title_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, department_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, email_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, phone_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, location_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, local_time_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, role_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, actions_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, message_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, call_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, contact_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabProfileWindow, block_button);
  gtk_widget_class_bind_template_callback (widget_class, on_message_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_call_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_contact_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_block_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_profile_window_init (ConfabProfileWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

ConfabProfileWindow *
confab_profile_window_new (GtkWindow     *parent,
                           ConfabSession *session,
                           const char    *username)
{
  ConfabProfileWindow *self;
  ConfabProfiles *profiles;

  g_return_val_if_fail (CONFAB_IS_SESSION (session), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  profiles = confab_profiles_from_session (session);
  self = g_object_new (CONFAB_TYPE_PROFILE_WINDOW, "transient-for", parent, NULL);
  self->contact = g_object_ref (confab_profiles_get_contact (profiles, username));
  self->contacts = g_object_ref (confab_contacts_from_session (session));
  g_signal_connect_object (self->contacts, "changed", G_CALLBACK (update_actions), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->contact, "notify", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  update (self);
  confab_avatar_follow (self->avatar, session, self->contact);
  confab_profiles_get_profile_async (profiles, username, self->cancellable, profile_cb, NULL);
  return self;
}

const char *
confab_profile_window_get_field (ConfabProfileWindow *self,
                                 const char          *field)
{
  AdwActionRow *row = NULL;

  g_return_val_if_fail (CONFAB_IS_PROFILE_WINDOW (self), NULL);

  if (g_str_equal (field, "status"))
    return gtk_label_get_label (self->status_label);
  if (g_str_equal (field, "title"))
    row = self->title_row;
  else if (g_str_equal (field, "department"))
    row = self->department_row;
  else if (g_str_equal (field, "email"))
    row = self->email_row;
  else if (g_str_equal (field, "phone"))
    row = self->phone_row;
  else if (g_str_equal (field, "location"))
    row = self->location_row;
  else if (g_str_equal (field, "local-time"))
    row = self->local_time_row;
  else if (g_str_equal (field, "role"))
    row = self->role_row;
  g_return_val_if_fail (row != NULL, NULL);

  return gtk_widget_get_visible (GTK_WIDGET (row)) ? adw_action_row_get_subtitle (row) : NULL;
}
