/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-message-row"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-message-row.h"
#include "confab-message-list.h"
#include "confab-message-text.h"
#include "confab-message.h"
#include "confab-profiles.h"
#include "confab-room-rows.h"
#include "confab-seen-by-label.h"
#include "confab-attachments-box.h"
#include "confab-avatar.h"
#include "confab-reactions-box.h"
#include "confab-session.h"
#include "confab-ui-util.h"

/* Messages of one sender closer than this share one header. */
#define GROUP_GAP_MS (5 * 60 * 1000)
/* More than the quote's one ellipsized line can show (max-width-chars 40). */
#define QUOTE_CHARS 120

enum {
  ACTION,
  REACT,
  N_SIGNALS
};

/* The quick reactions of the message menu. */
static const char * const quick_reactions[] = { "👍", "❤️", "😂", "🎉", "😮", "😢" };

struct _ConfabMessageRow
{
  GtkWidget          parent_instance;

  ConfabSession     *session;  /* weak: the view outlives its rows */
  ConfabMessage     *message;
  ConfabMessageList *list;
  GSignalGroup      *signals;
  GSignalGroup      *sender_signals;  /* the sender's ConfabContact */
  gboolean           show_header;

  GtkWidget         *outer_box;
  GtkLabel          *day_label;
  GtkWidget         *new_divider;
  GtkWidget         *main_box;
  AdwAvatar         *avatar;
  GtkWidget         *column;
  GtkLabel          *sender_label;
  GtkWidget         *bubble;
  GtkWidget         *reply_box;
  GtkLabel          *reply_sender_label;
  GtkLabel          *reply_body_label;
  ConfabMessageText *body_text;
  GtkWidget         *meta_box;
  GtkWidget         *edited_label;
  GtkLabel          *time_label;
  GtkImage          *state_icon;
  ConfabReactionsBox *reactions_box;
  ConfabAttachmentsBox *attachments_box;
  GtkWidget         *failed_box;
  ConfabSeenByLabel *seen_by;
  GMenuModel        *context_menu;
  GtkWidget         *popover;
  GtkWidget         *emoji_chooser;
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabMessageRow, confab_message_row, GTK_TYPE_WIDGET)

static ConfabProfiles *
get_profiles (ConfabMessageRow *self)
{
  return confab_profiles_from_session (self->session);
}

static gboolean
is_own (ConfabMessageRow *self)
{
  return self->message != NULL && self->session != NULL
         && g_strcmp0 (confab_message_get_sender (self->message),
                       confab_session_get_username (self->session)) == 0;
}

static const char *
display_name_for (ConfabMessageRow *self,
                  const char       *username)
{
  ConfabContact *contact;

  if (self->session == NULL || username == NULL)
    return username;

  contact = confab_profiles_get_contact (get_profiles (self), username);
  return contact ? confab_contact_get_display_name (contact) : username;
}

/* The row in words: time, sender, text, and for one's own messages whether it went out. */
static void
update_label (ConfabMessageRow *self)
{
  g_autoptr(GString) label = g_string_new (NULL);
  const char *state = gtk_widget_get_visible (GTK_WIDGET (self->state_icon))
                      ? gtk_widget_get_tooltip_text (GTK_WIDGET (self->state_icon)) : NULL;

  g_string_append_printf (label, "%s, %s: %s", gtk_label_get_label (self->time_label),
                          display_name_for (self, confab_message_get_sender (self->message)),
                          confab_message_text_get_text (self->body_text));
  if (gtk_widget_get_visible (self->edited_label))
    g_string_append_printf (label, ", %s", gtk_label_get_label (GTK_LABEL (self->edited_label)));
  if (state != NULL)
    g_string_append_printf (label, ", %s", state);
  confab_set_row_label (GTK_WIDGET (self), label->str);
}

