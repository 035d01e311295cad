#!/usr/bin/env bash
# Installs (when missing), starts (when down) and prepares the local PostgreSQL for Frontline.
#
# Idempotent: safe to run any number of times, as root or as a user with sudo.
# Creates the role and database named by the environment (defaults match config/default.toml):
#   FRONTLINE_DB_USER (frontline), FRONTLINE_DB_PASSWORD (frontline), FRONTLINE_DB_NAME (frontline),
#   or the service's FRONTLINE__DATABASE__USERNAME / _PASSWORD / _DATABASE_NAME / _PORT.
# The role gets CREATEDB so that tests can clone per-test databases from a template.
set -euo pipefail

# The service's own variables (FRONTLINE__DATABASE__…) are honoured too, so that
# `FRONTLINE__DATABASE__DATABASE_NAME=other make run` creates the database it will use.
DB_USER="${FRONTLINE_DB_USER:-${FRONTLINE__DATABASE__USERNAME:-frontline}}"
DB_PASSWORD="${FRONTLINE_DB_PASSWORD:-${FRONTLINE__DATABASE__PASSWORD:-frontline}}"
DB_NAME="${FRONTLINE_DB_NAME:-${FRONTLINE__DATABASE__DATABASE_NAME:-frontline}}"
DB_PORT="${FRONTLINE_DB_PORT:-${FRONTLINE__DATABASE__PORT:-5432}}"

log() { printf '[db-setup] %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Run a command as the postgres superuser.
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

need_install=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need_install+=(postgresql)
[ -f /usr/include/postgresql/libpq-fe.h ] || need_install+=(libpq-dev)
command -v pg_lsclusters >/dev/null || need_install+=(postgresql-common)
if [ "${#need_install[@]}" -gt 0 ]; then
  log "installing ${need_install[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${need_install[@]}" postgresql-client >/dev/null
fi

# Pick the newest installed cluster; create one if the package did not.
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^${version} main$"; then
  log "creating cluster ${version}/main"
  as_root pg_createcluster "$version" main --port "$DB_PORT" >/dev/null
fi
status="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}')"
if [ "$status" != "online" ]; then
  log "starting cluster ${version}/main"
  rc=0
  as_root pg_ctlcluster "$version" main start || rc=$?
  # Exit code 2 means the cluster was already running.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    log "pg_ctlcluster failed with exit code $rc"; exit "$rc"
  fi
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$DB_PORT" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$DB_PORT" || { log "PostgreSQL did not become ready on 127.0.0.1:${DB_PORT}"; exit 1; }

# Role and database, created only when missing; the password is (re)set each run so it always matches the config.
as_postgres psql -q -v ON_ERROR_STOP=1 -p "$DB_PORT" -d postgres \
  -v user="$DB_USER" -v password="$DB_PASSWORD" -v dbname="$DB_NAME" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN CREATEDB PASSWORD %L', :'user', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'dbname', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname') \gexec
SQL
log "PostgreSQL ${version} ready on 127.0.0.1:${DB_PORT}, database ${DB_NAME} owned by ${DB_USER}"
