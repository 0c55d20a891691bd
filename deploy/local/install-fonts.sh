#!/usr/bin/env bash
# Installs the font the printable invoices embed (Debian's fonts-dejavu-core: DejaVu Sans,
# which covers Latin, Cyrillic and Greek; services/orders/pdf.py). Idempotent: does
# nothing when the font is already there (or OSPREY_PDF_FONT_DIR points at one).
set -euo pipefail

for dir in "${OSPREY_PDF_FONT_DIR:-}" /usr/share/fonts/truetype/dejavu; do
    if [ -n "$dir" ] && [ -f "$dir/DejaVuSans.ttf" ] && [ -f "$dir/DejaVuSans-Bold.ttf" ]; then
        echo "fonts: $dir"
        exit 0
    fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends fonts-dejavu-core
echo "fonts: /usr/share/fonts/truetype/dejavu"
