/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-pipeline"

#include "config.h"

#include "confab-call-pipeline.h"
#include "confab-media-devices.h"
#include "confab-video-paintable.h"

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include <string.h>

/* The media side of a call: one pipeline around webrtcbin.
 *
 *   microphone ! queue ! audioconvert ! audioresample ! valve ! opusenc ! rtpopuspay ! webrtcbin
 *   camera ! videoconvert ! videoscale ! videorate ! caps ! tee ! queue ! local preview
 *                                                          tee ! queue ! valve ! vp8enc
 *                                                                ! rtpvp8pay ! webrtcbin
 *   webrtcbin ! rtpvp8depay ! vp8dec ! remote video      (linked when the pad appears)
 *   webrtcbin ! rtpopusdepay ! opusdec ! audioconvert ! audioresample ! speaker
 *
 * webrtcbin calls back from its own threads. Those callbacks only touch a small shared
 * MediaLink and queue events for the main context, where the pipeline object (and its call)
 * lives, so signals are always emitted on the thread that created it, in the order webrtcbin
 * produced them.
 *
 * Muting and the camera switch act on valves in the pipeline, without renegotiation. So do
 * device changes during the call: the new microphone or camera takes the old one's place at
 * the head of its chain, the new speaker the old one's at the end. A microphone that cannot
 * be opened is replaced by silence, so the call goes on (and its video) and a working one can
 * take over later. What the events mean for the call (its states, its end) is ConfabCall's
 * business. */

#define VIDEO_WIDTH            640
#define VIDEO_HEIGHT           480
#define VIDEO_FRAMERATE        30
#define VIDEO_BITRATE          1000000
#define AUDIO_BITRATE          32000
#define JITTER_LATENCY_MS      40
#define VIDEO_PAYLOAD          96
#define AUDIO_PAYLOAD          111
#define MAX_MLINE_INDEX        16
/* What the offer says of each stream, whether or not a buffer reached webrtcbin yet: its
 * caps are the transceiver's codec preferences, and the payloader's output is held to them.
 * Opus is always two channels in SDP (RFC 7587 §7), and the encoder sends in-band FEC. */
#define AUDIO_RTP_CAPS         "application/x-rtp,media=audio,encoding-name=OPUS," \
        "clock-rate=48000,encoding-params=(string)2,payload=111,useinbandfec=(string)1"
#define VIDEO_RTP_CAPS         "application/x-rtp,media=video,encoding-name=VP8," \
        "clock-rate=90000,payload=96"
/* RTCP keeps arriving about once a second even when the peer sends no audio and no video. */
#define RTCP_INTERVAL          GST_SECOND

enum
{
  PROP_0,
  PROP_MICROPHONE_FAILED,
  N_PROPS
};

enum
{
  SIGNAL_LOCAL_DESCRIPTION,
  SIGNAL_LOCAL_ICE,
  SIGNAL_REMOTE_DESCRIPTION_SET,
  SIGNAL_ICE_CHANGED,
  SIGNAL_CONNECTED,
  SIGNAL_FAILED,
  SIGNAL_CAMERA_FAILED,
  SIGNAL_ERROR,
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

/* Shared between the pipeline object (main thread) and GStreamer's threads. */
typedef struct
{
  gatomicrefcount     ref;
  GMutex              lock;
  ConfabCallPipeline *pipeline;   /* NULL once the object is disposed */
  GstElement         *webrtc;     /* NULL once stopped */
  GMainContext       *context;
  GQueue              events;
  GSource            *source;
  gint64              last_rx;
  guint64             video_frames;
  guint64             audio_buffers;
  gint64              first_video_frame;
} MediaLink;

struct _ConfabCallPipeline
{
  GObject               parent_instance;

  char                 *name;
  ConfabCallMedia       media;
  ConfabMediaDevices   *devices;
  gboolean              muted;
  gboolean              has_camera;
  gboolean              microphone_failed;
  gboolean              stopped;
  ConfabCallMedia       refused_media;   /* the peer rejected their lines */

  MediaLink            *link;
  GstElement           *pipeline;
  GstElement           *webrtc;
  GstElement           *microphone;   /* owned by the pipeline, as the next ones */
  GstElement           *microphone_next;
  GstElement           *camera;
  GstElement           *camera_next;
  GstElement           *remote_audio;
  GstElement           *audio_valve;
  GstElement           *video_valve;
  GstElement           *video_encoder;
  GSource              *bus_source;

