#!/usr/bin/env bash
# Installs the headless browser the web tests drive (Debian's chromium package).
# Idempotent: does nothing when chromium is already on the PATH.
# Playwright drives this browser; never run `playwright install` (it downloads its own).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
    echo "chromium: $(command -v chromium)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
echo "chromium: $(command -v chromium)"
