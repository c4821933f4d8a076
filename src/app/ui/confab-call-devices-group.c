/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-devices-group"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-call-devices-group.h"
#include "confab-media-devices.h"

#include <gst/gst.h>

/* Camera, microphone and speaker choosers over ConfabMediaDevices, for Preferences and for
 * the call window. Each list starts with the system's default device. */

enum
{
  PROP_0,
  PROP_DEVICES,
  N_PROPS
};

typedef enum
{
  KIND_CAMERA,
  KIND_MICROPHONE,
  KIND_SPEAKER,
  N_KINDS
} Kind;

struct _ConfabCallDevicesGroup
{
  AdwPreferencesGroup  parent_instance;

  ConfabMediaDevices  *devices;
  gboolean             updating;

  AdwComboRow         *camera_row;
  AdwComboRow         *microphone_row;
  AdwComboRow         *speaker_row;
};

G_DEFINE_FINAL_TYPE (ConfabCallDevicesGroup, confab_call_devices_group, ADW_TYPE_PREFERENCES_GROUP)

static GParamSpec *properties[N_PROPS];

static AdwComboRow *
row_of (ConfabCallDevicesGroup *self,
        Kind                    kind)
{
  AdwComboRow *rows[N_KINDS] = { self->camera_row, self->microphone_row, self->speaker_row };

  return rows[kind];
}

static GListModel *
list_of (ConfabCallDevicesGroup *self,
         Kind                    kind)
{
  switch (kind)
    {
    case KIND_CAMERA:
      return confab_media_devices_get_cameras (self->devices);
    case KIND_MICROPHONE:
      return confab_media_devices_get_microphones (self->devices);
    case KIND_SPEAKER:
    default:
      return confab_media_devices_get_speakers (self->devices);
    }
}

static GstDevice *
chosen_of (ConfabCallDevicesGroup *self,
           Kind                    kind)
{
  switch (kind)
    {
    case KIND_CAMERA:
      return confab_media_devices_get_camera (self->devices);
    case KIND_MICROPHONE:
      return confab_media_devices_get_microphone (self->devices);
    case KIND_SPEAKER:
    default:
      return confab_media_devices_get_speaker (self->devices);
    }
}

static void
fill_row (ConfabCallDevicesGroup *self,
          Kind                    kind)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GListModel *list = list_of (self, kind);
  GstDevice *chosen = chosen_of (self, kind);
  guint selected = 0;
  guint n = g_list_model_get_n_items (list);

  if (kind == KIND_CAMERA && n == 0)
    /* Translators: the camera chooser when the computer has none; calls are audio only. */
    gtk_string_list_append (names, _("No Camera"));
  else
    /* Translators: the device the system chooses, first in each device list. */
    gtk_string_list_append (names, _("Default"));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GstDevice) device = g_list_model_get_item (list, i);
      g_autofree char *name = gst_device_get_display_name (device);

      gtk_string_list_append (names, name);
      if (device == chosen)
        selected = i + 1;
    }

  self->updating = TRUE;
  adw_combo_row_set_model (row_of (self, kind), G_LIST_MODEL (names));
  adw_combo_row_set_selected (row_of (self, kind), selected);
  gtk_widget_set_sensitive (GTK_WIDGET (row_of (self, kind)), n > 0);
  self->updating = FALSE;
}

static void
fill_all (ConfabCallDevicesGroup *self)
{
  for (Kind kind = 0; kind < N_KINDS; kind++)
    {
      if (self->devices != NULL)
        fill_row (self, kind);
      else
        adw_combo_row_set_model (row_of (self, kind), NULL);
    }
}

