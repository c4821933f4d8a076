/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-conversation-view"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-call-row.h"
#include "confab-contact.h"
#include "confab-conversation-view-private.h"
#include "confab-conversation.h"
#include "confab-feature.h"
#include "confab-mention-completion.h"
#include "confab-message-list.h"
#include "confab-message-row.h"
#include "confab-message.h"
#include "confab-messaging.h"
#include "confab-profile-window.h"
#include "confab-profiles.h"
#include "confab-room.h"
#include "confab-session.h"
#include "confab-typing.h"
#include "confab-ui-util.h"
#include "confab-upload-list.h"

/* Within this many pixels of an edge counts as being at it. */
#define EDGE_PX 48

typedef enum
{
  SEEK_NONE,
  SEEK_UNREAD,
  SEEK_MESSAGE,
} SeekKind;

typedef enum
{
  CONTEXT_NONE,
  CONTEXT_REPLY,
  CONTEXT_EDIT,
} ComposerContext;

struct _ConfabConversationView
{
  AdwBin              parent_instance;

  ConfabSession      *session;
  ConfabConversation *conversation;
  ConfabMessageList  *messages;
  GtkNoSelection     *selection;
  GSettings          *settings;
  GCancellable       *cancellable;
  ConfabMentionCompletion *mentions;
  gulong              items_changed_id;
  gulong              has_more_id;
  gulong              loading_id;
  gulong              typing_id;
  gulong              active_id;
  GtkWindow          *window;

  ComposerContext     context;
  ConfabMessage      *context_message;
  gboolean            stick_to_bottom;
  guint               scroll_tick_id;
  guint               scroll_frames;
  gboolean            loading_older;
  gboolean            loading_newer;
  gint64              read_up_to;

  /* Going to a message not in view: the first unread one when the conversation opens (under
   * a divider), or one a search found (highlighted). */
  SeekKind            seek;            /* what is sought and not loaded yet */
  gint64              unread_after;    /* the read mark when the conversation was opened */
  gint64              seek_id;         /* the message sought by SEEK_MESSAGE */
  gint64              first_unread;    /* the first unread message's id once found, or 0 */
  gint64              found_id;        /* the message found for a search, or 0 */
  gint64              target_id;       /* the row brought to the top */
  guint               seek_tick_id;
  guint               mark_read_id;    /* an idle that marks read after a scroll */
  guint               seek_frames;
  guint               seek_placed;     /* frames the target has stayed in place */
  guint               seek_pages;      /* older pages loaded to find it */

  GtkStack           *content_stack;
  GtkScrolledWindow  *scrolled_window;
  GtkListView        *list_view;
  GtkWidget          *loading_spinner;
  GtkRevealer        *jump_revealer;
  GtkLabel           *typing_label;
  ConfabUploadList   *upload_list;
  GtkRevealer        *context_revealer;
  GtkImage           *context_icon;
  GtkLabel           *context_title;
  GtkLabel           *context_body;
  GtkMenuButton      *emoji_button;
  GtkLabel           *placeholder_label;
  GtkTextView        *text_view;
  GtkWidget          *send_button;
};

G_DEFINE_FINAL_TYPE (ConfabConversationView, confab_conversation_view, ADW_TYPE_BIN)

static ConfabMessaging *
get_messaging (ConfabConversationView *self)
{
  return confab_messaging_from_session (self->session);
}

static ConfabProfiles *
get_profiles (ConfabConversationView *self)
{
  return confab_profiles_from_session (self->session);
}

static void load_older (ConfabConversationView *self);
static void seek (ConfabConversationView *self);
static void load_newer (ConfabConversationView *self);
static void load_newer_if_near_end (ConfabConversationView *self);

static char *
get_draft (ConfabConversationView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
show_toast (ConfabConversationView *self,
            const char             *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

void
confab_conversation_view_show_toast (ConfabConversationView *self,
                                     const char             *text)
{
  show_toast (self, text);
}

ConfabSession *
confab_conversation_view_get_session (ConfabConversationView *self)
{
  return self->session;
}

const char *
confab_conversation_view_get_conv (ConfabConversationView *self)
{
  return self->conversation != NULL ? confab_conversation_get_conv (self->conversation) : NULL;
}

char *
confab_conversation_view_take_draft (ConfabConversationView *self)
{
  char *text = get_draft (self);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", -1);
  return text;
}

static void
update_empty (ConfabConversationView *self)
{
  gboolean empty = self->messages == NULL
                   || (g_list_model_get_n_items (G_LIST_MODEL (self->messages)) == 0
                       && !confab_message_list_get_has_more (self->messages));

  gtk_stack_set_visible_child_name (self->content_stack, empty ? "empty" : "messages");
  gtk_widget_set_visible (self->loading_spinner,
                          self->messages != NULL
                          && confab_message_list_get_loading (self->messages));
}

static void
update_typing (ConfabConversationView *self)
{
  const char *text = self->conversation
                     ? confab_conversation_get_typing_text (self->conversation) : NULL;

  /* A space keeps the line's height so the list does not jump. */
  gtk_label_set_label (self->typing_label, text ? text : " ");
}

static void
update_send_state (ConfabConversationView *self)
{
  g_autofree char *text = get_draft (self);
  gboolean empty = *g_strstrip (text) == '\0';

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "view.send",
                                 !empty && self->conversation != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder_label),
                          gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (self->text_view))
                          == 0);
}

