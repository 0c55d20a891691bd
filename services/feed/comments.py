"""Comments on posts: whoever sees a post comments on it; the post's author is
notified, and so is everybody a comment mentions (never the one who wrote it). The
author edits a comment; the author or an administrator deletes it.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, PermissionDenied
from services.platform.records import check_version
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import directory, domain, posts_store, store
from .base import FeedBase
from .models import comments
from .schemas import bad, clean_post_text, dump_comment, page_limit


class CommentsRpc(FeedBase):
    """A post's comments."""

    @rpc(expected_exceptions=EXPECTED)
    def list_comments(
        self, post_id: str, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A post's comments, oldest first (cursor: the last comment's id)."""
        caller = Actor.from_dict(actor)
        post = posts_store.post_row(self.db, post_id, caller)
        query = query or {}
        limit = page_limit(query.get("limit"), 100, 500)
        cursor = query.get("cursor")
        if cursor and not domain.is_uuid(cursor):
            raise bad("cursor", "not a cursor of this list")
        rows = posts_store.comments_of(self.db, post.id, limit + 1, cursor)
        self.db.commit()
        return {
            "items": [dump_comment(r) for r in rows[:limit]],
            "next_cursor": rows[limit - 1].id if len(rows) > limit else None,
        }

    @rpc(expected_exceptions=EXPECTED)
    def add_comment(
        self, post_id: str, data: dict[str, Any], *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Comment on a post the caller sees; the post's author is notified, mentions too."""
        caller = Actor.from_dict(actor)
        text = clean_post_text(data)
        if set(data) - {"text"}:
            raise bad(sorted(set(data) - {"text"})[0], "unknown field")
        post = posts_store.post_row(self.db, post_id, caller, for_update=True)
        html, mentions = directory.render(self.db, self.identity, text)
        row = posts_store.insert_comment(self.db, post.id, text, html, mentions, caller.id)
        if post.author_id:
            store.notify(
                self.db,
                post.author_id,
                "comment",
                f"{caller.full_name or caller.email or 'Somebody'} commented on your post",
                related=(post.related_type, post.related_id) if post.related_id else None,
                post_id=post.id,
                actor_id=caller.id,
            )
        posts_store.notify_mentions(
            self.db, mentions, caller.id, post, what="comment", identity=self.identity
        )
        out = dump_comment(row)
        store.stream_item(
            self.db,
            "comment_added",
            posts_store.post_audience(self.db, post),
            {**out, "comment_count": post.comment_count + 1},
        )
        self.db.emit("comment_added", out, actor=actor)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def update_comment(
        self,
        post_id: str,
        comment_id: str,
        data: dict[str, Any],
        *,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a comment's text (its author only)."""
        caller = Actor.from_dict(actor)
        post, row = posts_store.comment_row(self.db, post_id, comment_id, caller)
        if row.author_id != caller.id:
            raise PermissionDenied("Only the author may edit a comment")
        check_version("comment", row.version, parse_expected_version(expected_version))
        text = clean_post_text(data)
        html, mentions = directory.render(self.db, self.identity, text)
        new = posts_store.update_text(self.db, comments, row, text, html, mentions)
        posts_store.notify_mentions(
            self.db,
            mentions,
            caller.id,
            post,
            what="comment",
            already=list(row.mentions),
            identity=self.identity,
        )
        out = dump_comment(new)
        self.db.emit("comment_updated", out, actor=actor)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def delete_comment(
        self,
        post_id: str,
        comment_id: str,
        *,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> None:
        """Delete a comment (its author, or an administrator)."""
        caller = Actor.from_dict(actor)
        post, row = posts_store.comment_row(self.db, post_id, comment_id, caller)
        if row.author_id != caller.id and not caller.is_admin:
            raise PermissionDenied("Only the author may delete a comment")
        check_version("comment", row.version, parse_expected_version(expected_version))
        posts_store.delete_comment(self.db, post.id, row.id)
        gone = {"id": row.id, "post_id": post.id, "comment_count": post.comment_count - 1}
        store.stream_item(
            self.db, "comment_deleted", posts_store.post_audience(self.db, post), gone
        )
        self.db.emit("comment_deleted", gone, actor=actor)
        store.commit(self.db)
