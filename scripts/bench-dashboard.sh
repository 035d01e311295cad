#!/usr/bin/env bash
# `make bench-dashboard`: how fast the managers' dashboard renders over the one million seeded
# tickets of `frontline_bench_scale` (issue 14's target: 300 ms). The dashboard shows today's
# backlog and the last 30 days, so the seeded data must reach today: seed with
# `BENCH_SCALE_UNTIL=$(date -u -d tomorrow +%F) make bench-scale` (this script says so when the
# data is older). It starts the service, logs in through the log-in form as a manager (CSRF
# cookie and token, then the session cookie), and measures `GET /dashboard`:
#   1. the first render (the in-memory metrics store is loaded at start-up; waited for first);
#   2. wrk, one client for 10 s and then 4 clients for 10 s: latency p50 / p99 and requests/s.
# Results go to bench-results/dashboard.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DB=frontline_bench_scale
PORT="${BENCH_PORT:-18084}"
OUT=bench-results
mkdir -p "$OUT"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}" PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "${FRONTLINE_DB_USER:-frontline}")
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! "${PSQL[@]}" -d $DB -At -c "SELECT 1 FROM teams LIMIT 1" >/dev/null 2>&1; then
  echo "no seeded database $DB: run \`BENCH_SCALE_UNTIL=\$(date -u -d tomorrow +%F) make bench-scale\` first" >&2
  exit 1
fi
recent=$("${PSQL[@]}" -d $DB -At -c "SELECT count(*) FROM tickets WHERE created_at > now() - interval '30 days'")
if [ "$recent" -lt 1000 ]; then
  echo "$DB has $recent tickets in the last 30 days: reseed it up to today with" >&2
  echo "  BENCH_SCALE_UNTIL=\$(date -u -d tomorrow +%F) make bench-scale" >&2
  exit 1
fi

cargo build --release --quiet --bin frontline
BIN=./target/release/frontline
export FRONTLINE_ENV=production FRONTLINE__DATABASE__DATABASE_NAME=$DB FRONTLINE__LOG__FILTER=warn \
  FRONTLINE__APPLICATION__PORT=$PORT FRONTLINE__WORKERS__ENABLED=false \
  FRONTLINE__AUTH__API_REQUESTS_PER_USER_PER_MINUTE=0 \
  FRONTLINE__AUTH__JWT_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  FRONTLINE__EMAIL__INBOUND_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
$BIN migrate >/dev/null
echo "bench-manager-password" | $BIN user create --role admin --email bench@frontline.local >/dev/null 2>&1 || true
{
  echo "== GET /dashboard over $("${PSQL[@]}" -d $DB -At -c 'SELECT count(*) FROM tickets') tickets \
($recent created in the last 30 days, $("${PSQL[@]}" -d $DB -At -c "SELECT count(*) FROM tickets WHERE status IN ('new','open','pending','on_hold')") unsolved)"
} | tee "$OUT/dashboard.txt"

$BIN serve >"$OUT/server-dashboard.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do
  curl -fs "$URL/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
# Wait for the store: the first metrics request blocks until it is loaded.
TOKEN=$(curl -fs -H 'content-type: application/json' \
  -d '{"email":"bench@frontline.local","password":"bench-manager-password"}' \
  "$URL/api/v1/auth/login" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
loaded=$(curl -s -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/metrics/summary")
echo "store loaded (first metrics request): $loaded s" | tee -a "$OUT/dashboard.txt"

# Log in as a browser would: the form's CSRF cookie and token, then the session cookie. The
# cookies are `Secure` in production, which curl keeps off plain HTTP: they go as headers.
cookie() { sed -n "s/^set-cookie: $1=\([^;]*\).*/\1/Ip" "$2" | tr -d '\r' | tail -1; }
curl -fs -D "$OUT/login-headers.txt" -o "$OUT/login.html" "$URL/login"
CSRF_COOKIE=$(cookie frontline_login_csrf "$OUT/login-headers.txt")
CSRF_TOKEN=$(sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' "$OUT/login.html" | head -1)
curl -s -o /dev/null -D "$OUT/session-headers.txt" -H "Cookie: frontline_login_csrf=$CSRF_COOKIE" \
  -H "Origin: $URL" --data-urlencode "email=bench@frontline.local" \
  --data-urlencode "password=bench-manager-password" --data-urlencode "csrf_token=$CSRF_TOKEN" \
  "$URL/login"
SESSION=$(cookie frontline_session "$OUT/session-headers.txt")
[ -n "$SESSION" ] || { echo "log-in failed: no session cookie" >&2; exit 1; }

out=$(curl -s -o "$OUT/dashboard.html" -w '%{http_code} %{time_total} %{size_download}' \
  -H "Cookie: frontline_session=$SESSION" "$URL/dashboard")
set -- $out
[ "$1" = 200 ] || { echo "GET /dashboard answered $1" >&2; exit 1; }
echo "first render: $2 s, $3 bytes" | tee -a "$OUT/dashboard.txt"
for clients in 1 4; do
  wrk -t1 -c$clients -d10s --latency -H "Cookie: frontline_session=$SESSION" "$URL/dashboard" \
    >"$OUT/dashboard-wrk-$clients.txt"
  p50=$(awk '$1 == "50%" {print $2}' "$OUT/dashboard-wrk-$clients.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/dashboard-wrk-$clients.txt")
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/dashboard-wrk-$clients.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$OUT/dashboard-wrk-$clients.txt")
  echo "wrk, $clients client(s), 10 s: p50 $p50, p99 $p99, $rps req/s${non2xx:+, $non2xx non-2xx}" \
    | tee -a "$OUT/dashboard.txt"
done
echo "server peak resident memory (VmHWM): $(awk '/VmHWM/ {print $2}' /proc/$SERVER/status) KiB" \
  | tee -a "$OUT/dashboard.txt"
