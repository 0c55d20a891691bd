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

import sqlalchemy as sa
from nameko.events import event_handler

from services.platform.events import utcnow
from services.platform.idempotency import idempotent

from .base import LeadsBase
from .models import Lead
from .schemas import dump_lead


class MergesHandlers(LeadsBase):
    """Handlers of the sales service's merge events."""

    @event_handler("sales", "contact_merged")
    @idempotent
    def handle_contact_merged(self, event: dict[str, Any]) -> int:
        """Leads of the merged contact now name the kept one; how many were relinked."""
        return self._follow_merge(event, "contact_id")

    @event_handler("sales", "account_merged")
    @idempotent
    def handle_account_merged(self, event: dict[str, Any]) -> int:
        """Leads of the merged account now name the kept one; how many were relinked."""
        return self._follow_merge(event, "account_id")

    def _follow_merge(self, event: dict[str, Any], field: str) -> int:
        data = event.get("data") or {}
        kept_id, merged_id = data.get("kept_id"), data.get("merged_id")
        column = getattr(Lead, field)
        leads = []
        if kept_id and merged_id:
            leads = list(
                self.db.execute(
                    sa.select(Lead).where(column == merged_id).order_by(Lead.id).with_for_update()
                ).scalars()
            )
        now = utcnow()
        for lead in leads:
            setattr(lead, field, kept_id)
            lead.version = lead.version + 1
            lead.updated_at = now
            self.db.flush()
            self.db.emit(
                "lead_updated",
                {**dump_lead(lead), "changed_fields": [field]},
                actor=event.get("actor"),
            )
        self.db.commit()  # also records the event as processed (see idempotent)
        return len(leads)
