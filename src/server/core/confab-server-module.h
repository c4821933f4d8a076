/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "confab-auth.h"
#include "confab-config.h"
#include "confab-connection.h"
#include "confab-error.h"
#include "confab-frame.h"
#include "confab-http.h"
#include "confab-log.h"
#include "confab-metrics.h"
#include "confab-router.h"
#include "confab-store.h"

G_BEGIN_DECLS

/*
 * ConfabServerModule: one capability of confabd (messages, presence, calls, ...), as the core
 * sees it. A module registers, once, with confab_server_add_module():
 *
 *  - the WebSocket request types it answers, each with its handler;
 *  - the HTTP routes it serves, if any;
 *  - the names of the events it sends (durable ones through the store, live ones through the
 *    router);
 *  - what it wants to hear of sessions: a connection signed in, a connection ended, a hello
 *    being answered.
 *
 * The core dispatches through this registry and knows nothing else of the module: a new
 * capability is new files and one line in confab-modules.c. `hello` and `ack` stay in the core.
 *
 * Every callback runs on the main thread and gets back the @instance given at registration.
 */

/* Answers request @id of @connection (validate @frame, then respond once, now or later). */
typedef void (*ConfabRequestFunc)  (gpointer           instance,
                                    ConfabConnection  *connection,
                                    const char        *id,
                                    JsonObject        *frame);

/* Answers an HTTP request (pause @msg to answer later). */
typedef void (*ConfabRouteFunc)    (gpointer           instance,
                                    SoupServerMessage *msg);

typedef struct
{
  const char        *type;
  ConfabRequestFunc  func;
} ConfabRequestHandler;

typedef enum
{
  CONFAB_HTTP_ROUTE_EXACT  = 0,
  /* @path ends in '/' and the route answers every path below it (not @path itself). */
  CONFAB_HTTP_ROUTE_PREFIX = 1 << 0,
  /* The request body is the module's: the core neither limits it nor keeps any of it. */
  CONFAB_HTTP_ROUTE_STREAM = 1 << 1,
} ConfabHttpRouteFlags;

typedef struct
{
  const char           *method;
  const char           *path;
  /* Answers the request once its body has been read. */
  ConfabRouteFunc       func;
  ConfabHttpRouteFlags  flags;
  /* STREAM routes only: runs as soon as the request headers are in, before any of the body
   * is read. It takes the body chunk by chunk (SoupServerMessage::got-chunk, with the request
   * body's accumulate turned off), may pause @msg while it gets ready, and may answer at once
   * (the body is then read and dropped, and @func does not run). */
  ConfabRouteFunc       got_headers;
} ConfabHttpRoute;

typedef struct _ConfabServerModule ConfabServerModule;

struct _ConfabServerModule
{
  const char                 *name;
  /* Each list ends with an entry whose first member is NULL; any of them may be NULL. */
  const ConfabRequestHandler *requests;
  const ConfabHttpRoute      *routes;
  const char * const         *events;

  /* @connection signed in; @first_of_user if its user had no other connection. */
  void (*session_started)  (gpointer          instance,
                            ConfabConnection *connection,
                            gboolean          first_of_user);
  /* A signed-in @connection closed; whether it was its user's / its device's last one. */
  void (*session_ended)    (gpointer          instance,
                            ConfabConnection *connection,
                            gboolean          last_of_user,
                            gboolean          last_of_device);
  /* Adds the module's members to the result of @connection's hello. */
  void (*describe_session) (gpointer          instance,
                            ConfabConnection *connection,
                            JsonObject       *hello_result);
};

void                confab_server_add_module      (ConfabServer              *server,
                                                   const ConfabServerModule  *module,
                                                   gpointer                   instance,
                                                   GDestroyNotify             destroy);

/* The instance the module called @name registered, or NULL: how a module leans on one
 * registered before it (contacts show presence). */
gpointer            confab_server_get_module      (ConfabServer      *server,
                                                   const char        *name);

/* What a module may use of the core. */
ConfabStore        *confab_server_get_store       (ConfabServer      *server);
ConfabAuth         *confab_server_get_auth        (ConfabServer      *server);
ConfabRouter       *confab_server_get_router      (ConfabServer      *server);
const ConfabConfig *confab_server_get_config      (ConfabServer      *server);
/* Where a module registers what it counts (one line at registration) and counts it. */
ConfabMetrics      *confab_server_get_metrics     (ConfabServer      *server);
gboolean            confab_server_take_send_token (ConfabServer      *server,
                                                   const char        *username,
                                                   gint64            *retry_after_ms);

ConfabServer       *confab_connection_get_server      (ConfabConnection *self);
const char         *confab_connection_get_address     (ConfabConnection *self);
GCancellable       *confab_connection_get_cancellable (ConfabConnection *self);
gboolean            confab_connection_is_closed       (ConfabConnection *self);

void     confab_connection_respond_ok     (ConfabConnection    *self,
                                           const char          *id,
                                           JsonObject          *result);
