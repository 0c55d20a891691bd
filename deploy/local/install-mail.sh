#!/usr/bin/env bash
# Installs the mail servers the mail integration is tested against (and that `make up`
# may use for a demo mailbox): Debian's Dovecot (IMAP, LMTP) and Postfix (SMTP).
# Idempotent: does nothing when they are installed. Non-interactive: Postfix is
# preseeded as "No configuration". The test suite runs its own unprivileged instances
# on 127.0.0.1 from temporary directories, so the system-wide daemons are left stopped.
set -euo pipefail

PACKAGES=(dovecot-imapd dovecot-lmtpd postfix)

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for package in "${PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "mail servers: $(dovecot --version 2>/dev/null | cut -d' ' -f1) dovecot," \
        "postfix $(dpkg-query -W -f='${Version}' postfix)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
echo "postfix postfix/mailname string localhost" | $SUDO debconf-set-selections
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"

# The packages may start the system-wide daemons; nothing here needs them.
for daemon in dovecot postfix; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now "$daemon" >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
        $SUDO service "$daemon" stop >/dev/null 2>&1 || true
    fi
done
echo "mail servers: $(dovecot --version | cut -d' ' -f1) dovecot," \
    "postfix $(dpkg-query -W -f='${Version}' postfix)"
