/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-contacts"

#include "config.h"

#include "confab-client.h"
#include "confab-contact.h"
#include "confab-contacts.h"
#include "confab-frame.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-session.h"

struct _ConfabContacts
{
  ConfabFeature  parent_instance;

  GListStore    *contacts;     /* ConfabContact */
  GListStore    *pending_in;
  GListStore    *pending_out;
  GHashTable    *groups;       /* username → group, for contacts */
  GHashTable    *messages;     /* username → request message, for pending requests */
  GHashTable    *blocked;      /* set of usernames */
  gboolean       loaded;
  gboolean       loading;      /* a `contacts` request is under way */
  gboolean       dirty;        /* something changed while it was: ask again */
  guint          reload_id;
};

enum
{
  SIGNAL_CHANGED,
  SIGNAL_REQUEST_RECEIVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabContacts, confab_contacts, CONFAB_TYPE_FEATURE)

static const char * const contact_events[] = {
  CONFAB_EVENT_CONTACT_REQUEST, CONFAB_EVENT_CONTACT_ADDED, CONFAB_EVENT_CONTACT_REMOVED,
  CONFAB_EVENT_CONTACT_DECLINED, CONFAB_EVENT_CONTACT_UPDATED, CONFAB_EVENT_USER_BLOCKED,
  CONFAB_EVENT_USER_UNBLOCKED,
};

static void schedule_reload (ConfabContacts *self);

/* The ConfabContact of an entry's User object, brought up to date; NULL for a bad entry. */
static ConfabContact *
entry_contact (ConfabContacts *self,
               JsonObject     *entry,
               const char    **username_out)
{
  ConfabSession *session = confab_feature_get_session (CONFAB_FEATURE (self));
  JsonObject *user = confab_json_get_object (entry, "user");

  if (user == NULL || session == NULL)
    return NULL;
  *username_out = confab_json_get_string (user, "username");
  return confab_profiles_update_user (confab_profiles_from_session (session), user);
}

/* Replaces @store's items with those of @array's entries. */
static void
fill_store (ConfabContacts *self,
            GListStore     *store,
            JsonArray      *array,
            gboolean        is_contacts)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  guint n = array != NULL ? json_array_get_length (array) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      const char *username = NULL;
      ConfabContact *contact;
      JsonObject *entry;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      entry = json_node_get_object (node);
      contact = entry_contact (self, entry, &username);
      if (contact == NULL)
        continue;
      if (is_contacts)
        {
          JsonObject *presence = confab_json_get_object (entry, "presence");
          const char *group = confab_json_get_string (entry, "group");

          g_hash_table_replace (self->groups, g_strdup (username),
                                g_strdup (group != NULL ? group : ""));
          if (presence != NULL && confab_json_get_string (presence, "status") != NULL)
            confab_contact_set_presence (contact,
                                         confab_presence_from_string (
                                           confab_json_get_string (presence, "status")),
                                         confab_json_get_string (presence, "text"),
                                         confab_json_get_int_or (presence, "last_seen", 0));
        }
      else
        {
          const char *message = confab_json_get_string (entry, "message");

          g_hash_table_replace (self->messages, g_strdup (username),
                                g_strdup (message != NULL ? message : ""));
        }
      g_ptr_array_add (items, contact);
    }
  g_list_store_splice (store, 0, g_list_model_get_n_items (G_LIST_MODEL (store)),
                       items->pdata, items->len);
}

