#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets with clang and runs the frame decoder target.
# Usage: tests/fuzz/run-fuzz.sh [SECONDS]   (default 60)
# Exits non-zero when libFuzzer finds a crash, a sanitizer report or a leak.
set -eu

seconds=${1:-60}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${FUZZ_BUILDDIR:-$srcdir/_build-fuzz}
corpus=$srcdir/tests/fuzz/corpus/frame
workdir=$srcdir/tests/fuzz/corpus-run/frame

if [ ! -d "$builddir" ]; then
  CC=clang meson setup "$builddir" "$srcdir" -Dfuzzing=true -Dclient=disabled \
    -Dbuildtype=debugoptimized
fi
ninja -C "$builddir" tests/fuzz/fuzz-frame

# New inputs go to a scratch corpus; the committed seeds stay as they are.
mkdir -p "$workdir"
cd "$srcdir/tests/fuzz"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# GLib's slice allocator and caches would otherwise look like leaks or hide them.
export G_SLICE=always-malloc
export G_DEBUG=gc-friendly

exec "$builddir/tests/fuzz/fuzz-frame" -max_total_time="$seconds" -detect_leaks=1 -max_len=8192 \
  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$workdir" "$corpus"
