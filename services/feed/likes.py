"""Likes of posts: liking twice counts once; the post's author is notified the first
time (never for their own like).
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import isoformat
from services.platform.rpc import rpc

from . import posts_store, store
from .base import FeedBase


class LikesRpc(FeedBase):
    """A post's likes."""

    @rpc(expected_exceptions=EXPECTED)
    def like_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        """Like a post (liking twice counts once); its author is notified the first time."""
        caller = Actor.from_dict(actor)
        post = posts_store.post_row(self.db, post_id, caller, for_update=True)
        count = post.like_count
        if posts_store.add_like(self.db, post.id, caller.id):
            count += 1
            posts_store.set_like_count(self.db, post.id, count)
            if post.author_id:
                store.notify(
                    self.db,
                    post.author_id,
                    "like",
                    f"{caller.full_name or caller.email or 'Somebody'} liked your post",
                    related=(post.related_type, post.related_id) if post.related_id else None,
                    post_id=post.id,
                    actor_id=caller.id,
                )
            store.stream_item(
                self.db,
                "post_liked",
                posts_store.post_audience(self.db, post),
                {"post_id": post.id, "user_id": caller.id, "like_count": count},
            )
        store.commit(self.db)
        return {"like_count": count, "liked_by_me": True}

    @rpc(expected_exceptions=EXPECTED)
    def unlike_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        post = posts_store.post_row(self.db, post_id, caller, for_update=True)
        count = post.like_count
        if posts_store.remove_like(self.db, post.id, caller.id):
            count -= 1
            posts_store.set_like_count(self.db, post.id, count)
            store.stream_item(
                self.db,
                "post_unliked",
                posts_store.post_audience(self.db, post),
                {"post_id": post.id, "user_id": caller.id, "like_count": count},
            )
        store.commit(self.db)
        return {"like_count": count, "liked_by_me": False}

    @rpc(expected_exceptions=EXPECTED)
    def list_likes(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        post = posts_store.post_row(self.db, post_id, caller)
        rows = posts_store.likes_of(self.db, post.id)
        self.db.commit()
        return {
            "items": [{"user_id": r.user_id, "created_at": isoformat(r.created_at)} for r in rows]
        }
