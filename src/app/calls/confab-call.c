/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call"

#include "config.h"

#include "confab-call.h"
#include "confab-call-private.h"
#include "confab-video-paintable.h"

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include <string.h>

/* One call = one pipeline around webrtcbin:
 *
 *   microphone ! audioconvert ! audioresample ! valve ! opusenc ! rtpopuspay ! webrtcbin
 *   camera ! videoconvert ! videoscale ! videorate ! caps ! tee ! queue ! local preview
 *                                                          tee ! queue ! valve ! vp8enc
 *                                                                ! rtpvp8pay ! webrtcbin
 *   webrtcbin ! rtpvp8depay ! vp8dec ! remote video      (linked when the pad appears)
 *   webrtcbin ! rtpopusdepay ! opusdec ! audioconvert ! audioresample ! speaker
 *
 * webrtcbin calls back from its own threads. Those callbacks only touch a small shared
 * CallLink and queue events for the main context, where the ConfabCall lives, so signals are
 * always emitted on the thread that created the call, in the order webrtcbin produced them.
 *
 * Once connected the call needs nothing from the signalling server: muting and the camera
 * switch act on valves in the pipeline, without renegotiation. */

#define VIDEO_WIDTH            640
#define VIDEO_HEIGHT           480
#define VIDEO_FRAMERATE        30
#define VIDEO_BITRATE          1000000
#define AUDIO_BITRATE          32000
#define JITTER_LATENCY_MS      40
#define VIDEO_PAYLOAD          96
#define AUDIO_PAYLOAD          111
#define MAX_MLINE_INDEX        16

#define WATCHDOG_INTERVAL_MS   250
/* With nothing received for this long the call shows as reconnecting, then ends. RTCP keeps
 * arriving about once a second even when the peer sends no audio and no video. */
#define RTCP_INTERVAL           GST_SECOND
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
  PROP_DURATION,
  PROP_LOCAL_VIDEO,
  PROP_REMOTE_VIDEO,
  PROP_VIDEO_FRAMES_RECEIVED,
  PROP_AUDIO_BUFFERS_RECEIVED,
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

typedef enum
{
  EVENT_LOCAL_DESCRIPTION,
  EVENT_LOCAL_ICE,
  EVENT_REMOTE_DESCRIPTION_SET,
  EVENT_ICE_STATE,
  EVENT_CONNECTION_STATE,
  EVENT_ERROR,
} EventType;

typedef struct
{
  EventType type;
  char     *text;
  char     *text2;
  guint     number;
} Event;

/* Shared between the call (main thread) and GStreamer's threads. */
typedef struct
{
  gatomicrefcount ref;
  GMutex          lock;
  ConfabCall     *call;       /* NULL once the call is disposed */
  GstElement     *webrtc;     /* NULL once the call ended */
  GMainContext   *context;
  GQueue          events;
  GSource        *source;
  gint64          last_rx;
  guint64         video_frames;
  guint64         audio_buffers;
  gint64          first_video_frame;
} CallLink;

struct _ConfabCall
{
  GObject               parent_instance;

  char                 *call_id;
  char                 *peer;
  ConfabCallRole        role;
  ConfabCallMedia       media;
  ConfabMediaDevices   *devices;

  ConfabCallState       state;
  char                 *end_reason;
  gboolean              muted;
  gboolean              camera_on;
  gboolean              has_camera;
  gint64                started_at;
  gint64                connected_at;
  gint64                ended_at;
  guint                 last_duration;

  CallLink             *link;
  GstElement           *pipeline;
  GstElement           *webrtc;
  GstElement           *microphone;   /* owned by the pipeline, as the next ones */
  GstElement           *camera;
  GstElement           *remote_audio;
  GstElement           *audio_valve;
  GstElement           *video_valve;
  GstElement           *video_encoder;
  GSource              *bus_source;
  guint                 watchdog_id;

  ConfabVideoPaintable *local_video;
  ConfabVideoPaintable *remote_video;

