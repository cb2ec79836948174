#!/usr/bin/env bash
# Debian's packages for SAML: xmlsec1, the command the tests' identity provider (pysaml2) signs
# with, and libxmlsec1-dev + pkg-config, which pip needs only when it must build the `xmlsec`
# Python package from source (no wheel for the machine). Run by `make install`; the SAML tests
# run it themselves when xmlsec1 is missing. Installs only what is missing (scripts/debian.sh).
set -euo pipefail
exec "$(dirname "$0")/debian.sh" xmlsec1 libxmlsec1-dev pkg-config
