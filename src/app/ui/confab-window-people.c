/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-announcements-view.h"
#include "confab-announcements.h"
#include "confab-contact.h"
#include "confab-contacts.h"
#include "confab-error.h"
#include "confab-ui-util.h"
#include "confab-message.h"
#include "confab-people-view.h"
#include "confab-person-picker.h"
#include "confab-profile-window.h"
#include "confab-window-private.h"
#include "confab-window.h"

/* People in the window: the Conversations / People switcher of the sidebar, the People view,
 * Add Contact, the Announcements conversation pinned above the conversations (its page in the
 * content), and what the window tells of contact requests and announcements. */

static ConfabContacts *
get_contacts (ConfabWindow *self)
{
  return confab_contacts_from_session (self->session);
}

static ConfabAnnouncements *
get_announcements (ConfabWindow *self)
{
  return confab_announcements_from_session (self->session);
}

static gboolean
announcements_open (ConfabWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "announcements")
         == 0;
}

static void
show_profile (ConfabWindow *self,
              const char   *username)
{
  if (self->session == NULL || username == NULL)
    return;
  gtk_window_present (GTK_WINDOW (confab_profile_window_new (GTK_WINDOW (self), self->session,
                                                             username)));
}

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean added = FALSE;

  if (confab_contacts_request_finish (CONFAB_CONTACTS (object), result, &added, &error))
    confab_window_add_toast (self, added ? _("You are now contacts")
                                         : _("Contact request sent"));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_CONFLICT))
        text = g_strdup (_("You are contacts already, or a request is waiting."));
      else
        text = confab_error_to_user_text (error, result);
      confab_window_add_toast (self, text);
    }
}

static void
on_contact_chosen (ConfabPersonPicker *picker,
                   const char         *username,
                   ConfabWindow       *self)
{
  if (self->session == NULL)
    return;
  confab_contacts_request_async (get_contacts (self), username, NULL, self->cancellable,
                                 request_cb, g_object_ref (self));
}

static void
add_contact_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  ConfabPersonPicker *picker;

  if (self->session == NULL)
    return;
  if (param != NULL)
    {
      on_contact_chosen (NULL, g_variant_get_string (param, NULL), self);
      return;
    }
  picker = confab_person_picker_new (GTK_WINDOW (self), self->session, _("Add Contact"));
  g_signal_connect_object (picker, "chosen", G_CALLBACK (on_contact_chosen), self, 0);
  gtk_window_present (GTK_WINDOW (picker));
}

static void
update_announcements_button (ConfabWindow *self)
{
  guint unread = self->session != NULL ? confab_announcements_get_unread (
    get_announcements (self)) : 0;
  g_autofree char *count = g_strdup_printf ("%u", unread);
  g_autofree char *label = NULL;

  gtk_label_set_label (GTK_LABEL (self->announcements_badge), count);
  gtk_widget_set_visible (self->announcements_badge, unread > 0);
  if (unread > 0)
    label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Announcements, %u unread",
                                          "Announcements, %u unread", unread), unread);
  else
    label = g_strdup (_("Announcements"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->announcements_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void on_people_error (GtkWidget    *view,
                             const char   *text,
                             ConfabWindow *self);
static void on_announcement_sent (ConfabAnnouncementsView *view,
                                  gint64                   recipients,
                                  ConfabWindow            *self);

/* The People view and the Announcements page are made the first time they are shown: the
 * window's first frame shows neither. */
static void
ensure_people_view (ConfabWindow *self)
{
  if (self->people_view != NULL)
    return;
  /* Weak: the window's template disposes it, and stopping a session may come after. */
  g_set_weak_pointer (&self->people_view, GTK_WIDGET (confab_people_view_new ()));
  g_signal_connect_object (self->people_view, "person-activated", G_CALLBACK (show_profile),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->people_view, "error", G_CALLBACK (on_people_error), self, 0);
  if (self->session != NULL)
    confab_people_view_set_session (CONFAB_PEOPLE_VIEW (self->people_view), self->session);
  adw_bin_set_child (self->people_page, self->people_view);
}

static void
on_sidebar_view_shown (ConfabWindow *self)
{
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->sidebar_views), "people") == 0)
    ensure_people_view (self);
}

