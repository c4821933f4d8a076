/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-file-sink"

#include "config.h"

#include "confab-file-sink.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Reading stops while this much waits for the disk, and goes on below the low mark: an
 * upload holds at most a few MiB, however fast its sender. */
#define HIGH_MARK (4 * 1024 * 1024)
#define LOW_MARK  (1 * 1024 * 1024)
#define REHASH_BLOCK (1024 * 1024)
/* libsoup hands the body over in blocks of 8 KiB; the writer gets them gathered. */
#define BATCH_BYTES  (256 * 1024)
/* Written batches go back to the reading side to be filled again, rather than freed: a new
 * 256 KiB block is a fresh mapping from malloc, faulted in page by page, and unmapping it
 * from the writer thread interrupts the other core to flush its TLB, for every batch. */
#define MAX_SPARE    (HIGH_MARK / BATCH_BYTES + 2)

struct _ConfabFileSink
{
  gatomicrefcount               ref_count;
  GMainContext                 *context;
  GThread                      *thread;
  GAsyncQueue                  *queue;       /* GByteArray; an empty one ends the stream */
  GAsyncQueue                  *spare;       /* GByteArray, written, to be filled again */
  GByteArray                   *batch;       /* main thread: pushed bytes not queued yet */
  char                         *path;
  gint64                        offset;      /* where the next byte goes; thread only */
  gint64                        checkpoint_bytes;
  guint64                       reserve_bytes; /* the disk room writes leave free */
  gint64                        last_sync;   /* thread only */
  gnutls_hash_hd_t              hash;        /* thread only until done */
  GError                       *error;       /* thread only until done */
  int                           fd;

  gint                          pending;     /* bytes queued, atomic */
  gint                          want_drained;/* atomic */

  ConfabFileSinkDrainedFunc     drained;
  ConfabFileSinkCheckpointFunc  checkpoint;
  ConfabFileSinkDoneFunc        done;
  gpointer                      user_data;
  gboolean                      finished;    /* main thread: finish was called */
  gboolean                      stopped;     /* main thread: done ran, no more callbacks */
};


