/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-call-manager"

#include "config.h"

#include "confab-call-manager.h"
#include "confab-call-types.h"
#include "confab-call.h"
#include "confab-client.h"
#include "confab-error.h"
#include "confab-frame.h"
#include "confab-media-devices.h"
#include "confab-protocol.h"

/* Ties calls to the signalling server (protocol §6): turns call_* events into ConfabCall
 * objects and what they say into call_* requests. One call at a time; a second caller hears
 * "busy".
 *
 * Media flows peer to peer, so a call outlives the server connection: requests that could not
 * go out while the client was offline (ICE candidates, a hang-up) wait in order and are sent
 * once it is connected again. */

enum
{
  PROP_0,
  PROP_CLIENT,
  PROP_DEVICES,
  PROP_CURRENT_CALL,
  PROP_INCOMING_ID,
  N_PROPS
};

enum
{
  SIGNAL_INCOMING_CALL,
  SIGNAL_INCOMING_CALL_ENDED,
  SIGNAL_CALL_STARTED,
  SIGNAL_CALL_ENDED,
  SIGNAL_MISSED_CALL,
  N_SIGNALS
};

typedef struct
{
  char            *call_id;
  char            *from;
  char            *from_device;
  ConfabCallMedia  media;
} Incoming;

typedef struct
{
  char       *type;
  JsonObject *params;
} Pending;

struct _ConfabCallManager
{
  GObject             parent_instance;

  ConfabClient       *client;
  ConfabMediaDevices *devices;
  GCancellable       *cancellable;

  ConfabCall         *call;
  char               *peer_device;
  gboolean            ended_by_peer;

  Incoming           *incoming;
  GQueue              pending;

};

G_DEFINE_FINAL_TYPE (ConfabCallManager, confab_call_manager, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
incoming_free (Incoming *incoming)
{
  g_free (incoming->call_id);
  g_free (incoming->from);
  g_free (incoming->from_device);
  g_free (incoming);
}

static void
pending_free (Pending *pending)
{
  g_free (pending->type);
  json_object_unref (pending->params);
  g_free (pending);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Incoming, incoming_free)

static ConfabCallMedia
media_from_json (JsonObject *data)
{
  JsonNode *node = json_object_get_member (data, "media");
  JsonObject *media;
  ConfabCallMedia flags = CONFAB_CALL_MEDIA_NONE;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return CONFAB_CALL_MEDIA_AUDIO;

  media = json_node_get_object (node);
  if (json_object_get_boolean_member_with_default (media, "audio", FALSE))
    flags |= CONFAB_CALL_MEDIA_AUDIO;
  if (json_object_get_boolean_member_with_default (media, "video", FALSE))
    flags |= CONFAB_CALL_MEDIA_VIDEO;

  return flags;
}

static gboolean
is_offline_error (const GError *error)
{
  return g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_NOT_CONNECTED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
}

/* Requests */

typedef struct
{
  ConfabCallManager *manager;
  char              *type;
  JsonObject        *params;
  gboolean           keep;    /* queue it again if the connection is missing */
} Request;

static void
request_free (Request *request)
{
  g_object_unref (request->manager);
  g_free (request->type);
  json_object_unref (request->params);
  g_free (request);
}

static void
queue_pending (ConfabCallManager *self,
               const char        *type,
               JsonObject        *params)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->type = g_strdup (type);
  pending->params = json_object_ref (params);
  g_queue_push_tail (&self->pending, pending);
}

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Request *request = user_data;
  ConfabCallManager *self = request->manager;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (reply == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ;
      else if (request->keep && is_offline_error (error))
        {
          g_debug ("%s waits for the connection", request->type);
          queue_pending (self, request->type, request->params);
        }
      else
        g_debug ("%s failed: %s", request->type, error->message);
    }

  request_free (request);
}

static void
send_request (ConfabCallManager *self,
              const char        *type,
              JsonObject        *params,
              gboolean           keep)
{
  Request *request;

  /* Earlier requests still waiting go first, so the peer sees them in order. */
  if (keep && !g_queue_is_empty (&self->pending))
    {
      queue_pending (self, type, params);
      return;
    }

  request = g_new0 (Request, 1);
  request->manager = g_object_ref (self);
  request->type = g_strdup (type);
  request->params = json_object_ref (params);
  request->keep = keep;
  confab_client_request_async (self->client, type, params, self->cancellable, request_cb,
                               request);
}

