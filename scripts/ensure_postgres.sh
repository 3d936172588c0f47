#!/usr/bin/env bash
# Make sure a PostgreSQL server the test suite can use is running, and print
# its DATABASE_URL as the last line on stdout (all other output goes to stderr).
#
# 1. If a server on 127.0.0.1:$ZHUFANG_PG_PORT (default 5432) lets user
#    `postgres` in without a password, use it.
# 2. Otherwise install Debian's `postgresql` if needed and create (once) and
#    start a throwaway cluster `zhufang_test` with trust auth on
#    127.0.0.1:$ZHUFANG_PG_CLUSTER_PORT (default 5433), and use that.
#
# Either way the database `zhufang` is created if it does not exist.
# Idempotent: a second run reuses whatever the first one set up.
#
# Remove the throwaway cluster with:
#   pg_dropcluster --stop <version> zhufang_test
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Keep stdout for the URL alone.
exec 3>&1 1>&2

log() { printf 'ensure_postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

HOST=127.0.0.1
PORT="${ZHUFANG_PG_PORT:-5432}"
CLUSTER_PORT="${ZHUFANG_PG_CLUSTER_PORT:-5433}"
CLUSTER=zhufang_test
DBNAME=zhufang
VENV_PY=.venv/bin/python
export PGCONNECT_TIMEOUT=5

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    fi
fi

# run_sql PORT DB SQL: run one statement as user postgres without a password,
# print tuples-only output. Uses psql when present, else psycopg from .venv.
run_sql() {
    local port="$1" db="$2" sql="$3"
    if command -v psql >/dev/null 2>&1; then
        psql -w -X -q -t -A -v ON_ERROR_STOP=1 \
            -h "$HOST" -p "$port" -U postgres -d "$db" -c "$sql" </dev/null
    elif [ -x "$VENV_PY" ]; then
        "$VENV_PY" - "$HOST" "$port" "$db" "$sql" <<'PY'
import sys

import psycopg

host, port, db, sql = sys.argv[1:]
with psycopg.connect(host=host, port=int(port), user="postgres", dbname=db,
                     connect_timeout=5, autocommit=True) as conn:
    cur = conn.execute(sql)
    if cur.description is not None:
        for row in cur.fetchall():
            print("|".join("" if v is None else str(v) for v in row))
PY
    else
        return 127
    fi
}

# usable PORT: true when a server on HOST:PORT accepts user postgres with
# trust auth.
usable() {
    local port="$1"
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$HOST" -p "$port" -t 5 || return 1
    fi
    [ "$(run_sql "$port" postgres 'SELECT 1' 2>/dev/null || true)" = "1" ]
}

ensure_database() {
    local port="$1"
    if [ "$(run_sql "$port" postgres "SELECT 1 FROM pg_database WHERE datname = '$DBNAME'")" != "1" ]; then
        log "creating database $DBNAME on port $port"
        run_sql "$port" postgres "CREATE DATABASE $DBNAME" >/dev/null
    fi
}

emit_url() {
    local port="$1"
    ensure_database "$port"
    echo "postgres://postgres@$HOST:$port/$DBNAME" >&3
}

if usable "$PORT"; then
    log "using the server on $HOST:$PORT"
    emit_url "$PORT"
    exit 0
fi
log "no trust-auth server for user postgres on $HOST:$PORT; using a throwaway cluster on port $CLUSTER_PORT"

if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q 'install ok installed'; then
    scripts/ensure_system_packages.sh postgresql
fi
for tool in pg_lsclusters pg_createcluster pg_ctlcluster psql; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found after installing postgresql"
done
if [ "$(id -u)" -ne 0 ] && [ "${#as_root[@]}" -eq 0 ]; then
    die "creating a PostgreSQL cluster needs root or sudo"
fi

# Newest installed server version, e.g. 15.
VERSION="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
[ -n "$VERSION" ] || die "no PostgreSQL server found under /usr/lib/postgresql"

# cluster_field N: field N (1-based) of `pg_lsclusters -h` for our cluster
# (version cluster port status owner datadir logfile).
cluster_field() {
    pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" -v n="$1" '$1 == v && $2 == c { print $n }'
}

if [ -z "$(cluster_field 2)" ]; then
    log "creating cluster $VERSION/$CLUSTER on $HOST:$CLUSTER_PORT"
    # A throwaway test cluster: trust auth, loopback only, no durability.
    "${as_root[@]}" pg_createcluster "$VERSION" "$CLUSTER" --port "$CLUSTER_PORT" \
        -o fsync=off -o synchronous_commit=off -o full_page_writes=off \
        -- --auth=trust >&2
    # Not via -o: pg_createcluster would write 127.0.0.1 unquoted (it takes it
    # for a number), which the server rejects. The last setting in the file wins.
    printf "\n# added by zhufang scripts/ensure_postgres.sh\nlisten_addresses = '%s'\n" "$HOST" \
        | "${as_root[@]}" tee -a "/etc/postgresql/$VERSION/$CLUSTER/postgresql.conf" >/dev/null
else
    log "cluster $VERSION/$CLUSTER already exists"
fi

CLUSTER_PORT="$(cluster_field 3)"
if [ "$(cluster_field 4)" != "online" ]; then
    log "starting cluster $VERSION/$CLUSTER"
    "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$VERSION" "$CLUSTER" start >&2
fi

for _ in $(seq 1 30); do
    if usable "$CLUSTER_PORT"; then
        log "using cluster $VERSION/$CLUSTER on $HOST:$CLUSTER_PORT"
        emit_url "$CLUSTER_PORT"
        exit 0
    fi
    sleep 1
done
die "cluster $VERSION/$CLUSTER on $HOST:$CLUSTER_PORT does not accept user postgres without a password (see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log)"