static void
ensure_announcements_view (ConfabWindow *self)
{
  if (self->announcements_view != NULL)
    return;
  g_set_weak_pointer (&self->announcements_view, GTK_WIDGET (confab_announcements_view_new ()));
  g_signal_connect_object (self->announcements_view, "error", G_CALLBACK (on_people_error), self,
                           0);
  g_signal_connect_object (self->announcements_view, "sent", G_CALLBACK (on_announcement_sent),
                           self, 0);
  if (self->session != NULL)
    confab_announcements_view_set_session (CONFAB_ANNOUNCEMENTS_VIEW (self->announcements_view),
                                           self->session);
  gtk_stack_add_named (self->content_stack, self->announcements_view, "announcements");
}

static void
open_announcements_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  GApplication *app = G_APPLICATION (_confab_window_app (self));

  if (self->session == NULL)
    return;
  ensure_announcements_view (self);
  _confab_window_show_conversation (self, NULL);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  adw_view_stack_set_visible_child_name (self->sidebar_views, "conversations");
  gtk_stack_set_visible_child_name (self->content_stack, "announcements");
  adw_window_title_set_title (self->content_title, _("Announcements"));
  adw_leaflet_set_visible_child (self->leaflet, self->content);
  confab_announcements_mark_read (get_announcements (self));
  if (app != NULL)
    g_application_withdraw_notification (app, "announcement");
}

static void
on_status_message_response (AdwMessageDialog *dialog,
                            const char       *response,
                            ConfabWindow     *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *text = NULL;

  if (g_str_equal (response, "cancel"))
    return;
  text = g_strstrip (g_strdup (g_str_equal (response, "clear") ? ""
                                                               : gtk_editable_get_text (entry)));
  g_settings_set_string (self->settings, "presence-text", text);
  _confab_window_send_presence (self);
}

static void
on_status_message_activate (GtkEntry         *entry,
                            AdwMessageDialog *dialog)
{
  adw_message_dialog_response (dialog, "set");
  gtk_window_close (GTK_WINDOW (dialog));
}

/* The text shown with the own status, kept in the settings and sent with each status. */
static void
status_message_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  g_autofree char *text = g_settings_get_string (self->settings, "presence-text");
  AdwMessageDialog *dialog;
  GtkWidget *entry = gtk_entry_new ();

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Status Message"),
                                                       _("Colleagues see it next to your "
                                                         "status.")));
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("In a meeting until 3"));
  gtk_entry_set_max_length (GTK_ENTRY (entry), 100);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Status message"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "clear", _("C_lear"),
                                    "set", _("_Set"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "set", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "set");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (entry, "activate", G_CALLBACK (on_status_message_activate), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_status_message_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

/* Away while idle, back to the chosen status on the next use. */
static void
on_idle_changed (ConfabWindow *self)
{
  self->auto_away = self->idle_monitor != NULL
                    && confab_idle_monitor_get_idle (self->idle_monitor);
  _confab_window_update_self (self);
  _confab_window_send_presence (self);
}

static void
start_idle_monitor (ConfabWindow *self)
{
  guint seconds = g_settings_get_uint (self->settings, "away-after-seconds");

  if (self->idle_monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->idle_monitor, self);
      g_clear_object (&self->idle_monitor);
    }
  /* Away only for the monitor that went: the chosen status again. */
  if (self->auto_away)
    {
      self->auto_away = FALSE;
      _confab_window_update_self (self);
      _confab_window_send_presence (self);
    }
  if (seconds == 0 || self->session == NULL)
    return;
  self->idle_monitor = confab_idle_monitor_new (GTK_WINDOW (self), seconds * 1000);
  g_signal_connect_object (self->idle_monitor, "notify::idle", G_CALLBACK (on_idle_changed),
                           self, G_CONNECT_SWAPPED);
}

static void
people_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->sidebar_views, "people");
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
}

static void
profile_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  show_profile (CONFAB_WINDOW (widget), g_variant_get_string (param, NULL));
}

static gboolean
should_tell (ConfabWindow *self)
{
  return g_settings_get_boolean (self->settings, "notifications")
         && _confab_window_app (self) != NULL;
}

