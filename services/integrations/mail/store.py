"""The mail service's reads and writes. Every function takes the session and none
commits: the caller commits, so a batch of mail, its cursor and its events become
durable together or not at all."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
import psycopg2
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.integrations.sync.health import dump_health
from services.platform.errors import NotFound
from services.platform.events import envelope, isoformat, utcnow
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
from .parsing import Parsed

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


# --- storing synced mail ----------------------------------------------------------------------


def known_keys(db: Any, keys: Iterable[str]) -> dict[str, str]:
    keys = list(set(keys))
    if not keys:
        return {}
    # one array parameter: an IN list is rendered value by value for every batch
    rows = db.execute(_KNOWN_KEYS, {"keys": keys}).all()
    return {row.message_key: row.id for row in rows}


_KNOWN_KEYS = sa.text(
    f"SELECT message_key, id FROM {messages.fullname} "
    "WHERE message_key = ANY(CAST(:keys AS text[]))"
)


def message_row(
    parsed: Parsed,
    *,
    direction: str,
    now: datetime,
    mailbox_id: str | None = None,
    user_id: str | None = None,
    team_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "message_key": parsed.key,
        "message_id": parsed.message_id,
        "thread_key": parsed.thread_key,
        "subject": parsed.subject[:5000],
        "from_address": parsed.from_address,
        "from_name": (parsed.from_name or None),
        "to_addresses": parsed.to,
        "cc_addresses": parsed.cc,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "sent_at": parsed.sent_at,
        "snippet": parsed.snippet,
        "body_text": parsed.body_text,
        "body_html": parsed.body_html,
        "size": min(parsed.size, 2**31 - 1),
        "has_attachments": bool(parsed.attachments),
        "problems": parsed.problems,
        "direction": direction,
        "needs_processing": False,
        "link_state": "pending",
        "created_at": now,
        "mailbox_id": mailbox_id,
        "user_id": user_id,
        "team_id": team_id,
    }


def store_messages(
    db: Any,
    *,
    mailbox_id: str,
    folder: str,
    uidvalidity: int,
    items: Sequence[tuple[int, Parsed]],
    direction: str,
    user_id: str | None = None,
    team_id: str | None = None,
) -> list[dict[str, Any]]:
    """Store ``(uid, parsed)`` found in one folder: a message already stored (by its
    key, from another folder or mailbox) only gains a location. Emits
    ``email_received`` for each message stored for the first time; returns those
    messages' summaries. ``user_id`` and ``team_id``: the mailbox's owner and team,
    whom the message counts for (analytics)."""
    if not items:
        return []
    now = utcnow()
    existing = known_keys(db, (parsed.key for _uid, parsed in items))
    new_rows: dict[str, dict[str, Any]] = {}
    parsed_by_key: dict[str, Parsed] = {}
    for _uid, parsed in items:
        if parsed.key in existing or parsed.key in new_rows:
            continue
        new_rows[parsed.key] = message_row(
            parsed,
            direction=direction,
            now=now,
            mailbox_id=mailbox_id,
            user_id=user_id,
            team_id=team_id,
        )
        parsed_by_key[parsed.key] = parsed
    inserted: set[str] = set()
    if new_rows:
        # Another instance may store the same message from another mailbox meanwhile.
        if _copy_messages(db, list(new_rows.values())):
            inserted = set(new_rows)
        else:
            result = db.execute(_ADD_MESSAGES, {"rows": _as_json(list(new_rows.values()))})
            inserted = {row.message_key for row in result}
        lost = [key for key in new_rows if key not in inserted]
        if lost:
            existing.update(known_keys(db, lost))
    ids = {**existing, **{key: new_rows[key]["id"] for key in inserted}}
    db.execute(
        _ADD_LOCATIONS,
        {
            "connection_id": mailbox_id,
            "folder": folder,
            "uidvalidity": uidvalidity,
            "uids": [uid for uid, _parsed in items],
            "message_ids": [ids[parsed.key] for _uid, parsed in items],
        },
    )
    attachment_rows = [
        {
            "id": new_id(),
            "message_id": new_rows[key]["id"],
            "position": position,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "content": attachment.content,
        }
        for key in inserted
        for position, attachment in enumerate(parsed_by_key[key].attachments)
    ]
    if attachment_rows:
        db.execute(attachments.insert(), attachment_rows)
    received = [
        {
            **summary(new_rows[key], mailbox_id=mailbox_id, folder=folder),
            "user_id": user_id,
            "team_id": team_id,
        }
        for key in new_rows
        if key in inserted
    ]
    emit_many(db, "email_received", received)
    return received


#: messages' columns and their PostgreSQL types, for the one INSERT of a batch
_MESSAGE_TYPES = {
    "id": "uuid",
    "message_key": "text",
    "message_id": "text",
    "thread_key": "text",
    "subject": "text",
    "from_address": "text",
    "from_name": "text",
    "to_addresses": "jsonb",
    "cc_addresses": "jsonb",
    "in_reply_to": "text",
    "references": "jsonb",
    "sent_at": "timestamptz",
    "snippet": "text",
    "body_text": "text",
    "body_html": "text",
    "size": "integer",
    "has_attachments": "boolean",
    "problems": "jsonb",
    "direction": "text",
    "needs_processing": "boolean",
    "link_state": "text",
    "created_at": "timestamptz",
    "mailbox_id": "uuid",
    "user_id": "uuid",
    "team_id": "uuid",
}
_MESSAGE_COLUMNS = ", ".join(f'"{column}"' for column in _MESSAGE_TYPES)  # "references"
# A batch's rows travel as one JSON document (orjson writes it in C, PostgreSQL reads
# it): handing the driver 25 arrays of 500 values each had it quote every value one by
# one while holding the GIL, longer than the rest of storing the batch.
_ADD_MESSAGES = sa.text(
    f"INSERT INTO {messages.fullname} ({_MESSAGE_COLUMNS}) SELECT * FROM json_to_recordset("
    "CAST(:rows AS json)) AS t("
    + ", ".join(f'"{c}" {t}' for c, t in _MESSAGE_TYPES.items())
    + ") ON CONFLICT (message_key) DO NOTHING RETURNING message_key"
)


def _as_json(rows: list[dict[str, Any]]) -> str:
    return orjson.dumps(rows).decode()


def _copy_messages(db: Any, rows: list[dict[str, Any]]) -> bool:
    """COPY the batch's new messages into the table, in a savepoint: PostgreSQL reads
    COPY's text in half the time of any INSERT's parameters. False, with nothing
    written, when it could not (another instance stored one of these messages
    meanwhile: the unique key refuses it), and the INSERT ... ON CONFLICT stores them."""
    data = "".join(_copy_line(row) for row in rows).encode("utf-8", "surrogatepass")
    cursor = db.connection().connection.dbapi_connection.cursor()
    try:
        cursor.execute("SAVEPOINT mail_copy")
        try:
            cursor.copy_expert(_COPY_MESSAGES, io.BytesIO(data))
        except psycopg2.Error:
            cursor.execute("ROLLBACK TO SAVEPOINT mail_copy")
            return False
        cursor.execute("RELEASE SAVEPOINT mail_copy")
        return True
    finally:
        cursor.close()


_COPY_MESSAGES = f"COPY {messages.fullname} ({_MESSAGE_COLUMNS}) FROM STDIN"


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and CR escaped."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value:
        value = value.replace("\t", "\\t")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    if "\r" in value:
        value = value.replace("\r", "\\r")
    return value


def _copy_line(row: dict[str, Any]) -> str:
    text = _copy_text
    return (
        "\t".join(
            [
                row["id"],
                text(row["message_key"]),
                _nullable(row["message_id"]),
                text(row["thread_key"]),
                text(row["subject"]),
                _nullable(row["from_address"]),
                _nullable(row["from_name"]),
                text(orjson.dumps(row["to_addresses"]).decode()),
                text(orjson.dumps(row["cc_addresses"]).decode()),
                _nullable(row["in_reply_to"]),
                text(orjson.dumps(row["references"]).decode()),
                row["sent_at"].isoformat() if row["sent_at"] is not None else "\\N",
                text(row["snippet"]),
                _nullable(row["body_text"]),
                _nullable(row["body_html"]),
                str(row["size"]),
                "t" if row["has_attachments"] else "f",
                text(orjson.dumps(row["problems"]).decode()),
                text(row["direction"]),
                "t" if row["needs_processing"] else "f",
                text(row["link_state"]),
                row["created_at"].isoformat(),
                row["mailbox_id"] or "\\N",
                row["user_id"] or "\\N",
                row["team_id"] or "\\N",
            ]
        )
        + "\n"
    )


def _nullable(value: str | None) -> str:
    return "\\N" if value is None else _copy_text(value)


# Rows as arrays in one statement made once: an executemany with ON CONFLICT went row by
# row, and a multi-row VALUES was compiled anew for every batch (longer than storing it).
_ADD_LOCATIONS = sa.text(
    f"INSERT INTO {locations.fullname} (connection_id, folder, uidvalidity, uid, message_id) "
    "SELECT :connection_id, :folder, :uidvalidity, uid, message_id "
    "FROM unnest(CAST(:uids AS bigint[]), CAST(:message_ids AS uuid[])) AS t(uid, message_id) "
    "ON CONFLICT DO NOTHING"
)


def summary(row: dict[str, Any], *, mailbox_id: str | None, folder: str | None) -> dict[str, Any]:
    """What an event says of a message: who, to whom, when and what about; never its
    body (events reach every consumer; the body follows the mailbox's privacy)."""
    return {
        "id": row["id"],
        "message_id": row["message_id"],
        "thread_key": row["thread_key"],
        "subject": row["subject"],
        "from": row["from_address"],
        "to": [a["address"] for a in row["to_addresses"]],
        "cc": [a["address"] for a in row["cc_addresses"]],
        "sent_at": isoformat(row["sent_at"]),
        "direction": row["direction"],
        "mailbox_id": mailbox_id,
        "folder": folder,
    }


def emit_many(
    db: Any, event_type: str, datas: list[dict[str, Any]], actor: dict | None = None
) -> None:
    """Write many events of one type into the outbox with one statement (a first sync
    stores thousands of messages; one INSERT each would cost more than storing them).
    The events of one call share their ``occurred_at``: they happen in one
    transaction."""
    if not datas:
        return
    base = envelope(event_type, {}, actor=actor, source=db.source)
    events = [{**base, "id": new_id(), "data": data} for data in datas]
    db.execute(
        sa.text(
            f"INSERT INTO {db.outbox.fullname} (id, type, occurred_at, envelope) "
            "SELECT CAST(e->>'id' AS uuid), :type, CAST(e->>'occurred_at' AS timestamptz), e "
            "FROM jsonb_array_elements(CAST(:events AS jsonb)) AS e"
        ),
        {"type": event_type, "events": orjson.dumps(events).decode()},
    )
    db.info.setdefault("outbox_ids", []).extend(e["id"] for e in events)


def forget_folder(db: Any, mailbox_id: str, folder: str) -> int:
    """Drop the locations of a folder whose UIDVALIDITY changed (its UIDs mean other
    messages now); the messages stay and find their new UIDs by their keys."""
    result = db.execute(
        locations.delete().where(
            locations.c.connection_id == mailbox_id, locations.c.folder == folder
        )
    )
    return result.rowcount or 0


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
