/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-invitations-banner"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-invitations-banner.h"
#include "confab-contact.h"
#include "confab-feature.h"
#include "confab-profiles.h"
#include "confab-room.h"
#include "confab-rooms.h"
#include "confab-ui-util.h"

enum {
  SIGNAL_ROOM_JOINED,
  SIGNAL_ERROR,
  N_SIGNALS
};

struct _ConfabInvitationsBanner
{
  GtkWidget      parent_instance;

  ConfabSession *session;
  GListModel    *invitations;

  GtkRevealer   *revealer;
  GtkListBox    *list;
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabInvitationsBanner, confab_invitations_banner, GTK_TYPE_WIDGET)

static void
update_visible (ConfabInvitationsBanner *self)
{
  gtk_revealer_set_reveal_child (self->revealer, self->invitations != NULL
                                 && g_list_model_get_n_items (self->invitations) > 0);
}

static void
joined_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabInvitationsBanner) self = user_data;
  g_autoptr(ConfabRoom) room = NULL;
  g_autoptr(GError) error = NULL;

  room = confab_rooms_room_finish (CONFAB_ROOMS (object), result, &error);
  if (room != NULL)
    g_signal_emit (self, signals[SIGNAL_ROOM_JOINED], 0, room);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, text);
    }
}

static void
declined_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabInvitationsBanner) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      g_signal_emit (self, signals[SIGNAL_ERROR], 0, text);
    }
}

static void
on_accept_clicked (GtkButton *button,
                   ConfabRoom *room)
{
  ConfabInvitationsBanner *self =
    CONFAB_INVITATIONS_BANNER (gtk_widget_get_ancestor (GTK_WIDGET (button),
                                                        CONFAB_TYPE_INVITATIONS_BANNER));

  if (self == NULL || self->session == NULL)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  confab_rooms_join_async (confab_rooms_from_session (self->session), confab_room_get_id (room),
                           NULL, joined_cb, g_object_ref (self));
}

static void
on_decline_clicked (GtkButton  *button,
                    ConfabRoom *room)
{
  ConfabInvitationsBanner *self =
    CONFAB_INVITATIONS_BANNER (gtk_widget_get_ancestor (GTK_WIDGET (button),
                                                        CONFAB_TYPE_INVITATIONS_BANNER));

  if (self == NULL || self->session == NULL)
    return;
  confab_rooms_decline_async (confab_rooms_from_session (self->session),
                              confab_room_get_id (room), NULL, declined_cb, g_object_ref (self));
}

static GtkWidget *
make_button (const char *label,
             const char *css_class)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  if (css_class != NULL)
    gtk_widget_add_css_class (button, css_class);
  return button;
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  ConfabInvitationsBanner *self = user_data;
  ConfabRoom *room = item;
  const char *from = confab_room_get_invited_by (room);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label, *accept, *decline;
  g_autofree char *text = NULL;

  if (from != NULL && self->session != NULL)
    {
      ConfabContact *contact = confab_profiles_get_contact (
        confab_profiles_from_session (self->session), from);

      /* Translators: "Carol Smith invited you to Design". */
      text = g_strdup_printf (_("%s invited you to %s"), confab_contact_get_display_name (contact),
                              confab_room_get_name (room));
    }
  else
    text = g_strdup_printf (_("You are invited to %s"), confab_room_get_name (room));

  label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  /* A long name wraps; it does not widen the sidebar. */
  gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);

  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  decline = make_button (_("_Decline"), NULL);
  accept = make_button (_("_Accept"), "suggested-action");
  gtk_accessible_update_property (GTK_ACCESSIBLE (decline), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (accept), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text, -1);
  g_signal_connect_object (decline, "clicked", G_CALLBACK (on_decline_clicked), room, 0);
  g_signal_connect_object (accept, "clicked", G_CALLBACK (on_accept_clicked), room, 0);
  gtk_box_append (GTK_BOX (buttons), decline);
  gtk_box_append (GTK_BOX (buttons), accept);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  return box;
}

static void
confab_invitations_banner_dispose (GObject *object)
{
  ConfabInvitationsBanner *self = CONFAB_INVITATIONS_BANNER (object);

  confab_invitations_banner_set_session (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_INVITATIONS_BANNER);

  G_OBJECT_CLASS (confab_invitations_banner_parent_class)->dispose (object);
}

static void
confab_invitations_banner_class_init (ConfabInvitationsBannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_invitations_banner_dispose;

  signals[SIGNAL_ROOM_JOINED] =
    g_signal_new ("room-joined", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, CONFAB_TYPE_ROOM);
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-invitations-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabInvitationsBanner, revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabInvitationsBanner, list);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
confab_invitations_banner_init (ConfabInvitationsBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_invitations_banner_new (void)
{
  return g_object_new (CONFAB_TYPE_INVITATIONS_BANNER, NULL);
}

void
confab_invitations_banner_set_session (ConfabInvitationsBanner *self,
                                       ConfabSession           *session)
{
  g_return_if_fail (CONFAB_IS_INVITATIONS_BANNER (self));

  if (self->invitations != NULL)
    g_signal_handlers_disconnect_by_data (self->invitations, self);
  g_clear_object (&self->invitations);
  g_set_object (&self->session, session);
  if (session != NULL)
    {
      self->invitations = g_object_ref (confab_rooms_get_invitations (
                                          confab_rooms_from_session (session)));
      g_signal_connect_object (self->invitations, "items-changed", G_CALLBACK (update_visible),
                               self, G_CONNECT_SWAPPED);
    }
  if (self->list != NULL)
    gtk_list_box_bind_model (self->list, self->invitations, create_row, self, NULL);
  if (self->revealer != NULL)
    update_visible (self);
}
