/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-ldap-filter"

#include "config.h"

#include "confab-ldap-filter.h"

#include <gio/gio.h>
#include <string.h>

/* A username reaches the directory only inside a filter; escaping every byte that RFC 4515
 * gives a meaning keeps `*)(uid=*` a value to compare, never a wildcard or a new term. */

char *
confab_ldap_filter_escape (const char *value,
                           gsize       length)
{
  GString *out;

  g_return_val_if_fail (value != NULL || length == 0, NULL);

  out = g_string_sized_new (length + 8);
  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) value[i];

      if (c == '*' || c == '(' || c == ')' || c == '\\' || c == '\0')
        g_string_append_printf (out, "\\%02x", c);
      else
        g_string_append_c (out, (char) c);
    }
  return g_string_free (out, FALSE);
}

/* The template's own parentheses must balance, so that the value can only ever sit inside one
 * of its terms; its own escapes (`\28`) are skipped. */
static gboolean
template_is_balanced (const char *template)
{
  gsize len = strlen (template);
  int depth = 0;

  if (len < 2 || template[0] != '(' || template[len - 1] != ')')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && depth == 0)
        return FALSE;
      if (template[i] == '\\')
        {
          if (!g_ascii_isxdigit (template[i + 1]) || !g_ascii_isxdigit (template[i + 2]))
            return FALSE;
          i += 2;
        }
      else if (template[i] == '(')
        depth++;
      else if (template[i] == ')')
        depth--;
    }
  return depth == 0;
}

static char *
substitute (const char  *template,
            const char  *replacement,
            GError     **error)
{
  g_autoptr(GString) out = NULL;
  gboolean seen = FALSE;

  if (!g_utf8_validate (template, -1, NULL) || !template_is_balanced (template))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "a user filter is one parenthesized LDAP filter, as "
                           "(&(objectClass=inetOrgPerson)(uid=%s))");
      return NULL;
    }

  out = g_string_new (NULL);
  for (const char *p = template; *p != '\0'; p++)
    {
      if (*p != '%')
        {
          g_string_append_c (out, *p);
          continue;
        }
      if (p[1] == 's')
        {
          g_string_append (out, replacement);
          seen = TRUE;
        }
      else if (p[1] == '%')
        g_string_append_c (out, '%');
      else
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "a user filter may hold %s (the username) and %%, no other %");
          return NULL;
        }
      p++;
    }
  if (!seen)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "a user filter must hold %s where the username goes");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
confab_ldap_filter_build (const char  *template,
                          const char  *value,
                          GError     **error)
{
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (template != NULL, NULL);
  g_return_val_if_fail (value != NULL, NULL);

  escaped = confab_ldap_filter_escape (value, strlen (value));
  return substitute (template, escaped, error);
}

char *
confab_ldap_filter_build_any (const char  *template,
                              GError     **error)
{
  g_return_val_if_fail (template != NULL, NULL);

  return substitute (template, "*", error);
}

gboolean
confab_ldap_filter_check (const char  *template,
                          GError     **error)
{
  g_autofree char *filter = NULL;

  g_return_val_if_fail (template != NULL, FALSE);

  filter = substitute (template, "x", error);
  return filter != NULL;
}
