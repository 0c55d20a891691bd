"""The leads service's bulk creates (``leads_imported``) start what ``lead_created``
starts: each lead of the event is handled as its own ``lead_created`` would be (a
deployed start bound to ``lead_created`` whose condition holds starts an instance about
it). Nearly always nothing listens: one read in autocommit tells, and the event is
acknowledged with no claim and no transaction (``idempotent_if``). Otherwise the
event's leads are handled in one transaction with the event's claim.

Its bulk deletes (``leads_deleted``, the rollback of an import) end what is left about
those leads: each open instance about one of them is cancelled (its waiting tasks and
their activities too) with the reason "the lead was deleted". Nearly always there is
none: one read in autocommit tells, and the event is acknowledged with no claim.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from nameko.events import event_handler

from services.platform.idempotency import idempotent_if

from . import calls, domain, steps, store
from .handlers import HandlersMixin
from .models import instances

#: what each lead of the event is to the starts
AS_EVENT = "lead_created"
#: why the instances about a deleted lead end
DELETED_REASON = "the lead was deleted"

_OPEN_ABOUT = sa.text(
    f"SELECT id FROM {instances.fullname} WHERE record_type = 'lead'"
    " AND record_id = ANY(CAST(:ids AS text[])) AND status = ANY(CAST(:open AS text[]))"
    " ORDER BY id"
)


def _open_about(db: Any, event: dict[str, Any], *, read: bool) -> list[str]:
    """The open instances about the event's leads (``read``: in autocommit)."""
    params = {
        "ids": [str(lead["id"]) for lead in imported_leads(event.get("data") or {})],
        "open": list(domain.OPEN_STATUSES),
    }
    if not params["ids"]:
        return []
    rows = db.read(_OPEN_ABOUT, params) if read else db.execute(_OPEN_ABOUT, params).all()
    return [str(row.id) for row in rows]


def imported_leads(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's leads, each whole (``defaults`` overlaid with its entry)."""
    defaults = data.get("defaults") or {}
    return [{**defaults, **lead} for lead in data.get("leads") or [] if lead.get("id")]


def _listened(self: Any, event: dict[str, Any]) -> bool:
    """Whether a deployed start is bound to ``lead_created`` (a new lead has no
    instance waiting for it)."""
    return store.anything_listens(self.db, [AS_EVENT], None, None)


def _any_open(self: Any, event: dict[str, Any]) -> bool:
    return bool(_open_about(self.db, event, read=True))


class ImportsHandlers(HandlersMixin):
    """``leads_imported`` and ``leads_deleted``."""

    @event_handler("leads", "leads_deleted")
    @idempotent_if(_any_open)
    def handle_leads_deleted(self, event: dict[str, Any]) -> None:
        keys: list[str] = []
        for instance_id in _open_about(self.db, event, read=False):
            keys += steps.cancel_instance(
                self.db, self.engine, instance_id, event.get("actor"), DELETED_REASON
            )
        self.db.commit()  # also records the event as processed (see idempotent)
        calls.dispatch(self.db, self.engine, calls.outbound_of(self), keys)

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
