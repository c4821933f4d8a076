/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call"

#include "config.h"

#include "confab-call.h"
#include "confab-call-pipeline.h"
#include "confab-call-private.h"
#include "confab-media-devices.h"

#include <gdk/gdk.h>

#include <string.h>

/* A call's state and its negotiation: who offers and who answers, the peer's candidates
 * until its description is in place, the states the user sees and why the call ended. The
 * media (webrtcbin, devices, video) are its ConfabCallPipeline's, whose signals come in
 * on the thread that created the call.
 *
 * Once connected the call needs nothing from the signalling server: muting and the camera
 * switch act on the pipeline, without renegotiation. */

#define MAX_MLINE_INDEX         16

#define WATCHDOG_INTERVAL_MS    250
/* With nothing received for this long the call shows as reconnecting, then ends. RTCP keeps
 * arriving about once a second even when the peer sends no audio and no video. */
#define SILENCE_RECONNECTING_US (3 * G_USEC_PER_SEC)
#define SILENCE_LOST_US         (7 * G_USEC_PER_SEC)
#define CONNECT_TIMEOUT_US      (30 * G_USEC_PER_SEC)

enum
{
  PROP_0,
  PROP_CALL_ID,
  PROP_PEER,
  PROP_ROLE,
  PROP_MEDIA,
  PROP_DEVICES,
  PROP_STATE,
  PROP_END_REASON,
  PROP_MUTED,
  PROP_CAMERA_ON,
  PROP_MICROPHONE_FAILED,
  PROP_DURATION,
  PROP_LOCAL_VIDEO,
  PROP_REMOTE_VIDEO,
  PROP_VIDEO_FRAMES_RECEIVED,
  PROP_AUDIO_BUFFERS_RECEIVED,
  PROP_REFUSED_MEDIA,
  N_PROPS
};

enum
{
  SIGNAL_LOCAL_DESCRIPTION,
  SIGNAL_LOCAL_ICE,
  SIGNAL_STATE_CHANGED,
  SIGNAL_ENDED,
  N_SIGNALS
};

/* A candidate of the peer's, kept until its description is in place. */
typedef struct
{
  char  *candidate;
  guint  mline;
} PendingIce;

struct _ConfabCall
{
  GObject             parent_instance;

  char               *call_id;
  char               *peer;
  ConfabCallRole      role;
  ConfabCallMedia     media;
  ConfabMediaDevices *devices;

  ConfabCallState     state;
  char               *end_reason;
  gboolean            muted;
  gboolean            camera_on;
  gint64              started_at;
  gint64              connected_at;
  gint64              ended_at;
  guint               last_duration;
  guint               watchdog_id;

  ConfabCallPipeline *pipeline;

  gboolean            remote_description_set;
  ConfabCallMedia     refused_media;
  GPtrArray          *pending_ice;   /* of PendingIce */
  gboolean            ice_failed;
  gboolean            ice_disconnected;
};

static void confab_call_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabCall, confab_call, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      confab_call_initable_iface_init))

G_DEFINE_ENUM_TYPE (ConfabCallRole, confab_call_role,
                    G_DEFINE_ENUM_VALUE (CONFAB_CALL_ROLE_CALLER, "caller"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CALL_ROLE_CALLEE, "callee"))

G_DEFINE_FLAGS_TYPE (ConfabCallMedia, confab_call_media,
                     G_DEFINE_ENUM_VALUE (CONFAB_CALL_MEDIA_NONE, "none"),
                     G_DEFINE_ENUM_VALUE (CONFAB_CALL_MEDIA_AUDIO, "audio"),
                     G_DEFINE_ENUM_VALUE (CONFAB_CALL_MEDIA_VIDEO, "video"))

G_DEFINE_ENUM_TYPE (ConfabCallState, confab_call_state,
                    G_DEFINE_ENUM_VALUE (CONFAB_CALL_STATE_NEW, "new"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CALL_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CALL_STATE_CONNECTED, "connected"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CALL_STATE_RECONNECTING, "reconnecting"),
                    G_DEFINE_ENUM_VALUE (CONFAB_CALL_STATE_ENDED, "ended"))

