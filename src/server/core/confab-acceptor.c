/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-acceptor"

#include "config.h"

#include "confab-acceptor.h"
#include "confab-tls-stream.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

/* SoupServer's own listener hands TLS handshakes to glib-networking, which runs each in a
 * thread and waits for the peer without end; and neither it nor SoupServer bounds how long a
 * connection may sit before its first request. Here nothing waits in a thread and every
 * connection has until its deadline to send its first request headers. */

#define ACCEPTS_PER_WAKEUP 64
#define ACCEPT_RETRY_MS    100

typedef struct
{
  ConfabAcceptor    *owner;
  GSocketConnection *connection;
  ConfabTlsStream   *tls;        /* NULL in plain mode */
  GSocketAddress    *local;
  GSocketAddress    *remote;
  char              *address;    /* the peer's IP address */
  char              *key;        /* its address and port, to know its first request by */
  gint64             deadline_us;
  GSource           *source;     /* while the handshake waits for the socket */
  gboolean           handed;     /* the SoupServer has it */
  GList             *all_link;
  GList             *address_link;
} Pending;

struct _ConfabAcceptor
{
  SoupServer           *soup;
  ConfabTlsContext     *tls;
  ConfabAcceptorLimits  limits;

  GSocket              *listener;
  GSource              *accept_source;
  guint                 retry_id;
  guint                 sweep_id;
  gulong                request_started_id;

  GQueue                all;         /* Pending, oldest first */
  GHashTable           *by_address;  /* address → GQueue of Pending, oldest first */
  GHashTable           *by_key;      /* key → Pending, for those handed to the SoupServer */
};

static void watch_handshake (Pending *pending);

/* --- Pending connections ---------------------------------------------------------------------- */

static GSocket *
pending_socket (Pending *pending)
{
  return g_socket_connection_get_socket (pending->connection);
}

/* Forgets @pending; @close says whether its connection goes too. */
static void
pending_free (Pending  *pending,
              gboolean  close)
{
  ConfabAcceptor *self = pending->owner;
  GQueue *queue = g_hash_table_lookup (self->by_address, pending->address);

  g_queue_delete_link (&self->all, pending->all_link);
  g_queue_delete_link (queue, pending->address_link);
  if (g_queue_is_empty (queue))
    g_hash_table_remove (self->by_address, pending->address);
  if (pending->handed && g_hash_table_lookup (self->by_key, pending->key) == pending)
    g_hash_table_remove (self->by_key, pending->key);

  if (pending->source != NULL)
    {
      g_source_destroy (pending->source);
      g_source_unref (pending->source);
    }

  if (close && pending->handed)
    {
      /* The SoupServer owns it now: it sees the end of the stream and lets it go. */
      g_socket_shutdown (pending_socket (pending), TRUE, TRUE, NULL);
    }
  else if (close)
    {
      if (pending->tls != NULL)
        g_io_stream_close (G_IO_STREAM (pending->tls), NULL, NULL);
      else
        g_io_stream_close (G_IO_STREAM (pending->connection), NULL, NULL);
    }

  g_clear_object (&pending->tls);
  g_clear_object (&pending->connection);
  g_clear_object (&pending->local);
  g_clear_object (&pending->remote);
  g_free (pending->address);
  g_free (pending->key);
  g_free (pending);
}

static void
hand_over (Pending *pending)
{
  ConfabAcceptor *self = pending->owner;
  GIOStream *stream = pending->tls != NULL ? G_IO_STREAM (pending->tls)
                                           : G_IO_STREAM (pending->connection);

  if (pending->source != NULL)
    {
      g_source_destroy (pending->source);
      g_clear_pointer (&pending->source, g_source_unref);
    }
  /* Before accepting: the SoupServer starts its first request at once. */
  pending->handed = TRUE;
  g_hash_table_replace (self->by_key, pending->key, pending);
  soup_server_accept_iostream (self->soup, stream, pending->local, pending->remote, NULL);
}