/* GtkListView only estimates the height of rows it has not measured, so one jump to the end
 * lands short of it; keep going for a few frames until the end holds still. */
static void
jump_to_last (ConfabConversationView *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  guint n = self->messages ? g_list_model_get_n_items (G_LIST_MODEL (self->messages)) : 0;

  /* Scrolling to the item moves GtkListView's anchor; setting the adjustment alone may not. */
  if (n > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", n - 1);
  else
    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj)
                              - gtk_adjustment_get_page_size (adj));
}

static gboolean
scroll_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  ConfabConversationView *self = CONFAB_CONVERSATION_VIEW (widget);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  double end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);

  if (gtk_adjustment_get_value (adj) < end - 1)
    {
      self->scroll_frames = 0;
      jump_to_last (self);
    }

  if (++self->scroll_frames < 4)
    return G_SOURCE_CONTINUE;

  self->scroll_tick_id = 0;
  return G_SOURCE_REMOVE;
}

static void
scroll_to_end (ConfabConversationView *self)
{
  /* The window was moved up the history: bring back the newest page rather than walk to it. */
  if (self->messages != NULL && confab_message_list_get_has_newer (self->messages))
    confab_message_list_reload_newest (self->messages);
  self->stick_to_bottom = TRUE;
  jump_to_last (self);
  self->scroll_frames = 0;
  if (self->scroll_tick_id == 0)
    self->scroll_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), scroll_tick_cb, NULL,
                                                         NULL);
}

static void
set_context (ConfabConversationView *self,
             ComposerContext         context,
             ConfabMessage          *message)
{
  ComposerContext old = self->context;

  self->context = context;
  g_set_object (&self->context_message, message);

  if (context == CONTEXT_NONE || message == NULL)
    {
      self->context = CONTEXT_NONE;
      gtk_revealer_set_reveal_child (self->context_revealer, FALSE);
      if (old == CONTEXT_EDIT)
        gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", -1);
      return;
    }

  if (context == CONTEXT_REPLY)
    {
      ConfabContact *contact = confab_profiles_get_contact (get_profiles (self),
                                                            confab_message_get_sender (message));
      g_autofree char *title = g_strdup_printf (_("Reply to %s"),
                                                confab_contact_get_display_name (contact));

      gtk_image_set_from_icon_name (self->context_icon, "mail-reply-sender-symbolic");
      gtk_label_set_label (self->context_title, title);
    }
  else
    {
      gtk_image_set_from_icon_name (self->context_icon, "document-edit-symbolic");
      gtk_label_set_label (self->context_title, _("Edit Message"));
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view),
                                confab_message_get_body (message), -1);
    }

  gtk_label_set_label (self->context_body, confab_message_get_body (message));
  gtk_revealer_set_reveal_child (self->context_revealer, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
request_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabConversationView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_feature_request_finish (CONFAB_FEATURE (object), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      show_toast (self, text);
    }
}

static void
send_message_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabConversationView) self = user_data;
  g_autoptr(ConfabMessage) message = NULL;
  g_autoptr(GError) error = NULL;

  message = confab_messaging_send_message_finish (CONFAB_MESSAGING (object), result, &error);
  if (message == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = confab_error_to_user_text (error, result);

      show_toast (self, text);
    }
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *param)
{
  confab_conversation_view_send (CONFAB_CONVERSATION_VIEW (widget));
}

static void
attach_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  confab_conversation_view_choose_files (CONFAB_CONVERSATION_VIEW (widget));
}

static void
cancel_context_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *param)
{
  set_context (CONFAB_CONVERSATION_VIEW (widget), CONTEXT_NONE, NULL);
}

static void
scroll_to_end_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *param)
{
  scroll_to_end (CONFAB_CONVERSATION_VIEW (widget));
}

static void
on_delete_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  ConfabConversationView *self = g_object_get_data (G_OBJECT (dialog), "view");
  ConfabMessage *message = user_data;

  if (g_str_equal (response, "delete") && self->session != NULL)
    confab_messaging_delete_message_async (get_messaging (self),
                                           confab_message_get_id (message),
                                           self->cancellable, request_done_cb,
                                           g_object_ref (self));
}

static void
on_row_action (ConfabMessageRow       *row,
               const char             *name,
               ConfabMessage          *message,
               ConfabConversationView *self)
{
  if (self->session == NULL)
    return;

  if (g_str_equal (name, "reply"))
    set_context (self, CONTEXT_REPLY, message);
  else if (g_str_equal (name, "edit"))
    set_context (self, CONTEXT_EDIT, message);
  else if (g_str_equal (name, "retry"))
    confab_messaging_retry_message (get_messaging (self), message);
  else if (g_str_equal (name, "discard"))
    confab_messaging_discard_message (get_messaging (self), message);
  else if (g_str_equal (name, "profile"))
    gtk_window_present (GTK_WINDOW (confab_profile_window_new (self->window, self->session,
                                                               confab_message_get_sender (message))));
  else if (g_str_equal (name, "delete"))
    {
      AdwMessageDialog *dialog;

      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (self->window,
                                                           _("Delete Message?"),
                                                           _("The message is deleted for "
                                                             "everyone in the conversation.")));
      adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                        "delete", _("_Delete"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "delete",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (dialog, "cancel");
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_object_set_data_full (G_OBJECT (dialog), "view", g_object_ref (self), g_object_unref);
      g_signal_connect_data (dialog, "response", G_CALLBACK (on_delete_response),
                             g_object_ref (message), (GClosureNotify) g_object_unref, 0);
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
on_row_react (ConfabMessageRow       *row,
              ConfabMessage          *message,
              const char             *emoji,
              gboolean                on,
              ConfabConversationView *self)
{
  if (self->session == NULL)
    return;

  confab_messaging_react_async (get_messaging (self), confab_message_get_id (message), emoji, on,
                                self->cancellable, request_done_cb, g_object_ref (self));
}

/* Each list item holds a message row and a call row; a message shows in the one that fits
 * its kind. */
static GtkWidget *
item_row (GtkListItem *item,
          const char  *name)
{
  return gtk_stack_get_child_by_name (GTK_STACK (gtk_list_item_get_child (item)), name);
}

static void
bind_row (ConfabConversationView *self,
          GtkListItem            *item)
{
  GtkWidget *row = item_row (item, "message");
  ConfabMessage *message = gtk_list_item_get_item (item);
  guint position = gtk_list_item_get_position (item);
  g_autoptr(ConfabMessage) previous = NULL;

  if (message == NULL || position == GTK_INVALID_LIST_POSITION || self->messages == NULL)
    return;

  if (position > 0)
    previous = g_list_model_get_item (G_LIST_MODEL (self->messages), position - 1);

  if (g_strcmp0 (confab_message_get_kind (message), "call") == 0)
    {
      /* Few items are calls: their row is made the first time one needs it. */
      if (item_row (item, "call") == NULL)
        gtk_stack_add_named (GTK_STACK (gtk_list_item_get_child (item)), confab_call_row_new (),
                             "call");
      confab_call_row_bind (CONFAB_CALL_ROW (item_row (item, "call")), message, previous,
                            self->session ? confab_session_get_username (self->session) : NULL);
      gtk_stack_set_visible_child_name (GTK_STACK (gtk_list_item_get_child (item)), "call");
      return;
    }
  gtk_stack_set_visible_child_name (GTK_STACK (gtk_list_item_get_child (item)), "message");

  confab_message_row_bind (CONFAB_MESSAGE_ROW (row), self->session, message, previous,
                           self->messages);
  confab_message_row_set_first_unread (CONFAB_MESSAGE_ROW (row),
                                       self->first_unread > 0
                                       && confab_message_get_id (message) == self->first_unread);
  confab_message_row_set_found (CONFAB_MESSAGE_ROW (row),
                                self->found_id > 0
                                && confab_message_get_id (message) == self->found_id);
}

/* Loading older messages inserts above a bound row: its position changes and so may whether
 * it starts a new day or a new sender group. */
static void
on_list_item_position (GtkListItem            *item,
                       GParamSpec             *pspec,
                       ConfabConversationView *self)
{
  bind_row (self, item);
}

static void
factory_setup (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               ConfabConversationView   *self)
{
  GtkWidget *row = confab_message_row_new ();
  GtkWidget *stack = gtk_stack_new ();

  gtk_stack_set_vhomogeneous (GTK_STACK (stack), FALSE);
  gtk_stack_set_hhomogeneous (GTK_STACK (stack), FALSE);
  gtk_stack_add_named (GTK_STACK (stack), row, "message");
  g_signal_connect_object (row, "action", G_CALLBACK (on_row_action), self, 0);
  g_signal_connect_object (row, "react", G_CALLBACK (on_row_react), self, 0);
  g_signal_connect_object (item, "notify::position", G_CALLBACK (on_list_item_position),
                           self, 0);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
  gtk_list_item_set_child (item, stack);
}

static void
factory_bind (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              ConfabConversationView   *self)
{
  bind_row (self, item);
}

static void
factory_unbind (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                ConfabConversationView   *self)
{
  GtkWidget *call_row = item_row (item, "call");

  confab_message_row_unbind (CONFAB_MESSAGE_ROW (item_row (item, "message")));
  if (call_row != NULL)
    confab_call_row_unbind (CONFAB_CALL_ROW (call_row));
}

/* Finding the first unread message, or a search's, can load this many older pages; past that
 * the view stays at the newest. */
#define MAX_SEEK_PAGES 40
/* Space above the row sought when it is scrolled to the top. */
#define SEEK_TOP_PX 12

static guint
position_of (ConfabConversationView *self,
             gint64                  id)
{
  GListModel *model = G_LIST_MODEL (self->messages);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (model, i);

      if (confab_message_get_id (message) == id)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static ConfabMessageRow *
row_of (GtkWidget *widget,
        gint64     id)
{
  if (CONFAB_IS_MESSAGE_ROW (widget))
    {
      ConfabMessage *message = confab_message_row_get_message (CONFAB_MESSAGE_ROW (widget));

      return message != NULL && confab_message_get_id (message) == id
             ? CONFAB_MESSAGE_ROW (widget) : NULL;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      ConfabMessageRow *row = row_of (child, id);

      if (row != NULL)
        return row;
    }
  return NULL;
}

/* Frames the view spends at most bringing a row to the top. */
#define SEEK_MAX_FRAMES 60

/* Brings the target's row to the top of the view over a few frames: GtkListView knows the
 * heights of the rows it has not shown only once it has, so a row lands where it should once
 * it stays there. */
static gboolean
seek_tick_cb (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       user_data)
{
  ConfabConversationView *self = CONFAB_CONVERSATION_VIEW (widget);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  ConfabMessageRow *row = NULL;
  gboolean placed = FALSE;

  if (self->messages != NULL && self->target_id > 0)
    row = row_of (GTK_WIDGET (self->list_view), self->target_id);

  if (row != NULL && gtk_widget_get_mapped (GTK_WIDGET (row)))
    {
      graphene_point_t point;

      /* The list view is as tall as the view: its rows' positions are on screen. */
      if (gtk_widget_compute_point (GTK_WIDGET (row), GTK_WIDGET (self->list_view),
                                    &GRAPHENE_POINT_INIT (0, 0), &point))
        {
          double value = gtk_adjustment_get_value (adj);
          double end = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);
          double wanted = CLAMP (value + point.y - SEEK_TOP_PX, 0, MAX (end, 0));

          placed = ABS (wanted - value) < 1;
          if (!placed)
            gtk_adjustment_set_value (adj, wanted);
        }
    }
  else if (self->messages != NULL && self->target_id > 0)
    {
      guint position = position_of (self, self->target_id);

      if (position != GTK_INVALID_LIST_POSITION)
        gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                    position);
    }

  /* Two frames in place in a row: the heights around it are known. */
  self->seek_placed = placed ? self->seek_placed + 1 : 0;
  if (++self->seek_frames < SEEK_MAX_FRAMES && self->seek_placed < 2
      && self->target_id > 0)
    return G_SOURCE_CONTINUE;

  self->seek_tick_id = 0;
  return G_SOURCE_REMOVE;
}

/* Marks the rows of @id that show now; rows bound later get it from bind_row(). */
static void
mark_rows (ConfabConversationView *self,
           gint64                  id,
           gboolean                first_unread)
{
  ConfabMessageRow *row = row_of (GTK_WIDGET (self->list_view), id);

  if (row == NULL)
    return;
  if (first_unread)
    confab_message_row_set_first_unread (row, TRUE);
  else
    confab_message_row_set_found (row, TRUE);
}

static void
show_target (ConfabConversationView *self,
             gint64                  id)
{
  if (self->seek == SEEK_UNREAD)
    self->first_unread = id;
  else
    {
      ConfabMessageRow *old = self->found_id > 0 ? row_of (GTK_WIDGET (self->list_view),
                                                           self->found_id)
                                                 : NULL;

      if (old != NULL)
        confab_message_row_set_found (old, FALSE);
      self->found_id = id;
    }
  mark_rows (self, id, self->seek == SEEK_UNREAD);
  self->seek = SEEK_NONE;
  self->stick_to_bottom = FALSE;
  self->target_id = id;
  self->seek_frames = 0;
  self->seek_placed = 0;
  if (self->seek_tick_id == 0)
    self->seek_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), seek_tick_cb, NULL,
                                                       NULL);
}

static void
give_up_seek (ConfabConversationView *self)
{
  self->seek = SEEK_NONE;
  scroll_to_end (self);
}

/* The message sought among those loaded, once the window reaches back far enough: for unread,
 * the first after the read mark that someone else wrote; 0 if not (yet) found. */
static gint64
find_target (ConfabConversationView *self,
             gboolean               *reached)
{
  GListModel *model = G_LIST_MODEL (self->messages);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(ConfabMessage) oldest = n > 0 ? g_list_model_get_item (model, 0) : NULL;
  gint64 oldest_id = oldest != NULL ? confab_message_get_id (oldest) : 0;
  gint64 bound = self->seek == SEEK_UNREAD ? self->unread_after : self->seek_id;
  const char *me = confab_session_get_username (self->session);

  *reached = (oldest_id > 0 && oldest_id <= bound)
             || (n > 0 && !confab_message_list_get_has_more (self->messages));
  if (!*reached)
    return 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (model, i);
      gint64 id = confab_message_get_id (message);

      if (self->seek == SEEK_MESSAGE ? id == self->seek_id
                                     : id > self->unread_after
          && g_strcmp0 (confab_message_get_sender (message), me) != 0)
        return id;
    }
  return 0;
}

/* While seeking: older pages until the window reaches the message sought, then to it. */
static void
seek (ConfabConversationView *self)
{
  gboolean reached;
  gint64 id;

  if (self->seek == SEEK_NONE || self->messages == NULL || self->session == NULL)
    return;

  id = find_target (self, &reached);
  if (id > 0)
    {
      show_target (self, id);
      return;
    }
  if (reached)
    {
      /* Nothing unread after all, or the message is gone. */
      give_up_seek (self);
      return;
    }

  if (confab_message_list_get_loading (self->messages) || self->loading_older)
    return;
  if (self->seek_pages >= MAX_SEEK_PAGES || !confab_message_list_get_has_more (self->messages))
    {
      give_up_seek (self);
      return;
    }
  self->seek_pages++;
  load_older (self);
}