static void
update_state (ConfabMessageRow *self)
{
  ConfabMessageState state = confab_message_get_state (self->message);
  gboolean own = is_own (self);
  gboolean deleted = confab_message_get_deleted (self->message);
  const char *icon = NULL;
  const char *tooltip = NULL;

  gtk_widget_set_visible (self->failed_box, own && state == CONFAB_MESSAGE_STATE_FAILED);

  if (own)
    {
      switch (state)
        {
        case CONFAB_MESSAGE_STATE_SENDING:
          icon = "confab-sending-symbolic";
          tooltip = _("Sending");
          break;
        case CONFAB_MESSAGE_STATE_SENT:
          icon = "confab-sent-symbolic";
          tooltip = _("Sent");
          break;
        case CONFAB_MESSAGE_STATE_READ:
          icon = "confab-read-symbolic";
          tooltip = _("Read");
          break;
        case CONFAB_MESSAGE_STATE_FAILED:
        default:
          icon = "dialog-error-symbolic";
          tooltip = _("Not sent");
          break;
        }
    }

  gtk_widget_set_visible (GTK_WIDGET (self->state_icon), icon != NULL);
  if (icon != NULL)
    {
      gtk_image_set_from_icon_name (self->state_icon, icon);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_icon), tooltip);
    }
  update_label (self);

  if (state == CONFAB_MESSAGE_STATE_SENDING)
    gtk_widget_add_css_class (self->bubble, "sending");
  else
    gtk_widget_remove_css_class (self->bubble, "sending");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.edit",
                                 own && !deleted && confab_message_get_id (self->message) > 0
                                 && g_strcmp0 (confab_message_get_kind (self->message),
                                               "text") == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.delete",
                                 own && !deleted && confab_message_get_id (self->message) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.reply",
                                 !deleted && confab_message_get_id (self->message) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.copy", !deleted);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.profile",
                                 g_strcmp0 (confab_message_get_kind (self->message), "text") == 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.react",
                                 !deleted && confab_message_get_id (self->message) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.add-reaction",
                                 !deleted && confab_message_get_id (self->message) > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.retry",
                                 state == CONFAB_MESSAGE_STATE_FAILED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.discard",
                                 state == CONFAB_MESSAGE_STATE_FAILED);
}

static void
update_body (ConfabMessageRow *self)
{
  ConfabMessage *msg = self->message;
  gint64 reply_to = confab_message_get_reply_to (msg);
  g_autofree char *time = NULL;

  if (confab_message_get_deleted (msg))
    {
      confab_message_text_set_text (self->body_text, _("This message was deleted."));
      gtk_widget_add_css_class (GTK_WIDGET (self->body_text), "deleted");
    }
  else
    {
      g_autofree char *system = NULL;

      if (confab_message_get_system (msg) != NULL)
        system = confab_room_system_text (confab_message_get_system (msg),
                                          confab_message_get_sender (msg),
                                          (ConfabRoomNameFunc) display_name_for, self);
      confab_message_text_set_text (self->body_text,
                                    system != NULL ? system : confab_message_get_body (msg));
      gtk_widget_remove_css_class (GTK_WIDGET (self->body_text), "deleted");
    }

  confab_attachments_box_update (self->attachments_box, msg, self->session, self->list);
  /* A file sent without a caption has no text to show. */
  gtk_widget_set_visible (GTK_WIDGET (self->body_text),
                          confab_message_get_deleted (msg)
                          || confab_message_get_attachments (msg) == NULL
                          || confab_message_get_body (msg)[0] != '\0');
  gtk_widget_set_visible (self->edited_label,
                          confab_message_get_edited (msg) && !confab_message_get_deleted (msg));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.open-link",
                                 !confab_message_get_deleted (msg)
                                 && confab_message_text_get_n_links (self->body_text) > 0);

  time = confab_format_clock (confab_message_get_ts (msg));
  gtk_label_set_label (self->time_label, time);

  gtk_widget_set_visible (self->reply_box, reply_to > 0);
  if (reply_to > 0)
    {
      ConfabMessage *original = self->list ? confab_message_list_lookup (self->list, reply_to)
                                           : NULL;

      if (original != NULL)
        {
          g_autofree char *quote = confab_text_head (confab_message_get_body (original),
                                                     QUOTE_CHARS);

          gtk_label_set_label (self->reply_sender_label,
                               display_name_for (self, confab_message_get_sender (original)));
          gtk_label_set_label (self->reply_body_label,
                               confab_message_get_deleted (original)
                               ? _("This message was deleted.") : quote);
        }
      else
        {
          gtk_label_set_label (self->reply_sender_label, _("Reply"));
          gtk_label_set_label (self->reply_body_label, _("An earlier message"));
        }
    }

  update_label (self);
}