static void
flush_pending (ConfabCallManager *self)
{
  GQueue queue = self->pending;
  Pending *pending;

  g_queue_init (&self->pending);
  while ((pending = g_queue_pop_head (&queue)) != NULL)
    {
      send_request (self, pending->type, pending->params, TRUE);
      pending_free (pending);
    }
}

static void
send_signal (ConfabCallManager *self,
             JsonObject        *params)
{
  json_object_set_string_member (params, CONFAB_CALL_ID, confab_call_get_call_id (self->call));
  json_object_set_string_member (params, "to_device", self->peer_device);
  send_request (self, CONFAB_REQUEST_CALL_SIGNAL, params, TRUE);
}

/* The current call */

static void
on_call_local_description (ConfabCall        *call,
                           const char        *type,
                           const char        *sdp,
                           ConfabCallManager *self)
{
  g_autoptr(JsonObject) params = json_object_new ();
  JsonObject *desc = json_object_new ();

  json_object_set_string_member (desc, "type", type);
  json_object_set_string_member (desc, "sdp", sdp);
  json_object_set_object_member (params, "sdp", desc);
  send_signal (self, params);
}

static void
on_call_local_ice (ConfabCall        *call,
                   const char        *candidate,
                   guint              mline,
                   ConfabCallManager *self)
{
  g_autoptr(JsonObject) params = json_object_new ();
  JsonObject *ice = json_object_new ();

  json_object_set_string_member (ice, "candidate", candidate);
  json_object_set_int_member (ice, "sdp_mline_index", mline);
  json_object_set_object_member (params, "ice", ice);
  send_signal (self, params);
}

static void
on_call_ended (ConfabCall        *call,
               const char        *reason,
               ConfabCallManager *self)
{
  g_autoptr(ConfabCall) ended = g_object_ref (call);

  if (call != self->call)
    return;

  /* Ended here (hung up, media lost or failed): the other side learns it from the server. */
  if (!self->ended_by_peer)
    {
      g_autoptr(JsonObject) params = confab_call_ref_to_json (confab_call_get_call_id (call));

      json_object_set_string_member (params, "reason", reason);
      send_request (self, CONFAB_REQUEST_CALL_HANGUP, params, TRUE);
    }

  g_signal_handlers_disconnect_by_data (call, self);
  g_clear_object (&self->call);
  g_clear_pointer (&self->peer_device, g_free);
  self->ended_by_peer = FALSE;

  g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, ended, reason);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_CALL]);
}

static void
set_ice_servers (ConfabCallManager *self,
                 ConfabCall        *call)
{
  JsonObject *hello = confab_client_get_hello_result (self->client);
  JsonNode *node = hello != NULL ? json_object_get_member (hello, "ice_servers") : NULL;
  g_autoptr(GError) error = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return;

  if (!confab_call_set_ice_servers (call, json_node_get_array (node), &error))
    g_message ("Ignoring the server's ICE servers: %s", error->message);
}

static void
adopt_call (ConfabCallManager *self,
            ConfabCall        *call,
            const char        *peer_device)
{
  g_assert (self->call == NULL);

  self->call = g_object_ref (call);
  self->peer_device = g_strdup (peer_device);
  self->ended_by_peer = FALSE;
  set_ice_servers (self, call);

  g_signal_connect_object (call, "local-description", G_CALLBACK (on_call_local_description),
                           self, 0);
  g_signal_connect_object (call, "local-ice", G_CALLBACK (on_call_local_ice), self, 0);
  g_signal_connect_object (call, "ended", G_CALLBACK (on_call_ended), self, 0);

  g_signal_emit (self, signals[SIGNAL_CALL_STARTED], 0, call);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_CALL]);
}

static gboolean
is_current (ConfabCallManager *self,
            const char        *call_id)
{
  return self->call != NULL && call_id != NULL
         && g_str_equal (confab_call_get_call_id (self->call), call_id);
}

static void
end_by_peer (ConfabCallManager *self,
             const char        *reason)
{
  g_autoptr(ConfabCall) call = g_object_ref (self->call);

  self->ended_by_peer = TRUE;
  confab_call_end (call, reason);
}

static void
stop_ringing (ConfabCallManager *self,
              const char        *reason)
{
  g_autoptr(Incoming) incoming = g_steal_pointer (&self->incoming);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INCOMING_ID]);
  g_signal_emit (self, signals[SIGNAL_INCOMING_CALL_ENDED], 0, incoming->call_id, reason);
}

