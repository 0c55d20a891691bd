"""SQL of the social channels and their webhooks: functions that take the session ``db``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from services.integrations.sync.health import dump_health
from services.integrations.sync.leases import _add_counts
from services.platform.errors import NotFound
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from .models import connections, dialogues, hook_events, hook_log

UUID_TEXT = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def channel_row(db: Any, channel_id: str, *, lock: bool = False) -> Any:
    """The channel's row; ``NotFound`` when there is none (or the id is no uuid)."""
    if not isinstance(channel_id, str) or not UUID_TEXT.match(channel_id):
        raise NotFound("No such social channel")
    query = sa.select(connections).where(connections.c.id == channel_id)
    if lock:
        query = query.with_for_update()
    row = db.execute(query).first()
    if row is None:
        raise NotFound("No such social channel")
    return row


def list_channels(db: Any) -> list[Any]:
    return db.execute(sa.select(connections).order_by(connections.c.created_at)).all()


def insert_channel(db: Any, values: dict[str, Any]) -> Any:
    now = utcnow()
    return db.execute(
        connections.insert()
        .values(next_sync_at=now, created_at=now, updated_at=now, **values)
        .returning(connections)
    ).one()


def update_channel(db: Any, channel_id: str, values: dict[str, Any]) -> Any:
    return db.execute(
        connections.update()
        .where(connections.c.id == channel_id)
        .values(updated_at=utcnow(), version=connections.c.version + 1, **values)
        .returning(connections)
    ).one()


def delete_channel(db: Any, channel_id: str) -> None:
    db.execute(connections.delete().where(connections.c.id == channel_id))


def dump_channel(row: Any, secret_names: list[str]) -> dict[str, Any]:
    settings = dict(row.settings or {})
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "is_active": row.state == "active",
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        **{k: v for k, v in settings.items()},
        "secrets_set": sorted(secret_names),
        "hook_path": f"/api/v1/hooks/{row.kind}/{row.id}",
        "health": dump_health(row),
        "version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


# --- what came in -------------------------------------------------------------------------


def claim_delivery(db: Any, channel_id: str, external_id: str) -> bool:
    """Claim one platform delivery in this transaction: True the first time. A second
    claim of the same id waits for the first's transaction, then finds it applied (or
    claims it, when the first rolled back)."""
    row = db.execute(
        insert(hook_events)
        .values(channel_id=channel_id, external_id=external_id, received_at=utcnow())
        .on_conflict_do_nothing()
        .returning(hook_events.c.external_id)
    ).first()
    return row is not None


def applied_delivery(db: Any, channel_id: str, external_id: str) -> Any:
    return db.execute(
        sa.select(hook_events).where(
            hook_events.c.channel_id == channel_id, hook_events.c.external_id == external_id
        )
    ).first()


def finish_delivery(
    db: Any, channel_id: str, external_id: str, lead_id: str | None, answer: Any = None
) -> None:
    db.execute(
        hook_events.update()
        .where(hook_events.c.channel_id == channel_id, hook_events.c.external_id == external_id)
        .values(lead_id=lead_id, answer=answer)
    )


def log_request(
    db: Any,
    *,
    channel_id: str | None,
    kind: str,
    outcome: str,
    detail: str | None = None,
    external_id: str | None = None,
    lead_id: str | None = None,
    client_ip: str | None = None,
) -> None:
    db.execute(
        hook_log.insert().values(
            id=new_id(),
            channel_id=channel_id,
            kind=kind,
            outcome=outcome,
            detail=(detail or "")[:1000] or None,
            external_id=external_id,
            lead_id=lead_id,
            client_ip=(client_ip or "")[:64] or None,
            received_at=utcnow(),
        )
    )


def count(db: Any, channel_id: str, counts: dict[str, int], *, success: bool | None) -> None:
    """Add to a channel's counters; a success or failure sets its health too."""
    values: dict[str, Any] = {"counts": _add_counts(connections.c.counts, counts)}
    now = utcnow()
    if success is True:
        values.update(last_synced_at=now, failures=0, last_error=None)
    elif success is False:
        values.update(failures=connections.c.failures + 1, last_error_at=now)
    db.execute(connections.update().where(connections.c.id == channel_id).values(**values))


def set_error(db: Any, channel_id: str, error: str) -> None:
    db.execute(
        connections.update()
        .where(connections.c.id == channel_id)
        .values(
            last_error=error[:1000], last_error_at=utcnow(), failures=connections.c.failures + 1
        )  # fmt: skip
    )


def channel_log(db: Any, channel_id: str, limit: int, before: datetime | None) -> list[Any]:
    query = sa.select(hook_log).where(hook_log.c.channel_id == channel_id)
    if before is not None:
        query = query.where(hook_log.c.received_at < before)
    return db.execute(
        query.order_by(hook_log.c.received_at.desc(), hook_log.c.id.desc()).limit(limit)
    ).all()


def dump_log(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel_id": row.channel_id,
        "kind": row.kind,
        "outcome": row.outcome,
        "detail": row.detail,
        "external_id": row.external_id,
        "lead_id": row.lead_id,
        "client_ip": row.client_ip,
        "received_at": isoformat(row.received_at),
    }


# --- Telegram dialogues -------------------------------------------------------------------


def dialogue(db: Any, channel_id: str, chat_id: str) -> Any:
    return db.execute(
        sa.select(dialogues)
        .where(dialogues.c.channel_id == channel_id, dialogues.c.chat_id == chat_id)
        .with_for_update()
    ).first()


def save_dialogue(
    db: Any, channel_id: str, chat_id: str, step: str, answers: dict[str, Any], lead_id: Any
) -> None:
    stmt = insert(dialogues).values(
        channel_id=channel_id,
        chat_id=chat_id,
        step=step,
        answers=answers,
        lead_id=lead_id,
        updated_at=utcnow(),
    )
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=[dialogues.c.channel_id, dialogues.c.chat_id],
            set_={
                "step": stmt.excluded.step,
                "answers": stmt.excluded.answers,
                "lead_id": stmt.excluded.lead_id,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )
