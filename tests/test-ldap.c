/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "confab-error.h"
#include "confab-ldap-client.h"
#include "confab-ldap-filter.h"
#include "confab-test-util.h"

#include <glib/gstdio.h>
#include <ldap.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Accounts from the company directory, against a real OpenLDAP slapd that each test starts on
 * free loopback ports with a temporary database of users (departments, titles), a TLS
 * certificate made for the test, and the real confabd: signing in with the directory password
 * (StartTLS, ldaps://), a wrong password, a directory without StartTLS, an unreachable
 * directory beside a local administrator, a user removed from the directory (disabled by the
 * sync, connection closed with 4401, login refused), no password change for directory users,
 * and a filter injection in the username. */

#define T CONFAB_TEST_TIMEOUT_MS

#define FAST_HASHING "[security]\nargon2_opslimit=1\nargon2_memlimit_kib=8\n"
#define SUFFIX       "dc=example,dc=com"
#define PEOPLE       "ou=people," SUFFIX
#define ROOT_DN      "cn=admin," SUFFIX
#define ROOT_PW      "admin-secret"
#define SERVICE_DN   "cn=confab," SUFFIX
#define SERVICE_PW   "service-secret"
#define ALICE_PW     "alice-directory-pw"
#define BOB_PW       "bob-directory-pw"
#define SLAPD        "/usr/sbin/slapd"

/* --- slapd ------------------------------------------------------------------------------------ */

typedef struct
{
  char        *dir;
  char        *conf;
  char        *ca_file;
  guint16      port;
  guint16      tls_port;
  char        *url;        /* ldap:// */
  char        *ldaps_url;  /* ldaps://, with TLS only */
  GSubprocess *process;
  GPid         pid;
  gboolean     exited;
} Slapd;

static const char ldif[] =
  "dn: " SUFFIX "\n"
  "objectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n"
  "dn: " PEOPLE "\n"
  "objectClass: organizationalUnit\nou: people\n\n"
  "dn: " SERVICE_DN "\n"
  "objectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: confab\n"
  "userPassword: " SERVICE_PW "\n\n"
  "dn: uid=alice," PEOPLE "\n"
  "objectClass: inetOrgPerson\nuid: alice\ncn: Alice Liddell\nsn: Liddell\n"
  "mail: alice@example.com\ntelephoneNumber: +380 44 555 0100\n"
  "departmentNumber: Engineering\ntitle: Staff Engineer\nl: Kyiv\n"
  "userPassword: " ALICE_PW "\n\n"
  "dn: uid=bob," PEOPLE "\n"
  "objectClass: inetOrgPerson\nuid: bob\ncn: Bob Marley\nsn: Marley\n"
  "mail: bob@example.com\ndepartmentNumber: Sales\ntitle: Account Manager\nl: Lviv\n"
  "userPassword: " BOB_PW "\n\n"
  /* Not a Confab username: never an account. */
  "dn: uid=Not A Name," PEOPLE "\n"
  "objectClass: inetOrgPerson\nuid: Not A Name\ncn: Nobody\nsn: Nobody\n"
  "userPassword: nobody-directory-pw\n";

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", argv[0], out, err);
}

/* A self-signed certificate for 127.0.0.1. */
static void
make_certificate_at (const char *cert,
                     const char *key)
{
  const char *argv[] = {
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", key, "-out", cert, NULL
  };

  run (argv);
}

static void
process_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Slapd *slapd = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  slapd->exited = TRUE;
}

static void
child_setup (gpointer user_data)
{
  /* Its own process group, which the test stops as a whole. */
  setpgid (0, 0);
}

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
port_open (guint16 port)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return connection != NULL;
}

static gboolean
slapd_ready (gpointer user_data)
{
  Slapd *slapd = user_data;

  return slapd->exited
         || (port_open (slapd->port) && (slapd->tls_port == 0 || port_open (slapd->tls_port)));
}

