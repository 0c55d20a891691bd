"""The rules of roles an administrator makes: a role's name checked, the seeded roles
kept as they are, and the refusal to delete a role someone holds. Pure: no database,
no Nameko."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.platform.access import SYSTEM, Actor
from services.platform.errors import Conflict, PermissionDenied

from .domain import SALES_SECTIONS, SEEDED_ROLES, _failed, _uuid

ROLE_NAME_MAX_LENGTH = 50
#: the seeded roles: Osprey's defaults name them (an actor without rights, the default
#: record rules), so they are neither renamed nor deleted
SEEDED_NAMES = frozenset(spec.name for spec in SEEDED_ROLES)
#: names no role may take: the services' own caller is ``system``
RESERVED_NAMES = frozenset({SYSTEM}) | SEEDED_NAMES
#: what a new role lets its holders see when it is based on no other role: the
#: sections, the users and the roles (its access rights grant nothing until set)
BASIC_PERMISSIONS: tuple[str, ...] = ("leads.read", *SALES_SECTIONS, "users.read", "roles.read")
ROLE_FIELDS = ("name", "based_on")


def check_may_manage_roles(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied(
            "Only an administrator may create, rename or delete roles",
            [{"field": "actor", "message": "administrators only"}],
        )


def clean_role_data(data: Any, *, creating: bool = True) -> dict[str, Any]:
    """A role's fields: ``name`` (spaces collapsed, 1–50 characters, no control
    characters, not a reserved name in any letter case) and, on create only,
    ``based_on`` (a role id whose permissions and rights the new role starts with).
    Raises one ``ValidationFailed`` naming every bad field."""
    if not isinstance(data, Mapping):
        raise _failed([{"field": "data", "message": "must be an object of role fields"}])
    errors: list[dict[str, str]] = []
    allowed = ROLE_FIELDS if creating else ("name",)
    for key in data:
        if key not in allowed:
            message = (
                "is read-only" if key in ("id", "permissions", "based_on") else "unknown field"
            )
            errors.append({"field": str(key), "message": message})
    clean: dict[str, Any] = {}
    name = data.get("name")
    if not isinstance(name, str) or not " ".join(name.split()):
        errors.append({"field": "name", "message": "is required"})
    else:
        name = " ".join(name.split())
        if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in name):
            errors.append({"field": "name", "message": "must not hold control characters"})
        elif len(name) > ROLE_NAME_MAX_LENGTH:
            errors.append(
                {"field": "name", "message": f"must be at most {ROLE_NAME_MAX_LENGTH} characters"}
            )
        elif name.casefold() in RESERVED_NAMES:
            errors.append({"field": "name", "message": f"“{name}” is reserved for Osprey"})
        else:
            clean["name"] = name
    based_on = data.get("based_on") if creating else None
    if based_on not in (None, ""):
        clean["based_on"] = _uuid(based_on)
        if clean["based_on"] is None:
            errors.append({"field": "based_on", "message": "must be a role id"})
    if errors:
        raise _failed(errors)
    return clean


def check_not_seeded(role_name: str, doing: str) -> None:
    """Osprey's own roles keep their names and stay (``doing``: rename, delete)."""
    if role_name in SEEDED_NAMES:
        raise Conflict(
            f"“{role_name}” is one of Osprey's own roles: it cannot be {doing}d."
            " Make a role of your own instead.",
            [{"field": "role_id", "message": f"a seeded role is not {doing}d"}],
        )


#: how many of a role's holders a refused deletion names (the rest are counted)
HOLDERS_NAMED = 10


def check_role_unused(role_name: str, holders: list[str], total: int) -> None:
    """A role is deleted only when nobody holds it (deactivated users count: they would
    come back with it); otherwise say who still does."""
    if total == 0:
        return
    shown = holders[:HOLDERS_NAMED]
    named = ", ".join(shown) + (f" and {total - len(shown)} more" if total > len(shown) else "")
    raise Conflict(
        f"The role “{role_name}” is held by {total} user{'' if total == 1 else 's'}: {named}."
        " Give them another role first.",
        [{"field": "users", "message": f"still hold the role: {named}"}],
    )


def role_name_taken() -> Conflict:
    return Conflict(
        "Another role has this name", [{"field": "name", "message": "is already taken"}]
    )
