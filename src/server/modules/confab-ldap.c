/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ldap"

#include "config.h"

#include "confab-ldap.h"
#include "confab-account-store.h"
#include "confab-accounts.h"
#include "confab-audit-store.h"
#include "confab-ldap-store.h"
#include "confab-limits.h"
#include "confab-profile-store.h"
#include "confab-profiles.h"
#include "confab-server-module.h"
#include "confab-validate.h"

#include <string.h>

/* Accounts from the company directory. The directory is the password authority of its users
 * (ConfabPasswordAuthority of the accounts module): a sign-in searches the user with the
 * service account and binds as them, on a worker thread; the local account is then made or
 * updated from the entry in one unit of work. A timer on the main loop runs the same search for
 * everyone on a worker thread, and one unit of work brings every account up to date and
 * disables those the directory no longer lists; their connections close with 4401. A directory
 * that cannot be reached changes nothing. */

/* Never a valid Argon2id hash: a directory account has no local password. */
#define NO_LOCAL_PASSWORD "!directory"

typedef struct
{
  ConfabServer     *server;        /* not owned: the server owns the module */
  ConfabLdapConfig *config;        /* a copy each job takes its own copy of */
  GCancellable     *cancellable;
  guint             sync_id;
  guint             first_sync_id;
  gboolean          syncing;
} Ldap;

#define LS(store) CONFAB_LDAP_STORE_GET_IFACE (store)
#define LSELF(store) ((ConfabLdapStore *) (store))
#define AS(store) CONFAB_ACCOUNT_STORE_GET_IFACE (store)
#define ASELF(store) ((ConfabAccountStore *) (store))
#define AUS(store) CONFAB_AUDIT_STORE_GET_IFACE (store)
#define AUSELF(store) ((ConfabAuditStore *) (store))
#define PS(store) CONFAB_PROFILE_STORE_GET_IFACE (store)
#define PSELF(store) ((ConfabProfileStore *) (store))

/* The directory's attribute behind each profile field (-1: none). */
static const int profile_attrs[CONFAB_N_PROFILE_FIELDS] = {
  [CONFAB_PROFILE_DISPLAY_NAME] = CONFAB_LDAP_ATTR_DISPLAY_NAME,
  [CONFAB_PROFILE_EMAIL] = CONFAB_LDAP_ATTR_EMAIL,
  [CONFAB_PROFILE_PHONE] = CONFAB_LDAP_ATTR_PHONE,
  [CONFAB_PROFILE_DEPARTMENT] = CONFAB_LDAP_ATTR_DEPARTMENT,
  [CONFAB_PROFILE_TITLE] = CONFAB_LDAP_ATTR_TITLE,
  [CONFAB_PROFILE_LOCATION] = CONFAB_LDAP_ATTR_LOCATION,
  [CONFAB_PROFILE_AVATAR_FILE_ID] = -1,
  [CONFAB_PROFILE_TIMEZONE] = -1,
};

/* --- The rules -------------------------------------------------------------------------------- */

/* The profile values of @entry, by ConfabProfileField, checked as profile_update checks them:
 * a value profile_update would refuse is left out (and logged), an absent attribute clears its
 * field (but the display name, which falls back to the username). */
static void
entry_profile (ConfabLdapEntry *entry,
               char            *values[CONFAB_N_PROFILE_FIELDS])
{
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    {
      g_autoptr(JsonObject) params = json_object_new ();
      g_autoptr(JsonObject) checked = json_object_new ();
      g_autoptr(GError) error = NULL;
      const char *value;

      values[i] = NULL;
      if (profile_attrs[i] < 0)
        continue;
      value = entry->values[profile_attrs[i]];
      if (value == NULL || *value == '\0')
        {
          if (i != CONFAB_PROFILE_DISPLAY_NAME)
            values[i] = g_strdup ("");
          continue;
        }
      json_object_set_string_member (params, confab_profile_field_names[i], value);
      if (!confab_profiles_read_fields (params, checked, &error))
        {
          g_message ("company directory: %s of %s left out: %s", confab_profile_field_names[i],
                     entry->username, error->message);
          continue;
        }
      values[i] = g_strdup (value);
    }
}

/* Whether setting @values would change @user. */
static gboolean
profile_differs (JsonObject *user,
                 char       *values[CONFAB_N_PROFILE_FIELDS])
{
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    {
      const char *name = confab_profile_field_names[i];

      if (values[i] != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (user, name, ""),
                        values[i]) != 0)
        return TRUE;
    }
  return FALSE;
}

