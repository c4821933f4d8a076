/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "confab-window.h"

G_BEGIN_DECLS

/* Only when the environment variable CONFAB_BENCH_PROBE is 1 (tests/bench/confab-client-bench
 * sets it): reports the frames of @window that the client's benchmarks time, as lines on
 * stdout, and takes the benchmark's commands (select a conversation, scroll it end to end,
 * quit) on stdin. Otherwise it does nothing. */
void confab_bench_probe_attach (ConfabWindow *window);

G_END_DECLS
