/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-contacts"

#include "config.h"

#include "confab-contacts.h"
#include "confab-account-store.h"
#include "confab-contact-store.h"
#include "confab-limits.h"
#include "confab-presence.h"
#include "confab-server-module.h"

/* Contacts with consent. A relation is kept for each side; every change is a durable event to
 * the devices of each side it concerns, so that a device that was away learns it on its next
 * hello. A blocked user learns nothing of the block beyond `forbidden`. */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

/* --- The rules -------------------------------------------------------------------------------- */

#define CS(store) CONFAB_CONTACT_STORE_GET_IFACE (store)
#define CSELF(store) ((ConfabContactStore *) (store))
#define AS(store) CONFAB_ACCOUNT_STORE_GET_IFACE (store)
#define ASELF(store) ((ConfabAccountStore *) (store))

typedef struct
{
  char     *user;
  char     *target;
  char     *text;     /* the request's message, or the group */
  gboolean  on;
} Args;

static void
args_free (gpointer data)
{
  Args *args = data;

  g_free (args->user);
  g_free (args->target);
  g_free (args->text);
  g_free (args);
}

/* An event about @about, for @recipient's devices only. */
static void
emit_about (ConfabStore      *store,
            ConfabStoreReply *reply,
            const char       *name,
            const char       *recipient,
            const char       *about,
            const char       *group)
{
  g_autoptr(JsonObject) data = json_object_new ();
  const char *users[] = { recipient, NULL };

  json_object_set_string_member (data, "user", about);
  if (group != NULL)
    json_object_set_string_member (data, "group", group);
  confab_store_emit_event (store, reply, name, data, users);
}

/* Each side hears of the other. */
static void
emit_both (ConfabStore      *store,
           ConfabStoreReply *reply,
           const char       *name,
           const char       *a,
           const char       *b)
{
  emit_about (store, reply, name, a, b, NULL);
  emit_about (store, reply, name, b, a, NULL);
}

/* Checks shared by the requests about another user. */
static gboolean
check_target (ConfabStore  *store,
              Args         *args,
              GError      **error)
{
  if (g_str_equal (args->user, args->target))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_INVALID, "that is you");
      return FALSE;
    }
  if (!AS (store)->user_exists (ASELF (store), args->target))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no such user");
      return FALSE;
    }
  return TRUE;
}

static void
make_contacts (ConfabStore      *store,
               ConfabStoreReply *reply,
               const char       *a,
               const char       *b,
               gint64            ts)
{
  CS (store)->set_state (CSELF (store), a, b, CONFAB_CONTACT_ACCEPTED, NULL, ts);
  CS (store)->set_state (CSELF (store), b, a, CONFAB_CONTACT_ACCEPTED, NULL, ts);
  emit_both (store, reply, "contact_added", a, b);
}

static ConfabStoreReply *
request_work (ConfabStore  *store,
              gpointer      data,
              GError      **error)
{
  Args *args = data;
  g_autoptr(JsonObject) event = NULL;
  const char *users[] = { args->user, args->target, NULL };
  ConfabStoreReply *reply;
  JsonObject *result;
  gint64 ts = confab_now_ms ();

  if (!check_target (store, args, error))
    return NULL;
  if (CS (store)->blocks (CSELF (store), args->target, args->user)
      || CS (store)->blocks (CSELF (store), args->user, args->target))
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_FORBIDDEN, "you cannot ask this user");
      return NULL;
    }

  result = json_object_new ();
  reply = confab_store_reply_new (result);
  switch (CS (store)->state (CSELF (store), args->user, args->target))
    {
    case CONFAB_CONTACT_ACCEPTED:
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT, "already a contact");
      confab_store_reply_free (reply);
      return NULL;

    case CONFAB_CONTACT_PENDING_OUT:
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_CONFLICT, "you asked this user already");
      confab_store_reply_free (reply);
      return NULL;

    case CONFAB_CONTACT_PENDING_IN:
      /* Both asked: that is consent on both sides. */
      make_contacts (store, reply, args->user, args->target, ts);
      json_object_set_string_member (result, "state", "added");
      return reply;

    case CONFAB_CONTACT_NONE:
    default:
      break;
    }

  CS (store)->set_state (CSELF (store), args->user, args->target, CONFAB_CONTACT_PENDING_OUT,
                         args->text, ts);
  CS (store)->set_state (CSELF (store), args->target, args->user, CONFAB_CONTACT_PENDING_IN,
                         args->text, ts);
  event = json_object_new ();
  json_object_set_string_member (event, "from", args->user);
  json_object_set_string_member (event, "to", args->target);
  json_object_set_string_member (event, "message", args->text != NULL ? args->text : "");
  json_object_set_int_member (event, "ts", ts);
  confab_store_emit_event (store, reply, "contact_request", event, users);
  json_object_set_string_member (result, "state", "pending");
  return reply;
}