  ConfabVideoPaintable *local_video;
  ConfabVideoPaintable *remote_video;
};

G_DEFINE_FINAL_TYPE (ConfabCallPipeline, confab_call_pipeline, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void handle_event       (ConfabCallPipeline *self,
                                Event              *event);
static void replace_microphone (ConfabCallPipeline *self,
                                gboolean            failed);

/* MediaLink */

static MediaLink *
media_link_new (ConfabCallPipeline *pipeline)
{
  MediaLink *link = g_new0 (MediaLink, 1);

  g_atomic_ref_count_init (&link->ref);
  g_mutex_init (&link->lock);
  g_queue_init (&link->events);
  link->pipeline = pipeline;
  link->context = g_main_context_ref_thread_default ();

  return link;
}

static gpointer
media_link_ref (MediaLink *link)
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
media_link_unref (gpointer data)
{
  MediaLink *link = data;

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
media_link_closure_notify (gpointer  data,
                           GClosure *closure)
{
  media_link_unref (data);
}

static gboolean
media_link_dispatch (gpointer user_data)
{
  MediaLink *link = user_data;
  g_autoptr(ConfabCallPipeline) pipeline = NULL;
  GQueue events = G_QUEUE_INIT;
  Event *event;

  g_mutex_lock (&link->lock);
  events = link->events;
  g_queue_init (&link->events);
  g_clear_pointer (&link->source, g_source_unref);
  if (link->pipeline != NULL)
    pipeline = g_object_ref (link->pipeline);
  g_mutex_unlock (&link->lock);

  while ((event = g_queue_pop_head (&events)) != NULL)
    {
      if (pipeline != NULL)
        handle_event (pipeline, event);
      event_free (event);
    }

  return G_SOURCE_REMOVE;
}

/* Called from any thread; takes ownership of the strings. */
static void
media_link_post (MediaLink *link,
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
  if (link->pipeline == NULL)
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
      g_source_set_callback (link->source, media_link_dispatch, media_link_ref (link),
                             media_link_unref);
      g_source_attach (link->source, link->context);
    }
  g_mutex_unlock (&link->lock);
}

static GstElement *
media_link_dup_webrtc (MediaLink *link)
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

/* Threads: webrtcbin callbacks */

static void
on_description_created (GstPromise *promise,
                        gpointer    user_data)
{
  MediaLink *link = user_data;
  g_autoptr(GstElement) webrtc = media_link_dup_webrtc (link);
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
      media_link_post (link, EVENT_ERROR, g_strdup (error->message), NULL, 0);
      return;
    }

  if (!gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL) &&
      !gst_structure_get (reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &desc, NULL))
    {
      media_link_post (link, EVENT_ERROR, g_strdup ("No session description created"), NULL, 0);
      return;
    }

  /* set-local-description is queued before the peer can see the description (its answer
   * must find the offer in place); this callback runs on webrtcbin's thread, so gathering
   * starts only after it returns and the description goes out before its first candidate. */
  g_signal_emit_by_name (webrtc, "set-local-description", desc, NULL);
  media_link_post (link, EVENT_LOCAL_DESCRIPTION, g_strdup (sdp_type_name (desc->type)),
                   gst_sdp_message_as_text (desc->sdp), 0);
  gst_webrtc_session_description_free (desc);
}

static void
on_remote_description_set (GstPromise *promise,
                           gpointer    user_data)
{
  MediaLink *link = user_data;
  const GstStructure *reply;
  g_autoptr(GError) error = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    return;

  reply = gst_promise_get_reply (promise);
  if (reply != NULL && gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL) &&
      error != NULL)
    {
      media_link_post (link, EVENT_ERROR, g_strdup (error->message), NULL, 0);
      return;
    }

  media_link_post (link, EVENT_REMOTE_DESCRIPTION_SET, NULL, NULL, 0);
}

static void
on_webrtc_ice_candidate (GstElement *webrtc,
                         guint       mline,
                         const char *candidate,
                         gpointer    user_data)
{
  media_link_post (user_data, EVENT_LOCAL_ICE, g_strdup (candidate), NULL, mline);
}

static void
on_webrtc_ice_connection_state (GstElement *webrtc,
                                GParamSpec *pspec,
                                gpointer    user_data)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  media_link_post (user_data, EVENT_ICE_STATE, NULL, NULL, state);
}

static void
on_webrtc_connection_state (GstElement *webrtc,
                            GParamSpec *pspec,
                            gpointer    user_data)
{
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  media_link_post (user_data, EVENT_CONNECTION_STATE, NULL, NULL, state);
}

static GstPadProbeReturn
on_rx_probe (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  MediaLink *link = user_data;

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
  MediaLink *link = user_data;

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
  MediaLink *link = user_data;

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
                MediaLink               *link)
{
  g_autoptr(GstPad) pad = gst_element_get_static_pad (element, pad_name);

  if (pad != NULL)
    gst_pad_add_probe (pad, type, callback, media_link_ref (link), media_link_unref);
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
  MediaLink *link = user_data;
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
      media_link_post (link, EVENT_ERROR, g_strdup ("Could not decode the incoming stream"),
                       NULL, 0);
      return;
    }

  if (sink != NULL)
    {
      if (g_strcmp0 (media, "video") == 0)
        add_link_probe (chain[1], "src", GST_PAD_PROBE_TYPE_BUFFER, on_video_frame_probe, link);
      else
        add_link_probe (chain[1], "src", GST_PAD_PROBE_TYPE_BUFFER, on_audio_buffer_probe, link);

      gst_element_link (chain[n_chain - 1], sink);
      gst_element_set_locked_state (sink, FALSE);
      gst_element_sync_state_with_parent (sink);
    }

  for (guint i = n_chain; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);

  first_pad = gst_element_get_static_pad (chain[0], "sink");
  if (gst_pad_link (pad, first_pad) != GST_PAD_LINK_OK)
    media_link_post (link, EVENT_ERROR, g_strdup ("Could not link the incoming stream"), NULL, 0);
}

