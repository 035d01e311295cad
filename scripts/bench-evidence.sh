#!/usr/bin/env bash
# `make bench-evidence`: time and peak memory of `frontline report evidence` over one million
# tickets (issue 13's closing note; target: under 3 s and 300 MB).
#   1. seed the scale profile into frontline_bench_scale as scripts/bench-scale.sh does (or reuse
#      it: BENCH_SCALE_REUSE=1 keeps an already seeded database);
#   2. `frontline report evidence` for the company, a year against the previous one, under
#      /usr/bin/time -v (wall time, peak resident memory), twice: the two outputs must be the same
#      bytes;
#   3. `frontline report verify` on the output (wall time, peak memory; it must pass).
# BENCH_SCALE_TICKETS (default 1000000) sets the size. Results go to bench-results/evidence.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench_scale
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
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"

if [ "${BENCH_SCALE_REUSE:-0}" = 1 ] && "${PSQL[@]}" -d $DB -c "SELECT 1" >/dev/null 2>&1; then
  $BIN migrate >/dev/null
  echo "== reusing the seeded database $DB" | tee "$OUT/evidence.txt"
else
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  $BIN migrate >/dev/null
  echo "== frontline seed --profile scale --tickets $TICKETS" | tee "$OUT/evidence.txt"
  $BIN seed --profile scale --tickets "$TICKETS" | grep seeded | tee -a "$OUT/evidence.txt"
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
