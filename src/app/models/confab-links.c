/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-links"

#include "config.h"

#include <string.h>

#include "confab-links.h"

/* Message text comes from other users: the finder reads it once, left to right, and never
 * reads past its end whatever it holds. */

static const char * const schemes[] = { "https://", "http://", "mailto:" };

static void
link_clear (gpointer data)
{
  ConfabLink *link = data;

  g_free (link->uri);
}

/* Where a link starts at @p: the length of its scheme, or 0. */
static gsize
scheme_at (const char *p)
{
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      gsize len = strlen (schemes[i]);

      if (g_ascii_strncasecmp (p, schemes[i], len) == 0)
        return len;
    }
  return 0;
}

/* Characters a link runs through: anything but spaces, controls and the quotes and angle
 * brackets that commonly enclose one. */
static gboolean
is_link_char (gunichar c)
{
  return !g_unichar_isspace (c) && !g_unichar_iscntrl (c) && c != '<' && c != '>' && c != '"'
         && c != 0x00AB && c != 0x00BB && c != 0x201C && c != 0x201D;
}

/* Trailing characters that more likely belong to the sentence than to the link. */
static gboolean
is_trailing_punct (char c)
{
  return c != '\0' && strchr (".,;:!?'*", c) != NULL;
}

/* Where the link that runs over [start, end) really ends. */
static gsize
trim_end (const char *text,
          gsize       start,
          gsize       end)
{
  for (;;)
    {
      char last = text[end - 1];

      if (end - start <= 1)
        return end;
      if (is_trailing_punct (last))
        {
          end--;
          continue;
        }
      if (last == ')' || last == ']')
        {
          char open = last == ')' ? '(' : '[';
          int depth = 0;

          /* Keep a bracket the link opened itself, as in a wiki's page names. */
          for (gsize i = start; i < end; i++)
            depth += text[i] == open ? 1 : text[i] == last ? -1 : 0;
          if (depth < 0)
            {
              end--;
              continue;
            }
        }
      return end;
    }
}

GArray *
confab_links_find (const char *text)
{
  GArray *links = g_array_new (FALSE, FALSE, sizeof (ConfabLink));
  const char *p;

  g_array_set_clear_func (links, link_clear);
  if (text == NULL)
    return links;

  p = text;
  while (*p != '\0')
    {
      gsize scheme = scheme_at (p);
      gboolean word_start = p == text
                            || !g_unichar_isalnum (g_utf8_get_char (g_utf8_prev_char (p)));
      const char *q;
      gsize start, end;

      if (scheme == 0 || !word_start)
        {
          p = g_utf8_next_char (p);
          continue;
        }

      q = p + scheme;
      while (*q != '\0' && is_link_char (g_utf8_get_char (q)))
        q = g_utf8_next_char (q);

      start = p - text;
      end = trim_end (text, start, q - text);
      /* Something after the scheme, and an address for mail. */
      if (end > start + scheme
          && (g_ascii_tolower (*p) != 'm'
              || memchr (p + scheme, '@', end - start - scheme) != NULL))
        {
          ConfabLink link = { start, end, g_strndup (p, end - start) };

          g_array_append_val (links, link);
          p = text + end;
        }
      else
        p = q > p + scheme ? q : p + scheme;
    }

  return links;
}
