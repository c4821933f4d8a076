/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-account"

#include "config.h"

#include "confab-account.h"
#include "confab-client.h"
#include "confab-keyring.h"
#include "confab-limits.h"
#include "confab-session.h"

#include <glib/gi18n.h>
#include <string.h>

#define ERROR_DETAILS_KEY "confab-error-details"

struct _ConfabAccount
{
  GObject        parent_instance;

  GSettings     *settings;
  GCancellable  *cancellable;
  ConfabClient  *client;
  ConfabSession *session;
  gboolean       keyring_missing;
  gboolean       restoring;       /* the session waits for the keyring's token */
  gboolean       started;         /* the session's cached state is read */
  gboolean       registered;      /* the client registered its account */
};

enum {
  PROP_0,
  PROP_SESSION,
  PROP_KEYRING_MISSING,
  N_PROPS
};

enum {
  SIGNAL_SESSION_READY,
  SIGNAL_SESSION_FAILED,
  SIGNAL_SIGNED_OUT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabAccount, confab_account, G_TYPE_OBJECT)

static void
set_keyring_missing (ConfabAccount *self)
{
  if (self->keyring_missing)
    return;
  self->keyring_missing = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYRING_MISSING]);
}

static void
on_client_signed_out (ConfabClient  *client,
                      GError        *error,
                      ConfabAccount *self)
{
  g_signal_emit (self, signals[SIGNAL_SIGNED_OUT], 0, error);
}

static void
set_client (ConfabAccount *self,
            ConfabClient  *client)
{
  if (self->client == client)
    return;
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      confab_client_stop (self->client);
      g_clear_object (&self->client);
    }
  self->registered = FALSE;
  if (client != NULL)
    {
      self->client = g_object_ref (client);
      g_signal_connect_object (client, "signed-out", G_CALLBACK (on_client_signed_out), self, 0);
    }
}

/* Drops the session and the client: signed out. */
static void
drop_session (ConfabAccount *self)
{
  g_autoptr(ConfabSession) session = g_steal_pointer (&self->session);

  self->restoring = FALSE;
  self->started = FALSE;
  if (session != NULL)
    {
      confab_session_stop (session);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
    }
  set_client (self, NULL);
}

static void
session_start_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = confab_session_start_finish (CONFAB_SESSION (object), result, &error);

  if (self->session != CONFAB_SESSION (object))
    return;
  if (!ok)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      drop_session (self);
      g_signal_emit (self, signals[SIGNAL_SESSION_FAILED], 0, error);
      return;
    }

  self->started = TRUE;
  /* Restoring: the cached state is shown once the keyring has answered too. */
  if (!self->restoring)
    g_signal_emit (self, signals[SIGNAL_SESSION_READY], 0);
}

/* The session reads the cache at once; whoever shows it may hold its connection meanwhile
 * (on notify::session, before the read completes). */
static void
make_session (ConfabAccount *self)
{
  g_assert (self->client != NULL);

  g_clear_object (&self->session);
  self->started = FALSE;
  self->session = confab_session_new (self->client);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
  confab_session_start_async (self->session, self->cancellable, session_start_cb,
                              g_object_ref (self));
}

/* Returns the client for @server, reusing the current one for the same server: a retry after
 * trusting the certificate keeps the client that pinned it. */
static ConfabClient *
client_for (ConfabAccount  *self,
            const char     *server,
            GError        **error)
{
  g_autofree char *url = confab_server_address_to_url (server, error);

  if (url == NULL)
    return NULL;
  if (self->client == NULL || g_strcmp0 (confab_client_get_server_url (self->client), url) != 0)
    {
      g_autoptr(ConfabClient) client = confab_client_new (url);

      set_client (self, client);
    }
  return self->client;
}

static void
task_return_client_error (GTask        *task,
                          GAsyncResult *result,
                          GError       *error)
{
  JsonObject *details = confab_client_result_get_error_details (result);

  if (details != NULL)
    g_object_set_data_full (G_OBJECT (task), ERROR_DETAILS_KEY, json_object_ref (details),
                            (GDestroyNotify) json_object_unref);
  g_task_return_error (task, error);
}

/* Restore ---------------------------------------------------------------------------------- */

