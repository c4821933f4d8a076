/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-profiles"

#include "config.h"

#include "confab-profiles.h"
#include "confab-limits.h"
#include "confab-server-module.h"

/* Profiles: anyone's public profile, and one's own profile changed (the store tells everyone
 * who shares a conversation with the user, as profile_updated). */

#define STORE(self) confab_server_get_store (confab_connection_get_server (self))

static void
handle_profile_get (gpointer          instance,
                    ConfabConnection *self,
                    const char       *id,
                    JsonObject       *frame)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *user = NULL;

  if (!confab_request_get_username (frame, "user", &user, &error))
    {
      confab_connection_respond_gerror (self, id, error);
      return;
    }
  confab_store_profile_get_async (STORE (self), user, CONFAB_STORE_CALL (self, id, NULL));
}

static void
handle_profile_update (gpointer          instance,
                       ConfabConnection *self,
                       const char       *id,
                       JsonObject       *frame)
{
  static const char * const fields[] = {
    "display_name", "email", "phone", "department", "title", "location", "avatar_file_id",
  };
  g_autoptr(JsonObject) values = json_object_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value = NULL;
      guint min = g_str_equal (fields[i], "display_name") ? 1 : 0;
      guint max = g_str_equal (fields[i], "display_name") ? CONFAB_DISPLAY_NAME_MAX_CHARS
                                                           : CONFAB_PROFILE_FIELD_MAX_CHARS;

      if (!confab_params_get_string (frame, fields[i], CONFAB_PARAM_OPTIONAL, min, max, &value,
                                     &error))
        {
          confab_connection_respond_gerror (self, id, error);
          return;
        }
      if (value != NULL)
        json_object_set_string_member (values, fields[i], value);
    }

  if (json_object_get_size (values) == 0)
    {
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_BAD_REQUEST,
                                       "nothing to update");
      return;
    }
  if (json_object_has_member (values, "avatar_file_id"))
    {
      /* Avatars are files; they come with the file-transfer API. */
      confab_connection_respond_error (self, id, CONFAB_PROTOCOL_ERROR_INVALID,
                                       "this server does not accept avatars yet");
      return;
    }

  confab_store_profile_update_async (STORE (self), confab_connection_get_username (self), values,
                                     CONFAB_STORE_CALL (self, id, NULL));
}

/* --- Registration ---------------------------------------------------------------------------- */

static const ConfabRequestHandler requests[] = {
  { "profile_get", handle_profile_get },
  { "profile_update", handle_profile_update },
  { NULL }
};

static const char * const events[] = { "profile_updated", NULL };

static const ConfabServerModule module = {
  .name = "profiles",
  .requests = requests,
  .events = events,
};

void
confab_profiles_register (ConfabServer *server)
{
  confab_server_add_module (server, &module, server, NULL);
}
