/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-conversation-row"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-avatar.h"
#include "confab-conversation-row.h"
#include "confab-conversation.h"
#include "confab-profiles.h"
#include "confab-session.h"
#include "confab-ui-util.h"

/* More than the preview's one ellipsized line can show (max-width-chars 26). */
#define PREVIEW_CHARS 120

enum {
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

struct _ConfabConversationRow
{
  GtkWidget           parent_instance;

  ConfabConversation *conversation;
  ConfabSession      *session;   /* weak */
  GSignalGroup       *signals;

  GtkWidget          *box;
  AdwAvatar          *avatar;
  GtkWidget          *presence_dot;
  GtkLabel           *title_label;
  GtkLabel           *time_label;
  GtkLabel           *preview_label;
  GtkWidget          *muted_icon;
  GtkLabel           *unread_label;
  GtkWidget          *mention_label;
};

G_DEFINE_FINAL_TYPE (ConfabConversationRow, confab_conversation_row, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];

/* A room's last message names its sender: "Alice: see you at ten". */
static char *
room_preview (ConfabConversationRow *self,
              const char            *preview)
{
  const char *sender = confab_conversation_get_last_message_sender (self->conversation);
  const char *name;

  if (confab_conversation_get_kind (self->conversation) != CONFAB_CONVERSATION_ROOM
      || sender == NULL || preview == NULL || preview[0] == '\0' || self->session == NULL)
    return NULL;
  if (g_strcmp0 (sender, confab_session_get_username (self->session)) == 0)
    name = _("You");
  else
    name = confab_contact_get_display_name (confab_profiles_get_contact (
                                              confab_profiles_from_session (self->session),
                                              sender));
  /* Translators: a room's last message in the sidebar, "Alice: see you at ten". */
  return g_strdup_printf (C_("last message", "%s: %s"), name, preview);
}

static void
update_all (ConfabConversationRow *self)
{
  ConfabConversation *conv = self->conversation;
  ConfabPresence presence;
  const char *typing;
  g_autofree char *time = NULL;
  g_autofree char *unread = NULL;
  g_autoptr(GString) accessible = NULL;
  guint n_unread, n_mentions;

  if (conv == NULL)
    return;

  adw_avatar_set_text (self->avatar, confab_conversation_get_title (conv));
  confab_avatar_follow (self->avatar, self->session, confab_conversation_get_peer_contact (conv));
  gtk_label_set_label (self->title_label, confab_conversation_get_title (conv));

  time = confab_format_time_short (confab_conversation_get_last_message_time (conv));
  gtk_label_set_label (self->time_label, time);

  typing = confab_conversation_get_typing_text (conv);
  if (typing != NULL)
    {
      gtk_label_set_label (self->preview_label, typing);
      gtk_widget_add_css_class (GTK_WIDGET (self->preview_label), "accent");
    }
  else
    {
      g_autofree char *preview =
        confab_text_head (confab_conversation_get_last_message_preview (conv), PREVIEW_CHARS);

      g_autofree char *with_sender = room_preview (self, preview);

      gtk_label_set_label (self->preview_label, with_sender ? with_sender
                                                : preview ? preview : "");
      gtk_widget_remove_css_class (GTK_WIDGET (self->preview_label), "accent");
    }

  n_mentions = confab_conversation_get_mentions_unread (conv);
  gtk_widget_set_visible (self->mention_label, n_mentions > 0);
  n_unread = confab_conversation_get_unread (conv);
  unread = n_unread > 999 ? g_strdup ("999+") : g_strdup_printf ("%u", n_unread);
  gtk_label_set_label (self->unread_label, unread);
  gtk_widget_set_visible (GTK_WIDGET (self->unread_label), n_unread > 0);
  gtk_widget_set_visible (self->muted_icon, confab_conversation_get_muted (conv));
  if (confab_conversation_get_muted (conv))
    gtk_widget_add_css_class (GTK_WIDGET (self->unread_label), "muted");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->unread_label), "muted");
  if (n_unread > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "unread");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->title_label), "unread");

  presence = confab_conversation_get_peer_presence (conv);
  gtk_widget_set_visible (self->presence_dot,
                          confab_conversation_get_kind (conv) == CONFAB_CONVERSATION_DM
                          && presence != CONFAB_PRESENCE_OFFLINE);
  for (guint p = CONFAB_PRESENCE_OFFLINE; p <= CONFAB_PRESENCE_INVISIBLE; p++)
    gtk_widget_remove_css_class (self->presence_dot, confab_presence_css_class (p));
  gtk_widget_add_css_class (self->presence_dot, confab_presence_css_class (presence));
  gtk_widget_set_tooltip_text (self->presence_dot, confab_presence_label (presence));

  /* The row in words: name, unread count (and a mention), status, muted, time and the last
   * message. */
  accessible = g_string_new (NULL);
  if (n_unread > 0 && n_mentions > 0)
    g_string_append_printf (accessible, g_dngettext (GETTEXT_PACKAGE,
                                                     "%s, %u unread message, you are mentioned",
                                                     "%s, %u unread messages, you are mentioned",
                                                     n_unread),
                            confab_conversation_get_title (conv), n_unread);
  else if (n_unread > 0)
    g_string_append_printf (accessible, g_dngettext (GETTEXT_PACKAGE, "%s, %u unread message",
                                                     "%s, %u unread messages", n_unread),
                            confab_conversation_get_title (conv), n_unread);
  else
    g_string_append (accessible, confab_conversation_get_title (conv));
  if (gtk_widget_get_visible (self->presence_dot))
    g_string_append_printf (accessible, ", %s", confab_presence_label (presence));
  if (confab_conversation_get_muted (conv))
    g_string_append_printf (accessible, ", %s", _("Muted"));
  if (time != NULL && time[0] != '\0')
    g_string_append_printf (accessible, ", %s", time);
  if (gtk_label_get_label (self->preview_label)[0] != '\0')
    g_string_append_printf (accessible, ", %s", gtk_label_get_label (self->preview_label));
  confab_set_row_label (GTK_WIDGET (self), accessible->str);
}

