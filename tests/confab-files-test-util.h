/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-test-util.h"

G_BEGIN_DECLS

/* HTTP for the file tests: any method, headers and a binary body, against the real confabd. */

typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;  /* of the response */
  GBytes             *body;
} ConfabFilesReply;

void              confab_files_reply_free   (ConfabFilesReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabFilesReply, confab_files_reply_free)

/* @...: header name, value pairs, then NULL. tus requests get Tus-Resumable unless a
 * "Tus-Resumable" pair says otherwise ("" leaves it out). */
ConfabFilesReply *confab_files_request      (ConfabTestServer *server,
                                             const char       *method,
                                             const char       *path,
                                             const char       *token,
                                             GBytes           *body,
                                             ...) G_GNUC_NULL_TERMINATED;
const char       *confab_files_reply_header (ConfabFilesReply *reply,
                                             const char       *name);
const char       *confab_files_reply_code   (ConfabFilesReply *reply);

/* POST /v1/files; the Location path. @metadata may be NULL. Asserts 201. */
char             *confab_files_create       (ConfabTestServer *server,
                                             const char       *token,
                                             gint64            length,
                                             const char       *metadata);
/* The Upload-Offset of a HEAD; asserts 200. */
gint64            confab_files_head_offset  (ConfabTestServer *server,
                                             const char       *token,
                                             const char       *location);
/* PATCH @data at @offset; the reply. */
ConfabFilesReply *confab_files_patch        (ConfabTestServer *server,
                                             const char       *token,
                                             const char       *location,
                                             gint64            offset,
                                             GBytes           *data);
/* Creates and uploads @data in chunks of @chunk bytes; the file id. */
char             *confab_files_upload       (ConfabTestServer *server,
                                             const char       *token,
                                             GBytes           *data,
                                             const char       *name,
                                             const char       *mime,
                                             gsize             chunk);
/* "filename <b64>,filetype <b64>" */
char             *confab_files_metadata     (const char       *name,
                                             const char       *mime);
GBytes           *confab_files_random_bytes (gsize             length,
                                             guint32           seed);
char             *confab_files_sha256       (GBytes           *data);

G_END_DECLS