static void
load_older_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabConversationView) self = user_data;
  g_autoptr(GError) error = NULL;

  self->loading_older = FALSE;
  confab_message_list_load_older_finish (CONFAB_MESSAGE_LIST (object), result, &error);
  if (self->messages != NULL)
    load_newer_if_near_end (self);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Loading older messages failed: %s", error->message);

  update_empty (self);
  seek (self);
}

static void
load_older (ConfabConversationView *self)
{
  if (self->messages == NULL || self->loading_older
      || !confab_message_list_get_has_more (self->messages)
      || confab_message_list_get_loading (self->messages))
    return;

  self->loading_older = TRUE;
  confab_message_list_load_older_async (self->messages, 0, self->cancellable, load_older_cb,
                                        g_object_ref (self));
}

/* A scroll that reached the bottom while another load ran moves no more: look again. */
static void
load_newer_if_near_end (ConfabConversationView *self)
{
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);

  if (gtk_adjustment_get_value (adj)
      > gtk_adjustment_get_upper (adj) - 2 * gtk_adjustment_get_page_size (adj))
    load_newer (self);
}

static void
load_newer_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabConversationView) self = user_data;
  g_autoptr(GError) error = NULL;

  self->loading_newer = FALSE;
  if (confab_message_list_load_newer_finish (CONFAB_MESSAGE_LIST (object), result, &error) > 0)
    load_newer_if_near_end (self);
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Loading newer messages failed: %s", error->message);
}

static void
load_newer (ConfabConversationView *self)
{
  if (self->messages == NULL || self->loading_newer
      || !confab_message_list_get_has_newer (self->messages)
      || confab_message_list_get_loading (self->messages))
    return;

  self->loading_newer = TRUE;
  confab_message_list_load_newer_async (self->messages, 0, self->cancellable, load_newer_cb,
                                        g_object_ref (self));
}

static gboolean
mark_read_idle_cb (gpointer user_data)
{
  ConfabConversationView *self = user_data;

  self->mark_read_id = 0;
  confab_conversation_view_mark_read (self);
  return G_SOURCE_REMOVE;
}

static void
on_vadjustment_value_changed (GtkAdjustment          *adj,
                              ConfabConversationView *self)
{
  double value = gtk_adjustment_get_value (adj);
  double upper = gtk_adjustment_get_upper (adj);
  double page = gtk_adjustment_get_page_size (adj);

  /* While the view goes to the first unread message (or a found one), it is the view that
   * moves, not the reader: passing the bottom on the way reads nothing. */
  if (self->scroll_tick_id == 0 && self->seek == SEEK_NONE && self->seek_tick_id == 0)
    self->stick_to_bottom = value >= upper - page - EDGE_PX
                            && !(self->messages != NULL
                                 && confab_message_list_get_has_newer (self->messages));
  gtk_revealer_set_reveal_child (self->jump_revealer, !self->stick_to_bottom);

  if (value < page)
    load_older (self);
  if (value > upper - 2 * page)
    load_newer (self);
  /* Scrolling happens while the window lays itself out: the sidebar's unread count changes
   * after that. */
  if (self->stick_to_bottom && self->mark_read_id == 0)
    self->mark_read_id = g_idle_add (mark_read_idle_cb, self);
}

static void
on_vadjustment_changed (GtkAdjustment          *adj,
                        ConfabConversationView *self)
{
  double upper = gtk_adjustment_get_upper (adj);
  double page = gtk_adjustment_get_page_size (adj);

  if (self->stick_to_bottom)
    scroll_to_end (self);

  /* A first page shorter than the view: keep loading until it scrolls. */
  if (upper <= page)
    load_older (self);
  /* A page came in at the bottom while the view is still near it. */
  if (gtk_adjustment_get_value (adj) > upper - 2 * page)
    load_newer (self);
}

