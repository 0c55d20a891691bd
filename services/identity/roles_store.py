"""Roles an administrator makes, renames and deletes: the SQL, as functions that take
the session ``db`` (beside ``store.py``, which keeps the users and their roles, and
``rights_store.py``, which keeps each role's access rights)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.platform.ids import new_id
from services.platform.records import not_found
from services.platform.values import is_uuid

from . import rights_store, role_rules
from .models import Role, User, user_roles
from .schemas import dump_role


def _name_taken(db: Session, name: str, but: str | None = None) -> bool:
    stmt = sa.select(Role.id).where(sa.func.lower(Role.name) == name.lower())
    if but is not None:
        stmt = stmt.where(Role.id != but)
    return db.scalar(stmt) is not None


def _locked(db: Session, role_id: Any, field: str | None = None) -> Role:
    """The role under a row lock until commit: a user being given it meanwhile holds a
    key-share lock on it (``store._check_roles_exist``), so one waits for the other —
    the deletion then counts that holder, or the user's change finds no such role."""
    role = None
    if is_uuid(role_id):
        role = db.scalar(sa.select(Role).where(Role.id == role_id).with_for_update())
    if role is None:
        raise not_found("role", field)
    return role


def create_role(db: Any, changes: dict[str, Any], *, actor: dict[str, Any]) -> dict[str, Any]:
    """A new role from cleaned ``changes``: with ``based_on``, that role's permissions
    and access rights; otherwise :data:`role_rules.BASIC_PERMISSIONS` and no rights.
    Emits ``role_created``. Raises ``Conflict`` (a name taken, any letter case),
    ``NotFound`` on ``based_on``."""
    if _name_taken(db, changes["name"]):
        raise role_rules.role_name_taken()
    permissions = list(role_rules.BASIC_PERMISSIONS)
    rights = {}
    if changes.get("based_on"):
        base = db.get(Role, changes["based_on"])
        if base is None:
            raise not_found("role", "based_on")
        permissions = list(base.permissions)
        rights = rights_store.role_rights(db, base.id)
    role = Role(id=new_id(), name=changes["name"], permissions=permissions)
    db.add(role)
    try:
        db.flush()
    except IntegrityError:  # the same name made at the same moment
        raise role_rules.role_name_taken() from None
    if rights:
        rights_store.write_role_rights(db, role.id, rights)
    result = dump_role(role)
    db.emit("role_created", {**result, "based_on": changes.get("based_on")}, actor=actor)
    return result


def rename_role(
    db: Any, role_id: Any, changes: dict[str, Any], *, actor: dict[str, Any]
) -> dict[str, Any]:
    """Give a role of one's own a new name; emits ``role_updated`` (the role plus
    ``changed_fields``) unless the name is the same. Raises ``NotFound``, ``Conflict``
    (a seeded role; a name taken, any letter case)."""
    role = _locked(db, role_id)
    role_rules.check_not_seeded(role.name, "rename")
    if changes["name"] == role.name:
        return dump_role(role)
    if _name_taken(db, changes["name"], but=role.id):
        raise role_rules.role_name_taken()
    role.name = changes["name"]
    try:
        db.flush()
    except IntegrityError:
        raise role_rules.role_name_taken() from None
    result = dump_role(role)
    db.emit("role_updated", {**result, "changed_fields": ["name"]}, actor=actor)
    return result


def delete_role(db: Any, role_id: Any, *, actor: dict[str, Any]) -> None:
    """Delete a role of one's own nobody holds (its rights go with it); emits
    ``role_deleted`` (the role as it was). Raises ``NotFound``, ``Conflict`` (a seeded
    role; a role held, naming its holders)."""
    role = _locked(db, role_id)
    role_rules.check_not_seeded(role.name, "delete")
    held = sa.select(user_roles.c.user_id).where(user_roles.c.role_id == role.id)
    total = db.scalar(sa.select(sa.func.count()).select_from(held.subquery())) or 0
    names = db.scalars(
        sa.select(sa.func.coalesce(sa.func.nullif(User.full_name, ""), User.email))
        .where(User.id.in_(held))
        .order_by(User.full_name, User.email)
        .limit(role_rules.HOLDERS_NAMED)
    ).all()
    role_rules.check_role_unused(role.name, list(names), total)
    gone = dump_role(role)
    db.delete(role)
    db.flush()
    db.emit("role_deleted", gone, actor=actor)
