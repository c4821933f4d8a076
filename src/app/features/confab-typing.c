/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-typing"

#include "config.h"

#include "confab-client.h"
#include "confab-conversation-list.h"
#include "confab-conversation.h"
#include "confab-frame.h"
#include "confab-limits.h"
#include "confab-messaging.h"
#include "confab-profiles.h"
#include "confab-protocol.h"
#include "confab-session.h"
#include "confab-typing.h"

#include <glib/gi18n.h>

/* Re-sent this often while typing, so the peer's 6 s expiry never fires mid-sentence. */
#define TYPING_RESEND_MS (CONFAB_TYPING_EXPIRY_MS * 2 / 3)
/* Without keystrokes for this long, typing stops by itself. */
#define TYPING_IDLE_MS   (CONFAB_TYPING_EXPIRY_MS - 1000)

typedef struct
{
  gint64 last_sent_us;
  guint  idle_source;
} OwnTyping;

typedef struct
{
  ConfabTyping *typing;
  char         *conv;
  char         *user;
  guint         source;
} PeerTyping;

struct _ConfabTyping
{
  ConfabFeature  parent_instance;

  GHashTable    *own_typing;      /* conv → OwnTyping */
  GHashTable    *peer_typing;     /* "conv\nuser" → PeerTyping */
};

G_DEFINE_FINAL_TYPE (ConfabTyping, confab_typing, CONFAB_TYPE_FEATURE)


static void
update_typing_text (ConfabTyping *self,
                    const char   *conv)
{
  ConfabSession *session = confab_feature_get_session (CONFAB_FEATURE (self));
  ConfabConversation *item = confab_conversation_list_lookup (
    confab_messaging_get_conversations (confab_messaging_from_session (session)), conv);
  ConfabProfiles *profiles = confab_profiles_from_session (session);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *text = NULL;
  GHashTableIter iter;
  PeerTyping *typing;

  if (item == NULL)
    return;
  g_hash_table_iter_init (&iter, self->peer_typing);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &typing))
    if (g_str_equal (typing->conv, conv))
      g_ptr_array_add (names, (gpointer) confab_contact_get_display_name (
                         confab_profiles_get_contact (profiles, typing->user)));

  if (names->len == 1)
    text = g_strdup_printf (_("%s is typing…"), (char *) g_ptr_array_index (names, 0));
  else if (names->len == 2)
    text = g_strdup_printf (_("%s and %s are typing…"), (char *) g_ptr_array_index (names, 0),
                            (char *) g_ptr_array_index (names, 1));
  else if (names->len > 2)
    text = g_strdup (_("Several people are typing…"));
  confab_conversation_set_typing_text (item, text);
}

static void
peer_typing_free (PeerTyping *typing)
{
  g_clear_handle_id (&typing->source, g_source_remove);
  g_free (typing->conv);
  g_free (typing->user);
  g_free (typing);
}

static gboolean
peer_typing_expired_cb (gpointer user_data)
{
  PeerTyping *typing = user_data;
  ConfabTyping *self = typing->typing;
  g_autofree char *conv = g_strdup (typing->conv);
  g_autofree char *key = g_strdup_printf ("%s\n%s", typing->conv, typing->user);

  typing->source = 0;
  g_hash_table_remove (self->peer_typing, key);
  update_typing_text (self, conv);
  return G_SOURCE_REMOVE;
}

static void
on_typing_event (ConfabClient *client,
                 const char   *name,
                 JsonObject   *data,
                 gint64        seq,
                 ConfabTyping *self)
{
  const char *conv = confab_json_get_string (data, "conv");
  const char *user = confab_json_get_string (data, "user");
  g_autofree char *key = NULL;
  gboolean active;

  if (conv == NULL || user == NULL || !confab_json_get_bool (data, "active", &active))
    {
      g_message ("skipping event '%s': missing or mistyped fields", name);
      return;
    }
  key = g_strdup_printf ("%s\n%s", conv, user);
  if (g_strcmp0 (user, confab_feature_get_username (CONFAB_FEATURE (self))) == 0)
    return;
  if (active)
    {
      PeerTyping *typing = g_hash_table_lookup (self->peer_typing, key);

      if (typing == NULL)
        {
          typing = g_new0 (PeerTyping, 1);
          typing->typing = self;
          typing->conv = g_strdup (conv);
          typing->user = g_strdup (user);
          g_hash_table_insert (self->peer_typing, g_strdup (key), typing);
        }
      g_clear_handle_id (&typing->source, g_source_remove);
      typing->source = g_timeout_add (CONFAB_TYPING_EXPIRY_MS, peer_typing_expired_cb, typing);
    }
  else
    g_hash_table_remove (self->peer_typing, key);
  update_typing_text (self, conv);
}

