#!/usr/bin/env bash
# Run one command beside a Redis server: scripts/redis.sh COMMAND [ARGS...]
#
# With REDIS_URL set, the command runs against that server. Otherwise this script makes a
# throwaway server of its own:
#   1. installs Debian's `redis-server` package with apt-get when none is found (root only);
#   2. starts it in a fresh temporary folder, listening on 127.0.0.1 only, on a free port, with
#      nothing saved to disk;
#   3. runs COMMAND with REDIS_URL=redis://127.0.0.1:PORT/0 exported;
#   4. stops the server by its pid and removes the folder on any exit (trap), even when COMMAND
#      fails or the run is interrupted, and exits with COMMAND's status.
# Folders left by a run that was killed outright (SIGKILL) are cleaned up by the next run.
set -euo pipefail

PREFIX="site-redis"
TMPROOT="${TMPDIR:-/tmp}"

HERE="$(cd "$(dirname "$0")" && pwd)"

log() { echo "redis.sh: $*" >&2; }
# shellcheck source=scripts/throwaway.sh
. "$HERE/throwaway.sh"

if [ "$#" -eq 0 ]; then
    echo "usage: scripts/redis.sh COMMAND [ARGS...]" >&2
    exit 2
fi

if [ -n "${REDIS_URL:-}" ]; then
    log "using the server given by REDIS_URL"
    exec "$@"
fi

find_server() {
    command -v redis-server || { [ -x /usr/bin/redis-server ] && echo /usr/bin/redis-server; }
}

SERVER="$(find_server || true)"
if [ -z "$SERVER" ]; then
    "$HERE/debian.sh" redis-server || {
        log "or give a server with REDIS_URL=redis://host:port/0"
        exit 1
    }
    SERVER="$(find_server || true)"
    if [ -z "$SERVER" ]; then
        log "apt-get installed redis-server but no redis-server program was found"
        exit 1
    fi
fi

remove_stale_runs
make_workdir

# Wait for PONG on the port (no redis-cli needed).
answers() {
    python3 -c 'import socket, sys
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)' "$1"
}

run_redis() {
    exec "$SERVER" --bind 127.0.0.1 --port "$PORT" --dir "$WORK" --save "" --appendonly no \
        --daemonize no --logfile "$WORK/server.log"
}
redis_answers() { answers "$PORT"; }
start_server run_redis redis_answers

export REDIS_URL="redis://127.0.0.1:$PORT/0"
log "Redis $("$SERVER" --version | awk '{print $3}') on 127.0.0.1:$PORT ($WORK)"

set +e
"$@"
status=$?
set -e
exit "$status"
