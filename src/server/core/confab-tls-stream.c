/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-tls"

#include "config.h"

#include "confab-tls-stream.h"

#include <errno.h>
#include <string.h>

/* glib-networking runs every server handshake as a blocking call in a GTask thread, with no
 * deadline: a peer that connects and sends nothing holds a thread for as long as it likes, and
 * a few dozen of them starve the pool. Here GnuTLS works in non-blocking mode on the socket,
 * stepped from the main loop.
 *
 * GnuTLS's output goes into `out` (its push function never blocks); `out` is written to the
 * socket as the kernel takes it. A write is accepted only while `out` is empty, so at most one
 * record waits here: the peer's slowness shows as a stream that is not writable, as with a
 * plain socket. */

#define MAX_RECORD 16384

typedef struct _ConfabTlsInput  ConfabTlsInput;
typedef struct _ConfabTlsOutput ConfabTlsOutput;

struct _ConfabTlsStream
{
  GIOStream          parent_instance;

  GSocketConnection *base;
  GSocket           *socket;
  gnutls_session_t   session;
  GByteArray        *out;
  GByteArray        *in;            /* decrypted ahead, not yet read */
  gboolean           in_eof;
  GError            *in_error;
  GSource           *flush_source;  /* writes `out` when nobody else is writing */
  gboolean           handshaken;

  ConfabTlsInput    *input;
  ConfabTlsOutput   *output;
};

G_DEFINE_FINAL_TYPE (ConfabTlsStream, confab_tls_stream, G_TYPE_IO_STREAM)

/* --- Transport -------------------------------------------------------------------------------- */

static ssize_t
push_cb (gnutls_transport_ptr_t  ptr,
         const void             *data,
         size_t                  size)
{
  ConfabTlsStream *self = ptr;

  g_byte_array_append (self->out, data, size);
  return size;
}

static ssize_t
pull_cb (gnutls_transport_ptr_t  ptr,
         void                   *data,
         size_t                  size)
{
  ConfabTlsStream *self = ptr;
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive_with_blocking (self->socket, data, size, FALSE, NULL, &error);

  if (n >= 0)
    return n;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    gnutls_transport_set_errno (self->session, EAGAIN);
  else
    gnutls_transport_set_errno (self->session, ECONNRESET);
  return -1;
}

static int
pull_timeout_cb (gnutls_transport_ptr_t ptr,
                 unsigned int           ms)
{
  ConfabTlsStream *self = ptr;

  /* Non-blocking: only say whether something is there. */
  return g_socket_condition_check (self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR) != 0 ? 1 : 0;
}

/* Writes what the kernel takes of `out` now. FALSE only on a socket error. */
static gboolean
flush_out (ConfabTlsStream  *self,
           GError          **error)
{
  while (self->out->len > 0)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n = g_socket_send_with_blocking (self->socket, (const char *) self->out->data,
                                              self->out->len, FALSE, NULL, &local_error);

      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_byte_array_remove_range (self->out, 0, n);
    }
  return TRUE;
}