static void
update_reactions (ConfabMessageRow *self)
{
  confab_reactions_box_update (self->reactions_box, self->message, self->session);
  gtk_widget_set_halign (GTK_WIDGET (self->reactions_box), gtk_widget_get_halign (self->bubble));
}

/* The sender's name follows their profile: known later than the message, or changed. */
static void
update_sender (ConfabMessageRow *self)
{
  const char *name;

  if (self->message == NULL || is_own (self))
    return;
  name = display_name_for (self, confab_message_get_sender (self->message));
  adw_avatar_set_text (self->avatar, name);
  gtk_label_set_label (self->sender_label, name);
  update_body (self);
}

static void
on_message_notify (ConfabMessageRow *self,
                   GParamSpec       *pspec)
{
  if (self->message == NULL)
    return;

  if (g_str_equal (pspec->name, "state") || g_str_equal (pspec->name, "id")
      || g_str_equal (pspec->name, "deleted"))
    update_state (self);
  if (g_str_equal (pspec->name, "reactions") || g_str_equal (pspec->name, "deleted"))
    update_reactions (self);
  update_body (self);
}

static void
emit_action (ConfabMessageRow *self,
             const char       *name)
{
  if (self->message != NULL)
    g_signal_emit (self, signals[ACTION], 0, name, self->message);
}

static void
message_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);
  const char *name = strchr (action_name, '.') + 1;

  /* From the keyboard (the menu): the message's first link. */
  if (g_str_equal (name, "open-link"))
    {
      if (confab_message_text_get_n_links (self->body_text) > 0)
        confab_message_text_activate_link (self->body_text, 0);
      return;
    }

  if (g_str_equal (name, "copy"))
    {
      if (self->message != NULL)
        gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                                confab_message_get_body (self->message));
      return;
    }

  emit_action (self, name);
}

/* Toggles the own reaction @emoji: ::react with on when one has not reacted with it yet. */
static void
toggle_reaction (ConfabMessageRow *self,
                 const char       *emoji)
{
  g_auto(GStrv) users = NULL;
  gboolean own;

  if (self->message == NULL || self->session == NULL || confab_message_get_id (self->message) <= 0)
    return;

  users = confab_message_dup_reaction_users (self->message, emoji);
  own = g_strv_contains ((const char * const *) users,
                         confab_session_get_username (self->session));
  if (self->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  g_signal_emit (self, signals[REACT], 0, self->message, emoji, !own);
}

static void
react_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  toggle_reaction (CONFAB_MESSAGE_ROW (widget), g_variant_get_string (param, NULL));
}

static void
on_emoji_picked (ConfabMessageRow *self,
                 const char       *emoji)
{
  g_auto(GStrv) users = NULL;

  if (self->message == NULL || self->session == NULL)
    return;
  users = confab_message_dup_reaction_users (self->message, emoji);
  /* Picking an emoji adds it; it never takes one's reaction away. */
  if (!g_strv_contains ((const char * const *) users, confab_session_get_username (self->session)))
    g_signal_emit (self, signals[REACT], 0, self->message, emoji, TRUE);
}

