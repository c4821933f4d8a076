/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-connection"

/* How long the close frame may wait for a peer that does not read, after libsoup let go. */
#define LINGER_S 30

#include "config.h"

#include "confab-connection-stream.h"

/* libsoup 3.2 keeps the frames a SoupWebsocketConnection could not write yet in a private
 * queue and says nothing of its size. Everything it writes goes through the output stream of
 * its GIOStream, pollably: this stream sits there and counts. It also gates libsoup's reads:
 * libsoup asks for a new pollable source after every read, and while reading is off that
 * source has no child to wake it, so the peer's frames wait in the kernel (and TCP flow
 * control stops the peer) instead of in memory. */

typedef struct _ConfabGatedInput  ConfabGatedInput;
typedef struct _ConfabCountedOutput ConfabCountedOutput;

struct _ConfabConnectionStream
{
  GIOStream            parent_instance;

  GIOStream           *base;
  ConfabGatedInput    *input;
  ConfabCountedOutput *output;

  guint64              written;
  ConfabWrittenFunc    written_func;
  gpointer             written_data;

  gboolean             reading;
  gboolean             dropping;      /* closing: whole frames other than close are dropped */
  guint8               header[14];    /* the frame header being written, while incomplete */
  guint                header_len;
  guint64              frame_left;    /* bytes of the frame being written still to go */
  GByteArray          *held;          /* while dropping: what must still reach the peer */
  GSource             *held_source;
  GSource             *input_source;  /* the last pollable source given out for reading */
  GSource             *input_child;   /* its child on the base stream while reading is on */
  GCancellable        *input_cancellable;
};

/* --- Input ------------------------------------------------------------------------------------ */

struct _ConfabGatedInput
{
  GInputStream            parent_instance;
  ConfabConnectionStream *owner;   /* not a reference: the owner holds this stream */
  GPollableInputStream   *base;
};

typedef GInputStreamClass ConfabGatedInputClass;

GType confab_gated_input_get_type (void);

static void confab_gated_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (ConfabGatedInput, confab_gated_input, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                confab_gated_input_pollable_init))

static gssize
confab_gated_input_read (GInputStream  *stream,
                         void          *buffer,
                         gsize          count,
                         GCancellable  *cancellable,
                         GError       **error)
{
  ConfabGatedInput *self = (ConfabGatedInput *) stream;

  return g_input_stream_read (G_INPUT_STREAM (self->base), buffer, count, cancellable, error);
}

static gboolean
confab_gated_input_close (GInputStream  *stream,
                          GCancellable  *cancellable,
                          GError       **error)
{
  return TRUE;  /* the base stream closes with the owner's base GIOStream */
}

static gboolean
confab_gated_input_can_poll (GPollableInputStream *stream)
{
  ConfabGatedInput *self = (ConfabGatedInput *) stream;

  return g_pollable_input_stream_can_poll (self->base);
}

static gboolean
confab_gated_input_is_readable (GPollableInputStream *stream)
{
  ConfabGatedInput *self = (ConfabGatedInput *) stream;

  return self->owner->reading && g_pollable_input_stream_is_readable (self->base);
}

static gssize
confab_gated_input_read_nonblocking (GPollableInputStream  *stream,
                                     void                  *buffer,
                                     gsize                  count,
                                     GError               **error)
{
  ConfabGatedInput *self = (ConfabGatedInput *) stream;

  if (!self->owner->reading)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           "reading from this peer is paused");
      return -1;
    }
  return g_pollable_input_stream_read_nonblocking (self->base, buffer, count, NULL, error);
}

static void
drop_input_source (ConfabConnectionStream *owner)
{
  if (owner->input_source != NULL && owner->input_child != NULL
      && !g_source_is_destroyed (owner->input_source))
    g_source_remove_child_source (owner->input_source, owner->input_child);
  g_clear_pointer (&owner->input_child, g_source_unref);
  g_clear_pointer (&owner->input_source, g_source_unref);
  g_clear_object (&owner->input_cancellable);
}

static void
attach_input_child (ConfabConnectionStream *owner)
{
  if (owner->input_source == NULL || owner->input_child != NULL
      || g_source_is_destroyed (owner->input_source))
    return;
  owner->input_child = g_pollable_input_stream_create_source (owner->input->base,
                                                              owner->input_cancellable);
  g_source_set_dummy_callback (owner->input_child);
  g_source_add_child_source (owner->input_source, owner->input_child);
}

