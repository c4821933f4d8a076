/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-signin-page"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-account.h"
#include "confab-limits.h"
#include "confab-signin-page.h"

enum {
  SUBMIT,
  N_SIGNALS
};

struct _ConfabSigninPage
{
  AdwBin       parent_instance;

  GtkImage    *logo;
  GtkLabel    *title_label;
  GtkLabel    *subtitle_label;
  GtkRevealer *keyring_revealer;
  AdwEntryRow *server_row;
  AdwEntryRow *username_row;
  AdwEntryRow *display_name_row;
  AdwEntryRow *password_row;
  GtkLabel    *error_label;
  GtkButton   *submit_button;
  GtkStack    *submit_stack;
  GtkLabel    *submit_label;
  GtkButton   *mode_button;

  guint        create_account : 1;
  guint        busy : 1;
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (ConfabSigninPage, confab_signin_page, ADW_TYPE_BIN)

static AdwEntryRow *
row_for_field (ConfabSigninPage  *self,
               ConfabSigninField  field)
{
  switch (field)
    {
    case CONFAB_SIGNIN_FIELD_SERVER:
      return self->server_row;
    case CONFAB_SIGNIN_FIELD_USERNAME:
      return self->username_row;
    case CONFAB_SIGNIN_FIELD_DISPLAY_NAME:
      return self->display_name_row;
    case CONFAB_SIGNIN_FIELD_PASSWORD:
      return self->password_row;
    case CONFAB_SIGNIN_FIELD_NONE:
    default:
      return NULL;
    }
}

static gboolean
has_text (AdwEntryRow *row)
{
  for (const char *p = gtk_editable_get_text (GTK_EDITABLE (row)); *p; p++)
    if (!g_ascii_isspace (*p))
      return TRUE;

  return FALSE;
}

static gboolean
is_complete (ConfabSigninPage *self)
{
  return has_text (self->server_row) && has_text (self->username_row)
         && *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0';
}

static void
update_state (ConfabSigninPage *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "signin.submit",
                                 !self->busy && is_complete (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "signin.toggle-mode", !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->display_name_row), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !self->busy);
  gtk_stack_set_visible_child_name (self->submit_stack, self->busy ? "spinner" : "label");
}

static void
update_mode (ConfabSigninPage *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->display_name_row), self->create_account);

  if (self->create_account)
    {
      gtk_label_set_label (self->title_label, _("Create an Account"));
      gtk_label_set_label (self->subtitle_label,
                           _("Choose a username and a password of at least 8 characters."));
      gtk_label_set_label (self->submit_label, _("_Create Account"));
      gtk_button_set_label (self->mode_button, _("I Already Have an _Account"));
    }
  else
    {
      gtk_label_set_label (self->title_label, _("Welcome to Confab"));
      gtk_label_set_label (self->subtitle_label,
                           _("Sign in with the account of your company's server."));
      gtk_label_set_label (self->submit_label, _("_Sign In"));
      gtk_button_set_label (self->mode_button, _("_Create an Account"));
    }

  confab_signin_page_clear_errors (self);
}

static void
on_entry_changed (ConfabSigninPage *self,
                  GtkEditable      *editable)
{
  gtk_widget_remove_css_class (GTK_WIDGET (editable), "error");
  update_state (self);
}

static void
focus_or_submit (ConfabSigninPage *self,
                 GtkWidget        *next)
{
  if (next != NULL && gtk_widget_get_visible (next)
      && *gtk_editable_get_text (GTK_EDITABLE (next)) == '\0')
    gtk_widget_grab_focus (next);
  else if (gtk_widget_is_sensitive (GTK_WIDGET (self->submit_button)))
    gtk_widget_activate_action (GTK_WIDGET (self), "signin.submit", NULL);
}

static void
on_server_activated (ConfabSigninPage *self)
{
  focus_or_submit (self, GTK_WIDGET (self->username_row));
}

static void
on_username_activated (ConfabSigninPage *self)
{
  focus_or_submit (self, self->create_account ? GTK_WIDGET (self->display_name_row)
                                              : GTK_WIDGET (self->password_row));
}

static void
on_display_name_activated (ConfabSigninPage *self)
{
  focus_or_submit (self, GTK_WIDGET (self->password_row));
}

static void
on_password_activated (ConfabSigninPage *self)
{
  focus_or_submit (self, NULL);
}

