/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-validate"

#include "config.h"

#include "confab-validate.h"
#include "confab-limits.h"

#include <string.h>

static gboolean
is_username_char (char c,
                  gboolean first)
{
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
    return TRUE;
  return !first && (c == '.' || c == '_' || c == '-');
}

/**
 * confab_username_is_valid:
 * @username: (nullable): a candidate username
 *
 * Checks @username against `^[a-z0-9][a-z0-9._-]{1,31}$`.
 *
 * Returns: %TRUE if @username is a valid, already lower-cased username
 */
gboolean
confab_username_is_valid (const char *username)
{
  gsize len;

  if (username == NULL)
    return FALSE;

  len = strlen (username);
  if (len < 2 || len > 32)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    if (!is_username_char (username[i], i == 0))
      return FALSE;

  return TRUE;
}

/**
 * confab_username_normalize:
 * @input: (nullable): a username as a person typed it
 *
 * Lower-cases ASCII letters, as the contract asks of input, and validates the result.
 *
 * Returns: (transfer full) (nullable): the username, or %NULL if it is not valid
 */
char *
confab_username_normalize (const char *input)
{
  g_autofree char *lower = NULL;

  if (input == NULL || !g_utf8_validate (input, -1, NULL))
    return NULL;

  lower = g_ascii_strdown (input, -1);
  if (!confab_username_is_valid (lower))
    return NULL;

  return g_steal_pointer (&lower);
}

/**
 * confab_timezone_name_is_valid:
 * @name: (nullable): a candidate IANA time zone name, such as "Europe/Kyiv"
 *
 * Checks the form only, not that the zone exists: at most %CONFAB_TIMEZONE_MAX_CHARS
 * characters in parts separated by `/`, each starting with an ASCII letter and holding only
 * ASCII letters, digits, `_`, `-` and `+`. No path ("../x", "/etc/x") and no POSIX rule with
 * a colon has that form.
 *
 * Returns: %TRUE if @name has that form
 */
gboolean
confab_timezone_name_is_valid (const char *name)
{
  gboolean part_start = TRUE;

  if (name == NULL || strlen (name) > CONFAB_TIMEZONE_MAX_CHARS)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (part_start && !g_ascii_isalpha (*p))
        return FALSE;
      part_start = *p == '/';
      if (!g_ascii_isalnum (*p) && strchr ("_-+/", *p) == NULL)
        return FALSE;
    }
  return !part_start;
}

/**
 * confab_room_id_is_valid:
 * @room_id: (nullable): a candidate room id
 *
 * Returns: %TRUE if @room_id matches `^[A-Za-z0-9_-]{6,40}$`
 */
gboolean
confab_room_id_is_valid (const char *room_id)
{
  gsize len;

  if (room_id == NULL)
    return FALSE;

  len = strlen (room_id);
  if (len < 6 || len > 40)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = room_id[i];
      if (!g_ascii_isalnum (c) && c != '_' && c != '-')
        return FALSE;
    }
  return TRUE;
}

/**
 * confab_token_id_is_valid:
 * @str: (nullable): a client-chosen identifier (request id, client_msg_id)
 * @max_chars: the most characters allowed
 *
 * Client identifiers are 1 to @max_chars characters of valid UTF-8 without control characters.
 *
 * Returns: %TRUE if @str is acceptable
 */
gboolean
confab_token_id_is_valid (const char *str,
                          guint       max_chars)
{
  glong chars;

  if (str == NULL || *str == '\0' || !g_utf8_validate (str, -1, NULL))
    return FALSE;

  chars = g_utf8_strlen (str, -1);
  if (chars < 1 || (gulong) chars > max_chars)
    return FALSE;

  return confab_text_is_clean (str, FALSE);
}

/**
 * confab_conv_parse:
 * @conv: (nullable): a conversation id
 * @first: (out) (optional) (transfer full): the first user of a DM, or the room id
 * @second: (out) (optional) (transfer full): the second user of a DM, or %NULL
 *
 * Parses `dm:<a>:<b>` (usernames, a < b in byte order) or `room:<room id>`.
 *
 * Returns: the kind of conversation, %CONFAB_CONV_INVALID if @conv is malformed
 */
