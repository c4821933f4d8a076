/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-test-util.h"

#include <string.h>

/* The admin HTTP API against the real confabd: who may use it (a table of every path), each
 * endpoint, the audit log, disabling and signing out (connections closed with 4401, logins
 * refused), the last administrator, bad input. */

#define T CONFAB_TEST_TIMEOUT_MS

#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"

typedef struct
{
  ConfabTestServer *server;
  ConfabTestUser   *alice;   /* the first account: admin */
  ConfabTestUser   *bob;
  ConfabTestUser   *carol;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = confab_test_server_new (NULL, FAST_HASHING);
  f->alice = confab_test_user_new (f->server, "alice");
  f->bob = confab_test_user_new (f->server, "bob");
  f->carol = confab_test_user_new (f->server, "carol");
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  confab_test_user_free (f->alice);
  confab_test_user_free (f->bob);
  confab_test_user_free (f->carol);
  confab_test_server_free (f->server);
}

/* An admin request by @token; returns the status, the JSON answer in @out (may be NULL). */
static guint
call (Fixture     *f,
      const char  *method,
      const char  *path,
      const char  *token,
      const char  *body,
      JsonObject **out)
{
  g_autoptr(JsonObject) json = NULL;
  guint status = confab_test_http (f->server, method, path, token, body, &json, NULL);

  if (out != NULL)
    *out = g_steal_pointer (&json);
  return status;
}

/* Asserts @status with error @code in the §1 shape. */
static void
assert_error (Fixture    *f,
              const char *method,
              const char *path,
              const char *token,
              const char *body,
              guint       status,
              const char *code)
{
  g_autoptr(JsonObject) reply = NULL;

  g_test_message ("%s %s %s", method, path, body != NULL ? body : "");
  g_assert_cmpuint (call (f, method, path, token, body, &reply), ==, status);
  g_assert_nonnull (reply);
  g_assert_cmpstr (confab_test_error_code (reply), ==, code);
  g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (reply,
                                                                                  "error"),
                                                   "message"));
}

static JsonObject *
get_ok (Fixture    *f,
        const char *path)
{
  JsonObject *reply = NULL;

  g_assert_cmpuint (call (f, "GET", path, f->alice->token, NULL, &reply), ==, 200);
  return reply;
}

static JsonObject *
patch_ok (Fixture    *f,
          const char *username,
          const char *body)
{
  g_autofree char *path = g_strconcat ("/v1/admin/users/", username, NULL);
  JsonObject *reply = NULL;

  g_assert_cmpuint (call (f, "PATCH", path, f->alice->token, body, &reply), ==, 200);
  return reply;
}

static guint
login_status (Fixture    *f,
              const char *username,
              const char *password,
              char      **token)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}",
                                           username, password);
  g_autoptr(JsonObject) reply = NULL;
  guint status = call (f, "POST", "/v1/login", NULL, body, &reply);

  if (token != NULL && status == 200)
    *token = g_strdup (json_object_get_string_member (reply, "token"));
  return status;
}

/* The newest audit entry with @action, checked for the common members. */
static JsonObject *
last_audit (Fixture    *f,
            const char *action)
{
  g_autofree char *path = g_strdup_printf ("/v1/admin/audit?action=%s&limit=1", action);
  g_autoptr(JsonObject) reply = get_ok (f, path);
  JsonArray *entries = json_object_get_array_member (reply, "entries");
  JsonObject *entry;

  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  entry = json_array_get_object_element (entries, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, action);
  g_assert_cmpint (json_object_get_int_member (entry, "id"), >, 0);
  g_assert_cmpint (json_object_get_int_member (entry, "ts"), >, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "address"), ==, "127.0.0.1");
  g_assert_true (json_object_has_member (entry, "details"));
  return json_object_ref (entry);
}

static gint64
audit_total (Fixture    *f,
             const char *query)
{
  g_autofree char *path = g_strconcat ("/v1/admin/audit", query, NULL);
  g_autoptr(JsonObject) reply = get_ok (f, path);

  return json_object_get_int_member (reply, "total");
}

/* --- Who may ---------------------------------------------------------------------------------- */

