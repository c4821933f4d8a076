/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-search-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-contact.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-profiles.h"
#include "confab-search-window.h"
#include "confab-search.h"
#include "confab-session.h"
#include "confab-ui-util.h"

/* The text shown of a result: this many characters around the first word found. */
#define CONTEXT_BEFORE 50
#define CONTEXT_AFTER 110
/* Fewer characters than this are not searched for. */
#define MIN_QUERY_CHARS 2

enum {
  CHOSEN,
  N_SIGNALS
};

struct _ConfabSearchWindow
{
  AdwWindow       parent_instance;

  ConfabSession  *session;
  GListStore     *results;
  GCancellable   *cancellable;
  GRegex         *words;        /* the query's words, to mark them in the results */

  GtkSearchEntry *entry;
  GtkStack       *stack;
  GtkListBox     *list_box;
  AdwStatusPage  *error_page;
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabSearchWindow, confab_search_window, ADW_TYPE_WINDOW)

static GRegex *
words_regex (const char *query)
{
  g_auto(GStrv) words = g_strsplit_set (query, " \t\n", -1);
  g_autoptr(GString) pattern = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *escaped = NULL;

      if (words[i][0] == '\0')
        continue;
      escaped = g_regex_escape_string (words[i], -1);
      g_string_append_printf (pattern, "%s%s", pattern->len > 0 ? "|" : "", escaped);
    }
  if (pattern->len == 0)
    return NULL;
  return g_regex_new (pattern->str, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
}

/* The body around the first word found, as Pango markup with the words in bold. */
static char *
context_markup (ConfabSearchWindow *self,
                const char         *body)
{
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GString) markup = g_string_new (NULL);
  glong first = 0, start, end, length = g_utf8_strlen (body, -1);
  g_autofree char *excerpt = NULL;
  const char *p;

  if (self->words != NULL && g_regex_match (self->words, body, 0, &match))
    {
      int byte_start;

      g_match_info_fetch_pos (match, 0, &byte_start, NULL);
      first = g_utf8_pointer_to_offset (body, body + byte_start);
    }
  start = MAX (0, first - CONTEXT_BEFORE);
  end = MIN (length, first + CONTEXT_AFTER);
  excerpt = g_utf8_substring (body, start, end);
  g_clear_pointer (&match, g_match_info_free);

  if (start > 0)
    g_string_append (markup, "…");
  p = excerpt;
  if (self->words != NULL && g_regex_match (self->words, excerpt, 0, &match))
    {
      do
        {
          int s, e;
          g_autofree char *before = NULL;
          g_autofree char *word = NULL;

          g_match_info_fetch_pos (match, 0, &s, &e);
          if (e <= s)
            break;
          before = g_markup_escape_text (p, excerpt + s - p);
          word = g_markup_escape_text (excerpt + s, e - s);
          g_string_append_printf (markup, "%s<b>%s</b>", before, word);
          p = excerpt + e;
        }
      while (g_match_info_next (match, NULL));
    }
  {
    g_autofree char *rest = g_markup_escape_text (p, -1);

    g_string_append (markup, rest);
  }
  if (end < length)
    g_string_append (markup, "…");
  return g_string_free (g_steal_pointer (&markup), FALSE);
}

static const char *
conversation_title (ConfabSearchWindow *self,
                    const char         *conv)
{
  ConfabConversation *conversation = confab_conversation_list_lookup (
    confab_messaging_get_conversations (confab_messaging_from_session (self->session)), conv);

  return conversation != NULL ? confab_conversation_get_title (conversation) : conv;
}

static const char *
sender_name (ConfabSearchWindow *self,
             const char         *username)
{
  ConfabContact *contact = confab_profiles_get_contact (confab_profiles_from_session (self->session),
                                                        username);

  return contact != NULL ? confab_contact_get_display_name (contact) : username;
}

