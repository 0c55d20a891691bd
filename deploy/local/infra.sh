#!/usr/bin/env bash
# Make sure PostgreSQL and RabbitMQ (with its management plugin) answer, starting the
# local engines when they are installed but stopped. Idempotent: does nothing when
# both already answer. Used by `make up`, `make test`, `make migrate` and .ci/run.
#
#   deploy/local/infra.sh            start what is stopped, then wait for it
#   deploy/local/infra.sh --check    only say what is running and what would be started
#
# Where the engines are is read from OSPREY_DATABASE_URL / OSPREY_AMQP_URI /
# OSPREY_AMQP_MANAGEMENT_URL (the defaults of services/platform/config.py otherwise).
# Engines on another host are only waited for, never started.
set -euo pipefail

CHECK_ONLY=0
if [ "${1:-}" = "--check" ]; then
    CHECK_ONLY=1
fi
DEADLINE="${OSPREY_INFRA_TIMEOUT:-60}"

DATABASE_URL="${OSPREY_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/osprey}"
AMQP_URI="${OSPREY_AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}"
MANAGEMENT_URL="${OSPREY_AMQP_MANAGEMENT_URL:-http://guest:guest@127.0.0.1:15672}"

# host and port of a URL (python3 is on every machine this runs on; the venv may not exist yet)
host_port() {
    python3 - "$1" "$2" <<'PY'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(url.hostname or "127.0.0.1", url.port or int(sys.argv[2]))
PY
}
read -r PG_HOST PG_PORT < <(host_port "$DATABASE_URL" 5432)
read -r MQ_HOST MQ_PORT < <(host_port "$AMQP_URI" 5672)
read -r MG_HOST MG_PORT < <(host_port "$MANAGEMENT_URL" 15672)

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
fi

say() { echo "infra: $*"; }

is_local() {
    case "$1" in 127.0.0.1 | localhost | ::1) return 0 ;; *) return 1 ;; esac
}

port_open() { # host port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

wait_port() { # what host port
    local what="$1" host="$2" port="$3" waited=0
    until port_open "$host" "$port"; do
        if [ "$waited" -ge "$DEADLINE" ]; then
            say "$what did not answer on $host:$port within ${DEADLINE}s" >&2
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

# --- PostgreSQL -------------------------------------------------------------------------
postgres_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
    else
        port_open "$PG_HOST" "$PG_PORT"
    fi
}

if postgres_ready; then
    say "PostgreSQL answers on $PG_HOST:$PG_PORT"
elif ! is_local "$PG_HOST"; then
    if [ "$CHECK_ONLY" = 1 ]; then
        say "PostgreSQL on $PG_HOST:$PG_PORT does not answer (remote: not started here)"
    else
        wait_port PostgreSQL "$PG_HOST" "$PG_PORT"
    fi
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ]; then
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    if [ "$CHECK_ONLY" = 1 ]; then
        say "would start PostgreSQL: pg_ctlcluster --skip-systemctl-redirect $version main start"
    else
        say "starting PostgreSQL $version"
        $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start
        waited=0
        until postgres_ready; do
            if [ "$waited" -ge "$DEADLINE" ]; then
                say "PostgreSQL did not become ready within ${DEADLINE}s" >&2
                exit 1
            fi
            sleep 1
            waited=$((waited + 1))
        done
        say "PostgreSQL answers on $PG_HOST:$PG_PORT"
    fi
else
    say "PostgreSQL does not answer on $PG_HOST:$PG_PORT and is not installed here" \
        "(Debian: apt-get install postgresql)" >&2
    [ "$CHECK_ONLY" = 1 ] || exit 1
fi