static void
audit (ConfabStore *store,
       const char  *action,
       const char  *target)
{
  AUS (store)->record (AUSELF (store), confab_now_ms (), "directory", action, target, NULL, NULL);
}

/* Makes or updates @entry's account inside a unit of work; *@created tells which. */
static JsonObject *
account_update (ConfabStore      *store,
                ConfabStoreReply *reply,
                ConfabLdapEntry  *entry,
                gboolean         *created,
                GError          **error)
{
  const char *username = entry->username;
  char *values[CONFAB_N_PROFILE_FIELDS];
  g_autoptr(JsonObject) user = NULL;
  gboolean disabled = FALSE;
  JsonObject *result;

  *created = FALSE;
  if (AS (store)->user_exists (ASELF (store), username))
    {
      if (!LS (store)->is_linked (LSELF (store), username))
        {
          g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_CONFLICT,
                       "%s is a local account, not one of the company directory", username);
          return NULL;
        }
    }
  else
    {
      AS (store)->user_insert (ASELF (store), username, NO_LOCAL_PASSWORD, NULL, NULL, "user",
                               confab_now_ms ());
      audit (store, "directory_create", username);
      *created = TRUE;
    }
  LS (store)->link (LSELF (store), username, entry->dn, confab_now_ms ());

  /* Listed again: an account the sync disabled comes back; one an administrator disabled
   * stays so. */
  if (LS (store)->sync_disabled (LSELF (store), username))
    {
      AUS (store)->set_disabled (AUSELF (store), username, FALSE);
      LS (store)->set_sync_disabled (LSELF (store), username, FALSE);
      audit (store, "directory_enable", username);
    }

  entry_profile (entry, values);
  user = PS (store)->user (PSELF (store), username);
  if (user != NULL && profile_differs (user, values))
    {
      g_clear_pointer (&user, json_object_unref);
      user = confab_profiles_apply (store, reply, username, (const char * const *) values, error);
    }
  for (guint i = 0; i < CONFAB_N_PROFILE_FIELDS; i++)
    g_free (values[i]);
  if (user == NULL)
    return NULL;

  json_object_unref (AS (store)->credentials (ASELF (store), username, NULL, &disabled));
  result = json_object_new ();
  json_object_set_object_member (result, "user", g_steal_pointer (&user));
  json_object_set_boolean_member (result, "disabled", disabled);
  return result;
}

static ConfabStoreReply *
account_update_work (ConfabStore  *store,
                     gpointer      data,
                     GError      **error)
{
  g_autoptr(ConfabStoreReply) reply = confab_store_reply_new (NULL);
  gboolean created;
  JsonObject *result = account_update (store, reply, data, &created, error);

  if (result == NULL)
    return NULL;
  json_object_unref (reply->result);
  reply->result = result;
  return g_steal_pointer (&reply);
}

void
confab_ldap_account_update_async (ConfabStore         *store,
                                  ConfabLdapEntry     *entry,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_LDAP_STORE (store));
  g_return_if_fail (entry != NULL && confab_username_is_valid (entry->username));

  confab_store_run_async (store, "ldap_account_update", CONFAB_STORE_WORK_WRITE,
                          account_update_work, entry, (GDestroyNotify) confab_ldap_entry_free,
                          cancellable, callback, user_data, confab_ldap_account_update_async);
}

/* Disables @username, no longer in the directory, and revokes their devices into @revoked. */
static gboolean
account_remove (ConfabStore   *store,
                const char    *username,
                GStrvBuilder  *revoked)
{
  g_autoptr(JsonObject) account = AUS (store)->account (AUSELF (store), username);
  g_auto(GStrv) devices = NULL;

  if (account == NULL || json_object_get_boolean_member (account, "disabled"))
    return FALSE;
  if (g_strcmp0 (json_object_get_string_member (account, "role"), "admin") == 0
      && AUS (store)->count_admins (AUSELF (store)) <= 1)
    {
      g_message ("company directory: %s is no longer listed, but is the last administrator; "
                 "left enabled", username);
      return FALSE;
    }
  AUS (store)->set_disabled (AUSELF (store), username, TRUE);
  LS (store)->set_sync_disabled (LSELF (store), username, TRUE);
  devices = AS (store)->devices_revoke (ASELF (store), username, NULL);
  g_strv_builder_addv (revoked, (const char **) devices);
  audit (store, "directory_disable", username);
  return TRUE;
}