/* A slapd with the test users; with @tls, a certificate for StartTLS and an ldaps:// port. */
static Slapd *
slapd_start (gboolean tls)
{
  Slapd *slapd = g_new0 (Slapd, 1);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GString) conf = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;
  g_autofree char *ldif_path = NULL;
  g_autofree char *urls = NULL;
  g_autofree char *log = NULL;
  guint tick;

  if (!g_file_test (SLAPD, G_FILE_TEST_IS_EXECUTABLE))
    g_error (SLAPD " is missing: install slapd (.ci/install-deps)");

  slapd->dir = confab_test_make_dir ("slapd");
  slapd->conf = g_build_filename (slapd->dir, "slapd.conf", NULL);
  slapd->ca_file = g_build_filename (slapd->dir, "cert.pem", NULL);
  db = g_build_filename (slapd->dir, "db", NULL);
  ldif_path = g_build_filename (slapd->dir, "users.ldif", NULL);
  log = g_build_filename (slapd->dir, "slapd.log", NULL);
  g_assert_cmpint (g_mkdir (db, 0700), ==, 0);

  g_string_append (conf,
                   "include /etc/ldap/schema/core.schema\n"
                   "include /etc/ldap/schema/cosine.schema\n"
                   "include /etc/ldap/schema/inetorgperson.schema\n"
                   "modulepath /usr/lib/ldap\n"
                   "moduleload back_mdb\n");
  g_string_append_printf (conf, "pidfile %s/slapd.pid\nargsfile %s/slapd.args\n", slapd->dir,
                          slapd->dir);
  if (tls)
    {
      g_autofree char *key = g_build_filename (slapd->dir, "key.pem", NULL);

      make_certificate_at (slapd->ca_file, key);
      g_string_append_printf (conf, "TLSCertificateFile %s\nTLSCertificateKeyFile %s/key.pem\n",
                              slapd->ca_file, slapd->dir);
    }
  g_string_append_printf (conf,
                          "database mdb\nmaxsize 10485760\nsuffix \"" SUFFIX "\"\n"
                          "rootdn \"" ROOT_DN "\"\nrootpw " ROOT_PW "\ndirectory %s\n"
                          /* At most 2 entries per search for the service account, but any
                           * number in pages: the sync must page (RFC 2696) to see all 3. */
                          "limits dn.exact=\"" SERVICE_DN "\" size.soft=2 size.hard=2"
                          " size.prtotal=unlimited\n"
                          /* Passwords are for binding only; only the service account reads
                           * the people (no anonymous search). */
                          "access to attrs=userPassword by anonymous auth by * none\n"
                          "access to * by dn.exact=\"" SERVICE_DN "\" read by self read"
                          " by * none\n", db);
  g_assert_true (g_file_set_contents (slapd->conf, conf->str, -1, NULL));
  g_assert_true (g_file_set_contents (ldif_path, ldif, -1, NULL));
  {
    const char *argv[] = { "/usr/sbin/slapadd", "-q", "-f", slapd->conf, "-l", ldif_path, NULL };

    run (argv);
  }

  slapd->port = free_port ();
  slapd->url = g_strdup_printf ("ldap://127.0.0.1:%u", slapd->port);
  if (tls)
    {
      slapd->tls_port = free_port ();
      slapd->ldaps_url = g_strdup_printf ("ldaps://127.0.0.1:%u", slapd->tls_port);
      urls = g_strdup_printf ("%s/ %s/", slapd->url, slapd->ldaps_url);
    }
  else
    urls = g_strdup_printf ("%s/", slapd->url);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  /* -d 0: in the foreground, so that the test owns the process. */
  slapd->process = g_subprocess_launcher_spawn (launcher, &error, SLAPD, "-d", "0", "-f",
                                                slapd->conf, "-h", urls, NULL);
  g_assert_no_error (error);
  slapd->pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (slapd->process), NULL, 10);
  g_subprocess_wait_async (slapd->process, NULL, process_exited_cb, slapd);

  tick = g_timeout_add (50, tick_cb, NULL);
  g_assert_true (confab_test_wait_until (slapd_ready, slapd, T));
  g_source_remove (tick);
  if (slapd->exited)
    {
      g_autofree char *text = NULL;

      g_file_get_contents (log, &text, NULL, NULL);
      g_error ("slapd stopped at start: %s", text);
    }
  return slapd;
}