# --- PostgreSQL connections ---------------------------------------------------------------
# Every service and the gateway keep pools, and the tests run a whole stack beside the
# containers of the test in hand: Debian's default of 100 connections runs out. A local
# cluster below OSPREY_PG_MAX_CONNECTIONS (300) gets it and one restart.
MIN_CONNECTIONS="${OSPREY_PG_MAX_CONNECTIONS:-300}"
if is_local "$PG_HOST" && postgres_ready && command -v psql >/dev/null 2>&1 \
    && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    PSQL=(psql -h "$PG_HOST" -p "$PG_PORT" -U "$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).username or "postgres")' "$DATABASE_URL")" -d postgres -Atq)
    current="$("${PSQL[@]}" -c 'SHOW max_connections' 2>/dev/null || echo "")"
    if [ -n "$current" ] && [ "$current" -lt "$MIN_CONNECTIONS" ]; then
        if [ "$CHECK_ONLY" = 1 ]; then
            say "would raise PostgreSQL's max_connections from $current to $MIN_CONNECTIONS"
        else
            say "raising PostgreSQL's max_connections from $current to $MIN_CONNECTIONS (one restart)"
            "${PSQL[@]}" -c "ALTER SYSTEM SET max_connections = $MIN_CONNECTIONS"
            version="$(ls /etc/postgresql | sort -V | tail -n 1)"
            $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main restart
            waited=0
            until postgres_ready; do
                if [ "$waited" -ge "$DEADLINE" ]; then
                    say "PostgreSQL did not come back within ${DEADLINE}s" >&2
                    exit 1
                fi
                sleep 1
                waited=$((waited + 1))
            done
        fi
    fi
fi

# --- RabbitMQ ---------------------------------------------------------------------------
if port_open "$MQ_HOST" "$MQ_PORT"; then
    say "RabbitMQ answers on $MQ_HOST:$MQ_PORT"
elif ! is_local "$MQ_HOST"; then
    if [ "$CHECK_ONLY" = 1 ]; then
        say "RabbitMQ on $MQ_HOST:$MQ_PORT does not answer (remote: not started here)"
    else
        wait_port RabbitMQ "$MQ_HOST" "$MQ_PORT"
    fi
elif command -v rabbitmq-server >/dev/null 2>&1; then
    if [ "$CHECK_ONLY" = 1 ]; then
        say "would start RabbitMQ: rabbitmq-server -detached; rabbitmqctl await_startup"
    else
        say "starting RabbitMQ"
        $SUDO rabbitmq-server -detached
        # await_startup waits for the node to boot; the first call can race the node's
        # appearance, so retry it until the deadline.
        waited=0
        until $SUDO rabbitmqctl -q await_startup --timeout 10 >/dev/null 2>&1; do
            if [ "$waited" -ge "$DEADLINE" ]; then
                say "RabbitMQ did not start within ${DEADLINE}s" >&2
                exit 1
            fi
            sleep 2
            waited=$((waited + 2))
        done
        wait_port RabbitMQ "$MQ_HOST" "$MQ_PORT"
        say "RabbitMQ answers on $MQ_HOST:$MQ_PORT"
    fi
else
    say "RabbitMQ does not answer on $MQ_HOST:$MQ_PORT and is not installed here" \
        "(Debian: apt-get install rabbitmq-server)" >&2
    [ "$CHECK_ONLY" = 1 ] || exit 1
fi

# --- RabbitMQ management plugin (Nameko's test fixtures make vhosts through it) ----------
if port_open "$MG_HOST" "$MG_PORT"; then
    say "RabbitMQ management API answers on $MG_HOST:$MG_PORT"
elif ! is_local "$MG_HOST"; then
    if [ "$CHECK_ONLY" = 1 ]; then
        say "RabbitMQ management on $MG_HOST:$MG_PORT does not answer (remote)"
    else
        wait_port "RabbitMQ management API" "$MG_HOST" "$MG_PORT"
    fi
elif command -v rabbitmq-plugins >/dev/null 2>&1; then
    if [ "$CHECK_ONLY" = 1 ]; then
        say "would enable the management plugin: rabbitmq-plugins enable rabbitmq_management"
    else
        say "enabling the RabbitMQ management plugin"
        $SUDO rabbitmq-plugins enable rabbitmq_management >/dev/null
        wait_port "RabbitMQ management API" "$MG_HOST" "$MG_PORT"
        say "RabbitMQ management API answers on $MG_HOST:$MG_PORT"
    fi
else
    say "the RabbitMQ management API does not answer on $MG_HOST:$MG_PORT" >&2
    [ "$CHECK_ONLY" = 1 ] || exit 1
fi