static ConfabStoreReply *
sync_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  GPtrArray *entries = data;
  g_autoptr(ConfabStoreReply) reply = confab_store_reply_new (NULL);
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GStrvBuilder) revoked = g_strv_builder_new ();
  JsonArray *disabled = json_array_new ();
  g_auto(GStrv) linked = NULL;
  gint64 created = 0;
  gint64 updated = 0;

  for (guint i = 0; i < entries->len; i++)
    {
      ConfabLdapEntry *entry = entries->pdata[i];
      g_autoptr(GError) local_error = NULL;
      g_autoptr(JsonObject) result = NULL;
      gboolean was_created;

      /* The same username twice in the directory: neither entry is used. */
      if (!g_hash_table_add (listed, entry->username))
        {
          g_message ("company directory: user %s is listed more than once", entry->username);
          continue;
        }
      result = account_update (store, reply, entry, &was_created, &local_error);
      if (result == NULL)
        {
          g_debug ("company directory: %s", local_error->message);
          continue;
        }
      if (was_created)
        created++;
      else
        updated++;
    }

  linked = LS (store)->linked (LSELF (store));
  for (guint i = 0; linked[i] != NULL; i++)
    if (!g_hash_table_contains (listed, linked[i])
        && account_remove (store, linked[i], revoked))
      json_array_add_string_element (disabled, linked[i]);

  reply->revoked_devices = g_strv_builder_end (revoked);
  json_object_set_int_member (reply->result, "created", created);
  json_object_set_int_member (reply->result, "updated", updated);
  json_object_set_array_member (reply->result, "disabled", disabled);
  return g_steal_pointer (&reply);
}

void
confab_ldap_sync_async (ConfabStore         *store,
                        GPtrArray           *entries,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_LDAP_STORE (store));
  g_return_if_fail (entries != NULL);

  confab_store_run_async (store, "ldap_sync", CONFAB_STORE_WORK_WRITE, sync_work, entries,
                          (GDestroyNotify) g_ptr_array_unref, cancellable, callback, user_data,
                          confab_ldap_sync_async);
}

/* --- Worker threads --------------------------------------------------------------------------- */

typedef struct
{
  ConfabLdapConfig *config;
  char             *username;
  char             *password;
} Job;

static void
job_free (Job *job)
{
  confab_ldap_config_free (job->config);
  g_free (job->username);
  if (job->password != NULL)
    {
      memset (job->password, 0, strlen (job->password));
      g_free (job->password);
    }
  g_free (job);
}

static Job *
job_new (Ldap       *self,
         const char *username,
         const char *password)
{
  Job *job = g_new0 (Job, 1);

  job->config = confab_ldap_config_copy (self->config);
  job->username = g_strdup (username);
  job->password = g_strdup (password);
  return job;
}

static void
authenticate_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  ConfabLdapEntry *entry = confab_ldap_client_authenticate (job->config, job->username,
                                                            job->password, &error);

  if (entry == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entry, (GDestroyNotify) confab_ldap_entry_free);
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  GPtrArray *entries = confab_ldap_client_search_all (job->config, &error);

  if (entries == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
}

/* --- Signing in ------------------------------------------------------------------------------- */

static gboolean
owns_account (ConfabStore *store,
              const char  *username)
{
  return LS (store)->is_linked (LSELF (store), username);
}

static void
account_updated_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  Ldap *self = g_task_get_task_data (task);
  ConfabRouter *router = confab_server_get_router (self->server);

  if (reply == NULL)
    {
      /* A local account of that name: the directory does not sign it in. */
      if (g_error_matches (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_CONFLICT))
        g_task_return_new_error (task, CONFAB_PROTOCOL_ERROR,
                                 CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                                 "wrong username or password");
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < reply->events->len; i++)
    confab_router_deliver (router, g_ptr_array_index (reply->events, i), NULL);
  g_task_return_pointer (task, json_object_ref (reply->result), (GDestroyNotify) json_object_unref);
}

static void
authenticated_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Ldap *self = g_task_get_task_data (task);
  GError *error = NULL;
  ConfabLdapEntry *entry = g_task_propagate_pointer (G_TASK (result), &error);

  if (entry == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  confab_ldap_account_update_async (confab_server_get_store (self->server), entry,
                                    self->cancellable, account_updated_cb,
                                    g_steal_pointer (&task));
}

