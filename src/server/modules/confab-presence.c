/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-presence"

#include "config.h"

#include "confab-presence.h"
#include "confab-contact-store.h"
#include "confab-messages.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-profile-store.h"
#include "confab-protocol.h"
#include "confab-server-module.h"
#include "confab-validate.h"

/* Ephemeral state: who is online with which status, and who is typing where. None of it is
 * stored but last_seen; a restart makes everyone offline until they reconnect. */

typedef struct
{
  char *status;
  char *text;
} UserPresence;

typedef struct
{
  ConfabPresence *presence;
  char           *key;
  char           *username;
  char           *conv;
  GStrv           recipients;
  guint           timeout_id;
} Typing;

struct _ConfabPresence
{
  GObject       parent_instance;

  ConfabStore  *store;
  ConfabRouter *router;
  GHashTable   *users;    /* username → UserPresence */
  GHashTable   *typing;   /* "username\nconv" → Typing */
};

G_DEFINE_FINAL_TYPE (ConfabPresence, confab_presence, G_TYPE_OBJECT)

/* --- Stored presence -------------------------------------------------------------------------- */

#define PS(store) CONFAB_PROFILE_STORE_GET_IFACE (store)
#define PSELF(store) ((ConfabProfileStore *) (store))

typedef struct
{
  char   *username;
  GStrv   usernames;
  gint64  ts;
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->username);
  g_strfreev (args->usernames);
  g_free (args);
}

static ConfabStoreReply *
peers_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  g_auto(GStrv) peers = PS (store)->peers (PSELF (store), args->username);
  JsonArray *users = json_array_new ();
  JsonObject *result = json_object_new ();

  for (guint i = 0; peers[i] != NULL; i++)
    json_array_add_string_element (users, peers[i]);
  json_object_set_array_member (result, "users", users);
  return confab_store_reply_new (result);
}

#define HIDDEN (-2)

static ConfabStoreReply *
last_seen_get_work (ConfabStore  *store,
                    gpointer      data,
                    GError      **error)
{
  Args *args = data;
  JsonObject *last_seen = json_object_new ();
  JsonObject *result = json_object_new ();

  for (guint i = 0; args->usernames[i] != NULL; i++)
    {
      gint64 ts = PS (store)->last_seen (PSELF (store), args->usernames[i]);

      /* Someone who blocks the viewer looks offline and never seen to them. */
      if (ts >= 0 && args->username != NULL && CONFAB_IS_CONTACT_STORE (store)
          && CONFAB_CONTACT_STORE_GET_IFACE (store)->blocks (CONFAB_CONTACT_STORE (store),
                                                             args->usernames[i],
                                                             args->username))
        ts = HIDDEN;
      if (ts >= 0 || ts == HIDDEN)
        json_object_set_int_member (last_seen, args->usernames[i], ts);
    }
  json_object_set_object_member (result, "last_seen", last_seen);
  return confab_store_reply_new (result);
}

static ConfabStoreReply *
last_seen_set_work (ConfabStore  *store,
                    gpointer      data,
                    GError      **error)
{
  Args *args = data;

  PS (store)->set_last_seen (PSELF (store), args->username, args->ts);
  return confab_store_reply_new (NULL);
}

void
confab_presence_peers_async (ConfabStore         *store,
                             const char          *username,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_PROFILE_STORE (store));
  g_return_if_fail (username != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  confab_store_run_async (store, "peers", CONFAB_STORE_WORK_READ, peers_work, args, args_free,
                          cancellable, callback, user_data, confab_presence_peers_async);
}

void
confab_presence_last_seen_get_async (ConfabStore         *store,
                                     const char * const  *usernames,
                                     const char          *viewer,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_PROFILE_STORE (store));
  g_return_if_fail (usernames != NULL);

  args = g_new0 (Args, 1);
  args->usernames = g_strdupv ((char **) usernames);
  args->username = g_strdup (viewer);
  confab_store_run_async (store, "last_seen_get", CONFAB_STORE_WORK_READ, last_seen_get_work,
                          args, args_free, cancellable, callback, user_data,
                          confab_presence_last_seen_get_async);
}

