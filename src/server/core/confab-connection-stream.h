/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The stream a WebSocket connection of confabd runs on: it passes everything through to the
 * connection's own stream, counts the bytes written to it (so the connection knows how much
 * output libsoup still holds for the peer), and can stop reading from the peer for a while. */
#define CONFAB_TYPE_CONNECTION_STREAM (confab_connection_stream_get_type ())
G_DECLARE_FINAL_TYPE (ConfabConnectionStream, confab_connection_stream, CONFAB, CONNECTION_STREAM,
                      GIOStream)

typedef void (*ConfabWrittenFunc) (gpointer user_data);

ConfabConnectionStream *confab_connection_stream_new          (GIOStream              *base);
guint64                 confab_connection_stream_get_written  (ConfabConnectionStream *self);
void                    confab_connection_stream_set_written_func (ConfabConnectionStream *self,
                                                                   ConfabWrittenFunc       func,
                                                                   gpointer                user_data);
void                    confab_connection_stream_set_reading  (ConfabConnectionStream *self,
                                                               gboolean                reading);
gboolean                confab_connection_stream_get_reading  (ConfabConnectionStream *self);
void                    confab_connection_stream_drop_output  (ConfabConnectionStream *self);

G_END_DECLS