/* Main thread */

/* RTCP is what keeps arriving when the peer is muted with its camera off. Its default
 * interval (5 s, randomized up to 7.5 s) is too sparse to tell silence from a lost peer
 * within seconds, so every session (one per media line) reports every second. */
static void
shorten_rtcp_interval (ConfabCallPipeline *self)
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
    g_debug ("Call %s: cannot shorten the RTCP interval", self->name);
}

static void
handle_event (ConfabCallPipeline *self,
              Event              *event)
{
  if (self->stopped)
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
      g_signal_emit (self, signals[SIGNAL_REMOTE_DESCRIPTION_SET], 0);
      break;

    case EVENT_ICE_STATE:
      g_debug ("Call %s: ICE state %u", self->name, event->number);
      g_signal_emit (self, signals[SIGNAL_ICE_CHANGED], 0,
                     event->number == GST_WEBRTC_ICE_CONNECTION_STATE_DISCONNECTED,
                     event->number == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED);
      break;

    case EVENT_CONNECTION_STATE:
      if (event->number == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
        {
          g_mutex_lock (&self->link->lock);
          self->link->last_rx = g_get_monotonic_time ();
          g_mutex_unlock (&self->link->lock);
          shorten_rtcp_interval (self);
          g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
        }
      else if (event->number == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
        g_signal_emit (self, signals[SIGNAL_FAILED], 0);
      break;

    case EVENT_ERROR:
      g_message ("Call %s: %s", self->name, event->text);
      g_signal_emit (self, signals[SIGNAL_ERROR], 0);
      break;

    default:
      g_assert_not_reached ();
    }
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
  ConfabCallPipeline *self = CONFAB_CALL_PIPELINE (user_data);

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *debug = NULL;
        g_autofree char *path = gst_object_get_path_string (GST_MESSAGE_SRC (message));

        gst_message_parse_error (message, &error, &debug);
        g_message ("Call %s: %s: %s (%s)", self->name, path, error->message,
                   GST_STR_NULL (debug));

        /* A device that fails (no sound server, a camera in use elsewhere) leaves a call worth
         * keeping: the rest still flows both ways. */
        if (from_element (message, self->camera))
          {
            self->has_camera = FALSE;
            g_signal_emit (self, signals[SIGNAL_CAMERA_FAILED], 0);
          }
        else if (from_element (message, self->microphone))
          {
            /* Silence takes its place, so the call tells the user and goes on. */
            replace_microphone (self, TRUE);
          }
        else if (!from_element (message, self->remote_audio))
          g_signal_emit (self, signals[SIGNAL_ERROR], 0);
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

/* Devices */

static void
set_microphone_failed (ConfabCallPipeline *self,
                       gboolean            failed)
{
  if (self->microphone_failed == failed)
    return;

  self->microphone_failed = failed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MICROPHONE_FAILED]);
}

/* A device that cannot be opened (missing, busy, refused, no sound server) fails on its way
 * to READY. Tried alone first, it cannot make the whole pipeline fail to start. */
static gboolean
open_device_element (GstElement *element)
{
  if (gst_element_set_state (element, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE)
    return TRUE;

  gst_element_set_state (element, GST_STATE_NULL);
  gst_object_unref (gst_object_ref_sink (element));
  return FALSE;
}

static GstElement *
make_silence (void)
{
  GstElement *source = gst_element_factory_make ("audiotestsrc", "microphone");

  if (source != NULL)
    {
      gst_util_set_object_arg (G_OBJECT (source), "wave", "silence");
      /* 20 ms buffers, the Opus frame size. */
      g_object_set (source, "is-live", TRUE, "samplesperbuffer", 960, NULL);
    }
  return source;
}

/* The chosen microphone, opened, or silence when it cannot be opened. Without any audio
 * source at all (no plugin), NULL, unless @silence_if_none. */
static GstElement *
open_microphone (ConfabCallPipeline *self,
                 gboolean            silence_if_none)
{
  GstElement *source = confab_media_devices_create_microphone_source (self->devices);

  if (source != NULL && open_device_element (source))
    {
      set_microphone_failed (self, FALSE);
      return source;
    }

  if (source == NULL && !silence_if_none)
    return NULL;

  g_message ("Call %s: the microphone cannot be opened; sending silence", self->name);
  set_microphone_failed (self, TRUE);
  return make_silence ();
}

/* The chosen camera, opened, or NULL (no camera, or it cannot be opened). */
static GstElement *
open_camera (ConfabCallPipeline *self)
{
  GstElement *source = confab_media_devices_create_camera_source (self->devices);

  if (source == NULL)
    return NULL;
  if (open_device_element (source))
    return source;

  g_message ("Call %s: the camera cannot be opened", self->name);
  return NULL;
}

static void
remove_source (ConfabCallPipeline  *self,
               GstElement         **slot)
{
  if (*slot == NULL)
    return;

  /* Stopped first: its streaming thread ends before it is unlinked and removed. */
  gst_element_set_state (*slot, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self->pipeline), *slot);
  *slot = NULL;
}

