/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-window"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-client.h"
#include "confab-error.h"
#include "confab-session.h"
#include "confab-signin-page.h"
#include "confab-ui-util.h"
#include "confab-validate.h"
#include "confab-window-private.h"

/* Signing in and registering through the account, the server's certificate, and what the
 * sign-in page says when either fails. */

static void do_login (ConfabWindow *self);

/* The sign-in page is made the first time it is needed: a restored session never shows it. It
 * starts with the last server and username. */
ConfabSigninPage *
_confab_window_signin_page (ConfabWindow *self)
{
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;
  GtkWidget *page;

  if (self->signin_page != NULL)
    return self->signin_page;

  page = confab_signin_page_new ();
  /* The stack owns it. */
  g_set_weak_pointer (&self->signin_page, CONFAB_SIGNIN_PAGE (page));
  server = g_settings_get_string (self->settings, "last-server");
  username = g_settings_get_string (self->settings, "last-username");
  confab_signin_page_set_server (self->signin_page, server);
  confab_signin_page_set_username (self->signin_page, username);
  if (confab_account_get_keyring_missing (self->account))
    confab_signin_page_set_keyring_missing (self->signin_page, TRUE);
  g_signal_connect_object (page, "submit", G_CALLBACK (_confab_window_on_signin_submit), self,
                           G_CONNECT_SWAPPED);
  gtk_stack_add_named (self->main_stack, page, "signin");
  return self->signin_page;
}

void
_confab_window_show_signin (ConfabWindow *self)
{
  _confab_window_signin_page (self);
  gtk_stack_set_visible_child_name (self->main_stack, "signin");
}

static char *
device_name (void)
{
  /* Translators: the name of this device in the list of signed-in devices; %s is the
   * computer's name. */
  return g_strdup_printf (_("Confab on %s"), g_get_host_name ());
}

static void
fail_signin (ConfabWindow      *self,
             ConfabSigninField  field,
             const char        *text)
{
  ConfabSigninPage *page = _confab_window_signin_page (self);

  self->signing_in = FALSE;
  confab_account_abandon_sign_in (self->account);
  confab_signin_page_set_busy (page, FALSE);
  confab_signin_page_set_error (page, field, text);
  _confab_window_show_signin (self);
}

static void
on_trust_response (AdwMessageDialog *dialog,
                   const char       *response,
                   ConfabWindow     *self)
{
  g_autoptr(GError) error = NULL;
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "fingerprint");

  if (confab_account_get_client (self->account) == NULL)
    return;

  if (!g_str_equal (response, "trust"))
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER,
                   _("The server's certificate was not trusted."));
      return;
    }

  if (!confab_account_trust_certificate (self->account, fingerprint, &error))
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, error->message);
      return;
    }

  if (confab_signin_page_get_create_account (_confab_window_signin_page (self))
      && !confab_account_get_registered (self->account))
    g_signal_emit_by_name (self->signin_page, "submit");
  else
    do_login (self);
}

static char *
format_fingerprint (const char *fingerprint)
{
  GString *out = g_string_new (NULL);
  guint n = 0;

  /* Pairs of hex digits, eight to a line, so it can be compared by eye. */
  for (const char *p = fingerprint; *p; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (n > 0 && n % 2 == 0)
        g_string_append_c (out, n % 16 == 0 ? '\n' : ':');
      g_string_append_c (out, g_ascii_toupper (*p));
      n++;
    }

  return g_string_free (out, FALSE);
}

static void
ask_trust (ConfabWindow *self)
{
  const char *fingerprint = confab_account_get_untrusted_fingerprint (self->account);
  g_autofree char *pretty = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  GtkWidget *label;

  if (fingerprint == NULL)
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, _("The server's certificate is not trusted."));
      return;
    }

  pretty = format_fingerprint (fingerprint);
  body = g_strdup_printf (_("The server “%s” uses a certificate that no authority vouches for. "
                            "Trust it only if your administrator confirms that its SHA-256 "
                            "fingerprint is:"),
                          confab_account_get_server_key (self->account));

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Trust This Server?"), body));
  label = gtk_label_new (pretty);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "fingerprint");
  adw_message_dialog_set_extra_child (dialog, label);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "trust", _("_Trust and Connect"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "trust", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "fingerprint", g_strdup (fingerprint), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_trust_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
warn_certificate_changed (ConfabWindow *self)
{
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  body = g_strdup_printf (_("The certificate of “%s” is not the one it had before. Someone may "
                            "be intercepting your connection, or the server was reinstalled. "
                            "Confab refused to connect. Ask your administrator before going "
                            "on."),
                          confab_account_get_server_key (self->account));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Server Certificate Changed"), body));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));

  fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, _("The server's certificate has changed; the "
                                                   "connection was refused."));
}