static GSource *
confab_gated_input_create_source (GPollableInputStream *stream,
                                  GCancellable         *cancellable)
{
  ConfabGatedInput *self = (ConfabGatedInput *) stream;
  ConfabConnectionStream *owner = self->owner;
  GSource *source = g_pollable_source_new_full (stream, NULL, cancellable);

  drop_input_source (owner);
  owner->input_source = g_source_ref (source);
  owner->input_cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  if (owner->reading)
    attach_input_child (owner);
  return source;
}

static void
confab_gated_input_finalize (GObject *object)
{
  ConfabGatedInput *self = (ConfabGatedInput *) object;

  g_clear_object (&self->base);
  G_OBJECT_CLASS (confab_gated_input_parent_class)->finalize (object);
}

static void
confab_gated_input_class_init (ConfabGatedInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = confab_gated_input_finalize;
  klass->read_fn = confab_gated_input_read;
  klass->close_fn = confab_gated_input_close;
}

static void
confab_gated_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = confab_gated_input_can_poll;
  iface->is_readable = confab_gated_input_is_readable;
  iface->create_source = confab_gated_input_create_source;
  iface->read_nonblocking = confab_gated_input_read_nonblocking;
}

static void
confab_gated_input_init (ConfabGatedInput *self)
{
}

/* --- Output ----------------------------------------------------------------------------------- */

struct _ConfabCountedOutput
{
  GOutputStream            parent_instance;
  ConfabConnectionStream  *owner;
  GPollableOutputStream   *base;
};

typedef GOutputStreamClass ConfabCountedOutputClass;

GType confab_counted_output_get_type (void);

static void confab_counted_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (ConfabCountedOutput, confab_counted_output, G_TYPE_OUTPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                confab_counted_output_pollable_init))

static void
count_written (ConfabConnectionStream *owner,
               gssize                  count)
{
  if (count <= 0)
    return;
  owner->written += count;
  if (owner->written_func != NULL)
    owner->written_func (owner->written_data);
}

/* The length of a WebSocket frame header whose first @len bytes are @h (2 while unknown). */
static guint
header_length (const guint8 *h,
               gsize         len)
{
  guint n;

  if (len < 2)
    return 2;
  n = 2 + ((h[1] & 0x7f) == 126 ? 2 : (h[1] & 0x7f) == 127 ? 8 : 0);
  return n + ((h[1] & 0x80) != 0 ? 4 : 0);
}

static guint64
payload_length (const guint8 *h)
{
  guint64 len = h[1] & 0x7f;

  if (len == 126)
    return ((guint64) h[2] << 8) | h[3];
  if (len == 127)
    {
      len = 0;
      for (guint i = 2; i < 10; i++)
        len = (len << 8) | h[i];
    }
  return len;
}

/* Follows the frames libsoup writes, to know where each ends. */
static void
follow_frames (ConfabConnectionStream *owner,
               const guint8           *data,
               gsize                   n)
{
  while (n > 0)
    {
      if (owner->frame_left > 0)
        {
          gsize take = MIN (n, owner->frame_left);

          owner->frame_left -= take;
          data += take;
          n -= take;
          continue;
        }
      owner->header[owner->header_len++] = *data++;
      n--;
      if (owner->header_len >= 2
          && owner->header_len == header_length (owner->header, owner->header_len))
        {
          owner->frame_left = payload_length (owner->header);
          owner->header_len = 0;
        }
    }
}

/* While closing, a whole frame at the start of @buffer that is not the close frame is dropped:
 * returns its length, or 0 when it must go out. */
static gsize
droppable (ConfabConnectionStream *owner,
           const guint8           *buffer,
           gsize                   count)
{
  guint header;

  if (owner->frame_left > 0 || owner->header_len > 0 || count < 2)
    return 0;
  header = header_length (buffer, count);
  if (count < header || (buffer[0] & 0x0f) == 0x8)
    return 0;
  return MIN (count, header + payload_length (buffer));
}

/* Writes what the kernel takes of @held now. FALSE on a socket error. */
static gboolean
flush_held (GPollableOutputStream *base,
            GByteArray            *held)
{
  while (held->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_pollable_output_stream_write_nonblocking (base, held->data, held->len, NULL,
                                                             &error);

      if (n < 0)
        return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_byte_array_remove_range (held, 0, n);
    }
  return TRUE;
}