static const struct
{
  const char *method;
  const char *path;
  const char *body;
} admin_paths[] = {
  { "GET", "/v1/admin/users", NULL },
  { "GET", "/v1/admin/users?query=a&limit=5", NULL },
  { "POST", "/v1/admin/users", "{\"username\":\"mallory\",\"password\":\"long enough pw\"}" },
  { "GET", "/v1/admin/users/carol", NULL },
  { "PATCH", "/v1/admin/users/carol", "{\"disabled\":true}" },
  { "PATCH", "/v1/admin/users/bob", "{\"role\":\"admin\"}" },
  { "DELETE", "/v1/admin/users/carol/sessions", NULL },
  { "GET", "/v1/admin/sessions", NULL },
  { "POST", "/v1/admin/broadcast", "{\"body\":\"x\",\"audience\":{\"all\":true}}" },
  { "GET", "/v1/admin/stats", NULL },
  { "GET", "/v1/admin/audit", NULL },
  { "POST", "/v1/admin/backup", NULL },
  { "GET", "/v1/admin/backups/20260101T000000Z", NULL },
  { "GET", "/v1/admin/users/nobody", NULL },
  { "PATCH", "/v1/admin/users/alice", "not json" },
};

static void
test_forbidden (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) entry = NULL;
  guint refused = 0;

  for (guint i = 0; i < G_N_ELEMENTS (admin_paths); i++)
    {
      const char *method = admin_paths[i].method;
      const char *path = admin_paths[i].path;
      const char *body = admin_paths[i].body;

      assert_error (f, method, path, NULL, body, 401, "unauthorized");
      assert_error (f, method, path, "not-a-token", body, 401, "unauthorized");
      assert_error (f, method, path, f->bob->token, body, 403, "forbidden");
      refused++;
    }

  /* Nothing changed: carol still signs in, bob is no admin, mallory does not exist. */
  g_assert_cmpuint (login_status (f, "carol", f->carol->password, NULL), ==, 200);
  reply = get_ok (f, "/v1/admin/users/bob");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                  "role"), ==, "user");
  assert_error (f, "GET", "/v1/admin/users/mallory", f->alice->token, NULL, 404, "not_found");

  /* Each refusal of an admin path is in the audit log, with who and what (an announcement's
   * with the target "broadcast"). */
  g_assert_cmpint (audit_total (f, "?action=denied&actor=bob"), ==, refused);
  entry = last_audit (f, "denied");
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "/v1/admin/users/alice");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (entry,
                                                                                 "details"),
                                                  "method"), ==, "PATCH");
}

/* --- Users ------------------------------------------------------------------------------------ */

static void
test_users (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) entry = NULL;
  JsonArray *users;
  JsonObject *user;

  reply = get_ok (f, "/v1/admin/users");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 3);
  users = json_object_get_array_member (reply, "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 3);
  user = json_array_get_object_element (users, 0);
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "admin");
  g_assert_false (json_object_get_boolean_member (user, "disabled"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (user, "permissions")),
                    ==, 0);
  g_assert_cmpint (json_object_get_int_member (user, "created_ts"), >, 0);
  g_assert_true (json_object_has_member (user, "last_seen_ts"));
  g_clear_pointer (&reply, json_object_unref);

  /* Paged, and searched in username, display name and email, ignoring case. */
  reply = get_ok (f, "/v1/admin/users?limit=1&offset=1");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 3);
  users = json_object_get_array_member (reply, "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (users, 0),
                                                  "username"), ==, "bob");
  g_clear_pointer (&reply, json_object_unref);
  reply = get_ok (f, "/v1/admin/users?query=USER%20CAR");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (reply, "users"),
                                                    0), "username"), ==, "carol");
  g_clear_pointer (&reply, json_object_unref);

  reply = get_ok (f, "/v1/admin/users/Bob");
  user = json_object_get_object_member (reply, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "bob");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "User bob");
  g_clear_pointer (&reply, json_object_unref);

  /* Created by an administrator, with a role. */
  g_assert_cmpuint (call (f, "POST", "/v1/admin/users", f->alice->token,
                          "{\"username\":\"Dave\",\"password\":\"dave's password\","
                          "\"display_name\":\"Dave D\",\"email\":\"dave@example.com\","
                          "\"role\":\"admin\"}", &reply), ==, 201);
  user = json_object_get_object_member (reply, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "dave");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "admin");
  g_assert_cmpstr (json_object_get_string_member (user, "email"), ==, "dave@example.com");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (login_status (f, "dave", "dave's password", NULL), ==, 200);
  assert_error (f, "POST", "/v1/admin/users", f->alice->token,
                "{\"username\":\"dave\",\"password\":\"another password\"}", 409, "conflict");

  entry = last_audit (f, "user_create");
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "dave");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (entry,
                                                                                 "details"),
                                                  "role"), ==, "admin");
  g_assert_cmpint (audit_total (f, "?action=user_create"), ==, 1);
}

