/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-mention-completion"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-mention-completion.h"
#include "confab-room-member.h"
#include "confab-rooms.h"
#include "confab-session.h"

#include <string.h>

/* A popover of a handful of names: more is a list to read, not a completion. */
#define MAX_SUGGESTIONS 6

struct _ConfabMentionCompletion
{
  GObject        parent_instance;

  GtkTextView   *text_view;   /* weak */
  ConfabSession *session;     /* weak */
  char          *room_id;
  GtkWidget     *popover;
  GtkListBox    *list;
  gboolean       inserting;
};

G_DEFINE_FINAL_TYPE (ConfabMentionCompletion, confab_mention_completion, G_TYPE_OBJECT)

/* The "@prefix" just before the cursor: its start and the prefix, or FALSE. */
static gboolean
find_prefix (ConfabMentionCompletion  *self,
             GtkTextIter              *start,
             char                    **prefix)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter cursor, iter;

  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  iter = cursor;
  while (gtk_text_iter_backward_char (&iter))
    {
      gunichar c = gtk_text_iter_get_char (&iter);

      if (c == '@')
        {
          GtkTextIter before = iter;

          /* "me@example" is an address, not a mention. */
          if (gtk_text_iter_backward_char (&before)
              && !g_unichar_isspace (gtk_text_iter_get_char (&before)))
            return FALSE;
          *start = iter;
          gtk_text_iter_forward_char (&iter);
          *prefix = gtk_text_iter_get_text (&iter, &cursor);
          return TRUE;
        }
      if (!(g_unichar_isalnum (c) || c == '.' || c == '_' || c == '-'))
        return FALSE;
    }
  return FALSE;
}

static gboolean
starts_with_word (const char *text,
                  const char *prefix)
{
  g_autofree char *folded_text = g_utf8_casefold (text, -1);
  g_autofree char *folded_prefix = g_utf8_casefold (prefix, -1);

  for (const char *p = folded_text; p != NULL && *p != '\0';)
    {
      if (g_str_has_prefix (p, folded_prefix))
        return TRUE;
      p = strchr (p, ' ');
      if (p != NULL)
        p++;
    }
  return FALSE;
}

static void
insert_mention (ConfabMentionCompletion *self,
                const char              *username)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  g_autofree char *prefix = NULL;
  g_autofree char *text = g_strdup_printf ("@%s ", username);
  GtkTextIter start, cursor;

  gtk_popover_popdown (GTK_POPOVER (self->popover));
  if (!find_prefix (self, &start, &prefix))
    return;
  gtk_text_buffer_get_iter_at_mark (buffer, &cursor, gtk_text_buffer_get_insert (buffer));
  self->inserting = TRUE;
  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete (buffer, &start, &cursor);
  gtk_text_buffer_insert (buffer, &start, text, -1);
  gtk_text_buffer_end_user_action (buffer);
  self->inserting = FALSE;
}

static void
on_row_activated (GtkListBox              *list,
                  GtkListBoxRow           *row,
                  ConfabMentionCompletion *self)
{
  insert_mention (self, g_object_get_data (G_OBJECT (row), "username"));
}

static void
add_suggestion (ConfabMentionCompletion *self,
                const char              *username,
                const char              *name)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *title = gtk_label_new (name);
  g_autofree char *handle = g_strdup_printf ("@%s", username);
  GtkWidget *subtitle = gtk_label_new (handle);
  g_autofree char *accessible = g_strdup_printf ("%s (%s)", name, handle);

  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data_full (G_OBJECT (row), "username", g_strdup (username), g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  gtk_list_box_append (self->list, row);
}

static void
place_popover (ConfabMentionCompletion *self,
               GtkTextIter             *at)
{
  GdkRectangle rect;
  int x, y;

  gtk_text_view_get_iter_location (self->text_view, at, &rect);
  gtk_text_view_buffer_to_window_coords (self->text_view, GTK_TEXT_WINDOW_WIDGET, rect.x, rect.y,
                                         &x, &y);
  rect.x = x;
  rect.y = y;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover), &rect);
}

