#!/usr/bin/env bash
# `make bench`: the measurements quoted in closing notes, on this machine, in one go. Loopback only.
#   1. import time of the bundled help-desk log into an empty database (3 runs, release build);
#   2. GET /api/v1/metrics/summary latency (whole history, one year);
#   3. POST /api/v1/tickets, GET /api/v1/tickets/{id}, GET /api/v1/tickets?per_page=50, the queue
#      (`?status=unsolved&sort=sla_due&per_page=50`) and the
#      metrics summary: throughput and latency at 16 concurrent clients (wrk), and in the same run
#      PostgreSQL's own rate for the least SQL of each request (pgbench, 16 clients, on the
#      1M-ticket database of scripts/bench/pg-limit/, built once as `frontline_pglimit`), with
#      the ratio service / PostgreSQL;
#   4. the service's resident memory, idle and peak under load.
# Results are printed and written to bench-results/ (not tracked).
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench
PORT="${BENCH_PORT:-18080}"
DURATION="${BENCH_DURATION:-20s}"
SECONDS_PGBENCH="${BENCH_PGBENCH_SECONDS:-20}"
OUT=bench-results
mkdir -p "$OUT"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}" PGOPTIONS="-c client_min_messages=warning"
PGUSER_NAME="${FRONTLINE_DB_USER:-frontline}"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "$PGUSER_NAME")

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v pgbench >/dev/null || missing+=(postgresql-contrib)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[bench] installing ${missing[*]}" >&2
  as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | tail -n 1)

cargo build --release --quiet --bin frontline
BIN=./target/release/frontline
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=$DB \
  FRONTLINE__APPLICATION__PORT=$PORT FRONTLINE__LOG__FILTER=warn FRONTLINE__WORKERS__ENABLED=false \
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__AUTH__API_REQUESTS_PER_USER_PER_MINUTE=0

fresh_db() {
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  $BIN migrate >/dev/null
}

echo "== import of data/helpdesk/helpdesk_event_log.csv (release build, empty database)" | tee "$OUT/import.txt"
for run in 1 2 3; do
  fresh_db
  start=$(date +%s.%N)
  $BIN import event-log data/helpdesk/helpdesk_event_log.csv --mapping data/helpdesk/mapping.toml \
    >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v r="$run" -v s="$start" -v e="$end" 'BEGIN { printf "run %d: %.2f s\n", r, e - s }' |
    tee -a "$OUT/import.txt"
done

BENCH_PASSWORD="bench-manager-password"
echo "$BENCH_PASSWORD" | $BIN user create --role admin --email bench@frontline.local >/dev/null
ACTOR=$("${PSQL[@]}" -d $DB -At -c "SELECT id FROM users WHERE email = 'bench@frontline.local'")
REQUESTER=$("${PSQL[@]}" -d $DB -At -c \
  "INSERT INTO customers (name, email) VALUES ('Bench Caller', 'caller@bench.test') RETURNING id" | head -n 1)
# The create run's category must be in the catalogue (an unknown one is a 422).
"${PSQL[@]}" -d $DB -c "INSERT INTO ticket_categories (key, name) VALUES ('account funding', 'Account funding') ON CONFLICT (key) DO NOTHING"

