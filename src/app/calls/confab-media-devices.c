/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-media-devices"

#include "config.h"

#include "confab-media-devices-private.h"

#include <gst/gst.h>

/* The cameras, microphones and speakers GStreamer knows about, and the one chosen of each.
 * In test mode (CONFAB_TEST_MEDIA=1 or confab_media_devices_new_for_testing()) no device is
 * touched: sources are videotestsrc/audiotestsrc and sound goes to a fakesink, so tests and
 * screenshots run without a camera, a microphone or a sound server. Only a device a test
 * added itself (confab_media_devices_add_device_for_testing()) and chose is used then. */

enum
{
  PROP_0,
  PROP_TEST_MODE,
  PROP_TEST_CAMERA,
  PROP_CAMERAS,
  PROP_MICROPHONES,
  PROP_SPEAKERS,
  PROP_CAMERA,
  PROP_MICROPHONE,
  PROP_SPEAKER,
  PROP_CAMERA_ID,
  PROP_MICROPHONE_ID,
  PROP_SPEAKER_ID,
  N_PROPS
};

typedef enum
{
  KIND_CAMERA,
  KIND_MICROPHONE,
  KIND_SPEAKER,
  N_KINDS
} DeviceKind;

struct _ConfabMediaDevices
{
  GObject           parent_instance;

  gboolean          test_mode;
  gboolean          test_camera;

  GstDeviceMonitor *monitor;
  GSource          *bus_source;

  GListStore       *lists[N_KINDS];
  GstDevice        *chosen[N_KINDS];
  /* What the user chose, by confab_media_devices_device_id(); kept while that device is
   * unplugged, so it is chosen again when it comes back. "" for the default. */
  char             *wanted_id[N_KINDS];
};

G_DEFINE_FINAL_TYPE (ConfabMediaDevices, confab_media_devices, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static const char * const kind_classes[N_KINDS] = {
  [KIND_CAMERA] = "Video/Source",
  [KIND_MICROPHONE] = "Audio/Source",
  [KIND_SPEAKER] = "Audio/Sink",
};

static const int kind_chosen_prop[N_KINDS] = {
  [KIND_CAMERA] = PROP_CAMERA,
  [KIND_MICROPHONE] = PROP_MICROPHONE,
  [KIND_SPEAKER] = PROP_SPEAKER,
};

static const int kind_id_prop[N_KINDS] = {
  [KIND_CAMERA] = PROP_CAMERA_ID,
  [KIND_MICROPHONE] = PROP_MICROPHONE_ID,
  [KIND_SPEAKER] = PROP_SPEAKER_ID,
};

static gboolean
device_kind (GstDevice  *device,
             DeviceKind *kind)
{
  for (guint i = 0; i < N_KINDS; i++)
    {
      if (gst_device_has_classes (device, kind_classes[i]))
        {
          *kind = i;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
find_device (GListStore *store,
             GstDevice  *device,
             guint      *position)
{
  return g_list_store_find (store, device, position);
}

static void
add_device (ConfabMediaDevices *self,
            GstDevice          *device)
{
  DeviceKind kind;

  if (!device_kind (device, &kind) || find_device (self->lists[kind], device, NULL))
    return;

  g_debug ("%s added: %s", kind_classes[kind], GST_STR_NULL (gst_device_get_display_name (device)));
  g_list_store_append (self->lists[kind], device);

  if (self->chosen[kind] == NULL && self->wanted_id[kind] != NULL
      && self->wanted_id[kind][0] != '\0')
    {
      g_autofree char *id = confab_media_devices_device_id (device);

      if (g_strcmp0 (id, self->wanted_id[kind]) == 0)
        {
          self->chosen[kind] = g_object_ref (device);
          g_object_notify_by_pspec (G_OBJECT (self), properties[kind_chosen_prop[kind]]);
        }
    }
}

static void
remove_device (ConfabMediaDevices *self,
               GstDevice          *device)
{
  DeviceKind kind;
  guint position;

  if (!device_kind (device, &kind) || !find_device (self->lists[kind], device, &position))
    return;

  g_debug ("%s removed: %s", kind_classes[kind], GST_STR_NULL (gst_device_get_display_name (device)));
  g_list_store_remove (self->lists[kind], position);

  /* A chosen device that went away falls back to the default, and is chosen again when it
   * comes back (wanted_id stays). */
  if (self->chosen[kind] == device)
    {
      g_clear_object (&self->chosen[kind]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[kind_chosen_prop[kind]]);
    }
}

static gboolean
on_monitor_bus_message (GstBus     *bus,
                        GstMessage *message,
                        gpointer    user_data)
{
  ConfabMediaDevices *self = CONFAB_MEDIA_DEVICES (user_data);
  g_autoptr(GstDevice) device = NULL;
  g_autoptr(GstDevice) changed = NULL;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_DEVICE_ADDED:
      gst_message_parse_device_added (message, &device);
      add_device (self, device);
      break;

    case GST_MESSAGE_DEVICE_REMOVED:
      gst_message_parse_device_removed (message, &device);
      remove_device (self, device);
      break;

    case GST_MESSAGE_DEVICE_CHANGED:
      gst_message_parse_device_changed (message, &device, &changed);
      remove_device (self, changed);
      add_device (self, device);
      break;

    default:
      break;
    }

  return G_SOURCE_CONTINUE;
}

static void
start_monitor (ConfabMediaDevices *self)
{
  g_autoptr(GstBus) bus = NULL;
  GList *devices;

  self->monitor = gst_device_monitor_new ();
  for (guint i = 0; i < N_KINDS; i++)
    gst_device_monitor_add_filter (self->monitor, kind_classes[i], NULL);

  bus = gst_device_monitor_get_bus (self->monitor);
  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (on_monitor_bus_message), self, NULL);
  g_source_attach (self->bus_source, g_main_context_get_thread_default ());

  /* Without a sound server or a camera some providers fail to start; what remains is used. */
  if (!gst_device_monitor_start (self->monitor))
    g_debug ("Device monitor did not start; only default devices will be used");

  devices = gst_device_monitor_get_devices (self->monitor);
  for (GList *l = devices; l != NULL; l = l->next)
    add_device (self, l->data);
  g_list_free_full (devices, gst_object_unref);
}

static GstElement *
make_element (const char *factory,
              const char *name)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL)
    g_debug ("GStreamer element %s is not available", factory);
  return element;
}

