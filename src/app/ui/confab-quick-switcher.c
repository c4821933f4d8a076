/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-quick-switcher"

#include "config.h"

#include "confab-conversation.h"
#include "confab-conversation-row.h"
#include "confab-quick-switcher.h"

/* Ctrl+K: type part of a name, Up and Down to pick, Enter to go there. */

enum {
  CHOSEN,
  N_SIGNALS
};

struct _ConfabQuickSwitcher
{
  AdwWindow           parent_instance;

  GtkFilterListModel *filtered;
  GtkStringFilter    *filter;
  GtkSingleSelection *selection;

  GtkSearchEntry     *entry;
  GtkStack           *stack;
  GtkListView        *list_view;
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabQuickSwitcher, confab_quick_switcher, ADW_TYPE_WINDOW)

static void
choose_position (ConfabQuickSwitcher *self,
                 guint                position)
{
  g_autoptr(ConfabConversation) conv = NULL;

  conv = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  if (conv == NULL)
    return;

  g_signal_emit (self, signals[CHOSEN], 0, confab_conversation_get_conv (conv));
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_search_changed (ConfabQuickSwitcher *self)
{
  gtk_string_filter_set_search (self->filter,
                                gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  /* The best match is the first: the most recent conversation that matches. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0)
    gtk_single_selection_set_selected (self->selection, 0);
  gtk_stack_set_visible_child_name (self->stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->selection)) > 0
                                    ? "list" : "empty");
}

/* The entry tells of a change only after its search delay: keys typed quickly (a name, then
 * Enter or Down) act on the matches of what is typed, not of what was typed before. */
static void
catch_up_with_entry (ConfabQuickSwitcher *self)
{
  const char *search = gtk_string_filter_get_search (self->filter);

  /* The filter keeps an empty search as none. */
  if (g_strcmp0 (search != NULL ? search : "",
                 gtk_editable_get_text (GTK_EDITABLE (self->entry))) != 0)
    on_search_changed (self);
}

static void
on_entry_activate (ConfabQuickSwitcher *self)
{
  catch_up_with_entry (self);
  confab_quick_switcher_choose (self);
}

static void
on_stop_search (ConfabQuickSwitcher *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_list_activate (ConfabQuickSwitcher *self,
                  guint                position)
{
  choose_position (self, position);
}

static gboolean
on_entry_key_pressed (GtkEventControllerKey *controller,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      ConfabQuickSwitcher   *self)
{
  switch (keyval)
    {
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      confab_quick_switcher_move (self, -1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      confab_quick_switcher_move (self, 1);
      return GDK_EVENT_STOP;
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static void
confab_quick_switcher_dispose (GObject *object)
{
  ConfabQuickSwitcher *self = CONFAB_QUICK_SWITCHER (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_QUICK_SWITCHER);
  g_clear_object (&self->selection);

  G_OBJECT_CLASS (confab_quick_switcher_parent_class)->dispose (object);
}

static void
confab_quick_switcher_class_init (ConfabQuickSwitcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_quick_switcher_dispose;

  /**
   * ConfabQuickSwitcher::chosen:
   * @conv: the id of the conversation to go to
   */
  signals[CHOSEN] = g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (CONFAB_TYPE_CONVERSATION_ROW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-quick-switcher.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabQuickSwitcher, entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabQuickSwitcher, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabQuickSwitcher, list_view);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_list_activate);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_quick_switcher_init (ConfabQuickSwitcher *self)
{
  GtkEventController *key;

  gtk_widget_init_template (GTK_WIDGET (self));

  key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_entry_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->entry), key);
}

ConfabQuickSwitcher *
confab_quick_switcher_new (GtkWindow  *parent,
                           GListModel *conversations)
{
  ConfabQuickSwitcher *self;
  GtkExpression *title;

  g_return_val_if_fail (G_IS_LIST_MODEL (conversations), NULL);

  self = g_object_new (CONFAB_TYPE_QUICK_SWITCHER, "transient-for", parent, NULL);
  title = gtk_property_expression_new (CONFAB_TYPE_CONVERSATION, NULL, "title");
  self->filter = gtk_string_filter_new (title);
  self->filtered = gtk_filter_list_model_new (g_object_ref (conversations),
                                              GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->filtered));
  gtk_single_selection_set_can_unselect (self->selection, FALSE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  on_search_changed (self);
  return self;
}

void
confab_quick_switcher_set_text (ConfabQuickSwitcher *self,
                                const char          *text)
{
  g_return_if_fail (CONFAB_IS_QUICK_SWITCHER (self));

  gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
  /* At once, not after the entry's search delay. */
  on_search_changed (self);
}

GListModel *
confab_quick_switcher_get_matches (ConfabQuickSwitcher *self)
{
  g_return_val_if_fail (CONFAB_IS_QUICK_SWITCHER (self), NULL);

  return G_LIST_MODEL (self->selection);
}

void
confab_quick_switcher_move (ConfabQuickSwitcher *self,
                            int                  delta)
{
  guint n, selected;
  gint64 target;

  g_return_if_fail (CONFAB_IS_QUICK_SWITCHER (self));

  catch_up_with_entry (self);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  if (n == 0)
    return;
  selected = gtk_single_selection_get_selected (self->selection);
  target = selected == GTK_INVALID_LIST_POSITION ? 0 : (gint64) selected + delta;
  target = CLAMP (target, 0, (gint64) n - 1);
  gtk_single_selection_set_selected (self->selection, (guint) target);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                              (guint) target);
}

void
confab_quick_switcher_choose (ConfabQuickSwitcher *self)
{
  g_return_if_fail (CONFAB_IS_QUICK_SWITCHER (self));

  choose_position (self, gtk_single_selection_get_selected (self->selection));
}