static gboolean
insert_source (ConfabCallPipeline  *self,
               GstElement         **slot,
               GstElement          *source,
               GstElement          *next)
{
  gst_bin_add (GST_BIN (self->pipeline), source);
  if (!gst_element_link (source, next))
    {
      g_message ("Call %s: could not link %s", self->name, GST_ELEMENT_NAME (source));
      gst_element_set_state (source, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self->pipeline), source);
      return FALSE;
    }

  *slot = source;
  gst_element_sync_state_with_parent (source);
  return TRUE;
}

static void
replace_microphone (ConfabCallPipeline *self,
                    gboolean            failed)
{
  GstElement *source;

  if (self->microphone_next == NULL)
    return;

  remove_source (self, &self->microphone);
  if (failed)
    {
      g_message ("Call %s: the microphone failed; sending silence", self->name);
      set_microphone_failed (self, TRUE);
      source = make_silence ();
    }
  else
    source = open_microphone (self, TRUE);

  if (source != NULL)
    insert_source (self, &self->microphone, source, self->microphone_next);
}

static void
replace_camera (ConfabCallPipeline *self)
{
  GstElement *source;

  if (self->camera_next == NULL)
    return;

  remove_source (self, &self->camera);
  source = open_camera (self);
  if (source != NULL && insert_source (self, &self->camera, source, self->camera_next))
    {
      self->has_camera = TRUE;
      return;
    }

  if (self->has_camera)
    {
      self->has_camera = FALSE;
      g_signal_emit (self, signals[SIGNAL_CAMERA_FAILED], 0);
    }
}

typedef struct
{
  GstBin     *bin;
  GstElement *old;
  GstElement *sink;
} SinkSwap;

static void
sink_swap_free (gpointer data)
{
  SinkSwap *swap = data;

  gst_object_unref (swap->bin);
  gst_object_unref (swap->old);
  gst_object_unref (swap->sink);
  g_free (swap);
}

/* Runs where the speaker's upstream pad is idle: on its streaming thread between two buffers,
 * or at once when nothing flows. */
static GstPadProbeReturn
on_speaker_idle (GstPad          *pad,
                 GstPadProbeInfo *info,
                 gpointer         user_data)
{
  SinkSwap *swap = user_data;
  g_autoptr(GstPad) sink_pad = NULL;

  gst_element_set_state (swap->old, GST_STATE_NULL);
  gst_bin_remove (swap->bin, swap->old);
  gst_bin_add (swap->bin, swap->sink);
  sink_pad = gst_element_get_static_pad (swap->sink, "sink");
  if (sink_pad == NULL || gst_pad_link (pad, sink_pad) != GST_PAD_LINK_OK)
    g_message ("Could not link the new speaker");
  gst_element_sync_state_with_parent (swap->sink);

  return GST_PAD_PROBE_REMOVE;
}

static void
replace_speaker (ConfabCallPipeline *self)
{
  GstElement *old = self->remote_audio;
  GstElement *sink;
  g_autoptr(GstPad) old_pad = NULL;
  g_autoptr(GstPad) upstream = NULL;
  SinkSwap *swap;

  if (old == NULL)
    return;

  sink = confab_media_devices_create_speaker_sink (self->devices);
  if (sink == NULL)
    sink = gst_element_factory_make ("fakesink", NULL);
  if (sink == NULL)
    return;
  gst_object_ref_sink (sink);
  self->remote_audio = sink;

  old_pad = gst_element_get_static_pad (old, "sink");
  upstream = old_pad != NULL ? gst_pad_get_peer (old_pad) : NULL;
  if (upstream == NULL)
    {
      /* The peer's audio has not arrived yet: the new sink waits in its place, locked, for
       * on_webrtc_pad_added() to find it by name. */
      gst_element_set_state (old, GST_STATE_NULL);
      gst_bin_remove (GST_BIN (self->pipeline), old);
      gst_object_set_name (GST_OBJECT (sink), "remote-audio");
      gst_element_set_locked_state (sink, TRUE);
      gst_bin_add (GST_BIN (self->pipeline), sink);
      gst_object_unref (sink);
      return;
    }

  /* Named once the old one is gone; meanwhile a name of its own. */
  gst_object_set_name (GST_OBJECT (sink), NULL);
  swap = g_new0 (SinkSwap, 1);
  swap->bin = GST_BIN (gst_object_ref (self->pipeline));
  swap->old = gst_object_ref (old);
  swap->sink = sink;
  gst_pad_add_probe (upstream, GST_PAD_PROBE_TYPE_IDLE, on_speaker_idle, swap, sink_swap_free);
}

