"""The Exchange service's SQL: connections, item links and the conflict log. Functions
take the session ``db``; the caller commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert

from services.integrations.sync.health import dump_health
from services.platform.errors import NotFound
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.values import is_uuid

from .models import conflicts, connections, item_links

#: what a connection shows of its settings (all but what autodiscover found)
SHOWN = (
    "email",
    "login",
    "auth",
    "ews_url",
    "autodiscover_url",
    "discovered_ews_url",
    "sync_mail",
    "visibility",
    "import_contacts",
    "contact_folders",
    "export_contacts",
    "export_contact_ids",
    "sync_calendar",
    "sync_tasks",
    "deletions",
    "past_days",
    "future_days",
)


def no_connection() -> NotFound:
    return NotFound("No such Exchange connection", [{"field": "id", "message": "not found"}])


def dump_connection(row: Any) -> dict[str, Any]:
    """A connection as the API shows it: settings and health, never the secret."""
    settings = dict(row.settings or {})
    health = dump_health(row)
    return {
        "id": row.id,
        "kind": row.kind,
        **{key: settings.get(key) for key in SHOWN},
        "is_shared": row.is_shared,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "has_secret": row.secret is not None,
        "state": row.state,
        "health": health,
        "last_synced_at": health["last_synced_at"],
        "last_error": health["last_error"],
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "created_by": row.created_by,
    }


def connection_row(db: Any, connection_id: Any, *, for_update: bool = False) -> Any:
    if not is_uuid(connection_id):  # an id that cannot be one names no connection
        raise no_connection()
    stmt = sa.select(connections).where(connections.c.id == str(connection_id))
    if for_update:
        stmt = stmt.with_for_update()
    row = db.execute(stmt).first()
    if row is None:
        raise no_connection()
    return row


def insert_connection(
    db: Any,
    *,
    settings: dict[str, Any],
    secret: bytes,
    owner_id: str | None,
    team_id: str | None,
    is_shared: bool,
    created_by: str,
) -> Any:
    now = utcnow()
    connection_id = new_id()
    db.execute(
        connections.insert().values(
            id=connection_id,
            kind="exchange",
            name=settings["email"],
            owner_id=owner_id,
            team_id=team_id,
            is_shared=is_shared,
            settings=settings,
            secret=secret,
            state="active",
            next_sync_at=now,
            created_at=now,
            updated_at=now,
            created_by=created_by,
        )
    )
    return connection_row(db, connection_id)


def update_connection(db: Any, connection_id: str, values: dict[str, Any]) -> Any:
    db.execute(
        connections.update()
        .where(connections.c.id == connection_id)
        .values(**values, updated_at=utcnow(), version=connections.c.version + 1)
    )
    return connection_row(db, connection_id)


def list_connection_rows(db: Any, *, owner_id: str, everyone: bool) -> list[Any]:
    stmt = sa.select(connections).order_by(connections.c.created_at, connections.c.id)
    if not everyone:
        stmt = stmt.where(sa.or_(connections.c.owner_id == owner_id, connections.c.is_shared))
    return list(db.execute(stmt).all())


# -- item links -----------------------------------------------------------------------


def link_of(db: Any, connection_id: str, kind: str, remote_id: str, occurrence: str = "") -> Any:
    return db.execute(
        sa.select(item_links).where(
            item_links.c.connection_id == connection_id,
            item_links.c.kind == kind,
            item_links.c.remote_id == remote_id,
            item_links.c.occurrence == occurrence,
        )
    ).first()


def links_of_series(db: Any, connection_id: str, remote_id: str) -> list[Any]:
    """Every link of a meeting item (its occurrences, for a series)."""
    return list(
        db.execute(
            sa.select(item_links).where(
                item_links.c.connection_id == connection_id,
                item_links.c.remote_id == remote_id,
            )
        ).all()
    )


def change_keys(
    db: Any, connection_id: str, kind: str, remote_ids: list[str]
) -> dict[str, set[str | None]]:
    """The change keys these items were last synced at, by item id (a series has a link
    per occurrence, each with the series' change key): one query for a page."""
    if not remote_ids:
        return {}
    rows = db.execute(
        sa.select(item_links.c.remote_id, item_links.c.change_key).where(
            item_links.c.connection_id == connection_id,
            item_links.c.kind == kind,
            item_links.c.remote_id.in_(remote_ids),
        )
    ).all()
    found: dict[str, set[str | None]] = {}
    for remote_id, change_key in rows:
        found.setdefault(remote_id, set()).add(change_key)
    return found


def link_by_crm(db: Any, connection_id: str, crm_id: str) -> Any:
    return db.execute(
        sa.select(item_links).where(
            item_links.c.connection_id == connection_id, item_links.c.crm_id == crm_id
        )
    ).first()


def save_link(
    db: Any,
    connection_id: str,
    kind: str,
    remote_id: str,
    crm_id: str,
    *,
    occurrence: str = "",
    change_key: str | None = None,
    crm_version: int | None = None,
    remote_modified_at: datetime | None = None,
    snapshot: dict[str, Any] | None = None,
) -> None:
    values = {
        "connection_id": connection_id,
        "kind": kind,
        "remote_id": remote_id,
        "occurrence": occurrence,
        "crm_id": crm_id,
        "change_key": change_key,
        "crm_version": crm_version,
        "remote_modified_at": remote_modified_at,
        "snapshot": snapshot or {},
        "updated_at": utcnow(),
    }
    stmt = insert(item_links).values(**values)
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=[
                item_links.c.connection_id,
                item_links.c.kind,
                item_links.c.remote_id,
                item_links.c.occurrence,
            ],
            set_={k: stmt.excluded[k] for k in values if k not in ("connection_id", "kind")},
        )
    )