/* Events */

static void
on_call_invite (ConfabClient      *client,
                const char        *name,
                JsonObject        *data,
                gint64             seq,
                ConfabCallManager *self)
{
  const char *call_id = confab_call_ref_from_json (data);
  const char *from = confab_json_get_string (data, "from");
  const char *from_device = confab_json_get_string (data, "from_device");

  if (call_id == NULL || from == NULL || from_device == NULL)
    {
      g_message ("Skipping a malformed call_invite");
      return;
    }

  if (self->call != NULL || self->incoming != NULL)
    {
      g_autoptr(JsonObject) params = confab_call_ref_to_json (call_id);

      g_debug ("Busy: rejecting call %s from %s", call_id, from);
      json_object_set_string_member (params, "reason", "busy");
      send_request (self, CONFAB_REQUEST_CALL_REJECT, params, FALSE);
      return;
    }

  self->incoming = g_new0 (Incoming, 1);
  self->incoming->call_id = g_strdup (call_id);
  self->incoming->from = g_strdup (from);
  self->incoming->from_device = g_strdup (from_device);
  self->incoming->media = media_from_json (data);
  if (self->incoming->media == CONFAB_CALL_MEDIA_NONE)
    self->incoming->media = CONFAB_CALL_MEDIA_AUDIO;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INCOMING_ID]);
  g_signal_emit (self, signals[SIGNAL_INCOMING_CALL], 0, call_id, from, self->incoming->media);
}

static void
on_call_answered (ConfabClient      *client,
                  const char        *name,
                  JsonObject        *data,
                  gint64             seq,
                  ConfabCallManager *self)
{
  const char *call_id = confab_call_ref_from_json (data);
  const char *device = confab_json_get_string (data, "device");

  if (!is_current (self, call_id) || device == NULL
      || confab_call_get_role (self->call) != CONFAB_CALL_ROLE_CALLER || self->peer_device != NULL)
    return;

  self->peer_device = g_strdup (device);
  confab_call_start (self->call);
}

static void
on_call_signal (ConfabClient      *client,
                const char        *name,
                JsonObject        *data,
                gint64             seq,
                ConfabCallManager *self)
{
  const char *call_id = confab_call_ref_from_json (data);
  const char *from_device = confab_json_get_string (data, "from_device");
  JsonNode *sdp = json_object_get_member (data, "sdp");
  JsonNode *ice = json_object_get_member (data, "ice");
  g_autoptr(GError) error = NULL;

  if (!is_current (self, call_id) || g_strcmp0 (from_device, self->peer_device) != 0)
    {
      g_debug ("Skipping a signal for call %s", call_id ? call_id : "?");
      return;
    }

  if (sdp != NULL && JSON_NODE_HOLDS_OBJECT (sdp))
    {
      JsonObject *desc = json_node_get_object (sdp);

      if (!confab_call_set_remote_description (self->call, confab_json_get_string (desc, "type"),
                                               confab_json_get_string (desc, "sdp"), &error))
        g_message ("Call %s: the peer's description was refused: %s", call_id, error->message);
    }
  else if (ice != NULL && JSON_NODE_HOLDS_OBJECT (ice))
    {
      JsonObject *candidate = json_node_get_object (ice);
      gint64 mline = 0;

      if (!confab_json_get_int (candidate, "sdp_mline_index", &mline) || mline < 0 || mline > G_MAXUINT
          || !confab_call_add_remote_ice (self->call, confab_json_get_string (candidate, "candidate"),
                                          (guint) mline, &error))
        g_message ("Call %s: skipping a malformed ICE candidate%s%s", call_id,
                   error ? ": " : "", error ? error->message : "");
    }
}

static void
on_call_ended_event (ConfabClient      *client,
                     const char        *name,
                     JsonObject        *data,
                     gint64             seq,
                     ConfabCallManager *self)
{
  const char *call_id = confab_call_ref_from_json (data);
  const char *reason = confab_json_get_string (data, "reason");

  if (call_id == NULL)
    return;
  if (reason == NULL)
    reason = CONFAB_CALL_END_HANGUP;

  if (is_current (self, call_id))
    end_by_peer (self, reason);
  else if (self->incoming != NULL && g_str_equal (self->incoming->call_id, call_id))
    stop_ringing (self, reason);
}