/* Registration closed: nobody registers, an administrator still creates accounts. */
static void
test_create_closed (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) reply = NULL;

  confab_test_server_set_config (f->server, FAST_HASHING "[server]\nregistration=closed\n");
  confab_test_server_restart (f->server);

  g_assert_cmpuint (confab_test_register (f->server, "erin", "erin's password", &reply), ==, 403);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "registration_closed");
  g_clear_pointer (&reply, json_object_unref);

  g_assert_cmpuint (call (f, "POST", "/v1/admin/users", f->alice->token,
                          "{\"username\":\"erin\",\"password\":\"erin's password\"}", &reply),
                    ==, 201);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                  "role"), ==, "user");
  g_assert_cmpuint (login_status (f, "erin", "erin's password", NULL), ==, 200);
}

/* --- Changing an account ---------------------------------------------------------------------- */

static void
test_patch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ConfabTestClient) bob = confab_test_client_new (f->server, f->bob->token, 0);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) entry = NULL;
  g_autoptr(JsonObject) event = NULL;
  JsonObject *user;
  JsonObject *details;

  /* Profile fields: bob hears of them as of any profile change. */
  reply = patch_ok (f, "bob", "{\"display_name\":\"Robert\",\"department\":\"Sales\","
                    "\"title\":\"Clerk\"}");
  user = json_object_get_object_member (reply, "user");
  g_assert_cmpstr (json_object_get_string_member (user, "display_name"), ==, "Robert");
  g_assert_cmpstr (json_object_get_string_member (user, "department"), ==, "Sales");
  event = confab_test_client_wait_event (bob, "profile_updated", T);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_object_get_object_member (event, "data"),
                                                    "user"), "title"), ==, "Clerk");
  g_clear_pointer (&reply, json_object_unref);
  entry = last_audit (f, "user_update");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "bob");
  details = json_object_get_object_member (entry, "details");
  g_assert_cmpstr (json_object_get_string_member (details, "department"), ==, "Sales");
  g_clear_pointer (&entry, json_object_unref);

  /* The broadcast permission, granted and withdrawn. */
  confab_test_client_call_error (bob, "forbidden", "broadcast",
                                 "{\"body\":\"hi\",\"audience\":{\"all\":true}}");
  reply = patch_ok (f, "bob", "{\"permissions\":[\"broadcast\"]}");
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (json_object_get_object_member (reply, "user"),
                                                   "permissions"), 0), ==, "broadcast");
  g_clear_pointer (&reply, json_object_unref);
  json_object_unref (confab_test_client_call_ok (bob, "broadcast",
                                                 "{\"body\":\"hi\",\"audience\":{\"all\":true}}"));
  reply = patch_ok (f, "bob", "{\"permissions\":[]}");
  g_clear_pointer (&reply, json_object_unref);
  confab_test_client_call_error (bob, "forbidden", "broadcast",
                                 "{\"body\":\"hi\",\"audience\":{\"all\":true}}");

  /* The role: bob administers, then no longer. */
  reply = patch_ok (f, "bob", "{\"role\":\"admin\"}");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (call (f, "GET", "/v1/admin/stats", f->bob->token, NULL, &reply), ==, 200);
  g_clear_pointer (&reply, json_object_unref);
  reply = patch_ok (f, "bob", "{\"role\":\"user\"}");
  g_clear_pointer (&reply, json_object_unref);
  assert_error (f, "GET", "/v1/admin/stats", f->bob->token, NULL, 403, "forbidden");
  g_assert_true (confab_test_client_is_open (bob));

  /* A new password: every token of bob goes, his connection is closed with 4401, the old
   * password no longer signs in. */
  reply = patch_ok (f, "bob", "{\"password\":\"a brand new secret\"}");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_true (confab_test_client_wait_closed (bob, T));
  g_assert_cmpuint (confab_test_client_get_close_code (bob), ==, 4401);
  g_assert_cmpuint (login_status (f, "bob", f->bob->password, NULL), ==, 401);
  g_assert_cmpuint (login_status (f, "bob", "a brand new secret", NULL), ==, 200);
  assert_error (f, "POST", "/v1/admin/broadcast", f->bob->token,
                "{\"body\":\"x\",\"audience\":{\"all\":true}}", 401, "unauthorized");

  entry = last_audit (f, "user_update");
  details = json_object_get_object_member (entry, "details");
  g_assert_true (json_object_get_boolean_member (details, "password"));
  g_assert_cmpuint (json_object_get_size (details), ==, 1);
  /* Profile, two grants, two roles, the password. */
  g_assert_cmpint (audit_total (f, "?action=user_update&target=bob"), ==, 6);
  g_assert_cmpint (audit_total (f, "?action=broadcast&actor=bob"), ==, 1);
}