static const char * const state_names[] = {
  [CONFAB_CALL_STATE_NEW] = "new",
  [CONFAB_CALL_STATE_CONNECTING] = "connecting",
  [CONFAB_CALL_STATE_CONNECTED] = "connected",
  [CONFAB_CALL_STATE_RECONNECTING] = "reconnecting",
  [CONFAB_CALL_STATE_ENDED] = "ended",
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void end_call (ConfabCall *self,
                      const char *reason);

static void
pending_ice_free (gpointer data)
{
  PendingIce *ice = data;

  g_free (ice->candidate);
  g_free (ice);
}

static void
set_state (ConfabCall      *self,
           ConfabCallState  state)
{
  if (self->state == state)
    return;

  g_debug ("Call %s: %s -> %s", self->call_id, confab_call_state_to_string (self->state),
           confab_call_state_to_string (state));
  self->state = state;
  if (state == CONFAB_CALL_STATE_CONNECTED && self->connected_at == 0)
    self->connected_at = g_get_monotonic_time ();

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state);
}

/* Main thread: the pipeline's signals */

static void
flush_pending_ice (ConfabCall *self)
{
  for (guint i = 0; i < self->pending_ice->len; i++)
    {
      PendingIce *ice = g_ptr_array_index (self->pending_ice, i);

      confab_call_pipeline_add_ice_candidate (self->pipeline, ice->mline, ice->candidate);
    }
  g_ptr_array_set_size (self->pending_ice, 0);
}

static void
on_pipeline_local_description (ConfabCall *self,
                               const char *type,
                               const char *sdp)
{
  if (self->state == CONFAB_CALL_STATE_ENDED)
    return;

  g_signal_emit (self, signals[SIGNAL_LOCAL_DESCRIPTION], 0, type, sdp);
}

static void
on_pipeline_local_ice (ConfabCall *self,
                       const char *candidate,
                       guint       mline)
{
  if (self->state == CONFAB_CALL_STATE_ENDED)
    return;

  g_signal_emit (self, signals[SIGNAL_LOCAL_ICE], 0, candidate, mline);
}

static void
on_pipeline_remote_description_set (ConfabCall *self)
{
  if (self->state == CONFAB_CALL_STATE_ENDED)
    return;

  self->remote_description_set = TRUE;
  flush_pending_ice (self);
  if (self->role == CONFAB_CALL_ROLE_CALLEE)
    confab_call_pipeline_create_answer (self->pipeline);
}

static void
on_pipeline_ice_changed (ConfabCall *self,
                         gboolean    disconnected,
                         gboolean    failed)
{
  if (self->state == CONFAB_CALL_STATE_ENDED)
    return;

  self->ice_failed = failed;
  self->ice_disconnected = disconnected;

  if (self->ice_failed)
    end_call (self, self->connected_at != 0 ? CONFAB_CALL_END_CONNECTION_LOST
                                            : CONFAB_CALL_END_CONNECTION_FAILED);
  else if (self->ice_disconnected && self->state == CONFAB_CALL_STATE_CONNECTED)
    set_state (self, CONFAB_CALL_STATE_RECONNECTING);
}

static void
on_pipeline_connected (ConfabCall *self)
{
  if (self->state == CONFAB_CALL_STATE_ENDED)
    return;

  set_state (self, CONFAB_CALL_STATE_CONNECTED);
}

static void
on_pipeline_failed (ConfabCall *self)
{
  end_call (self, self->connected_at != 0 ? CONFAB_CALL_END_CONNECTION_LOST
                                          : CONFAB_CALL_END_CONNECTION_FAILED);
}

/* A device that fails (no sound server, a camera in use elsewhere) leaves a call worth
 * keeping: the rest still flows both ways. */
static void
on_pipeline_camera_failed (ConfabCall *self)
{
  if (self->camera_on)
    {
      self->camera_on = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ON]);
    }
}

static void
on_pipeline_microphone_failed (ConfabCall *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MICROPHONE_FAILED]);
}

static void
on_pipeline_error (ConfabCall *self)
{
  end_call (self, CONFAB_CALL_END_MEDIA_ERROR);
}

