"""The channels' SQL: which channels a caller sees, and a channel's row and members as
they are written. Functions that take the session ``db`` first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import store
from .models import channel_members, channels, subscriptions


def visible_channels(
    db: Any, caller: Actor, limit: int, after_name: Any, filters: dict[str, Any] | None = None
) -> list[Any]:
    """Up to ``limit`` channels the caller sees (public ones and their own private ones),
    by name, after the name ``after_name`` when one is given, by ``filters`` (checked:
    ``domain.list_filters``): whether private, and any of some users a member."""
    filters = filters or {}
    mine = sa.select(channel_members.c.channel_id).where(channel_members.c.user_id == caller.id)
    stmt = (
        sa.select(channels)
        .where(sa.or_(~channels.c.is_private, channels.c.id.in_(mine)))
        .order_by(sa.func.lower(channels.c.name), channels.c.id)
        .limit(limit)
    )
    if "is_private" in filters:
        stmt = stmt.where(channels.c.is_private.is_(filters["is_private"]))
    if filters.get("member_ids"):
        members = sa.select(channel_members.c.channel_id).where(
            channel_members.c.user_id.in_(filters["member_ids"])
        )
        stmt = stmt.where(channels.c.id.in_(members))
    if after_name:
        stmt = stmt.where(sa.func.lower(channels.c.name) > str(after_name).lower())
    return list(db.execute(stmt).all())


def insert_channel(db: Any, values: dict[str, Any], created_by: str) -> str:
    """A new channel's row; its id."""
    now = utcnow()
    channel_id = new_id()
    db.execute(
        channels.insert().values(
            id=channel_id,
            name=values["name"],
            description=values.get("description"),
            is_private=values.get("is_private", False),
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
    )
    return channel_id


def replace_members(db: Any, channel_id: str, member_ids: list[str]) -> None:
    """The channel's members become ``member_ids``; its admins stay members."""
    admins = set(
        db.execute(
            sa.select(channel_members.c.user_id).where(
                channel_members.c.channel_id == channel_id, channel_members.c.is_admin
            )
        ).scalars()
    )
    keep = set(member_ids) | admins
    db.execute(
        channel_members.delete().where(
            channel_members.c.channel_id == channel_id,
            channel_members.c.user_id.not_in(keep),
        )
    )
    store.add_members(db, channel_id, list(keep), admins=admins)


def update_channel(db: Any, channel_id: str, values: dict[str, Any], version: int) -> None:
    db.execute(
        channels.update()
        .where(channels.c.id == channel_id)
        .values(**values, updated_at=utcnow(), version=version)
    )


def delete_channel(db: Any, channel_id: str) -> None:
    """The channel (its posts and members go by their foreign keys) and its followers'
    subscriptions."""
    db.execute(
        subscriptions.delete().where(
            subscriptions.c.target_type == "channel", subscriptions.c.target_id == channel_id
        )
    )
    db.execute(channels.delete().where(channels.c.id == channel_id))
