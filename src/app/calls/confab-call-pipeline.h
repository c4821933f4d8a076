/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "confab-call-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CALL_PIPELINE (confab_call_pipeline_get_type ())

G_DECLARE_FINAL_TYPE (ConfabCallPipeline, confab_call_pipeline, CONFAB, CALL_PIPELINE, GObject)

void                confab_call_pipeline_warm_up             (void);
void                confab_call_pipeline_warm_up_wait        (void);

ConfabCallPipeline *confab_call_pipeline_new                 (const char          *name,
                                                              ConfabCallMedia      media,
                                                              ConfabMediaDevices  *devices,
                                                              gboolean             muted,
                                                              GError             **error);

void                confab_call_pipeline_set_ice_servers     (ConfabCallPipeline  *self,
                                                              const char          *stun,
                                                              GPtrArray           *turn);
void                confab_call_pipeline_create_offer        (ConfabCallPipeline  *self);
void                confab_call_pipeline_create_answer       (ConfabCallPipeline  *self);
gboolean            confab_call_pipeline_set_remote_description (ConfabCallPipeline *self,
                                                                 gboolean             is_offer,
                                                                 const char          *sdp,
                                                                 GError             **error);
void                confab_call_pipeline_add_ice_candidate   (ConfabCallPipeline  *self,
                                                              guint                sdp_mline_index,
                                                              const char          *candidate);
void                confab_call_pipeline_set_send_audio      (ConfabCallPipeline  *self,
                                                              gboolean             send);
void                confab_call_pipeline_set_send_video      (ConfabCallPipeline  *self,
                                                              gboolean             send);
void                confab_call_pipeline_stop                (ConfabCallPipeline  *self);

gboolean            confab_call_pipeline_get_has_camera      (ConfabCallPipeline  *self);
gboolean            confab_call_pipeline_get_microphone_failed (ConfabCallPipeline *self);
ConfabCallMedia     confab_call_pipeline_get_refused_media   (ConfabCallPipeline  *self);
gint64              confab_call_pipeline_get_last_receive_time (ConfabCallPipeline *self);
guint64             confab_call_pipeline_get_video_frames_received (ConfabCallPipeline *self);
guint64             confab_call_pipeline_get_audio_buffers_received (ConfabCallPipeline *self);
gint64              confab_call_pipeline_get_first_video_frame_time (ConfabCallPipeline *self);
GdkPaintable       *confab_call_pipeline_get_local_video     (ConfabCallPipeline  *self);
GdkPaintable       *confab_call_pipeline_get_remote_video    (ConfabCallPipeline  *self);
GstElement         *confab_call_pipeline_get_element         (ConfabCallPipeline  *self);

/*
 * Signals, always on the thread that made the pipeline, in the order webrtcbin produced them,
 * and none once it stopped:
 *   "local-description"      (const char *type, const char *sdp)  ours, to send to the peer
 *   "local-ice"              (const char *candidate, guint mline)  ours, to send to the peer
 *   "remote-description-set" ()                                    the peer's is in place
 *   "ice-changed"            (gboolean disconnected, gboolean failed)
 *   "connected"              ()                                    media flows
 *   "failed"                 ()                                    the connection failed
 *   "camera-failed"          ()                                    the camera stopped; the rest
 *                                                                  of the call goes on
 *   "error"                  ()                                    the call cannot go on
 * Property "microphone-failed": the microphone could not be opened or stopped working, and
 * silence goes out instead; a working microphone chosen in the devices takes over.
 * The devices' microphone, camera and speaker, when chosen anew, replace the ones in use.
 */

G_END_DECLS
