/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define CONFAB_CLIENT_ERROR (confab_client_error_quark ())

/* Errors of the client itself; errors the server answers with are CONFAB_PROTOCOL_ERROR. */
typedef enum
{
  /* The server shows a certificate nobody trusts yet; the message carries its SHA-256
   * fingerprint and confab_client_get_untrusted_fingerprint() returns it. After the user
   * accepted it, call confab_client_trust_certificate() and retry. */
  CONFAB_CLIENT_ERROR_UNTRUSTED_CERTIFICATE,
  /* The server shows a certificate different from the pinned one: refused. */
  CONFAB_CLIENT_ERROR_CERTIFICATE_CHANGED,
  /* The URL is not http(s)://host[:port], or plain http:// to a non-loopback host. */
  CONFAB_CLIENT_ERROR_BAD_URL,
  /* The server answered something that does not follow the protocol. */
  CONFAB_CLIENT_ERROR_BAD_RESPONSE,
  /* A request was made while the WebSocket is not ready (not signed in, or offline). */
  CONFAB_CLIENT_ERROR_NOT_CONNECTED,
} ConfabClientError;

typedef enum
{
  CONFAB_CLIENT_STATE_DISCONNECTED, /* not started, stopped, or signed out (token refused) */
  CONFAB_CLIENT_STATE_CONNECTING,   /* opening the WebSocket, hello sent */
  CONFAB_CLIENT_STATE_SYNCING,      /* hello answered; replay of missed events under way */
  CONFAB_CLIENT_STATE_CONNECTED,    /* synced; live events flow */
  CONFAB_CLIENT_STATE_WAITING,      /* connection lost; next attempt after a backoff delay */
} ConfabClientState;

#define CONFAB_TYPE_CLIENT_STATE (confab_client_state_get_type ())
GType confab_client_state_get_type (void);

#define CONFAB_TYPE_CLIENT (confab_client_get_type ())
G_DECLARE_FINAL_TYPE (ConfabClient, confab_client, CONFAB, CLIENT, GObject)

GQuark             confab_client_error_quark        (void);

/* @server_url is "https://host[:port]" (or "http://" for loopback hosts only). A bad URL is
 * reported by the first network call as CONFAB_CLIENT_ERROR_BAD_URL. */
ConfabClient      *confab_client_new                (const char          *server_url);
const char        *confab_client_get_server_url     (ConfabClient        *self);
/* "host:port", the key of the account's cache directory and of the pinned certificate. */
const char        *confab_client_get_server_key     (ConfabClient        *self);
ConfabClientState  confab_client_get_state          (ConfabClient        *self);
const char        *confab_client_get_username       (ConfabClient        *self);
const char        *confab_client_get_token          (ConfabClient        *self);
const char        *confab_client_get_device_id      (ConfabClient        *self);
/* The own User object from login or hello, or NULL. */
JsonObject        *confab_client_get_user           (ConfabClient        *self);
/* The result of the last successful hello (server version, limits, ice_servers), or NULL. */
JsonObject        *confab_client_get_hello_result   (ConfabClient        *self);
/* Credentials from the keyring: use them instead of logging in. */
void               confab_client_set_credentials    (ConfabClient        *self,
                                                     const char          *username,
                                                     const char          *token);

/* TLS pinning (like ssh known_hosts, in $XDG_DATA_HOME/confab/known-hosts). */
const char        *confab_client_get_untrusted_fingerprint (ConfabClient *self);
gboolean           confab_client_trust_certificate  (ConfabClient        *self,
                                                     const char          *fingerprint,
                                                     GError             **error);
/* The pinned fingerprint for this server, or NULL. */
char              *confab_client_dup_pinned_fingerprint (ConfabClient    *self);

/* HTTP account calls. Server errors are CONFAB_PROTOCOL_ERROR; for details see
 * confab_client_result_get_error_details() and friends below. */
