#!/usr/bin/env bash
# `make bench-bake-off`: time and peak memory of bake-off reports over the one million seeded
# tickets of `frontline_bench_scale` (issue 14's target: under 3 s and 300 MB). The database is the
# one `make bench-evidence` / `make bench-scale` seed; this script reuses it (and says so when it
# is missing). The in-house team against the vendor over the last whole month, quarter and year
# of the seeded data:
#   1. from the command line (every input read from the database), under /usr/bin/time -v; the
#      month twice (the same bytes) and verified;
#   2. from the service (`POST /api/v1/reports/bake-off`: the tickets read from its in-memory
#      metrics store, which `serve` loads at start-up), each period twice, timed by curl, with the
#      server's resident memory before and its peak (VmHWM) after; each stored document must be
#      the command line's bytes.
# Results go to bench-results/bake-off.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench_scale
OUT=bench-results
mkdir -p "$OUT"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}" PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "${FRONTLINE_DB_USER:-frontline}")
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
[ -x /usr/bin/time ] || { as_root apt-get update -qq && as_root apt-get install -y -qq time >/dev/null; }
if ! "${PSQL[@]}" -d $DB -At -c "SELECT 1 FROM teams LIMIT 1" >/dev/null 2>&1; then
  echo "no seeded database $DB: run \`make bench-evidence\` (or \`make bench-scale\`) first" >&2
  exit 1
fi

cargo build --release --quiet --bin frontline
BIN=./target/release/frontline
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=$DB FRONTLINE__LOG__FILTER=warn \
  FRONTLINE__WORKERS__ENABLED=false \
  FRONTLINE__APPLICATION__PORT="${BENCH_PORT:-18083}" FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
$BIN migrate >/dev/null
IN_HOUSE=$("${PSQL[@]}" -d $DB -At -c "SELECT id FROM teams WHERE name = 'In-house contact center'")
echo "== bake-off: in-house team $IN_HOUSE vs vendor Teleserve BPO, $("${PSQL[@]}" -d $DB -At -c 'SELECT count(*) FROM tickets') tickets" \
  | tee "$OUT/bake-off.txt"

protocol() { # name, from, to → a protocol file
  local file="$OUT/bake-off-$1.protocol.json"
  cat >"$file" <<JSON
{"name": "bench: in-house vs vendor, $2 to $3", "cohort_a": {"label": "In-house", "teams": [$IN_HOUSE]},
 "cohort_b": {"label": "Teleserve BPO", "vendor": "Teleserve BPO"}, "from": "$2", "to": "$3",
 "strata": ["priority"]}
JSON
  echo "$file"
}
measure() { # label, output file, command…
  local label=$1 file=$2; shift 2
  /usr/bin/time -v -o "$OUT/bake-off-time.txt" "$@" >"$file" 2>/dev/null
  echo "$label: wall $(grep 'Elapsed (wall clock)' "$OUT/bake-off-time.txt" | awk '{print $NF}'), \
peak resident memory $(grep 'Maximum resident' "$OUT/bake-off-time.txt" | awk '{print $NF}') KiB" \
    | tee -a "$OUT/bake-off.txt"
}
# The last whole month of the seeded data, and the quarter and year that end with it.
END=$("${PSQL[@]}" -d $DB -At -c "SELECT date_trunc('month', max(created_at))::date FROM tickets")
AS_OF="${END}T00:00:00Z"
ago() { date -u -d "$END - $1 months" +%F; }
PERIODS=("month $(ago 1) $END" "quarter $(ago 3) $END" "year $(ago 12) $END")
echo "periods end $END; as of $AS_OF" | tee -a "$OUT/bake-off.txt"
for period in "${PERIODS[@]}"; do
  set -- $period
  file=$(protocol "$1" "$2" "$3")
  measure "command line: report bake-off, $1 ($2 to $3)" "$OUT/bake-off-$1.json" \
    $BIN report bake-off --protocol "$file" --as-of "$AS_OF"