static GstDevice *
effective_device (ConfabMediaDevices *self,
                  DeviceKind          kind)
{
  if (self->chosen[kind] != NULL)
    return g_object_ref (self->chosen[kind]);

  /* No camera is the system default, so the first one listed is. Microphones and speakers
   * are left to autoaudiosrc/autoaudiosink, which follow the sound server's default. */
  if (kind == KIND_CAMERA)
    return g_list_model_get_item (G_LIST_MODEL (self->lists[kind]), 0);

  return NULL;
}

static void
set_chosen (ConfabMediaDevices *self,
            DeviceKind          kind,
            GstDevice          *device)
{
  g_return_if_fail (CONFAB_IS_MEDIA_DEVICES (self));
  g_return_if_fail (device == NULL || GST_IS_DEVICE (device));

  if (g_set_object (&self->chosen[kind], device))
    {
      g_autofree char *id = device != NULL ? confab_media_devices_device_id (device)
                                           : g_strdup ("");

      g_object_notify_by_pspec (G_OBJECT (self), properties[kind_chosen_prop[kind]]);
      if (g_strcmp0 (id, self->wanted_id[kind]) != 0)
        {
          g_free (self->wanted_id[kind]);
          self->wanted_id[kind] = g_steal_pointer (&id);
          g_object_notify_by_pspec (G_OBJECT (self), properties[kind_id_prop[kind]]);
        }
    }
}

static void
set_wanted (ConfabMediaDevices *self,
            DeviceKind          kind,
            const char         *id)
{
  GListModel *list = G_LIST_MODEL (self->lists[kind]);
  g_autoptr(GstDevice) found = NULL;

  if (id == NULL)
    id = "";
  if (g_strcmp0 (id, self->wanted_id[kind]) == 0)
    return;
  g_free (self->wanted_id[kind]);
  self->wanted_id[kind] = g_strdup (id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[kind_id_prop[kind]]);

  for (guint i = 0; id[0] != '\0' && found == NULL && i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(GstDevice) device = g_list_model_get_item (list, i);
      g_autofree char *device_id = confab_media_devices_device_id (device);

      if (g_strcmp0 (device_id, id) == 0)
        found = g_steal_pointer (&device);
    }
  /* A device that is not plugged in now stays wanted; until then the default is used. */
  if (g_set_object (&self->chosen[kind], found))
    g_object_notify_by_pspec (G_OBJECT (self), properties[kind_chosen_prop[kind]]);
}

