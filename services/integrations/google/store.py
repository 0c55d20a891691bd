"""The google service's SQL: connections as their owners see them, links between
Google's ids and Osprey's records, the conflicts log, OAuth flows under way.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.integrations.sync.health import dump_health
from services.platform.errors import NotFound
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.values import is_uuid

from . import domain
from .models import authorizations, conflicts, connections, links

#: how long an OAuth flow may take between the consent screen and the code's return
AUTHORIZATION_TTL = timedelta(minutes=15)


# --- connections ---------------------------------------------------------------------------


def dump_connection(row: Any) -> dict[str, Any]:
    """A connection as the API shows it: what it syncs and its health; never a token."""
    settings = dict(row.settings or {})
    health = dump_health(row)
    return {
        "id": row.id,
        "kind": row.kind,
        "email": settings.get("email"),
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "scopes": list(settings.get("scopes") or []),
        "contacts": dict(settings.get("contacts") or {}),
        "calendar": dict(settings.get("calendar") or {}),
        "mail": dict(settings.get("mail") or {}),
        "state": row.state,
        # the owner must connect the account again (the token was revoked)
        "needs_reconnect": bool(settings.get("needs_reconnect")),
        "health": health,
        "last_synced_at": health["last_synced_at"],
        "last_error": health["last_error"],
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


def _no_connection() -> NotFound:
    return NotFound(
        "No such Google connection",
        [{"field": "connection_id", "message": "no such Google connection"}],
    )


def connection_row(db: Any, connection_id: Any, *, for_update: bool = False) -> Any:
    if not is_uuid(connection_id):
        raise _no_connection()
    stmt = sa.select(connections).where(connections.c.id == connection_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = db.execute(stmt).first()
    if row is None:
        raise _no_connection()
    return row


def connection_of(db: Any, owner_id: str, email: str) -> Any:
    return db.execute(
        sa.select(connections).where(
            connections.c.owner_id == owner_id, connections.c.name == email.lower()
        )
    ).first()


def list_connection_rows(db: Any, *, owner_id: str | None, everyone: bool) -> list[Any]:
    stmt = sa.select(connections).order_by(connections.c.name, connections.c.id)
    if not everyone:
        stmt = stmt.where(connections.c.owner_id == owner_id)
    return list(db.execute(stmt).all())


def insert_connection(
    db: Any, *, email: str, owner: dict[str, Any], settings: dict[str, Any], secret: bytes
) -> str:
    now = utcnow()
    connection_id = new_id()
    db.execute(
        connections.insert().values(
            id=connection_id,
            kind="google",
            name=email.lower(),
            owner_id=owner["id"],
            team_id=owner.get("team_id"),
            is_shared=False,
            settings=settings,
            secret=secret,
            state="active",
            next_sync_at=now,
            created_at=now,
            updated_at=now,
            created_by=owner["id"],
        )
    )
    return connection_id


def update_connection(db: Any, connection_id: str, values: dict[str, Any]) -> Any:
    db.execute(
        connections.update()
        .where(connections.c.id == connection_id)
        .values(**values, version=connections.c.version + 1, updated_at=utcnow())
    )
    return connection_row(db, connection_id)


# --- OAuth flows under way -------------------------------------------------------------------


def add_authorization(db: Any, values: dict[str, Any]) -> None:
    db.execute(
        authorizations.delete().where(authorizations.c.created_at < utcnow() - AUTHORIZATION_TTL)
    )
    db.execute(authorizations.insert().values(**values, created_at=utcnow()))


def take_authorization(db: Any, state: str) -> Any:
    """The flow ``state`` names, removed (a code is used once); None when unknown or
    older than :data:`AUTHORIZATION_TTL`."""
    row = db.execute(
        authorizations.delete().where(authorizations.c.state == state).returning(authorizations)
    ).first()
    if row is None or row.created_at < utcnow() - AUTHORIZATION_TTL:
        return None
    return row


# --- links -----------------------------------------------------------------------------------


def link_by_remote(db: Any, connection_id: str, kind: str, remote_id: str) -> Any:
    return db.execute(
        sa.select(links).where(
            links.c.connection_id == connection_id,
            links.c.kind == kind,
            links.c.remote_id == remote_id,
        )
    ).first()


def link_by_crm(db: Any, connection_id: str, kind: str, crm_id: str) -> Any:
    return db.execute(
        sa.select(links).where(
            links.c.connection_id == connection_id,
            links.c.kind == kind,
            links.c.crm_id == crm_id,
        )
    ).first()


def links_of(db: Any, connection_id: str, kind: str) -> dict[str, Any]:
    """Every link of a kind, by CRM id."""
    rows = db.execute(
        sa.select(links).where(links.c.connection_id == connection_id, links.c.kind == kind)
    ).all()
    return {row.crm_id: row for row in rows}


def save_link(
    db: Any,
    connection_id: str,
    kind: str,
    remote_id: str,
    crm_id: str,
    *,
    remote_etag: str | None,
    crm_version: int | None,
    snapshot: dict[str, Any],
    data: dict[str, Any] | None = None,
) -> None:
    """Record that both sides now hold ``snapshot``; a link to the same CRM record under
    another remote id (the remote record was recreated) is replaced."""
    db.execute(
        links.delete().where(
            links.c.connection_id == connection_id,
            links.c.kind == kind,
            links.c.crm_id == crm_id,
            links.c.remote_id != remote_id,
        )
    )
    values = {
        "connection_id": connection_id,
        "kind": kind,
        "remote_id": remote_id,
        "crm_id": crm_id,
        "remote_etag": remote_etag,
        "crm_version": crm_version,
        "snapshot": snapshot,
        "data": data or {},
        "crm_deleted": False,
        "updated_at": utcnow(),
    }
    stmt = insert(links).values(**values)
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=[links.c.connection_id, links.c.kind, links.c.remote_id],
            set_={
                k: stmt.excluded[k]
                for k in values
                if k not in ("connection_id", "kind", "remote_id")
            },
        )
    )


TOMBSTONE = {"tombstone": True}


def is_tombstone(link: Any) -> bool:
    """A link kept after a deletion with deletions ``keep``: the record lives on one
    side only, and neither side brings it back to the other."""
    return bool(link is not None and (link.snapshot or {}).get("tombstone"))


def keep_apart(db: Any, connection_id: str, kind: str, link: Any) -> None:
    """Deleted on one side, kept on the other (deletions ``keep``): the link stays as a
    tombstone, so a later change on the keeping side does not make the record again on
    the side that deleted it."""
    save_link(
        db,
        connection_id,
        kind,
        link.remote_id,
        link.crm_id,
        remote_etag=None,
        crm_version=None,
        snapshot=TOMBSTONE,
    )


def drop_link(db: Any, connection_id: str, kind: str, remote_id: str) -> None:
    db.execute(
        links.delete().where(
            links.c.connection_id == connection_id,
            links.c.kind == kind,
            links.c.remote_id == remote_id,
        )
    )


def mark_crm_deleted(db: Any, kind: str, crm_id: str) -> int:
    """A record Osprey deleted: every connection's link to it waits for the next sync."""
    return db.execute(
        links.update()
        .where(links.c.kind == kind, links.c.crm_id == crm_id)
        .values(crm_deleted=True)
    ).rowcount