static gboolean
flush_source_cb (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  ConfabTlsStream *self = user_data;

  if (!flush_out (self, NULL) || self->out->len == 0)
    {
      g_clear_pointer (&self->flush_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

/* What a caller wrote must reach the peer even if it writes nothing more. */
static void
schedule_flush (ConfabTlsStream *self)
{
  if (self->out->len == 0 || self->flush_source != NULL || g_socket_is_closed (self->socket))
    return;
  self->flush_source = g_socket_create_source (self->socket, G_IO_OUT, NULL);
  g_source_set_callback (self->flush_source, G_SOURCE_FUNC (flush_source_cb), self, NULL);
  g_source_attach (self->flush_source, g_main_context_get_thread_default ());
}

static void
drop_flush_source (ConfabTlsStream *self)
{
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
}

static void
set_gnutls_error (GError     **error,
                  int          rc,
                  const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "TLS %s: %s", what,
               gnutls_strerror (rc));
}

static gssize
tls_read (ConfabTlsStream  *self,
          void             *buffer,
          gsize             count,
          GError          **error)
{
  for (;;)
    {
      ssize_t rc = gnutls_record_recv (self->session, buffer, count);

      /* A key update from the peer is answered through `out`. */
      if (self->out->len > 0)
        {
          flush_out (self, NULL);
          schedule_flush (self);
        }
      if (rc >= 0)
        return rc;
      if (rc == GNUTLS_E_INTERRUPTED)
        continue;
      if (rc == GNUTLS_E_AGAIN)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
          return -1;
        }
      /* A peer that closes TCP without close_notify: the end of its stream, as in HTTP. */
      if (rc == GNUTLS_E_PREMATURE_TERMINATION)
        return 0;
      if (rc == GNUTLS_E_REHANDSHAKE)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "TLS renegotiation is not supported");
          return -1;
        }
      if (!gnutls_error_is_fatal (rc))
        continue;  /* a warning alert */
      set_gnutls_error (error, rc, "read");
      return -1;
    }
}

static gssize
tls_write (ConfabTlsStream  *self,
           const void       *buffer,
           gsize             count,
           GError          **error)
{
  ssize_t rc;

  if (!flush_out (self, error))
    return -1;
  if (self->out->len > 0)
    {
      schedule_flush (self);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
      return -1;
    }

  do
    rc = gnutls_record_send (self->session, buffer, MIN (count, MAX_RECORD));
  while (rc == GNUTLS_E_INTERRUPTED);
  if (rc < 0)
    {
      set_gnutls_error (error, rc, "write");
      return -1;
    }
  /* The record is ours now: a socket error shows on the next write. */
  flush_out (self, NULL);
  schedule_flush (self);
  return rc;
}

/* --- Input ------------------------------------------------------------------------------------ */

/* GnuTLS may take more from the socket than the record it decrypts (the peer's first request
 * often comes in one segment with the end of its handshake), and no poll sees what it holds.
 * Before waiting on the socket, one record is decrypted ahead into `in`. TRUE when a read
 * would not block. */
static gboolean
fill_input (ConfabTlsStream *self)
{
  g_autoptr(GError) error = NULL;
  gssize n;

  if (self->in->len > 0 || self->in_eof || self->in_error != NULL)
    return TRUE;
  g_byte_array_set_size (self->in, MAX_RECORD);
  n = tls_read (self, self->in->data, MAX_RECORD, &error);
  g_byte_array_set_size (self->in, MAX (n, 0));
  if (n > 0)
    return TRUE;
  if (n == 0)
    {
      self->in_eof = TRUE;
      return TRUE;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return FALSE;
  self->in_error = g_steal_pointer (&error);
  return TRUE;
}

static gssize
read_input (ConfabTlsStream  *self,
            void             *buffer,
            gsize             count,
            GError          **error)
{
  if (self->in->len > 0)
    {
      gsize n = MIN (count, self->in->len);

      memcpy (buffer, self->in->data, n);
      g_byte_array_remove_range (self->in, 0, n);
      return n;
    }
  if (self->in_eof)
    return 0;
  if (self->in_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->in_error));
      return -1;
    }
  return tls_read (self, buffer, count, error);
}

struct _ConfabTlsInput
{
  GInputStream     parent_instance;
  ConfabTlsStream *owner;  /* not a reference: the owner holds this stream */
};

typedef GInputStreamClass ConfabTlsInputClass;

GType confab_tls_input_get_type (void);

static void confab_tls_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (ConfabTlsInput, confab_tls_input, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                confab_tls_input_pollable_init))

static gssize
confab_tls_input_read (GInputStream  *stream,
                       void          *buffer,
                       gsize          count,
                       GCancellable  *cancellable,
                       GError       **error)
{
  ConfabTlsStream *owner = ((ConfabTlsInput *) stream)->owner;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n = read_input (owner, buffer, count, &local_error);

      if (n >= 0)
        return n;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return -1;
        }
      if (!g_socket_condition_wait (owner->socket, G_IO_IN, cancellable, error))
        return -1;
    }
}

