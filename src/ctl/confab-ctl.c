/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confabctl"

#include "config.h"

#include "confab-ctl.h"
#include "confab-frame.h"
#include "confab-known-hosts.h"
#include "confab-limits.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* What every command shares: options, the saved session, HTTP with the pinned certificate,
 * and output. The token of `confabctl login` is kept in the Secret Service under its own
 * schema (it is a device of its own, beside the desktop client's), or, where there is no
 * keyring, in a file only its owner may read. */

#define DEFAULT_SERVER "https://localhost:7443"
#define SESSION_GROUP  "session"

static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    "im.confab.Confabctl", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

static char *
config_path (const char *name)
{
  return g_build_filename (g_get_user_config_dir (), "confabctl", name, NULL);
}

static void
free_secret (char *secret)
{
  if (secret != NULL)
    {
      memset (secret, 0, strlen (secret));
      g_free (secret);
    }
}

void
confab_ctl_free (ConfabCtl *ctl)
{
  g_free (ctl->server);
  g_clear_pointer (&ctl->base, g_uri_unref);
  g_free (ctl->server_key);
  g_free (ctl->username);
  free_secret (ctl->token);
  g_clear_object (&ctl->session);
  g_free (ctl->untrusted_fingerprint);
}

/* --- Options ---------------------------------------------------------------------------------- */

static const char *
exit_codes_text (void)
{
  return _("Exit status:\n"
           "  0  success\n"
           "  1  failure (the server failed, a file could not be written)\n"
           "  2  wrong command line\n"
           "  3  not signed in, or the sign-in expired (run “confabctl login”)\n"
           "  4  not allowed: the account is not an administrator\n"
           "  5  no such user\n"
           "  6  conflict: the username is taken, or the last administrator would go\n"
           "  7  a value was refused by the server\n"
           "  8  the server cannot be reached\n"
           "  9  the server’s certificate is not trusted");
}

const ConfabCtlCommand *
confab_ctl_command (const ConfabCtlCommand *table,
                    const char             *name)
{
  for (const ConfabCtlCommand *c = table; c->name != NULL; c++)
    if (g_str_equal (c->name, name))
      return c;
  g_assert_not_reached ();
}

void
confab_ctl_global_entries (GOptionEntry  entries[3],
                           char        **server,
                           gboolean     *json)
{
  const GOptionEntry global[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, server, N_("The server’s URL"), N_("URL") },
    { "json", 0, 0, G_OPTION_ARG_NONE, json, N_("Print JSON, for scripts"), NULL },
    { NULL }
  };

  memcpy (entries, global, sizeof global);
}

gboolean
confab_ctl_parse (ConfabCtl               *ctl,
                  const ConfabCtlCommand  *command,
                  const GOptionEntry      *entries,
                  int                     *argc,
                  char                  ***argv,
                  int                      nargs_min,
                  int                      nargs_max,
                  int                     *exit_code)
{
  g_autofree char *server = NULL;
  gboolean json = FALSE;
  GOptionEntry global[3];
  g_autoptr(GOptionContext) context = g_option_context_new (command->args);
  g_autoptr(GError) error = NULL;
  int nargs;

  confab_ctl_global_entries (global, &server, &json);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _(command->summary));
  g_option_context_set_description (context, exit_codes_text ());
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, global, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("confabctl %s: %s\n", command->name, error->message);
      *exit_code = CONFAB_CTL_EXIT_USAGE;
      return FALSE;
    }
  if (server != NULL)
    {
      g_free (ctl->server);
      ctl->server = g_steal_pointer (&server);
    }
  ctl->json |= json;

  nargs = *argc - 1;
  if (nargs < nargs_min || nargs > nargs_max)
    {
      g_printerr (_("Usage: confabctl %s %s\n"), command->name, command->args);
      g_printerr (_("Run “confabctl %s --help” for more.\n"), command->name);
      *exit_code = CONFAB_CTL_EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

/* --- The saved session ------------------------------------------------------------------------ */

static GKeyFile *
load_session (void)
{
  g_autofree char *path = config_path ("session.conf");
  GKeyFile *keyfile = g_key_file_new ();

  g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, NULL);
  return keyfile;
}