static gboolean
on_held_writable (GObject  *stream,
                  gpointer  user_data)
{
  ConfabConnectionStream *owner = user_data;

  if (!flush_held (G_POLLABLE_OUTPUT_STREAM (stream), owner->held))
    g_byte_array_set_size (owner->held, 0);  /* the peer is gone */
  if (owner->held->len > 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&owner->held_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
flush_held_later (ConfabConnectionStream *owner)
{
  GPollableOutputStream *base = owner->output->base;

  if (!flush_held (base, owner->held))
    g_byte_array_set_size (owner->held, 0);  /* the peer is gone */
  if (owner->held->len == 0 || owner->held_source != NULL)
    return;
  owner->held_source = g_pollable_output_stream_create_source (base, NULL);
  g_source_set_callback (owner->held_source, G_SOURCE_FUNC (on_held_writable), owner, NULL);
  g_source_attach (owner->held_source, g_main_context_get_thread_default ());
}

/* While closing, libsoup's writes never wait: whole frames other than the close frame are
 * dropped, the rest of the frame already begun and the close frame are held here and go out as
 * the peer reads. */
static gssize
dropping_write (ConfabConnectionStream *owner,
                const guint8           *buffer,
                gsize                   count)
{
  gsize drop = droppable (owner, buffer, count);
  gsize take;

  if (drop > 0)
    take = drop;
  else if (owner->frame_left > 0)
    take = MIN (count, owner->frame_left);
  else if (owner->header_len == 0 && count >= 2 && count >= header_length (buffer, count))
    take = MIN (count, header_length (buffer, count) + payload_length (buffer));
  else
    take = 1;  /* a header split across writes: byte by byte */

  if (drop == 0)
    {
      g_byte_array_append (owner->held, buffer, take);
      flush_held_later (owner);
    }
  follow_frames (owner, buffer, take);
  count_written (owner, take);
  return take;
}

static gssize
counted (ConfabConnectionStream *owner,
         const void             *buffer,
         gssize                  written)
{
  if (written > 0)
    follow_frames (owner, buffer, written);
  count_written (owner, written);
  return written;
}

static gssize
confab_counted_output_write (GOutputStream  *stream,
                             const void     *buffer,
                             gsize           count,
                             GCancellable   *cancellable,
                             GError        **error)
{
  ConfabCountedOutput *self = (ConfabCountedOutput *) stream;

  if (self->owner->dropping)
    return dropping_write (self->owner, buffer, count);
  return counted (self->owner, buffer,
                  g_output_stream_write (G_OUTPUT_STREAM (self->base), buffer, count,
                                         cancellable, error));
}

static gboolean
confab_counted_output_flush (GOutputStream  *stream,
                             GCancellable   *cancellable,
                             GError        **error)
{
  ConfabCountedOutput *self = (ConfabCountedOutput *) stream;

  return g_output_stream_flush (G_OUTPUT_STREAM (self->base), cancellable, error);
}

static gboolean
confab_counted_output_close (GOutputStream  *stream,
                             GCancellable   *cancellable,
                             GError        **error)
{
  return TRUE;  /* the base stream closes with the owner's base GIOStream */
}

static gboolean
confab_counted_output_can_poll (GPollableOutputStream *stream)
{
  ConfabCountedOutput *self = (ConfabCountedOutput *) stream;

  return g_pollable_output_stream_can_poll (self->base);
}

static gboolean
confab_counted_output_is_writable (GPollableOutputStream *stream)
{
  ConfabCountedOutput *self = (ConfabCountedOutput *) stream;

  return self->owner->dropping || g_pollable_output_stream_is_writable (self->base);
}

static GSource *
confab_counted_output_create_source (GPollableOutputStream *stream,
                                     GCancellable          *cancellable)
{
  ConfabCountedOutput *self = (ConfabCountedOutput *) stream;
  g_autoptr(GSource) child = NULL;

  if (self->owner->dropping)
    child = g_timeout_source_new (0);
  else
    child = g_pollable_output_stream_create_source (self->base, cancellable);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
confab_counted_output_write_nonblocking (GPollableOutputStream  *stream,
                                         const void             *buffer,
                                         gsize                   count,
                                         GError                **error)
{
  ConfabCountedOutput *self = (ConfabCountedOutput *) stream;

  if (self->owner->dropping)
    return dropping_write (self->owner, buffer, count);
  return counted (self->owner, buffer,
                  g_pollable_output_stream_write_nonblocking (self->base, buffer, count, NULL,
                                                              error));
}

static void
confab_counted_output_finalize (GObject *object)
{
  ConfabCountedOutput *self = (ConfabCountedOutput *) object;

  g_clear_object (&self->base);
  G_OBJECT_CLASS (confab_counted_output_parent_class)->finalize (object);
}

static void
confab_counted_output_class_init (ConfabCountedOutputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = confab_counted_output_finalize;
  klass->write_fn = confab_counted_output_write;
  klass->flush = confab_counted_output_flush;
  klass->close_fn = confab_counted_output_close;
}

static void
confab_counted_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = confab_counted_output_can_poll;
  iface->is_writable = confab_counted_output_is_writable;
  iface->create_source = confab_counted_output_create_source;
  iface->write_nonblocking = confab_counted_output_write_nonblocking;
}

static void
confab_counted_output_init (ConfabCountedOutput *self)
{
}

/* --- The stream ------------------------------------------------------------------------------- */

G_DEFINE_FINAL_TYPE (ConfabConnectionStream, confab_connection_stream, G_TYPE_IO_STREAM)

static GInputStream *
confab_connection_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (CONFAB_CONNECTION_STREAM (stream)->input);
}

static GOutputStream *
confab_connection_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (CONFAB_CONNECTION_STREAM (stream)->output);
}

