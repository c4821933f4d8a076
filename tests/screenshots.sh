#!/bin/sh
# Takes the screenshots in docs/screenshots/ with the real client against a real, seeded
# confabd under Xvfb: sign-in, main window light and dark, message search, the quick switcher, a
# profile, rooms, People, New Conversation's directory search, Announcements, a video call (test
# media both ways) and its record, narrow, and the Ukrainian UI.
# Usage: tests/screenshots.sh [BUILDDIR]   (default _build-shots; configured if missing)
# CONFAB_SCREENSHOT_OUT=DIR writes them elsewhere than docs/screenshots.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/_build-shots}
out=${CONFAB_SCREENSHOT_OUT:-$src/docs/screenshots}

[ -f "$build/build.ninja" ] || meson setup "$build" "$src"
ninja -C "$build" tests/screenshots tests/confab-call-client src/server/confabd data/gschemas.compiled po/uk/LC_MESSAGES/confab.mo po/ru/LC_MESSAGES/confab.mo

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A private home and session bus with an unlocked keyring (tests/run-with-keyring.sh), the
# build's schema and translations.
mkdir -p "$tmp/locale/uk/LC_MESSAGES" "$tmp/locale/ru/LC_MESSAGES"
cp "$build/po/uk/LC_MESSAGES/confab.mo" "$tmp/locale/uk/LC_MESSAGES/"
cp "$build/po/ru/LC_MESSAGES/confab.mo" "$tmp/locale/ru/LC_MESSAGES/"

run () {
  env -i PATH="$PATH" HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/runtime" \
    LANG=C.UTF-8 LC_ALL=C.UTF-8 "$@" \
    GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/data" \
    CONFABD="$build/src/server/confabd" CONFAB_LOCALEDIR="$tmp/locale" \
    CONFAB_SCREENSHOT_DIR="$out" NO_AT_BRIDGE=1 GTK_A11Y=none \
    CONFAB_TEST_MEDIA=1 CONFAB_CALL_CLIENT="$build/tests/confab-call-client" \
    xvfb-run -a -s '-screen 0 1280x800x24' \
    "$src/tests/run-with-keyring.sh" "$build/tests/screenshots"
}

run LANGUAGE=en
run LANGUAGE=uk CONFAB_SCREENSHOT_SUFFIX=-uk