static void
slapd_stop (Slapd *slapd)
{
  if (slapd == NULL)
    return;
  if (!slapd->exited)
    {
      kill (-slapd->pid, SIGTERM);
      if (!confab_test_wait_flag (&slapd->exited, T))
        {
          kill (-slapd->pid, SIGKILL);
          g_assert_true (confab_test_wait_flag (&slapd->exited, T));
        }
    }
  g_clear_object (&slapd->process);
  g_free (slapd->dir);
  g_free (slapd->conf);
  g_free (slapd->ca_file);
  g_free (slapd->url);
  g_free (slapd->ldaps_url);
  g_free (slapd);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Slapd, slapd_stop)

/* The directory's administrator, as the company changes its directory. */
static LDAP *
slapd_admin (Slapd *slapd)
{
  struct berval cred = { strlen (ROOT_PW), (char *) ROOT_PW };
  int version = LDAP_VERSION3;
  LDAP *ld = NULL;

  g_assert_cmpint (ldap_initialize (&ld, slapd->url), ==, LDAP_SUCCESS);
  ldap_set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  g_assert_cmpint (ldap_sasl_bind_s (ld, ROOT_DN, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL), ==,
                   LDAP_SUCCESS);
  return ld;
}

static void
slapd_delete (Slapd      *slapd,
              const char *dn)
{
  LDAP *ld = slapd_admin (slapd);

  g_assert_cmpint (ldap_delete_ext_s (ld, dn, NULL, NULL), ==, LDAP_SUCCESS);
  ldap_unbind_ext_s (ld, NULL, NULL);
}

static void
slapd_replace (Slapd      *slapd,
               const char *dn,
               const char *attr,
               const char *value)
{
  LDAP *ld = slapd_admin (slapd);
  char *values[] = { (char *) value, NULL };
  LDAPMod mod = { LDAP_MOD_REPLACE, (char *) attr, { values } };
  LDAPMod *mods[] = { &mod, NULL };

  g_assert_cmpint (ldap_modify_ext_s (ld, dn, mods, NULL, NULL), ==, LDAP_SUCCESS);
  ldap_unbind_ext_s (ld, NULL, NULL);
}

/* --- confabd ---------------------------------------------------------------------------------- */

/* confabd.conf with [ldap] for @url (StartTLS as @starttls says) and the sync every
 * @sync_interval_s seconds (0: never). */
static char *
config_for (Slapd      *slapd,
            const char *url,
            gboolean    starttls,
            guint       sync_interval_s)
{
  return g_strdup_printf (FAST_HASHING
                          "[ldap]\n"
                          "url=%s\n"
                          "starttls=%s\n"
                          "bind_dn=" SERVICE_DN "\n"
                          "bind_password=" SERVICE_PW "\n"
                          "base_dn=" PEOPLE "\n"
                          "user_filter=(&(objectClass=inetOrgPerson)(uid=%%s))\n"
                          "%s%s%s"
                          "sync_interval_s=%u\n"
                          "timeout_s=5\n",
                          url, starttls ? "true" : "false",
                          slapd->ca_file != NULL ? "ca_file=" : "",
                          slapd->ca_file != NULL ? slapd->ca_file : "",
                          slapd->ca_file != NULL ? "\n" : "", sync_interval_s);
}

static guint
login (ConfabTestServer  *server,
       const char        *username,
       const char        *password,
       JsonObject       **out)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  json_object_set_string_member (body, "device_name", "test device");
  text = confab_test_to_string (body);
  return confab_test_http (server, "POST", "/v1/login", NULL, text, out, NULL);
}

typedef struct
{
  ConfabTestServer *server;
  const char       *sql;
  gint64            expected;
} DbWait;

static gboolean
db_reached (gpointer user_data)
{
  DbWait *wait = user_data;

  return confab_test_server_db_int (wait->server, wait->sql) == wait->expected;
}