/* The close frame of a peer that does not read outlives libsoup's interest in the stream:
 * the base stream stays open until it is written or LINGER_S pass. */
typedef struct
{
  GIOStream  *base;
  GByteArray *held;
  GSource    *source;
  guint       timeout_id;
} Linger;

static void
linger_end (Linger *linger)
{
  if (linger->source != NULL)
    {
      g_source_destroy (linger->source);
      g_source_unref (linger->source);
    }
  g_clear_handle_id (&linger->timeout_id, g_source_remove);
  g_io_stream_close (linger->base, NULL, NULL);
  g_object_unref (linger->base);
  g_byte_array_unref (linger->held);
  g_free (linger);
}

static gboolean
on_linger_writable (GObject  *stream,
                    gpointer  user_data)
{
  Linger *linger = user_data;

  if (flush_held (G_POLLABLE_OUTPUT_STREAM (stream), linger->held) && linger->held->len > 0)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&linger->source, g_source_unref);
  linger_end (linger);
  return G_SOURCE_REMOVE;
}

static gboolean
on_linger_timeout (gpointer user_data)
{
  Linger *linger = user_data;

  linger->timeout_id = 0;
  linger_end (linger);
  return G_SOURCE_REMOVE;
}

/* TRUE if the base stream now closes later, on its own. */
static gboolean
linger (ConfabConnectionStream *self)
{
  Linger *linger;

  if (self->held == NULL || self->held->len == 0)
    return FALSE;
  if (self->held_source != NULL)
    {
      g_source_destroy (self->held_source);
      g_clear_pointer (&self->held_source, g_source_unref);
    }
  linger = g_new0 (Linger, 1);
  linger->base = g_object_ref (self->base);
  linger->held = g_steal_pointer (&self->held);
  self->held = g_byte_array_new ();
  linger->source = g_pollable_output_stream_create_source (self->output->base, NULL);
  g_source_set_callback (linger->source, G_SOURCE_FUNC (on_linger_writable), linger, NULL);
  g_source_attach (linger->source, g_main_context_get_thread_default ());
  linger->timeout_id = g_timeout_add_seconds (LINGER_S, on_linger_timeout, linger);
  return TRUE;
}

static gboolean
confab_connection_stream_close (GIOStream     *stream,
                                GCancellable  *cancellable,
                                GError       **error)
{
  ConfabConnectionStream *self = CONFAB_CONNECTION_STREAM (stream);

  drop_input_source (self);
  if (linger (self))
    return TRUE;
  return g_io_stream_close (self->base, cancellable, error);
}

