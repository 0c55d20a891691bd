"""The lookups' reads and writes (lead sources, channels, disqualification reasons).

Every function takes the session ``db`` first and none commits. A kind with no rows at
all gets its defaults back when it is read, so every installation offers choices.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError

from services.platform import records
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import domain
from .models import DistributionRule, Lead, Lookup, WebForm
from .schemas import dump_lookup

#: Which lead column keeps each kind's code (for the "in use" check on delete).
_LEAD_COLUMN = {
    "source": Lead.source,
    "channel": Lead.channel,
    "disqualification_reason": Lead.disqualification_reason,
    "need_type": Lead.need_type,
}


def lookups(db: Any, kind: str) -> list[Lookup]:
    """One list's rows, active first then by position and name; an empty list gets its
    defaults first."""
    select = (
        sa.select(Lookup)
        .where(Lookup.kind == kind)
        .order_by(Lookup.is_active.desc(), Lookup.position, Lookup.name, Lookup.id)
    )
    rows = list(db.execute(select).scalars().all())
    defaults = domain.default_lookups(kind)
    if not rows and defaults:
        now = utcnow()
        db.execute(
            pg_insert(Lookup)
            .values(
                [
                    {
                        "id": new_id(),
                        "kind": kind,
                        **default,
                        "is_active": True,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for default in defaults
                ]
            )
            # two first readers at once: the second one's rows are already there
            .on_conflict_do_nothing(constraint="uq_lookups_kind_code")
        )
        rows = list(db.execute(select).scalars().all())
    return rows


def active_codes(db: Any, kind: str) -> set[str]:
    """The active codes of one list (defaults put back when it has no rows at all)."""
    return {row.code for row in lookups(db, kind) if row.is_active}


def load_lookup(db: Any, kind: str, lookup_id: Any, *, for_update: bool = False) -> Lookup:
    """The entry of this list, or ``NotFound`` (an entry of another list as well)."""
    lookup = records.load_record(db, Lookup, lookup_id, "lookup", for_update=for_update)
    if lookup.kind != kind:
        raise records.not_found("lookup")
    return lookup


def add_lookup(
    db: Any, kind: str, values: dict[str, Any], existing: list[Lookup], actor: dict[str, Any]
) -> dict[str, Any]:
    """Write a new entry (after the last of ``existing`` when it names no position) and
    emit ``lookup_created``; ``Conflict`` when the list has its code."""
    if any(row.code == values["code"] for row in existing):
        raise domain.code_taken(kind, values["code"])
    if "position" not in values:
        values["position"] = domain.next_position([r.position for r in existing])
    now = utcnow()
    lookup = Lookup(
        id=new_id(),
        kind=kind,
        is_active=values.pop("is_active", True),
        version=1,
        created_at=now,
        updated_at=now,
        **values,
    )
    db.add(lookup)
    try:
        db.flush()
    except IntegrityError:
        # Another request added the same code since we looked.
        db.rollback()
        raise domain.code_taken(kind, lookup.code) from None
    result = dump_lookup(lookup)
    db.emit("lookup_created", result, actor=actor)
    return result


def update_lookup(
    db: Any, lookup: Lookup, values: dict[str, Any], changed: list[str], actor: dict[str, Any]
) -> dict[str, Any]:
    """Apply the ``changed`` fields, bump the version, emit ``lookup_updated``."""
    for name in changed:
        setattr(lookup, name, values[name])
    lookup.version += 1
    lookup.updated_at = utcnow()
    db.flush()
    result = dump_lookup(lookup)
    db.emit("lookup_updated", {**result, "changed_fields": changed}, actor=actor)
    return result


def delete_lookup(db: Any, lookup: Lookup, actor: dict[str, Any]) -> None:
    """Delete the entry and emit ``lookup_deleted`` with its last state."""
    last_state = dump_lookup(lookup)
    db.delete(lookup)
    db.flush()
    db.emit("lookup_deleted", last_state, actor=actor)


def lookup_uses(db: Any, kind: str, code: str) -> list[str]:
    """What carries this code, e.g. ``["3 leads", "1 web form"]``."""
    counts = []
    # a loss reason is carried by deals, which the sales service keeps: deactivate it
    if kind in _LEAD_COLUMN:
        lead_column = _LEAD_COLUMN[kind]
        counts.append(("lead", "leads", sa.select(sa.func.count()).where(lead_column == code)))
    if kind in ("source", "channel"):
        column = WebForm.source if kind == "source" else WebForm.channel
        counts.append(("web form", "web forms", sa.select(sa.func.count()).where(column == code)))
    if kind == "need_type":
        counts.append(
            (
                "distribution rule",
                "distribution rules",
                sa.select(sa.func.count()).where(DistributionRule.need_type == code),
            )
        )
    if kind == "source":
        counts.append(
            (
                "distribution rule",
                "distribution rules",
                sa.select(sa.func.count()).where(DistributionRule.source == code),
            )
        )
    return domain.uses_text(
        [(one, many, db.execute(stmt).scalar_one()) for one, many, stmt in counts]
    )