static void
on_messages_changed (GListModel             *model,
                     guint                   position,
                     guint                   removed,
                     guint                   added,
                     ConfabConversationView *self)
{
  update_empty (self);
  seek (self);

  /* A page read back from the cache at the bottom is history, not a new message. */
  if (added > 0 && position + added == g_list_model_get_n_items (model) && !self->loading_newer)
    {
      g_autoptr(ConfabMessage) last = g_list_model_get_item (model, position + added - 1);

      /* What one sends oneself always scrolls into view. */
      if (last != NULL && self->session != NULL
          && g_strcmp0 (confab_message_get_sender (last),
                        confab_session_get_username (self->session)) == 0)
        self->stick_to_bottom = TRUE;

      if (self->stick_to_bottom)
        scroll_to_end (self);
      confab_conversation_view_mark_read (self);
    }
}

static void
on_messages_notify (ConfabConversationView *self)
{
  update_empty (self);
  seek (self);
}

static void
on_window_active (ConfabConversationView *self)
{
  confab_conversation_view_mark_read (self);
}

static void
on_buffer_changed (GtkTextBuffer          *buffer,
                   ConfabConversationView *self)
{
  update_send_state (self);

  if (self->session != NULL && self->conversation != NULL && self->context != CONTEXT_EDIT)
    confab_typing_set_typing (confab_typing_from_session (self->session),
                              confab_conversation_get_conv (self->conversation),
                              gtk_text_buffer_get_char_count (buffer) > 0);
}

/* The newest message of one's own that can still be edited, or NULL. */
static ConfabMessage *
last_own_editable (ConfabConversationView *self)
{
  GListModel *model = G_LIST_MODEL (self->messages);
  const char *me = confab_session_get_username (self->session);

  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (model, i - 1);

      if (g_strcmp0 (confab_message_get_sender (message), me) == 0
          && g_strcmp0 (confab_message_get_kind (message), "text") == 0
          && !confab_message_get_deleted (message) && confab_message_get_id (message) > 0)
        return g_steal_pointer (&message);
    }
  return NULL;
}

static gboolean
on_key_pressed (GtkEventControllerKey  *controller,
                guint                   keyval,
                guint                   keycode,
                GdkModifierType         state,
                ConfabConversationView *self)
{
  gboolean enter_sends = g_settings_get_boolean (self->settings, "enter-sends");

  state &= gtk_accelerator_get_default_mod_mask ();
  if (state == 0 && confab_mention_completion_handle_key (self->mentions, keyval))
    return TRUE;

  if ((keyval == GDK_KEY_v || keyval == GDK_KEY_V) && state == GDK_CONTROL_MASK
      && confab_conversation_view_paste_picture (self))
    return GDK_EVENT_STOP;

  if (keyval == GDK_KEY_Escape && self->context != CONTEXT_NONE)
    {
      set_context (self, CONTEXT_NONE, NULL);
      return GDK_EVENT_STOP;
    }

  /* Up in an empty composer edits one's last message, as in most messengers. */
  if ((keyval == GDK_KEY_Up || keyval == GDK_KEY_KP_Up) && state == 0
      && self->context == CONTEXT_NONE && self->session != NULL && self->messages != NULL
      && gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (self->text_view)) == 0)
    {
      g_autoptr(ConfabMessage) last = last_own_editable (self);

      if (last != NULL)
        {
          set_context (self, CONTEXT_EDIT, last);
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;
    }

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;

  if ((state == 0 && enter_sends) || state == GDK_CONTROL_MASK)
    {
      confab_conversation_view_send (self);
      return GDK_EVENT_STOP;
    }

  if (state == GDK_SHIFT_MASK && !enter_sends)
    return GDK_EVENT_STOP;

  return GDK_EVENT_PROPAGATE;
}

static void
on_emoji_picked (ConfabConversationView *self,
                 const char             *emoji)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text_view);

  gtk_text_buffer_insert_at_cursor (buffer, emoji, -1);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
on_root_changed (ConfabConversationView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (self->window != NULL)
    {
      g_clear_signal_handler (&self->active_id, self->window);
      g_clear_weak_pointer (&self->window);
    }

  if (GTK_IS_WINDOW (root))
    {
      g_set_weak_pointer (&self->window, GTK_WINDOW (root));
      self->active_id = g_signal_connect_swapped (root, "notify::is-active",
                                                  G_CALLBACK (on_window_active), self);
    }
}