static gboolean
on_watchdog (gpointer user_data)
{
  ConfabCall *self = CONFAB_CALL (user_data);
  gint64 now = g_get_monotonic_time ();
  gint64 silence;
  guint duration;

  if (self->state == CONFAB_CALL_STATE_CONNECTING)
    {
      if (now - self->started_at > CONNECT_TIMEOUT_US)
        end_call (self, CONFAB_CALL_END_CONNECTION_FAILED);
      return G_SOURCE_CONTINUE;
    }

  if (self->state != CONFAB_CALL_STATE_CONNECTED && self->state != CONFAB_CALL_STATE_RECONNECTING)
    return G_SOURCE_CONTINUE;

  silence = now - confab_call_pipeline_get_last_receive_time (self->pipeline);

  if (silence > SILENCE_LOST_US)
    {
      g_debug ("Call %s: nothing received for %" G_GINT64_FORMAT " ms", self->call_id,
               silence / 1000);
      end_call (self, CONFAB_CALL_END_CONNECTION_LOST);
      return G_SOURCE_CONTINUE;
    }

  if (silence > SILENCE_RECONNECTING_US || self->ice_disconnected)
    set_state (self, CONFAB_CALL_STATE_RECONNECTING);
  else
    set_state (self, CONFAB_CALL_STATE_CONNECTED);

  duration = confab_call_get_duration (self);
  if (duration != self->last_duration)
    {
      self->last_duration = duration;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DURATION]);
    }

  return G_SOURCE_CONTINUE;
}

static void
start_connecting (ConfabCall *self)
{
  self->started_at = g_get_monotonic_time ();
  set_state (self, CONFAB_CALL_STATE_CONNECTING);
  if (self->watchdog_id == 0)
    self->watchdog_id = g_timeout_add (WATCHDOG_INTERVAL_MS, on_watchdog, self);
}

static void
end_call (ConfabCall *self,
          const char *reason)
{
  g_autoptr(GObject) guard = NULL;

  if (self->state == CONFAB_CALL_STATE_ENDED)
    return;

  guard = g_object_ref (G_OBJECT (self));
  g_debug ("Call %s ended: %s", self->call_id, reason);

  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  if (self->pipeline != NULL)
    confab_call_pipeline_stop (self->pipeline);
  self->ended_at = g_get_monotonic_time ();
  self->end_reason = g_strdup (reason);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END_REASON]);
  if (self->camera_on)
    {
      self->camera_on = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ON]);
    }
  set_state (self, CONFAB_CALL_STATE_ENDED);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[SIGNAL_ENDED], 0, reason);
}

static char *
ice_url_to_gst (const char *url,
                const char *username,
                const char *credential,
                gboolean   *is_turn)
{
  g_autofree char *scheme = NULL;
  const char *rest;
  const char *colon = strchr (url, ':');

  if (colon == NULL || colon == url)
    return NULL;

  scheme = g_ascii_strdown (url, colon - url);
  rest = colon + 1;
  if (g_str_has_prefix (rest, "//"))
    rest += 2;
  if (*rest == '\0')
    return NULL;

  if (g_str_equal (scheme, "stun") || g_str_equal (scheme, "stuns"))
    {
      *is_turn = FALSE;
      return g_strdup_printf ("stun://%s", rest);
    }

  if (g_str_equal (scheme, "turn") || g_str_equal (scheme, "turns"))
    {
      g_autofree char *user = NULL;
      g_autofree char *password = NULL;

      if (username == NULL || credential == NULL)
        return NULL;

      /* coturn's time-limited user names hold a ':', and base64 credentials '/', '+', '='. */
      user = g_uri_escape_string (username, NULL, FALSE);
      password = g_uri_escape_string (credential, NULL, FALSE);
      *is_turn = TRUE;
      return g_strdup_printf ("%s://%s:%s@%s", scheme, user, password, rest);
    }

  return NULL;
}

static void
set_refused_media (ConfabCall      *self,
                   ConfabCallMedia  refused)
{
  if (self->refused_media == refused)
    return;

  g_debug ("Call %s: the peer refused media %u", self->call_id, refused);
  self->refused_media = refused;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUSED_MEDIA]);
}

/* GObject */