done
measure "command line: report bake-off, month (2nd run)" "$OUT/bake-off-month-2.json" \
  $BIN report bake-off --protocol "$OUT/bake-off-month.protocol.json" --as-of "$AS_OF"
if cmp -s "$OUT/bake-off-month.json" "$OUT/bake-off-month-2.json"; then
  echo "two runs: the same bytes ($(wc -c <"$OUT/bake-off-month.json") bytes)" | tee -a "$OUT/bake-off.txt"
else
  echo "two runs: DIFFERENT bytes" | tee -a "$OUT/bake-off.txt"; exit 1
fi
measure "report verify (month)" "$OUT/bake-off-verify.txt" $BIN report verify "$OUT/bake-off-month.json"
echo "verify: $(grep -c '^ok ' "$OUT/bake-off-verify.txt") ok, $(grep -c '^CHANGED' "$OUT/bake-off-verify.txt" || true) changed" \
  | tee -a "$OUT/bake-off.txt"

# 2. From the service.
command -v curl >/dev/null || { as_root apt-get update -qq && as_root apt-get install -y -qq curl >/dev/null; }
PORT="${BENCH_PORT:-18083}"
echo "bench-manager-password" | $BIN user create --role admin --email bench@frontline.local >/dev/null 2>&1 || true
$BIN serve >"$OUT/server-bake-off.log" 2>&1 &
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
  "http://127.0.0.1:$PORT/api/v1/metrics/summary?from=$(ago 12)T00:00:00Z&to=${END}T00:00:00Z")
echo "service: first metrics request (waits for the store to load): $first s" | tee -a "$OUT/bake-off.txt"
echo "service: resident memory with the store loaded: $(awk '/VmRSS/ {print $2}' /proc/$SERVER/status) KiB" \
  | tee -a "$OUT/bake-off.txt"
# The peak from here on is the reports' (the store's own load peaked before): reset VmHWM to the
# current resident size (Linux: `5` into clear_refs) and report the rise above it.
BASE_RSS=$(awk '/VmRSS/ {print $2}' /proc/$SERVER/status)
echo 5 >/proc/$SERVER/clear_refs 2>/dev/null || echo "(cannot reset VmHWM: the peak below includes the store's load)" | tee -a "$OUT/$(basename "$0" .sh | sed 's/bench-//').txt"
for period in "${PERIODS[@]}"; do
  set -- $period
  for run in 1 2; do
    body="{\"protocol\": $(cat "$OUT/bake-off-$1.protocol.json"), \"as_of\": \"$AS_OF\"}"
    out=$(curl -s -o "$OUT/bake-off-api.json" -w '%{http_code} %{time_total}' \
      -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d "$body" \
      "http://127.0.0.1:$PORT/api/v1/reports/bake-off")
    echo "service: POST /api/v1/reports/bake-off, $1 (run $run): status ${out% *}, ${out#* } s" \
      | tee -a "$OUT/bake-off.txt"
    id=$(sed 's/^{"id":\([0-9]*\).*/\1/' "$OUT/bake-off-api.json")
    curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/reports/$id?format=json" \
      >"$OUT/bake-off-api-$1.doc.json"
    if ! cmp -s "$OUT/bake-off-$1.json" "$OUT/bake-off-api-$1.doc.json"; then
      echo "service: the $1's document DIFFERS from the command line's" | tee -a "$OUT/bake-off.txt"; exit 1
    fi
  done
done
echo "service: every stored document is the command line's bytes" | tee -a "$OUT/bake-off.txt"
PEAK=$(awk '/VmHWM/ {print $2}' /proc/$SERVER/status)
echo "service: peak resident memory while the reports ran (VmHWM) $PEAK KiB: $((PEAK - BASE_RSS)) KiB above the $BASE_RSS KiB held before them" \
  | tee -a "$OUT/bake-off.txt"
