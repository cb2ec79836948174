#!/usr/bin/env bash
# Debian's packages for SAML: xmlsec1 (the command pysaml2's test identity provider signs with),
# and libxmlsec1-dev + pkg-config, which pip needs only when it has to build the `xmlsec` Python
# package from source (no wheel for the machine). Installs what is missing; idempotent.
set -euo pipefail
missing=()
command -v xmlsec1 >/dev/null || missing+=(xmlsec1)
command -v pkg-config >/dev/null || missing+=(pkg-config)
dpkg-query -W -f='${Status}' libxmlsec1-dev 2>/dev/null | grep -q "install ok installed" \
  || missing+=(libxmlsec1-dev)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "Installing Debian's ${missing[*]} for SAML..."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
xmlsec1 --version