static void
confab_call_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  ConfabCall *self = CONFAB_CALL (object);

  switch (prop_id)
    {
    case PROP_CALL_ID:
      g_value_set_string (value, self->call_id);
      break;

    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;

    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;

    case PROP_MEDIA:
      g_value_set_flags (value, self->media);
      break;

    case PROP_DEVICES:
      g_value_set_object (value, self->devices);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_END_REASON:
      g_value_set_string (value, self->end_reason);
      break;

    case PROP_MUTED:
      g_value_set_boolean (value, self->muted);
      break;

    case PROP_CAMERA_ON:
      g_value_set_boolean (value, self->camera_on);
      break;

    case PROP_MICROPHONE_FAILED:
      g_value_set_boolean (value, confab_call_get_microphone_failed (self));
      break;

    case PROP_DURATION:
      g_value_set_uint (value, confab_call_get_duration (self));
      break;

    case PROP_LOCAL_VIDEO:
      g_value_set_object (value, confab_call_get_local_video (self));
      break;

    case PROP_REMOTE_VIDEO:
      g_value_set_object (value, confab_call_get_remote_video (self));
      break;

    case PROP_VIDEO_FRAMES_RECEIVED:
      g_value_set_uint64 (value, confab_call_get_video_frames_received (self));
      break;

    case PROP_AUDIO_BUFFERS_RECEIVED:
      g_value_set_uint64 (value, confab_call_get_audio_buffers_received (self));
      break;

    case PROP_REFUSED_MEDIA:
      g_value_set_flags (value, self->refused_media);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  ConfabCall *self = CONFAB_CALL (object);

  switch (prop_id)
    {
    case PROP_CALL_ID:
      self->call_id = g_value_dup_string (value);
      break;

    case PROP_PEER:
      self->peer = g_value_dup_string (value);
      break;

    case PROP_ROLE:
      self->role = g_value_get_enum (value);
      break;

    case PROP_MEDIA:
      self->media = g_value_get_flags (value);
      break;

    case PROP_DEVICES:
      self->devices = g_value_dup_object (value);
      break;

    case PROP_MUTED:
      confab_call_set_muted (self, g_value_get_boolean (value));
      break;

    case PROP_CAMERA_ON:
      confab_call_set_camera_enabled (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
confab_call_initable_init (GInitable     *initable,
                           GCancellable  *cancellable,
                           GError       **error)
{
  ConfabCall *self = CONFAB_CALL (initable);

  if (self->call_id == NULL || *self->call_id == '\0')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "A call needs an id");
      return FALSE;
    }

  if (self->devices == NULL)
    self->devices = confab_media_devices_new ();

  self->pipeline = confab_call_pipeline_new (self->call_id, self->media, self->devices,
                                             self->muted, error);
  if (self->pipeline == NULL)
    return FALSE;

  g_signal_connect_object (self->pipeline, "local-description",
                           G_CALLBACK (on_pipeline_local_description), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "local-ice",
                           G_CALLBACK (on_pipeline_local_ice), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "remote-description-set",
                           G_CALLBACK (on_pipeline_remote_description_set), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "ice-changed",
                           G_CALLBACK (on_pipeline_ice_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "connected",
                           G_CALLBACK (on_pipeline_connected), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "failed",
                           G_CALLBACK (on_pipeline_failed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "camera-failed",
                           G_CALLBACK (on_pipeline_camera_failed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "notify::microphone-failed",
                           G_CALLBACK (on_pipeline_microphone_failed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->pipeline, "error",
                           G_CALLBACK (on_pipeline_error), self, G_CONNECT_SWAPPED);

  self->camera_on = confab_call_pipeline_get_has_camera (self->pipeline);

  return TRUE;
}

static void
confab_call_initable_iface_init (GInitableIface *iface)
{
  iface->init = confab_call_initable_init;
}

static void
confab_call_dispose (GObject *object)
{
  ConfabCall *self = CONFAB_CALL (object);

  g_clear_handle_id (&self->watchdog_id, g_source_remove);

  if (self->pipeline != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->pipeline, self);
      confab_call_pipeline_stop (self->pipeline);
      g_clear_object (&self->pipeline);
    }
  g_clear_object (&self->devices);

  G_OBJECT_CLASS (confab_call_parent_class)->dispose (object);
}

static void
confab_call_finalize (GObject *object)
{
  ConfabCall *self = CONFAB_CALL (object);

  g_ptr_array_unref (self->pending_ice);
  g_free (self->call_id);
  g_free (self->peer);
  g_free (self->end_reason);

  G_OBJECT_CLASS (confab_call_parent_class)->finalize (object);
}

static void
confab_call_class_init (ConfabCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_call_get_property;
  object_class->set_property = confab_call_set_property;
  object_class->dispose = confab_call_dispose;
  object_class->finalize = confab_call_finalize;

  properties[PROP_CALL_ID] =
    g_param_spec_string ("call-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER] =
    g_param_spec_string ("peer", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROLE] =
    g_param_spec_enum ("role", NULL, NULL, CONFAB_TYPE_CALL_ROLE, CONFAB_CALL_ROLE_CALLER,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEDIA] =
    g_param_spec_flags ("media", NULL, NULL, CONFAB_TYPE_CALL_MEDIA, CONFAB_CALL_MEDIA_AUDIO,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICES] =
    g_param_spec_object ("devices", NULL, NULL, CONFAB_TYPE_MEDIA_DEVICES,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CONFAB_TYPE_CALL_STATE, CONFAB_CALL_STATE_NEW,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_END_REASON] =
    g_param_spec_string ("end-reason", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MUTED] =
    g_param_spec_boolean ("muted", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAMERA_ON] =
    g_param_spec_boolean ("camera-on", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The microphone could not be opened or stopped working: the peer hears silence until
   * another microphone is chosen in the devices. */
  properties[PROP_MICROPHONE_FAILED] =
    g_param_spec_boolean ("microphone-failed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whole seconds since the call connected; notified once a second. */
  properties[PROP_DURATION] =
    g_param_spec_uint ("duration", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCAL_VIDEO] =
    g_param_spec_object ("local-video", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE_VIDEO] =
    g_param_spec_object ("remote-video", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Counters of what arrived from the peer; read them, they do not notify. */
  properties[PROP_VIDEO_FRAMES_RECEIVED] =
    g_param_spec_uint64 ("video-frames-received", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUDIO_BUFFERS_RECEIVED] =
    g_param_spec_uint64 ("audio-buffers-received", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* What the call carries but the peer refused in its description (a media line with port
   * 0): the rest of the call goes on without it. */
  properties[PROP_REFUSED_MEDIA] =
    g_param_spec_flags ("refused-media", NULL, NULL, CONFAB_TYPE_CALL_MEDIA,
                        CONFAB_CALL_MEDIA_NONE,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Outgoing signalling: send these to the peer (call_signal). */
  signals[SIGNAL_LOCAL_DESCRIPTION] =
    g_signal_new ("local-description", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_LOCAL_ICE] =
    g_signal_new ("local-ice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, CONFAB_TYPE_CALL_STATE);
  signals[SIGNAL_ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
confab_call_init (ConfabCall *self)
{
  self->pending_ice = g_ptr_array_new_with_free_func (pending_ice_free);
  self->media = CONFAB_CALL_MEDIA_AUDIO;
}

/* Public API */

/**
 * confab_call_warm_up:
 *
 * Prepares, on a worker thread, what every call needs and takes long to make: the DTLS
 * certificate (an RSA key, about 200 ms), made once per process. Call it at start-up so
 * answering a call does not wait for it; confab_call_new() calls it too.
 */
void
confab_call_warm_up (void)
{
  confab_call_pipeline_warm_up ();
}

/**
 * confab_call_warm_up_wait:
 *
 * Waits for what confab_call_warm_up() started, if it is still under way. Call it before the
 * process exits: OpenSSL frees its locks at exit, and a thread still making the certificate
 * then crashes.
 */
void
confab_call_warm_up_wait (void)
{
  confab_call_pipeline_warm_up_wait ();
}

/**
 * confab_call_new:
 * @call_id: the call's id (the caller's UUID)
 * @peer: the other party's username
 * @role: whether this side invited or answered
 * @media: what the call carries; video without a camera still receives the peer's video
 * @devices: (nullable): where the microphone and camera come from; %NULL for the default
 *
 * Creates the call and starts its media pipeline. The caller creates its call when it
 * invites and calls confab_call_start() once the callee answered; the callee creates its
 * call when the user answers and passes the offer to confab_call_set_remote_description().
 *
 * Returns: (transfer full) (nullable): the call, or %NULL if a GStreamer plugin is missing
 */
ConfabCall *
confab_call_new (const char         *call_id,
                 const char         *peer,
                 ConfabCallRole      role,
                 ConfabCallMedia     media,
                 ConfabMediaDevices *devices,
                 GError            **error)
{
  g_return_val_if_fail (call_id != NULL, NULL);
  g_return_val_if_fail (devices == NULL || CONFAB_IS_MEDIA_DEVICES (devices), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  confab_call_warm_up ();

  return g_initable_new (CONFAB_TYPE_CALL, NULL, error,
                         "call-id", call_id,
                         "peer", peer,
                         "role", role,
                         "media", media,
                         "devices", devices,
                         NULL);
}

const char *
confab_call_get_call_id (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), NULL);

  return self->call_id;
}

const char *
confab_call_get_peer (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), NULL);

  return self->peer;
}

ConfabCallRole
confab_call_get_role (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), CONFAB_CALL_ROLE_CALLER);

  return self->role;
}

ConfabCallMedia
confab_call_get_media (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), CONFAB_CALL_MEDIA_NONE);

  return self->media;
}

ConfabCallState
confab_call_get_state (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), CONFAB_CALL_STATE_ENDED);

  return self->state;
}

/**
 * confab_call_get_end_reason:
 *
 * Returns: (nullable): why the call ended, %NULL while it has not
 */
const char *
confab_call_get_end_reason (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), NULL);

  return self->end_reason;
}

gboolean
confab_call_get_muted (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), FALSE);

  return self->muted;
}

