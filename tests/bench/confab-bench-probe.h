/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-types.h"

G_BEGIN_DECLS

/* Reports the frames of @window that the client's benchmark times, as lines on stdout, and
 * takes the benchmark's commands (select a conversation, scroll it end to end, quit) on stdin.
 * Only confab-bench-launcher attaches it; the confab program has no probe. */
void confab_bench_probe_attach (ConfabWindow *window);

G_END_DECLS