  gboolean              remote_description_set;
  GPtrArray            *pending_ice;   /* of Event, EVENT_LOCAL_ICE shaped */
  gboolean              ice_failed;
  gboolean              ice_disconnected;
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

static const char *const state_names[] = {
  [CONFAB_CALL_STATE_NEW] = "new",
  [CONFAB_CALL_STATE_CONNECTING] = "connecting",
  [CONFAB_CALL_STATE_CONNECTED] = "connected",
  [CONFAB_CALL_STATE_RECONNECTING] = "reconnecting",
  [CONFAB_CALL_STATE_ENDED] = "ended",
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void handle_event (ConfabCall *self,
                          Event      *event);
static void end_call     (ConfabCall *self,
                          const char *reason);

/* CallLink */

static CallLink *
call_link_new (ConfabCall *call)
{
  CallLink *link = g_new0 (CallLink, 1);

  g_atomic_ref_count_init (&link->ref);
  g_mutex_init (&link->lock);
  g_queue_init (&link->events);
  link->call = call;
  link->context = g_main_context_ref_thread_default ();

  return link;
}

static gpointer
call_link_ref (CallLink *link)
{
  g_atomic_ref_count_inc (&link->ref);
  return link;
}

static void
event_free (gpointer data)
{
  Event *event = data;

  g_free (event->text);
  g_free (event->text2);
  g_free (event);
}

static void
call_link_unref (gpointer data)
{
  CallLink *link = data;

  if (!g_atomic_ref_count_dec (&link->ref))
    return;

  g_assert (link->source == NULL);
  g_queue_clear_full (&link->events, event_free);
  gst_clear_object (&link->webrtc);
  g_main_context_unref (link->context);
  g_mutex_clear (&link->lock);
  g_free (link);
}

static void
call_link_closure_notify (gpointer  data,
                          GClosure *closure)
{
  call_link_unref (data);
}

static gboolean
call_link_dispatch (gpointer user_data)
{
  CallLink *link = user_data;
  g_autoptr(ConfabCall) call = NULL;
  GQueue events = G_QUEUE_INIT;
  Event *event;

  g_mutex_lock (&link->lock);
  events = link->events;
  g_queue_init (&link->events);
  g_clear_pointer (&link->source, g_source_unref);
  if (link->call != NULL)
    call = g_object_ref (link->call);
  g_mutex_unlock (&link->lock);

  while ((event = g_queue_pop_head (&events)) != NULL)
    {
      if (call != NULL)
        handle_event (call, event);
      event_free (event);
    }

  return G_SOURCE_REMOVE;
}

/* Called from any thread; takes ownership of the strings. */
static void
call_link_post (CallLink  *link,
                EventType  type,
                char      *text,
                char      *text2,
                guint      number)
{
  Event *event = g_new0 (Event, 1);

  event->type = type;
  event->text = text;
  event->text2 = text2;
  event->number = number;

  g_mutex_lock (&link->lock);
  if (link->call == NULL)
    {
      g_mutex_unlock (&link->lock);
      event_free (event);
      return;
    }

  g_queue_push_tail (&link->events, event);
  if (link->source == NULL)
    {
      link->source = g_idle_source_new ();
      g_source_set_priority (link->source, G_PRIORITY_DEFAULT);
      g_source_set_callback (link->source, call_link_dispatch, call_link_ref (link),
                             call_link_unref);
      g_source_attach (link->source, link->context);
    }
  g_mutex_unlock (&link->lock);
}

static GstElement *
call_link_dup_webrtc (CallLink *link)
{
  GstElement *webrtc = NULL;

  g_mutex_lock (&link->lock);
  if (link->webrtc != NULL)
    webrtc = gst_object_ref (link->webrtc);
  g_mutex_unlock (&link->lock);

  return webrtc;
}

/* Helpers */

static GstElement *
make (const char  *factory,
      const char  *name,
      GError     **error)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                 "GStreamer element %s is missing", factory);
  return element;
}

static gboolean
add_chain (GstBin      *bin,
           GstElement **elements,
           guint        n_elements,
           GError     **error)
{
  for (guint i = 0; i < n_elements; i++)
    {
      if (elements[i] == NULL)
        {
          /* The error was set when the element failed to be made. */
          for (guint j = 0; j < n_elements; j++)
            if (elements[j] != NULL)
              gst_object_unref (gst_object_ref_sink (elements[j]));
          return FALSE;
        }
    }

  for (guint i = 0; i < n_elements; i++)
    gst_bin_add (bin, elements[i]);

  for (guint i = 0; i + 1 < n_elements; i++)
    {
      if (!gst_element_link (elements[i], elements[i + 1]))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link %s to %s",
                       GST_ELEMENT_NAME (elements[i]), GST_ELEMENT_NAME (elements[i + 1]));
          return FALSE;
        }
    }

  return TRUE;
}

static const char *
sdp_type_name (GstWebRTCSDPType type)
{
  return type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer";
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

/* Threads: webrtcbin callbacks */

static void
on_description_created (GstPromise *promise,
                        gpointer    user_data)
{
  CallLink *link = user_data;
  g_autoptr(GstElement) webrtc = call_link_dup_webrtc (link);
  GstWebRTCSessionDescription *desc = NULL;
  const GstStructure *reply;
  g_autoptr(GError) error = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED || webrtc == NULL)
    return;

  reply = gst_promise_get_reply (promise);
  if (reply == NULL)
    return;

  if (gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL) && error != NULL)
    {
      call_link_post (link, EVENT_ERROR, g_strdup (error->message), NULL, 0);
      return;
    }

  if (!gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL) &&
      !gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL))
    {
      call_link_post (link, EVENT_ERROR, g_strdup ("No session description created"), NULL, 0);
      return;
    }

  /* set-local-description is queued before the peer can see the description (its answer
   * must find the offer in place); this callback runs on webrtcbin's thread, so gathering
   * starts only after it returns and the description goes out before its first candidate. */
  g_signal_emit_by_name (webrtc, "set-local-description", desc, NULL);
  call_link_post (link, EVENT_LOCAL_DESCRIPTION, g_strdup (sdp_type_name (desc->type)),
                  gst_sdp_message_as_text (desc->sdp), 0);
  gst_webrtc_session_description_free (desc);
}

static void
on_remote_description_set (GstPromise *promise,
                           gpointer    user_data)
{
  CallLink *link = user_data;
  const GstStructure *reply;
  g_autoptr(GError) error = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return;

  reply = gst_promise_get_reply (promise);
  if (reply != NULL && gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL) &&
      error != NULL)
    {
      call_link_post (link, EVENT_ERROR, g_strdup (error->message), NULL, 0);
      return;
    }

  call_link_post (link, EVENT_REMOTE_DESCRIPTION_SET, NULL, NULL, 0);
}

