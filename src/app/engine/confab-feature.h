/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "confab-types.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_FEATURE (confab_feature_get_type ())
G_DECLARE_DERIVABLE_TYPE (ConfabFeature, confab_feature, CONFAB, FEATURE, GObject)

/* One capability of a signed-in account (messaging, typing, presence, profiles…): it owns its
 * requests, the events it keeps and its part of the cache. The session holds it; it lives as
 * long as the session and reaches the others through it. Every hook is optional. */
struct _ConfabFeatureClass
{
  GObjectClass parent_class;

  /* At start, reads this feature's part of the cache. The session queues every feature's
   * read on the cache's thread at once and, once all have answered, calls apply on each in
   * the order they were added, so the first frame shows all of it. A failed load fails the
   * start. */
  void     (*load_async)  (ConfabFeature        *self,
                           GCancellable         *cancellable,
                           GAsyncReadyCallback   callback,
                           gpointer              user_data);
  gboolean (*load_finish) (ConfabFeature        *self,
                           GAsyncResult         *result,
                           GError              **error);
  void     (*apply)       (ConfabFeature        *self);
  /* The replay after each (re)connection is done: fetch what is not pushed, send what waits. */
  void     (*synced)      (ConfabFeature        *self);
  /* The events missed while away are lost: reload what this feature shows. */
  void     (*resync)      (ConfabFeature        *self);
};

ConfabSession *confab_feature_get_session     (ConfabFeature *self);
ConfabClient  *confab_feature_get_client      (ConfabFeature *self);
ConfabCache   *confab_feature_get_cache       (ConfabFeature *self);
/* The own username. */
const char    *confab_feature_get_username    (ConfabFeature *self);
/* Cancelled when the session goes. */
GCancellable  *confab_feature_get_cancellable (ConfabFeature *self);
/* TRUE between the end of the session's start and its stop. */
gboolean       confab_feature_get_started     (ConfabFeature *self);

/* Connects @handler (ConfabClient *client, const char *name, JsonObject *data, gint64 seq,
 * gpointer feature) to the client's "event::@name". The feature checks the data and acks the
 * seq once it stored what it keeps; the session stores the seq of the events nobody claims. */
void           confab_feature_handle_event    (ConfabFeature *self,
                                               const char    *name,
                                               GCallback      handler);
/* Everything up to @seq is stored (nothing to do for ephemeral events, seq 0). */
void           confab_feature_ack             (ConfabFeature *self,
                                               gint64         seq);

/* A request whose answer the feature applies locally: @apply (may be NULL) runs with the
 * params and the reply before the task completes. The task's source object is @self; finish
 * with confab_feature_request_finish() or the feature's own finish. The server's error details
 * stay readable with confab_client_result_get_error_details(). */
typedef void (*ConfabFeatureApplyFunc) (ConfabFeature *self,
                                        JsonObject    *params,
                                        JsonObject    *reply);

void           confab_feature_request         (ConfabFeature          *self,
                                               const char             *type,
                                               JsonObject             *params,
                                               ConfabFeatureApplyFunc  apply,
                                               gpointer                source_tag,
                                               GCancellable           *cancellable,
                                               GAsyncReadyCallback     callback,
                                               gpointer                user_data);
/* Returns (transfer full) the reply of a confab_feature_request(), or NULL. */
JsonObject    *confab_feature_request_reply   (ConfabFeature          *self,
                                               GAsyncResult           *result,
                                               GError                **error);
/* The finish of requests that only succeed or fail. */
gboolean       confab_feature_request_finish  (ConfabFeature          *self,
                                               GAsyncResult           *result,
                                               GError                **error);

G_END_DECLS
