/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-mentions"

#include "config.h"

#include "confab-mentions.h"
#include "confab-validate.h"

#include <stdint.h>
#include <string.h>

/* The mention parser reads message bodies as clients wrote them. Whatever they hold, it must not
 * crash, leak or read out of bounds, and what it returns must be what the server stores:
 * valid usernames or "@room", each once, within the cap. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *body = g_strndup ((const char *) data, size);
  g_auto(GStrv) mentions = NULL;
  guint n;

  /* Bodies reach the parser as validated UTF-8 without NULs. */
  if (strlen (body) != size || !g_utf8_validate (body, -1, NULL))
    return 0;

  mentions = confab_mentions_parse (body);
  n = g_strv_length (mentions);
  g_assert_cmpuint (n, <=, CONFAB_MENTIONS_MAX);
  for (guint i = 0; i < n; i++)
    {
      g_assert_true (g_str_equal (mentions[i], CONFAB_MENTION_ROOM)
                     || confab_username_is_valid (mentions[i]));
      for (guint j = 0; j < i; j++)
        g_assert_cmpstr (mentions[i], !=, mentions[j]);
    }
  return 0;
}