static void
apply_contacts (ConfabContacts *self,
                JsonObject     *reply)
{
  JsonArray *blocked = confab_json_get_array (reply, "blocked");

  g_hash_table_remove_all (self->groups);
  g_hash_table_remove_all (self->messages);
  g_hash_table_remove_all (self->blocked);
  for (guint i = 0; blocked != NULL && i < json_array_get_length (blocked); i++)
    {
      JsonNode *node = json_array_get_element (blocked, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        g_hash_table_add (self->blocked, g_strdup (json_node_get_string (node)));
    }
  fill_store (self, self->contacts, confab_json_get_array (reply, "contacts"), TRUE);
  fill_store (self, self->pending_in, confab_json_get_array (reply, "pending_in"), FALSE);
  fill_store (self, self->pending_out, confab_json_get_array (reply, "pending_out"), FALSE);
  self->loaded = TRUE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
contacts_got_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabContacts) self = user_data;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = confab_client_request_finish (CONFAB_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || confab_feature_get_session (CONFAB_FEATURE (self)) == NULL)
    return;
  self->loading = FALSE;
  if (reply != NULL)
    apply_contacts (self, reply);
  else
    g_message ("contacts: %s", error->message);
  /* A failure is tried again at the next sync; a change meanwhile is asked for at once. */
  if (self->dirty)
    schedule_reload (self);
}

static gboolean
reload_cb (gpointer user_data)
{
  ConfabContacts *self = user_data;
  ConfabClient *client = confab_feature_get_client (CONFAB_FEATURE (self));
  g_autoptr(JsonObject) params = json_object_new ();

  self->reload_id = 0;
  if (client == NULL || confab_client_get_state (client) != CONFAB_CLIENT_STATE_CONNECTED)
    return G_SOURCE_REMOVE;
  if (self->loading)
    {
      self->dirty = TRUE;
      return G_SOURCE_REMOVE;
    }
  self->loading = TRUE;
  self->dirty = FALSE;
  confab_client_request_async (client, CONFAB_REQUEST_CONTACTS, params,
                               confab_feature_get_cancellable (CONFAB_FEATURE (self)),
                               contacts_got_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

/* Asks for the lists once the current main loop iteration is done (events replayed together
 * make one request). */
static void
schedule_reload (ConfabContacts *self)
{
  if (self->loading)
    self->dirty = TRUE;
  else if (self->reload_id == 0)
    self->reload_id = g_idle_add (reload_cb, self);
}

static void
on_contact_event (ConfabSession  *session,
                  const char     *name,
                  JsonObject     *data,
                  ConfabContacts *self)
{
  const char *own = confab_feature_get_username (CONFAB_FEATURE (self));

  if (g_str_equal (name, CONFAB_EVENT_CONTACT_REQUEST))
    {
      const char *from = confab_json_get_string (data, "from");
      const char *to = confab_json_get_string (data, "to");

      if (from == NULL || to == NULL)
        {
          g_message ("skipping event '%s': missing or mistyped fields", name);
          return;
        }
      if (g_strcmp0 (to, own) == 0 && g_strcmp0 (from, own) != 0)
        {
          const char *message = confab_json_get_string (data, "message");

          g_signal_emit (self, signals[SIGNAL_REQUEST_RECEIVED], 0, from,
                         message != NULL ? message : "");
        }
    }
  else if (confab_json_get_string (data, "user") == NULL)
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  schedule_reload (self);
}

static void
confab_contacts_synced (ConfabFeature *feature)
{
  schedule_reload (CONFAB_CONTACTS (feature));
}

static void
confab_contacts_resync (ConfabFeature *feature)
{
  schedule_reload (CONFAB_CONTACTS (feature));
}

static void
on_client_state_notify (ConfabClient   *client,
                        GParamSpec     *pspec,
                        ConfabContacts *self)
{
  if (confab_client_get_state (client) != CONFAB_CLIENT_STATE_CONNECTED)
    {
      /* The answer to a request of the lost connection never comes. */
      self->loaded = FALSE;
      self->loading = FALSE;
    }
}

static void
confab_contacts_constructed (GObject *object)
{
  ConfabContacts *self = CONFAB_CONTACTS (object);
  ConfabFeature *feature = CONFAB_FEATURE (object);
  ConfabSession *session;

  G_OBJECT_CLASS (confab_contacts_parent_class)->constructed (object);

  session = confab_feature_get_session (feature);
  /* Not kept: the session stores their seq as for any event no feature keeps. */
  for (guint i = 0; session != NULL && i < G_N_ELEMENTS (contact_events); i++)
    {
      g_autofree char *detailed = g_strconcat ("event::", contact_events[i], NULL);

      g_signal_connect_object (session, detailed, G_CALLBACK (on_contact_event), self, 0);
    }
  if (confab_feature_get_client (feature) != NULL)
    g_signal_connect_object (confab_feature_get_client (feature), "notify::state",
                             G_CALLBACK (on_client_state_notify), self, 0);
}

static void
confab_contacts_dispose (GObject *object)
{
  ConfabContacts *self = CONFAB_CONTACTS (object);

  g_clear_handle_id (&self->reload_id, g_source_remove);

  G_OBJECT_CLASS (confab_contacts_parent_class)->dispose (object);
}

static void
confab_contacts_finalize (GObject *object)
{
  ConfabContacts *self = CONFAB_CONTACTS (object);

  g_object_unref (self->contacts);
  g_object_unref (self->pending_in);
  g_object_unref (self->pending_out);
  g_hash_table_unref (self->groups);
  g_hash_table_unref (self->messages);
  g_hash_table_unref (self->blocked);

  G_OBJECT_CLASS (confab_contacts_parent_class)->finalize (object);
}

static void
confab_contacts_class_init (ConfabContactsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabFeatureClass *feature_class = CONFAB_FEATURE_CLASS (klass);

  object_class->constructed = confab_contacts_constructed;
  object_class->dispose = confab_contacts_dispose;
  object_class->finalize = confab_contacts_finalize;
  feature_class->synced = confab_contacts_synced;
  feature_class->resync = confab_contacts_resync;

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_REQUEST_RECEIVED] =
    g_signal_new ("request-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
confab_contacts_init (ConfabContacts *self)
{
  self->contacts = g_list_store_new (CONFAB_TYPE_CONTACT);
  self->pending_in = g_list_store_new (CONFAB_TYPE_CONTACT);
  self->pending_out = g_list_store_new (CONFAB_TYPE_CONTACT);
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->messages = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->blocked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

ConfabContacts *
confab_contacts_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_CONTACTS, "session", session, NULL);
}

ConfabContacts *
confab_contacts_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_CONTACTS);
}