static void
on_call_missed (ConfabClient      *client,
                const char        *name,
                JsonObject        *data,
                gint64             seq,
                ConfabCallManager *self)
{
  const char *call_id = confab_call_ref_from_json (data);
  const char *from = confab_json_get_string (data, "from");
  gint64 ts = 0;

  if (call_id == NULL || from == NULL)
    {
      g_message ("Skipping a malformed call_missed");
      return;
    }
  confab_json_get_int (data, "ts", &ts);

  g_signal_emit (self, signals[SIGNAL_MISSED_CALL], 0, call_id, from, media_from_json (data), ts);
}

static void
on_client_state (ConfabClient      *client,
                 GParamSpec        *pspec,
                 ConfabCallManager *self)
{
  ConfabClientState state = confab_client_get_state (client);

  /* Requests may go out as soon as hello was answered. */
  if (state == CONFAB_CLIENT_STATE_SYNCING || state == CONFAB_CLIENT_STATE_CONNECTED)
    flush_pending (self);

  /* A caller whose connection drops while it still rings has cancelled the call (the server
   * does so when the device goes); an answered call goes on, peer to peer. */
  if ((state == CONFAB_CLIENT_STATE_WAITING || state == CONFAB_CLIENT_STATE_DISCONNECTED)
      && self->call != NULL && confab_call_get_role (self->call) == CONFAB_CALL_ROLE_CALLER
      && self->peer_device == NULL)
    end_by_peer (self, CONFAB_CALL_END_CONNECTION_LOST);
}

/* Invitation */

typedef struct
{
  ConfabCallManager *manager;
  ConfabCall        *call;
} Invite;

static void
invite_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Invite *invite = user_data;
  ConfabCallManager *self = invite->manager;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  gint64 ringing = 0;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (invite->call == self->call && confab_call_get_state (invite->call) != CONFAB_CALL_STATE_ENDED)
    {
      if (reply == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_message ("Call %s: the invitation failed: %s",
                         confab_call_get_call_id (invite->call), error->message);
              end_by_peer (self, CONFAB_CALL_END_INVITE_FAILED);
            }
        }
      else if (!confab_json_get_int (reply, "ringing", &ringing) || ringing <= 0)
        {
          /* The server already recorded a missed call for the peer. */
          end_by_peer (self, CONFAB_CALL_END_UNAVAILABLE);
        }
    }

  g_object_unref (invite->call);
  g_object_unref (invite->manager);
  g_free (invite);
}

static void
answer_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Invite *invite = user_data;
  ConfabCallManager *self = invite->manager;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && invite->call == self->call && confab_call_get_state (invite->call) != CONFAB_CALL_STATE_ENDED)
    {
      /* Cancelled or answered elsewhere meanwhile (a call_ended usually says so first). */
      g_message ("Call %s: answering failed: %s", confab_call_get_call_id (invite->call),
                 error->message);
      end_by_peer (self, CONFAB_PROTOCOL_ERROR == error->domain
                   && error->code == CONFAB_PROTOCOL_ERROR_CONFLICT
                         ? "answered_elsewhere" : "cancelled");
    }

  g_object_unref (invite->call);
  g_object_unref (invite->manager);
  g_free (invite);
}

/* GObject */

