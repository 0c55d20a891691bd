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


def idempotent_if(
    needed: Callable[[Any, dict[str, Any]], bool],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """As :func:`idempotent`, for a handler that does nothing for most events.

    ``needed(self, event)`` is asked first (one read in autocommit, say): when it is
    False the event is acknowledged with no claim, no transaction and no commit — an
    event with no effect needs no record that it had none. When True the handler runs
    as under :func:`idempotent`, and decides again inside its transaction.
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        claimed = idempotent(fn)

        @functools.wraps(fn)
        def wrapper(self: Any, event: dict[str, Any]) -> Any:
            if not needed(self, event):
                return None
            return claimed(self, event)

        return wrapper

    return decorate


def claimed_cte(processed_events: sa.Table) -> str:
    """The ``claimed`` common table expression of a statement made for
    :func:`idempotent_alone`: the event's claim, one row when it is new."""
    return (
        f"claimed AS (INSERT INTO {processed_events.fullname} (event_id, handler)"
        " VALUES (:claim_event_id, :claim_handler) ON CONFLICT DO NOTHING RETURNING 1)"
    )


def idempotent_alone(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For a handler whose whole effect is one statement: ``fn(self, event)`` returns
    ``(statement, params)`` (or None: nothing to do). The statement begins ``WITH``
    :func:`claimed_cte` and makes its effect only ``WHERE EXISTS (SELECT 1 FROM
    claimed)``; it runs alone in autocommit, so the claim and the effect commit together
    in one round trip (BEGIN, the claim, the statement and COMMIT are four).
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(self: Any, event: dict[str, Any]) -> None:
        made = fn(self, event)
        if made is None:
            return
        statement, params = made
        self.db.run_alone(
            statement, {**params, "claim_event_id": event["id"], "claim_handler": name}
        )

    return wrapper