$BIN serve >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
sleep 1
RSS_IDLE=$(ps -o rss= -p $SERVER | tr -d ' ')
TOKEN=$(curl -fs -H 'content-type: application/json' \
  -d "{\"email\":\"bench@frontline.local\",\"password\":\"$BENCH_PASSWORD\"}" \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
TICKETS=$("${PSQL[@]}" -d $DB -At -c "SELECT max(id) FROM tickets")
export BENCH_TOKEN=$TOKEN BENCH_REQUESTER=$REQUESTER BENCH_TICKETS=$TICKETS

PEAK_FILE=$(mktemp)
echo "$RSS_IDLE" >"$PEAK_FILE"
sample_rss() { while kill -0 $SERVER 2>/dev/null; do ps -o rss= -p $SERVER >>"$PEAK_FILE" || true; sleep 0.5; done; }
sample_rss &
SAMPLER=$!
trap 'kill $SERVER $SAMPLER 2>/dev/null || true' EXIT

wrk_run() { # name path [extra wrk args]
  local name=$1 path=$2; shift 2
  echo "== $name: wrk -t2 -c16 -d$DURATION --latency $* $path" | tee "$OUT/$name.txt"
  wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "$@" \
    "http://127.0.0.1:$PORT$path" | tee -a "$OUT/$name.txt" |
    grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|errors' || true
  # A run whose answers were refused measured the refusal, not the request: stop there (more
  # than 1 % refused; the transition run may end a pass on a work order the other thread moved).
  local refused total
  refused=$(awk '/Non-2xx/ {print $NF}' "$OUT/$name.txt")
  total=$(awk '/requests in/ {print $1}' "$OUT/$name.txt")
  if [ -n "$refused" ] && [ $((refused * 100)) -gt "${total:-0}" ]; then
    echo "== $name: $refused of $total answers were not 2xx/3xx: its rate is not the request's" >&2
    exit 1
  fi
}
pgbench_run() { # name script
  local name=$1 script=$2 log
  log=$(mktemp -d)
  echo "== $name: pgbench -n -c16 -j2 -T$SECONDS_PGBENCH -f $script" | tee "$OUT/$name.txt"
  (cd "$log" && "$PGBENCH" -h 127.0.0.1 -U "$PGUSER_NAME" -n -c 16 -j 2 -T "$SECONDS_PGBENCH" \
      -D requester="$REQUESTER" -D actor="$ACTOR" -f "$OLDPWD/$script" -l $DB) >>"$OUT/$name.txt" 2>&1
  grep -E '^tps|latency average' "$OUT/$name.txt" || true
  # Per-transaction latencies (µs, third column of pgbench's log) → p50 / p99 in ms.
  cat "$log"/pgbench_log.* | awk '{print $3}' | sort -n |
    awk '{a[NR]=$1} END {printf "p50 %.2f ms, p99 %.2f ms (%d transactions)\n", a[int(NR*0.5)]/1000, a[int(NR*0.99)]/1000, NR}' |
    tee -a "$OUT/$name.txt"
  rm -rf "$log"
}

rate() { grep -E '^Requests/sec' "$OUT/$1.txt" | awk '{print $2}'; }
tps() { grep -E '^tps' "$OUT/$1.txt" | head -n 1 | sed 's/tps = \([0-9.]*\).*/\1/'; }

# PostgreSQL's own limit (scripts/bench/pg-limit/): one million tickets, built once.
PGLIMIT_DIR="${PGLIMIT_DIR:-scripts/bench/pg-limit}"
PGLIMIT_DB=frontline_pglimit
pglimit_run() { # name script
  local name=$1 script=$2
  echo "== $name: pgbench -n -M prepared -c16 -j2 -T$SECONDS_PGBENCH -f $script ($PGLIMIT_DB)" |
    tee "$OUT/$name.txt"
  "$PGBENCH" -h 127.0.0.1 -U "$PGUSER_NAME" -n -M prepared -c 16 -j 2 -T "$SECONDS_PGBENCH" \
    -f "$PGLIMIT_DIR/$script" $PGLIMIT_DB >>"$OUT/$name.txt" 2>&1
  grep -E '^tps|latency average' "$OUT/$name.txt" || true
}
if [ -f "$PGLIMIT_DIR/schema.sql" ]; then
  if [ "$("${PSQL[@]}" -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = '$PGLIMIT_DB'")" != 1 ] ||
     [ "$("${PSQL[@]}" -d $PGLIMIT_DB -At -c "SELECT count(*) FROM tickets" 2>/dev/null)" != 1000000 ]; then
    echo "== building $PGLIMIT_DB (1M tickets, about a minute)"
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $PGLIMIT_DB WITH (FORCE)" -c "CREATE DATABASE $PGLIMIT_DB"
    "${PSQL[@]}" -d $PGLIMIT_DB -f "$PGLIMIT_DIR/schema.sql" -f "$PGLIMIT_DIR/seed.sql" >/dev/null
  fi
  HAVE_PGLIMIT=1
else
  echo "== $PGLIMIT_DIR not found: no PostgreSQL-limit ratios" >&2
  HAVE_PGLIMIT=0
fi

wrk_run summary_all "/api/v1/metrics/summary"
wrk_run summary_year "/api/v1/metrics/summary?from=2012-01-01T00:00:00Z&to=2013-01-01T00:00:00Z"
wrk_run get_ticket "/api/v1/tickets/1" -s scripts/bench/get_ticket.lua
wrk_run list_tickets "/api/v1/tickets?per_page=50"
pgbench_run pgbench_list_tickets scripts/bench/list_tickets.sql
# An SLA policy for the created tickets (priority high), so that they carry running clocks.
curl -fs -o /dev/null -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \
  -d '{"name":"Bench","position":1,"targets":{"high":{"first_reply":{"seconds":3600,"business":false},"resolution":{"seconds":86400,"business":false}}}}' \
  "http://127.0.0.1:$PORT/api/v1/sla-policies" || echo "== (the bench SLA policy was not created)" >&2
wrk_run create_ticket "/api/v1/tickets" -s scripts/bench/create_ticket.lua
pgbench_run pgbench_create_ticket scripts/bench/create_ticket.sql
# An agent's queue (issue 15): unsolved tickets, next SLA breach first, a page of 50 with the
# names and SLA due instants the list carries — after the create run, whose tickets fill it.
echo "== queue page: $(curl -fs -H "Authorization: Bearer $TOKEN" \
  "http://127.0.0.1:$PORT/api/v1/tickets?status=unsolved&sort=sla_due&per_page=50" |
  grep -o '"sla_due_at":"[^"]*"' | wc -l) of 50 tickets with an SLA due instant" | tee "$OUT/queue_page.txt"
