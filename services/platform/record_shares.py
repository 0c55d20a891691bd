"""Record sharing, once for every service: a record shared with a user or a team for
reading or for editing, beyond the record scope of their roles (docs/architecture.md,
"Access rights").

Each shared entity has a table ``<schema>.<singular>_shares`` (``record_id``, a user or
a team, ``read`` or ``edit``): :func:`shares_table` declares it on the service's
metadata and :func:`create_shares_table` makes it in a migration.
:class:`~services.platform.entity_access.EntityAccess` reads it (``shares=``); the
functions below check, list, put and take back shares. None commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .access import Actor
from .errors import EXPECTED, ValidationFailed
from .events import isoformat, utcnow
from .ids import new_id
from .records import not_found
from .rpc import rpc
from .values import is_uuid

SHARE_ACCESS = ("read", "edit")
_SHARE_FIELDS = ("user_id", "team_id", "access")


def _columns(record_table: str) -> list[Any]:
    return [
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column(
            "record_id",
            UUID(as_uuid=False),
            sa.ForeignKey(f"{record_table}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", UUID(as_uuid=False)),
        sa.Column("team_id", UUID(as_uuid=False)),
        sa.Column("access", sa.String(10), nullable=False),
        sa.Column("created_by", UUID(as_uuid=False)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


def shares_table(metadata: sa.MetaData, name: str, record_table: str) -> sa.Table:
    """Declare the shares table ``name`` of the records of ``record_table``
    (``"sales.accounts"``) on a service's metadata (its models.py)."""
    return sa.Table(
        name,
        metadata,
        *_columns(record_table),
        sa.CheckConstraint("access IN ('read', 'edit')", name="access"),
        sa.CheckConstraint("(user_id IS NULL) <> (team_id IS NULL)", name="user_or_team"),
        sa.Index(f"ix_{name}_record_id", "record_id"),
        sa.Index(
            f"uq_{name}_user",
            "record_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("user_id IS NOT NULL"),
        ),
        sa.Index(
            f"uq_{name}_team",
            "record_id",
            "team_id",
            unique=True,
            postgresql_where=sa.text("team_id IS NOT NULL"),
        ),
        sa.Index(f"ix_{name}_user_id", "user_id", "record_id"),
        sa.Index(f"ix_{name}_team_id", "team_id", "record_id"),
    )


def create_shares_table(schema: str, name: str, record_table: str) -> None:
    """The Alembic operations that make :func:`shares_table` (in a service's migration)."""
    from alembic import op

    columns = _columns(record_table)
    columns[0] = sa.Column("id", UUID(as_uuid=False), nullable=False)
    op.create_table(
        name,
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.CheckConstraint("access IN ('read', 'edit')", name=f"ck_{name}_access"),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (team_id IS NULL)", name=f"ck_{name}_user_or_team"
        ),
        schema=schema,
    )
    op.create_index(f"ix_{name}_record_id", name, ["record_id"], schema=schema)
    for column, label in (("user_id", "user"), ("team_id", "team")):
        op.create_index(
            f"uq_{name}_{label}",
            name,
            ["record_id", column],
            unique=True,
            postgresql_where=sa.text(f"{column} IS NOT NULL"),
            schema=schema,
        )
        op.create_index(f"ix_{name}_{column}", name, [column, "record_id"], schema=schema)