static void
test_disable (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(ConfabTestClient) bob = confab_test_client_new (f->server, f->bob->token, 0);
  g_autoptr(ConfabTestClient) again = NULL;
  g_autoptr(ConfabTestClient) carol = confab_test_client_new (f->server, f->carol->token, 0);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) entry = NULL;

  reply = patch_ok (f, "bob", "{\"disabled\":true}");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (reply, "user"),
                                                 "disabled"));
  g_clear_pointer (&reply, json_object_unref);
  g_assert_true (confab_test_client_wait_closed (bob, T));
  g_assert_cmpuint (confab_test_client_get_close_code (bob), ==, 4401);

  /* No sign-in of any kind; others are not touched. */
  assert_error (f, "POST", "/v1/login", NULL,
                "{\"username\":\"bob\",\"password\":\"pw-bob-secret\"}", 403, "forbidden");
  again = confab_test_client_connect (f->server);
  reply = confab_test_client_hello (again, f->bob->token, 0);
  g_assert_nonnull (confab_test_response_error_code (reply));
  g_clear_pointer (&reply, json_object_unref);
  g_assert_true (confab_test_client_is_open (carol));
  json_object_unref (confab_test_client_call_ok (carol, "contacts", "{}"));

  entry = last_audit (f, "user_update");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "bob");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (entry,
                                                                                "details"),
                                                 "disabled"));

  /* Enabled again, the same token works. */
  reply = patch_ok (f, "bob", "{\"disabled\":false}");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (login_status (f, "bob", f->bob->password, NULL), ==, 200);
  g_clear_pointer (&bob, confab_test_client_free);
  bob = confab_test_client_new (f->server, f->bob->token, 0);
  g_assert_true (confab_test_client_is_open (bob));
}

static void
test_last_admin (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) reply = NULL;

  assert_error (f, "PATCH", "/v1/admin/users/alice", f->alice->token, "{\"role\":\"user\"}",
                409, "conflict");
  assert_error (f, "PATCH", "/v1/admin/users/alice", f->alice->token, "{\"disabled\":true}",
                409, "conflict");
  /* Refused as a whole: the display name did not change either. */
  assert_error (f, "PATCH", "/v1/admin/users/alice", f->alice->token,
                "{\"display_name\":\"Al\",\"role\":\"user\"}", 409, "conflict");
  reply = get_ok (f, "/v1/admin/users/alice");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                  "display_name"), ==, "User alice");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                  "role"), ==, "admin");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpint (audit_total (f, "?action=user_update"), ==, 0);

  /* With a second administrator, the first may step down; then the second is the last. */
  reply = patch_ok (f, "bob", "{\"role\":\"admin\"}");
  g_clear_pointer (&reply, json_object_unref);
  reply = patch_ok (f, "alice", "{\"role\":\"user\"}");
  g_clear_pointer (&reply, json_object_unref);
  assert_error (f, "PATCH", "/v1/admin/users/bob", f->bob->token, "{\"disabled\":true}",
                409, "conflict");
  assert_error (f, "GET", "/v1/admin/stats", f->alice->token, NULL, 403, "forbidden");
}

/* --- Sessions --------------------------------------------------------------------------------- */