static void
on_request_received (ConfabContacts *contacts,
                     const char     *from,
                     const char     *message,
                     ConfabWindow   *self)
{
  ConfabContact *contact = confab_profiles_get_contact (_confab_window_profiles (self), from);
  g_autofree char *text = g_strdup_printf (_("%s asks to be your contact"),
                                           confab_contact_get_display_name (contact));
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *id = NULL;

  /* What a replay into a new cache brings is history. */
  if (self->replay_from_start && !_confab_window_online (self))
    return;
  if (_confab_window_in_view (self))
    {
      confab_window_add_toast (self, text);
      return;
    }
  if (!should_tell (self))
    return;
  notification = g_notification_new (_("Contact Request"));
  g_notification_set_body (notification, message[0] != '\0' ? message : text);
  g_notification_set_category (notification, "im");
  g_notification_set_default_action (notification, "app.activate");
  id = g_strconcat ("contact-request-", from, NULL);
  g_application_send_notification (G_APPLICATION (_confab_window_app (self)), id, notification);
}

static void
on_announcement (ConfabAnnouncements *announcements,
                 ConfabMessage       *message,
                 ConfabWindow        *self)
{
  ConfabContact *sender;
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;

  if (self->replay_from_start && !_confab_window_online (self))
    return;
  if (_confab_window_in_view (self) && announcements_open (self))
    {
      confab_announcements_mark_read (announcements);
      return;
    }
  self->told_announcement = confab_message_get_id (message);
  if (!should_tell (self))
    return;
  sender = confab_profiles_get_contact (_confab_window_profiles (self),
                                        confab_message_get_sender (message));
  title = g_strdup_printf (_("Announcement from %s"), confab_contact_get_display_name (sender));
  notification = g_notification_new (title);
  g_notification_set_body (notification, confab_message_get_body (message));
  g_notification_set_category (notification, "im.received");
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action (notification, "app.activate");
  g_application_send_notification (G_APPLICATION (_confab_window_app (self)), "announcement",
                                   notification);
}

static void
on_people_error (GtkWidget    *view,
                 const char   *text,
                 ConfabWindow *self)
{
  confab_window_add_toast (self, text);
}

static void
on_announcement_sent (ConfabAnnouncementsView *view,
                      gint64                   recipients,
                      ConfabWindow            *self)
{
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                        "Announced to %d person",
                                                        "Announced to %d people",
                                                        (gulong) recipients),
                                           (int) recipients);

  confab_window_add_toast (self, text);
}

void
_confab_window_people_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.add-contact", NULL, add_contact_action);
  gtk_widget_class_install_action (widget_class, "win.add-contact-user", "s",
                                   add_contact_action);
  gtk_widget_class_install_action (widget_class, "win.open-announcements", NULL,
                                   open_announcements_action);
  gtk_widget_class_install_action (widget_class, "win.people", NULL, people_action);
  gtk_widget_class_install_action (widget_class, "win.status-message", NULL,
                                   status_message_action);
  gtk_widget_class_install_action (widget_class, "win.profile", "s", profile_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p,
                                       GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.people", NULL);
}

/* The sidebar becomes two pages, Conversations and People, with a switcher under its header;
 * the Announcements row is pinned above the conversations; its page joins the content. */
