"""Access rights per role, as an administrator sets them: the rules. Pure: no database,
no Nameko.

A role holds, per entity (:data:`ENTITIES`), *object rights* — which operations its
holders may do (create, read, update, delete, export) — and *record scopes* — which
records they read and which they change (own, team, all) — and *column rights*: fields
hidden from them or read-only for them. A user's effective rights are their roles'
rights merged (:func:`merge_rights`): operations add up, the widest scope wins, and a
field stays hidden (read-only) only when every role that grants the entity hides it
(keeps it from being written). They travel with the caller in the actor dict as a
compact map (:func:`compact_rights`) that :class:`services.platform.access.Actor`
reads (docs/architecture.md, "Access rights").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from services.platform.access import (
    ADMIN,
    ENTITIES,
    OPERATIONS,
    SALES_MANAGER,
    SALES_REP,
    SCOPES,
)
from services.platform.errors import ValidationFailed

COLUMN_ACCESS: tuple[str, ...] = ("hidden", "read_only")
#: fields no role may hide or make read-only: without them a record cannot be named
#: or changed safely (the version is the ETag a change sends back)
PROTECTED_FIELDS: frozenset[str] = frozenset({"id", "version"})
_FIELD = re.compile(r"[a-z][a-z0-9_]{0,62}")
#: at most this many column rights per entity and role
MAX_COLUMNS = 200


@dataclass(frozen=True)
class EntityRights:
    """One role's rights on one entity."""

    ops: frozenset[str] = frozenset()
    read: str = "own"
    write: str = "own"
    hidden: frozenset[str] = field(default_factory=frozenset)
    read_only: frozenset[str] = field(default_factory=frozenset)

    def to_dict(self) -> dict[str, Any]:
        """As the roles API shows it: every operation a boolean, fields sorted."""
        return {
            **{op: op in self.ops for op in OPERATIONS},
            "read_scope": self.read,
            "write_scope": self.write,
            "hidden": sorted(self.hidden),
            "read_only": sorted(self.read_only),
        }


def _seeded(ops: str, read: str, write: str) -> EntityRights:
    return EntityRights(
        frozenset(op for op, letter in OPERATIONS.items() if letter in ops), read, write
    )


def _everywhere(rights: EntityRights, **per_entity: EntityRights) -> dict[str, EntityRights]:
    return {entity: per_entity.get(entity, rights) for entity in ENTITIES}


#: What the seeded roles hold: exactly the rights Osprey applied before they could be
#: set (a rep reads the team's records and changes their own, a manager changes the
#: team's, an admin everything; products are changed by managers and admins only).
#: The migration identity_0009 writes the same rows.
SEEDED_RIGHTS: dict[str, dict[str, EntityRights]] = {
    ADMIN: _everywhere(_seeded("crudx", "all", "all")),
    SALES_MANAGER: _everywhere(
        _seeded("crudx", "team", "team"), products=_seeded("crudx", "all", "all")
    ),
    SALES_REP: _everywhere(_seeded("crudx", "team", "own"), products=_seeded("rx", "all", "own")),
}


# --- an administrator's change ------------------------------------------------------------


def clean_rights(data: Any) -> dict[str, EntityRights]:
    """The rights an administrator sent: ``{entity: {create, read, update, delete,
    export (booleans), read_scope, write_scope (own, team, all), hidden, read_only
    (field names)}}`` for some or all entities; each entity sent is replaced whole
    (an operation not sent is not granted). Raises one :class:`ValidationFailed` naming
    every bad field as ``<entity>.<key>``."""
    if not isinstance(data, Mapping) or not data:
        raise _failed([{"field": "rights", "message": "must be an object of entities"}])
    errors: list[dict[str, str]] = []
    clean: dict[str, EntityRights] = {}
    for entity, value in data.items():
        if entity not in ENTITIES:
            errors.append(
                {"field": str(entity), "message": "unknown entity; one of " + ", ".join(ENTITIES)}
            )
            continue
        if not isinstance(value, Mapping):
            errors.append({"field": entity, "message": "must be an object of rights"})
            continue
        rights = _clean_entity(entity, value, errors)
        if rights is not None:
            clean[entity] = rights
    if errors:
        raise _failed(errors)
    return clean


_ENTITY_KEYS = (*OPERATIONS, "read_scope", "write_scope", "hidden", "read_only")


