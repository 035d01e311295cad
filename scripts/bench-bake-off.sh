#!/usr/bin/env bash
# `make bench-bake-off`: time and peak memory of bake-off reports over the one million seeded
# tickets of `frontline_bench_scale` (issue 14's target: under 3 s and 300 MB). The database is the
# one `make bench-evidence` / `make bench-scale` seed; this script reuses it (and says so when it
# is missing). The in-house team against the vendor, under /usr/bin/time -v, over one month, one
# quarter and one year; the month twice (the same bytes) and verified. Results go to
# bench-results/bake-off.txt.
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
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
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
# The seed's window is the 365 days before 2026-11-01.
for period in "month 2026-10-01 2026-11-01" "quarter 2026-08-01 2026-11-01" "year 2025-11-01 2026-11-01"; do
  set -- $period
  file=$(protocol "$1" "$2" "$3")
  measure "report bake-off, $1 ($2 to $3)" "$OUT/bake-off-$1.json" \
    $BIN report bake-off --protocol "$file" --as-of 2026-11-15T00:00:00Z
done
measure "report bake-off, month (2nd run)" "$OUT/bake-off-month-2.json" \
  $BIN report bake-off --protocol "$OUT/bake-off-month.protocol.json" --as-of 2026-11-15T00:00:00Z
if cmp -s "$OUT/bake-off-month.json" "$OUT/bake-off-month-2.json"; then
  echo "two runs: the same bytes ($(wc -c <"$OUT/bake-off-month.json") bytes)" | tee -a "$OUT/bake-off.txt"
else
  echo "two runs: DIFFERENT bytes" | tee -a "$OUT/bake-off.txt"; exit 1
fi
measure "report verify (month)" "$OUT/bake-off-verify.txt" $BIN report verify "$OUT/bake-off-month.json"
echo "verify: $(grep -c '^ok ' "$OUT/bake-off-verify.txt") ok, $(grep -c '^CHANGED' "$OUT/bake-off-verify.txt" || true) changed" \
  | tee -a "$OUT/bake-off.txt"
