/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-connection"

#include "config.h"

#include "confab-connection-private.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-log.h"
#include "confab-protocol.h"
#include "confab-server.h"
#include "confab-validate.h"

#define REPLAY_BATCH 500

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  gint64  seq;
  GBytes *frame;
} QueuedFrame;

typedef struct
{
  const char *type;      /* static: a registered request type, or "hello" or "unknown" */
  gint64      start_us;
} InFlight;

G_DEFINE_FINAL_TYPE (ConfabConnection, confab_connection, G_TYPE_OBJECT)

static void
queued_frame_free (QueuedFrame *queued)
{
  g_bytes_unref (queued->frame);
  g_free (queued);
}

static gboolean
is_open (ConfabConnection *self)
{
  return self->state != CONNECTION_CLOSED
         && soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN;
}

static void close_with (ConfabConnection *self,
                        gushort           code,
                        const char       *reason);
static void replay_continue (struct _Replay *replay);

/* --- Requests in flight, for the metrics ------------------------------------------------------ */

#define OUTCOME_OK ((ConfabProtocolError) -1)

static void
request_started (ConfabConnection *self,
                 const char       *id,
                 const char       *type)
{
  InFlight *request = g_new (InFlight, 1);

  request->type = type;
  request->start_us = g_get_monotonic_time ();
  /* Made when a request is in flight, gone when none is. */
  if (self->requests == NULL)
    self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_replace (self->requests, g_strdup (id), request);
}

/* Request @id was answered: ok (OUTCOME_OK) or with error @code. */
static void
request_finished (ConfabConnection    *self,
                  const char          *id,
                  ConfabProtocolError  code)
{
  InFlight *request;
  const char *outcome = code == OUTCOME_OK ? "ok" : confab_protocol_error_to_string (code);

  if (id == NULL || self->requests == NULL
      || (request = g_hash_table_lookup (self->requests, id)) == NULL)
    return;
  confab_server_record_request (self->server, request->type, outcome,
                                g_get_monotonic_time () - request->start_us);
  /* Refusals: INFO (G_MESSAGES_DEBUG shows them), a refused hello is worth more. */
  if (code == CONFAB_PROTOCOL_ERROR_UNAUTHORIZED || code == CONFAB_PROTOCOL_ERROR_FORBIDDEN
      || code == CONFAB_PROTOCOL_ERROR_RATE_LIMITED)
    confab_log (g_str_equal (request->type, CONFAB_REQUEST_HELLO)
                ? G_LOG_LEVEL_MESSAGE : G_LOG_LEVEL_INFO,
                &(ConfabLogFields) { .event = "refused", .user = self->username,
                                     .device = self->device_id, .request = request->type,
                                     .outcome = outcome, .address = self->address },
                "%s request from %s refused: %s", request->type, self->address, outcome);
  g_hash_table_remove (self->requests, id);
  /* Nothing in flight: 10 000 idle connections keep no table each. */
  if (g_hash_table_size (self->requests) == 0)
    g_clear_pointer (&self->requests, g_hash_table_unref);
}

/* --- Output waiting for the peer -------------------------------------------------------------- */

/* What libsoup holds for the peer: every frame handed to it, header included, minus what went
 * out through the stream. libsoup's own control frames (pings, pongs) also go out, so the
 * count never goes below what was handed. */
static guint64
queued_bytes (ConfabConnection *self)
{
  guint64 written;

  if (self->stream == NULL)
    return 0;
  written = confab_connection_stream_get_written (self->stream);
  if (written > self->handed)
    self->handed = written;
  return self->handed - written;
}

static guint64
max_queued (ConfabConnection *self)
{
  return confab_server_get_config (self->server)->max_queued_bytes;
}

/* The replay sends while under half the cap and fetches its next batch only once everything
 * before it is written; reading resumes once under half the cap. */
static gboolean
drain_awaited (ConfabConnection *self,
               guint64           queued)
{
  if (self->slow_reader_id != 0 && queued <= max_queued (self) / 2)
    return TRUE;
  return self->paused_replay != NULL && queued == 0;
}

static void
close_slow_reader (ConfabConnection *self,
                   const char       *why)
{
  g_message ("closing a connection of %s (%s): %s, %" G_GUINT64_FORMAT " bytes waiting",
             self->username != NULL ? self->username : "nobody yet", self->address, why,
             queued_bytes (self));
  g_clear_handle_id (&self->slow_reader_id, g_source_remove);
  /* What waits is lost anyway (the client resumes from its last seq): the close frame goes
   * first, so that the peer learns why. */
  if (self->stream != NULL)
    confab_connection_stream_drop_output (self->stream);
  close_with (self, CONFAB_CLOSE_SLOW_READER, "slow reader: too much output waiting");
}