static gboolean
confab_tls_input_close (GInputStream  *stream,
                        GCancellable  *cancellable,
                        GError       **error)
{
  return TRUE;  /* the connection closes with the owner */
}

static gboolean
confab_tls_input_is_readable (GPollableInputStream *stream)
{
  ConfabTlsStream *owner = ((ConfabTlsInput *) stream)->owner;

  return fill_input (owner);
}

static GSource *
confab_tls_input_create_source (GPollableInputStream *stream,
                                GCancellable         *cancellable)
{
  ConfabTlsStream *owner = ((ConfabTlsInput *) stream)->owner;
  g_autoptr(GSource) child = NULL;

  if (fill_input (owner))
    child = g_timeout_source_new (0);
  else
    child = g_socket_create_source (owner->socket, G_IO_IN, NULL);
  /* new_full sets its dummy callback: a second one would destroy it. */
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
confab_tls_input_read_nonblocking (GPollableInputStream  *stream,
                                   void                  *buffer,
                                   gsize                  count,
                                   GError               **error)
{
  return read_input (((ConfabTlsInput *) stream)->owner, buffer, count, error);
}

static void
confab_tls_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = confab_tls_input_is_readable;
  iface->create_source = confab_tls_input_create_source;
  iface->read_nonblocking = confab_tls_input_read_nonblocking;
}

static void
confab_tls_input_class_init (ConfabTlsInputClass *klass)
{
  klass->read_fn = confab_tls_input_read;
  klass->close_fn = confab_tls_input_close;
}

static void
confab_tls_input_init (ConfabTlsInput *self)
{
}

/* --- Output ----------------------------------------------------------------------------------- */

struct _ConfabTlsOutput
{
  GOutputStream    parent_instance;
  ConfabTlsStream *owner;  /* not a reference: the owner holds this stream */
};

typedef GOutputStreamClass ConfabTlsOutputClass;

GType confab_tls_output_get_type (void);

static void confab_tls_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (ConfabTlsOutput, confab_tls_output, G_TYPE_OUTPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                confab_tls_output_pollable_init))

static gssize
confab_tls_output_write (GOutputStream  *stream,
                         const void     *buffer,
                         gsize           count,
                         GCancellable   *cancellable,
                         GError        **error)
{
  ConfabTlsStream *owner = ((ConfabTlsOutput *) stream)->owner;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n = tls_write (owner, buffer, count, &local_error);

      if (n >= 0)
        return n;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return -1;
        }
      if (!g_socket_condition_wait (owner->socket, G_IO_OUT, cancellable, error))
        return -1;
    }
}

/* Flushing is done by the stream's own source; waiting for it in a thread (the default
 * flush_async) would only tie up a thread. */
static void
confab_tls_output_flush_async (GOutputStream       *stream,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_tls_output_flush_async);
  g_task_return_boolean (task, TRUE);
}