static gboolean
write_private_file (const char  *path,
                    const char  *contents,
                    GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  return g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                   error);
}

static char *
read_token (GKeyFile   *keyfile,
            const char *server_key,
            const char *username)
{
  g_autofree char *store = g_key_file_get_string (keyfile, SESSION_GROUP, "store", NULL);
  g_autoptr(GError) error = NULL;
  char *token = NULL;

  if (g_strcmp0 (store, "keyring") == 0)
    {
      token = secret_password_lookup_sync (token_schema (), NULL, &error, "server", server_key,
                                           "username", username, NULL);
      if (token == NULL && error != NULL)
        g_printerr (_("confabctl: the keyring failed: %s\n"), error->message);
      return token;
    }
  if (g_strcmp0 (store, "file") == 0)
    {
      g_autofree char *path = config_path ("token");

      if (g_file_get_contents (path, &token, NULL, NULL))
        g_strstrip (token);
    }
  return token;
}

int
confab_ctl_session_save (ConfabCtl  *ctl,
                         const char *username,
                         const char *token)
{
  g_autoptr(GKeyFile) keyfile = load_session ();
  g_autofree char *session_path = config_path ("session.conf");
  g_autofree char *token_path = config_path ("token");
  g_autofree char *label = g_strdup_printf ("confabctl: %s@%s", username, ctl->server_key);
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  gboolean in_keyring;

  in_keyring = secret_password_store_sync (token_schema (), SECRET_COLLECTION_DEFAULT, label,
                                           token, NULL, &error, "server", ctl->server_key,
                                           "username", username, NULL);
  if (!in_keyring)
    {
      g_clear_error (&error);
      if (!write_private_file (token_path, token, &error))
        {
          g_printerr (_("confabctl: cannot keep the token: %s\n"), error->message);
          return CONFAB_CTL_EXIT_FAILURE;
        }
    }
  else
    g_unlink (token_path);

  g_key_file_set_string (keyfile, SESSION_GROUP, "server", ctl->server);
  g_key_file_set_string (keyfile, SESSION_GROUP, "username", username);
  g_key_file_set_string (keyfile, SESSION_GROUP, "store", in_keyring ? "keyring" : "file");
  data = g_key_file_to_data (keyfile, NULL, NULL);
  if (!write_private_file (session_path, data, &error))
    {
      g_printerr (_("confabctl: cannot keep the session: %s\n"), error->message);
      return CONFAB_CTL_EXIT_FAILURE;
    }
  return CONFAB_CTL_EXIT_OK;
}

void
confab_ctl_session_forget (ConfabCtl *ctl)
{
  g_autoptr(GKeyFile) keyfile = load_session ();
  g_autofree char *store = g_key_file_get_string (keyfile, SESSION_GROUP, "store", NULL);
  g_autofree char *session_path = config_path ("session.conf");
  g_autofree char *token_path = config_path ("token");

  if (g_strcmp0 (store, "keyring") == 0 && ctl->username != NULL)
    secret_password_clear_sync (token_schema (), NULL, NULL, "server", ctl->server_key,
                                "username", ctl->username, NULL);
  g_unlink (token_path);
  g_unlink (session_path);
}

/* --- HTTP ------------------------------------------------------------------------------------- */

