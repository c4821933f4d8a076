/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-calls"

#include "config.h"

#include "confab-calls.h"
#include "confab-frame.h"
#include "confab-messages.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-server-module.h"

#include <string.h>

/* Call signalling: the server keeps each call's parties and state in memory, relays SDP and ICE
 * between the two devices in it, and never touches media. A call outlives its parties'
 * signalling connections for a grace period, because media flows peer to peer and a dropped
 * server connection must not cut a conversation. */

typedef struct
{
  ConfabCalls *calls;
  char        *call_id;
  char        *caller;
  char        *caller_device;
  char        *callee;
  char        *callee_device;   /* the device that answered */
  gboolean     audio;
  gboolean     video;
  gint64       answered_us;     /* 0 while ringing */
  guint        ring_timeout_id;
  guint        grace_id;
} Call;

struct _ConfabCalls
{
  GObject       parent_instance;

  ConfabServer *server;         /* owns us */
  GHashTable   *calls;          /* call_id → Call */
};

G_DEFINE_FINAL_TYPE (ConfabCalls, confab_calls, G_TYPE_OBJECT)

static void
call_free (Call *call)
{
  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  g_clear_handle_id (&call->grace_id, g_source_remove);
  g_free (call->call_id);
  g_free (call->caller);
  g_free (call->caller_device);
  g_free (call->callee);
  g_free (call->callee_device);
  g_free (call);
}

static GBytes *
make_event (const char *name,
            JsonObject *data)
{
  gsize length;
  char *text = confab_frame_event (name, 0, data, &length);

  return g_bytes_new_take (text, length);
}

static JsonObject *
media_object (Call *call)
{
  JsonObject *media = json_object_new ();

  json_object_set_boolean_member (media, "audio", call->audio);
  json_object_set_boolean_member (media, "video", call->video);
  return media;
}

static void
send_ended (ConfabCalls *self,
            Call        *call,
            const char  *username,
            const char  *device_id,
            const char  *except_device,
            const char  *reason)
{
  ConfabRouter *router = confab_server_get_router (self->server);
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(GBytes) frame = NULL;

  json_object_set_string_member (data, CONFAB_CALL_ID, call->call_id);
  json_object_set_string_member (data, "reason", reason);
  frame = make_event (CONFAB_EVENT_CALL_ENDED, data);

  if (device_id != NULL)
    confab_router_send_to_device (router, username, device_id, frame);
  else
    confab_router_send_to_user_but_device (router, username, except_device, frame);
}

static void
deliver_reply_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabCalls) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    {
      g_warning ("storing a call record failed: %s", error->message);
      return;
    }
  for (guint i = 0; i < reply->events->len; i++)
    confab_router_deliver (confab_server_get_router (self->server),
                           g_ptr_array_index (reply->events, i), NULL);
}

/* Ends @call for good: the DM gets a kind:"call" message, a missed call is also a durable
 * call_missed for the callee, and the call is forgotten. */
static void
finish_call (ConfabCalls *self,
             Call        *call,
             const char  *result)
{
  ConfabStore *store = confab_server_get_store (self->server);
  g_autoptr(JsonObject) record = json_object_new ();
  gint64 duration_ms = 0;

  if (call->answered_us > 0)
    duration_ms = (g_get_monotonic_time () - call->answered_us) / 1000;

  json_object_set_string_member (record, CONFAB_CALL_ID, call->call_id);
  json_object_set_object_member (record, "media", media_object (call));
  json_object_set_string_member (record, "result", result);
  json_object_set_int_member (record, "duration_ms", duration_ms);
  confab_messages_record_call_async (store, call->caller, call->callee, call->call_id, record,
                                     NULL, deliver_reply_cb, g_object_ref (self));

  if (g_str_equal (result, "missed"))
    {
      g_autoptr(JsonObject) missed = json_object_new ();
      const char *users[] = { call->callee, NULL };

      json_object_set_string_member (missed, CONFAB_CALL_ID, call->call_id);
      json_object_set_string_member (missed, "from", call->caller);
      json_object_set_object_member (missed, "media", media_object (call));
      json_object_set_int_member (missed, "ts", g_get_real_time () / 1000);
      confab_store_event_add_async (store, CONFAB_EVENT_CALL_MISSED, missed, users, NULL,
                                    deliver_reply_cb, g_object_ref (self));
    }

  g_debug ("call %s ended: %s", call->call_id, result);
  g_hash_table_remove (self->calls, call->call_id);
}

