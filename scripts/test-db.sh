#!/usr/bin/env bash
# Prepares the migrated template database that every test clones (CREATE DATABASE … TEMPLATE).
# Rebuilt on every run so that it always matches the migrations of this checkout.
# Needs scripts/db-setup.sh to have run (the role must exist and have CREATEDB).
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPLATE="${FRONTLINE_TEST_TEMPLATE:-frontline_template}"
DB_USER="${FRONTLINE_DB_USER:-frontline}"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}" PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${FRONTLINE_DB_PORT:-5432}" -U "$DB_USER" -d postgres)

# Drop the test databases that killed runs left behind: their names carry the test process id
# (frontline_test_<pid>_…); a database whose process is still running belongs to a live run on
# this machine and is left alone.
"${PSQL[@]}" -At -c "SELECT datname FROM pg_database WHERE datname LIKE 'frontline\_test\_%'" |
  while read -r db; do
    pid="$(printf '%s' "$db" | cut -d_ -f3)"
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      "${PSQL[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    fi
  done
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS \"$TEMPLATE\" WITH (FORCE)"
"${PSQL[@]}" -c "CREATE DATABASE \"$TEMPLATE\""

# Migrate it with the service's own embedded migrations.
FRONTLINE_ENV=test FRONTLINE__DATABASE__DATABASE_NAME="$TEMPLATE" \
  cargo run --quiet --bin frontline -- migrate
echo "[test-db] template database $TEMPLATE migrated" >&2