static ConfabStoreReply *
respond_work (ConfabStore  *store,
              gpointer      data,
              GError      **error)
{
  Args *args = data;
  ConfabStoreReply *reply;

  if (CS (store)->state (CSELF (store), args->user, args->target) != CONFAB_CONTACT_PENDING_IN)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "no request from this user");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  if (args->on)
    {
      make_contacts (store, reply, args->user, args->target, confab_now_ms ());
      return reply;
    }

  /* A decline clears both sides; only the one who declined hears of it. */
  CS (store)->remove (CSELF (store), args->user, args->target);
  CS (store)->remove (CSELF (store), args->target, args->user);
  emit_about (store, reply, "contact_declined", args->user, args->target, NULL);
  return reply;
}

static ConfabStoreReply *
remove_work (ConfabStore  *store,
             gpointer      data,
             GError      **error)
{
  Args *args = data;
  ConfabContactState state = CS (store)->state (CSELF (store), args->user, args->target);
  ConfabStoreReply *reply;

  if (state == CONFAB_CONTACT_NONE)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "not a contact");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  CS (store)->remove (CSELF (store), args->user, args->target);
  CS (store)->remove (CSELF (store), args->target, args->user);
  if (state == CONFAB_CONTACT_PENDING_IN)
    emit_about (store, reply, "contact_declined", args->user, args->target, NULL);
  else
    emit_both (store, reply, "contact_removed", args->user, args->target);
  return reply;
}

static ConfabStoreReply *
group_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  ConfabStoreReply *reply;

  if (CS (store)->state (CSELF (store), args->user, args->target) != CONFAB_CONTACT_ACCEPTED)
    {
      confab_set_protocol_error (error, CONFAB_PROTOCOL_ERROR_NOT_FOUND, "not a contact");
      return NULL;
    }

  reply = confab_store_reply_new (NULL);
  /* Groups are the owner's own: only the owner's devices hear of them. */
  if (CS (store)->set_group (CSELF (store), args->user, args->target, args->text))
    emit_about (store, reply, "contact_updated", args->user, args->target, args->text);
  return reply;
}

static ConfabStoreReply *
block_work (ConfabStore  *store,
            gpointer      data,
            GError      **error)
{
  Args *args = data;
  ConfabStoreReply *reply;
  ConfabContactState state;

  if (!check_target (store, args, error))
    return NULL;

  reply = confab_store_reply_new (NULL);
  if (!CS (store)->set_block (CSELF (store), args->user, args->target, args->on, confab_now_ms ()))
    return reply;

  if (!args->on)
    {
      emit_about (store, reply, "user_unblocked", args->user, args->target, NULL);
      return reply;
    }

  /* A block ends the contact (both hear of that, as of any removal) or any request, which
   * vanishes silently for the blocked user. */
  state = CS (store)->state (CSELF (store), args->user, args->target);
  CS (store)->remove (CSELF (store), args->user, args->target);
  CS (store)->remove (CSELF (store), args->target, args->user);
  if (state == CONFAB_CONTACT_ACCEPTED)
    emit_both (store, reply, "contact_removed", args->user, args->target);
  else if (state != CONFAB_CONTACT_NONE)
    emit_about (store, reply, "contact_removed", args->user, args->target, NULL);
  emit_about (store, reply, "user_blocked", args->user, args->target, NULL);
  return reply;
}