static gboolean
on_ring_timeout (gpointer user_data)
{
  Call *call = user_data;
  ConfabCalls *self = call->calls;

  call->ring_timeout_id = 0;
  send_ended (self, call, call->caller, call->caller_device, NULL, "timeout");
  send_ended (self, call, call->callee, NULL, NULL, "timeout");
  finish_call (self, call, "missed");
  return G_SOURCE_REMOVE;
}

static Call *
lookup_party (ConfabCalls       *self,
              ConfabConnection  *connection,
              const char        *id,
              const char        *call_id)
{
  Call *call = g_hash_table_lookup (self->calls, call_id);
  const char *user = confab_connection_get_username (connection);

  /* Outsiders learn nothing: not even whether the call exists. */
  if (call == NULL || (!g_str_equal (user, call->caller) && !g_str_equal (user, call->callee)))
    {
      confab_connection_respond_error (connection, id,
                                       call == NULL ? CONFAB_PROTOCOL_ERROR_NOT_FOUND
                                                    : CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                       call == NULL ? "no such call" : "you are not in this call");
      return NULL;
    }
  return call;
}

/* --- Requests --------------------------------------------------------------------------------- */

typedef struct
{
  ConfabCalls      *calls;
  ConfabConnection *connection;
  char             *id;
  Call             *call;
} Invite;

static void
invite_free (Invite *invite)
{
  g_object_unref (invite->calls);
  g_object_unref (invite->connection);
  g_free (invite->id);
  g_clear_pointer (&invite->call, call_free);
  g_free (invite);
}

static void
callee_checked_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Invite *invite = user_data;
  ConfabCalls *self = invite->calls;
  ConfabRouter *router = confab_server_get_router (self->server);
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  g_autoptr(JsonObject) response = json_object_new ();
  Call *call;
  guint ringing;

  if (reply == NULL)
    {
      confab_connection_respond_gerror (invite->connection, invite->id, error);
      invite_free (invite);
      return;
    }
  if (g_hash_table_contains (self->calls, invite->call->call_id))
    {
      confab_connection_respond_error (invite->connection, invite->id,
                                       CONFAB_PROTOCOL_ERROR_CONFLICT, "this call id is taken");
      invite_free (invite);
      return;
    }

  call = g_steal_pointer (&invite->call);
  call->calls = self;
  g_hash_table_insert (self->calls, call->call_id, call);

  ringing = confab_router_count_user (router, call->callee);
  json_object_set_int_member (response, "ringing", ringing);
  confab_connection_respond_ok (invite->connection, invite->id, response);

  if (ringing == 0)
    finish_call (self, call, "missed");
  else
    {
      g_autoptr(JsonObject) data = json_object_new ();
      g_autoptr(GBytes) frame = NULL;
      const ConfabConfig *config = confab_server_get_config (self->server);

      json_object_set_string_member (data, CONFAB_CALL_ID, call->call_id);
      json_object_set_string_member (data, "from", call->caller);
      json_object_set_string_member (data, "from_device", call->caller_device);
      json_object_set_object_member (data, "media", media_object (call));
      frame = make_event (CONFAB_EVENT_CALL_INVITE, data);
      confab_router_send_to_user (router, call->callee, frame, NULL);
      call->ring_timeout_id = g_timeout_add_seconds (config->ring_timeout_s, on_ring_timeout, call);
    }

  invite_free (invite);
}

void
confab_calls_invite (ConfabCalls      *self,
                     ConfabConnection *connection,
                     const char       *id,
                     const char       *call_id,
                     const char       *to,
                     gboolean          audio,
                     gboolean          video)
{
  const char *caller = confab_connection_get_username (connection);
  Invite *invite;

  if (g_str_equal (caller, to))
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_INVALID,
                                       "you cannot call yourself");
      return;
    }
  if (!audio && !video)
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "a call needs audio, video or both");
      return;
    }
  if (g_hash_table_contains (self->calls, call_id))
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                       "this call id is taken");
      return;
    }

  invite = g_new0 (Invite, 1);
  invite->calls = g_object_ref (self);
  invite->connection = g_object_ref (connection);
  invite->id = g_strdup (id);
  invite->call = g_new0 (Call, 1);
  invite->call->call_id = g_strdup (call_id);
  invite->call->caller = g_strdup (caller);
  invite->call->caller_device = g_strdup (confab_connection_get_device_id (connection));
  invite->call->callee = g_strdup (to);
  invite->call->audio = audio;
  invite->call->video = video;

  /* The callee must exist; the profile lookup answers not_found otherwise. */
  confab_profiles_get_async (confab_server_get_store (self->server), to, NULL, callee_checked_cb,
                             invite);
}

