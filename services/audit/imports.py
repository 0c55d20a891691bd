"""The leads service's bulk creates (``leads_imported``), kept as the audit trail: one
entry per lead created, as ``lead_created`` would give it (action ``created``, the
lead's state, the fields it set as its changes, the source ``import``), written for the
event's thousand leads in one statement. Its bulk deletes (``leads_deleted``, the
rollback of an import) likewise: one ``deleted`` entry per lead, as ``lead_deleted``
gives it (the last state, no changes), a statement for the event's leads.

The event is claimed with its entries (``@idempotent``); the leads' locks (as
:func:`store.claim_and_lock` takes one) are taken in the order of their ids, so two
events never wait on each other in a circle. A later state of one of these leads that
arrived first (a change made right after the import) has its changes computed again
against the created state, as :func:`store.record_entry` does.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa
from nameko.events import event_handler

from services.platform.idempotency import idempotent

from . import domain, store
from .dependencies import AuditBase
from .models import entries

_LOCK_ALL = sa.text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended('audit:lead:' || x.id, 0)))"
    " FROM (SELECT unnest(CAST(:ids AS text[])) AS id ORDER BY 1) AS x"
)
_NOT_CHANGES = ", ".join(f"'{name}'" for name in sorted(domain.NOT_CHANGES))
#: Each lead's created entry; its changes are the fields it set (``changes_between``
#: of nothing and the state: empty values left out), computed where the state is.
_INSERT_CREATED = sa.text(
    f"""
    INSERT INTO {entries.fullname}
        (id, entity, record_id, version, phase, action, event, event_id, actor_id,
         actor_email, source, at, changes, old_known, state, owner_id, team_id, admin_only)
    SELECT gen_random_uuid(), 'lead', CAST(s.value->>'id' AS uuid),
           COALESCE(CAST(s.value->>'version' AS bigint), 1), {domain.STATE}, 'created',
           :event, :event_id, :actor_id, :actor_email, :source,
           COALESCE(CAST(:at AS timestamptz), now()),
           (SELECT COALESCE(jsonb_object_agg(j.key, jsonb_build_array(NULL, j.value)),
                            '{{}}'::jsonb)
              FROM jsonb_each(s.value) AS j
             WHERE j.key NOT IN ({_NOT_CHANGES})
               AND j.value NOT IN ('null'::jsonb, '""'::jsonb, '[]'::jsonb, '{{}}'::jsonb)),
           true, s.value, CAST(s.value->>'owner_id' AS uuid),
           CAST(s.value->>'team_id' AS uuid), false
    FROM jsonb_array_elements(CAST(:states AS jsonb)) AS s(value)
    ON CONFLICT (entity, record_id, version, phase) DO NOTHING
    """
)
#: Each lead's deleted entry (the end of its trail), as ``lead_deleted`` gives it.
_INSERT_DELETED = sa.text(
    f"""
    INSERT INTO {entries.fullname}
        (id, entity, record_id, version, phase, action, event, event_id, actor_id,
         actor_email, source, at, changes, old_known, state, owner_id, team_id, admin_only)
    SELECT gen_random_uuid(), 'lead', CAST(s.value->>'id' AS uuid),
           COALESCE(CAST(s.value->>'version' AS bigint), 1), {domain.END}, 'deleted',
           :event, :event_id, :actor_id, :actor_email, :source,
           COALESCE(CAST(:at AS timestamptz), now()), '{{}}'::jsonb, true, s.value,
           CAST(s.value->>'owner_id' AS uuid), CAST(s.value->>'team_id' AS uuid), false
    FROM jsonb_array_elements(CAST(:states AS jsonb)) AS s(value)
    ON CONFLICT (entity, record_id, version, phase) DO NOTHING
    """
)
#: The leads of the event that already have a later state, kept before this one.
_ABOVE = sa.text(
    f"""
    SELECT DISTINCT ON (record_id) record_id, version, action, state, changes
    FROM {entries.fullname}
    WHERE entity = 'lead' AND phase = {domain.STATE} AND version > 1
      AND record_id = ANY(CAST(:ids AS uuid[]))
    ORDER BY record_id, version
    """
)


def imported_states(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The leads a ``leads_imported`` event carries, each whole (``defaults`` overlaid
    with its entry), without what an event adds to a record."""
    defaults = data.get("defaults") or {}
    states = []
    for lead in data.get("leads") or []:
        state = {**defaults, **lead}
        if state.get("id"):
            states.append({k: v for k, v in state.items() if k not in domain.EVENT_EXTRAS})
    return states


def _params(event: dict[str, Any], states: list[dict[str, Any]]) -> dict[str, Any]:
    actor = event.get("actor") or {}
    return {
        "states": orjson.dumps(states).decode(),
        "event": event.get("type") or "",
        "event_id": str(event.get("id") or ""),
        "actor_id": actor.get("id"),
        "actor_email": actor.get("email"),
        "source": domain.source_of(event.get("actor")),
        "at": domain.parse_time(event.get("occurred_at")),
    }


def record_imported(db: Any, event: dict[str, Any]) -> int:
    """The created entries of the event's leads (no commit); how many leads it carried."""
    states = imported_states(event.get("data") or {})
    if not states:
        return 0
    ids = [str(state["id"]) for state in states]
    db.execute(_LOCK_ALL, {"ids": ids})
    db.execute(_INSERT_CREATED, _params(event, states))
    by_id = {str(state["id"]): state for state in states}
    for above in db.execute(_ABOVE, {"ids": ids}).all():
        if above.action != "created":
            record_id = str(above.record_id)
            store._recompute_above(db, "lead", record_id, by_id[record_id], above)
    return len(states)


def record_deleted(db: Any, event: dict[str, Any]) -> int:
    """The deleted entries of a ``leads_deleted`` event's leads (no commit); how many."""
    states = imported_states(event.get("data") or {})
    if states:
        db.execute(_LOCK_ALL, {"ids": [str(state["id"]) for state in states]})
        db.execute(_INSERT_DELETED, _params(event, states))
    return len(states)


class ImportsHandlers(AuditBase):
    """``leads_imported`` and ``leads_deleted``: every lead of a bulk create or delete
    in the trail."""

    @event_handler("leads", "leads_deleted")
    @idempotent
    def handle_leads_leads_deleted(self, event: dict[str, Any]) -> None:
        record_deleted(self.db, event)
        self.db.commit()  # also records the event as processed (see idempotent)

    @event_handler("leads", "leads_imported")
    @idempotent
    def handle_leads_leads_imported(self, event: dict[str, Any]) -> None:
        record_imported(self.db, event)
        self.db.commit()  # also records the event as processed (see idempotent)