/* Waits, within the test's deadline, for @sql to give @expected (the sync runs on its own). */
static gboolean
wait_db (ConfabTestServer *server,
         const char       *sql,
         gint64            expected)
{
  DbWait wait = { server, sql, expected };
  guint tick = g_timeout_add (100, tick_cb, NULL);
  gboolean reached = confab_test_wait_until (db_reached, &wait, T);

  g_source_remove (tick);
  return reached;
}

static const char *
error_reason (JsonObject *json)
{
  JsonObject *error = json != NULL ? json_object_get_object_member (json, "error") : NULL;

  return error != NULL ? json_object_get_string_member_with_default (error, "reason", NULL)
                       : NULL;
}

static void
assert_member (JsonObject *object,
               const char *name,
               const char *value)
{
  g_assert_cmpstr (json_object_get_string_member_with_default (object, name, NULL), ==, value);
}

static void
assert_alice (JsonObject *user)
{
  assert_member (user, "username", "alice");
  assert_member (user, "display_name", "Alice Liddell");
  assert_member (user, "email", "alice@example.com");
  assert_member (user, "phone", "+380 44 555 0100");
  assert_member (user, "department", "Engineering");
  assert_member (user, "title", "Staff Engineer");
  assert_member (user, "location", "Kyiv");
  assert_member (user, "role", "user");
}

/* --- Tests ------------------------------------------------------------------------------------ */

/* Sign-in over StartTLS makes the account from the directory; a second sign-in brings it up to
 * date with the directory; the account is recorded as the directory's. */
static void
test_sign_in (void)
{
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autofree char *config = config_for (slapd, slapd->url, TRUE, 0);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autoptr(ConfabTestClient) client = NULL;
  JsonObject *hello_user;

  g_assert_cmpuint (login (server, "alice", ALICE_PW, &reply), ==, 200);
  assert_alice (json_object_get_object_member (reply, "user"));
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM ldap_accounts"
                                              " WHERE username = 'alice'"
                                              " AND dn = 'uid=alice," PEOPLE "'"), ==, 1);
  /* No local password: the stored one verifies nothing. */
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users WHERE"
                                              " username = 'alice'"
                                              " AND password_hash LIKE '$argon2%'"), ==, 0);

  /* The token works as any other. */
  client = confab_test_client_new (server,
                                   json_object_get_string_member (reply, "token"), 0);
  hello_user = json_object_get_object_member (confab_test_client_get_hello (client), "user");
  assert_member (hello_user, "department", "Engineering");

  /* The company gives Alice a new title; her next sign-in brings it. */
  slapd_replace (slapd, "uid=alice," PEOPLE, "title", "Principal Engineer");
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &again), ==, 200);
  assert_member (json_object_get_object_member (again, "user"), "title", "Principal Engineer");
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users"), ==, 1);

  /* The username is a Confab username: upper case is folded as everywhere. */
  g_clear_pointer (&again, json_object_unref);
  g_assert_cmpuint (login (server, "ALICE", ALICE_PW, &again), ==, 200);
  assert_member (json_object_get_object_member (again, "user"), "username", "alice");
}

/* ldaps://: TLS from the first byte, the certificate checked against ca_file; the service
 * account's password from bind_password_file. */
