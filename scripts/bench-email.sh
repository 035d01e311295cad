#!/usr/bin/env bash
# The outbox under load (part of `make bench`), against a local SMTP server (examples/smtp_sink.rs,
# mailcrab, in its own process), release build, loopback only:
#   1. POST /api/v1/tickets throughput with customer notices off and on, in the order off, on,
#      on, off (the database grows as it runs: each setting gets an early and a late turn) (wrk,
#      16 clients): what writing the outbox row in the ticket's transaction costs;
#   2. delivery rate: the workers start with the backlog step 1 queued; messages per second from
#      the first to the last received by the SMTP server;
#   3. delay from a change's commit to delivery: tickets created at a steady pace (wrk, 1 client)
#      while the worker runs with the default settings; delay = received by the SMTP server −
#      outbox.created_at (taken before the commit: an upper bound), p50 / p99.
# Results are printed and written to bench-results/email.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench_email
PORT="${BENCH_PORT:-18081}"
SMTP_PORT="${BENCH_SMTP_PORT:-12525}"
DURATION="${BENCH_DURATION:-20s}"
OUT=bench-results
mkdir -p "$OUT"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}" PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "${FRONTLINE_DB_USER:-frontline}")
command -v wrk >/dev/null || { echo "[bench-email] wrk missing: run make bench" >&2; exit 1; }

cargo build --release --quiet --bin frontline
cargo build --release --quiet --example smtp_sink
BIN=./target/release/frontline
SINK=./target/release/examples/smtp_sink
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=$DB \
  FRONTLINE__APPLICATION__PORT=$PORT FRONTLINE__LOG__FILTER=warn \
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__AUTH__API_REQUESTS_PER_USER_PER_MINUTE=0 \
  FRONTLINE__EMAIL__TRANSPORT=smtp FRONTLINE__EMAIL__SMTP_HOST=127.0.0.1 \
  FRONTLINE__EMAIL__SMTP_PORT=$SMTP_PORT FRONTLINE__EMAIL__SMTP_TLS=none

"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
$BIN migrate >/dev/null
PASSWORD="bench-email-password"
echo "$PASSWORD" | $BIN user create --role admin --email bench@frontline.local >/dev/null
REQUESTER=$("${PSQL[@]}" -d $DB -At -c \
  "INSERT INTO customers (name, email) VALUES ('Bench Caller', 'caller@bench.test') RETURNING id" | head -n 1)
# The created tickets' category must be in the catalogue (an unknown one is a 422).
"${PSQL[@]}" -d $DB -c "INSERT INTO ticket_categories (key, name) VALUES ('account funding', 'Account funding') ON CONFLICT (key) DO NOTHING"

CSV=$(mktemp)
$SINK "$SMTP_PORT" "$CSV" &
SINK_PID=$!
SERVER=
trap 'kill $SERVER $SINK_PID 2>/dev/null || true' EXIT

serve() { # FRONTLINE__… assignments for this run
  env "$@" $BIN serve >>"$OUT/email-server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  TOKEN=$(curl -fs -H 'content-type: application/json' \
    -d "{\"email\":\"bench@frontline.local\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  export BENCH_TOKEN=$TOKEN BENCH_REQUESTER=$REQUESTER
}
stop() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=; }
# Messages not yet delivered (claimed ones included); the bench's tickets are never solved, so
# no survey invitation is waiting for its delay.
pending() { "${PSQL[@]}" -d $DB -At -c "SELECT count(*) FROM outbox WHERE status = 'pending'"; }

: >"$OUT/email.txt"
for notices in false true true false; do
  serve FRONTLINE__WORKERS__ENABLED=false FRONTLINE__EMAIL__NOTIFICATIONS_ENABLED=$notices
  echo "== POST /api/v1/tickets, notices $notices: wrk -t2 -c16 -d$DURATION" | tee -a "$OUT/email.txt"
  wrk -t2 -c16 -d"$DURATION" --latency -s scripts/bench/create_ticket.lua \
    "http://127.0.0.1:$PORT/api/v1/tickets" | tee -a "$OUT/email.txt" |
    grep -E 'Requests/sec|^ +(50|99)%|Non-2xx' || true
  stop
done

BACKLOG=$(pending)
echo "== delivery of the backlog: $BACKLOG messages queued, workers started" | tee -a "$OUT/email.txt"
: >"$CSV.mark"
serve FRONTLINE__WORKERS__ENABLED=true
for _ in $(seq 1 600); do [ "$(pending)" -eq 0 ] && break; sleep 0.5; done
sleep 1
sort -t, -k2 -n "$CSV" | awk -F, -v n="$BACKLOG" '
  NR == 1 { first = $2 } { last = $2; count++ }
  END { s = (last - first) / 1e6; printf "received %d of %d in %.2f s: %.0f messages/s\n", count, n, s, (count - 1) / s }' |
  tee -a "$OUT/email.txt"

echo "== commit → delivery: tickets created by 1 client for $DURATION, worker running (defaults)" | tee -a "$OUT/email.txt"
BEFORE=$("${PSQL[@]}" -d $DB -At -c "SELECT coalesce(max(id), 0) FROM outbox")
wrk -t1 -c1 -d"$DURATION" -s scripts/bench/create_ticket.lua \
  "http://127.0.0.1:$PORT/api/v1/tickets" | grep -E 'Requests/sec' | tee -a "$OUT/email.txt"
for _ in $(seq 1 120); do [ "$(pending)" -eq 0 ] && break; sleep 0.5; done
sleep 1
stop
kill -TERM $SINK_PID; wait $SINK_PID 2>/dev/null || true
# Message-ID ticket-N@domain (the sink records it without brackets) of a "ticket received"
# notice → the outbox row by ticket number.
"${PSQL[@]}" -d $DB -At -F, -c "SELECT 'ticket-' || t.number || '@frontline.local', (extract(epoch FROM o.created_at) * 1e6)::bigint
   FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE o.id > $BEFORE AND o.kind = 'ticket_received'" |
  sort >"$CSV.created"
sort "$CSV" >"$CSV.sorted"
join -t, "$CSV.created" "$CSV.sorted" | awk -F, '{ printf "%.3f\n", ($3 - $2) / 1e3 }' | sort -n |
  awk '{ a[NR] = $1 } END { printf "%d messages: delay p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", NR, a[int(NR * 0.5)], a[int(NR * 0.99)], a[NR] }' |
  tee -a "$OUT/email.txt"
rm -f "$CSV" "$CSV.created" "$CSV.sorted" "$CSV.mark"
