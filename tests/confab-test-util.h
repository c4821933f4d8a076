/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* How long a test waits for anything the server should do at once. */
#define CONFAB_TEST_TIMEOUT_MS 10000

/* --- Environment ---------------------------------------------------------------------------- */

void         confab_test_init              (int          *argc,
                                            char       ***argv);
int          confab_test_run               (void);
const char  *confab_test_get_tmp_dir       (void);
char        *confab_test_make_dir          (const char   *name);

typedef gboolean (*ConfabTestCondition) (gpointer user_data);

gboolean     confab_test_wait_until        (ConfabTestCondition  condition,
                                            gpointer             user_data,
                                            guint                timeout_ms);
gboolean     confab_test_wait_flag         (const gboolean      *flag,
                                            guint                timeout_ms);
void         confab_test_drain             (guint                ms);

JsonObject  *confab_test_object            (const char   *format,
                                            ...) G_GNUC_PRINTF (1, 2);
char        *confab_test_uuid              (void);

/* --- The server ----------------------------------------------------------------------------- */

typedef struct _ConfabTestServer ConfabTestServer;

ConfabTestServer *confab_test_server_new      (const char * const *extra_args,
                                               const char         *config_text);
ConfabTestServer *confab_test_server_new_tls  (const char * const *extra_args,
                                               const char         *config_text);
/* Started again after a stop or a kill, the server listens on the port of its first start. */
void         confab_test_server_start         (ConfabTestServer *server);
void         confab_test_server_stop          (ConfabTestServer *server);
void         confab_test_server_kill          (ConfabTestServer *server);
void         confab_test_server_restart       (ConfabTestServer *server);
/* Replaces the configuration file (@config_text NULL: none) for the next start. */
void         confab_test_server_set_config    (ConfabTestServer *server,
                                               const char       *config_text);
gboolean     confab_test_server_is_running    (ConfabTestServer *server);
void         confab_test_server_assert_running (ConfabTestServer *server);
void         confab_test_server_free          (ConfabTestServer *server);
const char  *confab_test_server_get_url       (ConfabTestServer *server);
const char  *confab_test_server_get_data_dir  (ConfabTestServer *server);
gint64       confab_test_server_db_int        (ConfabTestServer *server,
                                               const char       *sql);
int          confab_test_server_db_exec       (ConfabTestServer *server,
                                               const char       *sql);
GPid         confab_test_server_get_pid       (ConfabTestServer *server);
SoupSession *confab_test_server_get_session   (ConfabTestServer *server);
const char  *confab_test_server_get_log       (ConfabTestServer *server);
void         confab_test_server_trust         (ConfabTestServer *server,
                                               SoupMessage      *message);
guint        confab_test_server_tls_checks    (ConfabTestServer *server);
void         confab_test_server_connect_from  (ConfabTestServer *server,
                                               const char       *local_address);
guint64      confab_test_server_proc_status   (ConfabTestServer *server,
                                               const char       *field);
guint        confab_test_server_count_fds     (ConfabTestServer *server);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTestServer, confab_test_server_free)

/* --- HTTP ----------------------------------------------------------------------------------- */

guint        confab_test_http                 (ConfabTestServer  *server,
                                               const char        *method,
                                               const char        *path,
                                               const char        *token,
                                               const char        *body,
                                               JsonObject       **out_json,
                                               char             **out_body);
guint        confab_test_register             (ConfabTestServer  *server,
                                               const char        *username,
                                               const char        *password,
                                               JsonObject       **out_json);
char        *confab_test_login                (ConfabTestServer  *server,
                                               const char        *username,
                                               const char        *password,
                                               char             **out_device_id);
const char  *confab_test_error_code           (JsonObject        *json);
guint        confab_test_raw_http             (ConfabTestServer  *server,
                                               const char        *request,
                                               char             **out_response);

/* A registered, logged-in user. */
typedef struct
{
  char *username;
  char *password;
  char *token;
  char *device_id;
} ConfabTestUser;

ConfabTestUser *confab_test_user_new          (ConfabTestServer  *server,
                                               const char        *username);
void         confab_test_user_free            (ConfabTestUser    *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTestUser, confab_test_user_free)

/* --- A WebSocket client --------------------------------------------------------------------- */

typedef struct _ConfabTestClient ConfabTestClient;

ConfabTestClient *confab_test_client_connect   (ConfabTestServer *server);
ConfabTestClient *confab_test_client_new       (ConfabTestServer *server,
                                                const char       *token,
                                                gint64            since);
void         confab_test_client_free           (ConfabTestClient *client);
JsonObject  *confab_test_client_hello          (ConfabTestClient *client,
                                                const char       *token,
                                                gint64            since);
JsonObject  *confab_test_client_get_hello      (ConfabTestClient *client);
char        *confab_test_client_send           (ConfabTestClient *client,
                                                const char       *type,
                                                const char       *params_format,
                                                ...) G_GNUC_PRINTF (3, 4);
void         confab_test_client_send_text      (ConfabTestClient *client,
                                                const char       *text,
                                                gsize             length);
void         confab_test_client_send_binary    (ConfabTestClient *client,
                                                const void       *data,
                                                gsize             length);
JsonObject  *confab_test_client_wait_response  (ConfabTestClient *client,
                                                const char       *id,
                                                guint             timeout_ms);
JsonObject  *confab_test_client_wait_null_id   (ConfabTestClient *client,
                                                guint             timeout_ms);
JsonObject  *confab_test_client_call           (ConfabTestClient *client,
                                                const char       *type,
                                                const char       *params_format,
                                                ...) G_GNUC_PRINTF (3, 4);
JsonObject  *confab_test_client_call_ok        (ConfabTestClient *client,
                                                const char       *type,
                                                const char       *params_format,
                                                ...) G_GNUC_PRINTF (3, 4);
void         confab_test_client_call_error     (ConfabTestClient *client,
                                                const char       *code,
                                                const char       *type,
                                                const char       *params_format,
                                                ...) G_GNUC_PRINTF (4, 5);
JsonObject  *confab_test_client_wait_event     (ConfabTestClient *client,
                                                const char       *name,
                                                guint             timeout_ms);
void         confab_test_client_expect_event   (ConfabTestClient *client,
                                                const char       *name);
JsonObject  *confab_test_client_peek_event     (ConfabTestClient *client,
                                                const char       *name);
GPtrArray   *confab_test_client_take_events    (ConfabTestClient *client);
guint        confab_test_client_count_events   (ConfabTestClient *client,
                                                const char       *name);
guint        confab_test_client_count_responses (ConfabTestClient *client,
                                                 const char       *id);
gboolean     confab_test_client_wait_closed    (ConfabTestClient *client,
                                                guint             timeout_ms);
gboolean     confab_test_client_is_open        (ConfabTestClient *client);
gushort      confab_test_client_get_close_code (ConfabTestClient *client);
void         confab_test_client_close          (ConfabTestClient *client);
SoupWebsocketConnection *confab_test_client_get_connection (ConfabTestClient *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTestClient, confab_test_client_free)

/* --- Results -------------------------------------------------------------------------------- */

JsonObject  *confab_test_assert_ok             (JsonObject *response);
void         confab_test_assert_error          (JsonObject *response,
                                                const char *code);
const char  *confab_test_response_error_code   (JsonObject *response);
char        *confab_test_to_string             (JsonObject *object);

G_END_DECLS
