#!/usr/bin/env bash
# Run one command beside a throwaway OpenLDAP server: scripts/slapd.sh COMMAND [ARGS...]
#
# For the LDAP tests (accounts/tests/test_ldap.py). With LDAP_TEST_URL set, the command runs
# against that server as it is. Otherwise this script:
#   1. installs Debian's `slapd`, `ldap-utils` and `openssl` when missing (root only);
#   2. makes a fresh temporary folder with an empty directory (suffix dc=example,dc=com, a root
#      DN with a random password) and a test CA and server certificate made by openssl, so that
#      StartTLS can be tested;
#   3. starts slapd there, listening on 127.0.0.1 only, on a free port;
#   4. runs COMMAND with LDAP_TEST_URL, LDAP_TEST_SUFFIX, LDAP_TEST_ROOT_DN,
#      LDAP_TEST_ROOT_PASSWORD and LDAP_TEST_CA_FILE exported (the tests seed their own users);
#   5. stops the server by its pid and removes the folder on any exit (trap), and exits with
#      COMMAND's status.
# Folders left by a run that was killed outright (SIGKILL) are cleaned up by the next run.
set -euo pipefail

PREFIX="site-slapd"
TMPROOT="${TMPDIR:-/tmp}"
HERE="$(cd "$(dirname "$0")" && pwd)"

log() { echo "slapd.sh: $*" >&2; }
# shellcheck source=scripts/throwaway.sh
. "$HERE/throwaway.sh"

if [ "$#" -eq 0 ]; then
    echo "usage: scripts/slapd.sh COMMAND [ARGS...]" >&2
    exit 2
fi

if [ -n "${LDAP_TEST_URL:-}" ]; then
    log "using the server given by LDAP_TEST_URL"
    exec "$@"
fi

"$HERE/debian.sh" slapd ldap-utils openssl
SLAPD="$(command -v slapd || echo /usr/sbin/slapd)"
[ -x "$SLAPD" ] || { log "no slapd program found after installing slapd"; exit 1; }

remove_stale_runs
make_workdir

# A test CA and a server certificate for 127.0.0.1, for StartTLS.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=site test LDAP CA" \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$WORK/server.ext"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
    -CAcreateserial -days 2 -extfile "$WORK/server.ext" -out "$WORK/server.pem" 2>/dev/null

SUFFIX="dc=example,dc=com"
ROOT_DN="cn=admin,$SUFFIX"
ROOT_PASSWORD="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
mkdir "$WORK/db"
cat >"$WORK/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
argsfile $WORK/slapd.args
TLSCACertificateFile $WORK/ca.pem
TLSCertificateFile $WORK/server.pem
TLSCertificateKeyFile $WORK/server.key
database mdb
maxsize 10485760
suffix "$SUFFIX"
rootdn "$ROOT_DN"
rootpw $ROOT_PASSWORD
directory $WORK/db
CONF

run_slapd() {
    # -d 0: stay in the foreground (so the pid is the server's), printing nothing.
    exec "$SLAPD" -f "$WORK/slapd.conf" -h "ldap://127.0.0.1:$PORT/" -d 0 >"$WORK/server.log" 2>&1
}
slapd_answers() { ldapsearch -x -H "ldap://127.0.0.1:$PORT/" -b "" -s base >/dev/null 2>&1; }
start_server run_slapd slapd_answers

# The suffix's entry, so that the tests can add under it.
ldapadd -x -H "ldap://127.0.0.1:$PORT/" -D "$ROOT_DN" -w "$ROOT_PASSWORD" >/dev/null <<LDIF
dn: $SUFFIX
objectClass: dcObject
objectClass: organization
o: Example
dc: example
LDIF

export LDAP_TEST_URL="ldap://127.0.0.1:$PORT"
export LDAP_TEST_SUFFIX="$SUFFIX" LDAP_TEST_ROOT_DN="$ROOT_DN"
export LDAP_TEST_ROOT_PASSWORD="$ROOT_PASSWORD" LDAP_TEST_CA_FILE="$WORK/ca.pem"
log "OpenLDAP $("$SLAPD" -VV 2>&1 | awk '/slapd/ {print $4; exit}') on 127.0.0.1:$PORT ($WORK)"

set +e
"$@"
status=$?
set -e
exit "$status"