static void
disconnect_conversation (ConfabConversationView *self)
{
  if (self->messages != NULL)
    {
      g_clear_signal_handler (&self->items_changed_id, self->messages);
      g_clear_signal_handler (&self->has_more_id, self->messages);
      g_clear_signal_handler (&self->loading_id, self->messages);
    }
  if (self->conversation != NULL)
    g_clear_signal_handler (&self->typing_id, self->conversation);

  if (self->session != NULL && self->conversation != NULL)
    confab_typing_set_typing (confab_typing_from_session (self->session),
                              confab_conversation_get_conv (self->conversation), FALSE);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->loading_older = FALSE;
  self->loading_newer = FALSE;
  self->seek = SEEK_NONE;
  self->first_unread = 0;
  self->found_id = 0;
  self->target_id = 0;

  gtk_no_selection_set_model (self->selection, NULL);
  g_clear_object (&self->messages);
  g_clear_object (&self->conversation);
  g_clear_object (&self->context_message);
  self->context = CONTEXT_NONE;
  gtk_revealer_set_reveal_child (self->context_revealer, FALSE);
}

static void
confab_conversation_view_dispose (GObject *object)
{
  ConfabConversationView *self = CONFAB_CONVERSATION_VIEW (object);

  disconnect_conversation (self);
  g_clear_handle_id (&self->mark_read_id, g_source_remove);
  g_clear_object (&self->mentions);
  if (self->scroll_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->scroll_tick_id);
      self->scroll_tick_id = 0;
    }
  if (self->seek_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->seek_tick_id);
      self->seek_tick_id = 0;
    }
  if (self->window != NULL)
    {
      g_clear_signal_handler (&self->active_id, self->window);
      g_clear_weak_pointer (&self->window);
    }
  g_clear_object (&self->session);
  g_clear_object (&self->selection);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_CONVERSATION_VIEW);

  G_OBJECT_CLASS (confab_conversation_view_parent_class)->dispose (object);
}

static void
confab_conversation_view_class_init (ConfabConversationViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_conversation_view_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-conversation-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, jump_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, typing_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, upload_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, context_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, context_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, context_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, context_body);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, emoji_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, text_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationView, send_button);
  gtk_widget_class_bind_template_callback (widget_class, on_emoji_picked);

  gtk_widget_class_install_action (widget_class, "view.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "view.attach", NULL, attach_action);
  gtk_widget_class_install_action (widget_class, "view.cancel-context", NULL,
                                   cancel_context_action);
  gtk_widget_class_install_action (widget_class, "view.scroll-to-end", NULL,
                                   scroll_to_end_action);
}

static void
confab_conversation_view_init (ConfabConversationView *self)
{
  GtkListItemFactory *factory;
  GtkEventController *key;
  GtkAdjustment *adj;

  g_type_ensure (CONFAB_TYPE_UPLOAD_LIST);
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_conversation_view_setup_files (self);

  self->settings = g_settings_new (APP_ID);
  self->stick_to_bottom = TRUE;

  self->selection = gtk_no_selection_new (NULL);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (factory_setup), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (factory_bind), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (factory_unbind), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  adj = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (on_vadjustment_value_changed),
                           self, 0);
  g_signal_connect_object (adj, "changed", G_CALLBACK (on_vadjustment_changed), self, 0);

  key = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (key, GTK_PHASE_CAPTURE);
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), key);
  self->mentions = confab_mention_completion_new (self->text_view);

  g_signal_connect_object (gtk_text_view_get_buffer (self->text_view), "changed",
                           G_CALLBACK (on_buffer_changed), self, 0);
  g_signal_connect (self, "notify::root", G_CALLBACK (on_root_changed), NULL);

  update_send_state (self);
  update_empty (self);
}

GtkWidget *
confab_conversation_view_new (void)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION_VIEW, NULL);
}

void
confab_conversation_view_set_session (ConfabConversationView *self,
                                      ConfabSession          *session)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_VIEW (self));

  if (self->session == session)
    return;

  /* Every row is unbound here; rows take the session again when they are bound. */
  disconnect_conversation (self);
  g_set_object (&self->session, session);
}

ConfabConversation *
confab_conversation_view_get_conversation (ConfabConversationView *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_VIEW (self), NULL);

  return self->conversation;
}