static void
test_ldaps (void)
{
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autofree char *config = config_for (slapd, slapd->ldaps_url, FALSE, 0);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) untrusted = NULL;
  g_autoptr(JsonObject) from_file = NULL;
  g_autofree char *conf_dir = g_path_get_dirname (confab_test_server_get_data_dir (server));
  g_autofree char *password_file = g_build_filename (conf_dir, "ldap-password", NULL);
  g_autofree char *file_config = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *other_dir = confab_test_make_dir ("other-ca");
  g_autofree char *other_ca = g_build_filename (other_dir, "cert.pem", NULL);
  g_autofree char *other_key = g_build_filename (other_dir, "key.pem", NULL);
  g_autofree char *other_config = NULL;
  g_autofree char *saved_ca = NULL;

  g_assert_cmpuint (login (server, "alice", ALICE_PW, &reply), ==, 200);
  assert_alice (json_object_get_object_member (reply, "user"));

  /* A directory whose certificate ca_file does not vouch for is not trusted with passwords. */
  make_certificate_at (other_ca, other_key);
  saved_ca = g_steal_pointer (&slapd->ca_file);
  slapd->ca_file = g_strdup (other_ca);
  other_config = config_for (slapd, slapd->ldaps_url, FALSE, 0);
  confab_test_server_set_config (server, other_config);
  confab_test_server_restart (server);
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &untrusted), ==, 503);
  g_assert_cmpstr (error_reason (untrusted), ==, "directory_unavailable");
  g_free (slapd->ca_file);
  slapd->ca_file = g_steal_pointer (&saved_ca);

  /* The service account's password from a file named relative to confabd.conf (its one line;
   * the line feed is not part of it). */
  g_assert_true (g_file_set_contents (password_file, SERVICE_PW "\n", -1, NULL));
  parts = g_strsplit (config, "bind_password=" SERVICE_PW "\n", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  file_config = g_strjoinv ("bind_password_file=ldap-password\n", parts);
  confab_test_server_set_config (server, file_config);
  confab_test_server_restart (server);
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &from_file), ==, 200);
}

static void
test_wrong_password (void)
{
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autofree char *config = config_for (slapd, slapd->url, TRUE, 0);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(JsonObject) wrong = NULL;
  g_autoptr(JsonObject) unknown = NULL;
  g_autoptr(JsonObject) other = NULL;

  g_assert_cmpuint (login (server, "alice", "not-her-password", &wrong), ==, 401);
  g_assert_cmpstr (confab_test_error_code (wrong), ==, "unauthorized");
  /* Nobody of that name: the same answer. */
  g_assert_cmpuint (login (server, "mallory", "any-password", &unknown), ==, 401);
  g_assert_cmpstr (confab_test_error_code (unknown), ==, "unauthorized");
  /* Bob's password is not Alice's. */
  g_assert_cmpuint (login (server, "alice", BOB_PW, &other), ==, 401);
  /* Nothing was made of the refusals. */
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users"), ==, 0);
}

/* starttls=true against a directory that offers no TLS: refused, nothing sent in the clear. */
static void
test_starttls_refused (void)
{
  g_autoptr(Slapd) slapd = slapd_start (FALSE);
  g_autofree char *config = NULL;
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *ca_dir = confab_test_make_dir ("ca");

  /* Any certificate will do for ca_file: the directory never shows one. */
  slapd->ca_file = g_build_filename (ca_dir, "cert.pem", NULL);
  {
    g_autofree char *key = g_build_filename (ca_dir, "key.pem", NULL);

    make_certificate_at (slapd->ca_file, key);
  }
  config = config_for (slapd, slapd->url, TRUE, 0);
  server = confab_test_server_new (NULL, config);

  g_assert_cmpuint (login (server, "alice", ALICE_PW, &reply), ==, 503);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "unavailable");
  g_assert_cmpstr (error_reason (reply), ==, "directory_unavailable");
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users"), ==, 0);
}

/* The directory is down: its users get a clear error; the local administrator signs in. A
 * username that is not a Confab username is refused before any directory call (it gets 401,
 * where a directory call would have answered 503). */
static void
test_unreachable (void)
{
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autoptr(Slapd) back = NULL;
  g_autofree char *back_config = NULL;
  g_autofree char *config = NULL;
  g_autoptr(ConfabTestServer) server = NULL;
  g_autoptr(ConfabTestUser) admin = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) injected = NULL;
  g_autoptr(JsonObject) again = NULL;
  g_autofree char *token = NULL;

  config = config_for (slapd, slapd->url, TRUE, 0);
  server = confab_test_server_new (NULL, config);
  /* The first, local account: the administrator. */
  admin = confab_test_user_new (server, "admin");

  /* The directory goes away. */
  kill (-slapd->pid, SIGTERM);
  g_assert_true (confab_test_wait_flag (&slapd->exited, T));

  g_assert_cmpuint (login (server, "alice", ALICE_PW, &reply), ==, 503);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "unavailable");
  g_assert_cmpstr (error_reason (reply), ==, "directory_unavailable");
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_object_get_object_member (reply, "error"), "message"),
                            "directory"));

  token = confab_test_login (server, "admin", admin->password, NULL);
  g_assert_nonnull (token);

  g_assert_cmpuint (login (server, "*)(uid=*", "anything-at-all", &injected), ==, 401);
  g_assert_cmpstr (confab_test_error_code (injected), ==, "unauthorized");

  /* A directory is back (a new one, on other ports): so is sign-in. */
  back = slapd_start (TRUE);
  back_config = config_for (back, back->url, TRUE, 0);
  confab_test_server_set_config (server, back_config);
  confab_test_server_restart (server);
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &again), ==, 200);
}