void
confab_calls_answer (ConfabCalls      *self,
                     ConfabConnection *connection,
                     const char       *id,
                     const char       *call_id)
{
  Call *call = lookup_party (self, connection, id, call_id);
  const char *device = confab_connection_get_device_id (connection);
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(GBytes) frame = NULL;

  if (call == NULL)
    return;
  if (!g_str_equal (confab_connection_get_username (connection), call->callee))
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                       "only the person called can answer");
      return;
    }
  if (call->answered_us > 0)
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_CONFLICT,
                                       "the call was already answered");
      return;
    }

  g_clear_handle_id (&call->ring_timeout_id, g_source_remove);
  call->answered_us = g_get_monotonic_time ();
  call->callee_device = g_strdup (device);
  confab_connection_respond_ok (connection, id, NULL);

  json_object_set_string_member (data, CONFAB_CALL_ID, call->call_id);
  json_object_set_string_member (data, "device", device);
  frame = make_event (CONFAB_EVENT_CALL_ANSWERED, data);
  confab_router_send_to_device (confab_server_get_router (self->server), call->caller,
                                call->caller_device, frame);
  send_ended (self, call, call->callee, NULL, device, "answered_elsewhere");
}

void
confab_calls_reject (ConfabCalls      *self,
                     ConfabConnection *connection,
                     const char       *id,
                     const char       *call_id,
                     const char       *reason)
{
  Call *call = lookup_party (self, connection, id, call_id);

  if (call == NULL)
    return;
  if (!g_str_equal (confab_connection_get_username (connection), call->callee)
      || call->answered_us > 0)
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                       "only a ringing callee can reject a call");
      return;
    }

  confab_connection_respond_ok (connection, id, NULL);
  send_ended (self, call, call->caller, call->caller_device, NULL, reason);
  send_ended (self, call, call->callee, NULL, confab_connection_get_device_id (connection), reason);
  finish_call (self, call, reason);
}

void
confab_calls_signal (ConfabCalls      *self,
                     ConfabConnection *connection,
                     const char       *id,
                     const char       *call_id,
                     const char       *to_device,
                     JsonObject       *sdp,
                     JsonObject       *ice)
{
  Call *call = lookup_party (self, connection, id, call_id);
  const char *user;
  const char *peer;
  const char *peer_device;
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(GBytes) frame = NULL;

  if (call == NULL)
    return;

  user = confab_connection_get_username (connection);
  peer = g_str_equal (user, call->caller) ? call->callee : call->caller;
  peer_device = g_str_equal (user, call->caller) ? call->callee_device : call->caller_device;

  /* Signals go only between the two devices of the call: the caller's and the one that
   * answered. */
  if (peer_device == NULL || !g_str_equal (to_device, peer_device))
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_NOT_FOUND,
                                       "that device is not in this call");
      return;
    }

  json_object_set_string_member (data, CONFAB_CALL_ID, call->call_id);
  json_object_set_string_member (data, "from", user);
  json_object_set_string_member (data, "from_device", confab_connection_get_device_id (connection));
  if (sdp != NULL)
    json_object_set_object_member (data, "sdp", json_object_ref (sdp));
  if (ice != NULL)
    json_object_set_object_member (data, "ice", json_object_ref (ice));
  frame = make_event (CONFAB_EVENT_CALL_SIGNAL, data);

  if (!confab_router_send_to_device (confab_server_get_router (self->server), peer, peer_device,
                                     frame))
    {
      confab_connection_respond_error (connection, id, CONFAB_PROTOCOL_ERROR_UNAVAILABLE,
                                       "the other side is not connected right now");
      return;
    }
  confab_connection_respond_ok (connection, id, NULL);
}