int
confab_ctl_connect (ConfabCtl *ctl,
                    gboolean   need_token)
{
  g_autoptr(GKeyFile) keyfile = load_session ();
  g_autofree char *saved_server = g_key_file_get_string (keyfile, SESSION_GROUP, "server",
                                                         NULL);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  const char *scheme;
  const char *host;

  if (ctl->server == NULL)
    ctl->server = g_strdup (saved_server != NULL ? saved_server : DEFAULT_SERVER);

  uri = g_uri_parse (ctl->server, G_URI_FLAGS_NONE, &error);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  host = uri != NULL ? g_uri_get_host (uri) : NULL;
  if (uri == NULL || host == NULL || *host == '\0'
      || (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0))
    {
      g_printerr (_("confabctl: “%s” is not a server address such as %s\n"), ctl->server,
                  DEFAULT_SERVER);
      return CONFAB_CTL_EXIT_USAGE;
    }
  if (g_str_equal (scheme, "http") && !confab_host_is_loopback (host))
    {
      g_printerr (_("confabctl: unencrypted connections are only allowed to this computer; "
                    "use https:// for “%s”\n"), host);
      return CONFAB_CTL_EXIT_USAGE;
    }

  ctl->base = g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, host,
                           g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : CONFAB_DEFAULT_PORT,
                           "", NULL, NULL);
  ctl->server_key = confab_known_hosts_server_key (uri);
  ctl->session = soup_session_new_with_options ("user-agent", "confabctl/" PACKAGE_VERSION,
                                                "timeout", 30, NULL);

  if (!need_token)
    return CONFAB_CTL_EXIT_OK;

  /* The token belongs to the server it was given by. */
  if (saved_server != NULL)
    {
      g_autoptr(GUri) saved = g_uri_parse (saved_server, G_URI_FLAGS_NONE, NULL);
      g_autofree char *saved_key = saved != NULL ? confab_known_hosts_server_key (saved) : NULL;

      if (g_strcmp0 (saved_key, ctl->server_key) == 0)
        {
          ctl->username = g_key_file_get_string (keyfile, SESSION_GROUP, "username", NULL);
          if (ctl->username != NULL)
            ctl->token = read_token (keyfile, ctl->server_key, ctl->username);
        }
    }
  if (ctl->token == NULL)
    {
      g_printerr (_("confabctl: not signed in to %s; run “confabctl login” first\n"),
                  ctl->server_key);
      return CONFAB_CTL_EXIT_AUTH;
    }
  return CONFAB_CTL_EXIT_OK;
}

/* Called only when the usual checks failed (self-signed, wrong name…): the certificate pinned
 * for this server, as the desktop client pins it, is the only other way in. */
static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       ConfabCtl            *ctl)
{
  ConfabPinCheck check;

  g_clear_pointer (&ctl->untrusted_fingerprint, g_free);
  check = confab_known_hosts_check (ctl->server_key, certificate, &ctl->untrusted_fingerprint);
  ctl->certificate_changed = check == CONFAB_PIN_CHANGED;
  return check == CONFAB_PIN_TRUSTED;
}

static int
exit_code_of_status (guint status)
{
  switch (status)
    {
    case 400:
    case 413:
      return CONFAB_CTL_EXIT_INVALID;
    case 401:
      return CONFAB_CTL_EXIT_AUTH;
    case 403:
      return CONFAB_CTL_EXIT_FORBIDDEN;
    case 404:
      return CONFAB_CTL_EXIT_NOT_FOUND;
    case 409:
      return CONFAB_CTL_EXIT_CONFLICT;
    default:
      return CONFAB_CTL_EXIT_FAILURE;
    }
}

static void
print_certificate_problem (ConfabCtl *ctl)
{
  if (ctl->certificate_changed)
    g_printerr (_("confabctl: the certificate of %s has changed since it was trusted (new "
                  "SHA-256 fingerprint %s). Someone may be intercepting the connection; "
                  "check with the server before trusting it again with “confabctl login "
                  "--trust FINGERPRINT”.\n"), ctl->server_key, ctl->untrusted_fingerprint);
  else
    g_printerr (_("confabctl: the server %s presents a certificate that is not trusted yet "
                  "(SHA-256 fingerprint %s). Compare it with the fingerprint confabd logged "
                  "at its start, then run “confabctl login --trust FINGERPRINT”.\n"),
                ctl->server_key, ctl->untrusted_fingerprint);
}