static void
lookup_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *username = NULL;

  token = confab_keyring_lookup_token_finish (result, &error);
  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Looking up the token failed: %s", error->message);
      set_keyring_missing (self);
    }

  /* Signed out or in another way meanwhile. */
  if (!self->restoring)
    return;
  self->restoring = FALSE;

  if (token == NULL || self->client == NULL || self->session == NULL)
    {
      drop_session (self);
      return;
    }

  username = g_settings_get_string (self->settings, "last-username");
  confab_client_set_credentials (self->client, username, token);
  confab_session_release_connect (self->session);
  if (self->started)
    g_signal_emit (self, signals[SIGNAL_SESSION_READY], 0);
}

gboolean
confab_account_restore (ConfabAccount *self)
{
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;
  g_autofree char *url = NULL;
  g_autoptr(ConfabClient) client = NULL;

  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), FALSE);

  if (self->session != NULL)
    return FALSE;
  server = g_settings_get_string (self->settings, "last-server");
  username = g_settings_get_string (self->settings, "last-username");
  url = *server ? confab_server_address_to_url (server, NULL) : NULL;
  if (url == NULL || *username == '\0')
    return FALSE;

  client = confab_client_new (url);
  /* The cache needs only the account, not the token: read it while the keyring answers. */
  confab_client_set_credentials (client, username, NULL);
  set_client (self, client);
  self->restoring = TRUE;
  make_session (self);
  confab_session_hold_connect (self->session);
  confab_keyring_lookup_token_async (confab_client_get_server_key (client), username,
                                     self->cancellable, lookup_token_cb, g_object_ref (self));
  return TRUE;
}

/* Registering and signing in ----------------------------------------------------------------- */

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabAccount *self = g_task_get_source_object (task);
  GError *error = NULL;
  JsonObject *user;

  if (CONFAB_CLIENT (object) != self->client)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Another sign-in took over.");
      return;
    }
  user = confab_client_register_finish (CONFAB_CLIENT (object), result, &error);
  if (user == NULL)
    {
      task_return_client_error (task, result, error);
      return;
    }
  self->registered = TRUE;
  g_task_return_pointer (task, user, (GDestroyNotify) json_object_unref);
}

void
confab_account_register_async (ConfabAccount       *self,
                               const char          *server,
                               const char          *username,
                               const char          *password,
                               const char          *display_name,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  ConfabClient *client;

  g_return_if_fail (CONFAB_IS_ACCOUNT (self));
  g_return_if_fail (server != NULL && username != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_account_register_async);
  client = client_for (self, server, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  confab_client_register_async (client, username, password, display_name, NULL, cancellable,
                                register_cb, g_steal_pointer (&task));
}

JsonObject *
confab_account_register_finish (ConfabAccount  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
confab_account_get_registered (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), FALSE);
  return self->client != NULL && self->registered;
}

static void
store_token_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabAccount) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_keyring_store_token_finish (result, &error))
    {
      g_debug ("Storing the token failed: %s", error->message);
      set_keyring_missing (self);
    }
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabAccount *self = g_task_get_source_object (task);
  ConfabClient *client = CONFAB_CLIENT (object);
  GError *error = NULL;

  if (client != self->client)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Another sign-in took over.");
      return;
    }
  if (!confab_client_login_finish (client, result, &error))
    {
      task_return_client_error (task, result, error);
      return;
    }

  g_settings_set_string (self->settings, "last-server", g_task_get_task_data (task));
  g_settings_set_string (self->settings, "last-username", confab_client_get_username (client));
  confab_keyring_store_token_async (confab_client_get_server_key (client),
                                    confab_client_get_username (client),
                                    confab_client_get_token (client), NULL, store_token_cb,
                                    g_object_ref (self));
  make_session (self);
  g_task_return_boolean (task, TRUE);
}

void
confab_account_sign_in_async (ConfabAccount       *self,
                              const char          *server,
                              const char          *username,
                              const char          *password,
                              const char          *device_name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  ConfabClient *client;

  g_return_if_fail (CONFAB_IS_ACCOUNT (self));
  g_return_if_fail (server != NULL && username != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_account_sign_in_async);
  g_task_set_task_data (task, g_strdup (server), g_free);
  client = client_for (self, server, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  confab_client_login_async (client, username, password, device_name, cancellable, login_cb,
                             g_steal_pointer (&task));
}

gboolean
confab_account_sign_in_finish (ConfabAccount  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
confab_account_abandon_sign_in (ConfabAccount *self)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));

  if (self->session == NULL)
    set_client (self, NULL);
}

/* Certificates ------------------------------------------------------------------------------ */

const char *
confab_account_get_untrusted_fingerprint (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), NULL);
  return self->client != NULL ? confab_client_get_untrusted_fingerprint (self->client) : NULL;
}

