/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-mentions"

#include "config.h"

#include "confab-mentions.h"
#include "confab-validate.h"

#include <string.h>

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '_' || c == '-';
}

/**
 * confab_mentions_parse:
 * @body: a message body, valid UTF-8
 *
 * Finds the mentions in @body: `@` at the start or after a character that cannot be part of a
 * name, followed by a username (any case; a trailing `.`, `_` or `-` is punctuation, not part of
 * it). `@room` mentions the whole room and is returned as %CONFAB_MENTION_ROOM; other names are
 * returned lower-cased, whether or not such a user exists. Each appears once, in order of first
 * appearance, at most %CONFAB_MENTIONS_MAX of them.
 *
 * Returns: (transfer full): the mentions, possibly none
 */
GStrv
confab_mentions_parse (const char *body)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (body != NULL, NULL);

  for (const char *p = strchr (body, '@'); p != NULL && seen->len < CONFAB_MENTIONS_MAX;
       p = strchr (p + 1, '@'))
    {
      const char *end = p + 1;
      g_autofree char *name = NULL;
      g_autofree char *username = NULL;
      const char *mention;

      if (p > body && (is_name_char (p[-1]) || p[-1] == '@'))
        continue;
      while (is_name_char (*end))
        end++;
      while (end > p + 1 && (end[-1] == '.' || end[-1] == '_' || end[-1] == '-'))
        end--;
      if (end == p + 1)
        continue;

      name = g_ascii_strdown (p + 1, end - p - 1);
      if (g_str_equal (name, "room"))
        {
          mention = CONFAB_MENTION_ROOM;
        }
      else
        {
          username = confab_username_normalize (name);
          if (username == NULL)
            continue;
          mention = username;
        }
      if (g_ptr_array_find_with_equal_func (seen, mention, g_str_equal, NULL))
        continue;
      g_ptr_array_add (seen, g_strdup (mention));
      g_strv_builder_add (builder, mention);
    }
  return g_strv_builder_end (builder);
}