def _clean_entity(
    entity: str, value: Mapping[str, Any], errors: list[dict[str, str]]
) -> EntityRights | None:
    start = len(errors)
    for key in value:
        if key not in _ENTITY_KEYS:
            errors.append({"field": f"{entity}.{key}", "message": "unknown right"})
    ops = set()
    for op in OPERATIONS:
        granted = value.get(op, False)
        if not isinstance(granted, bool):
            errors.append({"field": f"{entity}.{op}", "message": "must be true or false"})
        elif granted:
            ops.add(op)
    scopes = {}
    for key in ("read_scope", "write_scope"):
        scope = value.get(key, "own")
        if scope not in SCOPES:
            errors.append({"field": f"{entity}.{key}", "message": "must be own, team or all"})
        scopes[key] = scope
    if (
        scopes["read_scope"] in SCOPES
        and scopes["write_scope"] in SCOPES
        and SCOPES.index(scopes["write_scope"]) > SCOPES.index(scopes["read_scope"])
    ):
        errors.append(
            {
                "field": f"{entity}.write_scope",
                "message": "cannot be wider than read_scope (a record changed must be read)",
            }
        )
    if ops and "read" not in ops:
        errors.append({"field": f"{entity}.read", "message": "is needed by every other operation"})
    columns = {key: _fields(entity, key, value.get(key, []), errors) for key in COLUMN_ACCESS}
    both = columns["hidden"] & columns["read_only"]
    if both:
        errors.append(
            {
                "field": f"{entity}.read_only",
                "message": "a field is hidden or read-only, not both: " + ", ".join(sorted(both)),
            }
        )
    if len(errors) > start:
        return None
    return EntityRights(
        frozenset(ops),
        scopes["read_scope"],
        scopes["write_scope"],
        frozenset(columns["hidden"]),
        frozenset(columns["read_only"]),
    )


def _fields(entity: str, key: str, value: Any, errors: list[dict[str, str]]) -> set[str]:
    where = f"{entity}.{key}"
    if not isinstance(value, list | tuple) or len(value) > MAX_COLUMNS:
        errors.append({"field": where, "message": f"must be a list of up to {MAX_COLUMNS} fields"})
        return set()
    names: set[str] = set()
    for name in value:
        if not isinstance(name, str) or not _FIELD.fullmatch(name):
            errors.append({"field": where, "message": f"{str(name)[:60]!r} is not a field name"})
        elif name in PROTECTED_FIELDS:
            errors.append({"field": where, "message": f"{name} cannot be {key.replace('_', '-')}"})
        else:
            names.add(name)
    return names


def check_fields_known(
    rights: Mapping[str, EntityRights], known: Mapping[str, Iterable[str]]
) -> None:
    """Every hidden or read-only field must be a field of its entity (``known``: the
    entities' field names, from their services' descriptions)."""
    errors = []
    for entity, entity_rights in rights.items():
        fields = set(known.get(entity) or ())
        if not fields:
            continue
        for key in COLUMN_ACCESS:
            unknown = sorted(getattr(entity_rights, key) - fields)
            if unknown:
                errors.append(
                    {"field": f"{entity}.{key}", "message": "no such field: " + ", ".join(unknown)}
                )
    if errors:
        raise _failed(errors)


# --- a user's effective rights --------------------------------------------------------------


def merge_rights(roles: Iterable[Mapping[str, EntityRights]]) -> dict[str, EntityRights]:
    """Several roles' rights as one: operations add up, the widest scope wins; a field
    is hidden only when every role that grants the entity hides it, and read-only when
    none of them lets it be written (read-only or hidden in each, not hidden in all).
    A role that grants nothing on an entity does not take part in its columns."""
    merged: dict[str, EntityRights] = {}
    per_entity: dict[str, list[EntityRights]] = {}
    for role in roles:
        for entity, rights in role.items():
            if rights.ops:
                per_entity.setdefault(entity, []).append(rights)
    for entity, granted in per_entity.items():
        hidden = frozenset.intersection(*(r.hidden for r in granted))
        unwritable = frozenset.intersection(*(r.hidden | r.read_only for r in granted))
        merged[entity] = EntityRights(
            frozenset().union(*(r.ops for r in granted)),
            max((r.read for r in granted), key=SCOPES.index),
            max((r.write for r in granted), key=SCOPES.index),
            hidden,
            unwritable - hidden,
        )
    return merged


def compact_rights(rights: Mapping[str, EntityRights]) -> dict[str, dict[str, Any]]:
    """The map the actor dict carries (it goes with every call, so it is short):
    ``{entity: {"ops": "crudx", "read": scope, "write": scope, "hidden": [...],
    "read_only": [...]}}``, the field lists only when not empty; an entity the user
    has no operation on is left out (:meth:`Actor.may` then says no)."""
    compact: dict[str, dict[str, Any]] = {}
    for entity in ENTITIES:
        entry = rights.get(entity)
        if entry is None or not entry.ops:
            continue
        item: dict[str, Any] = {
            "ops": "".join(letter for op, letter in OPERATIONS.items() if op in entry.ops),
            "read": entry.read,
            "write": entry.write,
        }
        if entry.hidden:
            item["hidden"] = sorted(entry.hidden)
        if entry.read_only:
            item["read_only"] = sorted(entry.read_only)
        compact[entity] = item
    return compact


def role_rights_out(role: Mapping[str, Any], rights: Mapping[str, EntityRights]) -> dict[str, Any]:
    """A role's rights as the roles API shows them: every entity, granted or not."""
    return {
        "role_id": role["id"],
        "role_name": role["name"],
        "rights": {entity: rights.get(entity, EntityRights()).to_dict() for entity in ENTITIES},
    }


def _failed(errors: list[dict[str, str]]) -> ValidationFailed:
    return ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
