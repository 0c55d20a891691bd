#!/usr/bin/env bash
# Run the whole Osprey stack on this machine: every service of the registry and the
# gateway as separate background processes, with demo data. `make up` calls this after
# preparing .venv; `make down` (deploy/local/down.sh) stops what it started.
#
#   .run/logs/<name>.log    each process's output (appended to)
#   .run/pids/<name>.pid    each process's id
#   .run/admin-password     the demo admin's password, generated once (when
#                           OSPREY_ADMIN_PASSWORD is not set)
#   .run/secret-keys        the key that encrypts mailbox passwords, generated once (when
#                           OSPREY_SECRET_KEYS is not set)
#   .run/mail/              the demo mailbox's Dovecot (and Postfix), their mail and
#                           servers.json (their password and ports; osprey demo-mail)
#
# Running it again restarts the processes (so they run the current code). Settings come
# from the OSPREY_* environment (README.md); OSPREY_UP_TIMEOUT (default 120) is how
# many seconds to wait for /readyz.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
RUN="$ROOT/.run"
LOGS="$RUN/logs"
PIDS="$RUN/pids"
TIMEOUT="${OSPREY_UP_TIMEOUT:-120}"

if [ ! -x "$VENV/bin/osprey" ]; then
    echo "up: $VENV is not installed; run \`make up\` (it installs it first)" >&2
    exit 1
fi
mkdir -p "$LOGS" "$PIDS"

# --- the first administrator -------------------------------------------------------------
# The identity service creates this user at start-up if the email is unknown; demo-data
# uses the same pair. The generated password is kept, so every `make up` prints the same.
export OSPREY_ADMIN_EMAIL="${OSPREY_ADMIN_EMAIL:-admin@osprey.local}"
if [ -z "${OSPREY_ADMIN_PASSWORD:-}" ]; then
    if [ ! -s "$RUN/admin-password" ]; then
        (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(12))' \
            >"$RUN/admin-password")
    fi
    OSPREY_ADMIN_PASSWORD="$(cat "$RUN/admin-password")"
    ADMIN_PASSWORD_SOURCE="stored in .run/admin-password"
else
    ADMIN_PASSWORD_SOURCE="from OSPREY_ADMIN_PASSWORD"
fi
export OSPREY_ADMIN_PASSWORD

# --- the key that encrypts mailbox passwords (docs/integrations.md) ----------------------
# Made once per checkout and kept beside the admin password; set OSPREY_SECRET_KEYS to
# use your own (a new key goes first, then `rotate_mailbox_secrets`).
if [ -z "${OSPREY_SECRET_KEYS:-}" ]; then
    if [ ! -s "$RUN/secret-keys" ]; then
        (umask 077 && "$VENV/bin/python" -m services.integrations.sync.crypto >"$RUN/secret-keys")
    fi
    OSPREY_SECRET_KEYS="$(cat "$RUN/secret-keys")"
fi
export OSPREY_SECRET_KEYS

# --- engines, database ------------------------------------------------------------------
"$ROOT/deploy/local/infra.sh"
"$VENV/bin/osprey" migrate

# --- processes --------------------------------------------------------------------------
read -r -a SERVICE_NAMES <<<"$("$VENV/bin/python" -c \
    'from services.platform.registry import SERVICES; print(" ".join(s.name for s in SERVICES))')"
NAMES=("${SERVICE_NAMES[@]}" gateway)

read -r HTTP_HOST HTTP_PORT <<<"$("$VENV/bin/python" -c \
    'from services.platform.config import settings; s = settings(); print(s.http_host, s.http_port)')"
case "$HTTP_HOST" in 0.0.0.0 | "") PROBE_HOST=127.0.0.1 ;; *) PROBE_HOST="$HTTP_HOST" ;; esac
BASE_URL="http://$PROBE_HOST:$HTTP_PORT"

if compgen -G "$PIDS/*.pid" >/dev/null; then
    echo "up: stopping the processes of the previous run"
    "$ROOT/deploy/local/down.sh"
fi

if (exec 3<>"/dev/tcp/$PROBE_HOST/$HTTP_PORT") 2>/dev/null; then
    echo "up: something else listens on $PROBE_HOST:$HTTP_PORT already;" \
        "stop it or choose another OSPREY_HTTP_PORT" >&2
    exit 1
fi

