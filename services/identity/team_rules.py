"""The rules of teams: a team's fields checked, what a change changes, who manages teams,
and the refusal to delete a team that still has users. Pure: no database, no Nameko."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied

from .domain import _failed, _uuid

TEAM_NAME_MAX_LENGTH = 200
TEAM_FIELDS: tuple[str, ...] = ("name", "manager_id")


# --- teams --------------------------------------------------------------------------------


def clean_team_data(data: Any, *, creating: bool = True) -> dict[str, Any]:
    """A team's fields: ``name`` (spaces collapsed; required on create), ``manager_id``
    a user id or null (none on create when not sent). On update only what was sent
    is returned. Raises one :class:`ValidationFailed` naming every bad field."""
    if not isinstance(data, Mapping):
        raise _failed([{"field": "data", "message": "must be an object of team fields"}])
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {"manager_id": None} if creating else {}
    for name in data:
        if name not in TEAM_FIELDS:
            message = "is read-only" if name in ("id", "user_count") else "unknown field"
            errors.append({"field": str(name), "message": message})
    if creating or "name" in data:
        name = data.get("name")
        if not isinstance(name, str) or not " ".join(name.split()):
            errors.append({"field": "name", "message": "is required"})
        elif len(" ".join(name.split())) > TEAM_NAME_MAX_LENGTH:
            errors.append(
                {"field": "name", "message": f"must be at most {TEAM_NAME_MAX_LENGTH} characters"}
            )
        else:
            clean["name"] = " ".join(name.split())
    manager_id = data.get("manager_id")
    if manager_id in (None, ""):
        if "manager_id" in data:
            clean["manager_id"] = None
    else:
        clean["manager_id"] = _uuid(manager_id)
        if clean["manager_id"] is None:
            errors.append({"field": "manager_id", "message": "must be a user id"})
    if errors:
        raise _failed(errors)
    return clean


def changed_team_fields(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The team fields whose value really changes, in a stable order."""
    return [name for name in TEAM_FIELDS if name in changes and changes[name] != current.get(name)]


def check_may_manage_teams(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only an administrator may create, change or delete teams")


#: how many of a team's users a refused deletion names (the rest are counted)
TEAM_MEMBERS_NAMED = 10


def check_team_is_empty(team_name: str, members: list[str], total: int) -> None:
    """A team is deleted only when nobody is in it; otherwise say who still is.
    ``members``: the names of its first users (at most :data:`TEAM_MEMBERS_NAMED` are
    shown), ``total``: how many users it has."""
    if total == 0:
        return
    shown = members[:TEAM_MEMBERS_NAMED]
    named = ", ".join(shown) + (f" and {total - len(shown)} more" if total > len(shown) else "")
    raise Conflict(
        f"The team “{team_name}” still has {total} user{'' if total == 1 else 's'}: {named}."
        " Move them to another team first.",
        [{"field": "users", "message": f"still in the team: {named}"}],
    )
