/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-feature.h"
#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_FILES (confab_files_get_type ())
G_DECLARE_FINAL_TYPE (ConfabFiles, confab_files, CONFAB, FILES, ConfabFeature)

/* Files: uploads over tus (POST, PATCH in chunks, HEAD to resume, DELETE to cancel) as part of
 * the outbox, and downloads kept under $XDG_CACHE_HOME/confab/files by SHA-256.
 *
 * An upload's tus URL and offset are kept in the cache after each step, so after a lost
 * connection, a server restart or a restart of the app it goes on from the server's offset
 * (HEAD). Once every file of a message is on the server, the message goes to the messaging
 * feature's outbox with its attachments and the uploads are forgotten. Pictures get a
 * thumbnail made here (640 px on the long side), uploaded first as a file of its own. One
 * upload runs at a time, in the order they were queued. */
ConfabFiles  *confab_files_new            (ConfabSession        *session);
ConfabFiles  *confab_files_from_session   (ConfabSession        *session);

/* The uploads still to finish, a GListModel of ConfabUpload, oldest first. */
GListModel   *confab_files_get_uploads    (ConfabFiles          *self);

/* Queues @files (GFile, at least one) as one message to @conv with @caption (may be empty).
 * Completes once they are in the cache: with a GPtrArray of their ConfabUpload. Fails with
 * G_IO_ERROR for a file that cannot be read. */
void          confab_files_send_async     (ConfabFiles          *self,
                                           const char           *conv,
                                           GFile * const        *files,
                                           guint                 n_files,
                                           const char           *caption,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GPtrArray    *confab_files_send_finish    (ConfabFiles          *self,
                                           GAsyncResult         *result,
                                           GError              **error);

/* Uploads @file (small: read whole, one PATCH) as a file of its own, outside any message, such
 * as a profile picture; completes with its file id. */
void          confab_files_upload_file_async  (ConfabFiles          *self,
                                               GFile                *file,
                                               const char           *name,
                                               const char           *mime,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
char         *confab_files_upload_file_finish (ConfabFiles          *self,
                                               GAsyncResult         *result,
                                               GError              **error);

/* Pause keeps what the server has; resume goes on from there. Cancel stops the message's
 * uploads, removes them from the server (DELETE) and forgets them. */
void          confab_files_pause          (ConfabFiles          *self,
                                           ConfabUpload         *upload);
void          confab_files_resume         (ConfabFiles          *self,
                                           ConfabUpload         *upload);
void          confab_files_cancel         (ConfabFiles          *self,
                                           ConfabUpload         *upload);

/* Downloads the file of @attachment ({file_id, sha256?, size?}: an Attachment, or
 * {file_id} for a thumbnail) into the cache, or finds it there: completes with its GFile. A
 * download that stopped goes on with Range from the bytes it has. With a sha256, the result
 * is checked against it (G_IO_ERROR_INVALID_DATA and nothing kept if it differs).
 * @progress (may be NULL) gets the bytes on disk and the total as they grow. */
void          confab_files_download_async (ConfabFiles          *self,
                                           JsonObject           *attachment,
                                           GFileProgressCallback progress,
                                           gpointer              progress_data,
                                           GCancellable         *cancellable,
                                           GAsyncReadyCallback   callback,
                                           gpointer              user_data);
GFile        *confab_files_download_finish (ConfabFiles         *self,
                                            GAsyncResult        *result,
                                            GError             **error);
/* Where a file would be cached (it may not be there). */
GFile        *confab_files_get_cached_file (JsonObject          *attachment);

/* Tests: the size of a PATCH (default 1 MiB). */
void          confab_files_set_chunk_size (ConfabFiles          *self,
                                           gsize                 chunk_size);

G_END_DECLS
