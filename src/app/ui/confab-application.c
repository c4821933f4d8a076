/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <unistd.h>

#include "confab-account.h"
#include "confab-application.h"
#include "confab-background.h"
#include "confab-call.h"
#include "confab-media-devices.h"
#include "confab-preferences-window.h"
#include "confab-window.h"

struct _ConfabApplication
{
  AdwApplication  parent_instance;

  GSettings          *settings;
  ConfabAccount      *account;
  char               *server_option;
  gboolean            background_option;
  ConfabMediaDevices *media_devices;
};

G_DEFINE_FINAL_TYPE (ConfabApplication, confab_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "version", 'v', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Print the version and exit"), NULL },
  { "server", 's', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("Sign in to this server"), N_("ADDRESS") },
  { "background", 'b', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Start without showing the window"), NULL },
  { NULL }
};

/* A DRM render node is how Mesa and the GPU vendors' drivers reach a GPU. */
static gboolean
has_gpu (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/dev/dri", 0, NULL);
  const char *name;

  if (dir == NULL || g_getenv ("LIBGL_ALWAYS_SOFTWARE") != NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/dev/dri", name, NULL);

      if (g_str_has_prefix (name, "renderD") && g_access (path, R_OK | W_OK) == 0)
        return TRUE;
    }
  return FALSE;
}

static ConfabWindow *
get_main_window (ConfabApplication *self)
{
  GtkWindow *window;

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    {
      window = l->data;
      if (CONFAB_IS_WINDOW (window))
        return CONFAB_WINDOW (window);
    }

  return NULL;
}

static ConfabWindow *
ensure_main_window (ConfabApplication *self)
{
  ConfabWindow *window = get_main_window (self);

  if (window == NULL)
    {
      /* The last account's cache and token are read while the window's widgets are made: by
       * the time the window is shown both have usually come, and its first frame shows the
       * conversations. */
      confab_account_restore (self->account);
      window = confab_window_new (self);
    }

  return window;
}

static void
apply_color_scheme (ConfabApplication *self)
{
  AdwStyleManager *style_manager = adw_style_manager_get_default ();
  AdwColorScheme scheme;

  switch (g_settings_get_enum (self->settings, "color-scheme"))
    {
    case 1:
      scheme = ADW_COLOR_SCHEME_FORCE_LIGHT;
      break;
    case 2:
      scheme = ADW_COLOR_SCHEME_FORCE_DARK;
      break;
    default:
      scheme = ADW_COLOR_SCHEME_DEFAULT;
      break;
    }

  adw_style_manager_set_color_scheme (style_manager, scheme);
}

static void
on_settings_color_scheme_changed (GSettings         *settings,
                                  const char        *key,
                                  ConfabApplication *self)
{
  apply_color_scheme (self);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabWindow *window = ensure_main_window (self);
  GtkWindow *prefs;

  prefs = GTK_WINDOW (confab_preferences_window_new (GTK_WINDOW (window),
                                                     confab_account_get_session (self->account),
                                                     confab_application_get_media_devices (self)));
  gtk_window_present (prefs);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  ConfabApplication *self = user_data;
  static const char *developers[] = { "The Confab authors", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", get_main_window (self),
                        "application-name", "Confab",
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Confab authors"),
                        "developers", developers,
                        "copyright", "© 2026 The Confab authors",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: put your names here, one per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabWindow *window;

  /* Closing the window first lets it save its size. */
  while ((window = get_main_window (self)))
    gtk_window_destroy (GTK_WINDOW (window));

  g_application_quit (G_APPLICATION (self));
}

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *param,
                 gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabWindow *window = get_main_window (self);

  if (window != NULL)
    confab_window_ask_sign_out (window);
}

static void
open_conversation_action (GSimpleAction *action,
                          GVariant      *param,
                          gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabWindow *window = ensure_main_window (self);

  confab_window_open_conversation (window, g_variant_get_string (param, NULL));
  gtk_window_present (GTK_WINDOW (window));
}

/* The Accept and Decline buttons of an incoming call's notification. */
static void
accept_call_action (GSimpleAction *action,
                    GVariant      *param,
                    gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabWindow *window = get_main_window (self);

  if (window != NULL)
    confab_window_accept_call (window, g_variant_get_string (param, NULL));
}

static void
decline_call_action (GSimpleAction *action,
                     GVariant      *param,
                     gpointer       user_data)
{
  ConfabApplication *self = user_data;
  ConfabWindow *window = get_main_window (self);

  if (window != NULL)
    confab_window_decline_call (window, g_variant_get_string (param, NULL));
}

static const GActionEntry app_actions[] = {
  { "preferences", preferences_action },
  { "about", about_action },
  { "quit", quit_action },
  { "sign-out", sign_out_action },
  { "open-conversation", open_conversation_action, "s" },
  { "accept-call", accept_call_action, "s" },
  { "decline-call", decline_call_action, "s" },
};

static int
confab_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("confab %s\n", PACKAGE_VERSION);
      return 0;
    }

  return -1;
}

