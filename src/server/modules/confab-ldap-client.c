/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ldap"

#include "config.h"

#include "confab-ldap-client.h"
#include "confab-error.h"
#include "confab-ldap-filter.h"
#include "confab-validate.h"

#include <ldap.h>
#include <string.h>

/* Each call opens its own connection, secures it (ldaps:// or StartTLS, the certificate checked
 * against ca_file or the system's store), binds as the service account, and closes it when
 * done: nothing is shared between threads, and a directory that restarted is simply reached
 * again next time. */

typedef LDAP Ldap;

static void
ldap_close (Ldap *ld)
{
  ldap_unbind_ext_s (ld, NULL, NULL);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Ldap, ldap_close)

void
confab_ldap_entry_free (ConfabLdapEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->dn);
  g_free (entry->username);
  for (guint i = 0; i < CONFAB_LDAP_N_ATTRS; i++)
    g_free (entry->values[i]);
  g_free (entry);
}

static gboolean
unavailable (GError    **error,
             const char *what,
             int         rc)
{
  g_message ("company directory: %s: %s", what, ldap_err2string (rc));
  g_set_error (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAVAILABLE,
               "the company directory is unavailable (%s: %s); try again later", what,
               ldap_err2string (rc));
  return FALSE;
}

static gboolean
set_option (Ldap        *ld,
            int          option,
            const void  *value,
            GError     **error)
{
  int rc = ldap_set_option (ld, option, value);

  if (rc != LDAP_OPT_SUCCESS)
    return unavailable (error, "setting up the connection", rc);
  return TRUE;
}

static gboolean
simple_bind (Ldap       *ld,
             const char *dn,
             const char *password,
             int        *rc)
{
  struct berval cred;

  cred.bv_val = (char *) (password != NULL ? password : "");
  cred.bv_len = strlen (cred.bv_val);
  *rc = ldap_sasl_bind_s (ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
  return *rc == LDAP_SUCCESS;
}

/* A connection, secured, and bound as the service account (or anonymous without one). */
static Ldap *
service_connect (const ConfabLdapConfig  *config,
                 GError                 **error)
{
  g_autoptr(Ldap) ld = NULL;
  struct timeval timeout = { config->timeout_s, 0 };
  int version = LDAP_VERSION3;
  int demand = LDAP_OPT_X_TLS_DEMAND;
  int new_ctx = 0;
  int rc;

  rc = ldap_initialize (&ld, config->url);
  if (rc != LDAP_SUCCESS)
    {
      unavailable (error, "the URL", rc);
      return NULL;
    }
  if (!set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version, error)
      || !set_option (ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout, error)
      || !set_option (ld, LDAP_OPT_TIMEOUT, &timeout, error)
      /* Active Directory answers with referrals to other domains; those are not followed. */
      || !set_option (ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF, error)
      || !set_option (ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand, error)
      || (config->ca_file != NULL
          && !set_option (ld, LDAP_OPT_X_TLS_CACERTFILE, config->ca_file, error))
      /* The options above take effect in a TLS context of this connection's own. */
      || !set_option (ld, LDAP_OPT_X_TLS_NEWCTX, &new_ctx, error))
    return NULL;

  if (config->starttls)
    {
      rc = ldap_start_tls_s (ld, NULL, NULL);
      if (rc != LDAP_SUCCESS)
        {
          unavailable (error, "StartTLS", rc);
          return NULL;
        }
    }

  if (!simple_bind (ld, config->bind_dn, config->bind_password, &rc))
    {
      unavailable (error, rc == LDAP_INVALID_CREDENTIALS ? "the service account's bind"
                                                         : "connecting", rc);
      return NULL;
    }
  return g_steal_pointer (&ld);
}

static char *
first_value (Ldap        *ld,
             LDAPMessage *entry,
             const char  *attr)
{
  struct berval **values = ldap_get_values_len (ld, entry, attr);
  char *value = NULL;

  if (values != NULL && values[0] != NULL
      && memchr (values[0]->bv_val, '\0', values[0]->bv_len) == NULL)
    value = g_strndup (values[0]->bv_val, values[0]->bv_len);
  ldap_value_free_len (values);
  /* Only clean text reaches a profile. */
  if (value != NULL && !g_utf8_validate (value, -1, NULL))
    g_clear_pointer (&value, g_free);
  return value;
}

static ConfabLdapEntry *
entry_read (const ConfabLdapConfig *config,
            Ldap                   *ld,
            LDAPMessage            *msg)
{
  g_autoptr(ConfabLdapEntry) entry = g_new0 (ConfabLdapEntry, 1);
  char *dn = ldap_get_dn (ld, msg);

  if (dn == NULL)
    return NULL;
  entry->dn = g_strdup (dn);
  ldap_memfree (dn);
  for (guint i = 0; i < CONFAB_LDAP_N_ATTRS; i++)
    entry->values[i] = first_value (ld, msg, config->attrs[i]);
  if (entry->values[CONFAB_LDAP_ATTR_USERNAME] != NULL)
    entry->username = confab_username_normalize (entry->values[CONFAB_LDAP_ATTR_USERNAME]);
  if (entry->username == NULL)
    {
      g_debug ("company directory: %s has no username Confab takes", entry->dn);
      return NULL;
    }
  return g_steal_pointer (&entry);
}

/* Entries per page of the sync's search: under Active Directory's default MaxPageSize (1000)
 * and OpenLDAP's default size limit (500). */
#define PAGE_SIZE 400

/* Reads the entries of @res into @entries. */
static void
read_entries (const ConfabLdapConfig *config,
              Ldap                   *ld,
              LDAPMessage            *res,
              GPtrArray              *entries)
{
  for (LDAPMessage *msg = ldap_first_entry (ld, res); msg != NULL;
       msg = ldap_next_entry (ld, msg))
    {
      ConfabLdapEntry *entry = entry_read (config, ld, msg);

      if (entry != NULL)
        g_ptr_array_add (entries, entry);
    }
}

