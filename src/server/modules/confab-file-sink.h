/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/crypto.h>

G_BEGIN_DECLS

/*
 * ConfabFileSink: the bytes of one upload request on their way to disk. The main thread
 * pushes the body's chunks as they arrive; a thread of the sink's own writes them at the
 * upload's offset, hashes them (SHA-256) and syncs them, now and then and at the end, so
 * that the offset a client is told is always one on disk. Callbacks run on the main context
 * the sink was made in.
 */

typedef struct _ConfabFileSink ConfabFileSink;

/* The sink's queue fell below its low mark after a push went over its high mark. */
typedef void (*ConfabFileSinkDrainedFunc)    (gpointer     user_data);
/* Bytes up to @synced are on disk (a periodic sync, not the last one). */
typedef void (*ConfabFileSinkCheckpointFunc) (gint64       synced,
                                              gpointer     user_data);
/* All is written and synced up to @synced; @error if writing failed (what came before it,
 * up to @synced, is safe). */
typedef void (*ConfabFileSinkDoneFunc)       (gint64        synced,
                                              const GError *error,
                                              gpointer      user_data);

/* Writes to @path from @offset on (whatever lies beyond @offset, unsynced bytes of a server
 * that was killed, is cut off first). A write that would leave less than @reserve_bytes of
 * the disk free (0: no reserve) fails with G_IO_ERROR_NO_SPACE, as on a full disk. @hash (taken; NULL: computed from the file) holds the
 * SHA-256 state of the bytes before @offset. GnuTLS's SHA-256 runs several times faster than
 * GChecksum's where the CPU has instructions for it, and it is the upload's bottleneck. */
ConfabFileSink *confab_file_sink_new          (const char                   *path,
                                               gint64                        offset,
                                               gnutls_hash_hd_t              hash,
                                               gint64                        checkpoint_bytes,
                                               guint64                       reserve_bytes,
                                               ConfabFileSinkDrainedFunc     drained,
                                               ConfabFileSinkCheckpointFunc  checkpoint,
                                               gpointer                      user_data);
ConfabFileSink *confab_file_sink_ref          (ConfabFileSink *self);
void            confab_file_sink_unref        (ConfabFileSink *self);

/* Main thread. Returns FALSE when the queue is over its high mark: stop reading until
 * drained is called. */
gboolean        confab_file_sink_push         (ConfabFileSink *self,
                                               GBytes         *bytes);
/* No more pushes: @done runs once all is written and synced, or writing failed. No callback
 * runs after @done. */
void            confab_file_sink_finish       (ConfabFileSink         *self,
                                               ConfabFileSinkDoneFunc  done);
/* Main thread, when the server stops with the sink still writing: no callback runs any more;
 * what was pushed is written and synced, and the writer has stopped, when this returns. The
 * recorded offset stays where it was; the next PATCH cuts off what lies beyond it. */
void            confab_file_sink_abandon      (ConfabFileSink         *self);
/* After done: the SHA-256 state of everything written (NULL after a failure). */
gnutls_hash_hd_t confab_file_sink_steal_hash  (ConfabFileSink   *self);
/* The lower-case hex digest of @hash, which is used up. */
char           *confab_file_hash_finish       (gnutls_hash_hd_t  hash);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabFileSink, confab_file_sink_unref)

G_END_DECLS