void
confab_presence_last_seen_set_async (ConfabStore         *store,
                                     const char          *username,
                                     gint64               ts,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_PROFILE_STORE (store));
  g_return_if_fail (username != NULL);

  args = g_new0 (Args, 1);
  args->username = g_strdup (username);
  args->ts = ts;
  confab_store_run_async (store, "last_seen_set", CONFAB_STORE_WORK_WRITE, last_seen_set_work,
                          args, args_free, cancellable, callback, user_data,
                          confab_presence_last_seen_set_async);
}

static void
user_presence_free (UserPresence *p)
{
  g_free (p->status);
  g_free (p->text);
  g_free (p);
}

static void
typing_free (Typing *t)
{
  g_clear_handle_id (&t->timeout_id, g_source_remove);
  g_free (t->key);
  g_free (t->username);
  g_free (t->conv);
  g_strfreev (t->recipients);
  g_free (t);
}

static UserPresence *
lookup (ConfabPresence *self,
        const char     *username)
{
  return g_hash_table_lookup (self->users, username);
}

static const char *
visible_status (ConfabPresence *self,
                const char     *username)
{
  UserPresence *p = lookup (self, username);

  if (confab_router_count_user (self->router, username) == 0)
    return "offline";
  if (p == NULL)
    return "online";
  if (g_str_equal (p->status, "invisible"))
    return "offline";
  return p->status;
}

gboolean
confab_presence_is_online (ConfabPresence *self,
                           const char     *username)
{
  return !g_str_equal (visible_status (self, username), "offline");
}

/**
 * confab_presence_describe:
 * @stored_last_seen: the last_seen the store holds, used when the user looks offline
 *
 * Returns: (transfer full): `{user, status, text, last_seen}` as others may see it
 */
JsonObject *
confab_presence_describe (ConfabPresence *self,
                          const char     *username,
                          gint64          stored_last_seen)
{
  JsonObject *object = json_object_new ();
  const char *status = visible_status (self, username);
  UserPresence *p = lookup (self, username);
  gboolean online = !g_str_equal (status, "offline");

  json_object_set_string_member (object, "user", username);
  json_object_set_string_member (object, "status", status);
  json_object_set_string_member (object, "text", online && p != NULL && p->text != NULL ? p->text : "");
  if (online)
    json_object_set_int_member (object, "last_seen", confab_now_ms ());
  else if (stored_last_seen > 0)
    json_object_set_int_member (object, "last_seen", stored_last_seen);
  else
    json_object_set_null_member (object, "last_seen");
  return object;
}

typedef struct
{
  ConfabPresence *presence;
  char           *username;
  GBytes         *frame;
} Broadcast;

static void
peers_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Broadcast *b = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    g_debug ("no presence audience for %s: %s", b->username, error->message);
  else
    {
      JsonArray *peers = json_object_get_array_member (reply->result, "users");

      for (guint i = 0; peers != NULL && i < json_array_get_length (peers); i++)
        confab_router_send_to_user (b->presence->router, json_array_get_string_element (peers, i),
                                    b->frame, NULL);
      /* The user's own devices learn their status too. */
      confab_router_send_to_user (b->presence->router, b->username, b->frame, NULL);
    }

  g_object_unref (b->presence);
  g_free (b->username);
  g_bytes_unref (b->frame);
  g_free (b);
}

static void
broadcast (ConfabPresence *self,
           const char     *username,
           gint64          last_seen)
{
  g_autoptr(JsonObject) data = confab_presence_describe (self, username, last_seen);
  Broadcast *b = g_new0 (Broadcast, 1);
  gsize length;
  char *text = confab_frame_event (CONFAB_EVENT_PRESENCE, 0, data, &length);

  b->presence = g_object_ref (self);
  b->username = g_strdup (username);
  b->frame = g_bytes_new_take (text, length);
  confab_presence_peers_async (self->store, username, NULL, peers_cb, b);
}

static gboolean
is_invisible (ConfabPresence *self,
              const char     *username)
{
  UserPresence *p = lookup (self, username);

  return p != NULL && g_str_equal (p->status, "invisible");
}

void
confab_presence_connected (ConfabPresence *self,
                           const char     *username)
{
  if (!is_invisible (self, username))
    broadcast (self, username, 0);
}

