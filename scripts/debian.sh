#!/usr/bin/env bash
# Install Debian packages that are missing: scripts/debian.sh PACKAGE...
#
# Does nothing when every package is installed already. Otherwise installs the missing ones
# with apt-get (root only), refreshing the package lists when the first attempt fails (a fresh
# machine may have none). Services that a package would start on installation are left to the
# machine's policy (scripts/slapd.sh and scripts/nginx.sh start their own, in a temporary folder).
set -euo pipefail

log() { echo "debian.sh: $*" >&2; }

missing=()
for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages and this is not root: run"
    log "  sudo apt-get install ${missing[*]}"
    exit 1
fi
log "installing Debian's ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