/* Removed from the directory: the sync disables the account, closes its connection with 4401,
 * revokes its tokens, and sign-in is refused. The sync also makes the accounts of users who
 * never signed in, with their directory fields. */
static void
test_removed (void)
{
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autofree char *config = config_for (slapd, slapd->url, TRUE, 1);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(ConfabTestUser) admin = NULL;
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) audit = NULL;
  const char *token;

  admin = confab_test_user_new (server, "admin");
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &reply), ==, 200);
  token = json_object_get_string_member (reply, "token");
  client = confab_test_client_new (server, token, 0);

  /* Bob never signed in; the sync made his account, with his directory fields. */
  g_assert_true (wait_db (server, "SELECT count(*) FROM users WHERE username = 'bob'"
                          " AND department = 'Sales' AND title = 'Account Manager'"
                          " AND location = 'Lviv' AND display_name = 'Bob Marley'", 1));
  /* Not a Confab username: no account. */
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users"), ==, 3);

  slapd_delete (slapd, "uid=alice," PEOPLE);

  g_assert_true (confab_test_client_wait_closed (client, T));
  g_assert_cmpuint (confab_test_client_get_close_code (client), ==, 4401);
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT disabled FROM users"
                                              " WHERE username = 'alice'"), ==, 1);
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM devices WHERE"
                                              " username = 'alice' AND revoked = 0"), ==, 0);
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &refused), ==, 401);
  /* The token is gone too. */
  g_assert_cmpuint (confab_test_http (server, "GET", "/v1/admin/stats", token, NULL, NULL, NULL),
                    ==, 401);

  /* The audit log says who did it: the directory. */
  g_assert_cmpuint (confab_test_http (server, "GET",
                                      "/v1/admin/audit?action=directory_disable", admin->token,
                                      NULL, &audit, NULL), ==, 200);
  g_assert_cmpint (json_object_get_int_member (audit, "total"), ==, 1);

  /* Bob, still listed, signs in. */
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (login (server, "bob", BOB_PW, &reply), ==, 200);
  confab_test_server_assert_running (server);
}

/* Disabled in the directory (and the first local account, made after the directory's, is the
 * administrator): with a user filter that leaves disabled people out (as
 * Active Directory's userAccountControl filter does; employeeType here), the sync disables
 * the account and closes its connection with 4401; enabled in the directory again, the next
 * sync enables it again. */
static void
test_disabled_in_directory (void)
{
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autofree char *plain_config = config_for (slapd, slapd->url, TRUE, 1);
  g_auto(GStrv) parts = g_strsplit (plain_config, "(uid=%s))", 2);
  g_autofree char *config = g_strjoinv ("(uid=%s)(!(employeeType=disabled)))", parts);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(ConfabTestUser) admin = NULL;
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) refused = NULL;
  g_autoptr(JsonObject) back = NULL;

  g_assert_nonnull (strstr (config, "(!(employeeType=disabled))"));
  /* The sync at start makes the directory's accounts; the first local account still becomes
   * the administrator. */
  g_assert_true (wait_db (server, "SELECT count(*) FROM ldap_accounts", 2));
  admin = confab_test_user_new (server, "admin");
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users"
                                              " WHERE role = 'admin'"), ==, 1);
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users"
                                              " WHERE username = 'admin' AND role = 'admin'"),
                   ==, 1);
  g_assert_cmpuint (login (server, "bob", BOB_PW, &reply), ==, 200);
  client = confab_test_client_new (server, json_object_get_string_member (reply, "token"), 0);

  slapd_replace (slapd, "uid=bob," PEOPLE, "employeeType", "disabled");
  g_assert_true (confab_test_client_wait_closed (client, T));
  g_assert_cmpuint (confab_test_client_get_close_code (client), ==, 4401);
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT disabled FROM users"
                                              " WHERE username = 'bob'"), ==, 1);
  g_assert_cmpuint (login (server, "bob", BOB_PW, &refused), ==, 401);
  /* Alice, not disabled, is untouched. */
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT disabled FROM users"
                                              " WHERE username = 'alice'"), ==, 0);

  slapd_replace (slapd, "uid=bob," PEOPLE, "employeeType", "staff");
  g_assert_true (wait_db (server, "SELECT disabled FROM users WHERE username = 'bob'", 0));
  g_assert_cmpuint (login (server, "bob", BOB_PW, &back), ==, 200);
}

