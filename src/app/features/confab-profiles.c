/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-profiles"

#include "config.h"

#include "confab-cache.h"
#include "confab-client.h"
#include "confab-contact.h"
#include "confab-error.h"
#include "confab-feature.h"
#include "confab-frame.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-session.h"
#include "confab-validate.h"

#include <glib/gi18n.h>

struct _ConfabProfiles
{
  ConfabFeature  parent_instance;

  GHashTable    *contacts;        /* username → ConfabContact */
  GHashTable    *profiles_known;  /* usernames whose User object was seen (set) */
  GHashTable    *profiles_asked;  /* usernames with a profile_get under way (set) */
  guint          profiles_source;
  GPtrArray     *loaded_users;    /* from the cache, until applied */
  char          *timezone_sent;   /* the system's zone, once sent for the profile */
};

G_DEFINE_FINAL_TYPE (ConfabProfiles, confab_profiles, CONFAB_TYPE_FEATURE)

static void want_profiles (ConfabProfiles *self);

typedef struct
{
  ConfabProfiles *profiles;
  gint64          seq;
} StoreData;

static void
user_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  StoreData *data = user_data;

  if (confab_cache_store_user_finish (CONFAB_CACHE (object), result, NULL))
    confab_feature_ack (CONFAB_FEATURE (data->profiles), data->seq);
  g_object_unref (data->profiles);
  g_free (data);
}

static void
store_user (ConfabProfiles *self,
            JsonObject     *user,
            gint64          seq)
{
  const char *username = confab_json_get_string (user, "username");
  StoreData *data;

  if (confab_feature_get_session (CONFAB_FEATURE (self)) == NULL)
    return;
  if (username != NULL)
    {
      g_hash_table_add (self->profiles_known, g_strdup (username));
      confab_contact_update_from_json (confab_profiles_get_contact (self, username), user);
    }
  data = g_new0 (StoreData, 1);
  data->profiles = g_object_ref (self);
  data->seq = seq;
  confab_cache_store_user_async (confab_feature_get_cache (CONFAB_FEATURE (self)), user, seq,
                                 confab_feature_get_cancellable (CONFAB_FEATURE (self)),
                                 user_stored_cb, data);
}

static void
on_profile_updated_event (ConfabClient   *client,
                          const char     *name,
                          JsonObject     *data,
                          gint64          seq,
                          ConfabProfiles *self)
{
  JsonObject *user = confab_json_get_object (data, "user");

  if (user == NULL || confab_json_get_string (user, "username") == NULL)
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  store_user (self, user, seq);
}

typedef struct
{
  ConfabProfiles *profiles;
  char           *username;
} ProfileData;

static void
profile_got_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ProfileData *data = user_data;
  ConfabProfiles *self = data->profiles;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *user;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_hash_table_remove (self->profiles_asked, data->username);
      user = confab_json_get_object (reply, "user");
      if (user != NULL && g_strcmp0 (confab_json_get_string (user, "username"),
                                     data->username) == 0)
        store_user (self, user, 0);
      else if (error != NULL && error->domain == CONFAB_PROTOCOL_ERROR
               && error->code == CONFAB_PROTOCOL_ERROR_NOT_FOUND)
        /* Gone for good: shown by username from now on, not asked again. */
        g_hash_table_add (self->profiles_known, g_strdup (data->username));
    }
  g_object_unref (data->profiles);
  g_free (data->username);
  g_free (data);
}

static gboolean
request_profiles_cb (gpointer user_data)
{
  ConfabProfiles *self = user_data;
  ConfabClient *client = confab_feature_get_client (CONFAB_FEATURE (self));
  const char *own = confab_feature_get_username (CONFAB_FEATURE (self));
  GHashTableIter iter;
  gpointer key;

  self->profiles_source = 0;
  if (confab_client_get_state (client) != CONFAB_CLIENT_STATE_CONNECTED)
    return G_SOURCE_REMOVE;

  g_hash_table_iter_init (&iter, self->contacts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autoptr(JsonObject) params = NULL;
      ProfileData *data;

      if (g_strcmp0 (key, own) == 0
          || g_hash_table_contains (self->profiles_known, key)
          || g_hash_table_contains (self->profiles_asked, key))
        continue;
      params = json_object_new ();
      json_object_set_string_member (params, "user", key);
      data = g_new0 (ProfileData, 1);
      data->profiles = g_object_ref (self);
      data->username = g_strdup (key);
      g_hash_table_add (self->profiles_asked, g_strdup (key));
      confab_client_request_async (client, CONFAB_REQUEST_PROFILE_GET, params,
                                   confab_feature_get_cancellable (CONFAB_FEATURE (self)),
                                   profile_got_cb, data);
    }
  return G_SOURCE_REMOVE;
}

