/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_SIGNIN_PAGE (confab_signin_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabSigninPage, confab_signin_page, CONFAB, SIGNIN_PAGE, AdwBin)

typedef enum
{
  CONFAB_SIGNIN_FIELD_NONE,
  CONFAB_SIGNIN_FIELD_SERVER,
  CONFAB_SIGNIN_FIELD_USERNAME,
  CONFAB_SIGNIN_FIELD_DISPLAY_NAME,
  CONFAB_SIGNIN_FIELD_PASSWORD,
} ConfabSigninField;

GtkWidget  *confab_signin_page_new               (void);
const char *confab_signin_page_get_server        (ConfabSigninPage  *self);
void        confab_signin_page_set_server        (ConfabSigninPage  *self,
                                                  const char        *server);
const char *confab_signin_page_get_username      (ConfabSigninPage  *self);
void        confab_signin_page_set_username      (ConfabSigninPage  *self,
                                                  const char        *username);
const char *confab_signin_page_get_display_name  (ConfabSigninPage  *self);
const char *confab_signin_page_get_password      (ConfabSigninPage  *self);
gboolean    confab_signin_page_get_create_account (ConfabSigninPage *self);
void        confab_signin_page_set_create_account (ConfabSigninPage *self,
                                                   gboolean          create);
void        confab_signin_page_set_busy          (ConfabSigninPage  *self,
                                                  gboolean           busy);
void        confab_signin_page_set_error         (ConfabSigninPage  *self,
                                                  ConfabSigninField  field,
                                                  const char        *message);
void        confab_signin_page_clear_errors      (ConfabSigninPage  *self);
void        confab_signin_page_set_keyring_missing (ConfabSigninPage *self,
                                                    gboolean          missing);
void        confab_signin_page_clear_password    (ConfabSigninPage  *self);

G_END_DECLS
