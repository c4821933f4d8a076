/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-upload"

#include "config.h"

#include "confab-upload.h"

enum {
  PROP_0,
  PROP_CONV,
  PROP_NAME,
  PROP_MIME,
  PROP_SIZE,
  PROP_OFFSET,
  PROP_SPEED,
  PROP_STATE,
  PROP_ERROR,
  N_PROPS
};

struct _ConfabUpload
{
  GObject            parent_instance;

  char              *conv;
  char              *client_msg_id;
  char              *name;
  char              *mime;
  guint64            size;
  guint64            offset;
  double             speed;
  ConfabUploadState  state;
  char              *error;
};

G_DEFINE_FINAL_TYPE (ConfabUpload, confab_upload, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

GType
confab_upload_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { CONFAB_UPLOAD_QUEUED, "CONFAB_UPLOAD_QUEUED", "queued" },
    { CONFAB_UPLOAD_UPLOADING, "CONFAB_UPLOAD_UPLOADING", "uploading" },
    { CONFAB_UPLOAD_PAUSED, "CONFAB_UPLOAD_PAUSED", "paused" },
    { CONFAB_UPLOAD_WAITING, "CONFAB_UPLOAD_WAITING", "waiting" },
    { CONFAB_UPLOAD_SENDING, "CONFAB_UPLOAD_SENDING", "sending" },
    { CONFAB_UPLOAD_FAILED, "CONFAB_UPLOAD_FAILED", "failed" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("ConfabUploadState", values));
  return type;
}

static void
confab_upload_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabUpload *self = CONFAB_UPLOAD (object);

  switch (prop_id)
    {
    case PROP_CONV: g_value_set_string (value, self->conv); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_MIME: g_value_set_string (value, self->mime); break;
    case PROP_SIZE: g_value_set_uint64 (value, self->size); break;
    case PROP_OFFSET: g_value_set_uint64 (value, self->offset); break;
    case PROP_SPEED: g_value_set_double (value, self->speed); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_ERROR: g_value_set_string (value, self->error); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_upload_finalize (GObject *object)
{
  ConfabUpload *self = CONFAB_UPLOAD (object);

  g_free (self->conv);
  g_free (self->client_msg_id);
  g_free (self->name);
  g_free (self->mime);
  g_free (self->error);

  G_OBJECT_CLASS (confab_upload_parent_class)->finalize (object);
}

static void
confab_upload_class_init (ConfabUploadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = confab_upload_get_property;
  object_class->finalize = confab_upload_finalize;

  properties[PROP_CONV] = g_param_spec_string ("conv", NULL, NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_MIME] = g_param_spec_string ("mime", NULL, NULL, NULL, flags);
  properties[PROP_SIZE] = g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_OFFSET] = g_param_spec_uint64 ("offset", NULL, NULL, 0, G_MAXUINT64, 0,
                                                 flags);
  properties[PROP_SPEED] = g_param_spec_double ("speed", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, CONFAB_TYPE_UPLOAD_STATE,
                                              CONFAB_UPLOAD_QUEUED, flags);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_upload_init (ConfabUpload *self)
{
}

ConfabUpload *
confab_upload_new (const char *conv,
                   const char *client_msg_id,
                   const char *name,
                   const char *mime,
                   guint64     size)
{
  ConfabUpload *self = g_object_new (CONFAB_TYPE_UPLOAD, NULL);

  self->conv = g_strdup (conv);
  self->client_msg_id = g_strdup (client_msg_id);
  self->name = g_strdup (name);
  self->mime = g_strdup (mime != NULL ? mime : "application/octet-stream");
  self->size = size;
  return self;
}

const char *confab_upload_get_conv (ConfabUpload *self) { return self->conv; }
const char *confab_upload_get_client_msg_id (ConfabUpload *self) { return self->client_msg_id; }
const char *confab_upload_get_name (ConfabUpload *self) { return self->name; }
const char *confab_upload_get_mime (ConfabUpload *self) { return self->mime; }
guint64 confab_upload_get_size (ConfabUpload *self) { return self->size; }
guint64 confab_upload_get_offset (ConfabUpload *self) { return self->offset; }
double confab_upload_get_speed (ConfabUpload *self) { return self->speed; }
ConfabUploadState confab_upload_get_state (ConfabUpload *self) { return self->state; }
const char *confab_upload_get_error (ConfabUpload *self) { return self->error; }

double
confab_upload_get_fraction (ConfabUpload *self)
{
  g_return_val_if_fail (CONFAB_IS_UPLOAD (self), 0);
  return self->size > 0 ? (double) MIN (self->offset, self->size) / (double) self->size : 1.0;
}

void
confab_upload_set_offset (ConfabUpload *self,
                          guint64       offset)
{
  g_return_if_fail (CONFAB_IS_UPLOAD (self));
  if (self->offset == offset)
    return;
  self->offset = offset;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFSET]);
}

void
confab_upload_set_speed (ConfabUpload *self,
                         double        speed)
{
  g_return_if_fail (CONFAB_IS_UPLOAD (self));
  if (self->speed == speed)
    return;
  self->speed = speed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED]);
}

void
confab_upload_set_state (ConfabUpload      *self,
                         ConfabUploadState  state,
                         const char        *error)
{
  g_return_if_fail (CONFAB_IS_UPLOAD (self));
  if (g_strcmp0 (self->error, error) != 0)
    {
      g_free (self->error);
      self->error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (state != CONFAB_UPLOAD_UPLOADING)
    confab_upload_set_speed (self, 0);
}
