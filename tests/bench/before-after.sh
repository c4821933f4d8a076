#!/usr/bin/env bash
# Compares two versions of Confab with confab-bench and confab-client-bench on a machine that
# other work keeps busy: each round runs every benchmark once per version, back to back, in
# alternating order (before first in odd rounds, after first in even ones), so that a quiet or
# a loaded minute falls on both versions alike. Then it prints, per figure, the median and
# range of each version and the median of the per-round ratios (after / before).
#
# usage: tests/bench/before-after.sh BEFORE-SRC BEFORE-BUILD AFTER-SRC AFTER-BUILD [ROUNDS] [OUT]
#   *-SRC     a source tree (for tests/run-with-keyring.sh)
#   *-BUILD   its build directory, configured with -Dclient=enabled and built
#   ROUNDS    6 by default; OUT keeps the logs (a temporary directory by default)
set -euo pipefail

before_src=$(realpath "$1")
before_build=$(realpath "$2")
after_src=$(realpath "$3")
after_build=$(realpath "$4")
rounds=${5:-6}
out=${6:-$(mktemp -d)}
mkdir -p "$out"
here=$(dirname "$(realpath "$0")")

run() { # VERSION KIND ROUND
  local src build
  if [ "$1" = before ]; then
    src=$before_src build=$before_build
  else
    src=$after_src build=$after_build
  fi
  cd "$src"
  case $2 in
    client)
      nice -n -15 tests/run-with-keyring.sh xvfb-run -a -s '-screen 0 1280x800x24' \
        "$build/tests/confab-client-bench" --runs 3 --scroll-runs 0 ;;
    plain) nice -n -15 "$build/tests/confab-bench" -c 32 -w 64 -d 10 ;;
    tls) nice -n -15 "$build/tests/confab-bench" -c 32 -w 64 -d 10 --tls ;;
    rate) nice -n -15 "$build/tests/confab-bench" -c 32 --rate 10000 -d 10 ;;
  esac > "$out/$2.$1.$3" 2>&1
}

for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) = 1 ]; then order="before after"; else order="after before"; fi
  for kind in client plain tls rate; do
    for version in $order; do
      echo "round $round, $kind, $version (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      run "$version" "$kind" "$round"
    done
  done
done

python3 "$here/before-after-summary.py" "$out" "$rounds"
echo "logs: $out" >&2
