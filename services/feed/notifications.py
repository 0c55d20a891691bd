"""The notification centre: a user's notifications, the unread count, marking read."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound
from services.platform.events import utcnow
from services.platform.rpc import rpc

from . import domain, store
from .base import FeedBase
from .models import notifications
from .schemas import dump_notification, invalid, page_limit


class NotificationsRpc(FeedBase):
    """List notifications, count unread ones, mark them read."""

    @rpc(expected_exceptions=EXPECTED)
    def list_notifications(
        self, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The caller's notifications, newest first; ``unread: true`` for unread ones only."""
        caller = Actor.from_dict(actor)
        query = query or {}
        limit = page_limit(query.get("limit"), 30, 200)
        stmt = sa.select(notifications).where(notifications.c.user_id == caller.id)
        unread = query.get("unread")
        if unread in (True, "true", "1"):
            stmt = stmt.where(notifications.c.read_at.is_(None))
        cursor = query.get("cursor")
        if cursor:
            if not domain.is_uuid(cursor):
                raise invalid(domain.Invalid("cursor: not a cursor of this list"))
            stmt = stmt.where(notifications.c.id < cursor)
        rows = self.db.execute(stmt.order_by(notifications.c.id.desc()).limit(limit + 1)).all()
        self.db.commit()
        return {
            "items": [dump_notification(r) for r in rows[:limit]],
            "next_cursor": rows[limit - 1].id if len(rows) > limit else None,
        }

    @rpc(expected_exceptions=EXPECTED)
    def unread_count(self, *, actor: dict[str, Any]) -> dict[str, int]:
        caller = Actor.from_dict(actor)
        count = store.unread_count(self.db, caller.id)
        self.db.commit()
        return {"count": count}

    @rpc(expected_exceptions=EXPECTED)
    def mark_notification_read(
        self, notification_id: str, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Mark one of the caller's notifications read (again is no change)."""
        caller = Actor.from_dict(actor)
        missing = NotFound(
            "No such notification",
            [{"field": "notification_id", "message": "no such notification"}],
        )
        if not domain.is_uuid(notification_id):
            raise missing
        row = self.db.execute(
            sa.select(notifications)
            .where(notifications.c.id == notification_id, notifications.c.user_id == caller.id)
            .with_for_update()
        ).first()
        if row is None:
            raise missing
        if row.read_at is None:
            row = self.db.execute(
                notifications.update()
                .where(notifications.c.id == row.id)
                .values(read_at=utcnow())
                .returning(*notifications.c)
            ).one()
            store.stream_item(
                self.db,
                "notifications_read",
                {"kind": "users", "user_ids": [caller.id]},
                {"ids": [row.id], "unread_count": store.unread_count(self.db, caller.id)},
            )
        out = dump_notification(row)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def mark_all_notifications_read(self, *, actor: dict[str, Any]) -> dict[str, int]:
        """Mark every unread notification of the caller read: ``{count}`` marked."""
        caller = Actor.from_dict(actor)
        ids = list(
            self.db.execute(
                notifications.update()
                .where(notifications.c.user_id == caller.id, notifications.c.read_at.is_(None))
                .values(read_at=utcnow())
                .returning(notifications.c.id)
            ).scalars()
        )
        if ids:
            store.stream_item(
                self.db,
                "notifications_read",
                {"kind": "users", "user_ids": [caller.id]},
                {"ids": ids, "all": True, "unread_count": 0},
            )
        store.commit(self.db)
        return {"count": len(ids)}
