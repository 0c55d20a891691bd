"""The mail service: IMAP mailboxes synced into the CRM, mail sent through SMTP, and
every message linked to the records it is about (DESIGN.md §6).

Composes the parts (mailboxes, emails, rules and templates) and nothing else. The parts
sit on :class:`.dependencies.MailBase`, which declares the providers only; the
background sync is the provider :class:`.dependencies.SyncRunner` running the steps of
:mod:`.runner`; the rules are in :mod:`.domain` and :mod:`.parsing`, SQL in
:mod:`.store`, servers behind :mod:`.dependencies`.
"""

from __future__ import annotations

from .emails import EmailsRpc
from .exports import ExportsRpc
from .external import ExternalMailRpc
from .mailboxes import MailboxesRpc
from .rules import RulesRpc


class MailService(MailboxesRpc, EmailsRpc, RulesRpc, ExportsRpc, ExternalMailRpc):
    """Every part's entrypoints, in one service."""

    name = "mail"