/* A directory user's password is the directory's: password_change is refused with a reason,
 * and so is an administrator's password reset. */
static void
test_password_change (void)
{
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autofree char *config = config_for (slapd, slapd->url, TRUE, 0);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(ConfabTestUser) local = NULL;
  g_autoptr(ConfabTestClient) client = NULL;
  g_autoptr(ConfabTestClient) local_client = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) response = NULL;
  JsonObject *error;

  local = confab_test_user_new (server, "admin");
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &reply), ==, 200);
  client = confab_test_client_new (server, json_object_get_string_member (reply, "token"), 0);

  response = confab_test_client_call (client, "password_change",
                                      "{\"old\":\"" ALICE_PW "\",\"new\":\"a-new-password\"}");
  confab_test_assert_error (response, "forbidden");
  error = json_object_get_object_member (response, "error");
  assert_member (error, "reason", "directory_account");
  /* The directory password still works, the new one does not. */
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (login (server, "alice", ALICE_PW, &reply), ==, 200);
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (login (server, "alice", "a-new-password", &reply), ==, 401);

  /* Nor does an administrator set one for her; her sessions stay. */
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (confab_test_http (server, "PATCH", "/v1/admin/users/alice", local->token,
                                      "{\"password\":\"set-by-the-admin\"}", &reply, NULL),
                    ==, 409);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "conflict");
  g_assert_true (confab_test_client_is_open (client));
  g_clear_pointer (&reply, json_object_unref);
  g_assert_cmpuint (login (server, "alice", "set-by-the-admin", &reply), ==, 401);

  /* A local account beside it changes its password as ever. */
  local_client = confab_test_client_new (server, local->token, 0);
  confab_test_client_call_ok (local_client, "password_change",
                              "{\"old\":\"%s\",\"new\":\"a-new-password\"}", local->password);
}

/* `*)(uid=*` as a username: refused by confabd (not a username), refused by the client
 * functions before any LDAP call, and escaped into a filter that matches nobody. */
