/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "confab-connection.h"
#include "confab-connection-stream.h"
#include "confab-error.h"
#include "confab-server-module.h"
#include "confab-store.h"

G_BEGIN_DECLS

typedef enum
{
  CONNECTION_AWAIT_HELLO,
  CONNECTION_AUTHENTICATING,
  CONNECTION_SYNCING,
  CONNECTION_LIVE,
  CONNECTION_CLOSED,
} ConnectionState;

struct _ConfabConnection
{
  GObject                  parent_instance;

  ConfabServer            *server;
  SoupWebsocketConnection *ws;
  char                    *address;
  GCancellable            *cancellable;
  ConnectionState          state;

  char                    *username;
  char                    *device_id;

  /* While replaying stored events, live ones wait here (QueuedFrame), so the client sees one
   * ordered stream without gaps; duplicates are dropped by seq when the queue is flushed. */
  GQueue                   pending;
  gsize                    pending_bytes;
  gboolean                 pending_dropped; /* over the output cap: the store has them */
  gint64                   replayed_seq;

  guint                    bad_frames;
  guint                    hello_timeout_id;
  gint64                   last_rx_us;

  /* Output: bytes handed to libsoup (frame headers included) minus bytes written to the
   * stream are what waits for the peer. Over max_queued_bytes, reading the peer's requests
   * and the replay pause until it is back under half of it. */
  ConfabConnectionStream  *stream;
  guint64                  handed;
  guint                    slow_reader_id;
  guint                    drained_id;
  struct _Replay          *paused_replay;

  /* Requests not answered yet: id → their type and start, for the metrics. */
  GHashTable              *requests;

  gint64                   acked_seq;
  gint64                   stored_ack_seq;
  gboolean                 ack_in_flight;
};

/* confab-connection.c; the rest of what modules use is in confab-server-module.h. */
void     confab_connection_send_text      (ConfabConnection    *self,
                                           const char          *text,
                                           gsize                length);
void     confab_connection_begin_session  (ConfabConnection    *self,
                                           const char          *id,
                                           JsonObject          *user,
                                           const char          *device_id,
                                           gint64               since);

G_END_DECLS
