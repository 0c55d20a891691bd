"""The feed's SQL and the steps every part shares: the live stream's items, record
references, subscriptions, channels and their members, which posts a caller sees, and
notifications. Functions that take the session ``db`` first.

Every visible change also writes a *stream item* (:func:`stream_item`); :func:`commit`
numbers the transaction's items from the gap-free counter (``feed.stream_counter``, one
row taken under its row lock as the last statement before commit, so seq order is
commit order), stores them in ``feed.stream_items``, emits ``stream_item_added`` for
each into the outbox and commits — all in the same transaction as the change.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.errors import Conflict, NotFound
from services.platform.events import isoformat, utcnow
from services.platform.idempotency import claimed_cte
from services.platform.ids import new_id

from . import domain
from .models import (
    channel_members,
    channels,
    notifications,
    record_refs,
    stream_counter,
    stream_items,
    subscriptions,
    system_post_settings,
)
from .schemas import dump_notification, dump_subscription, stream_wire

# The statements every record event runs, made once (building one per call cost more
# than running it).
_UPSERT_REF = (
    pg_insert(record_refs)
    .values(
        type=sa.bindparam("type"),
        id=sa.bindparam("id"),
        owner_id=sa.bindparam("owner_id"),
        team_id=sa.bindparam("team_id"),
        title=sa.bindparam("title"),
        updated_at=sa.bindparam("updated_at"),
    )
    .returning(record_refs.c.owner_id)
)
_UPSERT_REF = _UPSERT_REF.on_conflict_do_update(
    index_elements=["type", "id"],
    set_={
        "owner_id": sa.case(
            (sa.bindparam("has_owner", type_=sa.Boolean), _UPSERT_REF.excluded.owner_id),
            else_=record_refs.c.owner_id,
        ),
        "team_id": sa.case(
            (sa.bindparam("has_team", type_=sa.Boolean), _UPSERT_REF.excluded.team_id),
            else_=record_refs.c.team_id,
        ),
        # a title only when the event has one
        "title": sa.func.coalesce(
            sa.func.nullif(_UPSERT_REF.excluded.title, ""), record_refs.c.title
        ),
        "updated_at": _UPSERT_REF.excluded.updated_at,
    },
)
_SUBSCRIBE = (
    pg_insert(subscriptions)
    .values(
        id=sa.bindparam("id"),
        user_id=sa.bindparam("user_id"),
        target_type=sa.bindparam("target_type"),
        target_id=sa.bindparam("target_id"),
        created_at=sa.bindparam("created_at"),
    )
    .on_conflict_do_nothing(index_elements=["user_id", "target_type", "target_id"])
)


# -- the live stream -------------------------------------------------------------


def stream_item(db: Any, item_type: str, audience: dict[str, Any], data: dict[str, Any]) -> None:
    """Queue a stream item; ``_commit`` numbers and writes it with the change."""
    db.info.setdefault("stream", []).append((item_type, audience, data))


def commit(db: Any) -> None:
    """Write the queued stream items under the gap-free counter, then commit."""
    pending = db.info.pop("stream", [])
    if pending:
        # The UPDATE takes the counter's row lock until commit: concurrent writers
        # queue here, so seqs are handed out in commit order and never skipped.
        bump = (
            sa.update(stream_counter)
            .where(stream_counter.c.id == 1)
            .values(last_seq=stream_counter.c.last_seq + len(pending))
            .returning(stream_counter.c.last_seq)
        )
        last = db.execute(bump).scalar_one_or_none()
        if last is None:
            # The row is seeded by the migration; should it be missing (an emptied
            # table), it restarts after the newest item kept.
            db.execute(
                pg_insert(stream_counter)
                .from_select(
                    ["id", "last_seq"],
                    sa.select(sa.literal(1), sa.func.coalesce(sa.func.max(stream_items.c.seq), 0)),
                )
                .on_conflict_do_nothing(index_elements=["id"])
            )
            last = db.execute(bump).scalar_one()
        first = last - len(pending) + 1
        now = utcnow()
        rows = []
        for offset, (item_type, audience, data) in enumerate(pending):
            rows.append(
                {
                    "seq": first + offset,
                    "type": item_type,
                    "occurred_at": now,
                    "audience": audience,
                    "data": data,
                }
            )
        db.execute(stream_items.insert(), rows)
        for row in rows:
            db.emit("stream_item_added", stream_wire(row))
    db.commit()


def rollback(db: Any) -> None:
    db.info.pop("stream", None)
    db.rollback()


# -- records ----------------------------------------------------------------------


def record_ref(db: Any, record_type: str, record_id: str) -> dict[str, Any]:
    """The record's owner and team as the feed last heard; unknown → shared (nulls)."""
    row = db.execute(
        sa.select(record_refs).where(
            record_refs.c.type == record_type, record_refs.c.id == record_id
        )
    ).first()
    return {
        "type": record_type,
        "id": record_id,
        "owner_id": row.owner_id if row else None,
        "team_id": row.team_id if row else None,
        "title": row.title if row else None,
    }


