"""Idempotent event handlers: delivery is at least once, effects exactly once.

The handler's service records the event id in its own ``processed_events`` table
in the same transaction as the handler's effect. A redelivered event finds the
id and is skipped; a handler that fails rolls back both, so a retry runs it again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from .db import ServiceSession


def claim_event(db: ServiceSession, event_id: str, handler: str) -> bool:
    """True the first time this handler sees this event (in this transaction)."""
    row = db.execute(_claim_statement(db.processed_events), {"e": event_id, "h": handler}).first()
    return row is not None


@functools.cache
def _claim_statement(table: sa.Table) -> sa.Insert:
    # Made once per service: every event handled runs it.
    return (
        insert(table)
        .values(event_id=sa.bindparam("e"), handler=sa.bindparam("h"))
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )


def idempotent(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``handle_<event>(self, event)``: skip events this handler already applied.

    The handler must commit ``self.db`` itself; the claim is part of that commit.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(self: Any, event: dict[str, Any]) -> Any:
        if not claim_event(self.db, event["id"], name):
            self.db.rollback()
            return None
        return fn(self, event)

    return wrapper
