"""What the leads unit tests hand the RPC classes: callers, records, and a session whose
answers the test decides.

``worker_factory`` replaces each dependency provider with a mock (Nameko's unit-test
level); :func:`answer` teaches the mocked session what each statement returns, so the
real store functions run against it and a test can read what they executed, emitted
and committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from services.leads.domain import FIELD_NAMES

TEAM_A = "0190e1a4-1d2b-7c3d-8e4f-00000000a000"
TEAM_B = "0190e1a4-1d2b-7c3d-8e4f-00000000b000"
REP = {"id": "0190e1a4-1d2b-7c3d-8e4f-0000000000a1", "roles": ["sales_rep"], "team_id": TEAM_A}
REP_B = {"id": "0190e1a4-1d2b-7c3d-8e4f-0000000000b1", "roles": ["sales_rep"], "team_id": TEAM_B}
MANAGER = {
    "id": "0190e1a4-1d2b-7c3d-8e4f-0000000000a2",
    "roles": ["sales_manager"],
    "team_id": TEAM_A,
}
ADMIN = {"id": "0190e1a4-1d2b-7c3d-8e4f-0000000000c1", "roles": ["admin"], "team_id": None}
LEAD_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000d1"
OTHER_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000d2"
RULE_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000e1"
CONTACT_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000f1"
ACCOUNT_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000f2"
WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def lead(**fields: Any) -> SimpleNamespace:
    """A stored lead as the store loads it (every field; a rep's lead by default)."""
    return SimpleNamespace(
        **{
            **dict.fromkeys(FIELD_NAMES),
            "id": LEAD_ID,
            "contact_name": "Ann Lee",
            "stage": "qualification",
            "owner_id": REP["id"],
            "team_id": TEAM_A,
            "score_reasons": [],
            "version": 3,
            "created_at": WHEN,
            "updated_at": WHEN,
            "created_by": REP["id"],
            **fields,
        }
    )


class Result:
    """What ``db.execute`` returns: one object (``scalar_one_or_none``) or rows."""

    def __init__(self, one: Any = None, rows: Iterable[Any] = (), rowcount: int = 0) -> None:
        self.one = one
        self.rows = list(rows)
        self.rowcount = rowcount

    def scalar_one_or_none(self) -> Any:
        return self.one

    def scalar_one(self) -> Any:
        return self.one

    def scalar(self) -> Any:
        return self.one

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def all(self) -> list[Any]:
        return self.rows

    def scalars(self) -> Result:
        return self

    def __iter__(self) -> Any:
        return iter(self.rows)


Match = Callable[[Any], bool]


def answer(db: Any, *answers: tuple[Any, Result]) -> list[Any]:
    """Make ``db.execute(statement, ...)`` return the result paired with the first match:
    a statement object (the same one), a string found in the statement's SQL, or a
    predicate. Anything else gets an empty result. Returns the statements executed."""
    executed: list[Any] = []

    def execute(statement: Any, *args: Any, **kwargs: Any) -> Result:
        executed.append(statement)
        for match, result in answers:
            if match is statement:
                return result
            if isinstance(match, str) and match in str(statement):
                return result
            if callable(match) and not isinstance(match, str) and match(statement):
                return result
        return Result()

    db.execute.side_effect = execute
    db.info = {}
    return executed


def emitted(db: Any) -> list[str]:
    """The event types the worker wrote into the outbox, in order."""
    return [call.args[0] for call in db.emit.call_args_list]


def event(db: Any, event_type: str) -> dict[str, Any]:
    """The data of the one event of this type the worker emitted."""
    found = [call.args[1] for call in db.emit.call_args_list if call.args[0] == event_type]
    assert len(found) == 1, f"{event_type} emitted {len(found)} times"
    return found[0]


def scoring_rule_row(**fields: Any) -> SimpleNamespace:
    """An active scoring rule as its table holds it."""
    return SimpleNamespace(
        **{
            "id": RULE_ID,
            "name": "Has an email",
            "field": "email",
            "operator": "is_set",
            "value": None,
            "points": 30,
            "is_active": True,
            "version": 1,
            "created_at": WHEN,
            "updated_at": WHEN,
            **fields,
        }
    )