static int
confab_application_command_line (GApplication            *app,
                                 GApplicationCommandLine *command_line)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *server = NULL;

  if (g_variant_dict_lookup (options, "server", "&s", &server))
    {
      g_free (self->server_option);
      self->server_option = g_strdup (server);
    }
  /* Only a first start stays hidden: starting again shows the window. */
  self->background_option = g_variant_dict_contains (options, "background")
                            && get_main_window (self) == NULL;

  g_application_activate (app);
  return 0;
}

static void
confab_application_activate (GApplication *app)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);
  ConfabWindow *window = get_main_window (self);

  /* --server names the server to use now. Before the window restores the last session, it
   * becomes the last server: the same account's token is then looked up for that server (a
   * local server on the same port signs straight back in), and a token saved for another
   * server is never sent to this one. */
  if (window == NULL && self->server_option != NULL)
    {
      g_autofree char *last = g_settings_get_string (self->settings, "last-server");

      if (g_strcmp0 (last, self->server_option) != 0)
        g_settings_set_string (self->settings, "last-server", self->server_option);
    }

  window = ensure_main_window (self);
  if (self->server_option != NULL)
    {
      confab_window_set_server (window, self->server_option);
      g_clear_pointer (&self->server_option, g_free);
    }

  if (self->background_option)
    {
      self->background_option = FALSE;
      return;
    }
  gtk_window_present (GTK_WINDOW (window));
}

static void
on_settings_start_at_login_changed (GSettings         *settings,
                                    const char        *key,
                                    ConfabApplication *self)
{
  g_autoptr(GError) error = NULL;

  if (!confab_background_set_autostart (GTK_WINDOW (get_main_window (self)),
                                        g_settings_get_boolean (settings, key), &error))
    g_warning ("Starting at login could not be changed: %s", error->message);
}

static void
confab_application_startup (GApplication *app)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (confab_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences",
                                         prefs_accels);

  self->settings = g_settings_new (APP_ID);
  self->account = confab_account_new (self->settings);
  g_signal_connect_object (self->settings, "changed::color-scheme",
                           G_CALLBACK (on_settings_color_scheme_changed), self, 0);
  g_signal_connect_object (self->settings, "changed::start-at-login",
                           G_CALLBACK (on_settings_start_at_login_changed), self, 0);
  apply_color_scheme (self);
}

static void
confab_application_shutdown (GApplication *app)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);

  G_APPLICATION_CLASS (confab_application_parent_class)->shutdown (app);

  /* Signing out is not quitting: the session stops, the token stays in the keyring. */
  g_clear_object (&self->account);

  /* A quit soon after signing in may find the call's DTLS certificate still being made. */
  confab_call_warm_up_wait ();
}

static void
confab_application_finalize (GObject *object)
{
  ConfabApplication *self = CONFAB_APPLICATION (object);

  g_clear_object (&self->account);
  g_clear_object (&self->settings);
  g_clear_object (&self->media_devices);
  g_clear_pointer (&self->server_option, g_free);

  G_OBJECT_CLASS (confab_application_parent_class)->finalize (object);
}