static void
confab_call_manager_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabCallManager *self = CONFAB_CALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_DEVICES:
      g_value_set_object (value, self->devices);
      break;

    case PROP_CURRENT_CALL:
      g_value_set_object (value, self->call);
      break;

    case PROP_INCOMING_ID:
      g_value_set_string (value, confab_call_manager_get_incoming_id (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_manager_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabCallManager *self = CONFAB_CALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;

    case PROP_DEVICES:
      self->devices = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_call_manager_constructed (GObject *object)
{
  ConfabCallManager *self = CONFAB_CALL_MANAGER (object);
  static const struct {
    const char *detail;
    GCallback   handler;
  } events[] = {
    { "event::" CONFAB_EVENT_CALL_INVITE, G_CALLBACK (on_call_invite) },
    { "event::" CONFAB_EVENT_CALL_ANSWERED, G_CALLBACK (on_call_answered) },
    { "event::" CONFAB_EVENT_CALL_SIGNAL, G_CALLBACK (on_call_signal) },
    { "event::" CONFAB_EVENT_CALL_ENDED, G_CALLBACK (on_call_ended_event) },
    { "event::" CONFAB_EVENT_CALL_MISSED, G_CALLBACK (on_call_missed) },
  };

  G_OBJECT_CLASS (confab_call_manager_parent_class)->constructed (object);

  g_assert (self->client != NULL);
  if (self->devices == NULL)
    self->devices = confab_media_devices_new ();

  /* So that answering a call does not wait for the DTLS certificate. */
  confab_call_warm_up ();

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    g_signal_connect_object (self->client, events[i].detail, events[i].handler, self, 0);
  g_signal_connect_object (self->client, "notify::state", G_CALLBACK (on_client_state), self, 0);
}

static void
confab_call_manager_dispose (GObject *object)
{
  ConfabCallManager *self = CONFAB_CALL_MANAGER (object);

  /* Signing out (or quitting) ends the call; the hang-up still goes out if it can. */
  if (self->call != NULL)
    confab_call_hangup (self->call);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->devices);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->incoming, incoming_free);
  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_free);

  G_OBJECT_CLASS (confab_call_manager_parent_class)->dispose (object);
}

static void
confab_call_manager_finalize (GObject *object)
{
  ConfabCallManager *self = CONFAB_CALL_MANAGER (object);

  g_free (self->peer_device);

  G_OBJECT_CLASS (confab_call_manager_parent_class)->finalize (object);
}

static void
confab_call_manager_class_init (ConfabCallManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_call_manager_get_property;
  object_class->set_property = confab_call_manager_set_property;
  object_class->constructed = confab_call_manager_constructed;
  object_class->dispose = confab_call_manager_dispose;
  object_class->finalize = confab_call_manager_finalize;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, CONFAB_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICES] =
    g_param_spec_object ("devices", NULL, NULL, CONFAB_TYPE_MEDIA_DEVICES,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_CALL] =
    g_param_spec_object ("current-call", NULL, NULL, CONFAB_TYPE_CALL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INCOMING_ID] =
    g_param_spec_string ("incoming-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_INCOMING_CALL] =
    g_signal_new ("incoming-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                  CONFAB_TYPE_CALL_MEDIA);
  signals[SIGNAL_INCOMING_CALL_ENDED] =
    g_signal_new ("incoming-call-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_CALL_STARTED] =
    g_signal_new ("call-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, CONFAB_TYPE_CALL);
  signals[SIGNAL_CALL_ENDED] =
    g_signal_new ("call-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, CONFAB_TYPE_CALL, G_TYPE_STRING);
  signals[SIGNAL_MISSED_CALL] =
    g_signal_new ("missed-call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING,
                  CONFAB_TYPE_CALL_MEDIA, G_TYPE_INT64);
}

static void
confab_call_manager_init (ConfabCallManager *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->pending);
}

/* Public API */

ConfabCallManager *
confab_call_manager_new (ConfabClient       *client,
                         ConfabMediaDevices *devices)
{
  g_return_val_if_fail (CONFAB_IS_CLIENT (client), NULL);
  g_return_val_if_fail (devices == NULL || CONFAB_IS_MEDIA_DEVICES (devices), NULL);

  return g_object_new (CONFAB_TYPE_CALL_MANAGER, "client", client, "devices", devices, NULL);
}

ConfabClient *
confab_call_manager_get_client (ConfabCallManager *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), NULL);

  return self->client;
}

ConfabMediaDevices *
confab_call_manager_get_devices (ConfabCallManager *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), NULL);

  return self->devices;
}

ConfabCall *
confab_call_manager_get_current_call (ConfabCallManager *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), NULL);

  return self->call;
}

const char *
confab_call_manager_get_incoming_id (ConfabCallManager *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), NULL);

  return self->incoming != NULL ? self->incoming->call_id : NULL;
}

const char *
confab_call_manager_get_incoming_from (ConfabCallManager *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), NULL);

  return self->incoming != NULL ? self->incoming->from : NULL;
}

ConfabCallMedia
confab_call_manager_get_incoming_media (ConfabCallManager *self)
{
  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), CONFAB_CALL_MEDIA_NONE);

  return self->incoming != NULL ? self->incoming->media : CONFAB_CALL_MEDIA_NONE;
}

