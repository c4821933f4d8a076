#!/usr/bin/env bash
# Instructions confabd executes per delivered DM, counted by callgrind: the same total for the
# same binary and load whatever else the machine is doing, so two versions of confabd can be
# compared on a busy machine where wall-clock figures move by tens of per cent.
#
# The server runs under callgrind twice with the same fixed-rate load from confab-bench, once
# for SHORT and once for LONG seconds; the difference between the two totals, divided by the
# difference in messages, leaves out start-up, account creation (Argon2id) and shut-down.
#
# usage: tests/bench/instructions-per-message.sh CONFABD CONFAB-BENCH [RATE] [SHORT] [LONG]
set -euo pipefail

confabd=$1
bench=$2
rate=${3:-100}
short=${4:-5}
long=${5:-25}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "<instructions> <messages>" for one run of DURATION seconds.
run_once() {
  local duration=$1 dir="$work/run-$1"
  mkdir -p "$dir"
  printf '[limits]\nmessages_per_minute=0\n' > "$dir/confabd.conf"
  valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
    "$confabd" --data-dir "$dir/data" --plain --listen 127.0.0.1:0 \
    --config "$dir/confabd.conf" --registration open > "$dir/out" 2> "$dir/err" &
  local pid=$! url=""
  for _ in $(seq 1 1200); do
    url=$(sed -n 's/^listening on //p' "$dir/out")
    [ -n "$url" ] && break
    kill -0 "$pid" 2> /dev/null || { cat "$dir/err" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "confabd did not start" >&2; exit 1; }
  "$bench" --url "$url" --pid "$pid" -c 4 --rate "$rate" -d "$duration" --warmup 2 \
    > "$dir/bench" 2>&1
  kill -TERM "$pid"
  wait "$pid" || true
  local ir messages
  ir=$(sed -n 's/^summary: //p' "$dir/callgrind.out")
  messages=$(sed -n 's/.*(n=\([0-9]*\)).*/\1/p' "$dir/bench")
  echo "$ir $messages"
}

read -r ir_short n_short < <(run_once "$short")
read -r ir_long n_long < <(run_once "$long")
echo "instructions per message: $(( (ir_long - ir_short) / (n_long - n_short) ))" \
     "($ir_short for $n_short messages, $ir_long for $n_long, at $rate messages/s)"