ConfabConvKind
confab_conv_parse (const char  *conv,
                   char       **first,
                   char       **second)
{
  if (first != NULL)
    *first = NULL;
  if (second != NULL)
    *second = NULL;

  if (conv == NULL)
    return CONFAB_CONV_INVALID;

  if (g_str_has_prefix (conv, "dm:"))
    {
      const char *a = conv + 3;
      const char *colon = strchr (a, ':');
      g_autofree char *user_a = NULL;
      const char *user_b;

      if (colon == NULL)
        return CONFAB_CONV_INVALID;

      user_a = g_strndup (a, colon - a);
      user_b = colon + 1;
      if (!confab_username_is_valid (user_a) || !confab_username_is_valid (user_b))
        return CONFAB_CONV_INVALID;
      if (strcmp (user_a, user_b) >= 0)
        return CONFAB_CONV_INVALID;

      if (first != NULL)
        *first = g_steal_pointer (&user_a);
      if (second != NULL)
        *second = g_strdup (user_b);
      return CONFAB_CONV_DM;
    }

  if (g_str_has_prefix (conv, "room:"))
    {
      const char *room = conv + 5;

      if (!confab_room_id_is_valid (room))
        return CONFAB_CONV_INVALID;
      if (first != NULL)
        *first = g_strdup (room);
      return CONFAB_CONV_ROOM;
    }

  return CONFAB_CONV_INVALID;
}

/**
 * confab_conv_dm:
 * @user_a: a username
 * @user_b: another username
 *
 * Returns: (transfer full) (nullable): the DM conversation id of the two users, in either order,
 *   or %NULL if they are invalid or the same user
 */
char *
confab_conv_dm (const char *user_a,
                const char *user_b)
{
  int cmp;

  if (!confab_username_is_valid (user_a) || !confab_username_is_valid (user_b))
    return NULL;

  cmp = strcmp (user_a, user_b);
  if (cmp == 0)
    return NULL;
  if (cmp > 0)
    return g_strdup_printf ("dm:%s:%s", user_b, user_a);
  return g_strdup_printf ("dm:%s:%s", user_a, user_b);
}

/**
 * confab_conv_room:
 * @room_id: a room id
 *
 * Returns: (transfer full) (nullable): `room:<room_id>`, or %NULL if @room_id is invalid
 */
char *
confab_conv_room (const char *room_id)
{
  if (!confab_room_id_is_valid (room_id))
    return NULL;
  return g_strconcat ("room:", room_id, NULL);
}

/**
 * confab_text_is_clean:
 * @text: valid UTF-8
 * @allow_newlines: whether line feeds and tabs are allowed
 *
 * Rejects C0/C1 control characters other than newline and tab, which have no place in names,
 * identifiers or message bodies and confuse terminals and logs.
 *
 * Returns: %TRUE if @text has no disallowed control character
 */
gboolean
confab_text_is_clean (const char *text,
                      gboolean    allow_newlines)
{
  g_return_val_if_fail (text != NULL, FALSE);

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || c == '\t' || c == '\r')
        {
          if (!allow_newlines)
            return FALSE;
          continue;
        }
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
        return FALSE;
    }
  return TRUE;
}

/**
 * confab_text_fold_words:
 * @text: UTF-8 text
 *
 * The words of @text (runs of letters and digits) without case and diacritics, joined by single
 * spaces: "Sales-Team", "sales  team" and "SALÉS TEAM" all give "sales team". How Confab
 * compares whole values such as departments.
 *
 * Returns: (transfer full): the folded words; "" if @text has none
 */
char *
confab_text_fold_words (const char *text)
{
  g_autofree char *folded = NULL;
  g_autofree char *decomposed = NULL;
  GString *words;
  gboolean space = FALSE;

  g_return_val_if_fail (text != NULL, NULL);

  folded = g_utf8_casefold (text, -1);
  decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKD);
  words = g_string_new (NULL);
  for (const char *p = decomposed; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_ismark (c))
        continue;
      if (!g_unichar_isalnum (c))
        {
          space = TRUE;
          continue;
        }
      if (space && words->len > 0)
        g_string_append_c (words, ' ');
      space = FALSE;
      g_string_append_unichar (words, c);
    }
  return g_string_free (words, FALSE);
}