static gboolean
on_slow_reader (gpointer user_data)
{
  ConfabConnection *self = user_data;

  self->slow_reader_id = 0;
  close_slow_reader (self, "over the output cap for too long");
  return G_SOURCE_REMOVE;
}

static gboolean
on_drained (gpointer user_data)
{
  ConfabConnection *self = user_data;
  guint64 queued = queued_bytes (self);

  self->drained_id = 0;
  if (self->state == CONNECTION_CLOSED)
    return G_SOURCE_REMOVE;
  if (self->slow_reader_id != 0 && queued <= max_queued (self) / 2)
    {
      g_clear_handle_id (&self->slow_reader_id, g_source_remove);
      confab_connection_stream_set_reading (self->stream, TRUE);
    }
  if (self->paused_replay != NULL && queued == 0)
    replay_continue (g_steal_pointer (&self->paused_replay));
  return G_SOURCE_REMOVE;
}

/* Called by the stream inside libsoup's write: whatever resumes runs from an idle callback. */
static void
on_written (gpointer user_data)
{
  ConfabConnection *self = user_data;

  if (self->drained_id == 0 && drain_awaited (self, queued_bytes (self)))
    self->drained_id = g_idle_add (on_drained, self);
}

static void
check_output (ConfabConnection *self)
{
  guint64 queued = queued_bytes (self);
  guint64 cap = max_queued (self);

  if (queued > 2 * cap)
    close_slow_reader (self, "far over the output cap");
  else if (queued > cap && self->slow_reader_id == 0 && self->stream != NULL)
    {
      confab_connection_stream_set_reading (self->stream, FALSE);
      self->slow_reader_id = g_timeout_add_seconds (
        confab_server_get_config (self->server)->slow_reader_s, on_slow_reader, self);
    }
}

static void
hand_to_soup (ConfabConnection *self,
              GBytes           *frame)
{
  gsize length = g_bytes_get_size (frame);

  /* A server's frames are unmasked: 2, 4 or 10 bytes of header. */
  self->handed += length + (length < 126 ? 2 : length < 65536 ? 4 : 10);
  soup_websocket_connection_send_message (self->ws, SOUP_WEBSOCKET_DATA_TEXT, frame);
  check_output (self);
}

void
confab_connection_send_text (ConfabConnection *self,
                             const char       *text,
                             gsize             length)
{
  g_autoptr(GBytes) bytes = NULL;

  if (!is_open (self))
    return;
  /* libsoup copies the payload into its frame before returning. */
  bytes = g_bytes_new_static (text, length);
  hand_to_soup (self, bytes);
}

static void
send_bytes (ConfabConnection *self,
            GBytes           *frame)
{
  if (!is_open (self))
    return;
  hand_to_soup (self, frame);
}

void
confab_connection_respond_ok (ConfabConnection *self,
                              const char       *id,
                              JsonObject       *result)
{
  gsize length;
  g_autofree char *text = confab_frame_response_ok (id, result, &length);

  request_finished (self, id, OUTCOME_OK);
  confab_connection_send_text (self, text, length);
}

void
confab_connection_respond_error (ConfabConnection    *self,
                                 const char          *id,
                                 ConfabProtocolError  code,
                                 const char          *message)
{
  gsize length;
  g_autofree char *text = confab_frame_response_error (id, code, message, NULL, &length);

  request_finished (self, id, code);
  confab_connection_send_text (self, text, length);
}

void
confab_connection_respond_error_full (ConfabConnection    *self,
                                      const char          *id,
                                      ConfabProtocolError  code,
                                      const char          *message,
                                      JsonObject          *extra)
{
  gsize length;
  g_autofree char *text = confab_frame_response_error (id, code, message, extra, &length);

  confab_connection_send_text (self, text, length);
}

void
confab_connection_respond_invalid (ConfabConnection *self,
                                   const char       *id,
                                   const char       *message,
                                   const char       *field,
                                   const char       *reason)
{
  g_autoptr(JsonObject) extra = json_object_new ();
  JsonObject *fields = json_object_new ();
  g_autofree char *text = NULL;
  gsize length;

  json_object_set_string_member (fields, field, reason);
  json_object_set_object_member (extra, "fields", fields);
  text = confab_frame_response_error (id, CONFAB_PROTOCOL_ERROR_INVALID, message, extra, &length);
  request_finished (self, id, CONFAB_PROTOCOL_ERROR_INVALID);
  confab_connection_send_text (self, text, length);
}