static void
on_devices_microphone (ConfabCallPipeline *self)
{
  if (!self->stopped)
    replace_microphone (self, FALSE);
}

static void
on_devices_camera (ConfabCallPipeline *self)
{
  if (!self->stopped)
    replace_camera (self);
}

static void
on_devices_speaker (ConfabCallPipeline *self)
{
  if (!self->stopped)
    replace_speaker (self);
}

static gboolean
link_to_webrtc (ConfabCallPipeline  *self,
                GstElement          *last,
                GstCaps             *caps,
                GError             **error)
{
  g_autoptr(GstPad) src = gst_element_get_static_pad (last, "src");
  GstPadTemplate *template = gst_element_get_pad_template (self->webrtc, "sink_%u");
  g_autoptr(GstPad) sink = NULL;
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

  /* Asked for with its caps, the transceiver knows its kind (audio, video) from the start:
   * GStreamer 1.22 pairs the lines of an answer with transceivers that have no line yet by
   * kind, so a rejected line before it does not shift the others onto the wrong one. */
  if (template != NULL)
    sink = gst_element_request_pad (self->webrtc, template, NULL, caps);

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
    g_object_set (transceiver, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDRECV,
                  "codec-preferences", caps, NULL);

  return TRUE;
}

static void
add_receive_only (ConfabCallPipeline *self,
                  gboolean            is_video)
{
  g_autoptr(GstCaps) caps = NULL;
  g_autoptr(GstWebRTCRTPTransceiver) transceiver = NULL;

  caps = gst_caps_from_string (is_video ? VIDEO_RTP_CAPS : AUDIO_RTP_CAPS);

  g_signal_emit_by_name (self->webrtc, "add-transceiver",
                         GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &transceiver);
}

static gboolean
build_audio_send (ConfabCallPipeline  *self,
                  GError             **error)
{
  g_autoptr(GstCaps) caps = gst_caps_from_string (AUDIO_RTP_CAPS);
  GstElement *source = open_microphone (self, FALSE);
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
  chain[1] = self->microphone_next = make ("queue", NULL, error);
  chain[2] = make ("audioconvert", NULL, error);
  chain[3] = make ("audioresample", NULL, error);
  chain[4] = self->audio_valve = make ("valve", "audio-valve", error);
  chain[5] = encoder = make ("opusenc", NULL, error);
  chain[6] = payloader = make ("rtpopuspay", NULL, error);
  chain[7] = filter = make ("capsfilter", NULL, error);

  if (!add_chain (GST_BIN (self->pipeline), chain, G_N_ELEMENTS (chain), error))
    {
      self->microphone = NULL;
      self->microphone_next = NULL;
      self->audio_valve = NULL;
      return FALSE;
    }

  /* webrtcbin holds the audio back until the session is negotiated. Behind a queue that
   * never fills (a frame or two of 20 ms, the oldest dropped), the microphone's thread never
   * waits for it, so the microphone can be stopped and replaced at any moment, ringing
   * included. */
  g_object_set (chain[1], "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time",
                (guint64) 0, NULL);
  gst_util_set_object_arg (G_OBJECT (chain[1]), "leaky", "downstream");

  gst_util_set_object_arg (G_OBJECT (self->audio_valve), "drop-mode", "forward-sticky-events");
  g_object_set (self->audio_valve, "drop", self->muted, NULL);
  gst_util_set_object_arg (G_OBJECT (encoder), "audio-type", "voice");
  g_object_set (encoder, "bitrate", AUDIO_BITRATE, "inband-fec", TRUE, "frame-size", 20, NULL);
  g_object_set (payloader, "pt", AUDIO_PAYLOAD, NULL);
  g_object_set (filter, "caps", caps, NULL);

  return link_to_webrtc (self, filter, caps, error);
}

static gboolean
build_video_send (ConfabCallPipeline  *self,
                  GError             **error)
{
  g_autoptr(GstCaps) raw_caps = NULL;
  g_autoptr(GstCaps) rtp_caps = gst_caps_from_string (VIDEO_RTP_CAPS);
  GstElement *source = open_camera (self);
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
  capture[1] = self->camera_next = make ("videoconvert", NULL, error);
  capture[2] = make ("videoscale", NULL, error);
  capture[3] = make ("videorate", NULL, error);
  capture[4] = make ("capsfilter", NULL, error);
  capture[5] = tee = make ("tee", "video-tee", error);
  if (!add_chain (GST_BIN (self->pipeline), capture, G_N_ELEMENTS (capture), error))
    {
      self->camera = NULL;
      self->camera_next = NULL;
      return FALSE;
    }
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

  return link_to_webrtc (self, send[4], rtp_caps, error);
}

/* webrtcbin leaves loopback out of its host candidates, so two calls on one host (tests, the
 * benchmark) would find no pair. Naming addresses replaces libnice's own discovery, hence the
 * machine's other addresses are added too. */
