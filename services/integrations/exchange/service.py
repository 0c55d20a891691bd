"""The Exchange service: Exchange mailboxes connected over EWS (exchangelib), their mail
into the mail service's pipeline, their contacts, calendar and tasks both ways with the
CRM's contacts and activities (DESIGN.md §6, docs/integrations.md).

Composes the parts and the background sync, nothing else: connections in
:mod:`.connections`, a sync's steps in :mod:`.sync`, :mod:`.contacts_sync` and
:mod:`.calendar_sync`, the rules in :mod:`.domain`, exchangelib behind
:mod:`.dependencies` and :mod:`.items`, SQL in :mod:`.store`.
"""

from __future__ import annotations

import logging
from typing import Any

from eventlet.greenpool import GreenPool
from nameko.events import event_handler
from nameko.timer import timer

from services.integrations.sync import leases
from services.platform.idempotency import idempotent

from . import store
from .connections import ConnectionsRpc
from .models import connections
from .runner import holder_name, run_sync

log = logging.getLogger(__name__)


class ExchangeService(ConnectionsRpc):
    """Every part's entrypoints, in one service."""

    name = "exchange"

    @timer(interval=2)
    def sync_due_connections(self) -> int:
        """The background sync (every instance, unless ``EXCHANGE_SYNC`` is off): lease
        the due connections (``FOR UPDATE SKIP LOCKED``; instances share them) and sync
        up to ``EXCHANGE_CONCURRENCY`` at once, each in a green thread and a session of
        its own. Returns how many were synced."""
        settings = self.exchange_settings
        if not settings.runner:
            return 0
        holder = holder_name()
        with self.sessions() as db:
            claimed = leases.claim_due(
                db,
                connections,
                holder,
                lease_seconds=settings.lease_seconds,
                limit=settings.concurrency,
            )
            db.commit()
        if not claimed:
            return 0
        remote = self.remote()

        def one(connection_id: str) -> None:
            with self.sessions() as db:
                run_sync(db, self.exchange, self.secrets, settings, remote, connection_id, holder)

        pool = GreenPool(settings.concurrency)
        for connection_id in claimed:
            pool.spawn_n(one, connection_id)
        pool.waitall()
        return len(claimed)

    @event_handler("sales", "contact_deleted")
    @idempotent
    def handle_contact_deleted(self, event: dict[str, Any]) -> None:
        """A contact deleted in the CRM: its links wait for their connections' next sync
        (deleted in Exchange too, or left unlinked, as each connection chose)."""
        store.mark_crm_deleted(self.db, event["data"]["id"])
        self.db.commit()

    @event_handler("sales", "activity_deleted")
    @idempotent
    def handle_activity_deleted(self, event: dict[str, Any]) -> None:
        """A meeting or task deleted in the CRM: as for contacts."""
        store.mark_crm_deleted(self.db, event["data"]["id"])
        self.db.commit()
