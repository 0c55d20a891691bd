"""What sales keeps pointing at leads: activities about a lead, deals made from one.

When leads are merged (``leads_merged`` from the leads service), the merged leads'
activities and deals move to the kept lead, so nothing is left pointing at a lead
that no longer exists.
"""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler

from services.platform.idempotency import idempotent

from . import activities_store, domain, email_activities_store, opportunities_store
from .dependencies import SalesBase


class LeadLinksHandlers(SalesBase):
    """Event handlers that follow the leads service's merges."""

    @event_handler("leads", "leads_merged")
    @idempotent
    def handle_leads_merged(self, event: dict[str, Any]) -> None:
        """Move activities (``related`` lead, emails' links) and deals to the kept lead.

        Moved in bulk in one transaction with the event's claim; ``leads_merged`` is
        the fact consumers see, no per-record events follow.
        """
        data = event.get("data") or {}
        kept_id = data.get("id")
        merged_ids = [i for i in data.get("merged_ids") or [] if domain.is_uuid(i)]
        if domain.is_uuid(kept_id) and merged_ids:
            activities_store.move_lead_activities(self.db, kept_id, merged_ids)
            email_activities_store.move_links(self.db, "lead", kept_id, merged_ids)
            opportunities_store.move_lead_deals(self.db, kept_id, merged_ids)
        self.db.commit()