static void
add_reaction_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  if (self->emoji_chooser == NULL)
    {
      self->emoji_chooser = gtk_emoji_chooser_new ();
      gtk_widget_set_parent (self->emoji_chooser, GTK_WIDGET (self));
      g_signal_connect_swapped (self->emoji_chooser, "emoji-picked",
                                G_CALLBACK (on_emoji_picked), self);
    }
  gtk_popover_popup (GTK_POPOVER (self->emoji_chooser));
}

static GtkWidget *
quick_reactions_bar (void)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);

  gtk_widget_add_css_class (bar, "quick-reactions");
  gtk_widget_set_halign (bar, GTK_ALIGN_CENTER);
  for (guint i = 0; i < G_N_ELEMENTS (quick_reactions); i++)
    {
      GtkWidget *button = gtk_button_new_with_label (quick_reactions[i]);
      /* Translators: a quick reaction button; %s is an emoji. */
      g_autofree char *label = g_strdup_printf (_("React with %s"), quick_reactions[i]);

      gtk_widget_add_css_class (button, "flat");
      gtk_widget_add_css_class (button, "circular");
      gtk_widget_set_tooltip_text (button, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "message.react");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", quick_reactions[i]);
      gtk_box_append (GTK_BOX (bar), button);
    }
  return bar;
}

static void
show_context_menu (ConfabMessageRow *self,
                   double            x,
                   double            y)
{
  GdkRectangle rect = { (int) x, (int) y, 1, 1 };

  if (self->message == NULL || confab_message_get_deleted (self->message))
    return;

  if (self->popover == NULL)
    {
      self->popover = gtk_popover_menu_new_from_model (self->context_menu);
      gtk_popover_menu_add_child (GTK_POPOVER_MENU (self->popover), quick_reactions_bar (),
                                  "quick-reactions");
      gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
      gtk_popover_set_has_arrow (GTK_POPOVER (self->popover), FALSE);
      gtk_widget_set_halign (self->popover, GTK_ALIGN_START);
    }

  gtk_popover_set_pointing_to (GTK_POPOVER (self->popover), &rect);
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

static void
on_click_pressed (GtkGestureClick  *gesture,
                  int               n_press,
                  double            x,
                  double            y,
                  ConfabMessageRow *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  show_context_menu (self, x, y);
}

static void
on_long_pressed (GtkGestureLongPress *gesture,
                 double               x,
                 double               y,
                 ConfabMessageRow    *self)
{
  show_context_menu (self, x, y);
}

static void
context_menu_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  show_context_menu (CONFAB_MESSAGE_ROW (widget), width / 2.0, height / 2.0);
}

/* A click on the sender's avatar or name shows their profile. */
static void
on_sender_clicked (GtkGestureClick  *gesture,
                   int               n_press,
                   double            x,
                   double            y,
                   ConfabMessageRow *self)
{
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  emit_action (self, "profile");
}

static void
add_profile_click (ConfabMessageRow *self,
                   GtkWidget        *widget)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "released", G_CALLBACK (on_sender_clicked), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));
  gtk_widget_set_cursor_from_name (widget, "pointer");
}

static void
confab_message_row_size_allocate (GtkWidget *widget,
                                  int        width,
                                  int        height,
                                  int        baseline)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  GTK_WIDGET_CLASS (confab_message_row_parent_class)->size_allocate (widget, width, height,
                                                                     baseline);
  if (self->popover != NULL)
    gtk_popover_present (GTK_POPOVER (self->popover));
  if (self->emoji_chooser != NULL)
    gtk_popover_present (GTK_POPOVER (self->emoji_chooser));
}