void
confab_calls_hangup (ConfabCalls      *self,
                     ConfabConnection *connection,
                     const char       *id,
                     const char       *call_id,
                     const char       *reason)
{
  Call *call = lookup_party (self, connection, id, call_id);
  const char *user;

  if (call == NULL)
    return;

  user = confab_connection_get_username (connection);
  confab_connection_respond_ok (connection, id, NULL);

  if (call->answered_us == 0)
    {
      if (g_str_equal (user, call->caller))
        {
          send_ended (self, call, call->callee, NULL, NULL, "cancelled");
          finish_call (self, call, "missed");
        }
      else
        {
          /* A callee hanging up a ringing call declines it. */
          send_ended (self, call, call->caller, call->caller_device, NULL, "declined");
          send_ended (self, call, call->callee, NULL, confab_connection_get_device_id (connection),
                      "declined");
          finish_call (self, call, "declined");
        }
      return;
    }

  if (g_str_equal (user, call->caller))
    send_ended (self, call, call->callee, call->callee_device, NULL, reason);
  else
    send_ended (self, call, call->caller, call->caller_device, NULL, reason);
  finish_call (self, call, "answered");
}

static gboolean
on_grace_expired (gpointer user_data)
{
  Call *call = user_data;
  ConfabCalls *self = call->calls;
  ConfabRouter *router = confab_server_get_router (self->server);
  gboolean caller_here = confab_router_device_online (router, call->caller, call->caller_device);
  gboolean callee_here = confab_router_device_online (router, call->callee, call->callee_device);

  call->grace_id = 0;
  if (caller_here && callee_here)
    return G_SOURCE_REMOVE;

  if (caller_here)
    send_ended (self, call, call->caller, call->caller_device, NULL, "connection_lost");
  if (callee_here)
    send_ended (self, call, call->callee, call->callee_device, NULL, "connection_lost");
  finish_call (self, call, "answered");
  return G_SOURCE_REMOVE;
}

/**
 * confab_calls_device_gone:
 *
 * A device lost its last connection. A ringing caller who vanishes cancels the call; a party
 * of an answered call gets the grace period to come back (its media may still be flowing).
 */
void
confab_calls_device_gone (ConfabCalls *self,
                          const char  *username,
                          const char  *device_id)
{
  g_autoptr(GPtrArray) cancelled = g_ptr_array_new ();
  const ConfabConfig *config = confab_server_get_config (self->server);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->calls);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Call *call = value;
      gboolean is_caller = g_str_equal (username, call->caller)
                           && g_strcmp0 (device_id, call->caller_device) == 0;
      gboolean is_callee = g_str_equal (username, call->callee)
                           && g_strcmp0 (device_id, call->callee_device) == 0;

      if (call->answered_us == 0 && is_caller)
        g_ptr_array_add (cancelled, call);
      else if (call->answered_us > 0 && (is_caller || is_callee) && call->grace_id == 0)
        call->grace_id = g_timeout_add_seconds (config->call_grace_s, on_grace_expired, call);
    }

  for (guint i = 0; i < cancelled->len; i++)
    {
      Call *call = g_ptr_array_index (cancelled, i);

      send_ended (self, call, call->callee, NULL, NULL, "cancelled");
      finish_call (self, call, "missed");
    }
}

/* --- ICE servers ------------------------------------------------------------------------------ */

static JsonArray *
url_array (char **urls)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; urls[i] != NULL; i++)
    json_array_add_string_element (array, urls[i]);
  return array;
}

/**
 * confab_calls_ice_servers:
 *
 * The `ice_servers` of hello: the configured STUN servers, and TURN servers with short-lived
 * credentials in coturn's shared-secret scheme (username `<expiry>:<user>`, credential
 * base64(HMAC-SHA1(secret, username))), so no TURN password is ever handed out for good.
 */