/* A request to @path with the saved token and the pinned certificate; NULL after printing why
 * (with the exit code in @exit_code). */
static SoupMessage *
new_message (ConfabCtl   *ctl,
             const char  *method,
             const char  *path,
             JsonObject  *body,
             int         *exit_code)
{
  g_autofree char *base = g_uri_to_string (ctl->base);
  g_autofree char *url = g_strconcat (base, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL)
    {
      g_printerr (_("confabctl: “%s” is not a valid address\n"), url);
      *exit_code = CONFAB_CTL_EXIT_USAGE;
      return NULL;
    }
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), ctl);
  if (ctl->token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", ctl->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
    }
  if (body != NULL)
    {
      gsize length;
      char *text = confab_json_object_to_string (body, &length);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, length);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  g_clear_pointer (&ctl->untrusted_fingerprint, g_free);
  return msg;
}

/* The exit code of a request that got no answer, after printing why. */
static int
unanswered (ConfabCtl    *ctl,
            const GError *error)
{
  if (ctl->untrusted_fingerprint != NULL)
    {
      print_certificate_problem (ctl);
      return CONFAB_CTL_EXIT_CERTIFICATE;
    }
  g_printerr (_("confabctl: cannot reach %s: %s\n"), ctl->server_key, error->message);
  return CONFAB_CTL_EXIT_UNREACHABLE;
}

/* The exit code of an answer that is not a success, after printing the server's reason. */
static int
refused (SoupMessage *msg,
         JsonObject  *json)
{
  guint status = soup_message_get_status (msg);
  JsonObject *details = json != NULL ? confab_json_get_object (json, "error") : NULL;

  if (details != NULL && confab_json_get_string (details, "message") != NULL)
    {
      JsonObject *fields = confab_json_get_object (details, "fields");

      g_printerr ("confabctl: %s\n", confab_json_get_string (details, "message"));
      if (fields != NULL)
        {
          JsonObjectIter iter;
          const char *member;
          JsonNode *node;

          json_object_iter_init (&iter, fields);
          while (json_object_iter_next (&iter, &member, &node))
            if (JSON_NODE_HOLDS_VALUE (node))
              g_printerr ("  %s: %s\n", member, json_node_get_string (node));
        }
    }
  else
    g_printerr (_("confabctl: the server answered %u %s\n"), status,
                soup_message_get_reason_phrase (msg));
  if (status == 401)
    g_printerr (_("confabctl: run “confabctl login” to sign in again\n"));
  return exit_code_of_status (status);
}

int
confab_ctl_request (ConfabCtl   *ctl,
                    const char  *method,
                    const char  *path,
                    JsonObject  *body,
                    JsonObject **out)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) json = NULL;
  int exit_code = CONFAB_CTL_EXIT_OK;
  guint status;

  msg = new_message (ctl, method, path, body, &exit_code);
  if (msg == NULL)
    return exit_code;
  answer = soup_session_send_and_read (ctl->session, msg, NULL, &error);
  if (answer == NULL)
    return unanswered (ctl, error);

  status = soup_message_get_status (msg);
  if (g_bytes_get_size (answer) > 0)
    json = confab_frame_parse (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), NULL);
  if (status >= 200 && status < 300)
    {
      if (out != NULL)
        *out = json != NULL ? g_steal_pointer (&json) : json_object_new ();
      return CONFAB_CTL_EXIT_OK;
    }
  return refused (msg, json);
}