void
confab_connection_respond_gerror (ConfabConnection *self,
                                  const char       *id,
                                  const GError     *error)
{
  gsize length;
  g_autofree char *text = NULL;

  if (error->domain != CONFAB_PROTOCOL_ERROR)
    confab_log (G_LOG_LEVEL_WARNING,
                &(ConfabLogFields) { .event = "error", .user = self->username,
                                     .device = self->device_id, .outcome = "internal",
                                     .address = self->address },
                "request failed: %s", error->message);
  text = confab_frame_response_gerror (id, error, &length);
  request_finished (self, id, error->domain == CONFAB_PROTOCOL_ERROR
                    ? (ConfabProtocolError) error->code : CONFAB_PROTOCOL_ERROR_INTERNAL);
  confab_connection_send_text (self, text, length);
}

void
confab_connection_respond_rate_limited (ConfabConnection *self,
                                        const char       *id,
                                        gint64            retry_after_ms)
{
  g_autoptr(JsonObject) extra = json_object_new ();
  g_autofree char *text = NULL;
  gsize length;

  json_object_set_int_member (extra, "retry_after_ms", MAX (1, retry_after_ms));
  text = confab_frame_response_error (id, CONFAB_PROTOCOL_ERROR_RATE_LIMITED,
                                      "too many requests, try again later", extra, &length);
  request_finished (self, id, CONFAB_PROTOCOL_ERROR_RATE_LIMITED);
  confab_connection_send_text (self, text, length);
}

static void
close_with (ConfabConnection *self,
            gushort           code,
            const char       *reason)
{
  if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->ws, code, reason);
}

void
confab_connection_close (ConfabConnection *self,
                         gushort           code,
                         const char       *reason)
{
  g_return_if_fail (CONFAB_IS_CONNECTION (self));
  close_with (self, code, reason);
}

/* --- Store calls ------------------------------------------------------------------------------ */

typedef struct
{
  ConfabConnection *connection;
  char             *id;
  ConfabReplyHook   hook;
  gpointer          hook_data;
} StoreCall;

/**
 * confab_connection_store_call:
 *
 * Returns: the user_data for a store operation whose reply answers request @id: the result is
 *   the response, the events are delivered to their recipients (the other connections; this
 *   one learns from the response), and @hook may act on the reply first (given @hook_data).
 */
gpointer
confab_connection_store_call (ConfabConnection *self,
                              const char       *id,
                              ConfabReplyHook   hook,
                              gpointer          hook_data)
{
  StoreCall *call = g_new0 (StoreCall, 1);

  call->connection = g_object_ref (self);
  call->id = g_strdup (id);
  call->hook = hook;
  call->hook_data = hook_data;
  return call;
}

void
confab_store_call_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  StoreCall *call = user_data;
  ConfabConnection *self = call->connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = NULL;

  reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  if (reply == NULL)
    confab_connection_respond_gerror (self, call->id, error);
  else
    {
      ConfabRouter *router = self->server != NULL ? confab_server_get_router (self->server) : NULL;

      if (call->hook != NULL)
        call->hook (self, reply, call->hook_data);
      if (reply->result_text != NULL)
        {
          gsize length;
          g_autofree char *text = confab_frame_response_ok_raw (call->id, reply->result_text,
                                                                &length);

          request_finished (self, call->id, OUTCOME_OK);
          confab_connection_send_text (self, text, length);
        }
      else
        confab_connection_respond_ok (self, call->id, reply->result);
      for (guint i = 0; router != NULL && i < reply->events->len; i++)
        confab_router_deliver (router, g_ptr_array_index (reply->events, i), self);
    }

  g_object_unref (call->connection);
  g_free (call->id);
  g_free (call);
}

/* --- Delivery and the hello replay ------------------------------------------------------------ */

