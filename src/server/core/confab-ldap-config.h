/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The attributes read from a directory entry, in this order. */
typedef enum
{
  CONFAB_LDAP_ATTR_USERNAME,
  CONFAB_LDAP_ATTR_DISPLAY_NAME,
  CONFAB_LDAP_ATTR_EMAIL,
  CONFAB_LDAP_ATTR_PHONE,
  CONFAB_LDAP_ATTR_DEPARTMENT,
  CONFAB_LDAP_ATTR_TITLE,
  CONFAB_LDAP_ATTR_LOCATION,
  CONFAB_LDAP_N_ATTRS,
} ConfabLdapAttr;

/* The [ldap] section of confabd.conf: the company directory accounts come from. */
typedef struct
{
  char     *url;              /* ldap://host[:port] or ldaps://host[:port] */
  gboolean  starttls;         /* ldap:// only; may be off only for a loopback host */
  char     *bind_dn;          /* the service account that searches; NULL: anonymous */
  char     *bind_password;
  char     *base_dn;
  char     *user_filter;      /* with %s where the (escaped) username goes */
  char     *ca_file;          /* absolute; NULL: the system's trusted certificates */
  guint     sync_interval_s;  /* 0: no periodic sync */
  guint     timeout_s;        /* connecting and each operation */
  char     *attrs[CONFAB_LDAP_N_ATTRS + 1];  /* attribute names, NULL-terminated */
} ConfabLdapConfig;

extern const char * const confab_ldap_attr_keys[CONFAB_LDAP_N_ATTRS];

ConfabLdapConfig *confab_ldap_config_copy (const ConfabLdapConfig *config);
void     confab_ldap_config_free (ConfabLdapConfig  *config);
/* Reads [ldap] of @kf, if it has one, into *@out (else leaves it NULL); relative file names are
 * taken from @base_dir. FALSE with @error (G_KEY_FILE_ERROR) when a value is missing or wrong. */
gboolean confab_ldap_config_load (GKeyFile          *kf,
                                  const char        *base_dir,
                                  ConfabLdapConfig **out,
                                  GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabLdapConfig, confab_ldap_config_free)

G_END_DECLS