static void
last_seen_stored_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStoreReply) reply = confab_store_finish (CONFAB_STORE (source), result, &error);

  if (reply == NULL)
    g_debug ("storing last_seen failed: %s", error->message);
}

static void
stop_typing_of (ConfabPresence *self,
                const char     *username);

void
confab_presence_disconnected (ConfabPresence *self,
                              const char     *username)
{
  gint64 now = confab_now_ms ();

  stop_typing_of (self, username);
  confab_presence_last_seen_set_async (self->store, username, now, NULL, last_seen_stored_cb,
                                       NULL);
  if (!is_invisible (self, username))
    broadcast (self, username, now);
}

void
confab_presence_set (ConfabPresence *self,
                     const char     *username,
                     const char     *status,
                     const char     *text)
{
  UserPresence *p = lookup (self, username);
  gboolean was_invisible = p != NULL && g_str_equal (p->status, "invisible");

  if (p == NULL)
    {
      p = g_new0 (UserPresence, 1);
      g_hash_table_insert (self->users, g_strdup (username), p);
    }
  g_free (p->status);
  p->status = g_strdup (status);
  if (text != NULL)
    {
      g_free (p->text);
      p->text = g_strdup (text);
    }

  /* Going invisible looks like going offline; staying invisible says nothing. */
  if (!(was_invisible && g_str_equal (status, "invisible")))
    broadcast (self, username, confab_now_ms ());
}

static void
send_typing (ConfabPresence *self,
             Typing         *t,
             gboolean        active)
{
  g_autoptr(JsonObject) data = json_object_new ();
  g_autoptr(GBytes) frame = NULL;
  gsize length;
  char *text;

  json_object_set_string_member (data, "conv", t->conv);
  json_object_set_string_member (data, "user", t->username);
  json_object_set_boolean_member (data, "active", active);
  text = confab_frame_event (CONFAB_EVENT_TYPING, 0, data, &length);
  frame = g_bytes_new_take (text, length);

  for (guint i = 0; t->recipients[i] != NULL; i++)
    confab_router_send_to_user (self->router, t->recipients[i], frame, NULL);
}

static gboolean
on_typing_expired (gpointer user_data)
{
  Typing *t = user_data;

  t->timeout_id = 0;
  send_typing (t->presence, t, FALSE);
  g_hash_table_remove (t->presence->typing, t->key);
  return G_SOURCE_REMOVE;
}

/**
 * confab_presence_typing:
 *
 * Forwards a change of typing state to @recipients. A client repeats `active:true` while the
 * user types; without a repeat the state ends after the protocol's 6 s, and the recipients are
 * told so.
 */
void
confab_presence_typing (ConfabPresence     *self,
                        const char         *username,
                        const char         *conv,
                        const char * const *recipients,
                        gboolean            active)
{
  g_autofree char *key = g_strconcat (username, "\n", conv, NULL);
  Typing *t = g_hash_table_lookup (self->typing, key);

  if (!active)
    {
      if (t != NULL)
        {
          send_typing (self, t, FALSE);
          g_hash_table_remove (self->typing, key);
        }
      return;
    }

  if (t == NULL)
    {
      t = g_new0 (Typing, 1);
      t->presence = self;
      t->key = g_strdup (key);
      t->username = g_strdup (username);
      t->conv = g_strdup (conv);
      t->recipients = g_strdupv ((char **) recipients);
      g_hash_table_insert (self->typing, t->key, t);
      send_typing (self, t, TRUE);
    }

  g_clear_handle_id (&t->timeout_id, g_source_remove);
  t->timeout_id = g_timeout_add (CONFAB_TYPING_EXPIRY_MS, on_typing_expired, t);
}

static void
stop_typing_of (ConfabPresence *self,
                const char     *username)
{
  g_autoptr(GPtrArray) ended = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->typing);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Typing *t = value;
      if (g_str_equal (t->username, username))
        g_ptr_array_add (ended, t->key);
    }
  for (guint i = 0; i < ended->len; i++)
    {
      Typing *t = g_hash_table_lookup (self->typing, g_ptr_array_index (ended, i));

      send_typing (self, t, FALSE);
      g_hash_table_remove (self->typing, t->key);
    }
}