static void
test_sessions (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(ConfabTestClient) carol = confab_test_client_new (f->server, f->carol->token, 0);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) entry = NULL;
  JsonArray *sessions;
  guint connected = 0;

  reply = get_ok (f, "/v1/admin/sessions");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 3);
  sessions = json_object_get_array_member (reply, "sessions");
  g_assert_cmpuint (json_array_get_length (sessions), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *session = json_array_get_object_element (sessions, i);

      g_assert_nonnull (json_object_get_string_member (session, "device_id"));
      g_assert_cmpstr (json_object_get_string_member (session, "name"), ==, "test device");
      g_assert_cmpint (json_object_get_int_member (session, "created_ts"), >, 0);
      g_assert_true (json_object_has_member (session, "last_seen_ts"));
      if (json_object_get_boolean_member (session, "connected"))
        {
          connected++;
          g_assert_cmpstr (json_object_get_string_member (session, "username"), ==, "carol");
          g_assert_cmpstr (json_object_get_string_member (session, "device_id"), ==,
                           f->carol->device_id);
        }
    }
  g_assert_cmpuint (connected, ==, 1);
  g_clear_pointer (&reply, json_object_unref);

  reply = get_ok (f, "/v1/admin/sessions?username=carol");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 1);
  g_clear_pointer (&reply, json_object_unref);

  /* Killed: the connection closes with 4401 and the token is gone; signing in again works. */
  g_assert_cmpuint (call (f, "DELETE", "/v1/admin/users/carol/sessions", f->alice->token, NULL,
                          &reply), ==, 200);
  g_assert_cmpint (json_object_get_int_member (reply, "revoked"), ==, 1);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_true (confab_test_client_wait_closed (carol, T));
  g_assert_cmpuint (confab_test_client_get_close_code (carol), ==, 4401);
  assert_error (f, "POST", "/v1/logout", f->carol->token, NULL, 401, "unauthorized");
  reply = get_ok (f, "/v1/admin/sessions?username=carol");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 0);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (login_status (f, "carol", f->carol->password, NULL), ==, 200);

  entry = last_audit (f, "sessions_kill");
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (entry, "target"), ==, "carol");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (entry, "details"),
                                               "revoked"), ==, 1);
  assert_error (f, "DELETE", "/v1/admin/users/nobody/sessions", f->alice->token, NULL, 404,
                "not_found");
}

/* --- Stats and the audit log ------------------------------------------------------------------ */

static void
test_stats (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(ConfabTestClient) bob = confab_test_client_new (f->server, f->bob->token, 0);
  g_autoptr(ConfabTestClient) bob2 = confab_test_client_new (f->server, f->bob->token, 0);
  g_autoptr(JsonObject) reply = NULL;

  json_object_unref (confab_test_client_call_ok (bob, "send",
                                                 "{\"conv\":\"dm:bob:carol\",\"body\":\"hi\","
                                                 "\"client_msg_id\":\"m1\"}"));
  json_object_unref (confab_test_client_call_ok (bob, "room_create",
                                                 "{\"name\":\"Lobby\",\"visibility\":\"public\"}"));
  reply = get_ok (f, "/v1/admin/stats");
  g_assert_cmpint (json_object_get_int_member (reply, "users"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (reply, "users_online"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (reply, "connections"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (reply, "messages"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (reply, "rooms"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (reply, "file_bytes"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (reply, "uptime_s"), >=, 0);
  g_assert_nonnull (json_object_get_string_member (reply, "version"));
}

static void
test_audit (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) entry = NULL;
  JsonArray *entries;
  gint64 newest;

  g_assert_cmpuint (call (f, "POST", "/v1/admin/broadcast", f->alice->token,
                          "{\"body\":\"Fire drill\",\"audience\":{\"department\":\"Sales\"}}",
                          &reply), ==, 200);
  g_clear_pointer (&reply, json_object_unref);
  entry = last_audit (f, "broadcast");
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (
                       json_object_get_object_member (entry, "details"), "audience"),
                     "department"), ==, "Sales");
  g_clear_pointer (&entry, json_object_unref);

  reply = patch_ok (f, "carol", "{\"title\":\"Boss\"}");
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (call (f, "DELETE", "/v1/admin/users/carol/sessions", f->alice->token, NULL,
                          &reply), ==, 200);
  g_clear_pointer (&reply, json_object_unref);

  /* Newest first, paged, filtered. */
  reply = get_ok (f, "/v1/admin/audit");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 3);
  entries = json_object_get_array_member (reply, "entries");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0),
                                                  "action"), ==, "sessions_kill");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 2),
                                                  "action"), ==, "broadcast");
  newest = json_object_get_int_member (json_array_get_object_element (entries, 0), "id");
  g_clear_pointer (&reply, json_object_unref);
  reply = get_ok (f, "/v1/admin/audit?limit=1&offset=1");
  entries = json_object_get_array_member (reply, "entries");
  g_assert_cmpuint (json_array_get_length (entries), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0),
                                                  "action"), ==, "user_update");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (entries, 0), "id"),
                   <, newest);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpint (audit_total (f, "?target=carol"), ==, 2);
  g_assert_cmpint (audit_total (f, "?actor=bob"), ==, 0);

  /* Reads are not changes: none of the above was audited. */
  g_assert_cmpint (audit_total (f, ""), ==, 3);
}

