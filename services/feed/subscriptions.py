"""Subscriptions: what a user follows (channels and records), which fills their feed."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound
from services.platform.rpc import rpc

from . import domain, posts_store, store
from .base import FeedBase
from .schemas import dump_subscription, invalid

TARGET_TYPES = ("channel", *domain.RECORD_TYPES)


class SubscriptionsRpc(FeedBase):
    """Follow and unfollow channels and records."""

    @rpc(expected_exceptions=EXPECTED)
    def list_subscriptions(self, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        rows = store.subscriptions_of(self.db, caller.id)
        self.db.commit()
        return {"items": [dump_subscription(r) for r in rows], "next_cursor": None}

    @rpc(expected_exceptions=EXPECTED)
    def follow(self, target: dict[str, Any], *, actor: dict[str, Any]) -> dict[str, Any]:
        """Follow a channel or record the caller may see: ``{subscription, created}``."""
        caller = Actor.from_dict(actor)
        if (
            not isinstance(target, dict)
            or target.get("type") not in TARGET_TYPES
            or not domain.is_uuid(target.get("id"))
        ):
            raise invalid(domain.Invalid(f"target: needs type ({', '.join(TARGET_TYPES)}) and id"))
        kind, target_id = target["type"], target["id"]
        if kind == "channel":
            store.channel_row(self.db, target_id, caller)
        else:
            if not posts_store.reads_related(self.db, caller, kind, target_id):
                raise NotFound("No such record", [{"field": "target", "message": "no such record"}])
        existed = store.is_following(self.db, caller.id, kind, target_id)
        out = store.follow(self.db, caller.id, kind, target_id)
        self.db.commit()
        return {"subscription": out, "created": not existed}

    @rpc(expected_exceptions=EXPECTED)
    def unfollow(self, subscription_id: str, *, actor: dict[str, Any]) -> None:
        caller = Actor.from_dict(actor)
        missing = NotFound(
            "No such subscription",
            [{"field": "subscription_id", "message": "no such subscription"}],
        )
        if not domain.is_uuid(subscription_id):
            raise missing
        if not store.unfollow(self.db, subscription_id, caller.id):
            raise missing
        self.db.commit()
