#!/usr/bin/env bash
# How long POST /v1/admin/backup and its download take for a database of SIZE_MIB, and how
# long the server takes to answer other requests meanwhile (the main loop must keep turning).
# The database is a fresh server's, padded with a table of random blobs to the size wanted.
# Usage: tests/bench/backup-bench.sh [CONFABD] [SIZE_MIB]   (needs curl, sqlite3, python3)
set -euo pipefail

confabd=${1:-_build/src/server/confabd}
size_mib=${2:-256}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT

start() {
  "$confabd" --data-dir "$dir/data" --listen 127.0.0.1:0 --plain > "$dir/out" 2> "$dir/err" &
  pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's/^listening on //p' "$dir/out")
    [ -n "$url" ] && return
    sleep 0.1
  done
  echo "confabd did not start"; cat "$dir/err"; exit 1
}

start
curl -sf "$url/v1/register" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"long enough pw"}' > /dev/null
kill "$pid"; wait "$pid" || true

sqlite3 "$dir/data/confab.db" <<SQL
CREATE TABLE bench_filler (x BLOB);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $size_mib * 16)
INSERT INTO bench_filler SELECT randomblob(65536) FROM n;
SQL
echo "database: $(du -m "$dir/data/confab.db" | cut -f1) MiB"

start
token=$(curl -sf "$url/v1/login" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"long enough pw"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

# Another request, again and again, while the backup is made.
(while [ ! -e "$dir/stop" ]; do
   curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" "$url/v1/admin/stats"
 done > "$dir/latencies") &
poller=$!
sleep 0.5
curl -sf -o "$dir/backup.json" -w 'backup: %{time_total} s\n' -X POST \
  -H "Authorization: Bearer $token" "$url/v1/admin/backup"
touch "$dir/stop"; wait "$poller"
python3 - "$dir/latencies" <<'PY'
import statistics, sys
t = sorted(float(line) * 1000 for line in open(sys.argv[1]) if line.strip())
print(f"GET /v1/admin/stats meanwhile: {len(t)} answered, median {statistics.median(t):.1f} ms, "
      f"max {t[-1]:.1f} ms")
PY
name=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["name"])' "$dir/backup.json")
curl -sf -o "$dir/backup.tar" -w 'download: %{time_total} s, %{size_download} bytes\n' \
  -H "Authorization: Bearer $token" "$url/v1/admin/backups/$name"