const char *
confab_account_get_server_key (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), NULL);
  return self->client != NULL ? confab_client_get_server_key (self->client) : NULL;
}

gboolean
confab_account_trust_certificate (ConfabAccount  *self,
                                  const char     *fingerprint,
                                  GError        **error)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (self->client != NULL, FALSE);

  return confab_client_trust_certificate (self->client, fingerprint, error);
}

/* Signing out ------------------------------------------------------------------------------ */

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!confab_client_logout_finish (CONFAB_CLIENT (object), result, &error))
    g_debug ("Signing out on the server failed: %s", error->message);
}

static void
clear_token_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!confab_keyring_clear_token_finish (result, &error))
    g_debug ("Clearing the token failed: %s", error->message);
}

void
confab_account_sign_out (ConfabAccount *self)
{
  g_return_if_fail (CONFAB_IS_ACCOUNT (self));

  if (self->client != NULL && self->session != NULL)
    {
      confab_keyring_clear_token_async (confab_client_get_server_key (self->client),
                                        confab_client_get_username (self->client), NULL,
                                        clear_token_cb, NULL);
      if (confab_client_get_token (self->client) != NULL)
        confab_client_logout_async (self->client, NULL, logout_cb, NULL);
    }
  drop_session (self);
}

/* Server addresses -------------------------------------------------------------------------- */

char *
confab_server_address_to_url (const char  *address,
                              GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *with_scheme = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  const char *host;
  int port;

  g_return_val_if_fail (address != NULL, NULL);

  trimmed = g_strstrip (g_strdup (address));
  if (*trimmed == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter the address of your server."));
      return NULL;
    }

  if (strstr (trimmed, "://") != NULL)
    with_scheme = g_strdup (trimmed);
  else
    with_scheme = g_strconcat ("https://", trimmed, NULL);

  uri = g_uri_parse (with_scheme, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  host = uri ? g_uri_get_host (uri) : NULL;
  if (uri == NULL || host == NULL || *host == '\0'
      || (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0)
      || (g_uri_get_path (uri)[0] != '\0' && g_strcmp0 (g_uri_get_path (uri), "/") != 0)
      || strchr (host, ' ') != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a server address. Use a form like chat.example.com or "
                     "chat.example.com:7443."), trimmed);
      return NULL;
    }

  port = g_uri_get_port (uri);
  if (port <= 0)
    port = CONFAB_DEFAULT_PORT;

  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("%s://[%s]:%d", scheme, host, port);
  return g_strdup_printf ("%s://%s:%d", scheme, host, port);
}

/* GObject ---------------------------------------------------------------------------------- */

static void
confab_account_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabAccount *self = CONFAB_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_KEYRING_MISSING:
      g_value_set_boolean (value, self->keyring_missing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_account_dispose (GObject *object)
{
  ConfabAccount *self = CONFAB_ACCOUNT (object);

  g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    confab_session_stop (self->session);
  g_clear_object (&self->session);
  set_client (self, NULL);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (confab_account_parent_class)->dispose (object);
}

static void
confab_account_finalize (GObject *object)
{
  ConfabAccount *self = CONFAB_ACCOUNT (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (confab_account_parent_class)->finalize (object);
}

static void
confab_account_class_init (ConfabAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = confab_account_get_property;
  object_class->dispose = confab_account_dispose;
  object_class->finalize = confab_account_finalize;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, CONFAB_TYPE_SESSION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEYRING_MISSING] =
    g_param_spec_boolean ("keyring-missing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SESSION_READY] =
    g_signal_new ("session-ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SESSION_FAILED] =
    g_signal_new ("session-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_SIGNED_OUT] =
    g_signal_new ("signed-out", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
confab_account_init (ConfabAccount *self)
{
  self->cancellable = g_cancellable_new ();
}

ConfabAccount *
confab_account_new (GSettings *settings)
{
  ConfabAccount *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (CONFAB_TYPE_ACCOUNT, NULL);
  self->settings = g_object_ref (settings);
  return self;
}

ConfabClient *
confab_account_get_client (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), NULL);
  return self->client;
}

ConfabSession *
confab_account_get_session (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), NULL);
  return self->session;
}

gboolean
confab_account_get_keyring_missing (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), FALSE);
  return self->keyring_missing;
}

gboolean
confab_account_get_restoring (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), FALSE);
  return self->restoring;
}

gboolean
confab_account_get_ready (ConfabAccount *self)
{
  g_return_val_if_fail (CONFAB_IS_ACCOUNT (self), FALSE);
  return self->session != NULL && self->started && !self->restoring;
}
