/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-server.h"

G_BEGIN_DECLS

/* Messages: send, edit, delete, react, read marks, history, conversations and search. */
void confab_messages_register (ConfabServer *server);

G_END_DECLS
