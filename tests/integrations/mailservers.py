"""The private Dovecot and Postfix the mail tests and the benchmark run: they live in
:mod:`osprey.mailserver`, which ``make up`` uses for its demo mailbox too."""

from osprey.mailserver import (
    DOVEADM,
    DOVECOT,
    POSTFIX,
    Dovecot,
    MailServerMissing,
    Postfix,
    free_port,
    mail_servers,
    wait_for_port,
)

__all__ = [
    "DOVEADM",
    "DOVECOT",
    "POSTFIX",
    "Dovecot",
    "MailServerMissing",
    "Postfix",
    "free_port",
    "mail_servers",
    "wait_for_port",
]
