"""The mail service's reads and writes. Every function takes the session and none
commits: the caller commits, so a batch of mail, its cursor and its events become
durable together or not at all."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.integrations.sync.health import dump_health
from services.platform.errors import NotFound
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from .models import (
    attachments,
    connections,
    links,
    locations,
    messages,
    sender_leads,
    sends,
)

# --- mailboxes ------------------------------------------------------------------------------


def dump_mailbox(row: Any) -> dict[str, Any]:
    """A mailbox as the API shows it: settings and health, never the password."""
    settings = dict(row.settings or {})
    health = dump_health(row)
    counts = health["counts"]
    return {
        "id": row.id,
        "kind": row.kind,
        "email": settings.get("email"),
        "login": settings.get("login"),
        "imap_host": settings.get("imap_host"),
        "imap_port": settings.get("imap_port"),
        "smtp_host": settings.get("smtp_host"),
        "smtp_port": settings.get("smtp_port"),
        "security": settings.get("security"),
        "smtp_security": settings.get("smtp_security"),
        "folders": list(settings.get("folders") or []),
        "sent_folder": settings.get("sent_folder"),
        "sync_since": settings.get("sync_since"),
        "visibility": settings.get("visibility"),
        "store_internal": bool(settings.get("store_internal")),
        "is_shared": row.is_shared,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "has_password": row.secret is not None,
        "state": row.state,
        "health": {
            **health,
            "messages_synced": int(counts.get("messages", 0)),
        },
        "last_synced_at": health["last_synced_at"],
        "messages_synced": int(counts.get("messages", 0)),
        "last_error": health["last_error"],
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "created_by": row.created_by,
    }


def mailbox_row(db: Any, mailbox_id: Any, *, for_update: bool = False) -> Any:
    from services.platform.values import is_uuid

    if not is_uuid(mailbox_id):
        raise _no_mailbox()
    stmt = sa.select(connections).where(connections.c.id == mailbox_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = db.execute(stmt).first()
    if row is None:
        raise _no_mailbox()
    return row


def _no_mailbox() -> NotFound:
    return NotFound("No such mailbox", [{"field": "mailbox_id", "message": "no such mailbox"}])


def insert_mailbox(
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
    mailbox_id = new_id()
    db.execute(
        connections.insert().values(
            id=mailbox_id,
            kind=settings.get("kind", "imap"),
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
    return mailbox_row(db, mailbox_id)


def update_mailbox(db: Any, mailbox_id: str, values: dict[str, Any]) -> Any:
    db.execute(
        connections.update()
        .where(connections.c.id == mailbox_id)
        .values(**values, version=connections.c.version + 1, updated_at=utcnow())
    )
    return mailbox_row(db, mailbox_id)


def list_mailbox_rows(db: Any, *, owner_id: str | None = None, everyone: bool = False) -> list[Any]:
    stmt = sa.select(connections).order_by(connections.c.is_shared.desc(), connections.c.name)
    if not everyone:
        stmt = stmt.where(sa.or_(connections.c.owner_id == owner_id, connections.c.is_shared))
    return list(db.execute(stmt).all())


def mailbox_addresses(db: Any) -> set[str]:
    """Every connected mailbox's own address."""
    return {
        (s or {}).get("email")
        for s in db.scalars(sa.select(connections.c.settings))
        if (s or {}).get("email")
    }


# --- emails as the API shows them ---------------------------------------------------------------

EMAIL_COLUMNS = [c for c in messages.c if c.name not in ("body_text", "body_html")]


def email_holders(db: Any, message_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """For each message: the mailboxes holding it ``{id, owner_id, is_shared,
    visibility, folder}``."""
    if not message_ids:
        return {}
    rows = db.execute(
        sa.select(
            locations.c.message_id,
            locations.c.folder,
            connections.c.id,
            connections.c.owner_id,
            connections.c.is_shared,
            connections.c.settings["visibility"].astext.label("visibility"),
        )
        .join(connections, connections.c.id == locations.c.connection_id)
        .where(locations.c.message_id.in_(message_ids))
        .order_by(locations.c.message_id, connections.c.id, locations.c.folder)
    ).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row.message_id, []).append(
            {
                "id": row.id,
                "owner_id": row.owner_id,
                "is_shared": row.is_shared,
                "visibility": row.visibility or "headers",
                "folder": row.folder,
            }
        )
    return out


def links_of(db: Any, message_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    if not message_ids:
        return {}
    rows = db.execute(
        sa.select(links)
        .where(links.c.message_id.in_(message_ids))
        .order_by(links.c.message_id, links.c.created_at, links.c.record_type)
    ).all()
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row.message_id, []).append(
            {"type": row.record_type, "id": row.record_id, "rule": row.rule}
        )
    return out