static gboolean
handshake_ready_cb (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&pending->source, g_source_unref);
  /* Plain: the first bytes of a request are in. */
  if (pending->tls == NULL)
    {
      hand_over (pending);
      return G_SOURCE_REMOVE;
    }
  switch (confab_tls_stream_handshake_step (pending->tls, &error))
    {
    case CONFAB_TLS_HANDSHAKE_DONE:
      hand_over (pending);
      break;
    case CONFAB_TLS_HANDSHAKE_AGAIN:
      watch_handshake (pending);
      break;
    case CONFAB_TLS_HANDSHAKE_FAILED:
    default:
      g_debug ("TLS handshake with %s failed: %s", pending->address,
               error != NULL ? error->message : "connection error");
      pending_free (pending, TRUE);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
watch_handshake (Pending *pending)
{
  GIOCondition condition = pending->tls != NULL
                             ? confab_tls_stream_get_wait_condition (pending->tls)
                             : G_IO_IN;

  pending->source = g_socket_create_source (pending_socket (pending), condition, NULL);
  g_source_set_callback (pending->source, G_SOURCE_FUNC (handshake_ready_cb), pending, NULL);
  g_source_attach (pending->source, NULL);
}

static gboolean
evict_oldest (GQueue *queue)
{
  Pending *oldest = g_queue_peek_head (queue);

  if (oldest == NULL)
    return FALSE;
  g_debug ("too many connections waiting: closing the oldest, from %s", oldest->address);
  pending_free (oldest, TRUE);
  return TRUE;
}

static void
take_socket (ConfabAcceptor *self,
             GSocket        *socket)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autofree char *address = NULL;
  Pending *pending;
  GQueue *queue;

  if (!G_IS_INET_SOCKET_ADDRESS (remote) || local == NULL)
    {
      g_socket_close (socket, NULL);
      return;
    }
  address = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));

  /* Make room: the oldest waiting connection goes, never the newest, so one who floods the
   * port closes his own connections first and a fresh client still gets in. */
  queue = g_hash_table_lookup (self->by_address, address);
  while (queue != NULL && queue->length >= self->limits.max_pending_per_address)
    {
      evict_oldest (queue);
      queue = g_hash_table_lookup (self->by_address, address);
    }
  while (self->all.length >= self->limits.max_pending)
    evict_oldest (&self->all);

  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  pending = g_new0 (Pending, 1);
  pending->owner = self;
  pending->connection = g_socket_connection_factory_create_connection (socket);
  pending->local = g_steal_pointer (&local);
  pending->remote = g_steal_pointer (&remote);
  pending->key = g_strdup_printf ("%s %u", address,
                                  g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (pending->remote)));
  pending->address = g_steal_pointer (&address);
  pending->deadline_us = g_get_monotonic_time () + (gint64) self->limits.deadline_ms * 1000;

  queue = g_hash_table_lookup (self->by_address, pending->address);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (self->by_address, g_strdup (pending->address), queue);
    }
  g_queue_push_tail (&self->all, pending);
  pending->all_link = self->all.tail;
  g_queue_push_tail (queue, pending);
  pending->address_link = queue->tail;

  /* Nothing is made for a connection that has sent nothing yet, plain or TLS. */
  if (self->tls == NULL)
    {
      watch_handshake (pending);
      return;
    }

  pending->tls = confab_tls_stream_new (pending->connection, self->tls->credentials,
                                        self->tls->priority, &error);
  if (pending->tls == NULL)
    {
      g_warning ("cannot start TLS: %s", error->message);
      pending_free (pending, TRUE);
      return;
    }
  watch_handshake (pending);
}

/* --- Accepting -------------------------------------------------------------------------------- */

static gboolean on_listener_ready (GSocket      *listener,
                                   GIOCondition  condition,
                                   gpointer      user_data);

static void
watch_listener (ConfabAcceptor *self)
{
  self->accept_source = g_socket_create_source (self->listener, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_listener_ready), self, NULL);
  g_source_attach (self->accept_source, NULL);
}