static void
base_closed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_io_stream_close_finish (G_IO_STREAM (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
confab_connection_stream_close_async (GIOStream           *stream,
                                      int                  io_priority,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  ConfabConnectionStream *self = CONFAB_CONNECTION_STREAM (stream);
  GTask *task = g_task_new (stream, cancellable, callback, user_data);

  drop_input_source (self);
  if (linger (self))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  g_io_stream_close_async (self->base, io_priority, cancellable, base_closed_cb, task);
}

static gboolean
confab_connection_stream_close_finish (GIOStream     *stream,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
confab_connection_stream_finalize (GObject *object)
{
  ConfabConnectionStream *self = CONFAB_CONNECTION_STREAM (object);

  drop_input_source (self);
  if (self->held_source != NULL)
    {
      g_source_destroy (self->held_source);
      g_clear_pointer (&self->held_source, g_source_unref);
    }
  g_clear_pointer (&self->held, g_byte_array_unref);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (confab_connection_stream_parent_class)->finalize (object);
}

static void
confab_connection_stream_class_init (ConfabConnectionStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = confab_connection_stream_finalize;
  stream_class->get_input_stream = confab_connection_stream_get_input_stream;
  stream_class->get_output_stream = confab_connection_stream_get_output_stream;
  stream_class->close_fn = confab_connection_stream_close;
  stream_class->close_async = confab_connection_stream_close_async;
  stream_class->close_finish = confab_connection_stream_close_finish;
}

static void
confab_connection_stream_init (ConfabConnectionStream *self)
{
  self->reading = TRUE;
}

ConfabConnectionStream *
confab_connection_stream_new (GIOStream *base)
{
  ConfabConnectionStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (base)), NULL);
  g_return_val_if_fail (G_IS_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (base)), NULL);

  self = g_object_new (CONFAB_TYPE_CONNECTION_STREAM, NULL);
  self->base = g_object_ref (base);
  self->input = g_object_new (confab_gated_input_get_type (), NULL);
  self->input->owner = self;
  self->input->base = g_object_ref (G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (base)));
  self->output = g_object_new (confab_counted_output_get_type (), NULL);
  self->output->owner = self;
  self->output->base =
    g_object_ref (G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (base)));
  return self;
}

guint64
confab_connection_stream_get_written (ConfabConnectionStream *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION_STREAM (self), 0);
  return self->written;
}

void
confab_connection_stream_set_written_func (ConfabConnectionStream *self,
                                           ConfabWrittenFunc       func,
                                           gpointer                user_data)
{
  g_return_if_fail (CONFAB_IS_CONNECTION_STREAM (self));
  self->written_func = func;
  self->written_data = user_data;
}

/**
 * confab_connection_stream_set_reading:
 *
 * Turns reading from the peer off or back on. Off, the pending read waits: its source has no
 * child until reading is back on.
 */
void
confab_connection_stream_set_reading (ConfabConnectionStream *self,
                                      gboolean                reading)
{
  g_return_if_fail (CONFAB_IS_CONNECTION_STREAM (self));

  reading = !!reading;
  if (self->reading == reading)
    return;
  self->reading = reading;
  if (reading)
    attach_input_child (self);
  else if (self->input_source != NULL && self->input_child != NULL)
    {
      if (!g_source_is_destroyed (self->input_source))
        g_source_remove_child_source (self->input_source, self->input_child);
      g_clear_pointer (&self->input_child, g_source_unref);
    }
}

gboolean
confab_connection_stream_get_reading (ConfabConnectionStream *self)
{
  g_return_val_if_fail (CONFAB_IS_CONNECTION_STREAM (self), FALSE);
  return self->reading;
}

/**
 * confab_connection_stream_drop_output:
 *
 * For a connection being closed because its peer does not read: libsoup queues the close frame
 * behind all the output already waiting, and gives up on the stream 5 s later, so the peer
 * would never see it. From now on every whole frame libsoup writes, except the close frame, is
 * dropped; the rest of the frame being written and the close frame are held and written as the
 * peer reads, for up to LINGER_S after libsoup closed the stream.
 */
void
confab_connection_stream_drop_output (ConfabConnectionStream *self)
{
  g_return_if_fail (CONFAB_IS_CONNECTION_STREAM (self));
  if (self->held == NULL)
    self->held = g_byte_array_new ();
  self->dropping = TRUE;
}
