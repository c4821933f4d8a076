/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-server.h"
#include "confab-store.h"

G_BEGIN_DECLS

/* Files: tus 1.0.0 uploads (core, creation, termination, expiration) on /v1/files, downloads
 * on GET /v1/files/<id>, the attachments of messages and the avatars of profiles. */
void  confab_files_register          (ConfabServer  *server);

/*
 * The rules other modules reach through their hooks; store thread, inside a unit of work of
 * a store that implements ConfabFileStore.
 */

/* Turns the `attachments` of a send ([{file_id, thumbnail_file_id?, width?, height?}], as
 * JSON text) into the Attachment list to store (JSON text), and records that the message
 * (@sender, @client_msg_id) of @conv refers to those files. Each must be complete and
 * readable by @sender; otherwise NULL with not_found, invalid or bad_request. */
char     *confab_files_resolve_attachments (ConfabStore  *store,
                                            const char   *sender,
                                            const char   *conv,
                                            const char   *client_msg_id,
                                            const char   *requested,
                                            GError      **error);
/* Whether @file_id may be @user's avatar: an own, complete raster image. */
gboolean  confab_files_check_avatar        (ConfabStore  *store,
                                            const char   *user,
                                            const char   *file_id,
                                            GError      **error);

G_END_DECLS