static gboolean
confab_tls_output_flush_finish (GOutputStream  *stream,
                                GAsyncResult   *result,
                                GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
confab_tls_output_close (GOutputStream  *stream,
                         GCancellable   *cancellable,
                         GError        **error)
{
  return TRUE;  /* the connection closes with the owner */
}

static gboolean
confab_tls_output_is_writable (GPollableOutputStream *stream)
{
  ConfabTlsStream *owner = ((ConfabTlsOutput *) stream)->owner;

  return owner->out->len == 0 || g_socket_condition_check (owner->socket, G_IO_OUT) != 0;
}

static GSource *
confab_tls_output_create_source (GPollableOutputStream *stream,
                                 GCancellable          *cancellable)
{
  ConfabTlsStream *owner = ((ConfabTlsOutput *) stream)->owner;
  g_autoptr(GSource) child = NULL;

  if (owner->out->len == 0)
    child = g_timeout_source_new (0);
  else
    child = g_socket_create_source (owner->socket, G_IO_OUT, NULL);
  /* new_full sets its dummy callback: a second one would destroy it. */
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
confab_tls_output_write_nonblocking (GPollableOutputStream  *stream,
                                     const void             *buffer,
                                     gsize                   count,
                                     GError                **error)
{
  return tls_write (((ConfabTlsOutput *) stream)->owner, buffer, count, error);
}

static void
confab_tls_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = confab_tls_output_is_writable;
  iface->create_source = confab_tls_output_create_source;
  iface->write_nonblocking = confab_tls_output_write_nonblocking;
}

static void
confab_tls_output_class_init (ConfabTlsOutputClass *klass)
{
  klass->write_fn = confab_tls_output_write;
  klass->flush_async = confab_tls_output_flush_async;
  klass->flush_finish = confab_tls_output_flush_finish;
  klass->close_fn = confab_tls_output_close;
}

static void
confab_tls_output_init (ConfabTlsOutput *self)
{
}

/* --- The connection --------------------------------------------------------------------------- */

static GInputStream *
confab_tls_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (CONFAB_TLS_STREAM (stream)->input);
}

static GOutputStream *
confab_tls_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (CONFAB_TLS_STREAM (stream)->output);
}

/* Never waits: close_notify goes out if the kernel takes it now. What the peer had not read
 * by then it does not get, as with any closed socket. */
static gboolean
confab_tls_stream_close (GIOStream     *stream,
                         GCancellable  *cancellable,
                         GError       **error)
{
  ConfabTlsStream *self = CONFAB_TLS_STREAM (stream);

  drop_flush_source (self);
  if (self->handshaken && !g_socket_is_closed (self->socket))
    {
      flush_out (self, NULL);
      if (self->out->len == 0)
        {
          gnutls_bye (self->session, GNUTLS_SHUT_WR);
          flush_out (self, NULL);
        }
    }
  g_byte_array_set_size (self->out, 0);
  return g_io_stream_close (G_IO_STREAM (self->base), cancellable, error);
}