static const char *
field_error_text (const char *field,
                  const char *reason)
{
  if (g_strcmp0 (field, "password") == 0)
    {
      if (g_strcmp0 (reason, "too_short") == 0)
        return _("The password is too short: use at least 8 characters.");
      if (g_strcmp0 (reason, "too_long") == 0)
        return _("The password is too long.");
      return _("This password is not accepted.");
    }
  if (g_strcmp0 (field, "username") == 0)
    {
      if (g_strcmp0 (reason, "taken") == 0 || g_strcmp0 (reason, "conflict") == 0)
        return _("This username is already taken.");
      return _("A username has 2 to 32 characters: lowercase letters, digits, dots, dashes and "
               "underscores, starting with a letter or digit.");
    }
  if (g_strcmp0 (field, "display_name") == 0)
    return _("This name is not accepted.");
  if (g_strcmp0 (field, "email") == 0)
    return _("This email address is not accepted.");

  return NULL;
}

static ConfabSigninField
field_from_name (const char *name)
{
  if (g_strcmp0 (name, "password") == 0)
    return CONFAB_SIGNIN_FIELD_PASSWORD;
  if (g_strcmp0 (name, "username") == 0)
    return CONFAB_SIGNIN_FIELD_USERNAME;
  if (g_strcmp0 (name, "display_name") == 0)
    return CONFAB_SIGNIN_FIELD_DISPLAY_NAME;
  return CONFAB_SIGNIN_FIELD_NONE;
}

/* Shows the error of a login or register call; TRUE if a dialog took over. */
static void
handle_signin_error (ConfabWindow *self,
                     GError       *error,
                     GAsyncResult *result,
                     gboolean      registering)
{
  JsonObject *details = confab_client_result_get_error_details (result);
  const char *code = details && json_object_has_member (details, "code")
                     ? json_object_get_string_member_with_default (details, "code", NULL) : NULL;
  g_autofree char *text = NULL;

  if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_UNTRUSTED_CERTIFICATE))
    {
      ask_trust (self);
      return;
    }
  if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE_CHANGED))
    {
      warn_certificate_changed (self);
      return;
    }

  if (error->domain == CONFAB_PROTOCOL_ERROR)
    {
      JsonObject *fields = confab_client_result_get_invalid_fields (result);

      if (fields != NULL && json_object_get_size (fields) > 0)
        {
          g_autoptr(GList) names = json_object_get_members (fields);
          const char *name = names->data;
          const char *reason = json_object_get_string_member_with_default (fields, name, "");
          const char *msg = field_error_text (name, reason);

          fail_signin (self, field_from_name (name), msg ? msg : error->message);
          return;
        }

      if (registering && (g_strcmp0 (code, "registration_closed") == 0
                          || error->code == CONFAB_PROTOCOL_ERROR_FORBIDDEN))
        {
          fail_signin (self, CONFAB_SIGNIN_FIELD_NONE,
                       _("This server does not accept new accounts. Ask your administrator "
                         "for one."));
          return;
        }

      if (registering && error->code == CONFAB_PROTOCOL_ERROR_CONFLICT)
        {
          fail_signin (self, CONFAB_SIGNIN_FIELD_USERNAME, _("This username is already taken."));
          return;
        }

      if (!registering && error->code == CONFAB_PROTOCOL_ERROR_FORBIDDEN)
        {
          fail_signin (self, CONFAB_SIGNIN_FIELD_USERNAME, _("This account is disabled."));
          return;
        }

      text = confab_error_to_user_text (error, result);
      fail_signin (self, error->code == CONFAB_PROTOCOL_ERROR_UNAUTHORIZED
                         ? CONFAB_SIGNIN_FIELD_PASSWORD : CONFAB_SIGNIN_FIELD_NONE, text);
      return;
    }

  text = confab_error_to_user_text (error, result);
  fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, text);
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_account_sign_in_finish (CONFAB_ACCOUNT (object), result, &error))
    {
      /* Overtaken by another sign-in. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      handle_signin_error (self, error, result, FALSE);
      return;
    }

  /* The account made the session; on_account_session() shows it. */
  self->signing_in = FALSE;
}

