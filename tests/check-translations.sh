#!/bin/sh
# Fails when a source file with translatable strings is missing from po/POTFILES.in, or when a
# language in po/LINGUAS has an untranslated or fuzzy string against the current sources.
# Usage: check-translations.sh SOURCE_ROOT
set -eu

root=${1:-$(dirname "$0")/..}
cd "$root"
status=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^#' po/POTFILES.in | sed '/^[[:space:]]*$/d' | sort -u > "$tmp/listed"

# Sources that hold a translatable string: C with _( N_( C_( NC_( or g_dngettext, templates
# with translatable="yes", and the data files merged by i18n.merge_file.
{
  grep -rlE '(^|[^A-Za-z0-9_])(N?C?_|g_dngettext) ?\(' --include='*.c' --include='*.h' src || true
  grep -rl 'translatable="yes"' --include='*.ui' src || true
  ls data/*.desktop.in data/*.metainfo.xml.in data/*.gschema.xml 2>/dev/null || true
} | sort -u > "$tmp/needed"

missing=$(comm -23 "$tmp/needed" "$tmp/listed")
if [ -n "$missing" ]; then
  echo "Files with translatable strings missing from po/POTFILES.in:"
  echo "$missing" | sed 's/^/  /'
  status=1
fi

gone=$(while read -r f; do [ -e "$f" ] || echo "$f"; done < "$tmp/listed")
if [ -n "$gone" ]; then
  echo "po/POTFILES.in lists files that do not exist:"
  echo "$gone" | sed 's/^/  /'
  status=1
fi

existing=$(while read -r f; do [ -e "$f" ] && echo "$f"; done < "$tmp/listed")
printf '%s\n' $existing > "$tmp/files"
xgettext --package-name=confab --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=g_dcgettext:2 \
  --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  -f "$tmp/files" -o "$tmp/confab.pot"

for lang in $(sed -e 's/#.*//' po/LINGUAS); do
  po="po/$lang.po"
  if [ ! -f "$po" ]; then
    echo "$po: missing"
    status=1
    continue
  fi
  msgmerge --quiet --no-fuzzy-matching "$po" "$tmp/confab.pot" -o "$tmp/$lang.po"
  msgfmt --check -o /dev/null "$tmp/$lang.po" || status=1
  untranslated=$(msgattrib --untranslated --no-obsolete --no-wrap "$tmp/$lang.po" \
                 | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$po" | grep -c '^msgid ' || true)
  # Each count includes the header entry when there is anything at all.
  [ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  if [ "$untranslated" -ne 0 ] || [ "$fuzzy" -ne 0 ]; then
    echo "$po: $untranslated untranslated, $fuzzy fuzzy"
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -A1 '^msgid ' | grep -v '^--' \
      | grep '^msgid' | sed 1d | head -20 | sed 's/^/  /'
    status=1
  else
    echo "$po: complete"
  fi
done

exit $status