def crm_deleted_links(db: Any, connection_id: str, kind: str) -> list[Any]:
    return list(
        db.execute(
            sa.select(links).where(
                links.c.connection_id == connection_id,
                links.c.kind == kind,
                links.c.crm_deleted,
            )
        ).all()
    )


# --- conflicts -------------------------------------------------------------------------------


def log_conflicts(
    db: Any,
    connection_id: str,
    kind: str,
    crm_id: str,
    remote_id: str,
    found: list[domain.Conflict],
    *,
    crm_modified: Any,
    remote_modified: Any,
) -> None:
    if not found:
        return
    now = utcnow()
    db.execute(
        conflicts.insert(),
        [
            {
                "id": new_id(),
                "connection_id": connection_id,
                "kind": kind,
                "crm_id": crm_id,
                "remote_id": remote_id,
                "field": c.field,
                "crm_value": c.crm_value,
                "remote_value": c.remote_value,
                "winner": c.winner,
                "crm_modified_at": crm_modified,
                "remote_modified_at": remote_modified,
                "resolved_at": now,
            }
            for c in found
        ],
    )


def list_conflicts(db: Any, connection_id: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = db.execute(
        sa.select(conflicts)
        .where(conflicts.c.connection_id == connection_id)
        .order_by(conflicts.c.resolved_at.desc(), conflicts.c.id)
        .limit(limit)
    ).all()
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "crm_id": r.crm_id,
            "remote_id": r.remote_id,
            "field": r.field,
            "crm_value": r.crm_value,
            "remote_value": r.remote_value,
            "winner": r.winner,
            "crm_modified_at": isoformat(r.crm_modified_at),
            "remote_modified_at": isoformat(r.remote_modified_at),
            "resolved_at": isoformat(r.resolved_at),
        }
        for r in rows
    ]
