#!/usr/bin/env bash
# `make bench-scale`: the one-million-ticket measurements quoted in closing notes (issues 4 and 5).
#   1. `frontline seed --profile scale` into an empty database: wall time and peak memory;
#   2. VACUUM ANALYZE (what autovacuum would do after the load: visibility map for index-only scans);
#   3. latency of the metrics endpoints (summary, timeseries, breakdown) over those tickets, one
#      client at a time (wrk -c1, 10 s each): p50 / p99 as wrk reports them.
#   Before them: the first request's time (it loads the in-memory metrics store) and the server's
#   resident memory once the store is loaded.
# BENCH_SCALE_TICKETS (default 1000000) sets the size; BENCH_SCALE_REUSE=1 keeps an already seeded
# database (only migrations run); BENCH_SCALE_UNTIL (default 2026-11-01) ends the seeded year (the
# dashboard's bench wants it to reach today). Results go to bench-results/scale.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench_scale
PORT="${BENCH_PORT:-18081}"
TICKETS="${BENCH_SCALE_TICKETS:-1000000}"
OUT=bench-results
mkdir -p "$OUT"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}" PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "${FRONTLINE_DB_USER:-frontline}")

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[bench-scale] installing ${missing[*]}" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

cargo build --release --quiet --bin frontline
BIN=./target/release/frontline
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=$DB \
  FRONTLINE__APPLICATION__PORT=$PORT FRONTLINE__LOG__FILTER=warn FRONTLINE__WORKERS__ENABLED=false \
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__AUTH__API_REQUESTS_PER_USER_PER_MINUTE=0

if [ "${BENCH_SCALE_REUSE:-0}" = 1 ] && "${PSQL[@]}" -d $DB -c "SELECT 1" >/dev/null 2>&1; then
  $BIN migrate >/dev/null
  echo "== reusing the seeded database $DB" | tee "$OUT/scale.txt"
else
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
$BIN migrate >/dev/null

echo "== frontline seed --profile scale --tickets $TICKETS (release build, empty database)" | tee "$OUT/scale.txt"
/usr/bin/time -f "wall %e s, peak resident memory %M KiB" -o "$OUT/seed-time.txt" \
  $BIN seed --profile scale --tickets "$TICKETS" --until "${BENCH_SCALE_UNTIL:-2026-11-01}" | grep seeded | tee -a "$OUT/scale.txt"
tee -a "$OUT/scale.txt" <"$OUT/seed-time.txt"
start=$(date +%s.%N)
"${PSQL[@]}" -d $DB -c "VACUUM ANALYZE" 2>/dev/null || true
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "VACUUM ANALYZE: %.1f s\n", e - s }' | tee -a "$OUT/scale.txt"
fi

# (already there when the database is reused)
echo "bench-manager-password" | $BIN user create --role admin --email bench@frontline.local >/dev/null 2>&1 || true
$BIN serve >"$OUT/server-scale.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
TOKEN=$(curl -fs -H 'content-type: application/json' \
  -d '{"email":"bench@frontline.local","password":"bench-manager-password"}' \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')

YEAR="from=2025-11-01T00:00:00Z&to=2026-11-01T00:00:00Z"
# serve loads the metrics store at start-up; the first request waits for it.
first=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$PORT/api/v1/metrics/summary?$YEAR")
echo "first metrics request after start-up (waits for the store to load): $first s" | tee -a "$OUT/scale.txt"
echo "server resident memory with the store loaded: $(ps -o rss= -p $SERVER) KiB" | tee -a "$OUT/scale.txt"

MONTH="from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z"
for path in \
  "/api/v1/metrics/summary?$YEAR" \
  "/api/v1/metrics/summary?$YEAR&time=business" \
  "/api/v1/metrics/summary?$MONTH" \
  "/api/v1/metrics/timeseries?interval=month&$YEAR" \
  "/api/v1/metrics/timeseries?interval=day&$MONTH" \
  "/api/v1/metrics/breakdown?by=team&$YEAR" \
  "/api/v1/metrics/breakdown?by=agent&$YEAR" \
  "/api/v1/metrics/breakdown?by=sourcing&$MONTH" \
  "/api/v1/metrics/breakdown?by=organization&$MONTH" \
  "/api/v1/metrics/summary?$YEAR&include=contact_rates,on_hold_by_reason" \
  "/api/v1/metrics/breakdown?by=team&$YEAR&include=contact_rates" \
  "/api/v1/metrics/breakdown?by=channel&$YEAR&time=business&sourcing=outsourced"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path")
  line=$(wrk -t1 -c1 -d10s --timeout 60s --latency -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT$path" |
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /^Requests\/sec/ {rps=$2} END {printf "p50 %s, p99 %s, %s req/s", p50, p99, rps}')
  echo "GET $path → $code: $line" | tee -a "$OUT/scale.txt"
done

# The store reads again only what changed since its last read: one request after N tickets'
# projections were rewritten (the trigger stamps each row, as every ticket write does).
for n in 1000 10000; do
  "${PSQL[@]}" -d $DB -c "UPDATE ticket_metrics SET reopens = reopens WHERE ticket_id IN (SELECT id FROM tickets ORDER BY id DESC LIMIT $n)" >/dev/null
  t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/metrics/summary?$YEAR")
  echo "one-year summary right after $n tickets changed: $t s" | tee -a "$OUT/scale.txt"
done
# Solves moved by a microsecond (and back): what the contact rates' 7-day look-ups read changes, so
# the flags of the tickets near them are recomputed as well.
for shift in "+" "-"; do
  "${PSQL[@]}" -d $DB -c "UPDATE tickets SET solved_at = solved_at $shift interval '1 microsecond' WHERE id IN (SELECT id FROM tickets WHERE solved_at IS NOT NULL AND requester_id IS NOT NULL ORDER BY id DESC LIMIT 1000)" >/dev/null
  t=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/api/v1/metrics/summary?$YEAR&include=contact_rates")
  echo "one-year summary with contact rates right after 1000 solves moved ($shift 1 µs): $t s" | tee -a "$OUT/scale.txt"
done
echo "server resident memory at the end: $(ps -o rss= -p $SERVER) KiB" | tee -a "$OUT/scale.txt"