void
confab_conversation_view_set_conversation (ConfabConversationView *self,
                                           ConfabConversation     *conversation)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (!conversation || CONFAB_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  disconnect_conversation (self);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", -1);

  if (conversation != NULL && self->session != NULL)
    {
      self->conversation = g_object_ref (conversation);
      self->cancellable = g_cancellable_new ();
      self->read_up_to = 0;
      self->stick_to_bottom = TRUE;
      self->messages = confab_messaging_get_messages (get_messaging (self),
                                                      confab_conversation_get_conv (conversation));
      self->items_changed_id = g_signal_connect_after (self->messages, "items-changed",
                                                       G_CALLBACK (on_messages_changed), self);
      self->has_more_id = g_signal_connect_swapped (self->messages, "notify::has-more",
                                                    G_CALLBACK (on_messages_notify), self);
      self->loading_id = g_signal_connect_swapped (self->messages, "notify::loading",
                                                   G_CALLBACK (on_messages_notify), self);
      self->typing_id = g_signal_connect_swapped (conversation, "notify::typing-text",
                                                  G_CALLBACK (update_typing), self);
      self->seek = confab_conversation_get_unread (conversation) > 0 ? SEEK_UNREAD : SEEK_NONE;
      self->seek_pages = 0;
      self->unread_after = confab_conversation_get_last_read (conversation);
      gtk_no_selection_set_model (self->selection, G_LIST_MODEL (self->messages));
      if (self->seek != SEEK_NONE)
        {
          self->stick_to_bottom = FALSE;
          seek (self);
        }
      else
        scroll_to_end (self);
    }

  confab_upload_list_set_conv (self->upload_list, self->session,
                               self->conversation != NULL
                               ? confab_conversation_get_conv (self->conversation) : NULL);
  confab_mention_completion_set_room (self->mentions, self->session,
                                      conversation != NULL
                                      && confab_conversation_get_room (conversation) != NULL
                                      ? confab_room_get_id (confab_conversation_get_room (
                                                              conversation))
                                      : NULL);
  update_typing (self);
  update_empty (self);
  update_send_state (self);
  confab_conversation_view_mark_read (self);
}

void
confab_conversation_view_mark_read (ConfabConversationView *self)
{
  guint n;
  gint64 last_id = 0;

  g_return_if_fail (CONFAB_IS_CONVERSATION_VIEW (self));

  if (self->messages == NULL || self->session == NULL || self->window == NULL
      || !gtk_window_is_active (self->window) || !gtk_widget_get_mapped (GTK_WIDGET (self))
      || !self->stick_to_bottom)
    return;

  n = g_list_model_get_n_items (G_LIST_MODEL (self->messages));
  for (guint i = n; i > 0 && last_id == 0; i--)
    {
      g_autoptr(ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (self->messages),
                                                                i - 1);

      last_id = confab_message_get_id (message);
    }

  if (last_id <= self->read_up_to
      || (last_id <= confab_conversation_get_last_read (self->conversation)
          && confab_conversation_get_unread (self->conversation) == 0))
    return;

  self->read_up_to = last_id;
  confab_messaging_mark_read_async (get_messaging (self),
                                    confab_conversation_get_conv (self->conversation), last_id,
                                    self->cancellable, request_done_cb, g_object_ref (self));
}

gboolean
confab_conversation_view_get_seeking (ConfabConversationView *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_VIEW (self), FALSE);

  return self->seek != SEEK_NONE || self->seek_tick_id != 0;
}

void
confab_conversation_view_focus_composer (ConfabConversationView *self)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_VIEW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

void
confab_conversation_view_set_draft (ConfabConversationView *self,
                                    const char             *text)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_VIEW (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), text ? text : "", -1);
}

void
confab_conversation_view_send (ConfabConversationView *self)
{
  g_autofree char *text = NULL;
  const char *conv;
  char *body;

  g_return_if_fail (CONFAB_IS_CONVERSATION_VIEW (self));

  if (self->session == NULL || self->conversation == NULL)
    return;

  text = get_draft (self);
  body = g_strstrip (text);
  if (*body == '\0')
    return;

  conv = confab_conversation_get_conv (self->conversation);

  if (self->context == CONTEXT_EDIT && self->context_message != NULL)
    {
      if (g_strcmp0 (body, confab_message_get_body (self->context_message)) != 0)
        confab_messaging_edit_message_async (get_messaging (self),
                                             confab_message_get_id (self->context_message), body,
                                             self->cancellable, request_done_cb,
                                             g_object_ref (self));
    }
  else
    {
      gint64 reply_to = self->context == CONTEXT_REPLY && self->context_message
                        ? confab_message_get_id (self->context_message) : 0;

      confab_messaging_send_message_async (get_messaging (self), conv,
                                           body, "plain", reply_to,
                                           self->cancellable, send_message_cb,
                                           g_object_ref (self));
      confab_typing_set_typing (confab_typing_from_session (self->session), conv, FALSE);
    }

  /* Leaving edit mode clears the buffer; a reply's buffer is cleared here. */
  if (self->context == CONTEXT_EDIT)
    set_context (self, CONTEXT_NONE, NULL);
  else
    {
      set_context (self, CONTEXT_NONE, NULL);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), "", -1);
    }
  scroll_to_end (self);
}

void
confab_conversation_view_show_message (ConfabConversationView *self,
                                       gint64                  msg_id)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_VIEW (self));
  g_return_if_fail (msg_id > 0);

  if (self->messages == NULL)
    return;

  /* Far up the history, the window is read back from there. */
  self->seek = SEEK_MESSAGE;
  self->seek_id = msg_id;
  self->seek_pages = 0;
  self->stick_to_bottom = FALSE;
  seek (self);
}

gint64
confab_conversation_view_get_found (ConfabConversationView *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_VIEW (self), 0);

  return self->found_id;
}
