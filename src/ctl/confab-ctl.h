/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "confab-frame.h"

G_BEGIN_DECLS

/* confabctl's exit codes, documented in its --help and man page: scripts rely on them. */
typedef enum
{
  CONFAB_CTL_EXIT_OK          = 0,
  CONFAB_CTL_EXIT_FAILURE     = 1,  /* the server failed, a file could not be written */
  CONFAB_CTL_EXIT_USAGE       = 2,  /* a wrong command line */
  CONFAB_CTL_EXIT_AUTH        = 3,  /* not signed in, or the token is no longer valid */
  CONFAB_CTL_EXIT_FORBIDDEN   = 4,  /* signed in, but not as an administrator */
  CONFAB_CTL_EXIT_NOT_FOUND   = 5,  /* no such user */
  CONFAB_CTL_EXIT_CONFLICT    = 6,  /* taken, or the last administrator */
  CONFAB_CTL_EXIT_INVALID     = 7,  /* the server refused a value */
  CONFAB_CTL_EXIT_UNREACHABLE = 8,  /* no answer from the server */
  CONFAB_CTL_EXIT_CERTIFICATE = 9,  /* the server's certificate is not trusted */
} ConfabCtlExit;

typedef struct
{
  /* Global options. */
  char        *server;       /* the server's URL, NULL until resolved */
  gboolean     json;
  /* Resolved by confab_ctl_connect (). */
  GUri        *base;
  char        *server_key;   /* "host:port", the key of known-hosts and the keyring */
  char        *username;     /* signed in as, from the saved session */
  char        *token;
  SoupSession *session;
  /* The certificate of the last request, when it was refused. */
  char        *untrusted_fingerprint;
  gboolean     certificate_changed;
} ConfabCtl;

/* One command: runs with the arguments left after its options; returns a ConfabCtlExit. */
typedef int (*ConfabCtlCommandFunc) (ConfabCtl  *ctl,
                                     int         argc,
                                     char      **argv);

typedef struct
{
  const char           *name;         /* "users list" */
  const char           *args;         /* the parameters shown by --help, untranslated */
  const char           *summary;      /* marked for translation */
  ConfabCtlCommandFunc  func;
} ConfabCtlCommand;

extern const ConfabCtlCommand confab_ctl_account_commands[];
extern const ConfabCtlCommand confab_ctl_users_commands[];
extern const ConfabCtlCommand confab_ctl_server_commands[];

void        confab_ctl_free            (ConfabCtl          *ctl);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ConfabCtl, confab_ctl_free)

/* The command called @name in @table (it must be there). */
const ConfabCtlCommand *confab_ctl_command (const ConfabCtlCommand *table,
                                            const char             *name);
/* The global options (--server, --json) into @entries, a NULL-terminated list of 2. */
void        confab_ctl_global_entries  (GOptionEntry        entries[3],
                                        char              **server,
                                        gboolean           *json);

/* Parses @argv (argv[0] is the command's name) with @entries plus the global options; on
 * --help prints the command's help and returns FALSE with *exit_code 0, on a bad option FALSE
 * with CONFAB_CTL_EXIT_USAGE. @nargs_min..@nargs_max positional arguments are required. */
gboolean    confab_ctl_parse           (ConfabCtl          *ctl,
                                        const ConfabCtlCommand *command,
                                        const GOptionEntry *entries,
                                        int                *argc,
                                        char             ***argv,
                                        int                 nargs_min,
                                        int                 nargs_max,
                                        int                *exit_code);

/* Sets up the server's URL and, with @need_token, the saved token. */
int         confab_ctl_connect         (ConfabCtl          *ctl,
                                        gboolean            need_token);
/* Sends @method @path (with @body as JSON if not NULL) and returns its exit code: on success
 * the answer's object in @out (may be NULL); otherwise prints why. */
int         confab_ctl_request         (ConfabCtl          *ctl,
                                        const char         *method,
                                        const char         *path,
                                        JsonObject         *body,
                                        JsonObject        **out);

/* GETs @path into the new file @dest (mode 0600; an existing file is not replaced) as it
 * comes, and returns its exit code, after printing why on failure. */
int         confab_ctl_download        (ConfabCtl          *ctl,
                                        const char         *path,
                                        const char         *dest);
/* The saved session: the server, the username and the token (in the keyring, or a 0600 file
 * where there is none). */
int         confab_ctl_session_save    (ConfabCtl          *ctl,
                                        const char         *username,
                                        const char         *token);
void        confab_ctl_session_forget  (ConfabCtl          *ctl);

/* A password from standard input (one line) with @from_stdin, else asked on the terminal
 * without echo; NULL (with a message printed) if there is none. */
char       *confab_ctl_read_password   (gboolean            from_stdin,
                                        const char         *prompt);
/* Asks a yes/no question on the terminal; FALSE without one. */
gboolean    confab_ctl_confirm         (const char         *question);

/* Output. */
void        confab_ctl_print_json      (JsonObject         *object);
/* A table of @rows (JsonObject) with @columns (member names) under @headers (translated). */
void        confab_ctl_print_table     (JsonArray          *rows,
                                        const char * const *columns,
                                        const char * const *headers);
/* GETs the paged list @path and prints its @member as a table (or the whole answer as JSON). */
int         confab_ctl_list            (ConfabCtl          *ctl,
                                        const char         *path,
                                        const char         *member,
                                        const char * const *columns,
                                        const char * const *headers,
                                        int                 offset);
/* "name: value" lines of @object's @fields under their @labels. */
void        confab_ctl_print_fields    (JsonObject         *object,
                                        const char * const *fields,
                                        const char * const *labels);
/* A member as text: strings as they are, numbers, booleans as yes/no, lists joined with ",",
 * null and missing as "-"; *_ts members as local date and time. */
char       *confab_ctl_value_text      (JsonObject         *object,
                                        const char         *member);
/* @value escaped for a URI's path or query. */
char       *confab_ctl_escape          (const char         *value);
/* Adds "?name=value" or "&name=value" to @query when @value is set; the page when not 0. */
void        confab_ctl_add_param       (GString            *query,
                                        const char         *name,
                                        const char         *value);
void        confab_ctl_add_page        (GString            *query,
                                        int                 limit,
                                        int                 offset);

G_END_DECLS