static void
on_conversation_notify (ConfabConversationRow *self)
{
  update_all (self);
}

static void
confab_conversation_row_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_row_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      confab_conversation_row_set_conversation (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_row_dispose (GObject *object)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  if (self->signals != NULL)
    g_signal_group_set_target (self->signals, NULL);
  g_clear_object (&self->signals);
  g_clear_object (&self->conversation);
  g_clear_weak_pointer (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_CONVERSATION_ROW);

  G_OBJECT_CLASS (confab_conversation_row_parent_class)->dispose (object);
}

static void
confab_conversation_row_class_init (ConfabConversationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_conversation_row_get_property;
  object_class->set_property = confab_conversation_row_set_property;
  object_class->dispose = confab_conversation_row_dispose;

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, CONFAB_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, presence_dot);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, preview_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, muted_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, unread_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, mention_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "conversationrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
confab_conversation_row_init (ConfabConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->signals = g_signal_group_new (CONFAB_TYPE_CONVERSATION);
  g_signal_group_connect_swapped (self->signals, "notify",
                                  G_CALLBACK (on_conversation_notify), self);
}

GtkWidget *
confab_conversation_row_new (void)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION_ROW, NULL);
}

ConfabConversation *
confab_conversation_row_get_conversation (ConfabConversationRow *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ROW (self), NULL);

  return self->conversation;
}

void
confab_conversation_row_set_conversation (ConfabConversationRow *self,
                                          ConfabConversation    *conversation)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_ROW (self));
  g_return_if_fail (!conversation || CONFAB_IS_CONVERSATION (conversation));

  if (!g_set_object (&self->conversation, conversation))
    return;

  g_signal_group_set_target (self->signals, conversation);
  update_all (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

void
confab_conversation_row_set_session (ConfabConversationRow *self,
                                     ConfabSession         *session)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_ROW (self));

  g_set_weak_pointer (&self->session, session);
}
