"""Channels: public ones everybody signed in sees, private ones only their members see.

The creator becomes a member and the channel's admin; a channel admin (or an Osprey
administrator) changes or deletes it. Members of a private channel are its
``member_ids``; a public channel has members only as admins.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, PermissionDenied, ValidationFailed
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import channels_store, domain, store
from .base import FeedBase
from .schemas import invalid, page_limit

FIELDS = {"name", "description", "is_private", "member_ids"}


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [{"field": field, "message": message}])


def clean_channel(data: Any, creating: bool) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _bad("body", "must be an object")
    unknown = set(data) - FIELDS
    if unknown:
        raise _bad(sorted(unknown)[0], "unknown field")
    out: dict[str, Any] = {}
    if "name" in data or creating:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _bad("name", "required")
        if len(name.strip()) > 100:
            raise _bad("name", "at most 100 characters")
        out["name"] = name.strip()
    if "description" in data:
        text = data["description"]
        if text is not None and (not isinstance(text, str) or len(text) > 2000):
            raise _bad("description", "a text of at most 2000 characters")
        out["description"] = text
    if "is_private" in data:
        if not isinstance(data["is_private"], bool):
            raise _bad("is_private", "must be true or false")
        out["is_private"] = data["is_private"]
    if "member_ids" in data:
        ids = data["member_ids"]
        if not isinstance(ids, list) or not all(domain.is_uuid(i) for i in ids):
            raise _bad("member_ids", "must be a list of user ids")
        out["member_ids"] = list(dict.fromkeys(ids))
    return out


class ChannelsRpc(FeedBase):
    """Create, list, read, change and delete channels."""

    @rpc(expected_exceptions=EXPECTED)
    def list_channels(
        self, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The channels the caller may see, by name: ``{items, next_cursor}`` (cursor: name);
        ``filter`` ``{is_private: bool, member_ids: [..]}``."""
        caller = Actor.from_dict(actor)
        query = query or {}
        limit = page_limit(query.get("limit"), 100, 500)
        try:
            filters = domain.list_filters(query.get("filter"), domain.CHANNEL_FILTERS)
        except domain.Invalid as exc:
            raise invalid(exc) from None
        rows = channels_store.visible_channels(
            self.db, caller, limit + 1, query.get("cursor"), filters
        )
        items = [store.channel_out(self.db, r, caller) for r in rows[:limit]]
        next_cursor = rows[limit - 1].name if len(rows) > limit else None
        self.db.commit()
        return {"items": items, "next_cursor": next_cursor}

    @rpc(expected_exceptions=EXPECTED)
    def get_channel(self, channel_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        """One channel the caller may see; ``NotFound`` otherwise (also for private ones)."""
        caller = Actor.from_dict(actor)
        row = store.channel_row(self.db, channel_id, caller)
        out = store.channel_out(self.db, row, caller)
        self.db.commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def create_channel(self, data: dict[str, Any], *, actor: dict[str, Any]) -> dict[str, Any]:
        """A new channel; the caller is its admin and member and follows it."""
        caller = Actor.from_dict(actor)
        values = clean_channel(data, creating=True)
        member_ids = values.pop("member_ids", [])
        store.check_name_free(self.db, values["name"])
        channel_id = channels_store.insert_channel(self.db, values, caller.id)
        store.add_members(self.db, channel_id, [caller.id, *member_ids], admins={caller.id})
        store.subscribe(self.db, caller.id, "channel", channel_id)
        row = store.channel_row(self.db, channel_id, caller)
        out = store.channel_out(self.db, row, caller)
        self.db.emit("channel_created", out, actor=actor)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def update_channel(
        self,
        channel_id: str,
        data: dict[str, Any],
        *,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change name, description, privacy or members (a channel admin or an administrator).

        ``member_ids`` replaces the member list; the channel's admins stay members.
        """
        caller = Actor.from_dict(actor)
        row = store.channel_row(self.db, channel_id, caller, for_update=True)
        if not store.is_channel_admin(self.db, row.id, caller):
            raise PermissionDenied("Only the channel's admins may change it")
        check_version("channel", row.version, parse_expected_version(expected_version))
        values = clean_channel(data, creating=False)
        member_ids = values.pop("member_ids", None)
        if "name" in values:
            store.check_name_free(self.db, values["name"], row.id)
        if member_ids is not None:
            channels_store.replace_members(self.db, row.id, member_ids)
        channels_store.update_channel(self.db, row.id, values, row.version + 1)
        out = store.channel_out(self.db, store.channel_row(self.db, row.id, caller), caller)
        self.db.emit("channel_updated", out, actor=actor)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def delete_channel(
        self, channel_id: str, *, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a channel with its posts (a channel admin or an administrator)."""
        caller = Actor.from_dict(actor)
        row = store.channel_row(self.db, channel_id, caller, for_update=True)
        if not store.is_channel_admin(self.db, row.id, caller):
            raise PermissionDenied("Only the channel's admins may delete it")
        check_version("channel", row.version, parse_expected_version(expected_version))
        out = store.channel_out(self.db, row, caller)
        channels_store.delete_channel(self.db, row.id)
        self.db.emit("channel_deleted", out, actor=actor)
        store.commit(self.db)