def drop_link(db: Any, connection_id: str, kind: str, remote_id: str, occurrence: str = "") -> None:
    db.execute(
        item_links.delete().where(
            item_links.c.connection_id == connection_id,
            item_links.c.kind == kind,
            item_links.c.remote_id == remote_id,
            item_links.c.occurrence == occurrence,
        )
    )


def count_links(db: Any, connection_id: str) -> dict[str, int]:
    rows = db.execute(
        sa.select(item_links.c.kind, sa.func.count())
        .where(item_links.c.connection_id == connection_id)
        .group_by(item_links.c.kind)
    ).all()
    return {kind: n for kind, n in rows}


# -- conflicts ------------------------------------------------------------------------


def log_conflicts(
    db: Any,
    connection_id: str,
    kind: str,
    crm_id: str,
    remote_id: str,
    found: list[dict[str, Any]],
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
                "field": c["field"],
                "crm_value": c["crm_value"],
                "remote_value": c["remote_value"],
                "winner": c["winner"],
                "at": now,
            }
            for c in found
        ],
    )


def list_conflicts(db: Any, connection_id: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = db.execute(
        sa.select(conflicts)
        .where(conflicts.c.connection_id == connection_id)
        .order_by(conflicts.c.at.desc(), conflicts.c.id)
        .limit(limit)
    ).all()
    return [
        {
            "kind": r.kind,
            "crm_id": r.crm_id,
            "field": r.field,
            "crm_value": r.crm_value,
            "remote_value": r.remote_value,
            "winner": r.winner,
            "at": isoformat(r.at),
        }
        for r in rows
    ]


def mark_crm_deleted(db: Any, crm_id: str) -> int:
    """A CRM record was deleted: its links wait for the next sync of their connection,
    which deletes the Exchange item (deletions ``mirror``) or leaves it unlinked."""
    result = db.execute(
        item_links.update()
        .where(item_links.c.crm_id == crm_id)
        .values(
            snapshot=item_links.c.snapshot.op("||")(sa.literal({"crm_deleted": True}, JSONB)),
            updated_at=utcnow(),
        )
    )
    return result.rowcount or 0


def crm_deleted_links(db: Any, connection_id: str, kinds: tuple[str, ...]) -> list[Any]:
    return list(
        db.execute(
            sa.select(item_links).where(
                item_links.c.connection_id == connection_id,
                item_links.c.kind.in_(kinds),
                item_links.c.snapshot["crm_deleted"].astext == "true",
            )
        ).all()
    )