static void
on_selected (AdwComboRow            *row,
             GParamSpec             *pspec,
             ConfabCallDevicesGroup *self)
{
  guint selected = adw_combo_row_get_selected (row);
  g_autoptr(GstDevice) device = NULL;
  Kind kind;

  if (self->updating || self->devices == NULL)
    return;

  kind = row == self->camera_row ? KIND_CAMERA
         : row == self->microphone_row ? KIND_MICROPHONE : KIND_SPEAKER;
  if (selected != GTK_INVALID_LIST_POSITION && selected > 0)
    device = g_list_model_get_item (list_of (self, kind), selected - 1);

  switch (kind)
    {
    case KIND_CAMERA:
      confab_media_devices_set_camera (self->devices, device);
      break;
    case KIND_MICROPHONE:
      confab_media_devices_set_microphone (self->devices, device);
      break;
    case KIND_SPEAKER:
    default:
      confab_media_devices_set_speaker (self->devices, device);
      break;
    }
}

static void
on_devices_changed (ConfabCallDevicesGroup *self)
{
  if (!self->updating)
    fill_all (self);
}

static void
disconnect_devices (ConfabCallDevicesGroup *self)
{
  if (self->devices == NULL)
    return;

  for (Kind kind = 0; kind < N_KINDS; kind++)
    g_signal_handlers_disconnect_by_data (list_of (self, kind), self);
  g_signal_handlers_disconnect_by_data (self->devices, self);
  g_clear_object (&self->devices);
}

static void
confab_call_devices_group_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  ConfabCallDevicesGroup *self = CONFAB_CALL_DEVICES_GROUP (object);

  switch (prop_id)
    {
    case PROP_DEVICES:
      g_value_set_object (value, self->devices);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_devices_group_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  ConfabCallDevicesGroup *self = CONFAB_CALL_DEVICES_GROUP (object);

  switch (prop_id)
    {
    case PROP_DEVICES:
      confab_call_devices_group_set_devices (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_devices_group_dispose (GObject *object)
{
  ConfabCallDevicesGroup *self = CONFAB_CALL_DEVICES_GROUP (object);

  disconnect_devices (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_CALL_DEVICES_GROUP);

  G_OBJECT_CLASS (confab_call_devices_group_parent_class)->dispose (object);
}

static void
confab_call_devices_group_class_init (ConfabCallDevicesGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_call_devices_group_get_property;
  object_class->set_property = confab_call_devices_group_set_property;
  object_class->dispose = confab_call_devices_group_dispose;

  properties[PROP_DEVICES] =
    g_param_spec_object ("devices", NULL, NULL, CONFAB_TYPE_MEDIA_DEVICES,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-call-devices-group.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabCallDevicesGroup, camera_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallDevicesGroup, microphone_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabCallDevicesGroup, speaker_row);
}

static void
confab_call_devices_group_init (ConfabCallDevicesGroup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (Kind kind = 0; kind < N_KINDS; kind++)
    g_signal_connect (row_of (self, kind), "notify::selected", G_CALLBACK (on_selected), self);
}

GtkWidget *
confab_call_devices_group_new (ConfabMediaDevices *devices)
{
  return g_object_new (CONFAB_TYPE_CALL_DEVICES_GROUP, "devices", devices, NULL);
}

ConfabMediaDevices *
confab_call_devices_group_get_devices (ConfabCallDevicesGroup *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_DEVICES_GROUP (self), NULL);

  return self->devices;
}

void
confab_call_devices_group_set_devices (ConfabCallDevicesGroup *self,
                                       ConfabMediaDevices     *devices)
{
  g_return_if_fail (CONFAB_IS_CALL_DEVICES_GROUP (self));
  g_return_if_fail (devices == NULL || CONFAB_IS_MEDIA_DEVICES (devices));

  if (self->devices == devices)
    return;

  disconnect_devices (self);
  if (devices != NULL)
    {
      self->devices = g_object_ref (devices);
      for (Kind kind = 0; kind < N_KINDS; kind++)
        g_signal_connect_swapped (list_of (self, kind), "items-changed",
                                  G_CALLBACK (on_devices_changed), self);
      g_signal_connect_swapped (devices, "notify", G_CALLBACK (on_devices_changed), self);
    }

  fill_all (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICES]);
}