void               confab_client_register_async     (ConfabClient        *self,
                                                     const char          *username,
                                                     const char          *password,
                                                     const char          *display_name,
                                                     const char          *email,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* Returns the new User object. */
JsonObject        *confab_client_register_finish    (ConfabClient        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* On success the client holds username, token, device id and user. */
void               confab_client_login_async        (ConfabClient        *self,
                                                     const char          *username,
                                                     const char          *password,
                                                     const char          *device_name,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean           confab_client_login_finish       (ConfabClient        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* Revokes the token on the server, disconnects and forgets the credentials. */
void               confab_client_logout_async       (ConfabClient        *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean           confab_client_logout_finish      (ConfabClient        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* For a failed login/register/logout/request result: the server's "error" object
 * ({code, message, retry_after_ms?, fields?}), or NULL. */
JsonObject        *confab_client_result_get_error_details (GAsyncResult  *result);
/* retry_after_ms of a rate_limited error, or -1. */
gint64             confab_client_result_get_retry_after_ms (GAsyncResult *result);
/* The "fields" of an invalid error ({"password":"too_short"}), or NULL. */
JsonObject        *confab_client_result_get_invalid_fields (GAsyncResult *result);

/* WebSocket. start: connect and stay connected (reconnecting with backoff) until stop or
 * until the token is refused. @since is the last seq stored by the caller. */
void               confab_client_start              (ConfabClient        *self,
                                                     gint64               since);
void               confab_client_stop               (ConfabClient        *self);
/* Reconnect now instead of waiting for the backoff timer (e.g. network came back). */
void               confab_client_reconnect_now      (ConfabClient        *self);
/* While waiting to reconnect: when the next attempt is due (g_get_monotonic_time ()), else 0. */
gint64             confab_client_get_retry_time     (ConfabClient        *self);
/* Everything up to @seq is stored: sends an ack and uses @seq as "since" on reconnect. */
void               confab_client_ack                (ConfabClient        *self,
                                                     gint64               seq);
gint64             confab_client_get_acked_seq      (ConfabClient        *self);

/* Sends {"type":@type,"id":…, …@params} and completes with the response. Fails at once with
 * CONFAB_CLIENT_ERROR_NOT_CONNECTED when not connected; with G_IO_ERROR_CONNECTION_CLOSED when
 * the connection drops before the answer; G_IO_ERROR_TIMED_OUT after 30 s. */
void               confab_client_request_async      (ConfabClient        *self,
                                                     const char          *type,
                                                     JsonObject          *params,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* Returns (transfer full) the "result" object. */
JsonObject        *confab_client_request_finish     (ConfabClient        *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* Plain HTTP to the server beside the WebSocket (files): the session the client's own requests
 * use, and a message to @path ("/v1/…") with the token and the same certificate checks. NULL
 * with CONFAB_CLIENT_ERROR_BAD_URL if the server's URL is unusable. */
SoupSession       *confab_client_get_soup_session   (ConfabClient        *self);
SoupMessage       *confab_client_new_http_message   (ConfabClient        *self,
                                                     const char          *method,
                                                     const char          *path,
                                                     GError             **error);
/* The error to report for @msg: @transport_error (taken) as the certificate checks explain it,
 * or else the server's error body @body (may be NULL) and status. */
GError            *confab_client_http_error         (ConfabClient        *self,
                                                     SoupMessage         *msg,
                                                     GBytes              *body,
                                                     GError              *transport_error);

/* Tests: backoff bounds in ms (default 500 … 60000) and ping interval / dead-peer timeout in
 * ms (default 30000 / 90000). */
void               confab_client_set_backoff        (ConfabClient        *self,
                                                     guint                initial_ms,
                                                     guint                max_ms);
void               confab_client_set_keepalive      (ConfabClient        *self,
                                                     guint                ping_ms,
                                                     guint                dead_ms);

/*
 * Signals (seq is 0 for ephemeral events):
 *   "state-changed"  — use notify::state
 *   "event" (detailed by name)  (const char *name, JsonObject *data, gint64 seq)
 *       every well-formed event, known or not: each capability connects to
 *       "event::<name>" for its own (message, reaction, typing, presence, call_invite…), checks
 *       the data it needs and acks the seq once it stored what it keeps
 *   "synced"           (gint64 last_seq)                      replay done
 *   "resync-required"  ()                                     reload conversations/history
 *   "signed-out"       (GError *error)                        token refused; sign in again
 *   "connection-error" (GError *error)                        an attempt failed; for
 *       certificate errors the client stops retrying (state disconnected) until started again
 *
 * Durable events with a seq not above the highest seen are dropped as duplicates. Frames that
 * are malformed, not objects, without a valid name or seq, or with data that is not an object
 * are logged and skipped; so are "synced" events without a last_seq.
 */

G_END_DECLS