static void
on_webrtc_ice_candidate (GstElement *webrtc,
                         guint       mline,
                         const char *candidate,
                         gpointer    user_data)
{
  call_link_post (user_data, EVENT_LOCAL_ICE, g_strdup (candidate), NULL, mline);
}

static void
on_webrtc_ice_connection_state (GstElement *webrtc,
                                GParamSpec *pspec,
                                gpointer    user_data)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  call_link_post (user_data, EVENT_ICE_STATE, NULL, NULL, state);
}

static void
on_webrtc_connection_state (GstElement *webrtc,
                            GParamSpec *pspec,
                            gpointer    user_data)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  call_link_post (user_data, EVENT_CONNECTION_STATE, NULL, NULL, state);
}

static GstPadProbeReturn
on_rx_probe (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  CallLink *link = user_data;

  g_mutex_lock (&link->lock);
  link->last_rx = g_get_monotonic_time ();
  g_mutex_unlock (&link->lock);

  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_video_frame_probe (GstPad          *pad,
                      GstPadProbeInfo *info,
                      gpointer         user_data)
{
  CallLink *link = user_data;

  g_mutex_lock (&link->lock);
  if (link->video_frames++ == 0)
    link->first_video_frame = g_get_monotonic_time ();
  g_mutex_unlock (&link->lock);

  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
on_audio_buffer_probe (GstPad          *pad,
                       GstPadProbeInfo *info,
                       gpointer         user_data)
{
  CallLink *link = user_data;

  g_mutex_lock (&link->lock);
  link->audio_buffers++;
  g_mutex_unlock (&link->lock);

  return GST_PAD_PROBE_OK;
}

static void
add_link_probe (GstElement             *element,
                const char             *pad_name,
                GstPadProbeType         type,
                GstPadProbeCallback     callback,
                CallLink               *link)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, pad_name);

  if (pad != NULL)
    gst_pad_add_probe (pad, type, callback, call_link_ref (link), call_link_unref);
}

/* Every packet from the peer (SRTP, SRTCP, DTLS) leaves webrtcbin's nicesrc: its arrival
 * tells whether the peer is still there, whatever it sends. */
static void
on_pipeline_deep_element_added (GstBin     *bin,
                                GstBin     *sub_bin,
                                GstElement *element,
                                gpointer    user_data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  if (factory != NULL && g_str_equal (GST_OBJECT_NAME (factory), "nicesrc"))
    add_link_probe (element, "src", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                    on_rx_probe, user_data);
}

static void
on_webrtc_pad_added (GstElement *webrtc,
                     GstPad     *pad,
                     gpointer    user_data)
{
  CallLink *link = user_data;
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstObject) parent = NULL;
  g_autoptr(GstElement) sink = NULL;
  g_autoptr(GstPad) sink_pad = NULL;
  g_autoptr(GstPad) first_pad = NULL;
  GstElement *chain[5] = { NULL, };
  guint n_chain = 0;
  const GstStructure *s;
  const char *media;
  const char *encoding;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;

  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  s = gst_caps_get_structure (caps, 0);
  media = gst_structure_get_string (s, "media");
  encoding = gst_structure_get_string (s, "encoding-name");
  parent = gst_object_get_parent (GST_OBJECT (webrtc));
  if (parent == NULL)
    return;

  g_debug ("Incoming %s stream, %s", GST_STR_NULL (media), GST_STR_NULL (encoding));

  if (g_strcmp0 (media, "video") == 0 && g_strcmp0 (encoding, "VP8") == 0)
    {
      chain[n_chain++] = gst_element_factory_make ("rtpvp8depay", NULL);
      chain[n_chain++] = gst_element_factory_make ("vp8dec", NULL);
      if (chain[n_chain - 1] != NULL)
        g_object_set (chain[n_chain - 1], "threads", 1, NULL);
      sink = gst_bin_get_by_name (GST_BIN (parent), "remote-video");
    }
  else if (g_strcmp0 (media, "audio") == 0 && g_strcmp0 (encoding, "OPUS") == 0)
    {
      chain[n_chain++] = gst_element_factory_make ("rtpopusdepay", NULL);
      chain[n_chain++] = gst_element_factory_make ("opusdec", NULL);
      chain[n_chain++] = gst_element_factory_make ("audioconvert", NULL);
      chain[n_chain++] = gst_element_factory_make ("audioresample", NULL);
      sink = gst_bin_get_by_name (GST_BIN (parent), "remote-audio");
    }

  if (sink != NULL)
    {
      sink_pad = gst_element_get_static_pad (sink, "sink");
      if (sink_pad == NULL || gst_pad_is_linked (sink_pad))
        gst_clear_object (&sink);
    }

  if (sink == NULL)
    {
      for (guint i = 0; i < n_chain; i++)
        if (chain[i] != NULL)
          gst_object_unref (gst_object_ref_sink (chain[i]));
      n_chain = 0;
      chain[n_chain++] = gst_element_factory_make ("fakesink", NULL);
      g_object_set (chain[0], "async", FALSE, "sync", FALSE, NULL);
    }

  if (!add_chain (GST_BIN (parent), chain, n_chain, NULL))
    {
      call_link_post (link, EVENT_ERROR, g_strdup ("Could not decode the incoming stream"),
                      NULL, 0);
      return;
    }

  if (sink != NULL)
    {
      if (g_strcmp0 (media, "video") == 0)
        add_link_probe (chain[1], "src", GST_PAD_PROBE_TYPE_BUFFER, on_video_frame_probe, link);
      else
        add_link_probe (chain[1], "sink", GST_PAD_PROBE_TYPE_BUFFER, on_audio_buffer_probe, link);

      gst_element_link (chain[n_chain - 1], sink);
      gst_element_set_locked_state (sink, FALSE);
      gst_element_sync_state_with_parent (sink);
    }

  for (guint i = n_chain; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);

  first_pad = gst_element_get_static_pad (chain[0], "sink");
  if (gst_pad_link (pad, first_pad) != GST_PAD_LINK_OK)
    call_link_post (link, EVENT_ERROR, g_strdup ("Could not link the incoming stream"), NULL, 0);
}

