#!/usr/bin/env bash
# Run one command against a PostgreSQL server: scripts/postgres.sh COMMAND [ARGS...]
#
# With DATABASE_URL set to a postgres:// URL, the command runs against that server (its role needs
# CREATEDB, or to be a superuser, for pytest-django's test database).
# Otherwise this script makes a throwaway server of its own:
#   1. installs Debian's `postgresql` package with apt-get when no initdb is found (root only);
#   2. creates a cluster in a fresh temporary folder (as the `postgres` user when run as root:
#      initdb refuses root), password auth, listening on 127.0.0.1 only, on a free port;
#   3. runs COMMAND with DATABASE_URL=postgres://... exported, and POSTGRES_BINDIR, POSTGRES_DATA,
#      POSTGRES_OWNER, POSTGRES_LOG, POSTGRES_OPTIONS to stop and start the server again;
#   4. stops the server and removes the folder on any exit (trap), even when COMMAND fails or the
#      run is interrupted, and exits with COMMAND's status.
# Folders left by a run that was killed outright (SIGKILL) are cleaned up by the next run.
# Nothing outside the temporary folder is touched, so runs are idempotent and may run side by side.
set -euo pipefail

PREFIX="site-pg"
TMPROOT="${TMPDIR:-/tmp}"

HERE="$(cd "$(dirname "$0")" && pwd)"

log() { echo "postgres.sh: $*" >&2; }
# shellcheck source=scripts/throwaway.sh
. "$HERE/throwaway.sh"

if [ "$#" -eq 0 ]; then
    echo "usage: scripts/postgres.sh COMMAND [ARGS...]" >&2
    exit 2
fi

case "${DATABASE_URL:-}" in
postgres://* | postgresql://*)
    log "using the server given by DATABASE_URL"
    exec "$@"
    ;;
esac

find_bindir() {
    local dir
    # Newest major version first.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -rn); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    # Elsewhere (Homebrew, other distributions) the programs are on PATH.
    if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

BINDIR="$(find_bindir || true)"
if [ -z "$BINDIR" ]; then
    "$HERE/debian.sh" postgresql || {
        log "or give a server with DATABASE_URL=postgres://user:password@host:port/name"
        exit 1
    }
    BINDIR="$(find_bindir || true)"
    if [ -z "$BINDIR" ]; then
        log "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql/*/bin"
        exit 1
    fi
fi

# Run a server-side program as the cluster's owner: `postgres` when we are root.
if [ "$(id -u)" -eq 0 ]; then
    as_owner() { runuser -u postgres -- "$@"; }
    OWNER=postgres
else
    as_owner() { "$@"; }
    OWNER="$(id -un)"
fi

# The server is pg_ctl's (it forks): stopped through its data folder, not a pid of ours.
stop_server() {
    if [ -f "$1/data/postmaster.pid" ]; then
        as_owner "$BINDIR/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

remove_stale_runs
make_workdir
chown "$OWNER" "$WORK"

# The site's role is no superuser (a superuser passes every row-level security policy, contract
# §12): it may create databases (pytest-django's test database) and roles (reporting logins).
DB_ADMIN="site_admin"
DB_USER="site"
DB_NAME="site" # the site role's own; pytest-django creates test_site beside it
DB_PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$DB_PASSWORD" >"$WORK/pwfile"
chown "$OWNER" "$WORK/pwfile"

as_owner "$BINDIR/initdb" -D "$WORK/data" -U "$DB_ADMIN" --pwfile="$WORK/pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 || {
    cat "$WORK/initdb.log" >&2
    exit 1
}
rm -f "$WORK/pwfile"

# A throwaway cluster: durability is not wanted, speed is. The Unix socket lives in the folder so
# nothing under /var/run is needed.
started=""
for _attempt in 1 2 3 4 5; do
    PORT="$(free_port)"
    OPTIONS="-h 127.0.0.1 -p $PORT -k $WORK -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if as_owner "$BINDIR/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 -o "$OPTIONS" \
        start >/dev/null; then
        started=1
        break
    fi
done
if [ -z "$started" ]; then
    log "the server did not start; its log:"
    cat "$WORK/server.log" >&2 || true
    exit 1
fi

PGPASSWORD="$DB_PASSWORD" "$BINDIR/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" \
    -U "$DB_ADMIN" -d postgres \
    -c "CREATE ROLE $DB_USER LOGIN CREATEDB CREATEROLE PASSWORD '$DB_PASSWORD'" \
    -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >/dev/null
export DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
# What a command needs to stop and start this server again (tests/deploy restarts it once):
#   [runuser -u $POSTGRES_OWNER --] $POSTGRES_BINDIR/pg_ctl -D $POSTGRES_DATA -m fast -w stop
#   ... pg_ctl -D $POSTGRES_DATA -l $POSTGRES_LOG -w -o "$POSTGRES_OPTIONS" start
# The superuser, for the tests that act as the site owner's DBA (tests/deploy: docs/deploy.md's
# roles). Same password as the site's role; the server listens on 127.0.0.1 only and is removed.
export POSTGRES_ADMIN_URL="postgres://$DB_ADMIN:$DB_PASSWORD@127.0.0.1:$PORT/postgres"
export POSTGRES_BINDIR="$BINDIR" POSTGRES_DATA="$WORK/data" POSTGRES_OWNER="$OWNER"
export POSTGRES_LOG="$WORK/server.log" POSTGRES_OPTIONS="$OPTIONS"
log "PostgreSQL $("$BINDIR/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$PORT ($WORK)"

set +e
"$@"
status=$?
set -e
exit "$status"