static void
update (ConfabMentionCompletion *self)
{
  g_autofree char *prefix = NULL;
  GListModel *members;
  GtkWidget *child;
  GtkTextIter start;
  guint count = 0;

  if (self->inserting || self->text_view == NULL)
    return;
  if (self->session == NULL || self->room_id == NULL || !find_prefix (self, &start, &prefix))
    {
      gtk_popover_popdown (GTK_POPOVER (self->popover));
      return;
    }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);

  members = confab_rooms_get_members (confab_rooms_from_session (self->session), self->room_id);
  for (guint i = 0; members != NULL && i < g_list_model_get_n_items (members)
       && count < MAX_SUGGESTIONS; i++)
    {
      g_autoptr(ConfabRoomMember) member = g_list_model_get_item (members, i);
      const char *username = confab_room_member_get_username (member);

      if (g_strcmp0 (username, confab_session_get_username (self->session)) == 0)
        continue;
      if (g_str_has_prefix (username, prefix)
          || starts_with_word (confab_room_member_get_display_name (member), prefix))
        {
          add_suggestion (self, username, confab_room_member_get_display_name (member));
          count++;
        }
    }
  if (count < MAX_SUGGESTIONS && g_str_has_prefix ("room", prefix))
    {
      add_suggestion (self, "room", _("Everyone in the room"));
      count++;
    }

  if (count == 0)
    {
      gtk_popover_popdown (GTK_POPOVER (self->popover));
      return;
    }
  gtk_list_box_select_row (self->list, gtk_list_box_get_row_at_index (self->list, 0));
  place_popover (self, &start);
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

static void
confab_mention_completion_dispose (GObject *object)
{
  ConfabMentionCompletion *self = CONFAB_MENTION_COMPLETION (object);

  if (self->popover != NULL)
    g_clear_pointer (&self->popover, gtk_widget_unparent);
  g_clear_weak_pointer (&self->text_view);
  g_clear_weak_pointer (&self->session);
  g_clear_pointer (&self->room_id, g_free);

  G_OBJECT_CLASS (confab_mention_completion_parent_class)->dispose (object);
}

static void
confab_mention_completion_class_init (ConfabMentionCompletionClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = confab_mention_completion_dispose;
}

static void
confab_mention_completion_init (ConfabMentionCompletion *self)
{
}

ConfabMentionCompletion *
confab_mention_completion_new (GtkTextView *text_view)
{
  ConfabMentionCompletion *self;
  GtkTextBuffer *buffer;

  g_return_val_if_fail (GTK_IS_TEXT_VIEW (text_view), NULL);

  self = g_object_new (CONFAB_TYPE_MENTION_COMPLETION, NULL);
  g_set_weak_pointer (&self->text_view, text_view);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_BROWSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("People to mention"), -1);
  g_signal_connect_object (self->list, "row-activated", G_CALLBACK (on_row_activated), self, 0);
  self->popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (self->popover), GTK_WIDGET (self->list));
  gtk_popover_set_autohide (GTK_POPOVER (self->popover), FALSE);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->popover), FALSE);
  gtk_popover_set_position (GTK_POPOVER (self->popover), GTK_POS_TOP);
  gtk_widget_set_halign (self->popover, GTK_ALIGN_START);
  gtk_widget_add_css_class (self->popover, "mention-completion");
  gtk_widget_set_parent (self->popover, GTK_WIDGET (text_view));

  buffer = gtk_text_view_get_buffer (text_view);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  return self;
}

void
confab_mention_completion_set_room (ConfabMentionCompletion *self,
                                    ConfabSession           *session,
                                    const char              *room_id)
{
  g_return_if_fail (CONFAB_IS_MENTION_COMPLETION (self));

  g_set_weak_pointer (&self->session, session);
  g_free (self->room_id);
  self->room_id = g_strdup (room_id);
  /* Loaded now, so the first "@" finds them. */
  if (session != NULL && room_id != NULL)
    confab_rooms_get_members (confab_rooms_from_session (session), room_id);
  gtk_popover_popdown (GTK_POPOVER (self->popover));
}

gboolean
confab_mention_completion_handle_key (ConfabMentionCompletion *self,
                                      guint                    keyval)
{
  GtkListBoxRow *row;
  int index;

  g_return_val_if_fail (CONFAB_IS_MENTION_COMPLETION (self), FALSE);

  if (self->popover == NULL || !gtk_widget_get_visible (self->popover))
    return FALSE;
  row = gtk_list_box_get_selected_row (self->list);
  index = row != NULL ? gtk_list_box_row_get_index (row) : 0;
  switch (keyval)
    {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_Tab:
      if (row != NULL)
        insert_mention (self, g_object_get_data (G_OBJECT (row), "username"));
      return TRUE;
    case GDK_KEY_Up:
      row = gtk_list_box_get_row_at_index (self->list, MAX (index - 1, 0));
      gtk_list_box_select_row (self->list, row);
      return TRUE;
    case GDK_KEY_Down:
      row = gtk_list_box_get_row_at_index (self->list, index + 1);
      if (row != NULL)
        gtk_list_box_select_row (self->list, row);
      return TRUE;
    case GDK_KEY_Escape:
      gtk_popover_popdown (GTK_POPOVER (self->popover));
      return TRUE;
    default:
      return FALSE;
    }
}