/* Main thread */

static void
flush_pending_ice (ConfabCall *self)
{
  for (guint i = 0; i < self->pending_ice->len; i++)
    {
      Event *ice = g_ptr_array_index (self->pending_ice, i);

      g_signal_emit_by_name (self->webrtc, "add-ice-candidate", ice->number, ice->text);
    }
  g_ptr_array_set_size (self->pending_ice, 0);
}

static void
create_answer (ConfabCall *self)
{
  GstPromise *promise;

  promise = gst_promise_new_with_change_func (on_description_created, call_link_ref (self->link),
                                              call_link_unref);
  g_signal_emit_by_name (self->webrtc, "create-answer", NULL, promise);
}

/* RTCP is what keeps arriving when the peer is muted with its camera off. Its default
 * interval (5 s, randomized up to 7.5 s) is too sparse to tell silence from a lost peer
 * within seconds, so every session (one per media line) reports every second. */
static void
shorten_rtcp_interval (ConfabCall *self)
{
  g_autoptr(GstElement) rtpbin = gst_bin_get_by_name (GST_BIN (self->webrtc), "rtpbin");
  guint n_sessions = 0;

  if (rtpbin == NULL)
    return;

  for (guint id = 0; id <= MAX_MLINE_INDEX; id++)
    {
      g_autoptr(GObject) session = NULL;

      g_signal_emit_by_name (rtpbin, "get-internal-session", id, &session);
      if (session == NULL)
        break;
      if (g_object_class_find_property (G_OBJECT_GET_CLASS (session), "rtcp-min-interval") == NULL)
        break;
      g_object_set (session, "rtcp-min-interval", (guint64) RTCP_INTERVAL, NULL);
      n_sessions++;
    }

  if (n_sessions == 0)
    g_debug ("Call %s: cannot shorten the RTCP interval", self->call_id);
}

static void
handle_ice_state (ConfabCall                  *self,
                  GstWebRTCICEConnectionState  state)
{
  g_debug ("Call %s: ICE state %d", self->call_id, state);

  self->ice_failed = state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED;
  self->ice_disconnected = state == GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED;

  if (self->ice_failed)
    end_call (self, self->connected_at != 0 ? CONFAB_CALL_END_CONNECTION_LOST
                                            : CONFAB_CALL_END_CONNECTION_FAILED);
  else if (self->ice_disconnected && self->state == CONFAB_CALL_STATE_CONNECTED)
    set_state (self, CONFAB_CALL_STATE_RECONNECTING);
}

static void
handle_event (ConfabCall *self,
              Event      *event)
{
  if (self->state == CONFAB_CALL_STATE_ENDED)
    return;

  switch (event->type)
    {
    case EVENT_LOCAL_DESCRIPTION:
      g_signal_emit (self, signals[SIGNAL_LOCAL_DESCRIPTION], 0, event->text, event->text2);
      break;

    case EVENT_LOCAL_ICE:
      g_signal_emit (self, signals[SIGNAL_LOCAL_ICE], 0, event->text, event->number);
      break;

    case EVENT_REMOTE_DESCRIPTION_SET:
      self->remote_description_set = TRUE;
      flush_pending_ice (self);
      if (self->role == CONFAB_CALL_ROLE_CALLEE)
        create_answer (self);
      break;

    case EVENT_ICE_STATE:
      handle_ice_state (self, event->number);
      break;

    case EVENT_CONNECTION_STATE:
      if (event->number == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
        {
          g_mutex_lock (&self->link->lock);
          self->link->last_rx = g_get_monotonic_time ();
          g_mutex_unlock (&self->link->lock);
          shorten_rtcp_interval (self);
          set_state (self, CONFAB_CALL_STATE_CONNECTED);
        }
      else if (event->number == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
        end_call (self, self->connected_at != 0 ? CONFAB_CALL_END_CONNECTION_LOST
                                                : CONFAB_CALL_END_CONNECTION_FAILED);
      break;

    case EVENT_ERROR:
      g_message ("Call %s: %s", self->call_id, event->text);
      end_call (self, CONFAB_CALL_END_MEDIA_ERROR);
      break;

    default:
      g_assert_not_reached ();
    }
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

  g_mutex_lock (&self->link->lock);
  silence = now - self->link->last_rx;
  g_mutex_unlock (&self->link->lock);

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
stop_pipeline (ConfabCall *self)
{
  g_mutex_lock (&self->link->lock);
  gst_clear_object (&self->link->webrtc);
  g_mutex_unlock (&self->link->lock);

  if (self->bus_source != NULL)
    {
      g_source_destroy (self->bus_source);
      g_clear_pointer (&self->bus_source, g_source_unref);
    }

  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
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
  stop_pipeline (self);
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

static gboolean
from_element (GstMessage *message,
              GstElement *element)
{
  GstObject *source = GST_MESSAGE_SRC (message);

  return element != NULL && source != NULL &&
         (source == GST_OBJECT (element) ||
          gst_object_has_as_ancestor (source, GST_OBJECT (element)));
}

static gboolean
on_bus_message (GstBus     *bus,
                GstMessage *message,
                gpointer    user_data)
{
  ConfabCall *self = CONFAB_CALL (user_data);

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *debug = NULL;
        g_autofree char *path = gst_object_get_path_string (GST_MESSAGE_SRC (message));

        gst_message_parse_error (message, &error, &debug);
        g_message ("Call %s: %s: %s (%s)", self->call_id, path, error->message,
                   GST_STR_NULL (debug));

        /* A device that fails (no sound server, a camera in use elsewhere) leaves a call worth
         * keeping: the rest still flows both ways. */
        if (from_element (message, self->camera))
          {
            self->has_camera = FALSE;
            if (self->camera_on)
              {
                self->camera_on = FALSE;
                g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ON]);
              }
          }
        else if (!from_element (message, self->microphone) &&
                 !from_element (message, self->remote_audio))
          end_call (self, CONFAB_CALL_END_MEDIA_ERROR);
      }
      break;

    case GST_MESSAGE_LATENCY:
      gst_bin_recalculate_latency (GST_BIN (self->pipeline));
      break;

    default:
      break;
    }

  return G_SOURCE_CONTINUE;
}

