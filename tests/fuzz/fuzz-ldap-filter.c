/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-ldap-filter"

#include "config.h"

#include "confab-ldap-filter.h"

#include <gio/gio.h>
#include <stdint.h>
#include <string.h>

/* A username goes into the user filter of confabd.conf escaped (RFC 4515). Whatever the value:
 * the escaped form holds none of `*`, `(`, `)`, NUL, each `\` starts two hex digits, and it
 * unescapes to the value, byte for byte; put into a filter, the value changes none of the
 * filter's parentheses, so it can add no term and no wildcard. Whatever the template: it is
 * refused cleanly or used, never read out of bounds. The input is a template, a line feed, and
 * a value (any bytes, NUL included). */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static const char default_template[] = "(&(objectClass=inetOrgPerson)(uid=%s))";

static void
check_escape (const char *value,
              gsize       length)
{
  g_autofree char *escaped = confab_ldap_filter_escape (value, length);
  g_autoptr(GString) back = g_string_new (NULL);

  for (const char *p = escaped; *p != '\0'; p++)
    {
      g_assert_true (*p != '*' && *p != '(' && *p != ')');
      if (*p == '\\')
        {
          char hex[3] = { p[1], p[2], '\0' };

          g_assert_true (g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]));
          g_string_append_c (back, (char) g_ascii_strtoull (hex, NULL, 16));
          p += 2;
        }
      else
        g_string_append_c (back, *p);
    }
  g_assert_cmpuint (back->len, ==, length);
  g_assert_true (memcmp (back->str, value, length) == 0);
}

/* The parentheses of @filter outside escapes. */
static char *
skeleton (const char *filter)
{
  GString *out = g_string_new (NULL);

  for (const char *p = filter; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0' && p[2] != '\0')
        p += 2;
      else if (*p == '(' || *p == ')')
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static void
check_template (const char *template,
                const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *filter = confab_ldap_filter_build (template, value, &error);
  g_autofree char *plain = NULL;
  g_autofree char *any = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_assert_cmpint (filter != NULL, ==, confab_ldap_filter_check (template, NULL));
  if (filter == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_null (confab_ldap_filter_build_any (template, NULL));
      return;
    }
  plain = confab_ldap_filter_build (template, "x", NULL);
  any = confab_ldap_filter_build_any (template, NULL);
  g_assert_nonnull (plain);
  g_assert_nonnull (any);
  a = skeleton (filter);
  b = skeleton (plain);
  g_assert_cmpstr (a, ==, b);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const char *text = (const char *) data;
  const char *newline = memchr (text, '\n', size);
  g_autofree char *template = NULL;
  g_autofree char *value = NULL;
  gsize value_length;

  if (newline == NULL)
    {
      template = g_strdup (default_template);
      value = g_strndup (text, size);
      value_length = size;
    }
  else
    {
      template = g_strndup (text, newline - text);
      value_length = size - (newline - text) - 1;
      value = g_malloc (value_length + 1);
      memcpy (value, newline + 1, value_length);
      value[value_length] = '\0';
    }

  check_escape (value, value_length);
  /* As a C string the value ends at its first NUL, as a username would. */
  check_template (template, value);
  check_template (default_template, value);
  return 0;
}
