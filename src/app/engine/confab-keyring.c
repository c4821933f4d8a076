/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-keyring"

#include "config.h"

#include "confab-keyring.h"

#include <glib/gi18n.h>

G_DEFINE_QUARK (confab-keyring-error-quark, confab_keyring_error)

const SecretSchema *
confab_keyring_get_schema (void)
{
  static const SecretSchema schema = {
    "im.confab.Confab", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/* Errors that mean "there is no usable secret service" rather than a failure of one call. */
static gboolean
is_no_service_error (const GError *error)
{
  return error->domain == G_DBUS_ERROR
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_FAILED)
         || g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED)
         || g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT);
}

static GError *
map_error (GError *error)
{
  GError *mapped;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  g_message ("secret service: %s", error->message);
  if (is_no_service_error (error))
    mapped = g_error_new_literal (CONFAB_KEYRING_ERROR, CONFAB_KEYRING_ERROR_NO_SERVICE,
                                  _("No password keyring is available, so the password will "
                                    "be asked for at each start."));
  else
    mapped = g_error_new (CONFAB_KEYRING_ERROR, CONFAB_KEYRING_ERROR_FAILED,
                          _("The password keyring failed: %s"), error->message);
  g_error_free (error);
  return mapped;
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
confab_keyring_store_token_async (const char          *server,
                                  const char          *username,
                                  const char          *token,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *label = NULL;
  GTask *task;

  g_return_if_fail (server != NULL && username != NULL && token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_keyring_store_token_async);
  /* Translators: the label of the stored secret in a keyring manager; %s is user@server */
  label = g_strdup_printf (_("Confab sign-in for %s@%s"), username, server);
  secret_password_store (confab_keyring_get_schema (), SECRET_COLLECTION_DEFAULT, label, token,
                         cancellable, store_cb, task,
                         "server", server, "username", username, NULL);
}

gboolean
confab_keyring_store_token_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  char *server;
  char *username;
} LookupData;

static void
lookup_data_free (LookupData *data)
{
  g_free (data->server);
  g_free (data->username);
  g_free (data);
}

/* The asynchronous lookup goes through the main loop at each of its D-Bus steps, so it would
 * wait for whatever the main thread is doing at start-up (making the window); on a thread of
 * its own the lookup is done by the time the window is. */
static void
lookup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  LookupData *data = task_data;
  GError *error = NULL;
  char *token = secret_password_lookup_sync (confab_keyring_get_schema (), cancellable, &error,
                                             "server", data->server,
                                             "username", data->username, NULL);

  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    g_task_return_pointer (task, token, (GDestroyNotify) secret_password_free);
}

void
confab_keyring_lookup_token_async (const char          *server,
                                   const char          *username,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LookupData *data;

  g_return_if_fail (server != NULL && username != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_keyring_lookup_token_async);
  data = g_new0 (LookupData, 1);
  data->server = g_strdup (server);
  data->username = g_strdup (username);
  g_task_set_task_data (task, data, (GDestroyNotify) lookup_data_free);
  g_task_run_in_thread (task, lookup_thread);
}

char *
confab_keyring_lookup_token_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_autofree char *secret = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  /* secret_password_free wipes the memory; hand out a plain string the caller can g_free. */
  secret = g_task_propagate_pointer (G_TASK (result), error);
  if (secret == NULL)
    return NULL;
  {
    char *copy = g_strdup (secret);

    secret_password_wipe (secret);
    return copy;
  }
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
confab_keyring_clear_token_async (const char          *server,
                                  const char          *username,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (server != NULL && username != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_keyring_clear_token_async);
  secret_password_clear (confab_keyring_get_schema (), cancellable, clear_cb, task,
                         "server", server, "username", username, NULL);
}

gboolean
confab_keyring_clear_token_finish (GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