static void
confab_media_devices_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabMediaDevices *self = CONFAB_MEDIA_DEVICES (object);

  switch (prop_id)
    {
    case PROP_TEST_MODE:
      g_value_set_boolean (value, self->test_mode);
      break;

    case PROP_TEST_CAMERA:
      g_value_set_boolean (value, self->test_camera);
      break;

    case PROP_CAMERAS:
      g_value_set_object (value, self->lists[KIND_CAMERA]);
      break;

    case PROP_MICROPHONES:
      g_value_set_object (value, self->lists[KIND_MICROPHONE]);
      break;

    case PROP_SPEAKERS:
      g_value_set_object (value, self->lists[KIND_SPEAKER]);
      break;

    case PROP_CAMERA:
      g_value_set_object (value, self->chosen[KIND_CAMERA]);
      break;

    case PROP_MICROPHONE:
      g_value_set_object (value, self->chosen[KIND_MICROPHONE]);
      break;

    case PROP_SPEAKER:
      g_value_set_object (value, self->chosen[KIND_SPEAKER]);
      break;
    case PROP_CAMERA_ID:
      g_value_set_string (value, self->wanted_id[KIND_CAMERA]);
      break;
    case PROP_MICROPHONE_ID:
      g_value_set_string (value, self->wanted_id[KIND_MICROPHONE]);
      break;
    case PROP_SPEAKER_ID:
      g_value_set_string (value, self->wanted_id[KIND_SPEAKER]);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_media_devices_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabMediaDevices *self = CONFAB_MEDIA_DEVICES (object);

  switch (prop_id)
    {
    case PROP_TEST_MODE:
      self->test_mode = g_value_get_boolean (value);
      break;

    case PROP_TEST_CAMERA:
      self->test_camera = g_value_get_boolean (value);
      break;

    case PROP_CAMERA:
      set_chosen (self, KIND_CAMERA, g_value_get_object (value));
      break;

    case PROP_MICROPHONE:
      set_chosen (self, KIND_MICROPHONE, g_value_get_object (value));
      break;

    case PROP_SPEAKER:
      set_chosen (self, KIND_SPEAKER, g_value_get_object (value));
      break;
    case PROP_CAMERA_ID:
      set_wanted (self, KIND_CAMERA, g_value_get_string (value));
      break;
    case PROP_MICROPHONE_ID:
      set_wanted (self, KIND_MICROPHONE, g_value_get_string (value));
      break;
    case PROP_SPEAKER_ID:
      set_wanted (self, KIND_SPEAKER, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_media_devices_constructed (GObject *object)
{
  ConfabMediaDevices *self = CONFAB_MEDIA_DEVICES (object);

  G_OBJECT_CLASS (confab_media_devices_parent_class)->constructed (object);

  if (!self->test_mode)
    start_monitor (self);
}

static void
confab_media_devices_dispose (GObject *object)
{
  ConfabMediaDevices *self = CONFAB_MEDIA_DEVICES (object);

  if (self->monitor != NULL)
    gst_device_monitor_stop (self->monitor);
  if (self->bus_source != NULL)
    {
      g_source_destroy (self->bus_source);
      g_clear_pointer (&self->bus_source, g_source_unref);
    }
  g_clear_object (&self->monitor);

  for (guint i = 0; i < N_KINDS; i++)
    g_clear_object (&self->chosen[i]);

  G_OBJECT_CLASS (confab_media_devices_parent_class)->dispose (object);
}

static void
confab_media_devices_finalize (GObject *object)
{
  ConfabMediaDevices *self = CONFAB_MEDIA_DEVICES (object);

  for (guint i = 0; i < N_KINDS; i++)
    {
      g_clear_object (&self->lists[i]);
      g_free (self->wanted_id[i]);
    }

  G_OBJECT_CLASS (confab_media_devices_parent_class)->finalize (object);
}

static void
confab_media_devices_class_init (ConfabMediaDevicesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  object_class->get_property = confab_media_devices_get_property;
  object_class->set_property = confab_media_devices_set_property;
  object_class->constructed = confab_media_devices_constructed;
  object_class->dispose = confab_media_devices_dispose;
  object_class->finalize = confab_media_devices_finalize;

  properties[PROP_TEST_MODE] =
    g_param_spec_boolean ("test-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEST_CAMERA] =
    g_param_spec_boolean ("test-camera", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERAS] =
    g_param_spec_object ("cameras", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MICROPHONES] =
    g_param_spec_object ("microphones", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPEAKERS] =
    g_param_spec_object ("speakers", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERA] =
    g_param_spec_object ("camera", NULL, NULL, GST_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MICROPHONE] =
    g_param_spec_object ("microphone", NULL, NULL, GST_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPEAKER] =
    g_param_spec_object ("speaker", NULL, NULL, GST_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* The chosen devices by confab_media_devices_device_id(), "" for the default: what the
   * settings keep. */
  properties[PROP_CAMERA_ID] =
    g_param_spec_string ("camera-id", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MICROPHONE_ID] =
    g_param_spec_string ("microphone-id", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPEAKER_ID] =
    g_param_spec_string ("speaker-id", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_media_devices_init (ConfabMediaDevices *self)
{
  self->test_camera = TRUE;
  for (guint i = 0; i < N_KINDS; i++)
    {
      self->lists[i] = g_list_store_new (GST_TYPE_DEVICE);
      self->wanted_id[i] = g_strdup ("");
    }
}

/**
 * confab_media_devices_new:
 *
 * Creates the device list. When the environment variable `CONFAB_TEST_MEDIA` is `1`, the
 * object is in test mode (no devices are opened).
 */
ConfabMediaDevices *
confab_media_devices_new (void)
{
  const char *test = g_getenv ("CONFAB_TEST_MEDIA");

  if (test != NULL && g_str_equal (test, "1"))
    return confab_media_devices_new_for_testing (TRUE);

  return g_object_new (CONFAB_TYPE_MEDIA_DEVICES, NULL);
}

ConfabMediaDevices *
confab_media_devices_new_for_testing (gboolean camera)
{
  return g_object_new (CONFAB_TYPE_MEDIA_DEVICES,
                       "test-mode", TRUE,
                       "test-camera", camera,
                       NULL);
}

/* A name for @device that stays the same across restarts: the sound server's node name, the
 * kernel's device path, or else what the device calls itself. */
char *
confab_media_devices_device_id (GstDevice *device)
{
  static const char * const keys[] = {
    "node.name", "object.path", "api.v4l2.path", "device.path", "alsa.card_name",
  };
  g_autoptr(GstStructure) props = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (GST_IS_DEVICE (device), NULL);

  props = gst_device_get_properties (device);
  for (guint i = 0; props != NULL && i < G_N_ELEMENTS (keys); i++)
    {
      const char *value = gst_structure_get_string (props, keys[i]);

      if (value != NULL && value[0] != '\0')
        return g_strdup_printf ("%s=%s", keys[i], value);
    }
  name = gst_device_get_display_name (device);
  return g_strdup_printf ("name=%s", name != NULL ? name : "");
}

/* As if the device monitor had found @device (tests have no real devices). */
void
confab_media_devices_add_device_for_testing (ConfabMediaDevices *self,
                                             GstDevice          *device)
{
  g_return_if_fail (CONFAB_IS_MEDIA_DEVICES (self));
  g_return_if_fail (GST_IS_DEVICE (device));

  add_device (self, device);
}

void
confab_media_devices_remove_device_for_testing (ConfabMediaDevices *self,
                                                GstDevice          *device)
{
  g_return_if_fail (CONFAB_IS_MEDIA_DEVICES (self));
  g_return_if_fail (GST_IS_DEVICE (device));

  remove_device (self, device);
}

gboolean
confab_media_devices_get_test_mode (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), FALSE);

  return self->test_mode;
}

GListModel *
confab_media_devices_get_cameras (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  return G_LIST_MODEL (self->lists[KIND_CAMERA]);
}

GListModel *
confab_media_devices_get_microphones (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  return G_LIST_MODEL (self->lists[KIND_MICROPHONE]);
}

GListModel *
confab_media_devices_get_speakers (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  return G_LIST_MODEL (self->lists[KIND_SPEAKER]);
}

GstDevice *
confab_media_devices_get_camera (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  return self->chosen[KIND_CAMERA];
}

void
confab_media_devices_set_camera (ConfabMediaDevices *self,
                                 GstDevice          *device)
{
  set_chosen (self, KIND_CAMERA, device);
}

GstDevice *
confab_media_devices_get_microphone (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  return self->chosen[KIND_MICROPHONE];
}

void
confab_media_devices_set_microphone (ConfabMediaDevices *self,
                                     GstDevice          *device)
{
  set_chosen (self, KIND_MICROPHONE, device);
}

GstDevice *
confab_media_devices_get_speaker (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  return self->chosen[KIND_SPEAKER];
}

void
confab_media_devices_set_speaker (ConfabMediaDevices *self,
                                  GstDevice          *device)
{
  set_chosen (self, KIND_SPEAKER, device);
}

/**
 * confab_media_devices_has_camera:
 *
 * Returns: whether a video call can send video from this machine
 */
gboolean
confab_media_devices_has_camera (ConfabMediaDevices *self)
{
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), FALSE);

  if (self->test_mode)
    return self->test_camera;

  return g_list_model_get_n_items (G_LIST_MODEL (self->lists[KIND_CAMERA])) > 0;
}

/**
 * confab_media_devices_create_camera_source:
 *
 * Returns: (transfer floating) (nullable): a live raw video source, or %NULL when there is no
 *   camera (the call then sends no video)
 */
GstElement *
confab_media_devices_create_camera_source (ConfabMediaDevices *self)
{
  g_autoptr(GstDevice) device = NULL;
  GstElement *source;

  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  if (self->test_mode && self->chosen[KIND_CAMERA] != NULL)
    return gst_device_create_element (self->chosen[KIND_CAMERA], "camera");

  if (self->test_mode)
    {
      if (!self->test_camera)
        return NULL;

      source = make_element ("videotestsrc", "camera");
      if (source != NULL)
        /* A scrolling pattern keeps the encoder as busy as a real camera would. */
        g_object_set (source, "is-live", TRUE, "horizontal-speed", 2, NULL);
      return source;
    }

  device = effective_device (self, KIND_CAMERA);
  if (device == NULL)
    return NULL;

  return gst_device_create_element (device, "camera");
}

/**
 * confab_media_devices_create_microphone_source:
 *
 * Returns: (transfer floating) (nullable): a live raw audio source
 */
GstElement *
confab_media_devices_create_microphone_source (ConfabMediaDevices *self)
{
  g_autoptr(GstDevice) device = NULL;
  GstElement *source;

  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  if (self->test_mode && self->chosen[KIND_MICROPHONE] != NULL)
    return gst_device_create_element (self->chosen[KIND_MICROPHONE], "microphone");

  if (self->test_mode)
    {
      source = make_element ("audiotestsrc", "microphone");
      if (source != NULL)
        /* 20 ms buffers, the Opus frame size. */
        g_object_set (source, "is-live", TRUE, "volume", 0.2, "samplesperbuffer", 960, NULL);
      return source;
    }

  device = effective_device (self, KIND_MICROPHONE);
  if (device != NULL)
    return gst_device_create_element (device, "microphone");

  return make_element ("autoaudiosrc", "microphone");
}

/**
 * confab_media_devices_create_speaker_sink:
 *
 * Returns: (transfer floating) (nullable): an audio sink
 */
GstElement *
confab_media_devices_create_speaker_sink (ConfabMediaDevices *self)
{
  g_autoptr(GstDevice) device = NULL;
  GstElement *sink;

  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (self), NULL);

  if (self->test_mode && self->chosen[KIND_SPEAKER] != NULL)
    return gst_device_create_element (self->chosen[KIND_SPEAKER], "speaker");

  if (self->test_mode)
    {
      sink = make_element ("fakesink", "speaker");
      if (sink != NULL)
        g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
      return sink;
    }

  device = effective_device (self, KIND_SPEAKER);
  if (device != NULL)
    return gst_device_create_element (device, "speaker");

  return make_element ("autoaudiosink", "speaker");
}