/* The default close_async runs close_fn in a thread; it never blocks here. */
static void
confab_tls_stream_close_async (GIOStream           *stream,
                               int                  io_priority,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, confab_tls_stream_close_async);
  if (confab_tls_stream_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
confab_tls_stream_close_finish (GIOStream     *stream,
                                GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
confab_tls_stream_dispose (GObject *object)
{
  ConfabTlsStream *self = CONFAB_TLS_STREAM (object);

  drop_flush_source (self);

  G_OBJECT_CLASS (confab_tls_stream_parent_class)->dispose (object);
}

static void
confab_tls_stream_finalize (GObject *object)
{
  ConfabTlsStream *self = CONFAB_TLS_STREAM (object);

  g_clear_object (&self->input);
  g_clear_object (&self->output);
  if (self->session != NULL)
    gnutls_deinit (self->session);
  g_byte_array_unref (self->out);
  g_byte_array_unref (self->in);
  g_clear_error (&self->in_error);
  g_clear_object (&self->socket);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (confab_tls_stream_parent_class)->finalize (object);
}

static void
confab_tls_stream_class_init (ConfabTlsStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  object_class->dispose = confab_tls_stream_dispose;
  object_class->finalize = confab_tls_stream_finalize;
  stream_class->get_input_stream = confab_tls_stream_get_input_stream;
  stream_class->get_output_stream = confab_tls_stream_get_output_stream;
  stream_class->close_fn = confab_tls_stream_close;
  stream_class->close_async = confab_tls_stream_close_async;
  stream_class->close_finish = confab_tls_stream_close_finish;
}

static void
confab_tls_stream_init (ConfabTlsStream *self)
{
  self->out = g_byte_array_new ();
  self->in = g_byte_array_new ();
}

/* --- Public API ------------------------------------------------------------------------------- */

/**
 * confab_tls_stream_new:
 * @base: an accepted TCP connection
 * @credentials: the server's certificate and key, kept alive by the caller
 * @priority: the protocol versions and ciphers allowed, kept alive by the caller
 *
 * Returns: (transfer full): the stream, before its handshake; step it with
 *   confab_tls_stream_handshake_step() until it is done
 */
ConfabTlsStream *
confab_tls_stream_new (GSocketConnection                *base,
                       gnutls_certificate_credentials_t  credentials,
                       gnutls_priority_t                 priority,
                       GError                          **error)
{
  g_autoptr(ConfabTlsStream) self = g_object_new (CONFAB_TYPE_TLS_STREAM, NULL);
  int rc;

  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (base), NULL);

  self->base = g_object_ref (base);
  self->socket = g_object_ref (g_socket_connection_get_socket (base));
  self->input = g_object_new (confab_tls_input_get_type (), NULL);
  self->input->owner = self;
  self->output = g_object_new (confab_tls_output_get_type (), NULL);
  self->output->owner = self;

  rc = gnutls_init (&self->session, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
  if (rc >= 0)
    rc = gnutls_priority_set (self->session, priority);
  if (rc >= 0)
    rc = gnutls_credentials_set (self->session, GNUTLS_CRD_CERTIFICATE, credentials);
  if (rc < 0)
    {
      set_gnutls_error (error, rc, "session");
      return NULL;
    }
  gnutls_certificate_server_set_request (self->session, GNUTLS_CERT_IGNORE);
  /* The caller holds its own deadline over the handshake and the first request. */
  gnutls_handshake_set_timeout (self->session, GNUTLS_INDEFINITE_TIMEOUT);
  gnutls_transport_set_ptr (self->session, self);
  gnutls_transport_set_push_function (self->session, push_cb);
  gnutls_transport_set_pull_function (self->session, pull_cb);
  gnutls_transport_set_pull_timeout_function (self->session, pull_timeout_cb);
  return g_steal_pointer (&self);
}

/**
 * confab_tls_stream_handshake_step:
 *
 * Goes as far with the handshake as the peer's bytes allow, without waiting.
 */
ConfabTlsHandshakeStatus
confab_tls_stream_handshake_step (ConfabTlsStream  *self,
                                  GError          **error)
{
  int rc;

  g_return_val_if_fail (CONFAB_IS_TLS_STREAM (self), CONFAB_TLS_HANDSHAKE_FAILED);

  if (!flush_out (self, error))
    return CONFAB_TLS_HANDSHAKE_FAILED;
  if (self->handshaken)
    return self->out->len == 0 ? CONFAB_TLS_HANDSHAKE_DONE : CONFAB_TLS_HANDSHAKE_AGAIN;

  do
    rc = gnutls_handshake (self->session);
  while (rc < 0 && rc != GNUTLS_E_AGAIN && !gnutls_error_is_fatal (rc));

  if (rc < 0 && rc != GNUTLS_E_AGAIN)
    {
      flush_out (self, NULL);  /* the alert, if the kernel takes it */
      set_gnutls_error (error, rc, "handshake");
      return CONFAB_TLS_HANDSHAKE_FAILED;
    }
  if (!flush_out (self, error))
    return CONFAB_TLS_HANDSHAKE_FAILED;
  if (rc == GNUTLS_E_AGAIN)
    return CONFAB_TLS_HANDSHAKE_AGAIN;
  self->handshaken = TRUE;
  return self->out->len == 0 ? CONFAB_TLS_HANDSHAKE_DONE : CONFAB_TLS_HANDSHAKE_AGAIN;
}

/* What the socket must become for the handshake to go on. */
GIOCondition
confab_tls_stream_get_wait_condition (ConfabTlsStream *self)
{
  g_return_val_if_fail (CONFAB_IS_TLS_STREAM (self), G_IO_IN);

  return self->out->len > 0 ? G_IO_IN | G_IO_OUT : G_IO_IN;
}

GSocket *
confab_tls_stream_get_socket (ConfabTlsStream *self)
{
  g_return_val_if_fail (CONFAB_IS_TLS_STREAM (self), NULL);

  return self->socket;
}
