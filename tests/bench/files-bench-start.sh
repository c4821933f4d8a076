# SPDX-License-Identifier: GPL-3.0-or-later
# Sourced by the files benchmarks once $root is set: the 1 GiB test file $big under $root,
# servers ended on exit, and start PROGRAM…, for a program that prints "listening on URL",
# which sets $url and $pid.
gib=1073741824
pids=""

cleanup () {
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

mkdir -p "$root"
big=$root/big.bin
if [ ! -f "$big" ] || [ "$(stat -c %s "$big")" -ne $gib ]; then
  head -c $gib /dev/urandom > "$big"
fi

start () {
  log=$1; shift
  rm -f "$log"   # an earlier run's address must not be read as this one's
  "$@" > "$log" 2>&1 &
  pid=$!
  pids="$pids $pid"
  i=0
  until grep -qs '^listening on ' "$log"; do
    i=$((i + 1)); [ $i -lt 100 ] || { cat "$log"; exit 1; }
    sleep 0.1
  done
  url=$(sed -n 's/^listening on \(.*\)$/\1/p' "$log" | sed 's,/$,,')
}
