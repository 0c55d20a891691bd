"""Email activities in the database: one per message, its links, and what lists read of it.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.ids import new_id

from . import activities_store, domain
from .domain import EmailMessage
from .models import Activity, ActivityEmail, ActivityLink

#: The fields of an email activity that follow the message (compared on every event).
FOLLOWED = ("title", "description", "start_at", "completed_at", "related_type", "related_id")


def lock_message(db: Any, email_id: str) -> None:
    """Hold the message's lock to the end of the transaction: ``email_sent`` and
    ``email_linked`` of one message come together and are handled by two workers at
    once; the second waits and then finds the activity the first made."""
    db.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"sales.activity_emails:{email_id}"},
    )


def record_message(
    db: Any,
    message: EmailMessage,
    *,
    created_by: str,
    now: datetime,
    drop: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[Any, list[str] | None]:
    """The message's email activity made or brought up to date: (the activity, None when
    it was made, else the names of the fields that changed — empty when nothing did).

    Links only grow here (events may come in any order; ``all_links`` of an older
    ``email_linked`` must not take away what a newer one added) but for those in
    ``drop`` (a link removed by hand, ``email_unlinked``); the rest follows the latest
    event, its visibility included. An activity left linked to nothing is deleted:
    (its last state as a dict, ``["deleted"]``); none is made for a message that
    ``drop`` leaves without links: (None, []).
    """
    lock_message(db, message.email_id)
    found = db.execute(
        sa.select(Activity, ActivityEmail)
        .join(ActivityEmail, ActivityEmail.activity_id == Activity.id)
        .where(ActivityEmail.email_id == message.email_id)
    ).first()
    if found is None:
        if drop and not set(message.links) - drop:
            return None, []
        return _insert(db, message, created_by=created_by, now=now), None
    record, email = found
    known = links_of(db, record.id)
    links = (known - drop) | (set(message.links) - drop)
    if drop and not links:
        last_state = activities_store.dump_activity(db, record)
        db.delete(record)  # its participants, email and links go with it (cascade)
        db.flush()
        return last_state, ["deleted"]
    changed = _follow(record, message, links)
    participants = domain.email_participants(message, links)
    if participants != _participants(db, record.id):
        activities_store.store_participants(db, record.id, participants, replace=True)
        changed.append("participants")
    if links != known:
        _add_links(db, record.id, links - known)
        _remove_links(db, record.id, known - links)
        changed.append("links")
    for name, value in _email_values(message).items():
        if getattr(email, name) != value:
            setattr(email, name, value)
            changed.append("email")
    changed = list(dict.fromkeys(changed))
    if changed:
        record.version = record.version + 1
        record.updated_at = now
    db.flush()
    return record, changed


def _insert(db: Any, message: EmailMessage, *, created_by: str, now: datetime) -> Any:
    links = set(message.links)
    when = message.sent_at or now
    related = domain.email_related(links)
    record = activities_store.insert(
        db,
        {
            "id": new_id(),
            "type": "email",
            "title": domain.email_title(message),
            "description": domain.email_description(message),
            "status": "completed",
            "priority": "normal",
            "start_at": when,
            "completed_at": when,
            "related_type": related[0] if related else None,
            "related_id": related[1] if related else None,
            "owner_id": None,
            "team_id": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": created_by,
            "participants": domain.email_participants(message, links),
        },
    )
    db.add(
        ActivityEmail(activity_id=record.id, email_id=message.email_id, **_email_values(message))
    )
    _add_links(db, record.id, links)
    db.flush()
    return record


def _email_values(message: EmailMessage) -> dict[str, Any]:
    return {
        "message_id": domain.kept_message_id(message),
        "thread_key": message.thread_key,
        "direction": message.direction,
        "visibility": message.visibility,
    }


def _follow(record: Any, message: EmailMessage, links: set[tuple[str, str]]) -> list[str]:
    related = domain.email_related(links)
    values: dict[str, Any] = {
        "title": domain.email_title(message),
        "description": domain.email_description(message),
        "related_type": related[0] if related else None,
        "related_id": related[1] if related else None,
    }
    if message.sent_at is not None:
        values["start_at"] = values["completed_at"] = message.sent_at
    changed = []
    for name in FOLLOWED:
        if name in values and getattr(record, name) != values[name]:
            setattr(record, name, values[name])
            changed.append(name)
    return changed


def _add_links(db: Any, activity_id: str, links: set[tuple[str, str]]) -> None:
    if links:
        db.execute(
            sa.insert(ActivityLink),
            [
                {"activity_id": activity_id, "record_type": kind, "record_id": record_id}
                for kind, record_id in sorted(links)
            ],
        )


def _remove_links(db: Any, activity_id: str, links: set[tuple[str, str]]) -> None:
    for kind, record_id in links:
        db.execute(
            sa.delete(ActivityLink).where(
                ActivityLink.activity_id == activity_id,
                ActivityLink.record_type == kind,
                ActivityLink.record_id == record_id,
            )
        )


def _participants(db: Any, activity_id: str) -> list[dict[str, str]]:
    item: dict[str, Any] = {"id": activity_id}
    activities_store.attach_participants(db, [item])
    return item["participants"]


def links_of(db: Any, activity_id: str) -> set[tuple[str, str]]:
    """The records the activity shows on, ``{(type, id)}``."""
    rows = db.execute(
        sa.select(ActivityLink.record_type, ActivityLink.record_id).where(
            ActivityLink.activity_id == activity_id
        )
    ).all()
    return {(kind, record_id) for kind, record_id in rows}


def move_links(db: Any, record_type: str, kept_id: str, merged_ids: list[str]) -> set[str]:
    """Links to merged records name the kept one (an activity linked to several of them
    keeps one row); the ids of the activities whose links changed."""
    merged = sa.and_(
        ActivityLink.record_type == record_type, ActivityLink.record_id.in_(merged_ids)
    )
    db.execute(
        pg_insert(ActivityLink)
        .from_select(
            ["activity_id", "record_type", "record_id"],
            sa.select(
                ActivityLink.activity_id,
                sa.literal(record_type),
                sa.cast(sa.literal(kept_id), ActivityLink.record_id.type),
            )
            .where(merged)
            .distinct(),
        )
        .on_conflict_do_nothing()
    )
    moved = db.execute(
        sa.delete(ActivityLink).where(merged).returning(ActivityLink.activity_id),
        execution_options={"synchronize_session": False},
    ).scalars()
    return set(moved)