int
confab_ctl_download (ConfabCtl  *ctl,
                     const char *path,
                     const char *dest)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GFileOutputStream) output = NULL;
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (dest);
  g_autoptr(GError) error = NULL;
  int exit_code = CONFAB_CTL_EXIT_OK;
  guint status;

  msg = new_message (ctl, "GET", path, NULL, &exit_code);
  if (msg == NULL)
    return exit_code;
  input = soup_session_send (ctl->session, msg, NULL, &error);
  if (input == NULL)
    return unanswered (ctl, error);
  status = soup_message_get_status (msg);
  if (status < 200 || status >= 300)
    {
      g_autoptr(GBytes) answer = g_input_stream_read_bytes (input, 65536, NULL, NULL);
      g_autoptr(JsonObject) json = NULL;

      if (answer != NULL && g_bytes_get_size (answer) > 0)
        json = confab_frame_parse (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                                   NULL);
      return refused (msg, json);
    }

  /* Never over an existing file, and readable by its owner alone. */
  output = g_file_create (file, G_FILE_CREATE_PRIVATE, NULL, &error);
  if (output == NULL
      || g_output_stream_splice (G_OUTPUT_STREAM (output), input,
                                 G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE
                                 | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error) < 0)
    {
      g_printerr (_("confabctl: cannot write %s: %s\n"), dest, error->message);
      if (output != NULL)
        g_file_delete (file, NULL, NULL);
      return CONFAB_CTL_EXIT_FAILURE;
    }
  return CONFAB_CTL_EXIT_OK;
}

/* --- The terminal ----------------------------------------------------------------------------- */

static char *
read_line (FILE *stream)
{
  char *line = NULL;
  size_t size = 0;
  ssize_t length = getline (&line, &size, stream);
  char *result = NULL;

  if (length >= 0)
    {
      while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
        line[--length] = '\0';
      result = g_strdup (line);
    }
  if (line != NULL)
    memset (line, 0, size);
  free (line);
  return result;
}

char *
confab_ctl_read_password (gboolean    from_stdin,
                          const char *prompt)
{
  struct termios saved;
  struct termios quiet;
  char *password;

  if (from_stdin)
    {
      password = read_line (stdin);
      if (password == NULL || *password == '\0')
        {
          g_printerr (_("confabctl: no password on standard input\n"));
          free_secret (password);
          return NULL;
        }
      return password;
    }
  if (!isatty (STDIN_FILENO) || tcgetattr (STDIN_FILENO, &saved) != 0)
    {
      g_printerr (_("confabctl: no terminal to ask the password on; use --password-stdin\n"));
      return NULL;
    }

  g_printerr ("%s", prompt);
  quiet = saved;
  quiet.c_lflag &= ~ECHO;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
  password = read_line (stdin);
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  g_printerr ("\n");
  if (password == NULL || *password == '\0')
    {
      free_secret (password);
      return NULL;
    }
  return password;
}

gboolean
confab_ctl_confirm (const char *question)
{
  g_autofree char *answer = NULL;

  if (!isatty (STDIN_FILENO))
    return FALSE;
  /* TRANSLATORS: the answers are y and n whatever the language */
  g_printerr ("%s %s ", question, _("[y/N]"));
  answer = read_line (stdin);
  return answer != NULL && (answer[0] == 'y' || answer[0] == 'Y');
}

/* --- Output ----------------------------------------------------------------------------------- */

void
confab_ctl_print_json (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *text = json_to_string (node, TRUE);

  g_print ("%s\n", text);
}

char *
confab_ctl_value_text (JsonObject *object,
                       const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("-");
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      g_autoptr(GString) text = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (i > 0)
            g_string_append_c (text, ',');
          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
            g_string_append (text, json_node_get_string (item));
        }
      return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : g_strdup ("-");
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    return confab_json_to_string (node, NULL);
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? _("yes") : _("no"));
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      gint64 value = json_node_get_int (node);

      if (g_str_has_suffix (member, "_ts"))
        {
          g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (value / 1000);
          g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

          if (local != NULL)
            return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
        }
      return g_strdup_printf ("%" G_GINT64_FORMAT, value);
    }
  if (json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return confab_json_to_string (node, NULL);
}

static void
print_padded (const char *text,
              guint       width,
              gboolean    last)
{
  glong length = g_utf8_strlen (text, -1);

  g_print ("%s", text);
  if (!last)
    for (glong i = length; i < (glong) width + 2; i++)
      g_print (" ");
}

