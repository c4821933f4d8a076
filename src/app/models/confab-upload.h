/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  CONFAB_UPLOAD_QUEUED,     /* waiting for its turn */
  CONFAB_UPLOAD_UPLOADING,  /* bytes on their way */
  CONFAB_UPLOAD_PAUSED,     /* paused by the user; goes on from the server's offset */
  CONFAB_UPLOAD_WAITING,    /* the server is out of reach; goes on once it is back */
  CONFAB_UPLOAD_SENDING,    /* every byte is on the server; the message goes out */
  CONFAB_UPLOAD_FAILED,     /* refused for good (see the error); only cancel is left */
} ConfabUploadState;

#define CONFAB_TYPE_UPLOAD_STATE (confab_upload_state_get_type ())
GType confab_upload_state_get_type (void);

#define CONFAB_TYPE_UPLOAD (confab_upload_get_type ())
G_DECLARE_FINAL_TYPE (ConfabUpload, confab_upload, CONFAB, UPLOAD, GObject)

/* One file on its way to a conversation, as an upload row shows it. Properties (read-only,
 * notified): "conv", "name", "mime", "size", "offset" (bytes on the server, as the progress bar
 * shows it), "speed" (bytes per second, 0 when idle), "state", "error" (why it failed, or
 * NULL). */
ConfabUpload      *confab_upload_new             (const char        *conv,
                                                  const char        *client_msg_id,
                                                  const char        *name,
                                                  const char        *mime,
                                                  guint64            size);
const char        *confab_upload_get_conv        (ConfabUpload      *self);
/* The message it goes out with (several files of one message share it). */
const char        *confab_upload_get_client_msg_id (ConfabUpload    *self);
const char        *confab_upload_get_name        (ConfabUpload      *self);
const char        *confab_upload_get_mime        (ConfabUpload      *self);
guint64            confab_upload_get_size        (ConfabUpload      *self);
guint64            confab_upload_get_offset      (ConfabUpload      *self);
double             confab_upload_get_speed       (ConfabUpload      *self);
ConfabUploadState  confab_upload_get_state       (ConfabUpload      *self);
const char        *confab_upload_get_error       (ConfabUpload      *self);
/* 0 … 1. */
double             confab_upload_get_fraction    (ConfabUpload      *self);

/* Engine use: these notify. */
void               confab_upload_set_offset      (ConfabUpload      *self,
                                                  guint64            offset);
void               confab_upload_set_speed       (ConfabUpload      *self,
                                                  double             speed);
void               confab_upload_set_state       (ConfabUpload      *self,
                                                  ConfabUploadState  state,
                                                  const char        *error);

G_END_DECLS
