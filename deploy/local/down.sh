#!/usr/bin/env bash
# Stop the processes deploy/local/up.sh started (the ids in .run/pids/): SIGTERM, then
# SIGKILL for any still alive after OSPREY_DOWN_TIMEOUT seconds (default 15); and the
# demo mailbox's mail servers (.run/mail/, `osprey demo-mail --stop`).
# Only a process whose command line is one up.sh starts is signalled, so a stale pid
# file never hits an unrelated process that happens to reuse the id.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PIDS="$ROOT/.run/pids"
TIMEOUT="${OSPREY_DOWN_TIMEOUT:-15}"

ours() { # pid: is it alive and one of ours?
    local cmdline
    cmdline="$({ tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null)" || return 1
    case "$cmdline" in
        *"osprey run "* | *"-m gateway"* | *"-m deploy.accounting.peer"*) return 0 ;;
        *) return 1 ;;
    esac
}

signal() { # SIG pid: the process group up.sh made with setsid, else the process alone
    if [ "$(ps -o pgid= -p "$2" 2>/dev/null | tr -d ' ')" = "$2" ]; then
        kill -"$1" -- "-$2" 2>/dev/null || true
    else
        kill -"$1" "$2" 2>/dev/null || true
    fi
}

# The demo mailbox's Dovecot and Postfix (osprey demo-mail) run on their own.
if [ -s "$ROOT/.run/mail/servers.json" ] && [ -x "$ROOT/.venv/bin/osprey" ]; then
    "$ROOT/.venv/bin/osprey" demo-mail --dir "$ROOT/.run/mail" --stop | sed 's/^/down: /' ||
        echo "down: the demo mail servers could not be stopped (.run/mail/)" >&2
fi

shopt -s nullglob
files=("$PIDS"/*.pid)
if [ "${#files[@]}" -eq 0 ]; then
    echo "down: nothing is running (no pid files in .run/pids/)"
    exit 0
fi

running=()
for file in "${files[@]}"; do
    name="$(basename "$file" .pid)"
    pid="$(cat "$file")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && ours "$pid"; then
        echo "down: stopping $name (pid $pid)"
        signal TERM "$pid"
        running+=("$name:$pid")
    else
        echo "down: $name is not running"
        rm -f "$file"
    fi
done

deadline=$((SECONDS + TIMEOUT))
for entry in "${running[@]}"; do
    name="${entry%%:*}"
    pid="${entry#*:}"
    while ours "$pid" && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
    done
    if ours "$pid"; then
        echo "down: $name (pid $pid) ignored SIGTERM for ${TIMEOUT}s; sending SIGKILL"
        signal KILL "$pid"
    fi
    rm -f "$PIDS/$name.pid"
done
echo "down: stopped"