void
confab_connection_deliver (ConfabConnection *self,
                           gint64            seq,
                           GBytes           *frame)
{
  if (self->state == CONNECTION_SYNCING)
    {
      QueuedFrame *queued = g_new0 (QueuedFrame, 1);

      queued->seq = seq;
      queued->frame = g_bytes_ref (frame);
      g_queue_push_tail (&self->pending, queued);
      self->pending_bytes += g_bytes_get_size (frame);
      /* A peer slow to take its replay must not pile up live events here either: those are
       * in the store, and the replay reads on until it has caught up with them. */
      if (self->pending_bytes > max_queued (self))
        {
          g_queue_clear_full (&self->pending, (GDestroyNotify) queued_frame_free);
          self->pending_bytes = 0;
          self->pending_dropped = TRUE;
        }
      return;
    }
  if (self->state == CONNECTION_LIVE)
    send_bytes (self, frame);
}

static void
go_live (ConfabConnection *self,
         gint64            last_seq,
         gboolean          resync)
{
  g_autoptr(JsonObject) data = json_object_new ();
  g_autofree char *text = NULL;
  QueuedFrame *queued;
  gsize length;

  if (resync)
    {
      g_autofree char *resync_text = NULL;

      json_object_set_int_member (data, "last_seq", last_seq);
      resync_text = confab_frame_event (CONFAB_EVENT_RESYNC_REQUIRED, 0, data, &length);
      confab_connection_send_text (self, resync_text, length);
    }

  /* Events committed while the replay ran may have been both replayed and queued. */
  while ((queued = g_queue_pop_head (&self->pending)) != NULL)
    {
      if (queued->seq == 0 || queued->seq > self->replayed_seq)
        {
          send_bytes (self, queued->frame);
          last_seq = MAX (last_seq, queued->seq);
        }
      queued_frame_free (queued);
    }
  self->pending_bytes = 0;

  json_object_set_int_member (data, "last_seq", MAX (last_seq, self->replayed_seq));
  text = confab_frame_event (CONFAB_EVENT_SYNCED, 0, data, &length);
  confab_connection_send_text (self, text, length);
  self->state = CONNECTION_LIVE;
}

typedef struct _Replay
{
  ConfabConnection *connection;
  char             *id;          /* the hello request, answered after the first batch */
  JsonObject       *user;
  gint64            since;
  ConfabStoreReply *batch;       /* the batch being sent */
  guint             next;        /* its next event */
  gboolean          refetch;     /* live events were dropped: read the store again */
} Replay;

static void
replay_free (Replay *replay)
{
  g_object_unref (replay->connection);
  g_free (replay->id);
  g_clear_pointer (&replay->user, json_object_unref);
  g_clear_pointer (&replay->batch, confab_store_reply_free);
  g_free (replay);
}

static void replay_next (Replay *replay);

static void
answer_hello (ConfabConnection *self,
              Replay           *replay,
              gint64            last_seq)
{
  g_autoptr(JsonObject) result = json_object_new ();
  JsonObject *server = confab_server_describe (self->server);

  json_object_set_object_member (result, "user", json_object_ref (replay->user));
  json_object_set_string_member (result, "device_id", self->device_id);
  json_object_set_int_member (result, "last_seq", last_seq);
  json_object_set_object_member (result, "server", server);
  confab_server_describe_session (self->server, self, result);
  confab_connection_respond_ok (self, replay->id, result);
  g_clear_pointer (&replay->id, g_free);
}

static void
replay_batch_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Replay *replay = user_data;
  ConfabConnection *self = replay->connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = NULL;

  reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  if (self->state != CONNECTION_SYNCING)
    {
      replay_free (replay);
      return;
    }
  if (reply == NULL)
    {
      g_warning ("replay for %s failed: %s", self->username, error->message);
      if (replay->id != NULL)
        confab_connection_respond_error (self, replay->id, CONFAB_PROTOCOL_ERROR_INTERNAL,
                                         "internal error");
      close_with (self, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "internal error");
      replay_free (replay);
      return;
    }

  if (replay->id != NULL)
    answer_hello (self, replay, reply->last_seq);

  if (reply->resync_required)
    {
      self->replayed_seq = reply->last_seq;
      go_live (self, reply->last_seq, TRUE);
      replay_free (replay);
      return;
    }

  replay->batch = g_steal_pointer (&reply);
  replay->next = 0;
  replay_continue (replay);
}

/* Sends the batch while under half the output cap; the next batch is read from the store only
 * once all of this one is written. Paused, the connection holds the replay until drained. */