wrk_run queue_sla_due "/api/v1/tickets?status=unsolved&sort=sla_due&per_page=50"

# Field service: 16 technicians, 3-hour arrival windows back to back (8 a day each), a work
# order dispatched for each of the newest open tickets, through the API.
FIELD_COUNT="${BENCH_FIELD_WORK_ORDERS:-9600}"
SITE=$("${PSQL[@]}" -d $DB -At -c "WITH o AS (INSERT INTO organizations (name) VALUES ('Bench County') RETURNING id)
  INSERT INTO sites (organization_id, name, time_zone, address) SELECT id, 'North Tower', 'UTC', '1 Main St' FROM o RETURNING id" | head -n 1)
for t in $(seq 1 16); do
  echo "$BENCH_PASSWORD" | $BIN user create --role technician --email "tech$t@frontline.local" >/dev/null
done
TECHS=($("${PSQL[@]}" -d $DB -At -c "SELECT id FROM users WHERE role = 'technician' ORDER BY id"))
"${PSQL[@]}" -d $DB -At -c "SELECT id FROM tickets WHERE status <> 'closed' ORDER BY id DESC LIMIT $FIELD_COUNT" >"$OUT/field_tickets.txt"
echo "== creating $(wc -l <"$OUT/field_tickets.txt") dispatched work orders through the API"
start=$(date +%s.%N)
awk '{print NR-1, $1}' "$OUT/field_tickets.txt" | while read -r k ticket; do
  tech=${TECHS[$((k % 16))]}
  slot=$((k / 16 * 3))
  begin=$(date -u -d "2027-01-04T00:00:00Z + $slot hours" +%Y-%m-%dT%H:%M:%SZ)
  finish=$(date -u -d "2027-01-04T00:00:00Z + $((slot + 3)) hours" +%Y-%m-%dT%H:%M:%SZ)
  echo "$ticket {\"summary\":\"Handset dead\",\"site_id\":$SITE,\"technician_id\":$tech,\"arrival_window\":{\"start\":\"$begin\",\"end\":\"$finish\"}}"
done | xargs -d '\n' -P 8 -n 1 sh -c 'curl -fs -o /dev/null -H "Authorization: Bearer $BENCH_TOKEN" -H "content-type: application/json" -d "${0#* }" "http://127.0.0.1:'"$PORT"'/api/v1/tickets/${0%% *}/work-orders"'
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v n="$FIELD_COUNT" 'BEGIN { printf "created in %.1f s (%.0f/s, 8 clients, curl per request)\n", e - s, n / (e - s) }' | tee "$OUT/field_create.txt"
"${PSQL[@]}" -d $DB -At -c "SELECT id FROM work_orders WHERE status = 'dispatched' ORDER BY id" >"$OUT/field_work_orders.txt"
TECH_TOKEN=$(curl -fs -H 'content-type: application/json' \
  -d "{\"email\":\"tech1@frontline.local\",\"password\":\"$BENCH_PASSWORD\"}" \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
echo "== technician 1 on 2027-01-05: $(curl -fs -H "Authorization: Bearer $TECH_TOKEN" "http://127.0.0.1:$PORT/api/v1/me/work-orders?day=2027-01-05" | grep -o '"id":[0-9]*,"status"' | wc -l) work orders"
SAVED_TOKEN=$TOKEN; TOKEN=$TECH_TOKEN
wrk_run my_work_orders "/api/v1/me/work-orders?day=2027-01-05"
TOKEN=$SAVED_TOKEN
export BENCH_WORK_ORDERS="$PWD/$OUT/field_work_orders.txt"
wrk_run transition "/api/v1/work-orders" -s scripts/bench/transition.lua
echo "== work orders after the transition run: $("${PSQL[@]}" -d $DB -At -c "SELECT string_agg(status || ' ' || n, ', ') FROM (SELECT status, count(*) n FROM work_orders GROUP BY 1 ORDER BY 1) s")" | tee -a "$OUT/transition.txt"

if [ "$HAVE_PGLIMIT" = 1 ]; then
  pglimit_run pglimit_create create_ticket.sql
  pglimit_run pglimit_get get_ticket.sql
  pglimit_run pglimit_list list_tickets_keyset.sql
  "${PSQL[@]}" -d $PGLIMIT_DB -f "$PGLIMIT_DIR/reset.sql" >/dev/null
  {
    echo "== ratios, service / PostgreSQL's own rate for the least SQL (same run, 16 clients)"
    for pair in "create_ticket pglimit_create" "get_ticket pglimit_get" "list_tickets pglimit_list" "queue_sla_due pglimit_list"; do
      set -- $pair
      awk -v n="$1" -v s="$(rate "$1")" -v p="$(tps "$2")" \
        'BEGIN { printf "%-14s %9.0f req/s  vs %9.0f tps  = %.2fx\n", n, s, p, (p > 0 ? s / p : 0) }'
    done
    awk -v s="$(rate summary_all)" 'BEGIN { printf "%-14s %9.0f req/s (whole bundled log)\n", "summary", s }'
    awk -v s="$(rate my_work_orders)" 'BEGIN { printf "%-14s %9.0f req/s (a technician'"'"'s day, 8 work orders; goal 3,000)\n", "me/work-orders", s }'
    awk -v s="$(rate transition)" 'BEGIN { printf "%-14s %9.0f req/s (en_route, on_site, completed; goal 800)\n", "transition", s }'
  } | tee "$OUT/ratios.txt"
fi

kill $SAMPLER 2>/dev/null || true
RSS_PEAK=$(sort -n "$PEAK_FILE" | tail -n 1 | tr -d ' ')
echo "== service resident memory: idle ${RSS_IDLE} KiB, peak under load ${RSS_PEAK} KiB" | tee "$OUT/memory.txt"
rm -f "$PEAK_FILE"
