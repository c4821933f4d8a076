/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-announcements-view"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-announcements.h"
#include "confab-announcements-view.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-message.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-ui-util.h"

struct _ConfabAnnouncementsView
{
  GtkWidget      parent_instance;

  ConfabSession *session;
  GCancellable  *cancellable;

  GtkStack      *stack;
  GtkWidget     *scroller;
  GtkListBox    *list;
  GtkWidget     *composer;
  GtkEntry      *department_entry;
  GtkEntry      *body_entry;
  GtkWidget     *send_button;
};

enum
{
  SIGNAL_ERROR,
  SIGNAL_SENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabAnnouncementsView, confab_announcements_view, GTK_TYPE_WIDGET)

static ConfabAnnouncements *
get_announcements (ConfabAnnouncementsView *self)
{
  return confab_announcements_from_session (self->session);
}

static void
update_sender (GtkLabel      *label,
               GParamSpec    *pspec,
               ConfabContact *contact)
{
  gtk_label_set_label (label, confab_contact_get_display_name (contact));
}

/* One announcement: a card with the sender, the time and the text. */
static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  ConfabAnnouncementsView *self = user_data;
  ConfabMessage *message = item;
  ConfabContact *sender = confab_profiles_get_contact (
    confab_profiles_from_session (self->session), confab_message_get_sender (message));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new_from_icon_name ("confab-announcement-symbolic");
  GtkWidget *name = gtk_label_new (confab_contact_get_display_name (sender));
  g_autofree char *time = confab_format_time_short (confab_message_get_ts (message));
  GtkWidget *when = gtk_label_new (time);
  GtkWidget *body = gtk_label_new (confab_message_get_body (message));
  GtkWidget *row = gtk_list_box_row_new ();
  g_autofree char *label = g_strdup_printf (_("Announcement from %s, %s: %s"),
                                            confab_contact_get_display_name (sender), time,
                                            confab_message_get_body (message));

  gtk_widget_add_css_class (name, "heading");
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_add_css_class (when, "dim-label");
  gtk_widget_add_css_class (when, "caption");
  gtk_label_set_wrap (GTK_LABEL (body), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (body), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (body), 0);
  gtk_label_set_selectable (GTK_LABEL (body), TRUE);
  gtk_box_append (GTK_BOX (top), icon);
  gtk_box_append (GTK_BOX (top), name);
  gtk_box_append (GTK_BOX (top), when);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), body);
  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "announcement");
  g_signal_connect_object (sender, "notify::display-name", G_CALLBACK (update_sender), name,
                           G_CONNECT_SWAPPED);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return row;
}

static gboolean
scroll_to_end (gpointer user_data)
{
  ConfabAnnouncementsView *self = user_data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller));

  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
on_items_changed (ConfabAnnouncementsView *self)
{
  GListModel *list = confab_announcements_get_list (get_announcements (self));

  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (list) > 0 ? "list" : "empty");
  g_idle_add (scroll_to_end, g_object_ref (self));
}

/* Admins and holders of the broadcast permission announce; both come with the hello. */
static void
update_composer (ConfabAnnouncementsView *self)
{
  gtk_widget_set_visible (self->composer, self->session != NULL
                          && confab_announcements_can_send (get_announcements (self)));
}

static void
on_body_changed (ConfabAnnouncementsView *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (
                                                  GTK_EDITABLE (self->body_entry))));

  gtk_widget_set_sensitive (self->send_button, text[0] != '\0');
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(ConfabAnnouncementsView) self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 recipients;

  recipients = confab_announcements_send_finish (CONFAB_ANNOUNCEMENTS (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->body_entry), TRUE);
  if (recipients < 0)
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, text);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->body_entry), "");
  g_signal_emit (self, signals[SIGNAL_SENT], 0, recipients);
}

static void
on_send (ConfabAnnouncementsView *self)
{
  g_autofree char *body = g_strstrip (g_strdup (gtk_editable_get_text (
                                                  GTK_EDITABLE (self->body_entry))));
  g_autofree char *department = g_strstrip (g_strdup (gtk_editable_get_text (
                                                        GTK_EDITABLE (self->department_entry))));

  if (self->session == NULL || body[0] == '\0')
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->body_entry), FALSE);
  gtk_widget_set_sensitive (self->send_button, FALSE);
  confab_announcements_send_async (get_announcements (self), body, department, self->cancellable,
                                   send_cb, g_object_ref (self));
}

static void
confab_announcements_view_dispose (GObject *object)
{
  ConfabAnnouncementsView *self = CONFAB_ANNOUNCEMENTS_VIEW (object);

  GtkWidget *child;

  confab_announcements_view_set_session (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_ANNOUNCEMENTS_VIEW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (confab_announcements_view_parent_class)->dispose (object);
}

static void
confab_announcements_view_class_init (ConfabAnnouncementsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_announcements_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-announcements-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAnnouncementsView, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnnouncementsView, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnnouncementsView, list);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnnouncementsView, composer);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnnouncementsView, department_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnnouncementsView, body_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabAnnouncementsView, send_button);
  gtk_widget_class_bind_template_callback (widget_class, on_send);
  gtk_widget_class_bind_template_callback (widget_class, on_body_changed);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_SENT] =
    g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
confab_announcements_view_init (ConfabAnnouncementsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

ConfabAnnouncementsView *
confab_announcements_view_new (void)
{
  return g_object_new (CONFAB_TYPE_ANNOUNCEMENTS_VIEW, NULL);
}

void
confab_announcements_view_set_session (ConfabAnnouncementsView *self,
                                       ConfabSession           *session)
{
  GListModel *list;

  g_return_if_fail (CONFAB_IS_ANNOUNCEMENTS_VIEW (self));

  if (self->session == session)
    return;
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (confab_announcements_get_list (
                                              get_announcements (self)), self);
      g_signal_handlers_disconnect_by_data (confab_session_get_client (self->session), self);
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
      gtk_list_box_bind_model (self->list, NULL, NULL, NULL, NULL);
    }
  g_set_object (&self->session, session);
  if (session == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  list = confab_announcements_get_list (get_announcements (self));
  gtk_list_box_bind_model (self->list, list, create_row, self, NULL);
  g_signal_connect_object (list, "items-changed", G_CALLBACK (on_items_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (confab_session_get_client (session), "notify::user",
                           G_CALLBACK (update_composer), self, G_CONNECT_SWAPPED);
  update_composer (self);
  on_items_changed (self);
}