gboolean
confab_call_get_camera_on (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), FALSE);

  return self->camera_on;
}

/**
 * confab_call_get_duration:
 *
 * Returns: seconds since the call connected (until it ended), 0 before
 */
guint
confab_call_get_duration (ConfabCall *self)
{
  gint64 end;

  g_return_val_if_fail (CONFAB_IS_CALL (self), 0);

  if (self->connected_at == 0)
    return 0;

  end = self->ended_at != 0 ? self->ended_at : g_get_monotonic_time ();
  return (guint) ((end - self->connected_at) / G_USEC_PER_SEC);
}

/**
 * confab_call_get_local_video:
 *
 * Returns: (transfer none): the camera preview
 */
GdkPaintable *
confab_call_get_local_video (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), NULL);

  return self->pipeline != NULL ? confab_call_pipeline_get_local_video (self->pipeline) : NULL;
}

/**
 * confab_call_get_remote_video:
 *
 * Returns: (transfer none): the peer's video
 */
GdkPaintable *
confab_call_get_remote_video (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), NULL);

  return self->pipeline != NULL ? confab_call_pipeline_get_remote_video (self->pipeline) : NULL;
}

/**
 * confab_call_get_refused_media:
 *
 * Returns: the media of the call that the peer refused (it rejected their media lines); the
 *   call goes on with the others
 */