static void
add_local_addresses (ConfabCallPipeline *self)
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
build_pipeline (ConfabCallPipeline  *self,
                GError             **error)
{
  g_autoptr(GstBus) bus = NULL;
  gboolean test_mode = confab_media_devices_get_test_mode (self->devices);
  GstElement *remote_audio;
  GstElement *remote_video;

  self->pipeline = gst_pipeline_new (self->name);
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
                         media_link_ref (self->link), media_link_closure_notify, 0);
  g_signal_connect_data (self->webrtc, "notify::ice-connection-state",
                         G_CALLBACK (on_webrtc_ice_connection_state),
                         media_link_ref (self->link), media_link_closure_notify, 0);
  g_signal_connect_data (self->webrtc, "notify::connection-state",
                         G_CALLBACK (on_webrtc_connection_state),
                         media_link_ref (self->link), media_link_closure_notify, 0);
  g_signal_connect_data (self->webrtc, "pad-added", G_CALLBACK (on_webrtc_pad_added),
                         media_link_ref (self->link), media_link_closure_notify, 0);
  g_signal_connect_data (self->pipeline, "deep-element-added",
                         G_CALLBACK (on_pipeline_deep_element_added),
                         media_link_ref (self->link), media_link_closure_notify, 0);

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

/* The thread confab_call_pipeline_warm_up() started, until confab_call_pipeline_warm_up_wait()
 * joins it. */
static GThread *warm_up_worker;

static gpointer
warm_up_thread (gpointer data)
{
  GstElement *dtls = gst_element_factory_make ("dtlsdec", NULL);

  if (dtls != NULL)
    gst_object_unref (gst_object_ref_sink (dtls));
  return NULL;
}

/**
 * confab_call_pipeline_warm_up:
 *
 * Prepares, on a worker thread, what every call needs and takes long to make: the DTLS
 * certificate (an RSA key, about 200 ms), made once per process. Call it at start-up so
 * answering a call does not wait for it; confab_call_pipeline_new() calls it too.
 */
void
confab_call_pipeline_warm_up (void)
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
 * confab_call_pipeline_warm_up_wait:
 *
 * Waits for what confab_call_pipeline_warm_up() started, if it is still under way. Call it
 * before the process exits: OpenSSL frees its locks at exit, and a thread still making the
 * certificate then crashes.
 */
void
confab_call_pipeline_warm_up_wait (void)
{
  GThread *thread = g_atomic_pointer_exchange (&warm_up_worker, NULL);

  if (thread != NULL)
    g_thread_join (thread);
}

/* GObject */

