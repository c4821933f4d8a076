#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Files over loopback: a 1 GiB upload (one tus PATCH) and download through confabd, plain and
# TLS, each next to curl sending the same bytes to, and reading them from, the plainest libsoup
# server (tests/bench/confab-soup-sink.c) in the same run; confabd's RSS while it does so; and
# 20 parallel uploads of 50 MiB. See docs/benchmarks.md.
#
# Usage: tests/bench/files-bench.sh BUILDDIR [DATA_ROOT]
#   DATA_ROOT holds the servers' data directories and the test file (default: a new
#   directory under /var/tmp, so on disk; give a tmpfs to take the disk out of the numbers).
set -eu

build=$(cd "$1" && pwd)
root=${2:-$(mktemp -d /var/tmp/confab-files-bench.XXXXXX)}
mib50=52428800
. "$(dirname "$0")/files-bench-start.sh"
head -c $mib50 "$big" > "$root/50m.bin"

json_field () {
  python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

mb_s () {
  python3 -c "print(f'{$1 / $2 / 1e6:.0f}')"
}

rss_kib () {
  sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# Samples the RSS of $1 every 50 ms into $2 until $3 exists.
sample_rss () {
  while [ ! -e "$3" ]; do rss_kib "$1" >> "$2"; sleep 0.05; done
}

run_confabd () {
  mode=$1
  data=$root/data-$mode
  rm -rf "$data"
  if [ "$mode" = plain ]; then
    start "$root/confabd-$mode.log" "$build/src/server/confabd" --data-dir "$data" \
      --listen 127.0.0.1:0 --plain
  else
    start "$root/confabd-$mode.log" "$build/src/server/confabd" --data-dir "$data" \
      --listen 127.0.0.1:0
  fi
  server=$pid
  base=$url
  curl -sk -X POST "$base/v1/register" -d '{"username":"bench","password":"bench-password"}' \
    > /dev/null
  token=$(curl -sk -X POST "$base/v1/login" \
            -d '{"username":"bench","password":"bench-password"}' | json_field token)

  location=$(curl -sk -D - -o /dev/null -X POST "$base/v1/files" \
               -H "Authorization: Bearer $token" -H 'Tus-Resumable: 1.0.0' \
               -H "Upload-Length: $gib" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  before=$(rss_kib "$server")
  rm -f "$root/stop"; : > "$root/rss-$mode"
  sample_rss "$server" "$root/rss-$mode" "$root/stop" &
  sampler=$!
  up=$(curl -sk -X PATCH -T "$big" -H 'Expect:' -H "Authorization: Bearer $token" \
         -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' \
         -H 'Content-Type: application/offset+octet-stream' -o /dev/null \
         -w '%{http_code} %{time_total}' "$base$location")
  down=$(curl -sk -H "Authorization: Bearer $token" -o /dev/null \
           -w '%{http_code} %{time_total}' "$base$location")
  touch "$root/stop"; wait "$sampler"
  peak=$(sort -n "$root/rss-$mode" | tail -1)
  [ "${up%% *}" = 204 ] && [ "${down%% *}" = 200 ] || { echo "confabd $mode: $up / $down"; exit 1; }
  confabd_up=${up#* }; confabd_down=${down#* }

  # The ceiling, with the same certificate for TLS.
  if [ "$mode" = plain ]; then
    start "$root/sink-$mode.log" "$build/tests/confab-soup-sink" "$big"
  else
    start "$root/sink-$mode.log" "$build/tests/confab-soup-sink" "$big" \
      "$data/tls/cert.pem" "$data/tls/key.pem"
  fi
  sink=$pid
  sink_up=$(curl -sk -X PUT -T "$big" -H 'Expect:' -o /dev/null -w '%{time_total}' "$url/up")
  sink_down=$(curl -sk -o /dev/null -w '%{time_total}' "$url/down")
  kill "$sink"

  printf '| %s | upload | %s MB/s | %s MB/s | %s %% |\n' "$mode" \
    "$(mb_s $gib "$confabd_up")" "$(mb_s $gib "$sink_up")" \
    "$(python3 -c "print(f'{100 * $sink_up / $confabd_up:.0f}')")"
  printf '| %s | download | %s MB/s | %s MB/s | %s %% |\n' "$mode" \
    "$(mb_s $gib "$confabd_down")" "$(mb_s $gib "$sink_down")" \
    "$(python3 -c "print(f'{100 * $sink_down / $confabd_down:.0f}')")"
  printf '| %s | confabd RSS before, peak during up+down, growth | %s MiB, %s MiB | | +%s MiB |\n' \
    "$mode" "$(python3 -c "print(f'{$before / 1024:.1f}')")" \
    "$(python3 -c "print(f'{$peak / 1024:.1f}')")" \
    "$(python3 -c "print(f'{($peak - $before) / 1024:.1f}')")"
}

echo "| transport | what | confabd | libsoup ceiling | confabd / ceiling |"
echo "| --- | --- | --- | --- | --- |"
run_confabd plain
kill "$server"
run_confabd tls

# 20 uploads of 50 MiB at once, against the TLS server still running.
i=0; locations=""
while [ $i -lt 20 ]; do
  locations="$locations $(curl -sk -D - -o /dev/null -X POST "$base/v1/files" \
    -H "Authorization: Bearer $token" -H 'Tus-Resumable: 1.0.0' \
    -H "Upload-Length: $mib50" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')"
  i=$((i + 1))
done
t0=$(date +%s.%N)
uploads=""
for location in $locations; do
  curl -sk -X PATCH -T "$root/50m.bin" -H 'Expect:' -H "Authorization: Bearer $token" \
    -H 'Tus-Resumable: 1.0.0' -H 'Upload-Offset: 0' \
    -H 'Content-Type: application/offset+octet-stream' -o /dev/null -w '%{http_code}\n' \
    "$base$location" >> "$root/parallel" &
  uploads="$uploads $!"
done
for upload in $uploads; do wait "$upload"; done
t1=$(date +%s.%N)
ok=$(grep -c '^204$' "$root/parallel" || true)
complete=0
for location in $locations; do
  offset=$(curl -sk -I -H "Authorization: Bearer $token" -H 'Tus-Resumable: 1.0.0' \
             "$base$location" | tr -d '\r' | sed -n 's/^[Uu]pload-[Oo]ffset: //p')
  [ "$offset" = $mib50 ] && complete=$((complete + 1))
done
rm -f "$root/parallel"
printf '| tls | 20 parallel uploads of 50 MiB | %s of 20 answered 204, %s complete, in %s s (%s MB/s together) | | |\n' \
  "$ok" "$complete" "$(python3 -c "print(f'{$t1 - $t0:.1f}')")" \
  "$(python3 -c "print(f'{20 * $mib50 / ($t1 - $t0) / 1e6:.0f}')")"