static char *
normalized_username (ConfabWindow *self)
{
  ConfabSigninPage *page = _confab_window_signin_page (self);
  g_autofree char *typed = g_strdup (confab_signin_page_get_username (page));

  return g_utf8_strdown (g_strstrip (typed), -1);
}

static void
do_login (ConfabWindow *self)
{
  ConfabSigninPage *page = _confab_window_signin_page (self);
  g_autofree char *username = normalized_username (self);
  g_autofree char *name = device_name ();

  confab_account_sign_in_async (self->account, confab_signin_page_get_server (page),
                                username, confab_signin_page_get_password (page),
                                name, self->cancellable, login_cb, g_object_ref (self));
}

static void
register_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = NULL;

  user = confab_account_register_finish (CONFAB_ACCOUNT (object), result, &error);
  if (user == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      handle_signin_error (self, error, result, TRUE);
      return;
    }

  do_login (self);
}

void
_confab_window_on_signin_submit (ConfabWindow *self)
{
  g_autofree char *url = NULL;
  g_autofree char *username = NULL;
  g_autoptr(GError) error = NULL;
  ConfabSigninPage *page = _confab_window_signin_page (self);

  url = confab_server_address_to_url (confab_signin_page_get_server (page), &error);
  if (url == NULL)
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_SERVER, error->message);
      return;
    }

  username = normalized_username (self);
  if (!confab_username_is_valid (username))
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_USERNAME, field_error_text ("username", "invalid"));
      return;
    }

  if (confab_signin_page_get_create_account (page)
      && strlen (confab_signin_page_get_password (page)) < 8)
    {
      fail_signin (self, CONFAB_SIGNIN_FIELD_PASSWORD,
                   field_error_text ("password", "too_short"));
      return;
    }

  self->signing_in = TRUE;
  confab_signin_page_set_busy (page, TRUE);

  if (confab_signin_page_get_create_account (page))
    {
      const char *display_name = confab_signin_page_get_display_name (page);

      confab_account_register_async (self->account, confab_signin_page_get_server (page),
                                     username, confab_signin_page_get_password (page),
                                     *display_name ? display_name : NULL, self->cancellable,
                                     register_cb, g_object_ref (self));
    }
  else
    do_login (self);
}

void
confab_window_sign_out (ConfabWindow *self)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  confab_account_sign_out (self->account);
  _confab_window_stop_session (self);
  _confab_window_show_signin (self);
  confab_signin_page_set_busy (self->signin_page, FALSE);
  confab_signin_page_clear_password (self->signin_page);
}


/* Signing out with messages still in the outbox: they are kept for the next sign-in as the
 * same user (the outbox is in that user's cache, which no other user opens), or discarded. */
static void
on_sign_out_response (AdwMessageDialog *dialog,
                      const char       *response,
                      ConfabWindow     *self)
{
  if (g_str_equal (response, "discard") && self->session != NULL)
    confab_messaging_discard_unsent (_confab_window_messaging (self));
  if (g_str_equal (response, "discard") || g_str_equal (response, "keep"))
    confab_window_sign_out (self);
}

static void
unsent_counted_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(ConfabWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;
  guint n;

  n = confab_messaging_count_unsent_finish (CONFAB_MESSAGING (object), result, &error);
  /* Signed out or in as someone else meanwhile. */
  if (self->session == NULL || CONFAB_MESSAGING (object) != _confab_window_messaging (self))
    return;
  if (error != NULL || n == 0)
    {
      confab_window_sign_out (self);
      return;
    }

  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u message has not been sent yet. Keep it to send it "
                                       "when you sign in again as %s, or discard it.",
                                       "%u messages have not been sent yet. Keep them to send "
                                       "them when you sign in again as %s, or discard them.", n),
                          n, confab_session_get_username (self->session));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Sign Out?"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "discard", _("_Discard"),
                                    "keep", _("_Keep and Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "keep", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "keep");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
confab_window_ask_sign_out (ConfabWindow *self)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));

  if (self->session == NULL)
    {
      confab_window_sign_out (self);
      return;
    }
  confab_messaging_count_unsent_async (_confab_window_messaging (self), self->cancellable,
                                       unsent_counted_cb, g_object_ref (self));
}