ConfabCallMedia
confab_call_get_refused_media (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), CONFAB_CALL_MEDIA_NONE);

  return self->refused_media;
}

guint64
confab_call_get_video_frames_received (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), 0);

  return self->pipeline != NULL ? confab_call_pipeline_get_video_frames_received (self->pipeline)
                                : 0;
}

guint64
confab_call_get_audio_buffers_received (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), 0);

  return self->pipeline != NULL ? confab_call_pipeline_get_audio_buffers_received (self->pipeline)
                                : 0;
}

/**
 * confab_call_set_ice_servers:
 * @servers: the `ice_servers` array of the server's `hello` result,
 *   `[{urls: [...], username?, credential?}]`
 *
 * Configures STUN and TURN. Call it before confab_call_start() or before the offer is
 * passed in. webrtcbin takes one STUN server: the first one listed is used.
 *
 * Returns: %FALSE if @servers is malformed (nothing is configured then)
 */
gboolean
confab_call_set_ice_servers (ConfabCall  *self,
                             JsonArray   *servers,
                             GError     **error)
{
  g_autoptr(GPtrArray) stun = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) turn = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (CONFAB_IS_CALL (self), FALSE);
  g_return_val_if_fail (servers != NULL, FALSE);

  for (guint i = 0; i < json_array_get_length (servers); i++)
    {
      JsonNode *node = json_array_get_element (servers, i);
      JsonObject *server;
      JsonNode *urls;
      const char *username;
      const char *credential;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        goto malformed;
      server = json_node_get_object (node);
      urls = json_object_get_member (server, "urls");
      username = json_object_get_string_member_with_default (server, "username", NULL);
      credential = json_object_get_string_member_with_default (server, "credential", NULL);
      if (urls == NULL || !JSON_NODE_HOLDS_ARRAY (urls))
        goto malformed;

      for (guint j = 0; j < json_array_get_length (json_node_get_array (urls)); j++)
        {
          JsonNode *url_node = json_array_get_element (json_node_get_array (urls), j);
          const char *url;
          gboolean is_turn = FALSE;
          char *gst_url;

          if (!JSON_NODE_HOLDS_VALUE (url_node) ||
              json_node_get_value_type (url_node) != G_TYPE_STRING)
            goto malformed;
          url = json_node_get_string (url_node);
          gst_url = ice_url_to_gst (url, username, credential, &is_turn);
          if (gst_url == NULL)
            {
              g_debug ("Skipping unusable ICE server %s", url);
              continue;
            }
          g_ptr_array_add (is_turn ? turn : stun, gst_url);
        }
    }

  if (self->pipeline != NULL)
    confab_call_pipeline_set_ice_servers (self->pipeline,
                                          stun->len > 0 ? g_ptr_array_index (stun, 0) : NULL,
                                          turn);

  return TRUE;

