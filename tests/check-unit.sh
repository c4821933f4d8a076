#!/bin/sh
# Checks a systemd unit with systemd-analyze verify: fails on any error or warning it prints.
# Usage: check-unit.sh UNIT_FILE
set -u

if ! command -v systemd-analyze > /dev/null; then
  echo "systemd-analyze is missing: install the systemd package (.ci/install-deps does)"
  exit 1
fi
out=$(systemd-analyze verify --man=no "$1" 2>&1)
status=$?
if [ $status -ne 0 ] || [ -n "$out" ]; then
  echo "systemd-analyze verify $1 (exit status $status):"
  echo "$out"
  exit 1
fi
echo "systemd-analyze verify $1: no errors, no warnings"
