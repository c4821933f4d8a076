/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values put into an LDAP search filter (RFC 4515, section 3). Pure string work, no LDAP. */

/* @value (@length bytes, NUL bytes included) as an assertion value: `*`, `(`, `)`, `\` and NUL
 * become `\2a`, `\28`, `\29`, `\5c` and `\00`; every other byte stays as it is. */
char     *confab_ldap_filter_escape     (const char  *value,
                                         gsize        length);
/* @template with each `%s` replaced by @value escaped, and `%%` by `%`. NULL with @error set
 * (G_IO_ERROR_INVALID_ARGUMENT) when @template has no `%s`, any other `%` sequence, or does not
 * start with `(` and end with `)` with its parentheses balanced outside escapes. */
char     *confab_ldap_filter_build      (const char  *template,
                                         const char  *value,
                                         GError     **error);
/* @template with each `%s` replaced by `*`, unescaped: every entry the filter could name, for
 * the periodic sync. Same errors as confab_ldap_filter_build (). */
char     *confab_ldap_filter_build_any  (const char  *template,
                                         GError     **error);
/* Whether @template is a usable user filter (as confab_ldap_filter_build () checks it). */
gboolean  confab_ldap_filter_check      (const char  *template,
                                         GError     **error);

G_END_DECLS