void
confab_ctl_print_table (JsonArray          *rows,
                        const char * const *columns,
                        const char * const *headers)
{
  guint n_columns = g_strv_length ((char **) columns);
  guint n_rows = json_array_get_length (rows);
  g_autofree guint *widths = g_new0 (guint, n_columns);
  g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func (g_free);

  for (guint c = 0; c < n_columns; c++)
    widths[c] = g_utf8_strlen (headers[c], -1);
  for (guint r = 0; r < n_rows; r++)
    {
      JsonObject *row = json_array_get_object_element (rows, r);

      for (guint c = 0; c < n_columns; c++)
        {
          char *text = row != NULL ? confab_ctl_value_text (row, columns[c]) : g_strdup ("-");

          /* One line per row, whatever a value holds. */
          g_strdelimit (text, "\n\r\t", ' ');
          widths[c] = MAX (widths[c], (guint) g_utf8_strlen (text, -1));
          g_ptr_array_add (cells, text);
        }
    }

  for (guint c = 0; c < n_columns; c++)
    print_padded (headers[c], widths[c], c + 1 == n_columns);
  g_print ("\n");
  for (guint r = 0; r < n_rows; r++)
    {
      for (guint c = 0; c < n_columns; c++)
        print_padded (g_ptr_array_index (cells, r * n_columns + c), widths[c],
                      c + 1 == n_columns);
      g_print ("\n");
    }
}

/* Prints how much of a paged list was shown, when not all of it. */
static void
print_page_note (JsonObject *reply,
                 const char *member,
                 int         offset)
{
  JsonArray *items = confab_json_get_array (reply, member);
  gint64 total = confab_json_get_int_or (reply, "total", 0);
  guint shown = items != NULL ? json_array_get_length (items) : 0;

  if (shown < total)
    g_print (_("(%u to %u of %u; see --limit and --offset)\n"),
             (guint) (shown > 0 ? offset + 1 : offset), (guint) (offset + shown), (guint) total);
}

int
confab_ctl_list (ConfabCtl          *ctl,
                 const char         *path,
                 const char         *member,
                 const char * const *columns,
                 const char * const *headers,
                 int                 offset)
{
  g_autoptr(JsonObject) reply = NULL;
  int status = confab_ctl_request (ctl, "GET", path, NULL, &reply);

  if (status != CONFAB_CTL_EXIT_OK)
    return status;
  if (ctl->json)
    confab_ctl_print_json (reply);
  else
    {
      confab_ctl_print_table (confab_json_get_array (reply, member), columns, headers);
      print_page_note (reply, member, offset);
    }
  return CONFAB_CTL_EXIT_OK;
}

void
confab_ctl_print_fields (JsonObject         *object,
                         const char * const *fields,
                         const char * const *labels)
{
  guint width = 0;

  for (guint i = 0; fields[i] != NULL; i++)
    width = MAX (width, (guint) g_utf8_strlen (labels[i], -1));
  for (guint i = 0; fields[i] != NULL; i++)
    {
      g_autofree char *text = confab_ctl_value_text (object, fields[i]);

      g_print ("%s:", labels[i]);
      for (guint j = g_utf8_strlen (labels[i], -1); j < width + 1; j++)
        g_print (" ");
      g_print ("%s\n", text);
    }
}

void
confab_ctl_add_param (GString    *query,
                      const char *name,
                      const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (query, "%c%s=%s", strchr (query->str, '?') != NULL ? '&' : '?', name,
                          escaped);
}

void
confab_ctl_add_page (GString *query,
                     int      limit,
                     int      offset)
{
  g_autofree char *limit_text = limit != 0 ? g_strdup_printf ("%d", limit) : NULL;
  g_autofree char *offset_text = offset != 0 ? g_strdup_printf ("%d", offset) : NULL;

  confab_ctl_add_param (query, "limit", limit_text);
  confab_ctl_add_param (query, "offset", offset_text);
}

char *
confab_ctl_escape (const char *value)
{
  return g_uri_escape_string (value, NULL, FALSE);
}
