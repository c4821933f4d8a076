#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a command against a private, unlocked gnome-keyring on a private session bus, with HOME
# and XDG_* in a temp dir, so tests never touch the real keyring or home.
#   tests/run-with-keyring.sh COMMAND [ARGS…]
set -eu

if [ -z "${CONFAB_KEYRING_INNER:-}" ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/confab-keyring-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT INT TERM
  mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/runtime"
  chmod 700 "$tmp/runtime"
  export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config"
  export XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/runtime"
  export CONFAB_KEYRING_INNER=1 CONFAB_TEST_ENV_READY=1
  # Daemons the bus starts write to its stdout: send that to stderr and keep the real stdout
  # (the test's TAP stream) on fd 3. No exec: the trap must still clean up after the bus.
  status=0
  dbus-run-session -- "$0" "$@" 3>&1 1>&2 || status=$?
  exit $status
fi

# Inside the private bus. An empty password does not create the login keyring, so use one.
eval "$(echo -n x | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
export GNOME_KEYRING_CONTROL
status=0
"$@" 1>&3 || status=$?
# The daemon belongs to this bus session; end it by its own control socket's process.
if [ -n "${GNOME_KEYRING_PID:-}" ]; then
  kill "$GNOME_KEYRING_PID" 2>/dev/null || true
fi
exit $status
