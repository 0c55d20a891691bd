"""Paged exports of a service's records, as its events carry them.

A read model elsewhere (analytics) is rebuilt from scratch by paging through each
owning service's ``export_records``: the records in id order, ``after`` the last id of
the previous page, each dumped by the same function that makes the service's events,
so a rebuilt model equals the one kept from events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from .access import Actor
from .errors import ValidationFailed
from .values import is_uuid

#: the largest page an export answers
MAX_PAGE = 1000


def export_page(
    db: Any,
    model: Any,
    dump: Callable[[Any], dict[str, Any]],
    *,
    after: str | None,
    limit: int,
    where: Sequence[Any] = (),
    options: Sequence[Any] = (),
) -> dict[str, Any]:
    """``{items, next_after}``: up to ``limit`` records of ``model`` (an ORM class with
    an ``id``) after the id ``after``; ``next_after`` None on the last page."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(
            "Bad page size", [{"field": "limit", "message": f"must be 1..{MAX_PAGE}"}]
        )
    statement = sa.select(model).where(*where).order_by(model.id).limit(limit).options(*options)
    if after is not None:
        if not is_uuid(after):
            raise ValidationFailed("Bad cursor", [{"field": "after", "message": "must be an id"}])
        statement = statement.where(model.id > after)
    rows = db.execute(statement).scalars().all()
    items = [dump(row) for row in rows]
    db.rollback()
    return {"items": items, "next_after": str(rows[-1].id) if len(rows) == limit else None}


def check_exporter(actor: dict[str, Any]) -> None:
    """Exports hold every record: administrators and the system only."""
    Actor.from_dict(actor).require_admin()


def unknown_entity(entity: Any, known: Sequence[str]) -> ValidationFailed:
    return ValidationFailed(
        "Unknown entity",
        [{"field": "entity", "message": f"must be one of {', '.join(known)}"}],
    )
