"""The owning services' record events, kept as the audit trail.

One handler per event of :data:`services.audit.domain.EVENTS`, each ``@idempotent``
(the event id claimed in the same transaction as its entry), made from the table as
analytics makes its own. The entry's key ``(entity, record_id, version, phase)`` also
makes a second event of the same change (a stage change and the action's own event)
record it once.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from nameko.events import event_handler

from services.platform.idempotency import idempotent

from . import domain, store
from .dependencies import AuditBase

log = logging.getLogger(__name__)


def apply_event(
    db: Any, rule: domain.EventRule, event: dict[str, Any], locked: bool = False
) -> None:
    """What one event adds to the trail (no commit). ``locked``: the caller took the
    lock of the record the event carries (:func:`store.claim_and_lock`)."""
    data = event.get("data") or {}
    entity = rule.entity
    if rule.kind == "merge":
        kept = domain.kept_state(rule, data)
        if kept is not None:
            order = domain.order_of(kept, event.get("occurred_at"))
            store.record_entry(
                db, entity=entity, state=kept, order=order, phase=domain.STATE,
                action="updated", event=event,
            )  # fmt: skip
        for record, kept_id in domain.merged_away(rule, data):
            order = domain.order_of(record, event.get("occurred_at"))
            store.record_entry(
                db, entity=entity, state=record, order=order, phase=domain.END,
                action="merged", event=event, changes={"merged_into": [None, kept_id]},
            )  # fmt: skip
        return
    state = domain.state_of(rule, data)
    if state is None:
        log.warning("audit: %s event without a record id; ignored", event.get("type"))
        return
    order = domain.order_of(state, event.get("occurred_at"))
    action = domain.action_of(str(event.get("type") or ""), rule.kind)
    if rule.kind == "delete":
        store.record_entry(
            db, entity=entity, state=state, order=order, phase=domain.END,
            action=action, event=event, changes={}, locked=locked,
        )  # fmt: skip
        return
    store.record_entry(
        db, entity=entity, state=state, order=order, phase=domain.STATE,
        action=action, event=event, locked=locked,
    )  # fmt: skip


def _handler(source: str, event_type: str, rule: domain.EventRule) -> Callable[..., None]:
    def handle(self: AuditBase, event: dict[str, Any]) -> None:
        apply_event(self.db, rule, event)
        self.db.commit()  # also records the event as processed (see idempotent)

    handle.__name__ = f"handle_{source}_{event_type}"
    handle.__qualname__ = f"HandlersMixin.{handle.__name__}"
    claimed = idempotent(handle)
    # The name idempotent claims under, kept: entries already claimed stay claimed.
    name = f"{handle.__module__}.{handle.__qualname__}"

    @functools.wraps(handle)
    def locked_first(self: AuditBase, event: dict[str, Any]) -> None:
        """The usual event (one record): the claim and the record's lock in one
        statement, then the entry and the state above it in another, then the commit."""
        state = domain.state_of(rule, event.get("data") or {}) if rule.kind != "merge" else None
        if state is None:
            claimed(self, event)  # a merge (several records) or nothing to keep
            return
        if not store.claim_and_lock(self.db, event["id"], name, rule.entity, str(state["id"])):
            self.db.rollback()
            return
        apply_event(self.db, rule, event, locked=True)
        self.db.commit()  # also records the event as processed

    return event_handler(source, event_type)(locked_first)


class HandlersMixin(AuditBase):
    """``handle_<source>_<event>`` for every event the trail follows."""


for (_source, _type), _rule in domain.EVENTS.items():
    _method = _handler(_source, _type, _rule)
    setattr(HandlersMixin, _method.__name__, _method)
