"""Loading a record to read or change it, and the optimistic version check: once for
every service.

Every service loads a record the same way: an id that is not a UUID names nothing, a
record the caller may not read is reported exactly like a missing one, and a change
holds a row lock from the read to the commit so the version check and the change are
one step. The messages are the same everywhere, so the web app and integrators meet one
wording.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .access import Actor
from .errors import Conflict, NotFound
from .fields import Entity
from .values import is_uuid, parse_expected_version


def not_found(what: str, field: str | None = None) -> NotFound:
    """The ``NotFound`` for a record called ``what`` (``"price list"``), on ``field``
    (``price_list_id`` when not given)."""
    key = field or f"{what.replace(' ', '_')}_id"
    return NotFound(f"No such {what}", [{"field": key, "message": f"no such {what}"}])


def check_version(what: str, version: int, expected: int | None) -> None:
    """``Conflict`` when the caller expected another version of the record than the one
    stored (``expected`` None: the caller did not say, anything goes)."""
    if expected is not None and expected != version:
        raise Conflict(
            f"The {what} was changed meanwhile (version {version}, not {expected})",
            [{"field": "version", "message": f"is {version}, not {expected}"}],
        )


def load_record(
    db: Any,
    model: Any,
    record_id: Any,
    what: str,
    caller: Actor | None = None,
    *,
    for_update: bool = False,
    field: str | None = None,
) -> Any:
    """The record ``record_id`` of ``model`` that ``caller`` may read (``caller`` None: a
    record everybody signed in reads, such as a product); otherwise ``NotFound``."""
    # An id that is not a UUID names no record; asking PostgreSQL would only fail.
    if not is_uuid(record_id):
        raise not_found(what, field)
    stmt = sa.select(model).where(model.id == record_id)
    if for_update:
        # Held until commit, so the version check and the change are one step.
        stmt = stmt.with_for_update()
    record = db.execute(stmt).scalar_one_or_none()
    # A record the caller may not read is reported exactly like a missing one.
    if record is None or (
        caller is not None and not caller.can_read(record.owner_id, record.team_id)
    ):
        raise not_found(what, field)
    return record


def load_for_update(
    db: Any,
    model: Any,
    record_id: Any,
    what: str,
    caller: Actor,
    expected_version: Any,
    *,
    owned: bool = True,
    field: str | None = None,
) -> Any:
    """The record under a row lock, once ``caller`` may change it (an owned record: by
    its owner and team; otherwise the caller's own rule, checked before) and the version
    the caller expects (``If-Match``) is the stored one."""
    expected = parse_expected_version(expected_version)
    record = load_record(
        db, model, record_id, what, caller if owned else None, for_update=True, field=field
    )
    if owned:
        caller.require_change(record.owner_id, record.team_id)
    check_version(what, record.version, expected)
    return record


def describe_entity(entity: Entity, name: str, label: str, singular: str) -> dict[str, Any]:
    """An entity for ``meta/entities``: the same shape every service describes."""
    return {
        "name": name,
        "label": label,
        "label_singular": singular,
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "label": f.label,
                "required": f.required,
                "read_only": f.read_only,
                "options": list(f.options) if f.type == "enum" else None,
                "max_length": f.max_length,
                "items": f.items,
                "filterable": f.filterable,
                "filter_op": f.filter_op if f.filterable else None,
                "sortable": f.sortable,
                "lookup": f.lookup,
                "minimum": f.minimum,
                "maximum": f.maximum,
            }
            for f in entity.fields
        ],
    }