static void
confab_application_class_init (ConfabApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = confab_application_finalize;

  app_class->startup = confab_application_startup;
  app_class->shutdown = confab_application_shutdown;
  app_class->activate = confab_application_activate;
  app_class->command_line = confab_application_command_line;
  app_class->handle_local_options = confab_application_handle_local_options;
}

static void
confab_application_init (ConfabApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
}

/* Without a GPU, OpenGL is Mesa's llvmpipe, which rasterizes on the CPU: GTK 4.8's GL renderer
 * on it is slower than its cairo renderer at everything a messenger draws, and loading it
 * (LLVM and its shader compiler, its contexts and buffers) costs about 60 MiB and 50 ms at
 * start, even when another renderer draws. That is the case in virtual machines, remote
 * desktops and thin clients. There GDK's OpenGL is switched off and GTK draws with cairo;
 * programs started from Confab inherit the choice, which suits them for the same reason. A
 * renderer or GDK_DEBUG set by the user is left alone. */
void
confab_application_choose_renderer (void)
{
  if (g_getenv ("GSK_RENDERER") != NULL || g_getenv ("GDK_DEBUG") != NULL || has_gpu ())
    return;

  g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
}

/* Called first thing in main(). gettext ignores LANGUAGE in the C locale, which is what a bare
 * system (a root shell, a container, a fresh virtual machine) has: there C.UTF-8 keeps the
 * same formats and lets LANGUAGE=uk choose the language. CONFAB_LOCALEDIR points at
 * translations that are not installed: confab-local runs the client from the build tree. */
void
confab_application_setup_i18n (void)
{
  const char *localedir = g_getenv ("CONFAB_LOCALEDIR");
  const char *messages;

  setlocale (LC_ALL, "");
  messages = setlocale (LC_MESSAGES, NULL);
  if (messages != NULL && (g_str_equal (messages, "C") || g_str_equal (messages, "POSIX")))
    setlocale (LC_ALL, "C.UTF-8");

  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

ConfabApplication *
confab_application_new (void)
{
  return g_object_new (CONFAB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

GSettings *
confab_application_get_settings (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->settings;
}

gboolean
confab_application_is_muted (ConfabApplication *self,
                             const char        *conv)
{
  g_auto(GStrv) muted = NULL;

  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (conv != NULL, FALSE);

  muted = g_settings_get_strv (self->settings, "muted-conversations");
  return g_strv_contains ((const char * const *) muted, conv);
}

void
confab_application_set_muted (ConfabApplication *self,
                              const char        *conv,
                              gboolean           muted)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) current = NULL;
  g_auto(GStrv) updated = NULL;

  g_return_if_fail (CONFAB_IS_APPLICATION (self));
  g_return_if_fail (conv != NULL);

  if (confab_application_is_muted (self, conv) == !!muted)
    return;

  current = g_settings_get_strv (self->settings, "muted-conversations");
  builder = g_strv_builder_new ();
  for (guint i = 0; current[i]; i++)
    if (g_strcmp0 (current[i], conv) != 0)
      g_strv_builder_add (builder, current[i]);
  if (muted)
    g_strv_builder_add (builder, conv);

  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "muted-conversations", (const char * const *) updated);
}

ConfabAccount *
confab_application_get_account (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);
  return self->account;
}

ConfabMediaDevices *
confab_application_get_media_devices (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  /* Made on first use: watching devices starts the sound server's and camera's monitors. */
  if (self->media_devices == NULL)
    {
      /* The devices chosen in Preferences or in a call are kept across restarts. */
      self->media_devices = confab_media_devices_new ();
      g_settings_bind (self->settings, "camera", self->media_devices, "camera-id",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "microphone", self->media_devices, "microphone-id",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "speaker", self->media_devices, "speaker-id",
                       G_SETTINGS_BIND_DEFAULT);
    }

  return self->media_devices;
}
