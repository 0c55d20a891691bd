"""The google service: Google accounts connected through OAuth 2.0, their contacts
(People), calendars (Calendar) and mail (Gmail) synced with Osprey (DESIGN.md §6).

Composes the connections part, the background sync (a timer that leases due
connections; several instances share them through the sync library's leases) and the
handlers that note records deleted in Osprey. The rules are in :mod:`.domain`, SQL in
:mod:`.store`, Google behind :mod:`.dependencies`, the steps of a sync in
:mod:`.contacts_sync`, :mod:`.calendar_sync` and :mod:`.gmail_sync`.
"""

from __future__ import annotations

import logging
from typing import Any

from eventlet.greenpool import GreenPool
from nameko.events import event_handler
from nameko.timer import timer

from services.platform.idempotency import idempotent

from . import store
from .connections import ConnectionsRpc
from .runner import claim_due, holder_name, run_sync

log = logging.getLogger(__name__)


class GoogleService(ConnectionsRpc):
    """Every part's entrypoints, in one service."""

    name = "google"

    @timer(interval=2)
    def sync_due_google_connections(self) -> int:
        """Lease the due connections (config ``GOOGLE_SYNC`` off: none) and sync them,
        each in a green thread of its own, so a slow account holds up none of those
        claimed with it; this instance claims again when they are done (the timer
        waits for its worker) and other instances take the rest meanwhile."""
        config = self.google_settings
        if not config.runner or not config.configured:
            return 0
        holder = holder_name()
        ids = claim_due(self.db, holder, config, config.concurrency)
        if not ids:
            return 0
        rpc = {"sales": self.sales_rpc, "mail": self.mail_rpc, "identity": self.identity_rpc}
        pool = GreenPool(config.concurrency)
        for connection_id in ids:
            pool.spawn_n(self._sync_one, connection_id, holder, rpc)
        pool.waitall()
        return len(ids)

    def _sync_one(self, connection_id: str, holder: str, rpc: dict[str, Any]) -> None:
        # a session of its own per green thread (the worker's is not to be shared),
        # of the same class: it writes events to this service's outbox
        with type(self.db)(bind=self.db.get_bind(), expire_on_commit=False) as db:
            try:
                run_sync(
                    db, self.google, self.secrets, self.google_settings, connection_id, holder, rpc
                )
            except Exception:  # noqa: BLE001 - one account's bug never stops the others
                log.exception("google connection %s: sync crashed", connection_id)

    @event_handler("sales", "contact_deleted")
    @idempotent
    def handle_contact_deleted(self, event: dict[str, Any]) -> None:
        store.mark_crm_deleted(self.db, "contact", event["data"]["id"])
        self.db.commit()

    @event_handler("sales", "activity_deleted")
    @idempotent
    def handle_activity_deleted(self, event: dict[str, Any]) -> None:
        store.mark_crm_deleted(self.db, "event", event["data"]["id"])
        self.db.commit()
