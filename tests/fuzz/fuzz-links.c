/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-fuzz-links"

#include "config.h"

#include "confab-links.h"

#include <stdint.h>
#include <string.h>

/* The link finder reads message text other users wrote. Whatever it is, the finder must not
 * crash, leak or read out of bounds, and the links it gives are in order, apart, inside the
 * text, each the text's own bytes and starting with a scheme it knows. */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GArray) links = NULL;
  gsize len, previous_end = 0;

  /* The client only ever holds valid UTF-8 (the server checks it). */
  if (!g_utf8_validate (text, -1, NULL))
    return 0;

  len = strlen (text);
  links = confab_links_find (text);
  for (guint i = 0; i < links->len; i++)
    {
      ConfabLink *link = &g_array_index (links, ConfabLink, i);

      g_assert_true (link->start >= previous_end);
      g_assert_true (link->start < link->end);
      g_assert_true (link->end <= len);
      g_assert_true (strlen (link->uri) == link->end - link->start);
      g_assert_true (memcmp (text + link->start, link->uri, link->end - link->start) == 0);
      g_assert_true (g_utf8_validate (link->uri, -1, NULL));
      g_assert_true (g_ascii_strncasecmp (link->uri, "http://", 7) == 0
                     || g_ascii_strncasecmp (link->uri, "https://", 8) == 0
                     || g_ascii_strncasecmp (link->uri, "mailto:", 7) == 0);
      previous_end = link->end;
    }
  return 0;
}