static void
test_filter_injection (void)
{
  static const char template[] = "(&(objectClass=inetOrgPerson)(uid=%s))";
  g_autoptr(Slapd) slapd = slapd_start (TRUE);
  g_autofree char *config = config_for (slapd, slapd->url, TRUE, 0);
  g_autoptr(ConfabTestServer) server = confab_test_server_new (NULL, config);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *escaped = NULL;
  ConfabLdapConfig ldap = { 0 };
  LDAP *ld;
  LDAPMessage *res = NULL;

  g_assert_cmpuint (login (server, "*)(uid=*", ALICE_PW, &reply), ==, 401);
  g_assert_cmpstr (confab_test_error_code (reply), ==, "unauthorized");
  g_assert_cmpint (confab_test_server_db_int (server, "SELECT count(*) FROM users"), ==, 0);

  /* The escaping. */
  filter = confab_ldap_filter_build (template, "*)(uid=*", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (filter, ==, "(&(objectClass=inetOrgPerson)(uid=\\2a\\29\\28uid=\\2a))");
  escaped = confab_ldap_filter_escape ("a\\b\0c", 5);
  g_assert_cmpstr (escaped, ==, "a\\5cb\\00c");

  /* The escaped filter finds nobody in the real directory; unescaped, it would find all. */
  ld = slapd_admin (slapd);
  g_assert_cmpint (ldap_search_ext_s (ld, PEOPLE, LDAP_SCOPE_SUBTREE, filter, NULL, 0, NULL,
                                      NULL, NULL, 0, &res), ==, LDAP_SUCCESS);
  g_assert_cmpint (ldap_count_entries (ld, res), ==, 0);
  ldap_msgfree (res);
  ldap_unbind_ext_s (ld, NULL, NULL);

  /* The client refuses it without a connection: the directory URL leads nowhere. */
  ldap.url = (char *) "ldap://127.0.0.1:1";
  ldap.user_filter = (char *) template;
  ldap.base_dn = (char *) PEOPLE;
  ldap.timeout_s = 1;
  g_clear_error (&error);
  g_assert_null (confab_ldap_client_authenticate (&ldap, "*)(uid=*", ALICE_PW, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED);
  /* A valid name does try the directory, and finds it unreachable. */
  g_clear_error (&error);
  g_assert_null (confab_ldap_client_authenticate (&ldap, "alice", ALICE_PW, &error));
  g_assert_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAVAILABLE);
}

/* A wrong [ldap] section stops confabd at start, naming what is wrong. */
static void
test_config_checked (void)
{
  static const char * const bad[] = {
    "[ldap]\nbase_dn=" PEOPLE "\n",
    "[ldap]\nurl=http://127.0.0.1\nbase_dn=" PEOPLE "\n",
    "[ldap]\nurl=ldap://ldap.example.com\nstarttls=false\nbase_dn=" PEOPLE "\n",
    "[ldap]\nurl=ldap://127.0.0.1\n",
    "[ldap]\nurl=ldap://127.0.0.1\nbase_dn=" PEOPLE "\nuser_filter=uid=%s\n",
    "[ldap]\nurl=ldap://127.0.0.1\nbase_dn=" PEOPLE "\nuser_filter=(uid=%s))(x=*\n",
    "[ldap]\nurl=ldap://127.0.0.1\nbase_dn=" PEOPLE "\nuser_filter=(uid=alice)\n",
    "[ldap]\nurl=ldap://127.0.0.1\nbase_dn=" PEOPLE "\nbind_dn=cn=x\n",
    "[ldap]\nurl=ldap://127.0.0.1\nbase_dn=" PEOPLE "\nca_file=/nonexistent/ca.pem\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *dir = confab_test_make_dir ("bad-ldap");
      g_autofree char *conf = g_build_filename (dir, "confabd.conf", NULL);
      g_autofree char *err = NULL;
      const char *argv[] = { g_getenv ("CONFABD"), "--data-dir", dir, "--plain", "--listen",
                             "127.0.0.1:0", "--config", conf, NULL };
      int status = -1;

      g_assert_true (g_file_set_contents (conf, bad[i], -1, NULL));
      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                   NULL, NULL, &err, &status, NULL));
      g_test_message ("%s -> %s", bad[i], err);
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 2);
      g_assert_nonnull (strstr (err, "[ldap]"));
    }
}

int
main (int   argc,
      char *argv[])
{
  confab_test_init (&argc, &argv);

  g_test_add_func ("/confab/ldap/sign-in", test_sign_in);
  g_test_add_func ("/confab/ldap/ldaps", test_ldaps);
  g_test_add_func ("/confab/ldap/wrong-password", test_wrong_password);
  g_test_add_func ("/confab/ldap/starttls-refused", test_starttls_refused);
  g_test_add_func ("/confab/ldap/unreachable", test_unreachable);
  g_test_add_func ("/confab/ldap/removed", test_removed);
  g_test_add_func ("/confab/ldap/disabled-in-directory", test_disabled_in_directory);
  g_test_add_func ("/confab/ldap/password-change", test_password_change);
  g_test_add_func ("/confab/ldap/filter-injection", test_filter_injection);
  g_test_add_func ("/confab/ldap/config-checked", test_config_checked);

  return confab_test_run ();
}