static void
sign_in_async (gpointer             instance,
               const char          *username,
               const char          *password,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  Ldap *self = instance;
  g_autoptr(GTask) task = g_task_new (NULL, self->cancellable, callback, user_data);
  g_autoptr(GTask) thread_task = NULL;

  g_task_set_source_tag (task, sign_in_async);
  g_task_set_task_data (task, self, NULL);
  thread_task = g_task_new (NULL, self->cancellable, authenticated_cb, g_steal_pointer (&task));
  g_task_set_task_data (thread_task, job_new (self, username, password), (GDestroyNotify) job_free);
  g_task_run_in_thread (thread_task, authenticate_thread);
}

static JsonObject *
sign_in_finish (gpointer       instance,
                GAsyncResult  *result,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static const ConfabPasswordAuthority authority = {
  .owns_account = owns_account,
  .sign_in_async = sign_in_async,
  .sign_in_finish = sign_in_finish,
};

/* --- The periodic sync ------------------------------------------------------------------------ */

static void
synced_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Ldap *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);
  ConfabRouter *router;
  JsonArray *disabled;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->syncing = FALSE;
  if (reply == NULL)
    {
      g_message ("company directory: the sync was not stored: %s", error->message);
      return;
    }

  router = confab_server_get_router (self->server);
  for (guint i = 0; i < reply->events->len; i++)
    confab_router_deliver (router, g_ptr_array_index (reply->events, i), NULL);
  disabled = json_object_get_array_member (reply->result, "disabled");
  for (guint i = 0; i < json_array_get_length (disabled); i++)
    {
      const char *username = json_array_get_string_element (disabled, i);

      g_message ("company directory: user %s is no longer listed; disabled", username);
      confab_router_close_user (router, username, CONFAB_CLOSE_UNAUTHORIZED,
                                "removed from the company directory");
    }
  g_message ("company directory synced: %" G_GINT64_FORMAT " accounts made, %" G_GINT64_FORMAT
             " checked, %u disabled",
             json_object_get_int_member (reply->result, "created"),
             json_object_get_int_member (reply->result, "updated"),
             json_array_get_length (disabled));
}

static void
searched_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Ldap *self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *entries = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (entries == NULL)
    {
      /* Nobody is disabled because the directory could not be asked. */
      self->syncing = FALSE;
      g_message ("company directory: sync skipped: %s", error->message);
      return;
    }
  confab_ldap_sync_async (confab_server_get_store (self->server), entries, self->cancellable,
                          synced_cb, self);
}

static gboolean
sync_tick (gpointer user_data)
{
  Ldap *self = user_data;
  g_autoptr(GTask) task = NULL;

  if (self->syncing)
    return G_SOURCE_CONTINUE;
  self->syncing = TRUE;
  g_debug ("company directory: sync started");
  task = g_task_new (NULL, self->cancellable, searched_cb, self);
  g_task_set_task_data (task, job_new (self, NULL, NULL), (GDestroyNotify) job_free);
  g_task_run_in_thread (task, search_thread);
  return G_SOURCE_CONTINUE;
}

static gboolean
first_sync (gpointer user_data)
{
  Ldap *self = user_data;

  self->first_sync_id = 0;
  sync_tick (self);
  return G_SOURCE_REMOVE;
}

/* --- Registration ----------------------------------------------------------------------------- */

static void
ldap_free (gpointer data)
{
  Ldap *self = data;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->sync_id, g_source_remove);
  g_clear_handle_id (&self->first_sync_id, g_source_remove);
  g_clear_object (&self->cancellable);
  confab_ldap_config_free (self->config);
  g_free (self);
}

static const ConfabServerModule module = {
  .name = "ldap",
};

void
confab_ldap_register (ConfabServer *server)
{
  const ConfabConfig *config = confab_server_get_config (server);
  Ldap *self;

  if (config->ldap == NULL)
    return;

  self = g_new0 (Ldap, 1);
  self->server = server;
  self->config = confab_ldap_config_copy (config->ldap);
  self->cancellable = g_cancellable_new ();
  confab_server_add_module (server, &module, self, ldap_free);
  confab_accounts_set_password_authority (server, &authority, self);
  if (config->ldap->sync_interval_s > 0)
    {
      self->sync_id = g_timeout_add_seconds (config->ldap->sync_interval_s, sync_tick, self);
      /* The first sync as soon as the main loop runs: accounts are found in the directory
       * search before their owners first sign in. */
      self->first_sync_id = g_idle_add_full (G_PRIORITY_LOW, first_sync, self, NULL);
    }
  g_message ("company directory: %s, users under %s", config->ldap->url, config->ldap->base_dn);
}