static ConfabStoreReply *
list_work (ConfabStore  *store,
           gpointer      data,
           GError      **error)
{
  Args *args = data;
  g_auto(GStrv) blocked = CS (store)->blocked (CSELF (store), args->user);
  JsonObject *result = json_object_new ();
  JsonArray *list = json_array_new ();

  json_object_set_array_member (result, "contacts",
                                CS (store)->list (CSELF (store), args->user,
                                                  CONFAB_CONTACT_ACCEPTED));
  json_object_set_array_member (result, "pending_in",
                                CS (store)->list (CSELF (store), args->user,
                                                  CONFAB_CONTACT_PENDING_IN));
  json_object_set_array_member (result, "pending_out",
                                CS (store)->list (CSELF (store), args->user,
                                                  CONFAB_CONTACT_PENDING_OUT));
  for (guint i = 0; blocked[i] != NULL; i++)
    json_array_add_string_element (list, blocked[i]);
  json_object_set_array_member (result, "blocked", list);
  return confab_store_reply_new (result);
}

static void
run_work (ConfabStore          *store,
          const char           *name,
          ConfabStoreWorkFlags  flags,
          ConfabStoreWorkFunc   func,
          const char           *user,
          const char           *target,
          const char           *text,
          gboolean              on,
          GCancellable         *cancellable,
          GAsyncReadyCallback   callback,
          gpointer              user_data,
          gpointer              source_tag)
{
  Args *args;

  g_return_if_fail (CONFAB_IS_CONTACT_STORE (store));
  g_return_if_fail (CONFAB_IS_ACCOUNT_STORE (store));
  g_return_if_fail (user != NULL);

  args = g_new0 (Args, 1);
  args->user = g_strdup (user);
  args->target = g_strdup (target);
  args->text = g_strdup (text);
  args->on = !!on;
  confab_store_run_async (store, name, flags, func, args, args_free, cancellable, callback,
                          user_data, source_tag);
}

void
confab_contacts_request_async (ConfabStore         *store,
                               const char          *user,
                               const char          *target,
                               const char          *message,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (target != NULL);

  run_work (store, "contact_request", CONFAB_STORE_WORK_WRITE, request_work, user, target,
            message, FALSE, cancellable, callback, user_data, confab_contacts_request_async);
}

void
confab_contacts_respond_async (ConfabStore         *store,
                               const char          *user,
                               const char          *target,
                               gboolean             accept,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (target != NULL);

  run_work (store, "contact_respond", CONFAB_STORE_WORK_WRITE, respond_work, user, target,
            NULL, accept, cancellable, callback, user_data, confab_contacts_respond_async);
}

void
confab_contacts_remove_async (ConfabStore         *store,
                              const char          *user,
                              const char          *target,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (target != NULL);

  run_work (store, "contact_remove", CONFAB_STORE_WORK_WRITE, remove_work, user, target,
            NULL, FALSE, cancellable, callback, user_data, confab_contacts_remove_async);
}

void
confab_contacts_group_async (ConfabStore         *store,
                             const char          *user,
                             const char          *target,
                             const char          *group,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (target != NULL);
  g_return_if_fail (group != NULL);

  run_work (store, "contact_group", CONFAB_STORE_WORK_WRITE, group_work, user, target,
            group, FALSE, cancellable, callback, user_data, confab_contacts_group_async);
}

void
confab_contacts_block_async (ConfabStore         *store,
                             const char          *user,
                             const char          *target,
                             gboolean             blocked,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (target != NULL);

  run_work (store, "block", CONFAB_STORE_WORK_WRITE, block_work, user, target, NULL, blocked,
            cancellable, callback, user_data, confab_contacts_block_async);
}

void
confab_contacts_list_async (ConfabStore         *store,
                            const char          *user,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  run_work (store, "contacts", CONFAB_STORE_WORK_READ, list_work, user, NULL, NULL, FALSE,
            cancellable, callback, user_data, confab_contacts_list_async);
}

/* --- Requests -------------------------------------------------------------------------------- */