GListModel *
confab_contacts_get_contacts (ConfabContacts *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), NULL);
  return G_LIST_MODEL (self->contacts);
}

GListModel *
confab_contacts_get_pending_in (ConfabContacts *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), NULL);
  return G_LIST_MODEL (self->pending_in);
}

GListModel *
confab_contacts_get_pending_out (ConfabContacts *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), NULL);
  return G_LIST_MODEL (self->pending_out);
}

const char *
confab_contacts_get_group (ConfabContacts *self,
                           const char     *username)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), NULL);
  return username != NULL ? g_hash_table_lookup (self->groups, username) : NULL;
}

const char *
confab_contacts_get_request_message (ConfabContacts *self,
                                     const char     *username)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), NULL);
  return username != NULL ? g_hash_table_lookup (self->messages, username) : NULL;
}

static gboolean
store_has (GListStore *store,
           const char *username)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  for (guint i = 0; username != NULL && i < n; i++)
    {
      g_autoptr(ConfabContact) contact = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (g_str_equal (confab_contact_get_username (contact), username))
        return TRUE;
    }
  return FALSE;
}

gboolean
confab_contacts_is_contact (ConfabContacts *self,
                            const char     *username)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), FALSE);
  return username != NULL && g_hash_table_contains (self->groups, username);
}

gboolean
confab_contacts_is_pending_in (ConfabContacts *self,
                               const char     *username)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), FALSE);
  return store_has (self->pending_in, username);
}

gboolean
confab_contacts_is_pending_out (ConfabContacts *self,
                                const char     *username)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), FALSE);
  return store_has (self->pending_out, username);
}

gboolean
confab_contacts_is_blocked (ConfabContacts *self,
                            const char     *username)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), FALSE);
  return username != NULL && g_hash_table_contains (self->blocked, username);
}

gboolean
confab_contacts_is_loaded (ConfabContacts *self)
{
  g_return_val_if_fail (CONFAB_IS_CONTACTS (self), FALSE);
  return self->loaded;
}