static GtkWidget *
create_row (gpointer item,
            gpointer user_data)
{
  ConfabSearchWindow *self = user_data;
  ConfabMessage *message = item;
  const char *title = conversation_title (self, confab_message_get_conv (message));
  const char *sender = sender_name (self, confab_message_get_sender (message));
  g_autofree char *time = confab_format_time_short (confab_message_get_ts (message));
  g_autofree char *context = context_markup (self, confab_message_get_body (message));
  g_autofree char *accessible = NULL;
  GtkWidget *row, *box, *top, *label;

  row = gtk_list_box_row_new ();
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (top), label);
  label = gtk_label_new (time);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "numeric");
  gtk_box_append (GTK_BOX (top), label);
  gtk_box_append (GTK_BOX (box), top);

  /* In a direct conversation the other person's name is the conversation's. */
  if (g_strcmp0 (sender, title) != 0)
    {
      label = gtk_label_new (sender);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (label, "caption-heading");
      gtk_widget_add_css_class (label, "accent");
      gtk_box_append (GTK_BOX (box), label);
    }

  label = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (label), context);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_lines (GTK_LABEL (label), 3);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_name (label, "context");
  gtk_box_append (GTK_BOX (box), label);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  accessible = g_strdup_printf ("%s, %s, %s: %s", title, time, sender,
                                confab_message_get_body (message));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  return row;
}

static void
search_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabSearchWindow) self = user_data;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;

  messages = confab_search_messages_finish (CONFAB_SEARCH (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (messages == NULL)
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      adw_status_page_set_description (self->error_page, text);
      gtk_stack_set_visible_child_name (self->stack, "error");
      return;
    }

  g_list_store_splice (self->results, 0, g_list_model_get_n_items (G_LIST_MODEL (self->results)),
                       messages->pdata, messages->len);
  gtk_stack_set_visible_child_name (self->stack, messages->len > 0 ? "results" : "empty");
}

static void
on_search_changed (ConfabSearchWindow *self)
{
  g_autofree char *query = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->words, g_regex_unref);

  if (g_utf8_strlen (query, -1) < MIN_QUERY_CHARS)
    {
      g_list_store_remove_all (self->results);
      gtk_stack_set_visible_child_name (self->stack, "start");
      return;
    }

  self->words = words_regex (query);
  self->cancellable = g_cancellable_new ();
  confab_search_messages_async (confab_search_from_session (self->session), query, NULL, 50,
                                self->cancellable, search_cb, g_object_ref (self));
}

static void
on_stop_search (ConfabSearchWindow *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_row_activated (ConfabSearchWindow *self,
                  GtkListBoxRow      *row)
{
  g_autoptr(ConfabMessage) message = NULL;

  message = g_list_model_get_item (G_LIST_MODEL (self->results),
                                   gtk_list_box_row_get_index (row));
  if (message == NULL)
    return;

  g_signal_emit (self, signals[CHOSEN], 0, confab_message_get_conv (message),
                 confab_message_get_id (message));
  gtk_window_close (GTK_WINDOW (self));
}

static void
confab_search_window_dispose (GObject *object)
{
  ConfabSearchWindow *self = CONFAB_SEARCH_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  g_clear_object (&self->results);
  g_clear_pointer (&self->words, g_regex_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_SEARCH_WINDOW);

  G_OBJECT_CLASS (confab_search_window_parent_class)->dispose (object);
}

static void
confab_search_window_class_init (ConfabSearchWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_search_window_dispose;

  /**
   * ConfabSearchWindow::chosen:
   * @conv: the conversation of the result
   * @msg_id: the message
   */
  signals[CHOSEN] = g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                  G_TYPE_STRING, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-search-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchWindow, entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchWindow, list_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchWindow, error_page);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_search_window_init (ConfabSearchWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->results = g_list_store_new (CONFAB_TYPE_MESSAGE);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->results), create_row, self, NULL);
}

ConfabSearchWindow *
confab_search_window_new (GtkWindow     *parent,
                          ConfabSession *session)
{
  ConfabSearchWindow *self;

  g_return_val_if_fail (CONFAB_IS_SESSION (session), NULL);

  self = g_object_new (CONFAB_TYPE_SEARCH_WINDOW, "transient-for", parent, NULL);
  self->session = g_object_ref (session);
  return self;
}

void
confab_search_window_search (ConfabSearchWindow *self,
                             const char         *query)
{
  g_return_if_fail (CONFAB_IS_SEARCH_WINDOW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->entry), query);
  on_search_changed (self);
}

GListModel *
confab_search_window_get_results (ConfabSearchWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_SEARCH_WINDOW (self), NULL);

  return G_LIST_MODEL (self->results);
}

GtkWidget *
confab_search_window_get_row (ConfabSearchWindow *self,
                              guint               i)
{
  g_return_val_if_fail (CONFAB_IS_SEARCH_WINDOW (self), NULL);

  return GTK_WIDGET (gtk_list_box_get_row_at_index (self->list_box, (int) i));
}