static void
replay_continue (Replay *replay)
{
  ConfabConnection *self = replay->connection;
  ConfabStoreReply *batch = replay->batch;

  if (self->state != CONNECTION_SYNCING)
    {
      replay_free (replay);
      return;
    }

  while (replay->next < batch->events->len)
    {
      ConfabStoreEvent *event = g_ptr_array_index (batch->events, replay->next);

      if (queued_bytes (self) > max_queued (self) / 2)
        {
          self->paused_replay = replay;
          return;
        }
      send_bytes (self, event->frame);
      self->replayed_seq = MAX (self->replayed_seq, event->seq);
      replay->next++;
    }

  if (self->pending_dropped)
    {
      self->pending_dropped = FALSE;
      replay->refetch = TRUE;
    }
  if (batch->more || replay->refetch)
    {
      if (queued_bytes (self) > 0)
        {
          self->paused_replay = replay;
          return;
        }
      replay->refetch = FALSE;
      replay->since = self->replayed_seq;
      g_clear_pointer (&replay->batch, confab_store_reply_free);
      replay_next (replay);
      return;
    }

  go_live (self, batch->last_seq, FALSE);
  replay_free (replay);
}

static void
replay_next (Replay *replay)
{
  ConfabConnection *self = replay->connection;

  confab_store_events_since_async (confab_server_get_store (self->server), self->username,
                                   replay->since, REPLAY_BATCH, self->cancellable,
                                   replay_batch_cb, replay);
}

/**
 * confab_connection_begin_session:
 *
 * Called once the hello's token checked out: joins the router (live events start queueing),
 * then answers the hello and replays everything after @since before going live.
 */
void
confab_connection_begin_session (ConfabConnection *self,
                                 const char       *id,
                                 JsonObject       *user,
                                 const char       *device_id,
                                 gint64            since)
{
  Replay *replay = g_new0 (Replay, 1);
  gboolean first_of_user;

  self->username = g_strdup (json_object_get_string_member (user, "username"));
  self->device_id = g_strdup (device_id);
  self->state = CONNECTION_SYNCING;
  self->replayed_seq = since;
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);

  first_of_user = confab_router_add (confab_server_get_router (self->server), self);
  confab_log (G_LOG_LEVEL_INFO,
              &(ConfabLogFields) { .event = "session_start", .user = self->username,
                                   .device = self->device_id, .request = CONFAB_REQUEST_HELLO,
                                   .outcome = "ok", .address = self->address },
              "%s connected from %s", self->username, self->address);
  confab_server_session_started (self->server, self, first_of_user);

  replay->connection = g_object_ref (self);
  replay->id = g_strdup (id);
  replay->user = json_object_ref (user);
  replay->since = since;
  replay_next (replay);
}

/* --- hello ------------------------------------------------------------------------------------ */

typedef struct
{
  ConfabConnection *connection;
  char             *id;
  gint64            since;
} Hello;

static void
session_lookup_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Hello *hello = user_data;
  ConfabConnection *self = hello->connection;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (self->state == CONNECTION_AUTHENTICATING)
    {
      if (reply == NULL)
        {
          gboolean known = error->domain == CONFAB_PROTOCOL_ERROR
                           && (error->code == CONFAB_PROTOCOL_ERROR_UNAUTHORIZED
                               || error->code == CONFAB_PROTOCOL_ERROR_FORBIDDEN);

          confab_connection_respond_error (self, hello->id, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                                           known ? error->message : "the token is not valid");
          confab_connection_close (self, CONFAB_CLOSE_UNAUTHORIZED, "unauthorized");
        }
      else
        {
          JsonObject *user = json_object_get_object_member (reply->result, "user");
          const char *device_id = json_object_get_string_member (reply->result, "device_id");

          confab_connection_begin_session (self, hello->id, user, device_id, hello->since);
        }
    }

  g_object_unref (hello->connection);
  g_free (hello->id);
  g_free (hello);
}