static gboolean
link_to_webrtc (ConfabCall  *self,
                GstElement  *last,
                GError     **error)
{
  g_autoptr(GstPad) src = gst_element_get_static_pad (last, "src");
  g_autoptr(GstPad) sink = gst_element_request_pad_simple (self->webrtc, "sink_%u");
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

  if (sink == NULL || gst_pad_link (src, sink) != GST_PAD_LINK_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not link to webrtcbin");
      return FALSE;
    }

  /* No "do-nack": retransmissions hardly fit in a 40 ms jitter buffer, and GStreamer 1.22's
   * RTP session, when it has NACKs to send, releases its lock inside a walk of its sources
   * (an assertion, or worse, when a source comes or goes meanwhile). Losses are repaired by
   * key frames on PLI instead. */
  g_object_get (sink, "transceiver", &transceiver, NULL);
  if (transceiver != NULL)
    g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV, NULL);

  return TRUE;
}

static void
add_receive_only (ConfabCall *self,
                  gboolean    is_video)
{
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

  if (is_video)
    caps = gst_caps_from_string ("application/x-rtp,media=video,encoding-name=VP8,"
                                 "clock-rate=90000,payload=96");
  else
    caps = gst_caps_from_string ("application/x-rtp,media=audio,encoding-name=OPUS,"
                                 "clock-rate=48000,encoding-params=(string)2,payload=111");

  g_signal_emit_by_name (self->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
}

static gboolean
build_audio_send (ConfabCall  *self,
                  GError     **error)
{
  g_autoptr(GstCaps) caps = gst_caps_from_string ("application/x-rtp,media=audio,"
                                                  "encoding-name=OPUS,payload=111");
  GstElement *source = confab_media_devices_create_microphone_source (self->devices);
  GstElement *chain[8];
  GstElement *encoder;
  GstElement *payloader;
  GstElement *filter;

  if (source == NULL)
    {
      add_receive_only (self, FALSE);
      return TRUE;
    }

  chain[0] = self->microphone = source;
  chain[1] = make ("audioconvert", NULL, error);
  chain[2] = make ("audioresample", NULL, error);
  chain[3] = self->audio_valve = make ("valve", "audio-valve", error);
  chain[4] = encoder = make ("opusenc", NULL, error);
  chain[5] = payloader = make ("rtpopuspay", NULL, error);
  chain[6] = filter = make ("capsfilter", NULL, error);
  chain[7] = NULL;

  if (!add_chain (GST_BIN (self->pipeline), chain, 7, error))
    {
      self->audio_valve = NULL;
      return FALSE;
    }

  gst_util_set_object_arg (G_OBJECT (self->audio_valve), "drop-mode", "forward-sticky-events");
  g_object_set (self->audio_valve, "drop", self->muted, NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "audio-type", "voice");
  g_object_set (encoder, "bitrate", AUDIO_BITRATE, "inband-fec", TRUE, "frame-size", 20, NULL);
  g_object_set (payloader, "pt", AUDIO_PAYLOAD, NULL);
  g_object_set (filter, "caps", caps, NULL);

  return link_to_webrtc (self, filter, error);
}

static gboolean
build_video_send (ConfabCall  *self,
                  GError     **error)
{
  g_autoptr(GstCaps) raw_caps = NULL;
  g_autoptr(GstCaps) rtp_caps = gst_caps_from_string ("application/x-rtp,media=video,"
                                                      "encoding-name=VP8,payload=96");
  GstElement *source = confab_media_devices_create_camera_source (self->devices);
  GstElement *capture[6];
  GstElement *preview[2];
  GstElement *send[5];
  GstElement *tee;
  GstElement *encoder;

  if (source == NULL)
    {
      g_debug ("No camera: the call sends no video");
      add_receive_only (self, TRUE);
      return TRUE;
    }

  raw_caps = gst_caps_new_simple ("video/x-raw",
                                  "width", G_TYPE_INT, VIDEO_WIDTH,
                                  "height", G_TYPE_INT, VIDEO_HEIGHT,
                                  "framerate", GST_TYPE_FRACTION, VIDEO_FRAMERATE, 1,
                                  NULL);

  capture[0] = self->camera = source;
  capture[1] = make ("videoconvert", NULL, error);
  capture[2] = make ("videoscale", NULL, error);
  capture[3] = make ("videorate", NULL, error);
  capture[4] = make ("capsfilter", NULL, error);
  capture[5] = tee = make ("tee", "video-tee", error);
  if (!add_chain (GST_BIN (self->pipeline), capture, G_N_ELEMENTS (capture), error))
    return FALSE;
  g_object_set (capture[4], "caps", raw_caps, NULL);

  /* The preview must never hold the encoder back: it keeps one frame at most. */
  preview[0] = make ("queue", NULL, error);
  preview[1] = confab_video_paintable_get_sink (self->local_video);
  if (preview[1] == NULL)
    preview[1] = make ("fakesink", NULL, error);
  if (!add_chain (GST_BIN (self->pipeline), preview, G_N_ELEMENTS (preview), error) ||
      !gst_element_link (tee, preview[0]))
    return FALSE;
  g_object_set (preview[0], "max-size-buffers", 1, "max-size-bytes", 0, "max-size-time",
                (guint64) 0, NULL);
  gst_util_set_object_arg (G_OBJECT (preview[0]), "leaky", "downstream");

  send[0] = make ("queue", NULL, error);
  send[1] = self->video_valve = make ("valve", "video-valve", error);
  send[2] = encoder = make ("vp8enc", NULL, error);
  send[3] = make ("rtpvp8pay", NULL, error);
  send[4] = make ("capsfilter", NULL, error);
  if (!add_chain (GST_BIN (self->pipeline), send, G_N_ELEMENTS (send), error) ||
      !gst_element_link (tee, send[0]))
    {
      self->video_valve = NULL;
      return FALSE;
    }
  self->video_encoder = encoder;

  g_object_set (send[0], "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
                (guint64) 0, NULL);
  gst_util_set_object_arg (G_OBJECT (send[0]), "leaky", "downstream");
  gst_util_set_object_arg (G_OBJECT (self->video_valve), "drop-mode", "forward-sticky-events");
  /* Tuned for live video: encode each frame as it comes, never look ahead, constant bit
   * rate with a small buffer so a burst does not build up delay. */
  gst_util_set_object_arg (G_OBJECT (encoder), "end-usage", "cbr");
  gst_util_set_object_arg (G_OBJECT (encoder), "error-resilient", "default");
  g_object_set (encoder,
                "deadline", (gint64) 1,
                "cpu-used", 8,
                "threads", 1,
                "lag-in-frames", 0,
                "target-bitrate", VIDEO_BITRATE,
                "keyframe-max-dist", 300,
                "buffer-size", 600,
                "buffer-initial-size", 400,
                "buffer-optimal-size", 500,
                "undershoot", 95,
                "max-quantizer", 56,
                NULL);
  g_object_set (send[3], "pt", VIDEO_PAYLOAD, NULL);
  gst_util_set_object_arg (G_OBJECT (send[3]), "picture-id-mode", "15-bit");
  g_object_set (send[4], "caps", rtp_caps, NULL);

  self->has_camera = TRUE;
  self->camera_on = TRUE;

  return link_to_webrtc (self, send[4], error);
}

/* webrtcbin leaves loopback out of its host candidates, so two calls on one host (tests, the
 * benchmark) would find no pair. Naming addresses replaces libnice's own discovery, hence the
 * machine's other addresses are added too. */
static void
add_local_addresses (ConfabCall *self)
{
  g_autoptr(GObject) ice = NULL;
  g_autoptr(GObject) agent = NULL;
  GList *ips;
  NiceAddress address;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  if (ice == NULL || g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") == NULL)
    return;
  g_object_get (ice, "agent", &agent, NULL);
  if (agent == NULL || !NICE_IS_AGENT (agent))
    return;

  /* Asking routers for port mappings (UPnP) delays gathering and is not what an office
   * network wants; STUN and TURN cover NAT. */
  g_object_set (agent, "upnp", FALSE, NULL);

  ips = nice_interfaces_get_local_ips (FALSE);
  ips = g_list_append (ips, g_strdup ("127.0.0.1"));
  for (GList *l = ips; l != NULL; l = l->next)
    {
      nice_address_init (&address);
      if (nice_address_set_from_string (&address, l->data))
        nice_agent_add_local_address (NICE_AGENT (agent), &address);
    }
  g_list_free_full (ips, g_free);
}

static gboolean
build_pipeline (ConfabCall  *self,
                GError     **error)
{
  g_autoptr(GstBus) bus = NULL;
  gboolean test_mode = confab_media_devices_get_test_mode (self->devices);
  GstElement *remote_audio;
  GstElement *remote_video;

  self->pipeline = gst_pipeline_new (self->call_id);
  gst_object_ref_sink (self->pipeline);
  self->webrtc = make ("webrtcbin", "webrtc", error);
  if (self->webrtc == NULL)
    return FALSE;
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);
  gst_object_ref (self->webrtc);
  self->link->webrtc = gst_object_ref (self->webrtc);

  /* No BUNDLE: audio and video each get their own transport and RTP session. Bundled, both
   * streams reach GStreamer 1.22's RTP session through an rtpfunnel that drops their caps,
   * so the session learns each sender's clock rate only while writing that sender's first
   * RTCP report. It fetches it with its lock released, in the middle of a walk over its
   * sources; a packet from a new SSRC (the peer's first ones, or our other stream's) added
   * meanwhile makes GLib abort the walk ("g_hash_table_foreach: assertion 'version ==
   * hash_table->version' failed") and that report is lost. Later GStreamer walks a copy of
   * the table. Unbundled, each session gets its one sender's caps, clock rate included,
   * before its first packet, and never drops its lock during that walk. */
  gst_util_set_object_arg (G_OBJECT (self->webrtc), "bundle-policy", "none");
  g_object_set (self->webrtc, "latency", JITTER_LATENCY_MS, NULL);
  add_local_addresses (self);

  g_signal_connect_data (self->webrtc, "on-ice-candidate", G_CALLBACK (on_webrtc_ice_candidate),
                         call_link_ref (self->link), call_link_closure_notify, 0);
  g_signal_connect_data (self->webrtc, "notify::ice-connection-state",
                         G_CALLBACK (on_webrtc_ice_connection_state),
                         call_link_ref (self->link), call_link_closure_notify, 0);
  g_signal_connect_data (self->webrtc, "notify::connection-state",
                         G_CALLBACK (on_webrtc_connection_state),
                         call_link_ref (self->link), call_link_closure_notify, 0);
  g_signal_connect_data (self->webrtc, "pad-added", G_CALLBACK (on_webrtc_pad_added),
                         call_link_ref (self->link), call_link_closure_notify, 0);
  g_signal_connect_data (self->pipeline, "deep-element-added",
                         G_CALLBACK (on_pipeline_deep_element_added),
                         call_link_ref (self->link), call_link_closure_notify, 0);

  /* The paintables are made here, on the main thread; their sinks wait in the pipeline,
   * locked, until the peer's stream arrives. */
  self->local_video = confab_video_paintable_new (!test_mode);
  self->remote_video = confab_video_paintable_new (!test_mode);

  if ((self->media & CONFAB_CALL_MEDIA_AUDIO) != 0)
    {
      if (!build_audio_send (self, error))
        return FALSE;

      remote_audio = confab_media_devices_create_speaker_sink (self->devices);
      if (remote_audio == NULL)
        remote_audio = make ("fakesink", NULL, error);
      if (remote_audio == NULL)
        return FALSE;
      gst_object_set_name (GST_OBJECT (remote_audio), "remote-audio");
      self->remote_audio = remote_audio;
      gst_element_set_locked_state (remote_audio, TRUE);
      gst_bin_add (GST_BIN (self->pipeline), remote_audio);
    }

  if ((self->media & CONFAB_CALL_MEDIA_VIDEO) != 0)
    {
      if (!build_video_send (self, error))
        return FALSE;

      remote_video = confab_video_paintable_get_sink (self->remote_video);
      if (remote_video != NULL)
        {
          gst_object_set_name (GST_OBJECT (remote_video), "remote-video");
          gst_element_set_locked_state (remote_video, TRUE);
          gst_bin_add (GST_BIN (self->pipeline), remote_video);
        }
    }

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_source = gst_bus_create_watch (bus);
  g_source_set_callback (self->bus_source, G_SOURCE_FUNC (on_bus_message), self, NULL);
  g_source_attach (self->bus_source, self->link->context);

  /* Sources start now, while the peer is still ringing, so the encoder is warm when the
   * answer comes; webrtcbin holds the data back until the session is negotiated. */
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not start the media pipeline");
      return FALSE;
    }

  return TRUE;
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

    case PROP_DURATION:
      g_value_set_uint (value, confab_call_get_duration (self));
      break;

    case PROP_LOCAL_VIDEO:
      g_value_set_object (value, self->local_video);
      break;

    case PROP_REMOTE_VIDEO:
      g_value_set_object (value, self->remote_video);
      break;

    case PROP_VIDEO_FRAMES_RECEIVED:
      g_value_set_uint64 (value, confab_call_get_video_frames_received (self));
      break;

    case PROP_AUDIO_BUFFERS_RECEIVED:
      g_value_set_uint64 (value, confab_call_get_audio_buffers_received (self));
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

  if (!build_pipeline (self, error))
    {
      stop_pipeline (self);
      return FALSE;
    }

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

  g_mutex_lock (&self->link->lock);
  self->link->call = NULL;
  g_queue_clear_full (&self->link->events, event_free);
  if (self->link->source != NULL)
    {
      g_source_destroy (self->link->source);
      g_clear_pointer (&self->link->source, g_source_unref);
    }
  g_mutex_unlock (&self->link->lock);

  stop_pipeline (self);
  gst_clear_object (&self->webrtc);
  gst_clear_object (&self->pipeline);
  self->microphone = NULL;
  self->camera = NULL;
  self->remote_audio = NULL;
  self->audio_valve = NULL;
  self->video_valve = NULL;
  self->video_encoder = NULL;

  g_clear_object (&self->local_video);
  g_clear_object (&self->remote_video);
  g_clear_object (&self->devices);

  G_OBJECT_CLASS (confab_call_parent_class)->dispose (object);
}