ConfabCall *
confab_call_manager_start_call (ConfabCallManager  *self,
                                const char         *peer,
                                ConfabCallMedia     media,
                                GError            **error)
{
  g_autoptr(ConfabCall) call = NULL;
  g_autofree char *call_id = NULL;
  g_autoptr(JsonObject) params = NULL;
  JsonObject *media_json;
  Invite *invite;

  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), NULL);
  g_return_val_if_fail (peer != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->call != NULL || self->incoming != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "Another call is under way");
      return NULL;
    }
  if (confab_client_get_state (self->client) != CONFAB_CLIENT_STATE_CONNECTED)
    {
      g_set_error (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_NOT_CONNECTED,
                   "Not connected to the server");
      return NULL;
    }
  if ((media & (CONFAB_CALL_MEDIA_AUDIO | CONFAB_CALL_MEDIA_VIDEO)) == 0)
    media = CONFAB_CALL_MEDIA_AUDIO;

  call_id = g_uuid_string_random ();
  call = confab_call_new (call_id, peer, CONFAB_CALL_ROLE_CALLER, media, self->devices, error);
  if (call == NULL)
    return NULL;

  adopt_call (self, call, NULL);

  params = confab_call_ref_to_json (call_id);
  json_object_set_string_member (params, "to", peer);
  media_json = json_object_new ();
  json_object_set_boolean_member (media_json, "audio", (media & CONFAB_CALL_MEDIA_AUDIO) != 0);
  json_object_set_boolean_member (media_json, "video", (media & CONFAB_CALL_MEDIA_VIDEO) != 0);
  json_object_set_object_member (params, "media", media_json);

  invite = g_new0 (Invite, 1);
  invite->manager = g_object_ref (self);
  invite->call = g_object_ref (call);
  confab_client_request_async (self->client, CONFAB_REQUEST_CALL_INVITE, params, self->cancellable, invite_cb,
                               invite);

  return call;
}

ConfabCall *
confab_call_manager_accept (ConfabCallManager  *self,
                            const char         *call_id,
                            GError            **error)
{
  g_autoptr(Incoming) incoming = NULL;
  g_autoptr(ConfabCall) call = NULL;
  g_autoptr(JsonObject) params = NULL;
  Invite *invite;

  g_return_val_if_fail (CONFAB_IS_CALL_MANAGER (self), NULL);
  g_return_val_if_fail (call_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->incoming == NULL || !g_str_equal (self->incoming->call_id, call_id))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "This call no longer rings");
      return NULL;
    }

  incoming = g_steal_pointer (&self->incoming);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INCOMING_ID]);

  call = confab_call_new (incoming->call_id, incoming->from, CONFAB_CALL_ROLE_CALLEE,
                          incoming->media, self->devices, error);
  if (call == NULL)
    {
      /* Without a working pipeline the call cannot be taken: it is declined. */
      params = confab_call_ref_to_json (incoming->call_id);
      json_object_set_string_member (params, "reason", "declined");
      send_request (self, CONFAB_REQUEST_CALL_REJECT, params, FALSE);
      g_signal_emit (self, signals[SIGNAL_INCOMING_CALL_ENDED], 0, incoming->call_id,
                     "declined");
      return NULL;
    }

  adopt_call (self, call, incoming->from_device);
  params = confab_call_ref_to_json (incoming->call_id);
  invite = g_new0 (Invite, 1);
  invite->manager = g_object_ref (self);
  invite->call = g_object_ref (call);
  confab_client_request_async (self->client, CONFAB_REQUEST_CALL_ANSWER, params, self->cancellable, answer_cb,
                               invite);

  return call;
}

void
confab_call_manager_decline (ConfabCallManager *self,
                             const char        *call_id)
{
  g_autoptr(JsonObject) params = NULL;

  g_return_if_fail (CONFAB_IS_CALL_MANAGER (self));
  g_return_if_fail (call_id != NULL);

  if (self->incoming == NULL || !g_str_equal (self->incoming->call_id, call_id))
    return;

  params = confab_call_ref_to_json (call_id);
  json_object_set_string_member (params, "reason", "declined");
  send_request (self, CONFAB_REQUEST_CALL_REJECT, params, FALSE);
  stop_ringing (self, "declined");
}

void
confab_call_manager_hangup (ConfabCallManager *self)
{
  g_return_if_fail (CONFAB_IS_CALL_MANAGER (self));

  if (self->call != NULL)
    confab_call_hangup (self->call);
}
