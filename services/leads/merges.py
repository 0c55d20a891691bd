"""Leads follow a contact or an account that sales merged into another.

A lead keeps the ``contact_id`` and ``account_id`` of the sales records it was
converted into. When sales merges two contacts (or two accounts) it deletes the
merged one and emits ``contact_merged`` (``account_merged``) with ``{kept_id,
merged_id, merged_record, moved}``; the leads that named the merged record then name
the kept one, each with a new version and its own ``lead_updated``. Delivery is at
least once, so the handlers are idempotent (``processed_events``).
"""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler

from services.platform.idempotency import idempotent

from . import store
from .dependencies import LeadsBase


class MergesHandlers(LeadsBase):
    """Handlers of the sales service's merge events."""

    @event_handler("sales", "contact_merged")
    @idempotent
    def handle_contact_merged(self, event: dict[str, Any]) -> int:
        """Leads of the merged contact now name the kept one; how many were relinked."""
        data = event.get("data") or {}
        count = store.relink_leads(
            self.db, "contact_id", data.get("merged_id"), data.get("kept_id"), event.get("actor")
        )
        self.db.commit()  # also records the event as processed (see idempotent)
        return count

    @event_handler("sales", "account_merged")
    @idempotent
    def handle_account_merged(self, event: dict[str, Any]) -> int:
        """Leads of the merged account now name the kept one; how many were relinked."""
        data = event.get("data") or {}
        count = store.relink_leads(
            self.db, "account_id", data.get("merged_id"), data.get("kept_id"), event.get("actor")
        )
        self.db.commit()  # also records the event as processed (see idempotent)
        return count