static void
confab_call_finalize (GObject *object)
{
  ConfabCall *self = CONFAB_CALL (object);

  call_link_unref (self->link);
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

  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

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
  self->link = call_link_new (self);
  self->pending_ice = g_ptr_array_new_with_free_func (event_free);
  self->media = CONFAB_CALL_MEDIA_AUDIO;
}

/* The thread confab_call_warm_up() started, until confab_call_warm_up_wait() joins it. */
static GThread *warm_up_worker;

static gpointer
warm_up_thread (gpointer data)
{
  GstElement *dtls = gst_element_factory_make ("dtlsdec", NULL);

  if (dtls != NULL)
    gst_object_unref (gst_object_ref_sink (dtls));
  return NULL;
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
  static gsize warmed_up = 0;

  if (g_once_init_enter (&warmed_up))
    {
      if (!gst_is_initialized ())
        gst_init (NULL, NULL);
      warm_up_worker = g_thread_new ("confab-call-warm-up", warm_up_thread, NULL);
      g_once_init_leave (&warmed_up, 1);
    }
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
  GThread *thread = g_atomic_pointer_exchange (&warm_up_worker, NULL);

  if (thread != NULL)
    g_thread_join (thread);
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

  return GDK_PAINTABLE (self->local_video);
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

  return GDK_PAINTABLE (self->remote_video);
}

