#!/usr/bin/env bash
# `make bench-evidence`: time and peak memory of an evidence report over one million tickets
# (issue 13's closing note; target: under 3 s and 300 MB).
#   1. seed the scale profile into frontline_bench_scale as scripts/bench-scale.sh does (or reuse
#      it: BENCH_SCALE_REUSE=1 keeps an already seeded database);
#   2. `frontline report evidence` for the company, a year against the previous one, under
#      /usr/bin/time -v (wall time, peak resident memory), twice: the two outputs must be the same
#      bytes;
#   3. `frontline report verify` on the output (wall time, peak memory; it must pass);
#   4. the same report from the service (`POST /api/v1/reports/evidence`, the tickets read from
#      its in-memory metrics store, which `serve` loads at start-up), twice, timed by curl: the
#      server's resident memory before each and its peak (VmHWM) during each, and the stored
#      document must be the command line's bytes.
# BENCH_SCALE_TICKETS (default 1000000) sets the size. Results go to bench-results/evidence.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench_scale
PORT="${BENCH_PORT:-18082}"
TICKETS="${BENCH_SCALE_TICKETS:-1000000}"
OUT=bench-results
mkdir -p "$OUT"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}" PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "${FRONTLINE_DB_USER:-frontline}")

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
[ -x /usr/bin/time ] || { as_root apt-get update -qq && as_root apt-get install -y -qq time >/dev/null; }

cargo build --release --quiet --bin frontline
BIN=./target/release/frontline
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=$DB FRONTLINE__LOG__FILTER=warn \
  FRONTLINE__APPLICATION__PORT=$PORT FRONTLINE__WORKERS__ENABLED=false \
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

if [ "${BENCH_SCALE_REUSE:-0}" = 1 ] && "${PSQL[@]}" -d $DB -c "SELECT 1" >/dev/null 2>&1; then
  $BIN migrate >/dev/null
  echo "== reusing the seeded database $DB" | tee "$OUT/evidence.txt"
else
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  $BIN migrate >/dev/null
  echo "== frontline seed --profile scale --tickets $TICKETS" | tee "$OUT/evidence.txt"
  $BIN seed --profile scale --tickets "$TICKETS" --until "${BENCH_SCALE_UNTIL:-2026-11-01}" | grep seeded | tee -a "$OUT/evidence.txt"
  "${PSQL[@]}" -d $DB -c "VACUUM ANALYZE" 2>/dev/null || true
fi
echo "tickets in the database: $("${PSQL[@]}" -d $DB -At -c 'SELECT count(*) FROM tickets')" \
  | tee -a "$OUT/evidence.txt"

# The seed's window is the 365 days before 2026-11-01.
ARGS=(report evidence --scope company --from 2025-11-01 --to 2026-11-01 --compare previous
      --category contact_center_of_the_year --words 800 --as-of 2026-11-15T00:00:00Z)
measure() { # label, output file, command…
  local label=$1 file=$2; shift 2
  /usr/bin/time -v -o "$OUT/evidence-time.txt" "$@" >"$file"
  echo "$label: wall $(grep 'Elapsed (wall clock)' "$OUT/evidence-time.txt" | awk '{print $NF}'), \
peak resident memory $(grep 'Maximum resident' "$OUT/evidence-time.txt" | awk '{print $NF}') KiB" \
    | tee -a "$OUT/evidence.txt"
}
measure "report evidence (1st run)" "$OUT/evidence-1.json" $BIN "${ARGS[@]}"
measure "report evidence (2nd run)" "$OUT/evidence-2.json" $BIN "${ARGS[@]}"
if cmp -s "$OUT/evidence-1.json" "$OUT/evidence-2.json"; then
  echo "two runs: the same bytes ($(wc -c <"$OUT/evidence-1.json") bytes)" | tee -a "$OUT/evidence.txt"
else
  echo "two runs: DIFFERENT bytes" | tee -a "$OUT/evidence.txt"; exit 1
fi
measure "report verify" "$OUT/evidence-verify.txt" $BIN report verify "$OUT/evidence-1.json"
echo "verify: $(grep -c '^ok ' "$OUT/evidence-verify.txt") ok, $(grep -c '^CHANGED' "$OUT/evidence-verify.txt" || true) changed" \
  | tee -a "$OUT/evidence.txt"

# 4. From the service.
command -v curl >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq curl >/dev/null; }
echo "bench-manager-password" | $BIN user create --role admin --email bench@frontline.local >/dev/null 2>&1 || true
$BIN serve >"$OUT/server-evidence.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
TOKEN=$(curl -fs -H 'content-type: application/json' \
  -d '{"email":"bench@frontline.local","password":"bench-manager-password"}' \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
first=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$PORT/api/v1/metrics/summary?from=2025-11-01T00:00:00Z&to=2026-11-01T00:00:00Z")
echo "service: first metrics request (waits for the store to load): $first s" | tee -a "$OUT/evidence.txt"
echo "service: resident memory with the store loaded: $(awk '/VmRSS/ {print $2}' /proc/$SERVER/status) KiB" \
  | tee -a "$OUT/evidence.txt"
# The peak from here on is the reports' (the store's own load peaked before): before each report,
# reset VmHWM to the current resident size (Linux: `5` into clear_refs) and report the rise above
# it; the highest peak of both runs is also given above the memory held before the first, which
# counts what the allocator kept from the first report.
FIRST_RSS=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
HIGHEST=0
BODY='{"scope":"company","from":"2025-11-01","to":"2026-11-01","comparison":"previous",
  "category":"contact_center_of_the_year","word_limit":800,"as_of":"2026-11-15T00:00:00Z"}'
for run in 1 2; do
  BASE_RSS=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
  echo 5 >/proc/$SERVER/clear_refs 2>/dev/null || echo "(cannot reset VmHWM: the peak below includes the store's load)" | tee -a "$OUT/evidence.txt"
  out=$(curl -s -o "$OUT/evidence-api-$run.json" -w '%{http_code} %{time_total}' \
    -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$BODY" \
    "http://127.0.0.1:$PORT/api/v1/reports/evidence")
  PEAK=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
  [ "$PEAK" -gt "$HIGHEST" ] && HIGHEST=$PEAK
  echo "service: POST /api/v1/reports/evidence (run $run): status ${out% *}, ${out#* } s; peak resident memory (VmHWM) $PEAK KiB: $((PEAK - BASE_RSS)) KiB above the $BASE_RSS KiB held before it" | tee -a "$OUT/evidence.txt"
  id=$(sed 's/^{"id":\([0-9]*\).*/\1/' "$OUT/evidence-api-$run.json")
  curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/reports/$id?format=json" \
    >"$OUT/evidence-api-$run.doc.json"
done
echo "service: highest peak of both runs $HIGHEST KiB: $((HIGHEST - FIRST_RSS)) KiB above the $FIRST_RSS KiB held before the first (glibc keeps part of what a report freed)" \
  | tee -a "$OUT/evidence.txt"
if cmp -s "$OUT/evidence-1.json" "$OUT/evidence-api-1.doc.json" && cmp -s "$OUT/evidence-1.json" "$OUT/evidence-api-2.doc.json"; then
  echo "service: both documents are the command line's bytes" | tee -a "$OUT/evidence.txt"
else
  echo "service: documents DIFFER from the command line's" | tee -a "$OUT/evidence.txt"; exit 1
fi