static void
handle_hello (ConfabConnection *self,
              const char       *id,
              JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token_hash = NULL;
  const char *token = NULL;
  const char *client = NULL;
  gint64 since = 0;
  Hello *hello;

  if (!confab_params_get_string (frame, "token", CONFAB_PARAM_REQUIRED, 1, 512, &token, &error)
      || !confab_params_get_int (frame, "since", CONFAB_PARAM_OPTIONAL, 0, CONFAB_MAX_SAFE_INTEGER,
                                 &since, &error)
      || !confab_params_get_string (frame, "client", CONFAB_PARAM_OPTIONAL, 0, 128, &client,
                                    &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  self->state = CONNECTION_AUTHENTICATING;
  token_hash = confab_auth_hash_token (token);

  hello = g_new0 (Hello, 1);
  hello->connection = g_object_ref (self);
  hello->id = g_strdup (id);
  hello->since = since;
  confab_session_lookup_async (confab_server_get_store (self->server), token_hash,
                               self->cancellable, session_lookup_cb, hello);
}

/* --- Incoming frames -------------------------------------------------------------------------- */

static void
count_bad_frame (ConfabConnection *self)
{
  const ConfabConfig *config = confab_server_get_config (self->server);

  if (++self->bad_frames >= config->bad_frames_before_close)
    close_with (self, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "too many bad frames");
}

static void
store_ack (ConfabConnection *self);

static void
store_ack_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(ConfabConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  self->ack_in_flight = FALSE;
  if (reply == NULL)
    g_debug ("storing an ack failed: %s", error->message);
  store_ack (self);
}

/* Acks only move forward and at most one is being written at a time per connection: a client
 * acking every event costs one small write per batch, not one per event. */
static void
store_ack (ConfabConnection *self)
{
  if (self->ack_in_flight || self->acked_seq <= self->stored_ack_seq || self->server == NULL)
    return;

  self->ack_in_flight = TRUE;
  self->stored_ack_seq = self->acked_seq;
  confab_store_ack_async (confab_server_get_store (self->server), self->device_id,
                          self->acked_seq, NULL, store_ack_cb, g_object_ref (self));
}

static void
handle_ack (ConfabConnection *self,
            JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  gint64 seq = 0;

  if (!confab_params_get_int (frame, "seq", CONFAB_PARAM_REQUIRED, 0, CONFAB_MAX_SAFE_INTEGER,
                              &seq, &error))
    {
      confab_connection_respond_gerror (self, NULL, error);
      count_bad_frame (self);
      return;
    }
  self->bad_frames = 0;
  if (seq > self->acked_seq)
    {
      self->acked_seq = seq;
      store_ack (self);
    }
}

static void
handle_frame (ConfabConnection *self,
              const char       *data,
              gsize             length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) frame = NULL;
  const char *type;
  const char *id;

  frame = confab_frame_parse (data, length, &error);
  if (frame == NULL)
    {
      g_autofree char *refused_id = confab_frame_refused_id (data, length);

      confab_connection_respond_gerror (self, refused_id, error);
      count_bad_frame (self);
      return;
    }

  type = confab_frame_get_type (frame);
  id = confab_frame_get_id (frame);

  if (g_strcmp0 (type, CONFAB_REQUEST_ACK) == 0 && self->state >= CONNECTION_SYNCING)
    {
      handle_ack (self, frame);
      return;
    }

  if (id == NULL)
    {
      confab_connection_respond_error (self, NULL, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "a request needs an 'id' of 1 to 64 characters");
      count_bad_frame (self);
      return;
    }
  if (self->server != NULL)
    request_started (self, id, g_strcmp0 (type, CONFAB_REQUEST_HELLO) == 0
                     ? CONFAB_REQUEST_HELLO : confab_server_request_type (self->server, type));
  if (type == NULL)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "a request needs a 'type'");
      count_bad_frame (self);
      return;
    }

  if (g_str_equal (type, CONFAB_REQUEST_HELLO))
    {
      if (self->state != CONNECTION_AWAIT_HELLO)
        {
          confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                           "hello was already sent");
          return;
        }
      handle_hello (self, id, frame);
      return;
    }

  if (self->state < CONNECTION_SYNCING)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                                       "send hello with a valid token first");
      return;
    }

  if (!confab_server_dispatch (self->server, self, type, id, frame))
    {
      g_autofree char *message = g_strdup_printf ("unknown request type '%s'", type);

      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST, message);
      count_bad_frame (self);
    }
}

static void
on_ws_message (SoupWebsocketConnection *ws,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  ConfabConnection *self = user_data;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);

  /* Only pongs count as signs of life (on_ws_pong): a peer that keeps sending but never
   * reads what it is sent must still time out. */
  if (self->state == CONNECTION_CLOSED)
    return;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      confab_connection_respond_error (self, NULL, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "binary frames are not accepted; send JSON text frames");
      count_bad_frame (self);
      return;
    }

  /* A frame that parses but fails validation still counts as bad in handle_frame; a good
   * request resets the count so only runs of bad frames close the connection. */
  {
    guint before = self->bad_frames;
    handle_frame (self, data, length);
    if (self->bad_frames == before)
      self->bad_frames = 0;
  }
}