static gboolean
retry_accept_cb (gpointer user_data)
{
  ConfabAcceptor *self = user_data;

  self->retry_id = 0;
  watch_listener (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_listener_ready (GSocket      *listener,
                   GIOCondition  condition,
                   gpointer      user_data)
{
  ConfabAcceptor *self = user_data;

  for (guint i = 0; i < ACCEPTS_PER_WAKEUP; i++)
    {
      g_autoptr(GError) error = NULL;
      GSocket *socket = g_socket_accept (listener, NULL, &error);

      if (socket != NULL)
        {
          take_socket (self, socket);
          g_object_unref (socket);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        break;

      /* Out of file descriptors: a waiting connection makes room; with none to close, the
       * listener rests a moment rather than spin on a socket it cannot accept. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)
          && evict_oldest (&self->all))
        continue;
      g_warning ("cannot accept a connection: %s", error->message);
      g_clear_pointer (&self->accept_source, g_source_unref);
      self->retry_id = g_timeout_add (ACCEPT_RETRY_MS, retry_accept_cb, self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
sweep_cb (gpointer user_data)
{
  ConfabAcceptor *self = user_data;
  gint64 now = g_get_monotonic_time ();
  Pending *head;

  GList *link;

  /* All have the same deadline after their accept: the oldest expire first. */
  while ((head = g_queue_peek_head (&self->all)) != NULL && head->deadline_us <= now)
    {
      g_debug ("%s sent no request in time: closed", head->address);
      pending_free (head, TRUE);
    }

  /* Those the SoupServer closed before their first request (the peer went away) are let go
   * now, not at their deadline. */
  link = self->all.head;
  while (link != NULL)
    {
      Pending *pending = link->data;

      link = link->next;
      if (pending->handed && g_socket_is_closed (pending_socket (pending)))
        pending_free (pending, FALSE);
    }
  return G_SOURCE_CONTINUE;
}

static void
on_got_headers (SoupServerMessage *msg,
                gpointer           user_data)
{
  ConfabAcceptor *self = user_data;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  g_autofree char *address = NULL;
  g_autofree char *key = NULL;
  Pending *pending;

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return;
  address = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  key = g_strdup_printf ("%s %u", address,
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));
  pending = g_hash_table_lookup (self->by_key, key);
  if (pending != NULL)
    pending_free (pending, FALSE);
}

/* A connection handed to the SoupServer does not live past its first response (libsoup 3.2
 * lets a connection it did not accept itself go after one exchange), so every answer but a
 * WebSocket upgrade says so: a client then opens a new connection for its next request instead
 * of writing it into one that is closing. */
static void
on_got_request_headers (SoupServerMessage *msg,
                        gpointer           user_data)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);

  if (!soup_message_headers_header_contains (request, "Upgrade", "websocket"))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Connection", "close");
}

static void
on_request_started (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  ConfabAcceptor *self = user_data;

  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_request_headers), NULL);
  /* Only a connection's requests while it is pending matter; most are after. */
  if (g_hash_table_size (self->by_key) > 0)
    g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), self);
}

/* --- Public API ------------------------------------------------------------------------------- */

/**
 * confab_acceptor_new:
 * @soup: the server that gets the connections
 * @tls: (nullable): the TLS context, kept alive by the caller; %NULL for plain HTTP
 * @limits: deadlines and caps
 */
ConfabAcceptor *
confab_acceptor_new (SoupServer                 *soup,
                     ConfabTlsContext           *tls,
                     const ConfabAcceptorLimits *limits)
{
  ConfabAcceptor *self = g_new0 (ConfabAcceptor, 1);

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);

  self->soup = g_object_ref (soup);
  self->tls = tls;
  self->limits = *limits;
  self->limits.max_pending = MAX (1, self->limits.max_pending);
  self->limits.max_pending_per_address = MAX (1, self->limits.max_pending_per_address);
  g_queue_init (&self->all);
  self->by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_queue_free);
  self->by_key = g_hash_table_new (g_str_hash, g_str_equal);
  self->request_started_id = g_signal_connect (soup, "request-started",
                                               G_CALLBACK (on_request_started), self);
  return self;
}

gboolean
confab_acceptor_listen (ConfabAcceptor  *self,
                        GSocket         *socket,
                        GError         **error)
{
  g_return_val_if_fail (self->listener == NULL, FALSE);

  g_socket_set_blocking (socket, FALSE);
  self->listener = g_object_ref (socket);
  watch_listener (self);
  self->sweep_id = g_timeout_add (CLAMP (self->limits.deadline_ms / 4, 10, 1000), sweep_cb, self);
  return TRUE;
}

guint
confab_acceptor_get_pending (ConfabAcceptor *self)
{
  return self->all.length;
}

/* Stops listening and closes what is still pending. */
void
confab_acceptor_free (ConfabAcceptor *self)
{
  Pending *head;

  if (self == NULL)
    return;
  if (self->accept_source != NULL)
    {
      g_source_destroy (self->accept_source);
      g_source_unref (self->accept_source);
    }
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->sweep_id, g_source_remove);
  g_clear_signal_handler (&self->request_started_id, self->soup);
  while ((head = g_queue_peek_head (&self->all)) != NULL)
    pending_free (head, TRUE);
  if (self->listener != NULL)
    g_socket_close (self->listener, NULL);
  g_clear_object (&self->listener);
  g_hash_table_unref (self->by_address);
  g_hash_table_unref (self->by_key);
  g_object_unref (self->soup);
  g_free (self);
}