/* The entries of @filter, or NULL with @error set. */
static GPtrArray *
search (const ConfabLdapConfig  *config,
        Ldap                    *ld,
        const char              *filter,
        GError                 **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (
    (GDestroyNotify) confab_ldap_entry_free);
  struct timeval timeout = { config->timeout_s, 0 };
  LDAPMessage *res = NULL;
  int rc;

  rc = ldap_search_ext_s (ld, config->base_dn, LDAP_SCOPE_SUBTREE, filter,
                          (char **) config->attrs, 0, NULL, NULL, &timeout, 0, &res);
  if (rc != LDAP_SUCCESS)
    {
      ldap_msgfree (res);
      unavailable (error, "searching", rc);
      return NULL;
    }
  read_entries (config, ld, res, entries);
  ldap_msgfree (res);
  return g_steal_pointer (&entries);
}

/* The same in pages (RFC 2696), so that a directory larger than the server's size limit per
 * search is read whole; any page that fails fails it all. */
static GPtrArray *
search_paged (const ConfabLdapConfig  *config,
              Ldap                    *ld,
              const char              *filter,
              GError                 **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (
    (GDestroyNotify) confab_ldap_entry_free);
  struct timeval timeout = { config->timeout_s, 0 };
  struct berval cookie = { 0, NULL };
  int rc;

  do
    {
      LDAPControl *page = NULL;
      LDAPControl *server_controls[2] = { NULL, NULL };
      LDAPControl **returned = NULL;
      LDAPControl *response;
      LDAPMessage *res = NULL;
      ber_int_t estimate = 0;
      int result = LDAP_OTHER;

      rc = ldap_create_page_control (ld, PAGE_SIZE, &cookie, 0, &page);
      ber_memfree (cookie.bv_val);
      cookie.bv_val = NULL;
      cookie.bv_len = 0;
      if (rc != LDAP_SUCCESS)
        {
          unavailable (error, "asking for pages", rc);
          return NULL;
        }
      server_controls[0] = page;
      rc = ldap_search_ext_s (ld, config->base_dn, LDAP_SCOPE_SUBTREE, filter,
                              (char **) config->attrs, 0, server_controls, NULL, &timeout, 0,
                              &res);
      ldap_control_free (page);
      if (rc == LDAP_SUCCESS)
        rc = ldap_parse_result (ld, res, &result, NULL, NULL, NULL, &returned, 0);
      if (rc == LDAP_SUCCESS)
        rc = result;
      if (rc != LDAP_SUCCESS)
        {
          ldap_controls_free (returned);
          ldap_msgfree (res);
          unavailable (error, "searching", rc);
          return NULL;
        }
      read_entries (config, ld, res, entries);
      ldap_msgfree (res);

      /* No paging control in the answer: the server gave everything at once. */
      response = ldap_control_find (LDAP_CONTROL_PAGEDRESULTS, returned, NULL);
      if (response != NULL)
        rc = ldap_parse_pageresponse_control (ld, response, &estimate, &cookie);
      ldap_controls_free (returned);
      if (rc != LDAP_SUCCESS)
        {
          unavailable (error, "reading the page", rc);
          return NULL;
        }
    }
  while (cookie.bv_val != NULL && cookie.bv_len > 0);

  ber_memfree (cookie.bv_val);
  return g_steal_pointer (&entries);
}

ConfabLdapEntry *
confab_ldap_client_authenticate (const ConfabLdapConfig  *config,
                                 const char              *username,
                                 const char              *password,
                                 GError                 **error)
{
  g_autoptr(Ldap) ld = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *filter = NULL;
  ConfabLdapEntry *entry;
  int rc;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  /* Nothing that is not a Confab username reaches the directory; and an empty password would
   * be an unauthenticated bind, which succeeds without proving anything (RFC 4513, 5.1.2). */
  if (!confab_username_is_valid (username) || password == NULL || *password == '\0')
    {
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                           "wrong username or password");
      return NULL;
    }

  filter = confab_ldap_filter_build (config->user_filter, username, error);
  if (filter == NULL)
    return NULL;
  ld = service_connect (config, error);
  if (ld == NULL)
    return NULL;
  entries = search (config, ld, filter, error);
  if (entries == NULL)
    return NULL;
  /* None, or several that the filter cannot tell apart: no one to sign in. */
  if (entries->len != 1
      || !g_str_equal (((ConfabLdapEntry *) entries->pdata[0])->username, username))
    {
      if (entries->len > 1)
        g_message ("company directory: %u entries match user %s; none is used", entries->len,
                   username);
      g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                           "wrong username or password");
      return NULL;
    }

  entry = entries->pdata[0];
  if (!simple_bind (ld, entry->dn, password, &rc))
    {
      if (rc == LDAP_INVALID_CREDENTIALS)
        g_set_error_literal (error, CONFAB_PROTOCOL_ERROR, CONFAB_PROTOCOL_ERROR_UNAUTHORIZED,
                             "wrong username or password");
      else
        unavailable (error, "the user's bind", rc);
      return NULL;
    }
  return g_ptr_array_steal_index (entries, 0);
}

GPtrArray *
confab_ldap_client_search_all (const ConfabLdapConfig  *config,
                               GError                 **error)
{
  g_autoptr(Ldap) ld = NULL;
  g_autofree char *filter = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  filter = confab_ldap_filter_build_any (config->user_filter, error);
  if (filter == NULL)
    return NULL;
  ld = service_connect (config, error);
  if (ld == NULL)
    return NULL;
  return search_paged (config, ld, filter, error);
}