/* libsoup refuses a frame over max-incoming-payload-size as soon as it reads the header, and
 * then drops the stream without a close frame. It emits "error" just before, which is the last
 * moment to tell the peer why: a close frame with 1009, written without blocking. */
static void
on_ws_error (SoupWebsocketConnection *ws,
             GError                  *error,
             gpointer                 user_data)
{
  static const guint8 close_too_big[] = { 0x88, 0x02, SOUP_WEBSOCKET_CLOSE_TOO_BIG >> 8,
                                          SOUP_WEBSOCKET_CLOSE_TOO_BIG & 0xff };
  GOutputStream *out;

  if (!g_error_matches (error, SOUP_WEBSOCKET_ERROR, SOUP_WEBSOCKET_CLOSE_TOO_BIG))
    {
      g_debug ("WebSocket error: %s", error->message);
      return;
    }

  out = g_io_stream_get_output_stream (soup_websocket_connection_get_io_stream (ws));
  if (G_IS_POLLABLE_OUTPUT_STREAM (out) && !g_output_stream_has_pending (out))
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (out), close_too_big,
                                                sizeof close_too_big, NULL, NULL);
}

static void
on_ws_pong (SoupWebsocketConnection *ws,
            GBytes                  *message,
            gpointer                 user_data)
{
  ConfabConnection *self = user_data;

  self->last_rx_us = g_get_monotonic_time ();
}

static void
on_ws_closed (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  ConfabConnection *self = user_data;

  if (self->state == CONNECTION_CLOSED)
    return;

  self->state = CONNECTION_CLOSED;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);
  g_clear_handle_id (&self->slow_reader_id, g_source_remove);
  g_clear_handle_id (&self->drained_id, g_source_remove);
  g_clear_pointer (&self->paused_replay, replay_free);
  g_queue_clear_full (&self->pending, (GDestroyNotify) queued_frame_free);
  g_clear_pointer (&self->requests, g_hash_table_unref);

  if (self->username != NULL)
    confab_log (G_LOG_LEVEL_INFO,
                &(ConfabLogFields) { .event = "session_end", .user = self->username,
                                     .device = self->device_id, .address = self->address },
                "%s disconnected from %s", self->username, self->address);

  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
  if (self->server != NULL)
    confab_server_connection_closed (self->server, self);
  g_object_unref (self);
}

static gboolean
on_hello_timeout (gpointer user_data)
{
  ConfabConnection *self = user_data;

  self->hello_timeout_id = 0;
  if (self->state == CONNECTION_AWAIT_HELLO || self->state == CONNECTION_AUTHENTICATING)
    close_with (self, CONFAB_CLOSE_HELLO_TIMEOUT, "no hello in time");
  return G_SOURCE_REMOVE;
}

/**
 * confab_connection_drop_if_silent:
 * @now_us: the monotonic time of this sweep
 *
 * Closes the connection if its peer sent nothing, not even a pong to the keepalive pings,
 * for longer than the idle timeout. The server sweeps all connections with one timer: a timer
 * per connection would make every main loop iteration walk thousands of them.
 */
void
confab_connection_drop_if_silent (ConfabConnection *self,
                                  gint64            now_us)
{
  const ConfabConfig *config = confab_server_get_config (self->server);
  gint64 silent_us = now_us - self->last_rx_us;

  if (self->state == CONNECTION_CLOSED)
    return;
  if (silent_us > (gint64) config->idle_timeout_s * G_USEC_PER_SEC)
    {
      g_debug ("dropping a connection silent for %" G_GINT64_FORMAT " s",
               silent_us / G_USEC_PER_SEC);
      close_with (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "idle");
    }
}

static void
confab_connection_dispose (GObject *object)
{
  ConfabConnection *self = CONFAB_CONNECTION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->hello_timeout_id, g_source_remove);
  g_clear_handle_id (&self->slow_reader_id, g_source_remove);
  g_clear_handle_id (&self->drained_id, g_source_remove);
  if (self->stream != NULL)
    confab_connection_stream_set_written_func (self->stream, NULL, NULL);
  g_clear_object (&self->stream);
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      close_with (self, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server shutting down");
    }
  g_clear_object (&self->ws);
  g_queue_clear_full (&self->pending, (GDestroyNotify) queued_frame_free);

  G_OBJECT_CLASS (confab_connection_parent_class)->dispose (object);
}

