#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the libFuzzer targets with clang and runs them (the frame decoder, the mention parser,
# the tus headers, the client's link finder, the directory's word index and department phrase,
# confabd's HTTP side and its request handlers), each for SECONDS.
# Usage: tests/fuzz/run-fuzz.sh [SECONDS]   (default 60)
# Exits non-zero when libFuzzer finds a crash, a sanitizer report or a leak.
set -eu

seconds=${1:-60}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
builddir=${FUZZ_BUILDDIR:-$srcdir/_build-fuzz}
workdir=$srcdir/tests/fuzz/corpus-run

if [ ! -d "$builddir" ]; then
  CC=clang meson setup "$builddir" "$srcdir" -Dfuzzing=true -Dclient=disabled \
    -Dbuildtype=debugoptimized
fi
ninja -C "$builddir" tests/fuzz/fuzz-frame tests/fuzz/fuzz-mentions tests/fuzz/fuzz-tus \
  tests/fuzz/fuzz-links tests/fuzz/fuzz-directory tests/fuzz/fuzz-http tests/fuzz/fuzz-request

# New inputs go to a scratch corpus; the committed seeds stay as they are.
mkdir -p "$workdir/frame" "$workdir/mentions" "$workdir/tus" "$workdir/links" "$workdir/directory" \
  "$workdir/http" "$workdir/request"

# The ASan+UBSan test setup (tests/meson.build) gives the sanitizer options, GLib's settings
# and the leak suppressions; libFuzzer gets its time budget here.
exec meson test -C "$builddir" --setup=asan --suite fuzz --verbose \
  --test-args="-max_total_time=$seconds"
