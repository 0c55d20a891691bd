"""Access rights per role: the reads and writes (rules in :mod:`.rights`).

Every function takes the session ``db`` first and none commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from services.platform import records
from services.platform.access import OPERATIONS
from services.platform.values import is_uuid

from . import rights as rules
from .models import Role, RoleColumnRight, RoleObjectRight
from .rights import EntityRights

_OBJECT = RoleObjectRight.__table__
_COLUMN = RoleColumnRight.__table__

#: A user's permissions and rights in one statement (run on every token check): a row
#: per role and entity, with the entity's hidden and read-only fields in that role.
_USER_RIGHTS = sa.text(
    "SELECT r.permissions, o.entity, o.can_create, o.can_read, o.can_update, o.can_delete,"
    " o.can_export, o.read_scope, o.write_scope,"
    " ARRAY(SELECT c.field FROM identity.role_column_rights AS c WHERE c.role_id = o.role_id"
    "  AND c.entity = o.entity AND c.access = 'hidden') AS hidden,"
    " ARRAY(SELECT c.field FROM identity.role_column_rights AS c WHERE c.role_id = o.role_id"
    "  AND c.entity = o.entity AND c.access = 'read_only') AS read_only,"
    " r.id AS role_id"
    " FROM identity.user_roles AS ur JOIN identity.roles AS r ON r.id = ur.role_id"
    " LEFT JOIN identity.role_object_rights AS o ON o.role_id = r.id"
    " WHERE ur.user_id = CAST(:user_id AS uuid)"
)


def _entity_rights(row: Any, hidden: Any, read_only: Any) -> EntityRights:
    return EntityRights(
        frozenset(op for op in OPERATIONS if getattr(row, f"can_{op}")),
        row.read_scope,
        row.write_scope,
        frozenset(hidden or ()),
        frozenset(read_only or ()),
    )


def permissions_and_rights(db: Session, user_id: str) -> tuple[list[str], dict[str, Any]]:
    """The user's permissions (their roles', together) and their effective rights as
    the compact map the actor dict carries (:func:`rules.compact_rights`)."""
    permissions: set[str] = set()
    per_role: dict[str, dict[str, EntityRights]] = {}
    for row in db.execute(_USER_RIGHTS, {"user_id": user_id}):
        permissions.update(row.permissions or ())
        role = per_role.setdefault(str(row.role_id), {})
        if row.entity is not None:
            role[row.entity] = _entity_rights(row, row.hidden, row.read_only)
    return sorted(permissions), rules.compact_rights(rules.merge_rights(per_role.values()))


def role_rights(db: Session, role_id: str) -> dict[str, EntityRights]:
    """One role's rights per entity (an entity without a row grants nothing)."""
    columns: dict[str, dict[str, set[str]]] = {}
    for row in db.execute(sa.select(_COLUMN).where(_COLUMN.c.role_id == role_id)):
        columns.setdefault(row.entity, {"hidden": set(), "read_only": set()})[row.access].add(
            row.field
        )
    result = {}
    for row in db.execute(sa.select(_OBJECT).where(_OBJECT.c.role_id == role_id)):
        fields = columns.get(row.entity, {})
        result[row.entity] = _entity_rights(row, fields.get("hidden"), fields.get("read_only"))
    return result


def load_role(db: Session, role_id: Any, *, for_update: bool = False) -> dict[str, Any]:
    """``{id, name}`` of the role; ``NotFound`` on ``role_id``."""
    if not is_uuid(role_id):
        raise records.not_found("role")
    stmt = sa.select(Role.id, Role.name).where(Role.id == role_id)
    if for_update:
        # two administrators saving one role's rights at once: one after the other
        stmt = stmt.with_for_update()
    row = db.execute(stmt).first()
    if row is None:
        raise records.not_found("role")
    return {"id": row.id, "name": row.name}


def write_role_rights(db: Session, role_id: str, changes: Mapping[str, EntityRights]) -> None:
    """Replace the role's rights on each entity in ``changes`` (its other entities keep
    theirs)."""
    for entity, entity_rights in changes.items():
        values = {f"can_{op}": op in entity_rights.ops for op in OPERATIONS}
        values |= {"read_scope": entity_rights.read, "write_scope": entity_rights.write}
        stmt = pg_insert(_OBJECT).values(role_id=role_id, entity=entity, **values)
        db.execute(
            stmt.on_conflict_do_update(
                index_elements=[_OBJECT.c.role_id, _OBJECT.c.entity], set_=values
            )
        )
        db.execute(
            sa.delete(_COLUMN).where(_COLUMN.c.role_id == role_id, _COLUMN.c.entity == entity)
        )
        rows = [
            {"role_id": role_id, "entity": entity, "field": name, "access": access}
            for access in rules.COLUMN_ACCESS
            for name in sorted(getattr(entity_rights, access))
        ]
        if rows:
            db.execute(sa.insert(_COLUMN), rows)
    db.flush()


def ensure_seeded_rights(db: Session) -> None:
    """Give a seeded role that has no rights at all the seeded ones (an emptied or
    restored database); a role with rights keeps them."""
    from .domain import SEEDED_ROLES

    have = set(db.scalars(sa.select(_OBJECT.c.role_id).distinct()))
    present = set(db.scalars(sa.select(Role.id)))
    for spec in SEEDED_ROLES:
        if spec.id in present and spec.id not in have:
            write_role_rights(db, spec.id, rules.SEEDED_RIGHTS[spec.name])
