/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-reactions-box"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-message.h"
#include "confab-profiles.h"
#include "confab-reactions-box.h"
#include "confab-session.h"

struct _ConfabReactionsBox
{
  GtkWidget       parent_instance;

  ConfabMessage  *message;
  ConfabProfiles *profiles;   /* weak */
  char           *own_user;
  GPtrArray      *contacts;   /* of ConfabContact whose names show, watched for changes */
};

G_DEFINE_FINAL_TYPE (ConfabReactionsBox, confab_reactions_box, GTK_TYPE_WIDGET)

static void rebuild (ConfabReactionsBox *self);

static void
unwatch_contacts (ConfabReactionsBox *self)
{
  for (guint i = 0; i < self->contacts->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->contacts, i), rebuild, self);
  g_ptr_array_set_size (self->contacts, 0);
}

/* The names of @users; a name learnt later (a profile that loads after the reaction) redraws
 * the box. */
static char *
names_of (ConfabReactionsBox *self,
          GStrv               users)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; users[i] != NULL; i++)
    {
      ConfabContact *contact = self->profiles != NULL
                               ? confab_profiles_get_contact (self->profiles, users[i]) : NULL;

      if (i > 0)
        g_string_append (names, ", ");
      g_string_append (names, contact != NULL ? confab_contact_get_display_name (contact)
                                              : users[i]);
      if (contact != NULL && !g_ptr_array_find (self->contacts, contact, NULL))
        {
          g_signal_connect_object (contact, "notify::display-name", G_CALLBACK (rebuild), self,
                                   G_CONNECT_SWAPPED);
          g_ptr_array_add (self->contacts, g_object_ref (contact));
        }
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static void
confab_reactions_box_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  unwatch_contacts (CONFAB_REACTIONS_BOX (object));
  g_clear_object (&CONFAB_REACTIONS_BOX (object)->message);
  g_clear_weak_pointer (&CONFAB_REACTIONS_BOX (object)->profiles);

  G_OBJECT_CLASS (confab_reactions_box_parent_class)->dispose (object);
}

static void
confab_reactions_box_finalize (GObject *object)
{
  ConfabReactionsBox *self = CONFAB_REACTIONS_BOX (object);

  g_free (self->own_user);
  g_ptr_array_unref (self->contacts);

  G_OBJECT_CLASS (confab_reactions_box_parent_class)->finalize (object);
}

static void
confab_reactions_box_class_init (ConfabReactionsBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_reactions_box_dispose;
  object_class->finalize = confab_reactions_box_finalize;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "reactions");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
confab_reactions_box_init (ConfabReactionsBox *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  self->contacts = g_ptr_array_new_with_free_func (g_object_unref);

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 4);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reactions"), -1);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
confab_reactions_box_new (void)
{
  return g_object_new (CONFAB_TYPE_REACTIONS_BOX, NULL);
}

static void
rebuild (ConfabReactionsBox *self)
{
  g_auto(GStrv) emojis = NULL;
  GtkWidget *child;
  guint n = 0;

  /* Few messages have reactions and few of those change: build the buttons anew. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  unwatch_contacts (self);

  emojis = self->message != NULL && !confab_message_get_deleted (self->message)
           ? confab_message_dup_reaction_emojis (self->message) : NULL;
  for (guint i = 0; emojis != NULL && emojis[i] != NULL; i++)
    {
      g_auto(GStrv) users = confab_message_dup_reaction_users (self->message, emojis[i]);
      guint count = g_strv_length (users);
      gboolean own = self->own_user != NULL
                     && g_strv_contains ((const char * const *) users, self->own_user);
      g_autofree char *label = NULL;
      g_autofree char *names = NULL;
      g_autofree char *accessible = NULL;
      GtkWidget *button;

      if (count == 0)
        continue;

      label = g_strdup_printf ("%s %u", emojis[i], count);
      names = names_of (self, users);
      /* Translators: a reaction button for screen readers: emoji, count, who reacted. */
      accessible = g_strdup_printf (_("%s %u: %s"), emojis[i], count, names);
      button = gtk_button_new_with_label (label);
      gtk_widget_add_css_class (button, "reaction");
      if (own)
        gtk_widget_add_css_class (button, "own");
      gtk_widget_set_tooltip_text (button, names);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      accessible, -1);
      gtk_accessible_update_state (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_STATE_PRESSED,
                                   own ? GTK_ACCESSIBLE_TRISTATE_TRUE
                                       : GTK_ACCESSIBLE_TRISTATE_FALSE, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "message.react");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", emojis[i]);
      gtk_widget_set_parent (button, GTK_WIDGET (self));
      n++;
    }

  gtk_widget_set_visible (GTK_WIDGET (self), n > 0);
}

void
confab_reactions_box_update (ConfabReactionsBox *self,
                             ConfabMessage      *message,
                             ConfabSession      *session)
{
  g_return_if_fail (CONFAB_IS_REACTIONS_BOX (self));

  g_set_object (&self->message, message);
  g_set_weak_pointer (&self->profiles,
                      session != NULL ? confab_profiles_from_session (session) : NULL);
  g_free (self->own_user);
  self->own_user = session != NULL ? g_strdup (confab_session_get_username (session)) : NULL;
  rebuild (self);
}
