/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-background"

#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>

#ifdef HAVE_LIBPORTAL
#include <libportal-gtk4/portal-gtk4.h>
#endif

#include "confab-background.h"

static gboolean
in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

char *
confab_background_dup_autostart_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

#ifdef HAVE_LIBPORTAL
static void
background_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!xdp_portal_request_background_finish (XDP_PORTAL (object), result, &error))
    g_message ("The background portal refused: %s", error->message);
  g_object_unref (object);
}
#endif

void
confab_background_request (GtkWindow *parent,
                           gboolean   autostart)
{
#ifdef HAVE_LIBPORTAL
  g_autoptr(GPtrArray) commandline = NULL;
  XdpPortal *portal;
  XdpParent *xdp_parent;

  if (!in_flatpak ())
    return;
  portal = xdp_portal_new ();
  xdp_parent = parent != NULL ? xdp_parent_new_gtk (parent) : NULL;
  commandline = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (commandline, g_strdup ("confab"));
  g_ptr_array_add (commandline, g_strdup ("--background"));
  xdp_portal_request_background (portal, xdp_parent,
                                 _("Confab keeps receiving messages and calls while its window "
                                   "is closed."),
                                 commandline,
                                 autostart ? XDP_BACKGROUND_FLAG_AUTOSTART
                                           : XDP_BACKGROUND_FLAG_NONE,
                                 NULL, background_cb, portal);
  g_clear_pointer (&xdp_parent, xdp_parent_free);
#else
  (void) parent;
  (void) autostart;
#endif
}

gboolean
confab_background_set_autostart (GtkWindow  *parent,
                                 gboolean    enabled,
                                 GError    **error)
{
  g_autofree char *path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GKeyFile) entry = NULL;

  if (in_flatpak ())
    {
      confab_background_request (parent, enabled);
      return TRUE;
    }

  path = confab_background_dup_autostart_path ();
  if (!enabled)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not remove %s: %s"), path, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  entry = g_key_file_new ();
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME, "Confab");
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON, APP_ID);
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC,
                         "confab --background");
  g_key_file_set_boolean (entry, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);
  return g_key_file_save_to_file (entry, path, error);
}