guint64
confab_call_get_video_frames_received (ConfabCall *self)
{
  guint64 frames;

  g_return_val_if_fail (CONFAB_IS_CALL (self), 0);

  g_mutex_lock (&self->link->lock);
  frames = self->link->video_frames;
  g_mutex_unlock (&self->link->lock);

  return frames;
}

guint64
confab_call_get_audio_buffers_received (ConfabCall *self)
{
  guint64 buffers;

  g_return_val_if_fail (CONFAB_IS_CALL (self), 0);

  g_mutex_lock (&self->link->lock);
  buffers = self->link->audio_buffers;
  g_mutex_unlock (&self->link->lock);

  return buffers;
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

  if (self->webrtc == NULL)
    return TRUE;

  if (stun->len > 0)
    g_object_set (self->webrtc, "stun-server", g_ptr_array_index (stun, 0), NULL);
  for (guint i = 0; i < turn->len; i++)
    {
      gboolean added = FALSE;

      g_signal_emit_by_name (self->webrtc, "add-turn-server", g_ptr_array_index (turn, i), &added);
      if (!added)
        g_debug ("webrtcbin refused a TURN server");
    }

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
  GstPromise *promise;

  g_return_if_fail (CONFAB_IS_CALL (self));
  g_return_if_fail (self->role == CONFAB_CALL_ROLE_CALLER);

  if (self->state != CONFAB_CALL_STATE_NEW)
    return;

  start_connecting (self);
  promise = gst_promise_new_with_change_func (on_description_created, call_link_ref (self->link),
                                              call_link_unref);
  g_signal_emit_by_name (self->webrtc, "create-offer", NULL, promise);
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
  GstSDPMessage *message = NULL;
  GstWebRTCSessionDescription *desc;
  GstWebRTCSDPType sdp_type;
  GstPromise *promise;

  g_return_val_if_fail (CONFAB_IS_CALL (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->state == CONFAB_CALL_STATE_ENDED)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The call has ended");
      return FALSE;
    }

  if (g_strcmp0 (type, "offer") == 0 && self->role == CONFAB_CALL_ROLE_CALLEE)
    sdp_type = GST_WEBRTC_SDP_TYPE_OFFER;
  else if (g_strcmp0 (type, "answer") == 0 && self->role == CONFAB_CALL_ROLE_CALLER)
    sdp_type = GST_WEBRTC_SDP_TYPE_ANSWER;
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Unexpected session description type “%s”", GST_STR_NULL (type));
      return FALSE;
    }

  if (self->remote_description_set)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "Renegotiation is not supported");
      return FALSE;
    }

  if (sdp == NULL || gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK ||
      gst_sdp_message_medias_len (message) == 0)
    {
      g_clear_pointer (&message, gst_sdp_message_free);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Malformed session description");
      return FALSE;
    }

  if (self->state == CONFAB_CALL_STATE_NEW)
    start_connecting (self);

  desc = gst_webrtc_session_description_new (sdp_type, message);
  promise = gst_promise_new_with_change_func (on_remote_description_set,
                                              call_link_ref (self->link), call_link_unref);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);

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
  Event *ice;

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
      g_signal_emit_by_name (self->webrtc, "add-ice-candidate", sdp_mline_index, candidate);
      return TRUE;
    }

  ice = g_new0 (Event, 1);
  ice->type = EVENT_LOCAL_ICE;
  ice->text = g_strdup (candidate);
  ice->number = sdp_mline_index;
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
  if (self->audio_valve != NULL)
    g_object_set (self->audio_valve, "drop", muted, NULL);
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

  enabled = !!enabled && self->has_camera && self->state != CONFAB_CALL_STATE_ENDED;
  if (self->camera_on == enabled)
    return;

  self->camera_on = enabled;
  g_object_set (self->video_valve, "drop", !enabled, NULL);

  /* The peer's decoder lost its reference frames meanwhile: start again with a key frame. */
  if (enabled)
    {
      g_autoptr(GstPad) pad = gst_element_get_static_pad (self->video_encoder, "src");

      gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                            TRUE, 0));
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAMERA_ON]);
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

  return self->pipeline;
}

/* Monotonic time (µs) the first remote video frame was decoded, 0 before. */
gint64
confab_call_get_first_video_frame_time (ConfabCall *self)
{
  gint64 when;

  g_return_val_if_fail (CONFAB_IS_CALL (self), 0);

  g_mutex_lock (&self->link->lock);
  when = self->link->first_video_frame;
  g_mutex_unlock (&self->link->lock);

  return when;
}