/* After any change the lists come again from the server: its answer is the truth. */
static void
apply_change (ConfabFeature *feature,
              JsonObject    *params,
              JsonObject    *reply)
{
  schedule_reload (CONFAB_CONTACTS (feature));
}

/* A block shows at once; the rest (an ended contact or request) with the lists. */
static void
apply_block (ConfabFeature *feature,
             JsonObject    *params,
             JsonObject    *reply)
{
  ConfabContacts *self = CONFAB_CONTACTS (feature);

  g_hash_table_add (self->blocked, g_strdup (confab_json_get_string (params, "user")));
  schedule_reload (self);
}

static void
apply_unblock (ConfabFeature *feature,
               JsonObject    *params,
               JsonObject    *reply)
{
  ConfabContacts *self = CONFAB_CONTACTS (feature);

  g_hash_table_remove (self->blocked, confab_json_get_string (params, "user"));
  schedule_reload (self);
}

static void
request_about (ConfabContacts         *self,
               const char             *type,
               JsonObject             *params,
               const char             *username,
               ConfabFeatureApplyFunc  apply,
               gpointer                source_tag,
               GCancellable           *cancellable,
               GAsyncReadyCallback     callback,
               gpointer                user_data)
{
  json_object_set_string_member (params, "user", username);
  confab_feature_request (CONFAB_FEATURE (self), type, params, apply, source_tag,
                          cancellable, callback, user_data);
}

void
confab_contacts_request_async (ConfabContacts      *self,
                               const char          *username,
                               const char          *message,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_CONTACTS (self));
  g_return_if_fail (username != NULL);

  if (message != NULL && message[0] != '\0')
    json_object_set_string_member (params, "message", message);
  request_about (self, CONFAB_REQUEST_CONTACT_REQUEST, params, username,
                 apply_change, confab_contacts_request_async, cancellable, callback, user_data);
}

gboolean
confab_contacts_request_finish (ConfabContacts  *self,
                                GAsyncResult    *result,
                                gboolean        *added,
                                GError         **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  reply = confab_feature_request_reply (CONFAB_FEATURE (self), result, error);
  if (added != NULL)
    *added = g_strcmp0 (confab_json_get_string (reply, "state"), "added") == 0;
  return reply != NULL;
}

void
confab_contacts_respond_async (ConfabContacts      *self,
                               const char          *username,
                               gboolean             accept,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_CONTACTS (self));
  g_return_if_fail (username != NULL);

  json_object_set_boolean_member (params, "accept", accept);
  request_about (self, CONFAB_REQUEST_CONTACT_RESPOND, params, username,
                 apply_change, confab_contacts_respond_async, cancellable, callback, user_data);
}

void
confab_contacts_remove_async (ConfabContacts      *self,
                              const char          *username,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_CONTACTS (self));
  g_return_if_fail (username != NULL);

  request_about (self, CONFAB_REQUEST_CONTACT_REMOVE, params, username,
                 apply_change, confab_contacts_remove_async, cancellable, callback, user_data);
}

void
confab_contacts_set_group_async (ConfabContacts      *self,
                                 const char          *username,
                                 const char          *group,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_CONTACTS (self));
  g_return_if_fail (username != NULL);

  json_object_set_string_member (params, "group", group != NULL ? group : "");
  request_about (self, CONFAB_REQUEST_CONTACT_GROUP, params, username,
                 apply_change, confab_contacts_set_group_async, cancellable, callback, user_data);
}

void
confab_contacts_block_async (ConfabContacts      *self,
                             const char          *username,
                             gboolean             block,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(JsonObject) params = json_object_new ();

  g_return_if_fail (CONFAB_IS_CONTACTS (self));
  g_return_if_fail (username != NULL);

  request_about (self, block ? CONFAB_REQUEST_BLOCK : CONFAB_REQUEST_UNBLOCK, params, username,
                 block ? apply_block : apply_unblock, confab_contacts_block_async, cancellable,
                 callback, user_data);
}
