#!/usr/bin/env bash
# `make bench`: measurements for the closing notes, on this machine, in one go.
#   1. import time of the bundled help-desk log into an empty database (3 runs, release build);
#   2. latency of GET /api/v1/metrics/summary under load (wrk, 16 connections, 2 threads, 20 s),
#      whole history and one year.
# Results are printed and written to bench-results/ (not tracked). Loopback traffic only.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench
PORT="${BENCH_PORT:-18080}"
DURATION="${BENCH_DURATION:-20s}"
OUT=bench-results
mkdir -p "$OUT"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "${FRONTLINE_DB_USER:-frontline}" -d postgres)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v wrk >/dev/null || ! command -v curl >/dev/null; then
  echo "[bench] installing wrk and curl" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq wrk curl >/dev/null
fi

cargo build --release --quiet --bin frontline
BIN=./target/release/frontline
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=$DB \
  FRONTLINE__APPLICATION__PORT=$PORT FRONTLINE__LOG__FILTER=warn \
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

fresh_db() {
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  $BIN migrate >/dev/null
}

echo "== import of data/helpdesk/helpdesk_event_log.csv (release build, empty database)" | tee "$OUT/import.txt"
for run in 1 2 3; do
  fresh_db
  start=$(date +%s.%N)
  $BIN import event-log data/helpdesk/helpdesk_event_log.csv --mapping data/helpdesk/mapping.toml \
    2>&1 | tail -n 1 >/dev/null
  end=$(date +%s.%N)
  awk -v r="$run" -v s="$start" -v e="$end" 'BEGIN { printf "run %d: %.2f s\n", r, e - s }' |
    tee -a "$OUT/import.txt"
done

BENCH_PASSWORD="bench-manager-password"
echo "$BENCH_PASSWORD" | $BIN user create --role manager --email bench@frontline.local >/dev/null
$BIN serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
RSS_IDLE=$(ps -o rss= -p $SERVER)
TOKEN=$(curl -fs -H 'content-type: application/json' \
  -d "{\"email\":\"bench@frontline.local\",\"password\":\"$BENCH_PASSWORD\"}" \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')

bench() { # name path
  echo "== $1: wrk -t2 -c16 -d$DURATION --latency $2" | tee "$OUT/$1.txt"
  wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT$2" | tee -a "$OUT/$1.txt" |
    grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|errors'
}
bench summary_all "/api/v1/metrics/summary"
bench summary_year "/api/v1/metrics/summary?from=2012-01-01T00:00:00Z&to=2013-01-01T00:00:00Z"
bench tickets_page "/api/v1/tickets?per_page=25&status=closed"
RSS_LOAD=$(ps -o rss= -p $SERVER)
echo "== service resident memory: idle ${RSS_IDLE} KiB, after load ${RSS_LOAD} KiB" | tee "$OUT/memory.txt"