def upsert_ref(
    db: Any, record_type: str, record: dict[str, Any], *, follow: bool = True
) -> str | None:
    """Keep the record's owner/team/title; the owner follows it. Returns the owner
    (the one the event carries, else the one the feed knew). A record the feed knew
    that now has another owner or team queues ``record_access_changed``
    (:func:`.record_shares.reassigned_item`; written by :func:`commit`)."""
    if not domain.is_uuid(record.get("id")):
        return None
    # locked until commit: a reassignment's item is numbered after the one before it
    before = db.execute(
        sa.select(record_refs.c.owner_id, record_refs.c.team_id)
        .where(record_refs.c.type == record_type, record_refs.c.id == record["id"])
        .with_for_update()
    ).first()
    owner = db.execute(
        _UPSERT_REF,
        {
            "type": record_type,
            "id": record["id"],
            "owner_id": record.get("owner_id"),
            "team_id": record.get("team_id"),
            "title": domain.record_title(record),
            "updated_at": utcnow(),
            # An event that does not carry a field leaves it as it was (never "shared").
            "has_owner": "owner_id" in record,
            "has_team": "team_id" in record,
        },
    ).scalar_one()
    if follow and domain.is_uuid(owner):
        subscribe(db, owner, record_type, record["id"])
    if before is not None:
        was = {"owner_id": _text(before.owner_id), "team_id": _text(before.team_id)}
        now = {k: _text(record[k]) if k in record else was[k] for k in was}
        if now != was:
            from . import record_shares  # it builds on this module

            record_shares.reassigned_item(db, record_type, str(record["id"]), was)
    return owner


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


@functools.cache
def _ref_alone(processed_events: sa.Table) -> sa.TextClause:
    """:data:`_UPSERT_REF` and :data:`_SUBSCRIBE` of the owner, under the event's
    claim, as one statement (``idempotent_alone``)."""
    return sa.text(
        f"""
        WITH {claimed_cte(processed_events)},
        ref AS (
            INSERT INTO {record_refs.fullname} AS r (type, id, owner_id, team_id, title, updated_at)
            SELECT :type, :id, :owner_id, :team_id, :title, :updated_at
            WHERE EXISTS (SELECT 1 FROM claimed)
            ON CONFLICT (type, id) DO UPDATE SET
                owner_id = CASE WHEN CAST(:has_owner AS boolean) THEN EXCLUDED.owner_id
                                ELSE r.owner_id END,
                team_id = CASE WHEN CAST(:has_team AS boolean) THEN EXCLUDED.team_id
                               ELSE r.team_id END,
                title = COALESCE(NULLIF(EXCLUDED.title, ''), r.title),
                updated_at = EXCLUDED.updated_at
            RETURNING r.owner_id
        )
        INSERT INTO {subscriptions.fullname} (id, user_id, target_type, target_id, created_at)
        SELECT :subscription_id, ref.owner_id, :type, :id, :updated_at FROM ref
        WHERE CAST(:follow AS boolean) AND ref.owner_id IS NOT NULL
        ON CONFLICT (user_id, target_type, target_id) DO NOTHING
        """
    )


def ref_alone(
    db: Any, record_type: str, record: Any, *, follow: bool = True
) -> tuple[sa.TextClause, dict[str, Any]] | None:
    """What :func:`upsert_ref` does, as one statement under the event's claim (for
    ``idempotent_alone``); None when the event carries no record."""
    if not isinstance(record, dict) or not domain.is_uuid(record.get("id")):
        return None
    now = utcnow()
    return _ref_alone(db.processed_events), {
        "type": record_type,
        "id": record["id"],
        "owner_id": record.get("owner_id"),
        "team_id": record.get("team_id"),
        "title": domain.record_title(record),
        "updated_at": now,
        "has_owner": "owner_id" in record,
        "has_team": "team_id" in record,
        "subscription_id": new_id(),
        "follow": follow,
    }


def subscribe(db: Any, user_id: str, target_type: str, target_id: str) -> None:
    """Make the user's subscription to the target if it is missing."""
    db.execute(
        _SUBSCRIBE,
        {
            "id": new_id(),
            "user_id": user_id,
            "target_type": target_type,
            "target_id": target_id,
            "created_at": utcnow(),
        },
    )


def follow(db: Any, user_id: str, target_type: str, target_id: str) -> dict[str, Any]:
    """The user's subscription to the target, made if missing."""
    subscribe(db, user_id, target_type, target_id)
    row = db.execute(
        sa.select(subscriptions).where(
            subscriptions.c.user_id == user_id,
            subscriptions.c.target_type == target_type,
            subscriptions.c.target_id == target_id,
        )
    ).one()
    return dump_subscription(row)


