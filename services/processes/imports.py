"""The leads service's bulk creates (``leads_imported``) start what ``lead_created``
starts: each lead of the event is handled as its own ``lead_created`` would be (a
deployed start bound to ``lead_created`` whose condition holds starts an instance about
it). Nearly always nothing listens: one read in autocommit tells, and the event is
acknowledged with no claim and no transaction (``idempotent_if``). Otherwise the
event's leads are handled in one transaction with the event's claim.
"""

from __future__ import annotations

from typing import Any

from nameko.events import event_handler

from services.platform.idempotency import idempotent_if

from . import calls, store
from .handlers import HandlersMixin

#: what each lead of the event is to the starts
AS_EVENT = "lead_created"


def imported_leads(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's leads, each whole (``defaults`` overlaid with its entry)."""
    defaults = data.get("defaults") or {}
    return [{**defaults, **lead} for lead in data.get("leads") or [] if lead.get("id")]


def _listened(self: Any, event: dict[str, Any]) -> bool:
    """Whether a deployed start is bound to ``lead_created`` (a new lead has no
    instance waiting for it)."""
    return store.anything_listens(self.db, [AS_EVENT], None, None)


class ImportsHandlers(HandlersMixin):
    """``leads_imported``."""

    @event_handler("leads", "leads_imported")
    @idempotent_if(_listened)
    def handle_leads_imported(self, event: dict[str, Any]) -> None:
        keys: list[str] = []
        for lead in imported_leads(event.get("data") or {}):
            one = {
                "id": f"{event['id']}:{lead['id']}",
                "type": AS_EVENT,
                "occurred_at": event.get("occurred_at"),
                "actor": event.get("actor"),
                "source": event.get("source"),
                "data": lead,
            }
            keys += self._on_record_event(one)
        self.db.commit()  # also records the event as processed (see idempotent)
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)