static void
confab_call_pipeline_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabCallPipeline *self = CONFAB_CALL_PIPELINE (object);

  switch (prop_id)
    {
    case PROP_MICROPHONE_FAILED:
      g_value_set_boolean (value, self->microphone_failed);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_pipeline_dispose (GObject *object)
{
  ConfabCallPipeline *self = CONFAB_CALL_PIPELINE (object);

  if (self->devices != NULL)
    g_signal_handlers_disconnect_by_data (self->devices, self);

  g_mutex_lock (&self->link->lock);
  self->link->pipeline = NULL;
  g_queue_clear_full (&self->link->events, event_free);
  if (self->link->source != NULL)
    {
      g_source_destroy (self->link->source);
      g_clear_pointer (&self->link->source, g_source_unref);
    }
  g_mutex_unlock (&self->link->lock);

  confab_call_pipeline_stop (self);
  gst_clear_object (&self->webrtc);
  gst_clear_object (&self->pipeline);
  self->microphone = NULL;
  self->microphone_next = NULL;
  self->camera = NULL;
  self->camera_next = NULL;
  self->remote_audio = NULL;
  self->audio_valve = NULL;
  self->video_valve = NULL;
  self->video_encoder = NULL;

  g_clear_object (&self->local_video);
  g_clear_object (&self->remote_video);
  g_clear_object (&self->devices);

  G_OBJECT_CLASS (confab_call_pipeline_parent_class)->dispose (object);
}

static void
confab_call_pipeline_finalize (GObject *object)
{
  ConfabCallPipeline *self = CONFAB_CALL_PIPELINE (object);

  media_link_unref (self->link);
  g_free (self->name);

  G_OBJECT_CLASS (confab_call_pipeline_parent_class)->finalize (object);
}

static void
confab_call_pipeline_class_init (ConfabCallPipelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  if (!gst_is_initialized ())
    gst_init (NULL, NULL);

  object_class->get_property = confab_call_pipeline_get_property;
  object_class->dispose = confab_call_pipeline_dispose;
  object_class->finalize = confab_call_pipeline_finalize;

  /* The chosen microphone could not be opened, or stopped working: silence goes out
   * instead. */
  properties[PROP_MICROPHONE_FAILED] =
    g_param_spec_boolean ("microphone-failed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_LOCAL_DESCRIPTION] =
    g_signal_new ("local-description", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_LOCAL_ICE] =
    g_signal_new ("local-ice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
  signals[SIGNAL_REMOTE_DESCRIPTION_SET] =
    g_signal_new ("remote-description-set", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ICE_CHANGED] =
    g_signal_new ("ice-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_BOOLEAN);
  signals[SIGNAL_CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CAMERA_FAILED] =
    g_signal_new ("camera-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
confab_call_pipeline_init (ConfabCallPipeline *self)
{
  self->link = media_link_new (self);
  self->media = CONFAB_CALL_MEDIA_AUDIO;
}

/**
 * confab_call_pipeline_new:
 * @name: the pipeline's name, the call's id
 * @media: what the call carries; video without a camera still receives the peer's video
 * @devices: where the microphone, camera and speaker come from
 * @muted: whether the microphone starts muted
 *
 * Builds the pipeline and starts its sources, so the encoders are warm when the session is
 * negotiated.
 *
 * Returns: (transfer full) (nullable): the pipeline, or %NULL if a GStreamer plugin is
 *   missing or it could not start
 */
ConfabCallPipeline *
confab_call_pipeline_new (const char          *name,
                          ConfabCallMedia      media,
                          ConfabMediaDevices  *devices,
                          gboolean             muted,
                          GError             **error)
{
  g_autoptr(ConfabCallPipeline) self = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (CONFAB_IS_MEDIA_DEVICES (devices), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  confab_call_pipeline_warm_up ();

  self = g_object_new (CONFAB_TYPE_CALL_PIPELINE, NULL);
  self->name = g_strdup (name);
  self->media = media;
  self->devices = g_object_ref (devices);
  self->muted = !!muted;

  if (!build_pipeline (self, error))
    {
      confab_call_pipeline_stop (self);
      return NULL;
    }

  g_signal_connect_swapped (devices, "notify::microphone", G_CALLBACK (on_devices_microphone),
                            self);
  g_signal_connect_swapped (devices, "notify::camera", G_CALLBACK (on_devices_camera), self);
  g_signal_connect_swapped (devices, "notify::speaker", G_CALLBACK (on_devices_speaker), self);

  return g_steal_pointer (&self);
}

/**
 * confab_call_pipeline_set_ice_servers:
 * @stun: (nullable): a STUN server as `stun://host:port`; webrtcbin takes one
 * @turn: (element-type utf8): TURN servers as `turn(s)://user:password@host:port`
 */
void
confab_call_pipeline_set_ice_servers (ConfabCallPipeline *self,
                                      const char         *stun,
                                      GPtrArray          *turn)
{
  g_return_if_fail (CONFAB_IS_CALL_PIPELINE (self));
  g_return_if_fail (turn != NULL);

  if (self->webrtc == NULL)
    return;

  if (stun != NULL)
    g_object_set (self->webrtc, "stun-server", stun, NULL);
  for (guint i = 0; i < turn->len; i++)
    {
      gboolean added = FALSE;

      g_signal_emit_by_name (self->webrtc, "add-turn-server", g_ptr_array_index (turn, i), &added);
      if (!added)
        g_debug ("webrtcbin refused a TURN server");
    }
}

/* The description comes out of ::local-description. */
void
confab_call_pipeline_create_offer (ConfabCallPipeline *self)
{
  GstPromise *promise;

  g_return_if_fail (CONFAB_IS_CALL_PIPELINE (self));

  promise = gst_promise_new_with_change_func (on_description_created, media_link_ref (self->link),
                                              media_link_unref);
  g_signal_emit_by_name (self->webrtc, "create-offer", NULL, promise);
}

/* The description comes out of ::local-description. */
void
confab_call_pipeline_create_answer (ConfabCallPipeline *self)
{
  GstPromise *promise;

  g_return_if_fail (CONFAB_IS_CALL_PIPELINE (self));

  promise = gst_promise_new_with_change_func (on_description_created, media_link_ref (self->link),
                                              media_link_unref);
  g_signal_emit_by_name (self->webrtc, "create-answer", NULL, promise);
}

/* The media lines @message rejects (port 0, RFC 3264 §6), as a browser answers a codec it
 * cannot take: the call goes on without them. */
static void
note_refused_lines (ConfabCallPipeline  *self,
                    const GstSDPMessage *message)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (message); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (message, i);

      if (gst_sdp_media_get_port (media) != 0)
        continue;
      if (g_strcmp0 (gst_sdp_media_get_media (media), "audio") == 0)
        self->refused_media |= CONFAB_CALL_MEDIA_AUDIO;
      else if (g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0)
        self->refused_media |= CONFAB_CALL_MEDIA_VIDEO;
    }
}

/**
 * confab_call_pipeline_set_remote_description:
 * @is_offer: whether @sdp is the peer's offer (else its answer)
 * @sdp: the SDP text
 *
 * ::remote-description-set follows once webrtcbin took it.
 *
 * Returns: %FALSE if @sdp is malformed (nothing is passed on then)
 */
gboolean
confab_call_pipeline_set_remote_description (ConfabCallPipeline  *self,
                                             gboolean             is_offer,
                                             const char          *sdp,
                                             GError             **error)
{
  GstSDPMessage *message = NULL;
  GstWebRTCSessionDescription *desc;
  GstPromise *promise;

  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (sdp == NULL || gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK ||
      gst_sdp_message_medias_len (message) == 0)
    {
      g_clear_pointer (&message, gst_sdp_message_free);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Malformed session description");
      return FALSE;
    }

  note_refused_lines (self, message);

  desc = gst_webrtc_session_description_new (is_offer ? GST_WEBRTC_SDP_TYPE_OFFER
                                                      : GST_WEBRTC_SDP_TYPE_ANSWER,
                                             message);
  promise = gst_promise_new_with_change_func (on_remote_description_set,
                                              media_link_ref (self->link), media_link_unref);
  g_signal_emit_by_name (self->webrtc, "set-remote-description", desc, promise);
  gst_webrtc_session_description_free (desc);

  return TRUE;
}

void
confab_call_pipeline_add_ice_candidate (ConfabCallPipeline *self,
                                        guint               sdp_mline_index,
                                        const char         *candidate)
{
  g_return_if_fail (CONFAB_IS_CALL_PIPELINE (self));
  g_return_if_fail (candidate != NULL);

  g_signal_emit_by_name (self->webrtc, "add-ice-candidate", sdp_mline_index, candidate);
}

/* Not sending means no audio leaves at all, not even silence. */
void
confab_call_pipeline_set_send_audio (ConfabCallPipeline *self,
                                     gboolean            send)
{
  g_return_if_fail (CONFAB_IS_CALL_PIPELINE (self));

  self->muted = !send;
  if (self->audio_valve != NULL)
    g_object_set (self->audio_valve, "drop", self->muted, NULL);
}

void
confab_call_pipeline_set_send_video (ConfabCallPipeline *self,
                                     gboolean            send)
{
  g_return_if_fail (CONFAB_IS_CALL_PIPELINE (self));

  if (self->video_valve == NULL)
    return;

  g_object_set (self->video_valve, "drop", !send, NULL);

  /* The peer's decoder lost its reference frames meanwhile: start again with a key frame. */
  if (send)
    {
      g_autoptr(GstPad) pad = gst_element_get_static_pad (self->video_encoder, "src");

      gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                            TRUE, 0));
    }
}

/* Stops the media for good; no signal is emitted afterwards. */
void
confab_call_pipeline_stop (ConfabCallPipeline *self)
{
  g_return_if_fail (CONFAB_IS_CALL_PIPELINE (self));

  self->stopped = TRUE;

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

/* The media whose lines the peer rejected. */
ConfabCallMedia
confab_call_pipeline_get_refused_media (ConfabCallPipeline *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), CONFAB_CALL_MEDIA_NONE);

  return self->refused_media;
}

gboolean
confab_call_pipeline_get_microphone_failed (ConfabCallPipeline *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), FALSE);

  return self->microphone_failed;
}

