"""Reading the trail, and keeping it for the configured period only."""

from __future__ import annotations

import logging
import os
import uuid
from datetime import timedelta
from typing import Any

from nameko.timer import Timer

from services.platform.access import Actor
from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.events import utcnow
from services.platform.fields import failed
from services.platform.rpc import rpc

from . import domain, store
from .dependencies import AuditBase

log = logging.getLogger(__name__)

#: Entries are kept this many days unless ``OSPREY_AUDIT_RETENTION_DAYS`` says otherwise.
RETENTION_DAYS = 730
#: How often the retention runs (seconds), and how many entries one statement deletes.
PRUNE_SECONDS = 3600
PRUNE_BATCH = 1000
MAX_LIMIT = 500
QUERY_KEYS = ("entity", "record_id", "actor_id", "field", "from", "to", "limit", "cursor")


def retention_days(config: dict[str, Any]) -> int:
    raw = config.get("AUDIT_RETENTION_DAYS") or os.environ.get("OSPREY_AUDIT_RETENTION_DAYS")
    try:
        days = int(raw) if raw not in (None, "") else RETENTION_DAYS
    except ValueError:
        log.error("OSPREY_AUDIT_RETENTION_DAYS=%r is not a number of days; keeping 730", raw)
        return RETENTION_DAYS
    return max(days, 1)


def check_query(query: Any) -> dict[str, Any]:
    """The list's filters, checked: ``ValidationFailed`` naming each bad one."""
    if query is None:
        query = {}
    if not isinstance(query, dict):
        raise failed("query", "must be an object of filters")
    errors = [
        {"field": name, "message": "is not a filter of the audit trail"}
        for name in query
        if name not in QUERY_KEYS
    ]
    out: dict[str, Any] = {"limit": 50}
    for name, value in query.items():
        if name not in QUERY_KEYS or value in (None, ""):
            continue
        if name == "entity":
            if value not in domain.ENTITIES:
                errors.append(
                    {"field": name, "message": f"must be one of {', '.join(domain.ENTITIES)}"}
                )
            out[name] = value
        elif name in ("record_id", "actor_id"):
            try:
                out[name] = str(uuid.UUID(str(value)))
            except ValueError:
                errors.append({"field": name, "message": "must be a UUID"})
        elif name == "field":
            if not isinstance(value, str) or len(value) > 100:
                errors.append({"field": name, "message": "must be a field name"})
            out[name] = value
        elif name in ("from", "to"):
            out[name] = domain.parse_time(value)
            if out[name] is None:
                errors.append({"field": name, "message": "must be an ISO 8601 date and time"})
        elif name == "limit":
            try:
                out[name] = int(value)
            except (TypeError, ValueError):
                out[name] = 0
            if not 1 <= out[name] <= MAX_LIMIT:
                errors.append({"field": name, "message": f"must be 1 to {MAX_LIMIT}"})
        elif name == "cursor":
            out[name] = store.decode_cursor(str(value))
            if out[name] is None:
                errors.append({"field": name, "message": "is not a cursor this list gave out"})
    if errors:
        raise ValidationFailed("The audit trail's filters are not valid", errors)
    return out


class EntriesRpc(AuditBase):
    """``list_audit_entries``, ``list_record_audit`` and the retention timer."""

    @rpc(expected_exceptions=EXPECTED)
    def list_audit_entries(self, query: Any, actor: dict[str, Any]) -> dict[str, Any]:
        """A page ``{items, next_cursor}`` of the trail, newest first: ``query`` filters
        by ``entity``, ``record_id``, ``actor_id``, ``field`` (a field among the
        changes), ``from`` / ``to`` (ISO 8601, ``to`` excluded), with ``limit`` (≤ 500,
        default 50) and ``cursor``. Administrators see every entry, others those of
        records they may read (not users' and teams'). Each item is ``{id, entity,
        record_id, version, action, event, actor {id, email} | null, at, source,
        changes {field: [old, new]}, old_known}``. Raises ``ValidationFailed`` naming
        each bad filter, ``Unauthenticated`` without an actor."""
        caller = Actor.from_dict(actor)
        return store.list_entries(self.db, check_query(query), caller)

    @rpc(expected_exceptions=EXPECTED)
    def list_record_audit(
        self, entity: Any, record_id: Any, query: Any, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """One record's trail, as :meth:`list_audit_entries` with its ``entity`` and
        ``record_id``; an empty page for a record the caller may not read."""
        caller = Actor.from_dict(actor)
        checked = check_query({**(query or {}), "entity": entity, "record_id": record_id})
        return store.list_entries(self.db, checked, caller)

    @Timer.decorator(interval=PRUNE_SECONDS)
    def prune_audit_entries(self, days: int | None = None) -> int:
        """Delete entries older than the retention period, in batches; how many went.
        Runs hourly in every replica (a batch that finds nothing ends the run)."""
        keep = days if days is not None else retention_days(self.container_config())
        cutoff = utcnow() - timedelta(days=keep)
        deleted = 0
        while True:
            count = store.prune_before(self.db, cutoff, PRUNE_BATCH)
            self.db.commit()
            deleted += count
            if count < PRUNE_BATCH:
                return deleted

    def container_config(self) -> dict[str, Any]:
        return getattr(getattr(self, "container", None), "config", None) or {}