JsonArray *
confab_calls_ice_servers (ConfabCalls *self,
                          const char  *username)
{
  const ConfabConfig *config = confab_server_get_config (self->server);
  JsonArray *servers = json_array_new ();

  if (config->stun_urls != NULL && config->stun_urls[0] != NULL)
    {
      JsonObject *stun = json_object_new ();

      json_object_set_array_member (stun, "urls", url_array (config->stun_urls));
      json_array_add_object_element (servers, stun);
    }

  if (config->turn_urls != NULL && config->turn_urls[0] != NULL && config->turn_secret != NULL)
    {
      JsonObject *turn = json_object_new ();
      gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + config->turn_ttl_s;
      g_autofree char *turn_user = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", expiry, username);
      g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) config->turn_secret,
                                          strlen (config->turn_secret));
      guint8 digest[20];
      gsize digest_len = sizeof digest;
      g_autofree char *credential = NULL;

      g_hmac_update (hmac, (const guchar *) turn_user, strlen (turn_user));
      g_hmac_get_digest (hmac, digest, &digest_len);
      credential = g_base64_encode (digest, digest_len);

      json_object_set_array_member (turn, "urls", url_array (config->turn_urls));
      json_object_set_string_member (turn, "username", turn_user);
      json_object_set_string_member (turn, "credential", credential);
      json_array_add_object_element (servers, turn);
    }

  return servers;
}

static void
confab_calls_finalize (GObject *object)
{
  ConfabCalls *self = CONFAB_CALLS (object);

  g_hash_table_unref (self->calls);

  G_OBJECT_CLASS (confab_calls_parent_class)->finalize (object);
}

static void
confab_calls_class_init (ConfabCallsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = confab_calls_finalize;
}

static void
confab_calls_init (ConfabCalls *self)
{
  /* Keys are owned by the Call values. */
  self->calls = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) call_free);
}

ConfabCalls *
confab_calls_new (ConfabServer *server)
{
  ConfabCalls *self = g_object_new (CONFAB_TYPE_CALLS, NULL);

  self->server = server;
  return self;
}

/* --- The module ------------------------------------------------------------------------------ */

static gboolean
get_call_id (JsonObject  *frame,
             const char **call_id,
             GError     **error)
{
  return confab_params_get_string (frame, CONFAB_CALL_ID, CONFAB_PARAM_REQUIRED, 1, 64, call_id,
                                   error);
}

/* Reasons are short lower-case words (declined, busy, hangup, connection_lost, ...): they are
 * shown to the other side, so nothing else gets through. */
static gboolean
get_reason (JsonObject  *frame,
            const char  *fallback,
            const char **reason,
            GError     **error)
{
  *reason = NULL;
  if (!confab_params_get_string (frame, "reason", CONFAB_PARAM_OPTIONAL, 1, 32, reason, error))
    return FALSE;
  if (*reason == NULL)
    *reason = fallback;
  for (const char *p = *reason; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && *p != '_')
      {
        g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                     "a reason is a lower-case word such as 'declined'");
        return FALSE;
      }
  return TRUE;
}

static void
handle_call_invite (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *to = NULL;
  const char *call_id = NULL;
  JsonObject *media = NULL;
  gboolean audio = TRUE;
  gboolean video = FALSE;

  if (!get_call_id (frame, &call_id, &error)
      || !confab_request_get_username (frame, "to", &to, &error)
      || !confab_params_get_object (frame, "media", CONFAB_PARAM_REQUIRED, &media, &error)
      || !confab_params_get_bool (media, "audio", CONFAB_PARAM_OPTIONAL, &audio, &error)
      || !confab_params_get_bool (media, "video", CONFAB_PARAM_OPTIONAL, &video, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  /* A call carries audio, video or both: `media` names at least one of them, turned on. */
  if ((!json_object_has_member (media, "audio") && !json_object_has_member (media, "video"))
      || (!audio && !video))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "media must turn on audio or video");
      return;
    }
  confab_calls_invite (instance, self, id, call_id, to, audio,
                       video);
}