static void
send_typing (ConfabTyping *self,
             const char   *conv,
             gboolean      active)
{
  g_autoptr(JsonObject) params = json_object_new ();

  json_object_set_string_member (params, "conv", conv);
  json_object_set_boolean_member (params, "active", active);
  confab_client_request_async (confab_feature_get_client (CONFAB_FEATURE (self)), CONFAB_REQUEST_TYPING,
                               params, NULL, NULL, NULL);
}

typedef struct
{
  ConfabTyping *typing;
  char         *conv;
} TypingIdle;

static void
typing_idle_free (TypingIdle *idle)
{
  g_free (idle->conv);
  g_free (idle);
}

static gboolean
typing_idle_cb (gpointer user_data)
{
  TypingIdle *idle = user_data;
  OwnTyping *typing = g_hash_table_lookup (idle->typing->own_typing, idle->conv);

  if (typing != NULL)
    typing->idle_source = 0;
  confab_typing_set_typing (idle->typing, idle->conv, FALSE);
  return G_SOURCE_REMOVE;
}

static void
own_typing_free (OwnTyping *typing)
{
  g_clear_handle_id (&typing->idle_source, g_source_remove);
  g_free (typing);
}

static void
confab_typing_constructed (GObject *object)
{
  G_OBJECT_CLASS (confab_typing_parent_class)->constructed (object);

  confab_feature_handle_event (CONFAB_FEATURE (object), CONFAB_EVENT_TYPING, G_CALLBACK (on_typing_event));
}

static void
confab_typing_dispose (GObject *object)
{
  ConfabTyping *self = CONFAB_TYPING (object);

  g_clear_pointer (&self->own_typing, g_hash_table_unref);
  g_clear_pointer (&self->peer_typing, g_hash_table_unref);

  G_OBJECT_CLASS (confab_typing_parent_class)->dispose (object);
}

static void
confab_typing_class_init (ConfabTypingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = confab_typing_constructed;
  object_class->dispose = confab_typing_dispose;
}

static void
confab_typing_init (ConfabTyping *self)
{
  self->own_typing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) own_typing_free);
  self->peer_typing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) peer_typing_free);
}

ConfabTyping *
confab_typing_new (ConfabSession *session)
{
  return g_object_new (CONFAB_TYPE_TYPING, "session", session, NULL);
}

ConfabTyping *
confab_typing_from_session (ConfabSession *session)
{
  return confab_session_get_feature (session, CONFAB_TYPE_TYPING);
}

void
confab_typing_set_typing (ConfabTyping *self,
                          const char   *conv,
                          gboolean      active)
{
  OwnTyping *typing;
  gint64 now = g_get_monotonic_time ();
  TypingIdle *idle;

  g_return_if_fail (CONFAB_IS_TYPING (self));
  g_return_if_fail (conv != NULL);

  if (self->own_typing == NULL)
    return;
  typing = g_hash_table_lookup (self->own_typing, conv);
  if (!active)
    {
      if (typing != NULL)
        {
          g_hash_table_remove (self->own_typing, conv);
          send_typing (self, conv, FALSE);
        }
      return;
    }

  if (typing == NULL)
    {
      typing = g_new0 (OwnTyping, 1);
      g_hash_table_insert (self->own_typing, g_strdup (conv), typing);
    }
  if (typing->last_sent_us == 0 || (now - typing->last_sent_us) / 1000 >= TYPING_RESEND_MS)
    {
      typing->last_sent_us = now;
      send_typing (self, conv, TRUE);
    }
  g_clear_handle_id (&typing->idle_source, g_source_remove);
  idle = g_new0 (TypingIdle, 1);
  idle->typing = self;
  idle->conv = g_strdup (conv);
  typing->idle_source = g_timeout_add_full (G_PRIORITY_DEFAULT, TYPING_IDLE_MS, typing_idle_cb,
                                            idle, (GDestroyNotify) typing_idle_free);
}
