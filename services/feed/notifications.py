"""The notification centre: a user's notifications, the unread count, marking read."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound
from services.platform.rpc import rpc

from . import domain, store
from .base import FeedBase
from .schemas import dump_notification, invalid, page_limit


class NotificationsRpc(FeedBase):
    """List notifications, count unread ones, mark them read."""

    @rpc(expected_exceptions=EXPECTED)
    def list_notifications(
        self, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The caller's notifications, newest first; ``unread: true`` for unread ones only;
        ``filter`` ``{kind: [..], read: bool, related_type: [..], related_id: [..]}``."""
        caller = Actor.from_dict(actor)
        query = query or {}
        limit = page_limit(query.get("limit"), 30, 500)
        unread_only = query.get("unread") in (True, "true", "1")
        cursor = query.get("cursor")
        if cursor and not domain.is_uuid(cursor):
            raise invalid(domain.Invalid("cursor: not a cursor of this list"))
        try:
            filters = domain.list_filters(query.get("filter"), domain.NOTIFICATION_FILTERS)
        except domain.Invalid as exc:
            raise invalid(exc) from None
        rows = store.notifications_of(self.db, caller.id, limit + 1, unread_only, cursor, filters)
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
        row = store.lock_notification(self.db, notification_id, caller.id)
        if row is None:
            raise missing
        if row.read_at is None:
            row = store.mark_read(self.db, row.id)
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
        ids = store.mark_all_read(self.db, caller.id)
        if ids:
            store.stream_item(
                self.db,
                "notifications_read",
                {"kind": "users", "user_ids": [caller.id]},
                {"ids": ids, "all": True, "unread_count": 0},
            )
        store.commit(self.db)
        return {"count": len(ids)}