/* Whether video goes out: a camera was there and has not failed. */
gboolean
confab_call_pipeline_get_has_camera (ConfabCallPipeline *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), FALSE);

  return self->has_camera;
}

/* Monotonic time (µs) something last arrived from the peer (media, RTCP or DTLS), or the
 * connection was made. */
gint64
confab_call_pipeline_get_last_receive_time (ConfabCallPipeline *self)
{
  gint64 when;

  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), 0);

  g_mutex_lock (&self->link->lock);
  when = self->link->last_rx;
  g_mutex_unlock (&self->link->lock);

  return when;
}

guint64
confab_call_pipeline_get_video_frames_received (ConfabCallPipeline *self)
{
  guint64 frames;

  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), 0);

  g_mutex_lock (&self->link->lock);
  frames = self->link->video_frames;
  g_mutex_unlock (&self->link->lock);

  return frames;
}

guint64
confab_call_pipeline_get_audio_buffers_received (ConfabCallPipeline *self)
{
  guint64 buffers;

  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), 0);

  g_mutex_lock (&self->link->lock);
  buffers = self->link->audio_buffers;
  g_mutex_unlock (&self->link->lock);

  return buffers;
}

/* Monotonic time (µs) the first remote video frame was decoded, 0 before. */
gint64
confab_call_pipeline_get_first_video_frame_time (ConfabCallPipeline *self)
{
  gint64 when;

  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), 0);

  g_mutex_lock (&self->link->lock);
  when = self->link->first_video_frame;
  g_mutex_unlock (&self->link->lock);

  return when;
}

/**
 * confab_call_pipeline_get_local_video:
 *
 * Returns: (transfer none): the camera preview
 */
GdkPaintable *
confab_call_pipeline_get_local_video (ConfabCallPipeline *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), NULL);

  /* A ConfabVideoPaintable is a GdkPaintable; only the UI needs to know it. */
  return (GdkPaintable *) self->local_video;
}

/**
 * confab_call_pipeline_get_remote_video:
 *
 * Returns: (transfer none): the peer's video
 */
GdkPaintable *
confab_call_pipeline_get_remote_video (ConfabCallPipeline *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), NULL);

  return (GdkPaintable *) self->remote_video;
}

/* Returns: (transfer none): the GstPipeline */
GstElement *
confab_call_pipeline_get_element (ConfabCallPipeline *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_PIPELINE (self), NULL);

  return self->pipeline;
}
