"""The mail service: IMAP mailboxes synced into the CRM, mail sent through SMTP, and
every message linked to the records it is about (DESIGN.md §6).

Composes the parts (mailboxes, emails, rules and templates) and nothing else; the
background sync is :class:`.runner.SyncRunner`, the rules are in :mod:`.domain` and
:mod:`.parsing`, SQL in :mod:`.store`, servers behind :mod:`.dependencies`.
"""

from __future__ import annotations

from nameko.rpc import RpcProxy

from services.platform.db import Database

from .dependencies import MailConfig, MailServers, Secrets
from .emails import EmailsRpc
from .mailboxes import MailboxesRpc
from .models import metadata
from .rules import RulesRpc
from .runner import SyncRunner


class MailService(MailboxesRpc, EmailsRpc, RulesRpc):
    name = "mail"

    db = Database(metadata)
    mail_settings = MailConfig()
    secrets = Secrets()
    servers = MailServers()
    runner = SyncRunner()
    sales_rpc = RpcProxy("sales")
    leads_rpc = RpcProxy("leads")
    orders_rpc = RpcProxy("orders")
    identity_rpc = RpcProxy("identity")