void     confab_connection_respond_error  (ConfabConnection    *self,
                                           const char          *id,
                                           ConfabProtocolError  code,
                                           const char          *message);
/* @code with the members of @extra (may be NULL) beside code and message. */
void     confab_connection_respond_error_full (ConfabConnection    *self,
                                               const char          *id,
                                               ConfabProtocolError  code,
                                               const char          *message,
                                               JsonObject          *extra);
/* `invalid` with `"fields": {@field: @reason}`. */
void     confab_connection_respond_invalid (ConfabConnection   *self,
                                            const char         *id,
                                            const char         *message,
                                            const char         *field,
                                            const char         *reason);
void     confab_connection_respond_gerror (ConfabConnection    *self,
                                           const char          *id,
                                           const GError        *error);
void     confab_connection_respond_rate_limited (ConfabConnection *self,
                                                 const char       *id,
                                                 gint64            retry_after_ms);
/* Answers @id with the message-send rate limit if @self's user is over it. */
gboolean confab_connection_check_send_rate (ConfabConnection   *self,
                                            const char         *id);

/* Acts on a store reply before it answers the request (see confab_connection_store_call). */
typedef void (*ConfabReplyHook) (ConfabConnection *self,
                                 ConfabStoreReply *reply,
                                 gpointer          hook_data);

gpointer confab_connection_store_call     (ConfabConnection    *self,
                                           const char          *id,
                                           ConfabReplyHook      hook,
                                           gpointer             hook_data);
void     confab_store_call_cb             (GObject             *source,
                                           GAsyncResult        *result,
                                           gpointer             user_data);

/* The `cancellable, callback, user_data` of a store operation that answers request @id. */
#define CONFAB_STORE_CALL_FULL(connection, id, hook, hook_data) \
  confab_connection_get_cancellable (connection), confab_store_call_cb, \
  confab_connection_store_call ((connection), (id), (hook), (hook_data))
#define CONFAB_STORE_CALL(connection, id, hook) \
  CONFAB_STORE_CALL_FULL (connection, id, hook, NULL)

/* Signing in with a token: result {user, device_id} of the live device holding @token_hash
 * (its last_seen is recorded); unauthorized if there is none, forbidden if the account is
 * disabled. On any store that implements ConfabAccountStore; completes with
 * confab_store_finish (). */
void     confab_session_lookup_async      (ConfabStore         *store,
                                           const char          *token_hash,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);

/* An HTTP request of a signed-in user, answered later: confab_http_call_start () signs in
 * the bearer of @msg and holds @msg paused until confab_http_call_finish (). */
typedef struct _ConfabHttpCall ConfabHttpCall;

struct _ConfabHttpCall
{
  ConfabServer      *server;
  SoupServerMessage *msg;
  JsonObject        *user;       /* the signed-in User */
  const char        *username;   /* of user */
  char              *device_id;
  char              *address;    /* the client's address */
  JsonObject        *body;       /* with CONFAB_HTTP_CALL_JSON_BODY: the request's object */
  gpointer           data;       /* the caller's, freed with data_free */
  GDestroyNotify     data_free;
};

typedef enum
{
  CONFAB_HTTP_CALL_NO_BODY   = 0,
  /* The body must be a JSON object (400 bad_request otherwise), read once signed in. */
  CONFAB_HTTP_CALL_JSON_BODY = 1 << 0,
} ConfabHttpCallFlags;

/* Runs on the main thread; answers @call (now or later) and then calls
 * confab_http_call_finish (). */
typedef void (*ConfabHttpCallFunc) (ConfabHttpCall *call);

/* Signs in the bearer token of @msg (401 unauthorized without one or with a token that is not
 * valid, 403 forbidden for a disabled account), reads the body as @flags say, and runs
 * @signed_in; on any failure the request is answered and @signed_in does not run (@data is
 * freed with @data_free). */
void     confab_http_call_start           (ConfabServer        *server,
                                           SoupServerMessage   *msg,
                                           ConfabHttpCallFlags  flags,
                                           ConfabHttpCallFunc   signed_in,
                                           gpointer             data,
                                           GDestroyNotify       data_free);
/* Lets @msg go with the answer given, and frees @call. */
void     confab_http_call_finish          (ConfabHttpCall      *call);

/* Parameters more than one module reads. */
gboolean confab_request_get_conv     (JsonObject        *frame,
                                      ConfabParamFlags   flags,
                                      const char       **conv,
                                      GError           **error);
gboolean confab_request_get_msg_id   (JsonObject        *frame,
                                      const char        *name,
                                      ConfabParamFlags   flags,
                                      gint64            *msg_id,
                                      GError           **error);
gboolean confab_request_get_username (JsonObject        *frame,
                                      const char        *name,
                                      char             **username,
                                      GError           **error);

/* Helpers every module's rules use. */
static inline gint64
confab_now_ms (void)
{
  return g_get_real_time () / 1000;
}

static inline void
confab_set_protocol_error (GError              **error,
                           ConfabProtocolError   code,
                           const char           *message)
{
  g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, code, message);
}

G_END_DECLS
