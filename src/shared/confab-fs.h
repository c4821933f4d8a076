/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean confab_fs_remove_tree (const char *path);

G_END_DECLS
