#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Where an upload's CPU goes: a 1 GiB tus upload (one PATCH, plain HTTP, curl) into confabd,
# and the same bytes PUT to the plainest libsoup server (tests/bench/confab-soup-sink.c), RUNS
# times, alternating between the builds given, with the CPU each server used for it read from
# /proc (the whole process, and its main thread alone; the rest is the upload's writer thread
# plus a little of the store's). CPU time moves far less with the machine's load than the
# time taken does. See docs/benchmarks.md.
#
# Usage: tests/bench/files-upload-cpu.sh DATA_ROOT RUNS BUILDDIR [BUILDDIR…]
#   DATA_ROOT holds the data directories and the test file (a tmpfs takes the disk out).
set -eu

root=$1; runs=$2; shift 2
hz=$(getconf CLK_TCK)
. "$(dirname "$0")/files-bench-start.sh"

# CPU ticks of process $1 (all its threads, living and gone), and of its main thread.
ticks () {
  awk '{print $14 + $15}' "/proc/$1/stat"
}
main_ticks () {
  awk '{print $14 + $15}' "/proc/$1/task/$1/stat"
}

seconds () {
  python3 -c "print(f'{$1 / $hz:.2f}')"
}

confabd_run () {
  build=$1
  data=$root/data-cpu
  rm -rf "$data"
  start "$root/confabd-cpu.log" "$build/src/server/confabd" --data-dir "$data" \
    --listen 127.0.0.1:0 --plain
  server=$pid
  curl -s -X POST "$url/v1/register" -d '{"username":"bench","password":"bench-password"}' \
    > /dev/null
  token=$(curl -s -X POST "$url/v1/login" -d '{"username":"bench","password":"bench-password"}' |
            python3 -c "import json,sys; print(json.load(sys.stdin)['token'])")
  location=$(curl -s -D - -o /dev/null -X POST "$url/v1/files" \
               -H "Authorization: Bearer $token" -H 'Tus-Resumable: 1.0.0' \
               -H "Upload-Length: $gib" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  all0=$(ticks "$server"); main0=$(main_ticks "$server")
  up=$(curl -s -X PATCH -T "$big" -H 'Expect:' -H "Authorization: Bearer $token" \
         -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' \
         -H 'Content-Type: application/offset+octet-stream' -o /dev/null \
         -w '%{http_code} %{time_total}' "$url$location")
  all1=$(ticks "$server"); main1=$(main_ticks "$server")
  kill "$server"; wait "$server" 2>/dev/null || true
  [ "${up%% *}" = 204 ] || { echo "confabd: $up"; exit 1; }
  printf '| %s | confabd | %s s | %s s | %s s | %s s | %s |\n' "$build" "${up#* }" \
    "$(seconds $((all1 - all0)))" "$(seconds $((main1 - main0)))" \
    "$(seconds $((all1 - all0 - main1 + main0)))" "$(cut -d' ' -f1 /proc/loadavg)"
}

ceiling_run () {
  build=$1
  start "$root/sink-cpu.log" "$build/tests/confab-soup-sink" "$big"
  sink=$pid
  all0=$(ticks "$sink"); main0=$(main_ticks "$sink")
  took=$(curl -s -X PUT -T "$big" -H 'Expect:' -o /dev/null -w '%{time_total}' "$url/up")
  all1=$(ticks "$sink"); main1=$(main_ticks "$sink")
  kill "$sink"; wait "$sink" 2>/dev/null || true
  printf '| %s | libsoup ceiling | %s s | %s s | %s s | %s s | %s |\n' "$build" "$took" \
    "$(seconds $((all1 - all0)))" "$(seconds $((main1 - main0)))" \
    "$(seconds $((all1 - all0 - main1 + main0)))" "$(cut -d' ' -f1 /proc/loadavg)"
}

echo "| build | server | upload took | CPU | main thread | other threads | load |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
run=0
while [ $run -lt "$runs" ]; do
  for build in "$@"; do
    confabd_run "$build"
  done
  ceiling_run "$1"
  run=$((run + 1))
done