/* Asks, once the current main loop iteration is done, for every profile still unknown. */
static void
want_profiles (ConfabProfiles *self)
{
  ConfabClient *client = confab_feature_get_client (CONFAB_FEATURE (self));

  if (self->profiles_source == 0 && confab_feature_get_started (CONFAB_FEATURE (self))
      && client != NULL && confab_client_get_state (client) == CONFAB_CLIENT_STATE_CONNECTED)
    self->profiles_source = g_idle_add (request_profiles_cb, self);
}

static void
on_client_user_notify (ConfabClient   *client,
                       GParamSpec     *pspec,
                       ConfabProfiles *self)
{
  JsonObject *user = confab_client_get_user (client);
  const char *own = confab_feature_get_username (CONFAB_FEATURE (self));

  if (user != NULL && own != NULL)
    confab_contact_update_from_json (confab_profiles_get_contact (self, own), user);
}

/* Profiles are a nicety: a cache that cannot give them still starts. */
static void
users_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConfabProfiles *self = g_task_get_source_object (task);

  g_clear_pointer (&self->loaded_users, g_ptr_array_unref);
  self->loaded_users = confab_cache_load_users_finish (CONFAB_CACHE (object), result, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
confab_profiles_load_async (ConfabFeature       *feature,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (feature, cancellable, callback, user_data);

  g_task_set_source_tag (task, confab_profiles_load_async);
  confab_cache_load_users_async (confab_feature_get_cache (feature), cancellable,
                                 users_loaded_cb, task);
}

static gboolean
confab_profiles_load_finish (ConfabFeature  *feature,
                             GAsyncResult   *result,
                             GError        **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
confab_profiles_apply (ConfabFeature *feature)
{
  ConfabProfiles *self = CONFAB_PROFILES (feature);
  g_autoptr(GPtrArray) users = g_steal_pointer (&self->loaded_users);

  for (guint i = 0; users != NULL && i < users->len; i++)
    {
      JsonObject *user = g_ptr_array_index (users, i);
      const char *username = confab_json_get_string (user, "username");

      if (username == NULL)
        continue;
      g_hash_table_add (self->profiles_known, g_strdup (username));
      confab_contact_update_from_json (confab_profiles_get_contact (self, username), user);
    }
  on_client_user_notify (confab_feature_get_client (feature), NULL, self);
}

static void
timezone_sent_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = confab_profiles_profile_finish (CONFAB_PROFILES (object), result,
                                                               &error);

  if (user == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("The server did not take the time zone: %s", error->message);
}

/* Colleagues see one's local time: the profile follows the system's time zone, sent once a
 * session when it differs from the stored one. */
static void
share_timezone (ConfabProfiles *self)
{
  ConfabClient *client = confab_feature_get_client (CONFAB_FEATURE (self));
  JsonObject *user = confab_client_get_user (client);
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  const char *zone = g_time_zone_get_identifier (local);
  g_autoptr(JsonObject) fields = NULL;

  if (user == NULL || !confab_timezone_name_is_valid (zone)
      || g_strcmp0 (confab_json_get_string (user, "timezone"), zone) == 0
      || g_strcmp0 (self->timezone_sent, zone) == 0)
    return;
  g_free (self->timezone_sent);
  self->timezone_sent = g_strdup (zone);
  fields = json_object_new ();
  json_object_set_string_member (fields, "timezone", zone);
  confab_profiles_update_profile_async (self, fields,
                                        confab_feature_get_cancellable (CONFAB_FEATURE (self)),
                                        timezone_sent_cb, NULL);
}

static void
confab_profiles_synced (ConfabFeature *feature)
{
  want_profiles (CONFAB_PROFILES (feature));
  share_timezone (CONFAB_PROFILES (feature));
}

static void
confab_profiles_resync (ConfabFeature *feature)
{
  ConfabProfiles *self = CONFAB_PROFILES (feature);

  /* Updates may have been missed: every profile is asked again. */
  g_hash_table_remove_all (self->profiles_known);
  want_profiles (self);
}

static void
confab_profiles_constructed (GObject *object)
{
  ConfabProfiles *self = CONFAB_PROFILES (object);
  ConfabFeature *feature = CONFAB_FEATURE (object);

  G_OBJECT_CLASS (confab_profiles_parent_class)->constructed (object);

  confab_feature_handle_event (feature, CONFAB_EVENT_PROFILE_UPDATED,
                               G_CALLBACK (on_profile_updated_event));
  g_signal_connect_object (confab_feature_get_client (feature), "notify::user",
                           G_CALLBACK (on_client_user_notify), self, 0);
}

static void
confab_profiles_dispose (GObject *object)
{
  ConfabProfiles *self = CONFAB_PROFILES (object);

  g_clear_handle_id (&self->profiles_source, g_source_remove);
  g_clear_pointer (&self->loaded_users, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_profiles_parent_class)->dispose (object);
}

static void
confab_profiles_finalize (GObject *object)
{
  ConfabProfiles *self = CONFAB_PROFILES (object);

  g_hash_table_unref (self->contacts);
  g_hash_table_unref (self->profiles_known);
  g_hash_table_unref (self->profiles_asked);
  g_free (self->timezone_sent);

  G_OBJECT_CLASS (confab_profiles_parent_class)->finalize (object);
}

static void
confab_profiles_class_init (ConfabProfilesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabFeatureClass *feature_class = CONFAB_FEATURE_CLASS (klass);

  object_class->constructed = confab_profiles_constructed;
  object_class->dispose = confab_profiles_dispose;
  object_class->finalize = confab_profiles_finalize;

  feature_class->load_async = confab_profiles_load_async;
  feature_class->load_finish = confab_profiles_load_finish;
  feature_class->apply = confab_profiles_apply;
  feature_class->synced = confab_profiles_synced;
  feature_class->resync = confab_profiles_resync;
}

static void
confab_profiles_init (ConfabProfiles *self)
{
  self->contacts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->profiles_known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->profiles_asked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

ConfabProfiles *
confab_profiles_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_PROFILES, "session", session, NULL);
}

ConfabProfiles *
confab_profiles_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_PROFILES);
}