static void
handle_call_answer (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;

  if (!get_call_id (frame, &call_id, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_calls_answer (instance, self, id, call_id);
}

static void
handle_call_reject (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;
  const char *reason = NULL;

  if (!get_call_id (frame, &call_id, &error) || !get_reason (frame, "declined", &reason, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (!g_str_equal (reason, "declined") && !g_str_equal (reason, "busy"))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "reason must be 'declined' or 'busy'");
      return;
    }
  confab_calls_reject (instance, self, id, call_id, reason);
}

static void
handle_call_signal (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;
  const char *to_device = NULL;
  JsonObject *sdp = NULL;
  JsonObject *ice = NULL;
  g_autoptr(JsonObject) clean_sdp = NULL;
  g_autoptr(JsonObject) clean_ice = NULL;

  if (!get_call_id (frame, &call_id, &error)
      || !confab_params_get_string (frame, "to_device", CONFAB_PARAM_REQUIRED, 1, 64, &to_device,
                                    &error)
      || !confab_params_get_object (frame, "sdp", CONFAB_PARAM_OPTIONAL, &sdp, &error)
      || !confab_params_get_object (frame, "ice", CONFAB_PARAM_OPTIONAL, &ice, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if ((sdp == NULL) == (ice == NULL))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "a signal carries either 'sdp' or 'ice'");
      return;
    }

  /* Only the documented members are relayed, validated, so a peer gets nothing it did not ask
   * for. */
  if (sdp != NULL)
    {
      static const char * const types[] = { "offer", "answer", "pranswer", "rollback", NULL };
      const char *type = NULL;
      const char *text = "";

      if (!confab_params_get_string (sdp, "type", CONFAB_PARAM_REQUIRED, 1, 16, &type, &error)
          || !confab_params_get_string (sdp, "sdp", CONFAB_PARAM_MULTILINE | CONFAB_PARAM_OPTIONAL,
                                        0, 60000, &text, &error))
        {
          confab_connection_respond_gerror (self, id, error);
          return;
        }
      if (!g_strv_contains (types, type))
        {
          confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                           "sdp.type must be offer, answer, pranswer or rollback");
          return;
        }
      clean_sdp = json_object_new ();
      json_object_set_string_member (clean_sdp, "type", type);
      json_object_set_string_member (clean_sdp, "sdp", text);
    }
  else
    {
      const char *candidate = NULL;
      gint64 mline = 0;

      if (!confab_params_get_string (ice, "candidate", CONFAB_PARAM_REQUIRED, 0, 2048, &candidate,
                                     &error)
          || !confab_params_get_int (ice, "sdp_mline_index", CONFAB_PARAM_REQUIRED, 0, 255, &mline,
                                     &error))
        {
          confab_connection_respond_gerror (self, id, error);
          return;
        }
      clean_ice = json_object_new ();
      json_object_set_string_member (clean_ice, "candidate", candidate);
      json_object_set_int_member (clean_ice, "sdp_mline_index", mline);
    }

  confab_calls_signal (instance, self, id, call_id, to_device,
                       clean_sdp, clean_ice);
}

static void
handle_call_hangup (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  const char *call_id = NULL;
  const char *reason = NULL;

  if (!get_call_id (frame, &call_id, &error) || !get_reason (frame, "hangup", &reason, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_calls_hangup (instance, self, id, call_id, reason);
}

static void
on_session_ended (gpointer          instance,
                  ConfabConnection *connection,
                  gboolean          last_of_user,
                  gboolean          last_of_device)
{
  if (last_of_device)
    confab_calls_device_gone (instance, confab_connection_get_username (connection),
                              confab_connection_get_device_id (connection));
}

static void
describe_session (gpointer          instance,
                  ConfabConnection *connection,
                  JsonObject       *hello_result)
{
  json_object_set_array_member (hello_result, "ice_servers",
                                confab_calls_ice_servers (instance,
                                                          confab_connection_get_username (
                                                            connection)));
}

static const ConfabRequestHandler requests[] = {
  { CONFAB_REQUEST_CALL_INVITE, handle_call_invite },
  { CONFAB_REQUEST_CALL_ANSWER, handle_call_answer },
  { CONFAB_REQUEST_CALL_REJECT, handle_call_reject },
  { CONFAB_REQUEST_CALL_SIGNAL, handle_call_signal },
  { CONFAB_REQUEST_CALL_HANGUP, handle_call_hangup },
  { NULL }
};

static const char * const events[] = {
  CONFAB_EVENT_CALL_INVITE, CONFAB_EVENT_CALL_ANSWERED, CONFAB_EVENT_CALL_SIGNAL,
  CONFAB_EVENT_CALL_ENDED, CONFAB_EVENT_CALL_MISSED, CONFAB_EVENT_MESSAGE, NULL
};

static const ConfabServerModule module = {
  .name = "calls",
  .requests = requests,
  .events = events,
  .session_ended = on_session_ended,
  .describe_session = describe_session,
};

void
confab_calls_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, confab_calls_new (server), g_object_unref);
}
