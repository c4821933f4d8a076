/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ATTACHMENTS_BOX (confab_attachments_box_get_type ())

G_DECLARE_FINAL_TYPE (ConfabAttachmentsBox, confab_attachments_box, CONFAB, ATTACHMENTS_BOX,
                      GtkWidget)

/* The files of a message. A picture shows its thumbnail with the picture's aspect ratio; a
 * click opens it in the viewer, with the other pictures of @list to go to. Any other file is
 * a row with its icon, name, size and type, and Open and Save As… buttons, with a progress bar
 * while it downloads. Hidden while the message has no files. */
GtkWidget *confab_attachments_box_new    (void);
void       confab_attachments_box_update (ConfabAttachmentsBox *self,
                                          ConfabMessage        *message,
                                          ConfabSession        *session,
                                          ConfabMessageList    *list);

/* The pictures among the attachments of @list's messages, oldest first: a GPtrArray of
 * JsonObject (Attachment). */
GPtrArray *confab_attachments_collect_pictures (GListModel *list);
/* TRUE for an Attachment shown as a picture: a thumbnail and the picture's size. */
gboolean   confab_attachment_is_picture        (JsonObject *attachment);

/* Asks where to save @attachment (the platform's file chooser), downloads it into the cache if
 * needed and copies it there; failures are told in a toast of @widget's window. */
void       confab_attachment_save_as           (GtkWidget     *widget,
                                                ConfabSession *session,
                                                JsonObject    *attachment);

G_END_DECLS