ConfabContact *
confab_profiles_get_contact (ConfabProfiles *self,
                             const char     *username)
{
  ConfabContact *contact;

  g_return_val_if_fail (CONFAB_IS_PROFILES (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  contact = g_hash_table_lookup (self->contacts, username);
  if (contact == NULL)
    {
      contact = confab_contact_new (username);
      g_hash_table_insert (self->contacts, g_strdup (username), contact);
      want_profiles (self);
    }
  return contact;
}

ConfabContact *
confab_profiles_get_self_contact (ConfabProfiles *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILES (self), NULL);
  return confab_profiles_get_contact (self, confab_feature_get_username (CONFAB_FEATURE (self)));
}

ConfabContact *
confab_profiles_update_user (ConfabProfiles *self,
                             JsonObject     *user)
{
  const char *username = confab_json_get_string (user, "username");
  ConfabContact *contact;

  g_return_val_if_fail (CONFAB_IS_PROFILES (self), NULL);

  if (username == NULL)
    return NULL;
  g_hash_table_add (self->profiles_known, g_strdup (username));
  contact = confab_profiles_get_contact (self, username);
  confab_contact_update_from_json (contact, user);
  return contact;
}

gboolean
confab_profiles_is_known (ConfabProfiles *self,
                          const char     *username)
{
  g_return_val_if_fail (CONFAB_IS_PROFILES (self), FALSE);
  return username != NULL && g_hash_table_contains (self->profiles_known, username);
}

GPtrArray *
confab_profiles_dup_usernames (ConfabProfiles *self)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (CONFAB_IS_PROFILES (self), names);

  g_hash_table_iter_init (&iter, self->contacts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, g_strdup (key));
  return names;
}

static void
apply_profile (ConfabFeature *feature,
               JsonObject    *params,
               JsonObject    *reply)
{
  JsonObject *user = confab_json_get_object (reply, "user");

  if (user != NULL && confab_json_get_string (user, "username") != NULL)
    store_user (CONFAB_PROFILES (feature), user, 0);
}

void
confab_profiles_get_profile_async (ConfabProfiles      *self,
                                   const char          *username,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_PROFILES (self));
  g_return_if_fail (username != NULL);

  json_object_set_string_member (params, "user", username);
  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_PROFILE_GET, params, apply_profile,
                          confab_profiles_get_profile_async, cancellable, callback, user_data);
}

void
confab_profiles_update_profile_async (ConfabProfiles      *self,
                                      JsonObject          *fields,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (CONFAB_IS_PROFILES (self));
  g_return_if_fail (fields != NULL);

  confab_feature_request (CONFAB_FEATURE (self), CONFAB_REQUEST_PROFILE_UPDATE, fields, apply_profile,
                          confab_profiles_update_profile_async, cancellable, callback,
                          user_data);
}

JsonObject *
confab_profiles_profile_finish (ConfabProfiles  *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_autoptr(JsonObject) reply = NULL;
  JsonObject *user;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  if (reply == NULL)
    return NULL;
  user = confab_json_get_object (reply, "user");
  if (user == NULL)
    {
      g_set_error_literal (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_BAD_RESPONSE,
                           _("The server sent an answer this app does not understand."));
      return NULL;
    }
  return json_object_ref (user);
}