static void
confab_presence_dispose (GObject *object)
{
  ConfabPresence *self = CONFAB_PRESENCE (object);

  g_hash_table_remove_all (self->typing);
  g_clear_object (&self->store);
  g_clear_object (&self->router);

  G_OBJECT_CLASS (confab_presence_parent_class)->dispose (object);
}

static void
confab_presence_finalize (GObject *object)
{
  ConfabPresence *self = CONFAB_PRESENCE (object);

  g_hash_table_unref (self->users);
  g_hash_table_unref (self->typing);

  G_OBJECT_CLASS (confab_presence_parent_class)->finalize (object);
}

static void
confab_presence_class_init (ConfabPresenceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_presence_dispose;
  object_class->finalize = confab_presence_finalize;
}

static void
confab_presence_init (ConfabPresence *self)
{
  self->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) user_presence_free);
  /* Keys are owned by the Typing values. */
  self->typing = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) typing_free);
}

ConfabPresence *
confab_presence_new (ConfabStore  *store,
                     ConfabRouter *router)
{
  ConfabPresence *self = g_object_new (CONFAB_TYPE_PRESENCE, NULL);

  self->store = g_object_ref (store);
  self->router = g_object_ref (router);
  return self;
}

/* --- The module ------------------------------------------------------------------------------ */

static void
handle_presence (gpointer          instance,
                 ConfabConnection *self,
                 const char       *id,
                 JsonObject       *frame)
{
  static const char * const statuses[] = { "online", "away", "busy", "invisible", NULL };
  ConfabPresence *presence = instance;
  g_autoptr(GError) error = NULL;
  const char *status = NULL;
  const char *text = NULL;

  if (!confab_params_get_string (frame, "status", CONFAB_PARAM_REQUIRED, 1, 16, &status, &error)
      || !confab_params_get_string (frame, "text", CONFAB_PARAM_OPTIONAL, 0,
                                    CONFAB_PRESENCE_TEXT_MAX_CHARS, &text, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  if (!g_strv_contains (statuses, status))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "status must be online, away, busy or invisible");
      return;
    }

  confab_presence_set (presence, confab_connection_get_username (self), status, text);
  confab_connection_respond_ok (self, id, NULL);
}

static void
presence_get_hook (ConfabConnection *self,
                   ConfabStoreReply *reply,
                   gpointer          hook_data)
{
  ConfabPresence *presence = hook_data;
  JsonObject *last_seen = json_object_get_object_member (reply->result, "last_seen");
  JsonArray *list = json_array_new ();
  JsonObjectIter iter;
  const char *username;
  JsonNode *node;

  json_object_iter_init (&iter, last_seen);
  while (json_object_iter_next (&iter, &username, &node))
    {
      JsonObject *described;

      if (json_node_get_int (node) != HIDDEN)
        described = confab_presence_describe (presence, username, json_node_get_int (node));
      else
        {
          described = json_object_new ();
          json_object_set_string_member (described, "user", username);
          json_object_set_string_member (described, "status", "offline");
          json_object_set_string_member (described, "text", "");
          json_object_set_null_member (described, "last_seen");
        }
      json_array_add_object_element (list, described);
    }

  json_object_remove_member (reply->result, "last_seen");
  json_object_set_array_member (reply->result, "presence", list);
}

static void
handle_presence_get (gpointer          instance,
                     ConfabConnection *self,
                     const char       *id,
                     JsonObject       *frame)
{
  ConfabPresence *presence = instance;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array = NULL;

  if (!confab_params_get_array (frame, "users", CONFAB_PARAM_REQUIRED,
                                CONFAB_PRESENCE_GET_MAX_USERS, &array, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      char *username = NULL;

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        username = confab_username_normalize (json_node_get_string (node));
      if (username == NULL)
        {
          confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                           "users must be a list of usernames");
          return;
        }
      g_ptr_array_add (users, username);
    }
  g_ptr_array_add (users, NULL);

  confab_presence_last_seen_get_async (presence->store, (const char * const *) users->pdata,
                                       confab_connection_get_username (self),
                                       CONFAB_STORE_CALL_FULL (self, id, presence_get_hook,
                                                               instance));
}