start() { # name argv...
    local name="$1"
    shift
    echo "--- $(date -u +%Y-%m-%dT%H:%M:%SZ) starting: $*" >>"$LOGS/$name.log"
    # Its own session, so a Ctrl-C in this terminal or the end of `make` leaves it running;
    # down.sh signals the whole session's process group.
    setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
    echo "$!" >"$PIDS/$name.pid"
    echo "up: started $name (pid $!, log .run/logs/$name.log)"
}

for name in "${SERVICE_NAMES[@]}"; do
    start "$name" "$VENV/bin/osprey" run "$name"
done
start gateway "$VENV/bin/python" -m gateway
# The reference accounting system (docs/accounting.md), so confirmed demo orders get
# reserved: its books in .run/, 1000 of any product, its control on
# OSPREY_ACCOUNTING_PEER_PORT (default 8790).
AMQP_URI="$("$VENV/bin/python" -c \
    'from services.platform.config import settings; print(settings().amqp_uri)')"
start accounting-peer "$VENV/bin/python" -m deploy.accounting.peer --amqp-uri "$AMQP_URI" \
    --state "$RUN/accounting-peer.sqlite3" --default-stock 1000 \
    --http-port "${OSPREY_ACCOUNTING_PEER_PORT:-8790}"

# --- wait until ready -------------------------------------------------------------------
show_tails() {
    for name in "${NAMES[@]}"; do
        echo "===== .run/logs/$name.log (last 30 lines) =====" >&2
        tail -n 30 "$LOGS/$name.log" >&2 || true
    done
}

fail() {
    echo "up: $*" >&2
    show_tails
    echo "up: stopping what was started (logs are kept in .run/logs/)" >&2
    "$ROOT/deploy/local/down.sh" >&2 || true
    exit 1
}

ready() {
    "$VENV/bin/python" - "$BASE_URL/readyz" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

echo "up: waiting up to ${TIMEOUT}s for $BASE_URL/readyz"
deadline=$((SECONDS + TIMEOUT))
until ready; do
    for name in "${NAMES[@]}"; do
        if ! kill -0 "$(cat "$PIDS/$name.pid")" 2>/dev/null; then
            fail "$name exited during start-up"
        fi
    done
    if [ "$SECONDS" -ge "$deadline" ]; then
        fail "$BASE_URL/readyz did not answer 200 within ${TIMEOUT}s"
    fi
    sleep 1
done
echo "up: ready"

# --- demo data, and a check that the printed login works ---------------------------------
"$VENV/bin/osprey" demo-data

if ! "$VENV/bin/python" - "$BASE_URL/api/v1/auth/login" <<'PY'; then
import json, os, sys, urllib.request
body = json.dumps(
    {"email": os.environ["OSPREY_ADMIN_EMAIL"], "password": os.environ["OSPREY_ADMIN_PASSWORD"]}
).encode()
request = urllib.request.Request(
    sys.argv[1], data=body, method="POST", headers={"Content-Type": "application/json"}
)
try:
    with urllib.request.urlopen(request, timeout=10):
        pass
except Exception:
    sys.exit(1)
PY
    echo "up: warning: $OSPREY_ADMIN_EMAIL cannot sign in with the password below; the user" \
        "existed before with another one (set OSPREY_ADMIN_EMAIL/OSPREY_ADMIN_PASSWORD," \
        "or create an admin: .venv/bin/osprey users create --admin ...)" >&2
fi

# --- the demo mailbox: a private Dovecot (and Postfix) kept in .run/mail/ -----------------
# Letters from the demo contacts to Maria's mailbox and from a stranger to the shared
# sales@ one, synced and linked by the mail service; skipped (with a line saying so)
# where Dovecot is not installed (deploy/local/install-mail.sh). `make down` stops them.
if ! "$VENV/bin/osprey" demo-mail --dir "$RUN/mail"; then
    echo "up: warning: the demo mailbox could not be set up (above; .run/mail/);" \
        "everything else runs" >&2
fi

cat <<TEXT

Osprey is running: $BASE_URL/
  API documentation: $BASE_URL/api/docs
  Admin login:       $OSPREY_ADMIN_EMAIL / $OSPREY_ADMIN_PASSWORD   ($ADMIN_PASSWORD_SOURCE)
  Demo mail:         maria.ivanova@osprey.local and sales@osprey.local (Settings → Mail)
  Logs:              .run/logs/       Stop with: make down
TEXT