# -- channels and posts -----------------------------------------------------------


def channel_row(db: Any, channel_id: Any, caller: Actor, *, for_update: bool = False) -> Any:
    """The channel if the caller may see it (public, or a member); else ``NotFound``."""
    missing = NotFound("No such channel", [{"field": "channel_id", "message": "no such channel"}])
    if not domain.is_uuid(channel_id):
        raise missing
    stmt = sa.select(channels).where(channels.c.id == channel_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = db.execute(stmt).first()
    if row is None:
        raise missing
    if row.is_private and not is_member(db, row.id, caller.id):
        raise missing
    return row


def is_member(db: Any, channel_id: str, user_id: str) -> bool:
    return (
        db.execute(
            sa.select(channel_members.c.user_id).where(
                channel_members.c.channel_id == channel_id,
                channel_members.c.user_id == user_id,
            )
        ).first()
        is not None
    )


def is_channel_admin(db: Any, channel_id: str, caller: Actor) -> bool:
    if caller.is_admin:
        return True
    return (
        db.execute(
            sa.select(channel_members.c.user_id).where(
                channel_members.c.channel_id == channel_id,
                channel_members.c.user_id == caller.id,
                channel_members.c.is_admin,
            )
        ).first()
        is not None
    )


def channel_audience(db: Any, channel: Any) -> dict[str, Any]:
    if not channel.is_private:
        return {"kind": "all"}
    members = db.execute(
        sa.select(channel_members.c.user_id)
        .where(channel_members.c.channel_id == channel.id)
        .order_by(channel_members.c.user_id)
    ).scalars()
    return {"kind": "users", "user_ids": list(members)}


def channel_out(db: Any, row: Any, caller: Actor) -> dict[str, Any]:
    """A channel as its caller sees it: members, admins, whether they follow it."""
    members = db.execute(
        sa.select(channel_members.c.user_id, channel_members.c.is_admin)
        .where(channel_members.c.channel_id == row.id)
        .order_by(channel_members.c.user_id)
    ).all()
    following = (
        db.execute(
            sa.select(subscriptions.c.id).where(
                subscriptions.c.user_id == caller.id,
                subscriptions.c.target_type == "channel",
                subscriptions.c.target_id == row.id,
            )
        ).first()
        is not None
    )
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "is_private": row.is_private,
        "member_ids": [m.user_id for m in members] if row.is_private else [],
        "admin_ids": [m.user_id for m in members if m.is_admin],
        "created_by": row.created_by,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "version": row.version,
        "is_member": any(m.user_id == caller.id for m in members),
        "is_following": following,
    }


def check_name_free(db: Any, name: str, other_than: str | None = None) -> None:
    stmt = sa.select(channels.c.id).where(sa.func.lower(channels.c.name) == name.lower())
    if other_than:
        stmt = stmt.where(channels.c.id != other_than)
    if db.execute(stmt).first() is not None:
        raise Conflict("A channel of that name exists", [{"field": "name", "message": "is taken"}])


