"""Storing synced mail: a batch of parsed messages kept once each (by Message-ID, else a
content hash) with where it was found, its attachments and its events — new messages
COPYed in a savepoint, the INSERT ... ON CONFLICT when another instance stored one
meanwhile. Every function takes the session and none commits (:mod:`.store`)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson
import psycopg2
import sqlalchemy as sa

from services.platform.events import envelope, isoformat, utcnow
from services.platform.ids import new_id

from .models import attachments, locations, messages
from .parsing import Parsed

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
