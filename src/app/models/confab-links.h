/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A link in a message's text: bytes [start, end) of the text, and what opening it opens. */
typedef struct
{
  gsize  start;
  gsize  end;
  char  *uri;
} ConfabLink;

/* The http://, https:// and mailto: links of @text (valid UTF-8), in order, never
 * overlapping; an array of ConfabLink that frees their uris. Punctuation that ends a sentence
 * after a link is not part of it, nor is a closing bracket the link did not open. */
GArray *confab_links_find (const char *text);

G_END_DECLS