static void
submit_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *param)
{
  ConfabSigninPage *self = CONFAB_SIGNIN_PAGE (widget);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  if (self->busy || !is_complete (self))
    return;

  confab_signin_page_clear_errors (self);

  url = confab_server_address_to_url (confab_signin_page_get_server (self), &error);
  if (url == NULL)
    {
      confab_signin_page_set_error (self, CONFAB_SIGNIN_FIELD_SERVER, error->message);
      return;
    }

  g_signal_emit (self, signals[SUBMIT], 0);
}

static void
toggle_mode_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *param)
{
  ConfabSigninPage *self = CONFAB_SIGNIN_PAGE (widget);

  confab_signin_page_set_create_account (self, !self->create_account);
}

static GtkWidget *
find_visible_button (GtkWidget *widget)
{
  if (gtk_widget_get_visible (widget)
      && gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget))
      == GTK_ACCESSIBLE_ROLE_BUTTON)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_visible_button (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* libadwaita's icon that reveals the password acts as a button, without a name. */
static void
name_password_reveal (ConfabSigninPage *self)
{
  GtkWidget *reveal = find_visible_button (GTK_WIDGET (self->password_row));

  if (reveal != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (reveal), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    _("Show Password"), -1);
}

static void
confab_signin_page_class_init (ConfabSigninPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  /**
   * ConfabSigninPage::submit:
   *
   * The user asked to sign in or to create the account; the fields are filled.
   */
  signals[SUBMIT] = g_signal_new ("submit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_PREFIX "/confab-signin-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, logo);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, keyring_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, submit_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, submit_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, submit_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabSigninPage, mode_button);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_server_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_username_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_display_name_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_password_activated);

  gtk_widget_class_install_action (widget_class, "signin.submit", NULL, submit_action);
  gtk_widget_class_install_action (widget_class, "signin.toggle-mode", NULL,
                                   toggle_mode_action);
}

static void
confab_signin_page_init (ConfabSigninPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_image_set_from_icon_name (self->logo, APP_ID);
  name_password_reveal (self);
  update_state (self);
}

GtkWidget *
confab_signin_page_new (void)
{
  return g_object_new (CONFAB_TYPE_SIGNIN_PAGE, NULL);
}

const char *
confab_signin_page_get_server (ConfabSigninPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SIGNIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->server_row));
}

void
confab_signin_page_set_server (ConfabSigninPage *self,
                               const char       *server)
{
  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server ? server : "");
}

const char *
confab_signin_page_get_username (ConfabSigninPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SIGNIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->username_row));
}

void
confab_signin_page_set_username (ConfabSigninPage *self,
                                 const char       *username)
{
  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username ? username : "");
}

const char *
confab_signin_page_get_display_name (ConfabSigninPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SIGNIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->display_name_row));
}

const char *
confab_signin_page_get_password (ConfabSigninPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SIGNIN_PAGE (self), NULL);

  return gtk_editable_get_text (GTK_EDITABLE (self->password_row));
}

void
confab_signin_page_clear_password (ConfabSigninPage *self)
{
  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
}

gboolean
confab_signin_page_get_create_account (ConfabSigninPage *self)
{
  g_return_val_if_fail (CONFAB_IS_SIGNIN_PAGE (self), FALSE);

  return self->create_account;
}

void
confab_signin_page_set_create_account (ConfabSigninPage *self,
                                       gboolean          create)
{
  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  create = !!create;
  if (self->create_account == create)
    return;

  self->create_account = create;
  update_mode (self);
}

void
confab_signin_page_set_busy (ConfabSigninPage *self,
                             gboolean          busy)
{
  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  self->busy = !!busy;
  update_state (self);
}

void
confab_signin_page_clear_errors (ConfabSigninPage *self)
{
  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->server_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->username_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->display_name_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->password_row), "error");
}

void
confab_signin_page_set_error (ConfabSigninPage  *self,
                              ConfabSigninField  field,
                              const char        *message)
{
  AdwEntryRow *row;

  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  row = row_for_field (self, field);
  if (row != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_grab_focus (GTK_WIDGET (row));
    }

  if (message != NULL)
    {
      gtk_label_set_label (self->error_label, message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
    }
}

void
confab_signin_page_set_keyring_missing (ConfabSigninPage *self,
                                        gboolean          missing)
{
  g_return_if_fail (CONFAB_IS_SIGNIN_PAGE (self));

  gtk_revealer_set_reveal_child (self->keyring_revealer, missing);
}