def clean_share(data: Any) -> dict[str, Any]:
    """``{user_id | team_id, access}`` checked: exactly one of the two ids, ``access``
    read (the default) or edit. Raises one ``ValidationFailed`` naming every field."""
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "data: must be an object", [{"field": "data", "message": "must be an object"}]
        )
    errors = [
        {"field": str(name), "message": "unknown field"}
        for name in data
        if name not in _SHARE_FIELDS
    ]
    user_id, team_id = data.get("user_id"), data.get("team_id")
    for name, value in (("user_id", user_id), ("team_id", team_id)):
        if value is not None and not is_uuid(value):
            errors.append({"field": name, "message": f"must be a {name[:-3]} id"})
    if (user_id is None) == (team_id is None):
        errors.append({"field": "user_id", "message": "give a user_id or a team_id, not both"})
    share_access = data.get("access", "read")
    if share_access not in SHARE_ACCESS:
        errors.append({"field": "access", "message": "must be read or edit"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return {"user_id": user_id, "team_id": team_id, "access": share_access}


def dump_share(share: Any, record_key: str) -> dict[str, Any]:
    """A share as it goes on the wire, its record's id as ``record_key`` (``lead_id``)."""
    return {
        "id": str(share.id),
        record_key: str(share.record_id),
        "user_id": share.user_id and str(share.user_id),
        "team_id": share.team_id and str(share.team_id),
        "access": share.access,
        "created_by": share.created_by and str(share.created_by),
        "created_at": isoformat(share.created_at),
    }


def list_shares(db: Any, table: Any, record_id: str, record_key: str) -> list[dict[str, Any]]:
    """The record's shares, oldest first."""
    rows = db.execute(
        sa.select(table)
        .where(table.c.record_id == record_id)
        .order_by(table.c.created_at, table.c.id)
    ).all()
    return [dump_share(row, record_key) for row in rows]


def put_share(
    db: Any,
    table: Any,
    record_id: str,
    share: dict[str, Any],
    created_by: str,
    record_key: str,
) -> dict[str, Any]:
    """Share the record (``share``: :func:`clean_share`'s), or change the access of the
    share it has with that user or team already; the share."""
    target = "user_id" if share["user_id"] else "team_id"
    stmt = pg_insert(table).values(
        id=new_id(),
        record_id=record_id,
        **share,
        created_by=created_by if is_uuid(created_by) else None,
        created_at=utcnow(),
    )
    row = db.execute(
        stmt.on_conflict_do_update(
            index_elements=[table.c.record_id, table.c[target]],
            index_where=table.c[target].isnot(None),
            set_={"access": stmt.excluded.access},
        ).returning(*table.c)
    ).one()
    return dump_share(row, record_key)


def delete_share(
    db: Any, table: Any, record_id: str, share_id: Any, record_key: str
) -> dict[str, Any] | None:
    """Take the share back; the share as it was, or None when the record has no such one."""
    if not is_uuid(share_id):
        return None
    row = db.execute(
        sa.delete(table)
        .where(table.c.id == share_id, table.c.record_id == record_id)
        .returning(*table.c)
    ).first()
    return None if row is None else dump_share(row, record_key)


class RecordSharesRpc:
    """``list_record_shares``, ``share_record``, ``unshare_record``: for a service part
    whose base has ``db`` and which names its shared entities in ``shared_records``
    (``{entity: (model, EntityAccess)}``, the entity as rights name it: ``accounts``)."""

    db: Any
    shared_records: Mapping[str, tuple[Any, Any]] = {}

    def _shared(self, entity: Any) -> tuple[Any, Any]:
        if entity not in self.shared_records:
            known = ", ".join(self.shared_records)
            raise ValidationFailed(
                f"entity: one of {known}", [{"field": "entity", "message": f"one of {known}"}]
            )
        return self.shared_records[entity]

    @rpc(expected_exceptions=EXPECTED)
    def list_record_shares(
        self, entity: str, record_id: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """``{"items": [share]}``: whom the record is shared with, oldest first; each
        ``{id, <singular>_id, user_id, team_id, access, created_by, created_at}``.
        Raises ``NotFound`` (missing or unreadable record), ``ValidationFailed``."""
        model, rights = self._shared(entity)
        caller = Actor.from_dict(actor)
        record = rights.load(self.db, model, record_id, caller)
        items = list_shares(self.db, rights.shares, record.id, f"{rights.what}_id")
        self.db.commit()
        return {"items": items}

    @rpc(expected_exceptions=EXPECTED)
    def share_record(
        self, entity: str, record_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Share the record with a user or a team (``{user_id | team_id, access: read |
        edit}``; sharing again with the same one changes its access) and emit
        ``<singular>_shared``. The caller must change the record by the scope of their
        roles (a share for editing does not let them share it on). Raises ``NotFound``,
        ``PermissionDenied``, ``ValidationFailed``."""
        model, rights = self._shared(entity)
        caller = Actor.from_dict(actor)
        share = clean_share(data)
        record = rights.load(self.db, model, record_id, caller, for_update=True)
        caller.require(rights.entity, "update")
        rights.require_change(self.db, caller, record, shared=False)
        result = put_share(self.db, rights.shares, record.id, share, caller.id, f"{rights.what}_id")
        self.db.emit(f"{rights.what}_shared", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def unshare_record(
        self, entity: str, record_id: str, share_id: str, actor: dict[str, Any]
    ) -> None:
        """Take a share back and emit ``<singular>_unshared`` with it. The caller must
        change the record by the scope of their roles. Raises ``NotFound`` (the record,
        or no such share of it), ``PermissionDenied``, ``ValidationFailed``."""
        model, rights = self._shared(entity)
        caller = Actor.from_dict(actor)
        record = rights.load(self.db, model, record_id, caller, for_update=True)
        caller.require(rights.entity, "update")
        rights.require_change(self.db, caller, record, shared=False)
        removed = delete_share(self.db, rights.shares, record.id, share_id, f"{rights.what}_id")
        if removed is None:
            raise not_found("share")
        self.db.emit(f"{rights.what}_unshared", removed, actor=actor)
        self.db.commit()
