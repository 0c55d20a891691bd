#!/usr/bin/env bash
# Installs LibreOffice Calc without a display (Debian's libreoffice-calc-nogui) and its
# Python bridge (python3-uno): the import tests save their spreadsheets with it as users'
# programs do (`soffice --headless --convert-to`, and "save with password" through UNO).
# Idempotent: does nothing when both are there.
set -euo pipefail

if command -v soffice >/dev/null 2>&1 && /usr/bin/python3 -c "import uno" >/dev/null 2>&1; then
    echo "libreoffice: $(command -v soffice)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends \
    libreoffice-calc-nogui python3-uno
echo "libreoffice: $(command -v soffice)"
