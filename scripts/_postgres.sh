# Sourced by scripts/test: a throwaway PostgreSQL server for the catalog tests, on 127.0.0.1 only.
# start_postgres installs the server (apt, as root) when it is missing, creates a cluster in a
# temp folder, starts it on a free port with a role and database "smartalbum" (random password)
# and exports SMARTALBUM_TEST_POSTGRES_URL; any failure returns non-zero, so the test command
# fails rather than the tests skipping. stop_postgres stops it, bounded in time, and removes it.

PG_DIR=""
PG_BIN=""

_pg_bin() {
    local found
    found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

# Server programs run as the cluster's owner: PostgreSQL refuses to run as root.
_pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

_pg_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "smartalbum: the PostgreSQL tests need: sudo apt-get install postgresql" >&2
        return 1
    fi
    echo "== installing postgresql (apt)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null
    PG_BIN="$(_pg_bin)" || { echo "smartalbum: postgresql did not install" >&2; return 1; }
    # Debian creates a "main" cluster on 5432 and may start it: the tests use their own.
    pg_ctlcluster "$(basename "$(dirname "$PG_BIN")")" main stop >/dev/null 2>&1 || true
}

start_postgres() {
    local started=$SECONDS password port
    PG_BIN="$(_pg_bin || true)"
    if [ -z "$PG_BIN" ]; then
        _pg_install || return 1
    fi
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/smartalbum-pg.XXXXXX")"
    password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    echo "$password" >"$PG_DIR/password"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$PG_DIR"
    fi
    _pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$PG_DIR/password" \
        --auth=scram-sha-256 --encoding=UTF8 --no-instructions >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    port="$("${VENV:-/usr}/bin/python3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    # No durability: the cluster is thrown away after the run.
    _pg_as_owner "$PG_BIN/pg_ctl" start -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off" >/dev/null \
        || { cat "$PG_DIR/server.log" >&2; return 1; }
    # pg_signal_backend: the tests drop their databases WITH (FORCE), which must also end
    # an autovacuum worker busy in one after a big import (it runs as no role).
    PGPASSWORD="$password" "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 -q \
        -c "CREATE ROLE smartalbum LOGIN CREATEDB PASSWORD '$password'" \
        -c "GRANT pg_signal_backend TO smartalbum" \
        -c "CREATE DATABASE smartalbum OWNER smartalbum" >/dev/null || return 1
    export SMARTALBUM_TEST_POSTGRES_URL="postgresql+psycopg://smartalbum:$password@127.0.0.1:$port/smartalbum"
    echo "== postgresql $(basename "$(dirname "$PG_BIN")") on 127.0.0.1:$port" \
        "(ready in $((SECONDS - started)) s)"
}

stop_postgres() {
    if [ -z "$PG_DIR" ]; then
        return 0
    fi
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        _pg_as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DIR/data" -m fast -w -t 20 >/dev/null 2>&1 \
            || _pg_as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DIR/data" -m immediate -w -t 10 \
                >/dev/null 2>&1 \
            || kill -9 "$(head -n 1 "$PG_DIR/data/postmaster.pid")" 2>/dev/null || true
    fi
    rm -rf "$PG_DIR"
    PG_DIR=""
}