void
_confab_window_people_init (ConfabWindow *self)
{
  GtkWidget *header = gtk_widget_get_first_child (self->sidebar);
  GtkWidget *stack = GTK_WIDGET (self->sidebar_stack);
  GtkWidget *conversations = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *switcher = adw_view_switcher_new ();
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *icon = gtk_image_new_from_icon_name ("confab-announcement-symbolic");
  GtkWidget *label = gtk_label_new (_("Announcements"));
  AdwViewStackPage *page;

  self->sidebar_views = ADW_VIEW_STACK (adw_view_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->sidebar_views), TRUE);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  self->announcements_badge = gtk_label_new ("");
  gtk_widget_add_css_class (self->announcements_badge, "unread-badge");
  gtk_widget_set_valign (self->announcements_badge, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->announcements_badge, FALSE);
  gtk_box_append (GTK_BOX (row), icon);
  gtk_box_append (GTK_BOX (row), label);
  gtk_box_append (GTK_BOX (row), self->announcements_badge);
  self->announcements_button = gtk_button_new ();
  gtk_button_set_child (GTK_BUTTON (self->announcements_button), row);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->announcements_button),
                                  "win.open-announcements");
  gtk_widget_add_css_class (self->announcements_button, "flat");
  gtk_widget_add_css_class (self->announcements_button, "announcements-row");
  gtk_widget_set_tooltip_text (self->announcements_button,
                               _("Announcements to everyone or to your department"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->announcements_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Announcements"), -1);

  g_object_ref (stack);
  gtk_box_remove (GTK_BOX (self->sidebar), stack);
  gtk_box_append (GTK_BOX (conversations), self->announcements_button);
  gtk_box_append (GTK_BOX (conversations), stack);
  g_object_unref (stack);
  page = adw_view_stack_add_titled (self->sidebar_views, conversations, "conversations",
                                    _("Chats"));
  adw_view_stack_page_set_icon_name (page, "confab-chat-symbolic");

  self->people_page = ADW_BIN (adw_bin_new ());
  page = adw_view_stack_add_titled (self->sidebar_views, GTK_WIDGET (self->people_page),
                                    "people", _("People"));
  adw_view_stack_page_set_icon_name (page, "system-users-symbolic");
  gtk_box_append (GTK_BOX (self->sidebar), GTK_WIDGET (self->sidebar_views));

  adw_view_switcher_set_stack (ADW_VIEW_SWITCHER (switcher), self->sidebar_views);
  adw_view_switcher_set_policy (ADW_VIEW_SWITCHER (switcher), ADW_VIEW_SWITCHER_POLICY_WIDE);
  gtk_widget_add_css_class (switcher, "sidebar-switcher");
  gtk_box_insert_child_after (GTK_BOX (self->sidebar), switcher, header);
  g_signal_connect_swapped (self->sidebar_views, "notify::visible-child",
                            G_CALLBACK (on_sidebar_view_shown), self);
}

void
_confab_window_people_start (ConfabWindow *self)
{
  if (self->people_view != NULL)
    confab_people_view_set_session (CONFAB_PEOPLE_VIEW (self->people_view), self->session);
  if (self->announcements_view != NULL)
    confab_announcements_view_set_session (CONFAB_ANNOUNCEMENTS_VIEW (self->announcements_view),
                                           self->session);
  g_signal_connect_object (get_contacts (self), "request-received",
                           G_CALLBACK (on_request_received), self, 0);
  g_signal_connect_object (get_announcements (self), "received", G_CALLBACK (on_announcement),
                           self, 0);
  g_signal_connect_object (get_announcements (self), "notify::unread",
                           G_CALLBACK (update_announcements_button), self, G_CONNECT_SWAPPED);
  update_announcements_button (self);
  g_signal_connect_object (self->settings, "changed::away-after-seconds",
                           G_CALLBACK (start_idle_monitor), self, G_CONNECT_SWAPPED);
}

/* The idle monitor (a D-Bus connection and watches) starts once the first frame is painted,
 * before the session connects: the first presence sent already knows of idleness. */
void
_confab_window_people_after_first_frame (ConfabWindow *self)
{
  start_idle_monitor (self);
}

void
_confab_window_people_stop (ConfabWindow *self)
{
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (get_contacts (self), self);
      g_signal_handlers_disconnect_by_data (get_announcements (self), self);
    }
  if (self->people_view != NULL)
    confab_people_view_set_session (CONFAB_PEOPLE_VIEW (self->people_view), NULL);
  if (self->announcements_view != NULL)
    confab_announcements_view_set_session (CONFAB_ANNOUNCEMENTS_VIEW (self->announcements_view),
                                           NULL);
  self->told_announcement = 0;
  g_signal_handlers_disconnect_by_func (self->settings, start_idle_monitor, self);
  if (self->idle_monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->idle_monitor, self);
  g_clear_object (&self->idle_monitor);
  self->auto_away = FALSE;
  if (self->announcements_view != NULL && announcements_open (self))
    gtk_stack_set_visible_child_name (self->content_stack, "none");
}

gint64
confab_window_get_told_announcement (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), 0);
  return self->told_announcement;
}

GtkWidget *
confab_window_get_people_view (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);
  ensure_people_view (self);
  return self->people_view;
}