malformed:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Malformed ice_servers");
  return FALSE;
}

/**
 * confab_call_start:
 *
 * For the caller, once the callee answered: creates the offer, which comes out of
 * #ConfabCall::local-description.
 */
void
confab_call_start (ConfabCall *self)
{
  g_return_if_fail (CONFAB_IS_CALL (self));
  g_return_if_fail (self->role == CONFAB_CALL_ROLE_CALLER);

  if (self->state != CONFAB_CALL_STATE_NEW)
    return;

  start_connecting (self);
  confab_call_pipeline_create_offer (self->pipeline);
}

/**
 * confab_call_set_remote_description:
 * @type: `"offer"` (to the callee) or `"answer"` (to the caller)
 * @sdp: the SDP text
 *
 * Passes in the peer's session description, as received in `call_signal`. The callee
 * answers it through #ConfabCall::local-description.
 *
 * Returns: %FALSE if the description is malformed or not expected now
 */
gboolean
confab_call_set_remote_description (ConfabCall  *self,
                                    const char  *type,
                                    const char  *sdp,
                                    GError     **error)
{
  gboolean is_offer;

  g_return_val_if_fail (CONFAB_IS_CALL (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state == CONFAB_CALL_STATE_ENDED)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The call has ended");
      return FALSE;
    }

  if (g_strcmp0 (type, "offer") == 0 && self->role == CONFAB_CALL_ROLE_CALLEE)
    is_offer = TRUE;
  else if (g_strcmp0 (type, "answer") == 0 && self->role == CONFAB_CALL_ROLE_CALLER)
    is_offer = FALSE;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Unexpected session description type “%s”", type != NULL ? type : "(NULL)");
      return FALSE;
    }

  if (self->remote_description_set)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Renegotiation is not supported");
      return FALSE;
    }

  /* A malformed description changes nothing. webrtcbin's answer to a good one comes back
   * through the main loop, after the call shows it is connecting. */
  if (!confab_call_pipeline_set_remote_description (self->pipeline, is_offer, sdp, error))
    return FALSE;

  set_refused_media (self, confab_call_pipeline_get_refused_media (self->pipeline) & self->media);

  if (self->state == CONFAB_CALL_STATE_NEW)
    start_connecting (self);

  return TRUE;
}

/**
 * confab_call_add_remote_ice:
 * @candidate: an ICE candidate line from the peer (`candidate:…`)
 * @sdp_mline_index: the media line it belongs to
 *
 * Passes in one of the peer's trickled candidates. Candidates arriving before the remote
 * description are kept until it is set.
 *
 * Returns: %FALSE if the candidate is malformed
 */