ConfabFileSink *
confab_file_sink_ref (ConfabFileSink *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
confab_file_sink_unref (ConfabFileSink *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_assert (self->thread == NULL);
  g_async_queue_unref (self->queue);
  g_async_queue_unref (self->spare);
  g_clear_pointer (&self->batch, g_byte_array_unref);
  g_main_context_unref (self->context);
  if (self->hash != NULL)
    gnutls_hash_deinit (self->hash, NULL);
  g_clear_error (&self->error);
  g_free (self->path);
  g_free (self);
}

/* --- Back on the main thread ------------------------------------------------------------------ */

typedef struct
{
  ConfabFileSink *sink;
  gint64          synced;
  int             kind;   /* 0 drained, 1 checkpoint, 2 done */
} Notice;

static gboolean
deliver_notice (gpointer data)
{
  Notice *notice = data;
  ConfabFileSink *self = notice->sink;

  if (self->stopped)
    return G_SOURCE_REMOVE;
  switch (notice->kind)
    {
    case 0:
      if (self->drained != NULL)
        self->drained (self->user_data);
      break;
    case 1:
      if (self->checkpoint != NULL)
        self->checkpoint (notice->synced, self->user_data);
      break;
    default:
      g_thread_join (g_steal_pointer (&self->thread));
      self->stopped = TRUE;
      self->done (notice->synced, self->error, self->user_data);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
notice_free (gpointer data)
{
  Notice *notice = data;

  confab_file_sink_unref (notice->sink);
  g_free (notice);
}

static void
post_notice (ConfabFileSink *self,
             int             kind,
             gint64          synced)
{
  Notice *notice = g_new0 (Notice, 1);
  GSource *source = g_idle_source_new ();

  notice->sink = confab_file_sink_ref (self);
  notice->kind = kind;
  notice->synced = synced;
  /* Always through a source of the sink's context, never run here: g_main_context_invoke ()
   * would run it on this thread when nobody iterates the context (a server shutting down),
   * and the done notice joins this very thread. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_notice, notice, notice_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* --- The writer thread ------------------------------------------------------------------------- */

static void
set_errno_error (ConfabFileSink *self,
                 int             saved_errno,
                 const char     *what)
{
  if (self->error == NULL)
    g_set_error (&self->error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s %s: %s",
                 what, self->path, g_strerror (saved_errno));
}

static gboolean
sync_now (ConfabFileSink *self)
{
  if (fdatasync (self->fd) != 0)
    {
      set_errno_error (self, errno, "cannot sync");
      return FALSE;
    }
  self->last_sync = self->offset;
  return TRUE;
}

/* The hash of what is already there, after a restart lost the one kept in memory. */
static gboolean
rehash (ConfabFileSink *self)
{
  g_autofree guchar *block = g_malloc (REHASH_BLOCK);
  gint64 at = 0;

  if (gnutls_hash_init (&self->hash, GNUTLS_DIG_SHA256) < 0)
    {
      self->hash = NULL;
      g_set_error (&self->error, G_IO_ERROR, G_IO_ERROR_FAILED, "no SHA-256");
      return FALSE;
    }
  while (at < self->offset)
    {
      gssize n = pread (self->fd, block, MIN (REHASH_BLOCK, self->offset - at), at);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n < 0)
            set_errno_error (self, errno, "cannot read");
          else
            g_set_error (&self->error, G_IO_ERROR, G_IO_ERROR_FAILED,
                         "%s is shorter than its upload's offset", self->path);
          return FALSE;
        }
      gnutls_hash (self->hash, block, n);
      at += n;
    }
  return TRUE;
}

static gboolean
open_file (ConfabFileSink *self)
{
  self->fd = open (self->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (self->fd < 0)
    {
      set_errno_error (self, errno, "cannot open");
      return FALSE;
    }
  if (ftruncate (self->fd, self->offset) != 0)
    {
      set_errno_error (self, errno, "cannot cut");
      return FALSE;
    }
  if (self->hash == NULL)
    {
      int rfd = open (self->path, O_RDONLY | O_CLOEXEC);
      gboolean ok;

      if (rfd < 0)
        {
          set_errno_error (self, errno, "cannot open");
          return FALSE;
        }
      /* rehash reads through fd: swap in the reading one for a moment. */
      {
        int wfd = self->fd;

        self->fd = rfd;
        ok = rehash (self);
        self->fd = wfd;
        close (rfd);
      }
      if (!ok)
        return FALSE;
    }
  self->last_sync = self->offset;
  return TRUE;
}

/* With a reserve, a write that would leave less than it free fails as a full disk would. */
static gboolean
room_for (ConfabFileSink *self,
          gsize           len)
{
  struct statvfs st;

  if (self->reserve_bytes == 0)
    return TRUE;
  if (fstatvfs (self->fd, &st) != 0)
    {
      set_errno_error (self, errno, "cannot measure the room for");
      return FALSE;
    }
  if ((guint64) st.f_bavail * st.f_frsize < (guint64) len + self->reserve_bytes)
    {
      set_errno_error (self, ENOSPC, "no room left (keeping the reserve free) for");
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (ConfabFileSink *self,
           const guint8   *data,
           gsize           len)
{
  if (!room_for (self, len))
    return FALSE;
  while (len > 0)
    {
      gssize n = pwrite (self->fd, data, len, self->offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (self, errno, "cannot write");
          return FALSE;
        }
      data += n;
      len -= n;
      self->offset += n;
    }
  return TRUE;
}

static gpointer
writer_thread (gpointer data)
{
  ConfabFileSink *self = data;
  gboolean ok = open_file (self);

  for (;;)
    {
      GByteArray *batch = g_async_queue_pop (self->queue);
      gsize len = batch->len;
      const guint8 *chunk = batch->data;

      if (len == 0)
        {
          g_byte_array_unref (batch);
          break;
        }
      if (ok)
        {
          gint64 before = self->offset;

          ok = write_all (self, chunk, len);
          /* Only what was written counts into the hash, so that it always covers
           * [0, offset). */
          gnutls_hash (self->hash, chunk, self->offset - before);
        }
      g_byte_array_set_size (batch, 0);
      if (g_async_queue_length (self->spare) < MAX_SPARE)
        g_async_queue_push (self->spare, batch);
      else
        g_byte_array_unref (batch);
      if (g_atomic_int_add (&self->pending, -(gint) len) - (gint) len < LOW_MARK
          && g_atomic_int_compare_and_exchange (&self->want_drained, 1, 0))
        post_notice (self, 0, 0);
      if (ok && self->offset - self->last_sync >= self->checkpoint_bytes && sync_now (self))
        post_notice (self, 1, self->last_sync);
    }

  if (self->fd >= 0)
    {
      if (ok)
        ok = sync_now (self);
      if (!ok)
        {
          /* Whatever followed the last sync is not trusted: gone, and its space with it. */
          if (ftruncate (self->fd, self->last_sync) != 0)
            g_debug ("cannot cut %s back: %s", self->path, g_strerror (errno));
          self->offset = self->last_sync;
        }
      close (self->fd);
      self->fd = -1;
    }
  if (!ok && self->hash != NULL)
    {
      gnutls_hash_deinit (self->hash, NULL);
      self->hash = NULL;
    }
  post_notice (self, 2, self->last_sync);
  confab_file_sink_unref (self);
  return NULL;
}

/* --- Public API ------------------------------------------------------------------------------- */

ConfabFileSink *
confab_file_sink_new (const char                   *path,
                      gint64                        offset,
                      gnutls_hash_hd_t              hash,
                      gint64                        checkpoint_bytes,
                      guint64                       reserve_bytes,
                      ConfabFileSinkDrainedFunc     drained,
                      ConfabFileSinkCheckpointFunc  checkpoint,
                      gpointer                      user_data)
{
  ConfabFileSink *self = g_new0 (ConfabFileSink, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->context = g_main_context_ref_thread_default ();
  self->queue = g_async_queue_new_full ((GDestroyNotify) g_byte_array_unref);
  self->spare = g_async_queue_new_full ((GDestroyNotify) g_byte_array_unref);
  self->batch = g_byte_array_sized_new (BATCH_BYTES);
  self->path = g_strdup (path);
  self->offset = offset;
  self->hash = hash;
  self->checkpoint_bytes = MAX (checkpoint_bytes, 64 * 1024);
  self->reserve_bytes = reserve_bytes;
  self->drained = drained;
  self->checkpoint = checkpoint;
  self->user_data = user_data;
  self->fd = -1;
  self->thread = g_thread_new ("confab-file-sink", writer_thread, confab_file_sink_ref (self));
  return self;
}

static gboolean
queue_batch (ConfabFileSink *self)
{
  gsize len = self->batch->len;
  GByteArray *bytes;

  if (len == 0)
    return TRUE;
  bytes = g_steal_pointer (&self->batch);
  self->batch = g_async_queue_try_pop (self->spare);
  if (self->batch == NULL)
    self->batch = g_byte_array_sized_new (BATCH_BYTES);
  if (g_atomic_int_add (&self->pending, (gint) len) + (gint) len <= HIGH_MARK)
    {
      g_async_queue_push (self->queue, bytes);
      return TRUE;
    }
  g_atomic_int_set (&self->want_drained, 1);
  g_async_queue_push (self->queue, bytes);
  /* The writer may have drained the queue already, before it could see the flag. */
  if (g_atomic_int_get (&self->pending) < LOW_MARK
      && g_atomic_int_compare_and_exchange (&self->want_drained, 1, 0))
    return TRUE;
  return FALSE;
}

gboolean
confab_file_sink_push (ConfabFileSink *self,
                       GBytes         *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  g_return_val_if_fail (!self->finished, FALSE);
  g_byte_array_append (self->batch, data, len);
  if (self->batch->len < BATCH_BYTES)
    return TRUE;
  return queue_batch (self);
}

void
confab_file_sink_finish (ConfabFileSink         *self,
                         ConfabFileSinkDoneFunc  done)
{
  g_return_if_fail (!self->finished);

  self->finished = TRUE;
  self->drained = NULL;
  self->done = done;
  queue_batch (self);
  g_async_queue_push (self->queue, g_byte_array_new ());
}

void
confab_file_sink_abandon (ConfabFileSink *self)
{
  self->stopped = TRUE;
  if (!self->finished)
    {
      self->finished = TRUE;
      self->drained = NULL;
      queue_batch (self);
      g_async_queue_push (self->queue, g_byte_array_new ());
    }
  if (self->thread != NULL)
    g_thread_join (g_steal_pointer (&self->thread));
}

gnutls_hash_hd_t
confab_file_sink_steal_hash (ConfabFileSink *self)
{
  gnutls_hash_hd_t hash;

  g_return_val_if_fail (self->stopped, NULL);
  hash = self->hash;
  self->hash = NULL;
  return hash;
}

char *
confab_file_hash_finish (gnutls_hash_hd_t hash)
{
  guchar digest[32];
  char *hex = g_malloc (2 * sizeof digest + 1);

  gnutls_hash_deinit (hash, digest);
  for (guint i = 0; i < sizeof digest; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", digest[i]);
  return hex;
}