/* Typing in a room: the participants came from the store; the response is {}. */
static void
typing_hook (ConfabConnection *self,
             ConfabStoreReply *reply,
             ConfabPresence   *presence,
             gboolean          active)
{
  const char *username = confab_connection_get_username (self);
  JsonObject *result = confab_store_reply_get_result (reply);
  JsonArray *users = json_object_get_array_member (result, "users");
  g_autoptr(GPtrArray) recipients = g_ptr_array_new ();
  g_autofree char *conv = g_strdup (json_object_get_string_member (result, "conv"));

  for (guint i = 0; i < json_array_get_length (users); i++)
    if (!g_str_equal (json_array_get_string_element (users, i), username))
      g_ptr_array_add (recipients, (gpointer) json_array_get_string_element (users, i));
  g_ptr_array_add (recipients, NULL);
  confab_presence_typing (presence, username, conv, (const char * const *) recipients->pdata,
                          active);
  json_object_remove_member (result, "users");
  json_object_remove_member (result, "conv");
}

static void
typing_on_hook (ConfabConnection *self,
                ConfabStoreReply *reply,
                gpointer          hook_data)
{
  typing_hook (self, reply, hook_data, TRUE);
}

static void
typing_off_hook (ConfabConnection *self,
                 ConfabStoreReply *reply,
                 gpointer          hook_data)
{
  typing_hook (self, reply, hook_data, FALSE);
}

static void
handle_typing (gpointer          instance,
               ConfabConnection *self,
               const char       *id,
               JsonObject       *frame)
{
  const char *username = confab_connection_get_username (self);
  g_autoptr(GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  const char *conv = NULL;
  gboolean active = FALSE;
  const char *recipients[2] = { NULL, NULL };

  if (!confab_request_get_conv (frame, CONFAB_PARAM_REQUIRED, &conv, &error)
      || !confab_params_get_bool (frame, "active", CONFAB_PARAM_REQUIRED, &active, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }

  if (confab_conv_parse (conv, &a, &b) != CONFAB_CONV_DM)
    {
      /* Who is in a room is the store's to say; the answer comes back to a hook. */
      confab_messages_participants_async (confab_server_get_store (confab_connection_get_server (self)),
                                          username, conv,
                                          CONFAB_STORE_CALL_FULL (self, id,
                                                                  active ? typing_on_hook
                                                                         : typing_off_hook,
                                                                  instance));
      return;
    }
  if (!g_str_equal (username, a) && !g_str_equal (username, b))
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_FORBIDDEN,
                                       "you are not in this conversation");
      return;
    }

  recipients[0] = g_str_equal (username, a) ? b : a;
  confab_presence_typing (instance, username, conv, recipients, active);
  confab_connection_respond_ok (self, id, NULL);
}

static void
on_session_started (gpointer          instance,
                    ConfabConnection *connection,
                    gboolean          first_of_user)
{
  if (first_of_user)
    confab_presence_connected (instance, confab_connection_get_username (connection));
}

static void
on_session_ended (gpointer          instance,
                  ConfabConnection *connection,
                  gboolean          last_of_user,
                  gboolean          last_of_device)
{
  if (last_of_user)
    confab_presence_disconnected (instance, confab_connection_get_username (connection));
}

static const ConfabRequestHandler requests[] = {
  { CONFAB_REQUEST_PRESENCE, handle_presence },
  { CONFAB_REQUEST_PRESENCE_GET, handle_presence_get },
  { CONFAB_REQUEST_TYPING, handle_typing },
  { NULL }
};

static const char * const events[] = { CONFAB_EVENT_PRESENCE, CONFAB_EVENT_TYPING, NULL };

static const ConfabServerModule module = {
  .name = "presence",
  .requests = requests,
  .events = events,
  .session_started = on_session_started,
  .session_ended = on_session_ended,
};

void
confab_presence_register (ConfabServer *server)
{
  ConfabPresence *self = confab_presence_new (confab_server_get_store (server),
                                              confab_server_get_router (server));

  g_object_set_data (G_OBJECT (server), "confab-presence", self);
  confab_server_add_module (server, &module, self, g_object_unref);
}

ConfabPresence *
confab_presence_from_server (ConfabServer *server)
{
  g_return_val_if_fail (G_IS_OBJECT (server), NULL);

  return g_object_get_data (G_OBJECT (server), "confab-presence");
}