gboolean
confab_call_add_remote_ice (ConfabCall  *self,
                            const char  *candidate,
                            guint        sdp_mline_index,
                            GError     **error)
{
  PendingIce *ice;

  g_return_val_if_fail (CONFAB_IS_CALL (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (candidate == NULL || sdp_mline_index > MAX_MLINE_INDEX ||
      !g_utf8_validate (candidate, -1, NULL) || strchr (candidate, '\n') != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Malformed ICE candidate");
      return FALSE;
    }

  if (self->state == CONFAB_CALL_STATE_ENDED)
    return TRUE;

  /* An empty candidate marks the end of the peer's candidates; webrtcbin needs none. */
  if (*candidate == '\0')
    return TRUE;

  if (self->remote_description_set)
    {
      confab_call_pipeline_add_ice_candidate (self->pipeline, sdp_mline_index, candidate);
      return TRUE;
    }

  ice = g_new0 (PendingIce, 1);
  ice->candidate = g_strdup (candidate);
  ice->mline = sdp_mline_index;
  g_ptr_array_add (self->pending_ice, ice);

  return TRUE;
}

/**
 * confab_call_set_muted:
 *
 * While muted no audio leaves this side at all (not even silence).
 */
void
confab_call_set_muted (ConfabCall *self,
                       gboolean    muted)
{
  g_return_if_fail (CONFAB_IS_CALL (self));

  muted = !!muted;
  if (self->muted == muted)
    return;

  self->muted = muted;
  if (self->pipeline != NULL)
    confab_call_pipeline_set_send_audio (self->pipeline, !muted);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MUTED]);
}

/**
 * confab_call_set_camera_enabled:
 *
 * Stops or resumes sending video. Without a camera (or in an audio call) the camera stays
 * off.
 */
void
confab_call_set_camera_enabled (ConfabCall *self,
                                gboolean    enabled)
{
  g_return_if_fail (CONFAB_IS_CALL (self));

  /* The pipeline knows whether a camera works now (another one may have been chosen since
   * one failed). */
  enabled = !!enabled && self->state != CONFAB_CALL_STATE_ENDED && self->pipeline != NULL &&
            confab_call_pipeline_get_has_camera (self->pipeline);
  if (self->camera_on == enabled)
    return;

  self->camera_on = enabled;
  confab_call_pipeline_set_send_video (self->pipeline, enabled);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ON]);
}

/**
 * confab_call_get_microphone_failed:
 *
 * Returns: whether the microphone could not be opened or stopped working (the peer hears
 *   silence then; choosing another microphone in the devices tries again)
 */
gboolean
confab_call_get_microphone_failed (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), FALSE);

  return self->pipeline != NULL && confab_call_pipeline_get_microphone_failed (self->pipeline);
}

/**
 * confab_call_hangup:
 *
 * Ends the call from this side, with reason "hangup". Tell the peer (call_hangup).
 */
void
confab_call_hangup (ConfabCall *self)
{
  g_return_if_fail (CONFAB_IS_CALL (self));

  end_call (self, CONFAB_CALL_END_HANGUP);
}

/**
 * confab_call_end:
 * @reason: why, usually the reason of a `call_ended` event
 *
 * Ends the call for a reason learnt from signalling (the peer hung up, answered elsewhere…).
 */
void
confab_call_end (ConfabCall *self,
                 const char *reason)
{
  g_return_if_fail (CONFAB_IS_CALL (self));
  g_return_if_fail (reason != NULL);

  end_call (self, reason);
}

const char *
confab_call_state_to_string (ConfabCallState state)
{
  if ((guint) state >= G_N_ELEMENTS (state_names))
    return "invalid";
  return state_names[state];
}

GstElement *
confab_call_get_pipeline (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), NULL);

  return self->pipeline != NULL ? confab_call_pipeline_get_element (self->pipeline) : NULL;
}

/* Monotonic time (µs) the first remote video frame was decoded, 0 before. */
gint64
confab_call_get_first_video_frame_time (ConfabCall *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL (self), 0);

  return self->pipeline != NULL ? confab_call_pipeline_get_first_video_frame_time (self->pipeline)
                                : 0;
}