static gboolean
get_target (ConfabConnection  *self,
            const char        *id,
            JsonObject        *frame,
            char             **target)
{
  g_autoptr(GError) error = NULL;

  if (!confab_request_get_username (frame, "user", target, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return FALSE;
    }
  return TRUE;
}

static void
handle_contact_request (gpointer          instance,
                        ConfabConnection *self,
                        const char       *id,
                        JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  const char *message = NULL;

  if (!get_target (self, id, frame, &target))
    return;
  if (!confab_params_get_string (frame, "message", CONFAB_PARAM_OPTIONAL | CONFAB_PARAM_MULTILINE,
                                 0, CONFAB_CONTACT_MESSAGE_MAX_CHARS, &message, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_contacts_request_async (STORE (self), confab_connection_get_username (self), target,
                                 message, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_contact_respond (gpointer          instance,
                        ConfabConnection *self,
                        const char       *id,
                        JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  gboolean accept = FALSE;

  if (!get_target (self, id, frame, &target))
    return;
  if (!confab_params_get_bool (frame, "accept", CONFAB_PARAM_REQUIRED, &accept, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_contacts_respond_async (STORE (self), confab_connection_get_username (self), target,
                                 accept, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_contact_remove (gpointer          instance,
                       ConfabConnection *self,
                       const char       *id,
                       JsonObject       *frame)
{
  g_autofree char *target = NULL;

  if (!get_target (self, id, frame, &target))
    return;
  confab_contacts_remove_async (STORE (self), confab_connection_get_username (self), target,
                                CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_contact_group (gpointer          instance,
                      ConfabConnection *self,
                      const char       *id,
                      JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *target = NULL;
  g_autofree char *group = NULL;
  const char *raw = NULL;

  if (!get_target (self, id, frame, &target))
    return;
  if (!confab_params_get_string (frame, "group", CONFAB_PARAM_REQUIRED, 0, G_MAXUINT, &raw,
                                 &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  /* Lengths count after trimming (protocol §9). */
  group = g_strstrip (g_strdup (raw));
  if (g_utf8_strlen (group, -1) > CONFAB_CONTACT_GROUP_MAX_CHARS)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "field 'group' must have at most 64 characters");
      return;
    }
  confab_contacts_group_async (STORE (self), confab_connection_get_username (self), target,
                               group, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_block (gpointer          instance,
              ConfabConnection *self,
              const char       *id,
              JsonObject       *frame)
{
  g_autofree char *target = NULL;

  if (!get_target (self, id, frame, &target))
    return;
  confab_contacts_block_async (STORE (self), confab_connection_get_username (self), target,
                               TRUE, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_unblock (gpointer          instance,
                ConfabConnection *self,
                const char       *id,
                JsonObject       *frame)
{
  g_autofree char *target = NULL;

  if (!get_target (self, id, frame, &target))
    return;
  confab_contacts_block_async (STORE (self), confab_connection_get_username (self), target,
                               FALSE, CONFAB_STORE_CALL (self, id, NULL));
}

/* Contacts carry their presence as anyone who shares a conversation sees it. */
static void
contacts_hook (ConfabConnection *self,
               ConfabStoreReply *reply,
               gpointer          hook_data)
{
  ConfabPresence *presence = confab_server_get_module (confab_connection_get_server (self),
                                                       "presence");
  JsonArray *contacts = json_object_get_array_member (reply->result, "contacts");

  for (guint i = 0; i < json_array_get_length (contacts); i++)
    {
      JsonObject *item = json_array_get_object_element (contacts, i);
      JsonObject *user = json_object_get_object_member (item, "user");
      const char *username = json_object_get_string_member (user, "username");
      gint64 last_seen = json_object_get_int_member (item, "last_seen");

      json_object_remove_member (item, "last_seen");
      if (presence != NULL)
        json_object_set_object_member (item, "presence",
                                       confab_presence_describe (presence, username, last_seen));
    }
}

static void
handle_contacts (gpointer          instance,
                 ConfabConnection *self,
                 const char       *id,
                 JsonObject       *frame)
{
  confab_contacts_list_async (STORE (self), confab_connection_get_username (self),
                              CONFAB_STORE_CALL (self, id, contacts_hook));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { "contact_request", handle_contact_request },
  { "contact_respond", handle_contact_respond },
  { "contact_remove", handle_contact_remove },
  { "contact_group", handle_contact_group },
  { "contacts", handle_contacts },
  { "block", handle_block },
  { "unblock", handle_unblock },
  { NULL }
};

static const char * const events[] = {
  "contact_request", "contact_added", "contact_declined", "contact_removed", "contact_updated",
  "user_blocked", "user_unblocked", NULL
};

static const ConfabServerModule module = {
  .name = "contacts",
  .requests = requests,
  .events = events,
};

void
confab_contacts_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
