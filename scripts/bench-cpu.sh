#!/usr/bin/env bash
# Where the time of one request goes: CPU seconds of the service and of PostgreSQL during 10 s of
# wrk (16 clients) on one path, read from /proc/PID/stat. Run after `make bench` (it reuses its
# database `frontline_bench`, its bench user and the release build). Loopback only.
#   scripts/bench-cpu.sh /api/v1/tickets/1 scripts/bench/get_ticket.lua
#   scripts/bench-cpu.sh '/api/v1/tickets?per_page=50'
#   BENCH_EMAIL=tech1@frontline.local scripts/bench-cpu.sh "/api/v1/me/work-orders?day=2027-01-05"
set -euo pipefail
cd "$(dirname "$0")/.."
PATH_UNDER_TEST=${1:?usage: scripts/bench-cpu.sh PATH [wrk-lua-script]}
PORT="${BENCH_PORT:-18181}"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}"
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=frontline_bench \
  FRONTLINE__APPLICATION__PORT=$PORT FRONTLINE__LOG__FILTER=warn FRONTLINE__WORKERS__ENABLED=false \
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__AUTH__API_REQUESTS_PER_USER_PER_MINUTE=0
./target/release/frontline serve >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
TOKEN=$(curl -fs -H 'content-type: application/json' \
  -d "{\"email\":\"${BENCH_EMAIL:-bench@frontline.local}\",\"password\":\"bench-manager-password\"}" \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
PSQL=(psql -q -At -h 127.0.0.1 -U "${FRONTLINE_DB_USER:-frontline}" -d frontline_bench)
export BENCH_TOKEN=$TOKEN BENCH_TICKETS=$("${PSQL[@]}" -c "SELECT max(id) FROM tickets")
export BENCH_REQUESTER=$("${PSQL[@]}" -c "SELECT min(id) FROM customers")
EXTRA=()
[ -n "${2:-}" ] && EXTRA=(-s "$2")
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
pg_ticks() { local t=0 p; for p in $(pgrep -x postgres); do t=$((t + $(ticks "$p"))); done; echo $t; }
hz=$(getconf CLK_TCK)
s0=$(ticks $SERVER); p0=$(pg_ticks)
out=$(wrk -t2 -c16 -d10s -H "Authorization: Bearer $TOKEN" "${EXTRA[@]}" "http://127.0.0.1:$PORT$PATH_UNDER_TEST")
s1=$(ticks $SERVER); p1=$(pg_ticks)
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
echo "$out" | grep -E 'Requests/sec|Non-2xx' || true
awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v hz="$hz" -v r="$rps" 'BEGIN {
  n = r * 10; printf "per request: service %.0f µs CPU, PostgreSQL %.0f µs CPU\n", s / hz / n * 1e6, p / hz / n * 1e6 }'