/* --- Bad input -------------------------------------------------------------------------------- */

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  static const struct
  {
    const char *method;
    const char *path;
    const char *body;
    guint       status;
    const char *code;
  } bad[] = {
    { "PATCH", "/v1/admin/users/bob", "not json", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "[1,2]", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "{}", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "{\"colour\":\"blue\"}", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "{\"disabled\":\"yes\"}", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "{\"role\":\"king\"}", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "{\"permissions\":[\"fly\"]}", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "{\"permissions\":\"broadcast\"}", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/bob", "{\"password\":\"short\"}", 400, "invalid" },
    { "PATCH", "/v1/admin/users/bob", "{\"email\":\"no-at-sign\"}", 400, "invalid" },
    { "PATCH", "/v1/admin/users/bob", "{\"display_name\":\"\"}", 400, "bad_request" },
    { "PATCH", "/v1/admin/users/nobody", "{\"disabled\":true}", 404, "not_found" },
    { "PATCH", "/v1/admin/users/not%20a%20name", "{\"disabled\":true}", 404, "not_found" },
    { "GET", "/v1/admin/users/nobody", NULL, 404, "not_found" },
    { "GET", "/v1/admin/users/bob/sessions", NULL, 404, "not_found" },
    { "DELETE", "/v1/admin/users/bob", NULL, 404, "not_found" },
    { "DELETE", "/v1/admin/users/nobody/sessions", NULL, 404, "not_found" },
    { "POST", "/v1/admin/users", "not json", 400, "bad_request" },
    { "POST", "/v1/admin/users", "{\"username\":\"x1\",\"password\":\"long enough\","
      "\"admin\":true}", 400, "bad_request" },
    { "POST", "/v1/admin/users", "{\"username\":\"no way\",\"password\":\"long enough\"}",
      400, "invalid" },
    { "POST", "/v1/admin/users", "{\"username\":\"x1\",\"password\":\"short\"}", 400, "invalid" },
    { "POST", "/v1/admin/users", "{\"username\":\"x1\",\"password\":\"long enough\","
      "\"role\":\"owner\"}", 400, "invalid" },
    { "POST", "/v1/admin/users", "{\"password\":\"long enough\"}", 400, "invalid" },
    { "GET", "/v1/admin/users?limit=0", NULL, 400, "bad_request" },
    { "GET", "/v1/admin/users?limit=101", NULL, 400, "bad_request" },
    { "GET", "/v1/admin/users?offset=-1", NULL, 400, "bad_request" },
    { "GET", "/v1/admin/users?sort=name", NULL, 400, "bad_request" },
    { "GET", "/v1/admin/audit?actor=", NULL, 400, "bad_request" },
    { "GET", "/v1/admin/sessions?username=not%20a%20name", NULL, 400, "bad_request" },
    { "PUT", "/v1/admin/stats", NULL, 405, "bad_request" },
  };
  g_autoptr(JsonObject) reply = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_error (f, bad[i].method, bad[i].path, f->alice->token, bad[i].body, bad[i].status,
                  bad[i].code);

  /* Nothing was written, the server carries on. */
  confab_test_server_assert_running (f->server);
  g_assert_cmpint (audit_total (f, ""), ==, 0);
  reply = get_ok (f, "/v1/admin/users");
  g_assert_cmpint (json_object_get_int_member (reply, "total"), ==, 3);
  g_clear_pointer (&reply, json_object_unref);
  reply = get_ok (f, "/v1/admin/users/bob");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (reply, "user"),
                                                  "role"), ==, "user");
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

#define ADD(path, func) \
  g_test_add ("/confab/admin/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("forbidden", test_forbidden);
  ADD ("users", test_users);
  ADD ("create-closed", test_create_closed);
  ADD ("patch", test_patch);
  ADD ("disable", test_disable);
  ADD ("last-admin", test_last_admin);
  ADD ("sessions", test_sessions);
  ADD ("stats", test_stats);
  ADD ("audit", test_audit);
  ADD ("bad-input", test_bad_input);

  return confab_test_run ();
}
