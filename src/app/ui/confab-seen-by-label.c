/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-seen-by-label"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-message.h"
#include "confab-profiles.h"
#include "confab-rooms.h"
#include "confab-seen-by-label.h"
#include "confab-session.h"

struct _ConfabSeenByLabel
{
  GtkWidget      parent_instance;

  ConfabSession *session;   /* weak */
  ConfabMessage *message;
  ConfabRooms   *rooms;     /* weak, with the session */
  gulong         seen_id;
  gulong         id_id;
  GtkWidget     *label;
};

G_DEFINE_FINAL_TYPE (ConfabSeenByLabel, confab_seen_by_label, GTK_TYPE_WIDGET)

static void
update (ConfabSeenByLabel *self)
{
  g_auto(GStrv) users = NULL;
  g_autoptr(GString) names = NULL;
  g_autofree char *text = NULL;
  guint count;

  if (self->message == NULL || self->session == NULL || self->rooms == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
      return;
    }
  users = confab_rooms_dup_seen_by (self->rooms, confab_message_get_conv (self->message),
                                    confab_message_get_id (self->message),
                                    confab_message_get_sender (self->message));
  count = g_strv_length (users);
  gtk_widget_set_visible (GTK_WIDGET (self), count > 0);
  if (count == 0)
    return;

  names = g_string_new (NULL);
  for (guint i = 0; users[i] != NULL; i++)
    {
      ConfabContact *contact = confab_profiles_get_contact (
        confab_profiles_from_session (self->session), users[i]);

      if (i > 0)
        g_string_append (names, ", ");
      g_string_append (names, confab_contact_get_display_name (contact));
    }
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Seen by %u", "Seen by %u", count),
                          count);
  gtk_label_set_label (GTK_LABEL (self->label), text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), names->str);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, text,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, names->str, -1);
}

static void
on_seen_changed (ConfabRooms       *rooms,
                 const char        *conv,
                 ConfabSeenByLabel *self)
{
  if (self->message != NULL && g_strcmp0 (conv, confab_message_get_conv (self->message)) == 0)
    update (self);
}

static void
confab_seen_by_label_dispose (GObject *object)
{
  ConfabSeenByLabel *self = CONFAB_SEEN_BY_LABEL (object);

  confab_seen_by_label_unbind (self);
  g_clear_pointer (&self->label, gtk_widget_unparent);

  G_OBJECT_CLASS (confab_seen_by_label_parent_class)->dispose (object);
}

static void
confab_seen_by_label_class_init (ConfabSeenByLabelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_seen_by_label_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "seenby");
}

static void
confab_seen_by_label_init (ConfabSeenByLabel *self)
{
  self->label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->label, "caption");
  gtk_widget_add_css_class (self->label, "dim-label");
  gtk_widget_set_parent (self->label, GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
confab_seen_by_label_new (void)
{
  return g_object_new (CONFAB_TYPE_SEEN_BY_LABEL, NULL);
}

void
confab_seen_by_label_bind (ConfabSeenByLabel *self,
                           ConfabSession     *session,
                           ConfabMessage     *message)
{
  g_return_if_fail (CONFAB_IS_SEEN_BY_LABEL (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  confab_seen_by_label_unbind (self);
  if (session == NULL
      || g_strcmp0 (confab_message_get_sender (message), confab_session_get_username (session)) != 0
      || !g_str_has_prefix (confab_message_get_conv (message), "room:"))
    return;

  g_set_weak_pointer (&self->session, session);
  g_set_weak_pointer (&self->rooms, confab_rooms_from_session (session));
  g_set_object (&self->message, message);
  self->seen_id = g_signal_connect_object (self->rooms, "seen-changed",
                                           G_CALLBACK (on_seen_changed), self, 0);
  /* A message being sent gets its id later. */
  self->id_id = g_signal_connect_object (message, "notify::id", G_CALLBACK (update), self,
                                         G_CONNECT_SWAPPED);
  update (self);
}

void
confab_seen_by_label_unbind (ConfabSeenByLabel *self)
{
  g_return_if_fail (CONFAB_IS_SEEN_BY_LABEL (self));

  if (self->rooms != NULL)
    g_clear_signal_handler (&self->seen_id, self->rooms);
  if (self->message != NULL)
    g_clear_signal_handler (&self->id_id, self->message);
  self->seen_id = self->id_id = 0;
  g_clear_object (&self->message);
  g_clear_weak_pointer (&self->rooms);
  g_clear_weak_pointer (&self->session);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
