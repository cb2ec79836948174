# Shared by the scripts that start a throwaway server for the tests (postgres.sh, redis.sh,
# slapd.sh): sourced, not run. The caller sets PREFIX (the folder name's prefix) and TMPROOT
# first.
#
#   stop_server DIR     stop the server of the run whose folder is DIR: by default the process
#                       in DIR/server.pid; a script whose server is not one process of ours
#                       (postgres.sh: pg_ctl) defines its own after sourcing this
#   remove_stale_runs   folders of runs killed before their trap ran: stop their server and
#                       remove them; runs in progress are kept
#   make_workdir        WORK: a new private folder, removed with its server on any exit by a
#                       trap
#   free_port           a free TCP port on 127.0.0.1
#   start_server RUN ANSWERS
#                       PORT: a free port; RUN (a function that execs the server on $PORT,
#                       logging to $WORK/server.log) in the background as SERVER_PID, until
#                       ANSWERS (a function) says it serves; five ports tried, 5 s each, then
#                       the server's log and exit 1

stop_server() {
    local pid
    pid="$(cat "$1/server.pid" 2>/dev/null || echo)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true # our own child: reaped; a stale run's: returns at once
    fi
}

remove_stale_runs() {
    local old owner_pid
    for old in "$TMPROOT/$PREFIX".*; do
        [ -d "$old" ] || continue
        owner_pid="$(cat "$old/owner.pid" 2>/dev/null || echo)"
        if [ -n "$owner_pid" ] && kill -0 "$owner_pid" 2>/dev/null; then
            continue # a run in progress
        fi
        if [ -z "$owner_pid" ] && [ -n "$(find "$old" -maxdepth 0 -mmin -10)" ]; then
            continue # a run that is still writing its owner.pid
        fi
        log "removing a server left by an earlier run: $old"
        stop_server "$old"
        rm -rf "$old"
    done
}

cleanup() {
    local status=$?
    stop_server "$WORK"
    rm -rf "$WORK"
    return "$status"
}

make_workdir() {
    WORK="$(mktemp -d "$TMPROOT/$PREFIX.XXXXXX")"
    echo "$$" >"$WORK/owner.pid"
    chmod 700 "$WORK"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

start_server() {
    local run="$1" answers="$2" _attempt _wait
    for _attempt in 1 2 3 4 5; do
        PORT="$(free_port)" # another process may take it first: then the next one
        "$run" &
        SERVER_PID=$!
        echo "$SERVER_PID" >"$WORK/server.pid"
        for _wait in $(seq 50); do
            if "$answers"; then
                return 0
            fi
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        stop_server "$WORK"
        rm -f "$WORK/server.pid"
    done
    log "the server did not start; its log:"
    cat "$WORK/server.log" >&2 || true
    exit 1
}