def add_members(db: Any, channel_id: str, user_ids: list[str], admins: set[str]) -> None:
    for user_id in dict.fromkeys(user_ids):
        db.execute(
            pg_insert(channel_members)
            .values(
                channel_id=channel_id,
                user_id=user_id,
                is_admin=user_id in admins,
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )


def notify(
    db: Any,
    user_id: str,
    kind: str,
    text: str,
    *,
    related: tuple[str, str] | None = None,
    post_id: str | None = None,
    actor_id: str | None = None,
) -> None:
    """A notification for ``user_id`` (never for the one who caused it)."""
    if not domain.is_uuid(user_id) or user_id == actor_id:
        return
    row = db.execute(
        notifications.insert()
        .values(
            id=new_id(),
            user_id=user_id,
            kind=kind,
            text=text[:1000],
            related_type=related[0] if related else None,
            related_id=related[1] if related else None,
            post_id=post_id,
            actor_id=actor_id,
            created_at=utcnow(),
        )
        .returning(*notifications.c)
    ).one()
    stream_item(
        db,
        "notification_created",
        {"kind": "users", "user_ids": [user_id]},
        {**dump_notification(row), "unread_count": unread_count(db, user_id)},
    )


def unread_count(db: Any, user_id: str) -> int:
    return db.execute(
        sa.select(sa.func.count())
        .select_from(notifications)
        .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
    ).scalar_one()


# --- notifications -----------------------------------------------------------------------


def notifications_of(
    db: Any,
    user_id: str,
    limit: int,
    unread_only: bool,
    before_id: str | None,
    filters: dict[str, Any] | None = None,
) -> list[Any]:
    """Up to ``limit`` of the user's notifications, newest first, before ``before_id``,
    by ``filters`` (checked: ``domain.notification_filters``)."""
    filters = filters or {}
    stmt = sa.select(notifications).where(notifications.c.user_id == user_id)
    if unread_only or filters.get("read") is False:
        stmt = stmt.where(notifications.c.read_at.is_(None))
    if filters.get("read") is True:
        stmt = stmt.where(notifications.c.read_at.is_not(None))
    for name in ("kind", "related_type", "related_id"):
        if filters.get(name):
            stmt = stmt.where(notifications.c[name].in_(filters[name]))
    if before_id:
        stmt = stmt.where(notifications.c.id < before_id)
    return list(db.execute(stmt.order_by(notifications.c.id.desc()).limit(limit)).all())


def lock_notification(db: Any, notification_id: str, user_id: str) -> Any:
    """The user's notification under a row lock, or None."""
    return db.execute(
        sa.select(notifications)
        .where(notifications.c.id == notification_id, notifications.c.user_id == user_id)
        .with_for_update()
    ).first()


def mark_read(db: Any, notification_id: str) -> Any:
    """The notification read now; its new row."""
    return db.execute(
        notifications.update()
        .where(notifications.c.id == notification_id)
        .values(read_at=utcnow())
        .returning(*notifications.c)
    ).one()


def mark_all_read(db: Any, user_id: str) -> list[str]:
    """Every unread notification of the user read now; their ids."""
    return list(
        db.execute(
            notifications.update()
            .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
            .values(read_at=utcnow())
            .returning(notifications.c.id)
        ).scalars()
    )


# --- reading the stream --------------------------------------------------------------------


def stream_rows_after(db: Any, after_seq: int, limit: int) -> list[Any]:
    """Up to ``limit`` stream items after ``after_seq``, ascending."""
    return list(
        db.execute(
            sa.select(stream_items)
            .where(stream_items.c.seq > after_seq)
            .order_by(stream_items.c.seq)
            .limit(limit)
        ).all()
    )


def stream_rows_between(db: Any, low: int, high: int) -> list[Any]:
    """The stream items from seq ``low`` to ``high``, ascending."""
    return list(
        db.execute(
            sa.select(stream_items)
            .where(stream_items.c.seq >= low, stream_items.c.seq <= high)
            .order_by(stream_items.c.seq)
        ).all()
    )


def last_stream_seq(db: Any) -> int:
    """The newest stream item's seq (0 when none)."""
    return int(db.execute(sa.select(sa.func.max(stream_items.c.seq))).scalar() or 0)


def prune_stream(db: Any, before: Any) -> int:
    """Delete the stream items older than ``before``; how many."""
    return db.execute(stream_items.delete().where(stream_items.c.occurred_at < before)).rowcount


# --- subscriptions ---------------------------------------------------------------------------


def subscriptions_of(db: Any, user_id: str) -> list[Any]:
    """The user's subscriptions, oldest first."""
    return list(
        db.execute(
            sa.select(subscriptions)
            .where(subscriptions.c.user_id == user_id)
            .order_by(subscriptions.c.created_at, subscriptions.c.id)
        ).all()
    )


def is_following(db: Any, user_id: str, target_type: str, target_id: str) -> bool:
    found = db.execute(
        sa.select(subscriptions.c.id).where(
            subscriptions.c.user_id == user_id,
            subscriptions.c.target_type == target_type,
            subscriptions.c.target_id == target_id,
        )
    ).first()
    return found is not None


def unfollow(db: Any, subscription_id: str, user_id: str) -> bool:
    """The user's subscription deleted; False when they have none of that id."""
    gone = db.execute(
        subscriptions.delete()
        .where(subscriptions.c.id == subscription_id, subscriptions.c.user_id == user_id)
        .returning(subscriptions.c.id)
    ).first()
    return gone is not None


# --- system posts ------------------------------------------------------------------------------


def system_post_setting(db: Any, event_type: str) -> Any:
    """An event type's system post setting, or None (never set: on, no channel)."""
    return db.execute(
        sa.select(system_post_settings).where(system_post_settings.c.event_type == event_type)
    ).first()


def system_post_settings_rows(db: Any) -> list[Any]:
    return list(db.execute(sa.select(system_post_settings)).all())


def put_system_post_setting(
    db: Any, event_type: str, enabled: bool, channel_id: str | None
) -> None:
    values = {"enabled": enabled, "channel_id": channel_id, "updated_at": utcnow()}
    db.execute(
        pg_insert(system_post_settings)
        .values(event_type=event_type, **values)
        .on_conflict_do_update(index_elements=["event_type"], set_=values)
    )


def channel_exists(db: Any, channel_id: str) -> bool:
    found = db.execute(sa.select(channels.c.id).where(channels.c.id == channel_id)).first()
    return found is not None
