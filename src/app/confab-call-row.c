/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-row"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-call-row.h"
#include "confab-ui-util.h"

/* A kind:"call" message in a conversation: one compact, centred line with an icon. */

struct _ConfabCallRow
{
  GtkWidget      parent_instance;

  ConfabMessage *message;
  GCancellable  *cancellable;
  gboolean       outgoing;

  GtkWidget     *box;
  GtkImage      *icon;
  GtkLabel      *title_label;
  GtkLabel      *time_label;
};

G_DEFINE_FINAL_TYPE (ConfabCallRow, confab_call_row, GTK_TYPE_WIDGET)

static void
show_record (ConfabCallRow *self,
             JsonObject    *record)
{
  const char *icon_name = NULL;
  g_autofree char *title = confab_call_row_describe (record, self->outgoing, &icon_name);
  const char *result = record != NULL
                       ? json_object_get_string_member_with_default (record, "result", "")
                       : "";

  gtk_label_set_label (self->title_label, title);
  gtk_image_set_from_icon_name (self->icon, icon_name);
  if (g_strcmp0 (result, "answered") != 0 && record != NULL && !self->outgoing)
    gtk_widget_add_css_class (self->box, "missed");
  else
    gtk_widget_remove_css_class (self->box, "missed");
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(ConfabCallRow) self = user_data;
  g_autoptr(JsonObject) record = NULL;
  g_autoptr(GError) error = NULL;

  record = confab_call_manager_lookup_record_finish (CONFAB_CALL_MANAGER (object), result, &error);
  if (record == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No details of a call record: %s", error->message);
      return;
    }

  show_record (self, record);
}

static void
confab_call_row_dispose (GObject *object)
{
  ConfabCallRow *self = CONFAB_CALL_ROW (object);

  confab_call_row_unbind (self);
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
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, box);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallRow, time_label);
}

static void
confab_call_row_init (ConfabCallRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_call_row_new (void)
{
  return g_object_new (CONFAB_TYPE_CALL_ROW, NULL);
}

void
confab_call_row_bind (ConfabCallRow     *self,
                      ConfabMessage     *message,
                      ConfabCallManager *manager,
                      const char        *own_username)
{
  g_autofree char *time = NULL;
  JsonObject *record = NULL;

  g_return_if_fail (CONFAB_IS_CALL_ROW (self));
  g_return_if_fail (CONFAB_IS_MESSAGE (message));
  g_return_if_fail (manager == NULL || CONFAB_IS_CALL_MANAGER (manager));

  confab_call_row_unbind (self);
  self->message = g_object_ref (message);
  /* The caller is the message's sender. */
  self->outgoing = g_strcmp0 (confab_message_get_sender (message), own_username) == 0;

  time = confab_format_clock (confab_message_get_ts (message));
  gtk_label_set_label (self->time_label, time);

  if (manager != NULL && confab_message_get_id (message) > 0)
    record = confab_call_manager_peek_record (manager, confab_message_get_id (message));
  show_record (self, record);

  if (record == NULL && manager != NULL && confab_message_get_id (message) > 0)
    {
      self->cancellable = g_cancellable_new ();
      confab_call_manager_lookup_record_async (manager, confab_message_get_conv (message),
                                               confab_message_get_id (message),
                                               self->cancellable, lookup_cb, g_object_ref (self));
    }
}

void
confab_call_row_unbind (ConfabCallRow *self)
{
  g_return_if_fail (CONFAB_IS_CALL_ROW (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->message);
}

char *
confab_call_format_duration (guint64 seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", seconds / 3600,
                            (guint) (seconds / 60 % 60), (guint) (seconds % 60));
  return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u", seconds / 60, (guint) (seconds % 60));
}

char *
confab_call_row_describe (JsonObject  *record,
                          gboolean     outgoing,
                          const char **icon_name)
{
  const char *result;
  JsonObject *media;
  gboolean video = FALSE;
  const char *icon;
  char *text;

  if (record == NULL)
    {
      if (icon_name != NULL)
        *icon_name = "call-start-symbolic";
      return g_strdup (_("Call"));
    }

  result = json_object_get_string_member_with_default (record, "result", "");
  media = json_object_has_member (record, "media")
          && JSON_NODE_HOLDS_OBJECT (json_object_get_member (record, "media"))
          ? json_object_get_object_member (record, "media") : NULL;
  if (media != NULL)
    video = json_object_get_boolean_member_with_default (media, "video", FALSE);

  if (g_str_equal (result, "answered"))
    {
      gint64 ms = json_object_get_int_member_with_default (record, "duration_ms", 0);
      g_autofree char *duration = confab_call_format_duration (MAX (ms, 0) / 1000);

      /* Translators: a call in the conversation; %s is its duration, as 2:35. */
      text = g_strdup_printf (video ? _("Video call · %s") : _("Audio call · %s"), duration);
      icon = video ? "camera-video-symbolic"
                   : outgoing ? "call-outgoing-symbolic" : "call-incoming-symbolic";
    }
  else if (g_str_equal (result, "declined"))
    {
      text = g_strdup (_("Declined"));
      icon = "call-stop-symbolic";
    }
  else if (g_str_equal (result, "busy"))
    {
      /* The person called was already in a call; for them it is a missed call. */
      text = g_strdup (outgoing ? C_("call", "Busy") : _("Missed call"));
      icon = outgoing ? "call-stop-symbolic" : "call-missed-symbolic";
    }
  else if (g_str_equal (result, "missed"))
    {
      text = g_strdup (outgoing ? _("No answer") : _("Missed call"));
      icon = outgoing ? "call-outgoing-symbolic" : "call-missed-symbolic";
    }
  else
    {
      text = g_strdup (video ? _("Video call") : _("Audio call"));
      icon = video ? "camera-video-symbolic" : "call-start-symbolic";
    }

  if (icon_name != NULL)
    *icon_name = icon;
  return text;
}
