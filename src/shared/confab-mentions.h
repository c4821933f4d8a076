/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The mention of a whole room, as it appears in a message's `mentions`. */
#define CONFAB_MENTION_ROOM        "@room"
#define CONFAB_MENTIONS_MAX        50

GStrv confab_mentions_parse (const char *body);

G_END_DECLS
