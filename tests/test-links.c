/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Finding the links of a message's text: what is a link, where it ends, what is not one. */
#include "config.h"

#include "confab-links.h"

typedef struct
{
  const char *text;
  const char *links[4];  /* NULL-terminated */
} LinkCase;

static const LinkCase cases[] = {
  { "no links here", { NULL } },
  { "https://example.com", { "https://example.com", NULL } },
  { "see http://example.com/a?b=c#d.", { "http://example.com/a?b=c#d", NULL } },
  { "HTTPS://EXAMPLE.COM/X, then", { "HTTPS://EXAMPLE.COM/X", NULL } },
  { "(see https://example.com/page)", { "https://example.com/page", NULL } },
  { "https://en.wikipedia.org/wiki/C_(language)!", { "https://en.wikipedia.org/wiki/C_(language)",
                                                     NULL } },
  { "write to mailto:ann@example.com; or not", { "mailto:ann@example.com", NULL } },
  { "mailto:nobody and mailto: alone", { NULL } },
  { "http:// https://", { NULL } },
  { "xhttps://example.com", { NULL } },
  { "two: https://a.example/1 https://b.example/2?", { "https://a.example/1",
                                                       "https://b.example/2", NULL } },
  { "«https://example.com/путь»", { "https://example.com/путь", NULL } },
  { "<https://example.com/x>", { "https://example.com/x", NULL } },
  { "ftp://example.com file:///etc/passwd javascript:alert(1)", { NULL } },
  { "https://example.com\nhttps://example.org", { "https://example.com", "https://example.org",
                                                  NULL } },
};

static void
test_cases (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) links = confab_links_find (cases[i].text);
      guint n = 0;

      while (cases[i].links[n] != NULL)
        n++;
      g_test_message ("%s", cases[i].text);
      g_assert_cmpuint (links->len, ==, n);
      for (guint j = 0; j < n; j++)
        {
          ConfabLink *link = &g_array_index (links, ConfabLink, j);

          g_assert_cmpstr (link->uri, ==, cases[i].links[j]);
          /* The range is the link's place in the text. */
          g_assert_cmpint (strncmp (cases[i].text + link->start, link->uri,
                                    link->end - link->start), ==, 0);
          g_assert_cmpuint (strlen (link->uri), ==, link->end - link->start);
        }
    }
}

static void
test_null_and_empty (void)
{
  g_autoptr(GArray) none = confab_links_find (NULL);
  g_autoptr(GArray) empty = confab_links_find ("");

  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (empty->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/links/cases", test_cases);
  g_test_add_func ("/confab/links/null-and-empty", test_null_and_empty);

  return g_test_run ();
}
