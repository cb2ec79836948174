#!/usr/bin/env bash
# Debian's Chromium for the end-to-end tests; Playwright never downloads a browser here.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
echo "Installing Debian's chromium for the end-to-end tests..."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