static void
confab_connection_finalize (GObject *object)
{
  ConfabConnection *self = CONFAB_CONNECTION (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->requests, g_hash_table_unref);
  g_free (self->address);
  g_free (self->username);
  g_free (self->device_id);

  G_OBJECT_CLASS (confab_connection_parent_class)->finalize (object);
}

static void
confab_connection_class_init (ConfabConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_connection_dispose;
  object_class->finalize = confab_connection_finalize;

  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
confab_connection_init (ConfabConnection *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->pending);
}

ConfabConnection *
confab_connection_new (ConfabServer            *server,
                       SoupWebsocketConnection *ws,
                       const char              *address)
{
  ConfabConnection *self = g_object_new (CONFAB_TYPE_CONNECTION, NULL);
  const ConfabConfig *config = confab_server_get_config (server);

  self->server = server;
  self->ws = g_object_ref (ws);
  if (CONFAB_IS_CONNECTION_STREAM (soup_websocket_connection_get_io_stream (ws)))
    {
      self->stream = g_object_ref (CONFAB_CONNECTION_STREAM (
                                     soup_websocket_connection_get_io_stream (ws)));
      confab_connection_stream_set_written_func (self->stream, on_written, self);
    }
  self->address = g_strdup (address);
  self->last_rx_us = g_get_monotonic_time ();

  soup_websocket_connection_set_max_incoming_payload_size (ws, config->max_frame_bytes);
  soup_websocket_connection_set_keepalive_interval (ws, config->ping_interval_s);

  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (ws, "pong", G_CALLBACK (on_ws_pong), self);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), self);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);

  self->hello_timeout_id = g_timeout_add (config->hello_timeout_ms, on_hello_timeout, self);
  return self;
}

/**
 * confab_connection_new_upgraded:
 * @msg: a request whose WebSocket handshake response (101) was just written
 *
 * Returns: (transfer full): the connection on @msg's socket, through a
 *   #ConfabConnectionStream so that its output waiting for the peer is known.
 */
ConfabConnection *
confab_connection_new_upgraded (ConfabServer      *server,
                                SoupServerMessage *msg)
{
  g_autoptr(SoupServerMessage) keep = g_object_ref (msg);
  g_autofree char *address = g_strdup (soup_server_message_get_remote_host (msg));
  g_autoptr(GIOStream) base = soup_server_message_steal_connection (msg);
  g_autoptr(ConfabConnectionStream) stream = confab_connection_stream_new (base);
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  g_autoptr(SoupWebsocketConnection) ws = NULL;

  ws = soup_websocket_connection_new (G_IO_STREAM (stream), soup_server_message_get_uri (msg),
                                      SOUP_WEBSOCKET_CONNECTION_SERVER,
                                      soup_message_headers_get_one (request, "Origin"),
                                      soup_message_headers_get_one (response,
                                                                    "Sec-WebSocket-Protocol"),
                                      NULL);
  return confab_connection_new (server, ws, address);
}

const char *
confab_connection_get_username (ConfabConnection *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), NULL);
  return self->username;
}

const char *
confab_connection_get_device_id (ConfabConnection *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), NULL);
  return self->device_id;
}

ConfabServer *
confab_connection_get_server (ConfabConnection *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), NULL);
  return self->server;
}

const char *
confab_connection_get_address (ConfabConnection *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), NULL);
  return self->address;
}

GCancellable *
confab_connection_get_cancellable (ConfabConnection *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), NULL);
  return self->cancellable;
}

guint
confab_connection_get_replay_backlog (ConfabConnection *self)
{
  guint backlog;

  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), 0);

  backlog = g_queue_get_length (&self->pending);
  if (self->paused_replay != NULL && self->paused_replay->batch != NULL)
    backlog += self->paused_replay->batch->events->len - self->paused_replay->next;
  return backlog;
}

gboolean
confab_connection_is_closed (ConfabConnection *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), TRUE);
  return self->state == CONNECTION_CLOSED;
}

gboolean
confab_connection_check_send_rate (ConfabConnection *self,
                                   const char       *id)
{
  gint64 retry_after_ms = 0;

  g_return_val_if_fail (CONFAB_IS_CONNECTION (self), FALSE);

  if (confab_server_take_send_token (self->server, self->username, &retry_after_ms))
    return TRUE;

  confab_connection_respond_rate_limited (self, id, retry_after_ms);
  return FALSE;
}
