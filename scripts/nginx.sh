#!/usr/bin/env bash
# Run one command with Debian's nginx and openssl at hand: scripts/nginx.sh COMMAND [ARGS...]
#
# For the client-certificate tests (accounts/tests/test_certificates.py), which need nginx in
# front of the application: they make a test CA and certificates with openssl and start nginx
# themselves, in a temporary folder, listening on 127.0.0.1 on a free port, proxying to the
# test server that they start; they stop it by its pid. This script installs Debian's `nginx`
# and `openssl` when missing (root only) and runs COMMAND with NGINX_BIN naming the program.
# With NGINX_BIN already set, COMMAND runs as it is.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"

if [ "$#" -eq 0 ]; then
    echo "usage: scripts/nginx.sh COMMAND [ARGS...]" >&2
    exit 2
fi

if [ -z "${NGINX_BIN:-}" ]; then
    if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
        "$HERE/debian.sh" nginx
    fi
    "$HERE/debian.sh" openssl
    NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"
    export NGINX_BIN
    echo "nginx.sh: $("$NGINX_BIN" -v 2>&1)" >&2
fi
exec "$@"