static void
confab_message_row_dispose (GObject *object)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  if (self->signals != NULL)
    g_signal_group_set_target (self->signals, NULL);
  g_clear_object (&self->signals);
  if (self->sender_signals != NULL)
    g_signal_group_set_target (self->sender_signals, NULL);
  g_clear_object (&self->sender_signals);
  g_clear_object (&self->message);
  g_clear_object (&self->list);
  g_clear_weak_pointer (&self->session);
  g_clear_pointer (&self->popover, gtk_widget_unparent);
  g_clear_pointer (&self->emoji_chooser, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_MESSAGE_ROW);

  G_OBJECT_CLASS (confab_message_row_parent_class)->dispose (object);
}

static void
confab_message_row_class_init (ConfabMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_message_row_dispose;
  widget_class->size_allocate = confab_message_row_size_allocate;

  /**
   * ConfabMessageRow::action:
   * @name: "reply", "edit", "delete", "retry", "discard" or "profile" (the sender's)
   * @message: the message of the row
   */
  signals[ACTION] = g_signal_new ("action", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                  G_TYPE_STRING, CONFAB_TYPE_MESSAGE);
  /**
   * ConfabMessageRow::react:
   * @message: the message of the row
   * @emoji: the reaction
   * @on: whether to add it or take it away
   */
  signals[REACT] = g_signal_new ("react", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                 CONFAB_TYPE_MESSAGE, G_TYPE_STRING, G_TYPE_BOOLEAN);

  g_type_ensure (CONFAB_TYPE_MESSAGE_TEXT);
  g_type_ensure (CONFAB_TYPE_SEEN_BY_LABEL);
  g_type_ensure (CONFAB_TYPE_REACTIONS_BOX);
  g_type_ensure (CONFAB_TYPE_ATTACHMENTS_BOX);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, outer_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, new_divider);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, main_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, seen_by);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, column);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, sender_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, reply_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, reply_sender_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, reply_body_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, body_text);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, meta_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, edited_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, state_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, reactions_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, attachments_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, failed_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, context_menu);

  gtk_widget_class_install_action (widget_class, "message.reply", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.copy", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.open-link", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.profile", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.react", "s", react_action);
  gtk_widget_class_install_action (widget_class, "message.add-reaction", NULL,
                                   add_reaction_action);
  gtk_widget_class_install_action (widget_class, "message.edit", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.delete", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.retry", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.discard", NULL, message_action);
  gtk_widget_class_install_action (widget_class, "message.context-menu", NULL,
                                   context_menu_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK,
                                       "message.context-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0,
                                       "message.context-menu", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "messagerow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
confab_message_row_init (ConfabMessageRow *self)
{
  GtkGesture *click;
  GtkGesture *long_press;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->signals = g_signal_group_new (CONFAB_TYPE_MESSAGE);
  g_signal_group_connect_swapped (self->signals, "notify", G_CALLBACK (on_message_notify), self);
  self->sender_signals = g_signal_group_new (CONFAB_TYPE_CONTACT);
  g_signal_group_connect_swapped (self->sender_signals, "notify::display-name",
                                  G_CALLBACK (update_sender), self);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_click_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  add_profile_click (self, GTK_WIDGET (self->avatar));
  add_profile_click (self, GTK_WIDGET (self->sender_label));

  long_press = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect (long_press, "pressed", G_CALLBACK (on_long_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (long_press));
}

GtkWidget *
confab_message_row_new (void)
{
  return g_object_new (CONFAB_TYPE_MESSAGE_ROW, NULL);
}

ConfabMessage *
confab_message_row_get_message (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);

  return self->message;
}

void
confab_message_row_bind (ConfabMessageRow  *self,
                         ConfabSession     *session,
                         ConfabMessage     *message,
                         ConfabMessage     *previous,
                         ConfabMessageList *list)
{
  gboolean new_day;
  gboolean own;
  const char *sender;

  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  g_set_weak_pointer (&self->session, session);
  g_set_object (&self->message, message);
  g_set_object (&self->list, list);
  g_signal_group_set_target (self->signals, message);

  sender = confab_message_get_sender (message);
  own = is_own (self);
  new_day = previous == NULL
            || !confab_same_day (confab_message_get_ts (previous), confab_message_get_ts (message));
  self->show_header = new_day
                      || g_strcmp0 (confab_message_get_sender (previous), sender) != 0
                      || g_strcmp0 (confab_message_get_kind (previous), "text") != 0
                      || confab_message_get_ts (message) - confab_message_get_ts (previous)
                      > GROUP_GAP_MS;

  gtk_widget_set_visible (GTK_WIDGET (self->day_label), new_day);
  if (new_day)
    {
      g_autofree char *day = confab_format_day (confab_message_get_ts (message));

      gtk_label_set_label (self->day_label, day);
    }

  if (self->show_header)
    gtk_widget_add_css_class (GTK_WIDGET (self), "group-start");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "group-start");

  if (own)
    {
      gtk_widget_add_css_class (self->bubble, "own");
      gtk_widget_set_visible (GTK_WIDGET (self->avatar), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->sender_label), FALSE);
      gtk_widget_set_halign (self->bubble, GTK_ALIGN_END);
    }
  else
    {
      const char *name = display_name_for (self, sender);

      gtk_widget_remove_css_class (self->bubble, "own");
      gtk_widget_set_visible (GTK_WIDGET (self->avatar), TRUE);
      gtk_widget_set_opacity (GTK_WIDGET (self->avatar), self->show_header ? 1.0 : 0.0);
      adw_avatar_set_text (self->avatar, name);
      confab_avatar_follow (self->avatar, self->session,
                            self->session != NULL && sender != NULL
                            ? confab_profiles_get_contact (get_profiles (self), sender) : NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->sender_label), self->show_header);
      gtk_label_set_label (self->sender_label, name);
      gtk_widget_set_halign (self->bubble, GTK_ALIGN_START);
    }
  g_signal_group_set_target (self->sender_signals,
                             !own && self->session != NULL && sender != NULL
                             ? confab_profiles_get_contact (get_profiles (self), sender) : NULL);

  if (g_strcmp0 (confab_message_get_kind (message), "text") != 0)
    gtk_widget_add_css_class (self->bubble, "system");
  else
    gtk_widget_remove_css_class (self->bubble, "system");
  /* A room's system line ("Alice added Bob") stands alone in the middle, nobody's message. */
  if (g_strcmp0 (confab_message_get_kind (message), "system") == 0)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->avatar), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->sender_label), FALSE);
      gtk_widget_set_halign (self->bubble, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (self->bubble, "system-line");
    }
  else
    gtk_widget_remove_css_class (self->bubble, "system-line");
  if (!own && self->session != NULL
      && confab_message_mentions (message, confab_session_get_username (self->session)))
    gtk_widget_add_css_class (self->bubble, "mention");
  else
    gtk_widget_remove_css_class (self->bubble, "mention");
  confab_seen_by_label_bind (self->seen_by, self->session, message);

  update_body (self);
  update_state (self);
  update_reactions (self);
}

void
confab_message_row_unbind (ConfabMessageRow *self)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  g_signal_group_set_target (self->signals, NULL);
  g_signal_group_set_target (self->sender_signals, NULL);
  confab_seen_by_label_unbind (self->seen_by);
  g_clear_object (&self->message);
  g_clear_object (&self->list);
  confab_reactions_box_update (self->reactions_box, NULL, NULL);
  if (self->popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->popover));
  if (self->emoji_chooser != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->emoji_chooser));
}

void
confab_message_row_set_first_unread (ConfabMessageRow *self,
                                     gboolean          first_unread)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  gtk_widget_set_visible (self->new_divider, first_unread);
}

gboolean
confab_message_row_get_first_unread (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), FALSE);

  return gtk_widget_get_visible (self->new_divider);
}

void
confab_message_row_set_found (ConfabMessageRow *self,
                              gboolean          found)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  if (found)
    gtk_widget_add_css_class (self->bubble, "found");
  else
    gtk_widget_remove_css_class (self->bubble, "found");
}
