"""The owning services' record events, kept as read models.

One handler per event of :data:`services.analytics.domain.EVENTS`, made from the table
rather than written out one by one: what an event does is in the table. An ``upsert``
event's whole effect is one statement that is safe to repeat (the version guards the
record), run alone in autocommit; every other handler is ``@idempotent`` (the event id
claimed in the same transaction as its effect).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from nameko.events import event_handler

from services.platform.idempotency import idempotent

from . import domain, facts_store
from .dependencies import AnalyticsBase

log = logging.getLogger(__name__)


def apply_event(db: Any, rule: domain.EventRule, data: dict[str, Any]) -> None:
    """What one event does to the read models (no commit)."""
    entity = rule.entity
    if rule.action == "patch":
        patch = domain.patch_of(rule, data)
        if patch is not None:
            facts_store.patch(db, entity, patch)
        return
    if rule.action == "merge":
        record = domain.record_of(domain.EventRule(entity, "upsert"), data)
        if record is not None:
            facts_store.upsert(db, entity, record)
        last = {str(r["id"]): r for r in data.get("merged_records") or [] if r.get("id")}
        if data.get("merged_record", {}).get("id"):
            last[str(data["merged_record"]["id"])] = data["merged_record"]
        facts_store.tombstone_ids(db, entity, domain.merged_ids(data), last)
        return
    if rule.action == "stage":
        change = domain.stage_change(entity, data)
        record = domain.record_of(rule, data)
        if record is not None:
            facts_store.upsert(db, entity, record)
        if change is not None:
            record_id, from_stage, to_stage, at = change
            facts_store.move(
                db,
                entity,
                record_id,
                from_stage,
                to_stage,
                at,
                created_at=(record or {}).get("created_at"),
            )
        return
    record = domain.record_of(rule, data)
    if record is None:
        log.warning("analytics: %s event without a record id; ignored", entity)
        return
    if rule.action == "delete":
        facts_store.tombstone(db, entity, record)
        return
    facts_store.upsert(db, entity, record)
    first = domain.first_stage(entity, record)
    if first is not None:
        facts_store.first_stay(db, entity, str(record["id"]), first[0], first[1])


def _handler(source: str, event_type: str, rule: domain.EventRule) -> Callable[..., None]:
    if rule.action == "upsert":
        # The record's new state (and a new record's first stay): one statement, safe to
        # repeat, run alone in autocommit — no claim, no transaction (the busiest events:
        # every create and change of a lead, a deal, an order...).
        def handle(self: AnalyticsBase, event: dict[str, Any]) -> None:
            record = domain.record_of(rule, event.get("data") or {})
            if record is None:
                log.warning("analytics: %s event without a record id; ignored", rule.entity)
                return
            facts_store.upsert_alone(self.db, rule.entity, record)

    else:

        def handle(self: AnalyticsBase, event: dict[str, Any]) -> None:
            apply_event(self.db, rule, event.get("data") or {})
            self.db.commit()  # also records the event as processed (see idempotent)

    handle.__name__ = f"handle_{source}_{event_type}"
    handle.__qualname__ = f"HandlersMixin.{handle.__name__}"
    wrapped = handle if rule.action == "upsert" else idempotent(handle)
    return event_handler(source, event_type)(wrapped)


class HandlersMixin(AnalyticsBase):
    """``handle_<source>_<event>`` for every event the read models follow."""


for (_source, _type), _rule in domain.EVENTS.items():
    _method = _handler(_source, _type, _rule)
    setattr(HandlersMixin, _method.__name__, _method)
