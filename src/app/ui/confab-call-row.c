/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-row"

#include "config.h"


#include "confab-call-row.h"
#include "confab-message.h"
#include "confab-ui-util.h"

/* A kind:"call" message in a conversation: one compact, centred line with an icon. */

struct _ConfabCallRow
{
  GtkWidget      parent_instance;

  ConfabMessage *message;
  GSignalGroup  *signals;
  gboolean       outgoing;

  GtkWidget     *outer_box;
  GtkLabel      *day_label;
  GtkWidget     *box;
  GtkImage      *icon;
  GtkLabel      *title_label;
  GtkLabel      *time_label;
};

G_DEFINE_FINAL_TYPE (ConfabCallRow, confab_call_row, GTK_TYPE_WIDGET)

static void
show_record (ConfabCallRow *self)
{
  JsonObject *record = self->message != NULL ? confab_message_get_call (self->message) : NULL;
  const char *icon_name = NULL;
  g_autofree char *title = confab_call_record_describe (record, self->outgoing, &icon_name);
  const char *result = NULL;

  if (record != NULL && json_object_has_member (record, "result"))
    result = json_object_get_string_member_with_default (record, "result", NULL);

  gtk_label_set_label (self->title_label, title);
  gtk_image_set_from_icon_name (self->icon, icon_name);
  if (g_strcmp0 (result, "answered") != 0 && record != NULL && !self->outgoing)
    gtk_widget_add_css_class (self->box, "missed");
  else
    gtk_widget_remove_css_class (self->box, "missed");
}

static void
confab_call_row_dispose (GObject *object)
{
  ConfabCallRow *self = CONFAB_CALL_ROW (object);

  confab_call_row_unbind (self);
  g_clear_object (&self->signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_CALL_ROW);

  G_OBJECT_CLASS (confab_call_row_parent_class)->dispose (object);
}

static void
confab_call_row_class_init (ConfabCallRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_call_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/confab-call-row.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "callrow");
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, outer_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, time_label);
}

static void
confab_call_row_init (ConfabCallRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->signals = g_signal_group_new (CONFAB_TYPE_MESSAGE);
  g_signal_group_connect_swapped (self->signals, "notify::call", G_CALLBACK (show_record), self);
}

GtkWidget *
confab_call_row_new (void)
{
  return g_object_new (CONFAB_TYPE_CALL_ROW, NULL);
}

void
confab_call_row_bind (ConfabCallRow *self,
                      ConfabMessage *message,
                      ConfabMessage *previous,
                      const char    *own_username)
{
  g_autofree char *time = NULL;
  gboolean new_day;

  g_return_if_fail (CONFAB_IS_CALL_ROW (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  confab_call_row_unbind (self);
  self->message = g_object_ref (message);
  g_signal_group_set_target (self->signals, message);
  /* The caller is the message's sender. */
  self->outgoing = g_strcmp0 (confab_message_get_sender (message), own_username) == 0;

  new_day = previous == NULL
            || !confab_same_day (confab_message_get_ts (previous), confab_message_get_ts (message));
  gtk_widget_set_visible (GTK_WIDGET (self->day_label), new_day);
  if (new_day)
    {
      g_autofree char *day = confab_format_day (confab_message_get_ts (message));

      gtk_label_set_label (self->day_label, day);
    }

  time = confab_format_clock (confab_message_get_ts (message));
  gtk_label_set_label (self->time_label, time);
  show_record (self);
}

void
confab_call_row_unbind (ConfabCallRow *self)
{
  g_return_if_fail (CONFAB_IS_CALL_ROW (self));

  if (self->signals != NULL)
    g_signal_group_set_target (self->signals, NULL);
  g_clear_object (&self->message);
}
