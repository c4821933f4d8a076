/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-avatar"

#include "config.h"

#include "confab-avatar.h"
#include "confab-contact.h"
#include "confab-files.h"
#include "confab-session.h"

#define FOLLOW_KEY "confab-avatar-follow"

/* Decoded pictures by file id: the same picture shows in many rows. */
static GHashTable *textures;

typedef struct
{
  AdwAvatar     *avatar;      /* weak */
  ConfabSession *session;     /* weak */
  ConfabContact *contact;
  char          *file_id;     /* the picture shown or loading */
  GCancellable  *cancellable;
} Follow;

static void
follow_free (Follow *follow)
{
  if (follow->contact != NULL)
    g_signal_handlers_disconnect_by_data (follow->contact, follow);
  g_cancellable_cancel (follow->cancellable);
  g_clear_object (&follow->cancellable);
  g_clear_object (&follow->contact);
  g_clear_weak_pointer (&follow->session);
  g_free (follow->file_id);
  g_free (follow);
}

typedef struct
{
  AdwAvatar *avatar;
  char      *file_id;
} Load;

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = confab_files_download_finish (CONFAB_FILES (object), result, &error);
  g_autoptr(GdkTexture) texture = NULL;

  if (file != NULL)
    texture = gdk_texture_new_from_file (file, &error);
  if (texture != NULL)
    {
      g_hash_table_replace (textures, g_strdup (load->file_id), g_object_ref (texture));
      adw_avatar_set_custom_image (load->avatar, GDK_PAINTABLE (texture));
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("profile picture %s not shown: %s", load->file_id, error->message);
  g_object_unref (load->avatar);
  g_free (load->file_id);
  g_free (load);
}

static void
update (Follow *follow)
{
  const char *file_id = follow->contact != NULL
                        ? confab_contact_get_avatar_file_id (follow->contact) : NULL;
  g_autoptr(JsonObject) attachment = NULL;
  GdkTexture *texture;
  Load *load;

  if (file_id != NULL && file_id[0] == '\0')
    file_id = NULL;
  if (g_strcmp0 (file_id, follow->file_id) == 0)
    return;
  g_free (follow->file_id);
  follow->file_id = g_strdup (file_id);
  g_cancellable_cancel (follow->cancellable);
  g_clear_object (&follow->cancellable);
  adw_avatar_set_custom_image (follow->avatar, NULL);
  if (file_id == NULL || follow->session == NULL)
    return;

  if (textures == NULL)
    textures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  texture = g_hash_table_lookup (textures, file_id);
  if (texture != NULL)
    {
      adw_avatar_set_custom_image (follow->avatar, GDK_PAINTABLE (texture));
      return;
    }
  attachment = json_object_new ();
  json_object_set_string_member (attachment, "file_id", file_id);
  follow->cancellable = g_cancellable_new ();
  load = g_new0 (Load, 1);
  load->avatar = g_object_ref (follow->avatar);
  load->file_id = g_strdup (file_id);
  confab_files_download_async (confab_files_from_session (follow->session), attachment, NULL,
                               NULL, follow->cancellable, loaded_cb, load);
}

void
confab_avatar_follow (AdwAvatar     *avatar,
                      ConfabSession *session,
                      ConfabContact *contact)
{
  Follow *follow;

  g_return_if_fail (ADW_IS_AVATAR (avatar));

  follow = g_object_get_data (G_OBJECT (avatar), FOLLOW_KEY);
  if (follow != NULL && follow->contact == contact && follow->session == session)
    return;
  follow = g_new0 (Follow, 1);
  follow->avatar = avatar;
  g_set_weak_pointer (&follow->session, session);
  if (contact != NULL)
    {
      follow->contact = g_object_ref (contact);
      g_signal_connect_swapped (contact, "notify::avatar-file-id", G_CALLBACK (update), follow);
    }
  /* Replaces (and frees) the one before. */
  g_object_set_data_full (G_OBJECT (avatar), FOLLOW_KEY, follow, (GDestroyNotify) follow_free);
  update (follow);
}
