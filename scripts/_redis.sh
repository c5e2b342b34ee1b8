# Sourced by scripts/test: a throwaway Redis server, the broker of the distributed-index tests,
# on 127.0.0.1 only. start_redis installs Debian's redis-server (apt, as root) when it is
# missing, starts one on a free port with no persistence in a temp folder and exports
# SMARTALBUM_TEST_REDIS_URL; any failure returns non-zero, so the test command fails rather
# than the tests skipping. stop_redis stops it, bounded in time, and removes the folder.
# (The restart test starts its own server from the same binary, to restart it at will.)

REDIS_DIR=""

_redis_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "smartalbum: the distributed-index tests need: sudo apt-get install redis-server" >&2
        return 1
    fi
    echo "== installing redis-server (apt)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
    command -v redis-server >/dev/null 2>&1 || {
        echo "smartalbum: redis-server did not install" >&2
        return 1
    }
    # Debian may start its own on 6379: the tests use theirs.
    systemctl stop redis-server >/dev/null 2>&1 || service redis-server stop >/dev/null 2>&1 || true
}

start_redis() {
    local port
    if ! command -v redis-server >/dev/null 2>&1; then
        _redis_install || return 1
    fi
    REDIS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/smartalbum-redis.XXXXXX")"
    port="$("${VENV:-/usr}/bin/python3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$REDIS_DIR" --save "" \
        --appendonly no --daemonize yes --pidfile "$REDIS_DIR/redis.pid" \
        --logfile "$REDIS_DIR/redis.log" || { cat "$REDIS_DIR/redis.log" >&2; return 1; }
    for _ in $(seq 100); do
        if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
            export SMARTALBUM_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
            echo "== redis-server on 127.0.0.1:$port"
            return 0
        fi
        sleep 0.1
    done
    cat "$REDIS_DIR/redis.log" >&2
    return 1
}

stop_redis() {
    if [ -z "$REDIS_DIR" ]; then
        return 0
    fi
    if [ -f "$REDIS_DIR/redis.pid" ]; then
        local pid
        pid="$(cat "$REDIS_DIR/redis.pid")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$REDIS_DIR"
    REDIS_DIR=""
}