def attachments_of(db: Any, message_id: str) -> list[dict[str, Any]]:
    rows = db.execute(
        sa.select(
            attachments.c.id,
            attachments.c.filename,
            attachments.c.content_type,
            attachments.c.size,
            (attachments.c.content.is_not(None)).label("kept"),
        )
        .where(attachments.c.message_id == message_id)
        .order_by(attachments.c.position)
    ).all()
    return [
        {
            "id": r.id,
            "filename": r.filename,
            "content_type": r.content_type,
            "size": r.size,
            "kept": r.kept,
        }
        for r in rows
    ]


def attachment_content(db: Any, message_id: str, attachment_id: str) -> Any:
    return db.execute(
        sa.select(attachments.c.filename, attachments.c.content_type, attachments.c.content).where(
            attachments.c.message_id == message_id, attachments.c.id == attachment_id
        )
    ).first()


def message_rows(db: Any, stmt: Any) -> list[Any]:
    return list(db.execute(stmt).all())


def full_message(db: Any, message_id: str) -> Any:
    return db.execute(sa.select(messages).where(messages.c.id == message_id)).first()


# --- links ---------------------------------------------------------------------------------------


def add_links(
    db: Any,
    message_id: str,
    found: list[tuple[str, str, str]],
    *,
    created_by: str | None = None,
) -> list[dict[str, Any]]:
    """Link the message to ``(record_type, record_id, rule)`` each; the links that are
    new."""
    if not found:
        return []
    now = utcnow()
    result = db.execute(
        insert(links)
        .on_conflict_do_nothing()
        .returning(links.c.record_type, links.c.record_id, links.c.rule),
        [
            {
                "message_id": message_id,
                "record_type": record_type,
                "record_id": record_id,
                "rule": rule,
                "created_at": now,
                "created_by": created_by,
            }
            for record_type, record_id, rule in found
        ],
    )
    return [{"type": r.record_type, "id": r.record_id, "rule": r.rule} for r in result]


def remove_link(db: Any, message_id: str, record_type: str, record_id: str) -> bool:
    result = db.execute(
        links.delete().where(
            links.c.message_id == message_id,
            links.c.record_type == record_type,
            links.c.record_id == record_id,
        )
    )
    return bool(result.rowcount)


def thread_links(db: Any, thread_key: str, exclude_message: str) -> list[tuple[str, str]]:
    rows = db.execute(
        sa.select(links.c.record_type, links.c.record_id)
        .join(messages, messages.c.id == links.c.message_id)
        .where(messages.c.thread_key == thread_key, messages.c.id != exclude_message)
        .distinct()
    ).all()
    return [(r.record_type, r.record_id) for r in rows]


def waiting_in_thread(db: Any, thread_key: str, exclude_message: str) -> list[str]:
    """Messages of a thread that wait in "needs processing" (a reply that arrived
    before the message it answers was linked)."""
    return list(
        db.scalars(
            sa.select(messages.c.id).where(
                messages.c.thread_key == thread_key,
                messages.c.needs_processing,
                messages.c.id != exclude_message,
            )
        )
    )


def pending_messages(db: Any, limit: int) -> list[Any]:
    return list(
        db.execute(
            sa.select(*EMAIL_COLUMNS)
            .where(messages.c.link_state == "pending")
            .order_by(messages.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
    )


def mark_linked(db: Any, message_id: str, *, needs_processing: bool) -> None:
    db.execute(
        messages.update()
        .where(messages.c.id == message_id)
        .values(link_state="done", needs_processing=needs_processing)
    )


def claim_sender_lead(db: Any, address: str, message_id: str) -> bool:
    """True the first time an unknown sender is claimed for a lead."""
    row = db.execute(
        insert(sender_leads)
        .values(address=address, message_id=message_id, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(sender_leads.c.address)
    ).first()
    return row is not None


def sender_lead(db: Any, address: str) -> Any:
    return db.execute(sa.select(sender_leads).where(sender_leads.c.address == address)).first()


def set_sender_lead(db: Any, address: str, lead_id: str) -> None:
    db.execute(
        sender_leads.update().where(sender_leads.c.address == address).values(lead_id=lead_id)
    )


# --- sends ----------------------------------------------------------------------------


def insert_send(db: Any, values: dict[str, Any]) -> str:
    send_id = new_id()
    db.execute(sends.insert().values(id=send_id, created_at=utcnow(), **values))
    return send_id


def update_send(db: Any, send_id: str, **values: Any) -> None:
    db.execute(sends.update().where(sends.c.id == send_id).values(**values))


def send_row(db: Any, send_id: str) -> Any:
    return db.execute(sa.select(sends).where(sends.c.id == send_id)).first()
