"""Callers carrying rights as identity makes them (its merge over the roles' rights), for
the access-rights tests of sales and orders: a seeded role with some entities' rights
replaced."""

from __future__ import annotations

from typing import Any

from services.identity.rights import SEEDED_RIGHTS, EntityRights, compact_rights, merge_rights
from services.platform.ids import new_id

LETTERS = {"c": "create", "r": "read", "u": "update", "d": "delete", "x": "export"}


def holder(email: str, team: str | None, role: str = "sales_rep", **entities: Any) -> dict:
    """A caller holding ``role`` as seeded, with the rights of each entity named replaced
    by ``{ops, read, write, hidden, read_only}`` (what is not given stays as seeded)."""
    rights = dict(SEEDED_RIGHTS[role])
    for entity, given in entities.items():
        seeded = rights[entity]
        rights[entity] = EntityRights(
            frozenset(LETTERS[c] for c in given.get("ops", "crudx")),
            given.get("read", seeded.read),
            given.get("write", seeded.write),
            frozenset(given.get("hidden", ())),
            frozenset(given.get("read_only", ())),
        )
    return {
        "id": new_id(),
        "email": email,
        "roles": [role],
        "team_id": team,
        "rights": compact_rights(merge_rights([rights])),
    }


def fields_of(exc: Any) -> dict[str, str]:
    """The fields a ``ValidationFailed`` names, with their messages."""
    return {e["field"]: e["message"] for e in exc.value.errors}
