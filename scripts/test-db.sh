#!/usr/bin/env bash
# Prepares the migrated template database that every test clones (CREATE DATABASE … TEMPLATE).
# Rebuilt on every run so that it always matches the migrations of this checkout.
# Needs scripts/db-setup.sh to have run (the role must exist and have CREATEDB).
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPLATE="${FRONTLINE_TEST_TEMPLATE:-frontline_template}"
DB_USER="${FRONTLINE_DB_USER:-frontline}"
export PGPASSWORD="${FRONTLINE_DB_PASSWORD:-frontline}"
PSQL=(psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${FRONTLINE_DB_PORT:-5432}" -U "$DB_USER" -d postgres)

# Drop the test databases a killed run may have left behind, then the old template.
"${PSQL[@]}" -At -c "SELECT datname FROM pg_database WHERE datname LIKE 'frontline_test_%'" |
  while read -r db; do
    [ -n "$db" ] && "${PSQL[@]}" -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
  done
"${PSQL[@]}" -c "DROP DATABASE IF EXISTS \"$TEMPLATE\" WITH (FORCE)"
"${PSQL[@]}" -c "CREATE DATABASE \"$TEMPLATE\""

# Migrate it with the service's own embedded migrations.
FRONTLINE_ENV=test FRONTLINE__DATABASE__DATABASE_NAME="$TEMPLATE" \
  cargo run --quiet --bin frontline -- migrate
echo "[test-db] template database $TEMPLATE migrated" >&2
