"""Posts (in a channel or about a record), their comments and likes.

A post is seen by whoever may see its place: a public channel by everybody signed
in, a private one by its members, a record's post by whoever may read the record
(``record_refs``; a record the feed never heard of counts as shared). The author edits
a post; the author, a channel admin or an administrator deletes it; a channel admin
pins it. Mentions notify the users (and every active member of a mentioned team),
a comment notifies the post's author, a like too — never the one who did it.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound, PermissionDenied
from services.platform.records import check_version
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc
from services.platform.values import parse_expected_version

from . import directory, domain, posts_store, store
from .base import FeedBase
from .models import posts
from .schemas import bad, clean_post_text

POST_FIELDS = {"channel_id", "related", "text", "attachment_ids"}


class PostsRpc(FeedBase):
    """Posts: write, read, pin, and the lists of them."""

    @rpc(expected_exceptions=EXPECTED)
    def create_post(
        self, data: dict[str, Any], *, actor: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """A post ``{channel_id | related: {type, id}, text, attachment_ids?}``.

        The author follows the record (or channel) posted to. Emits ``post_created``
        and the stream item; mentions notify. Called again with the same
        ``idempotency_key`` it creates nothing and returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "create_post", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        text = clean_post_text(data)
        unknown = set(data) - POST_FIELDS
        if unknown:
            raise bad(sorted(unknown)[0], "unknown field")
        channel_id = data.get("channel_id")
        related = data.get("related")
        if (channel_id is None) == (related is None):
            raise bad("channel_id", "give either channel_id or related")
        related_type = related_id = None
        if channel_id is not None:
            store.channel_row(self.db, channel_id, caller)
        else:
            if (
                not isinstance(related, dict)
                or related.get("type") not in domain.RECORD_TYPES
                or not domain.is_uuid(related.get("id"))
            ):
                raise bad("related", f"needs type ({', '.join(domain.RECORD_TYPES)}) and id")
            related_type, related_id = related["type"], related["id"]
            if not posts_store.reads_related(self.db, caller, related_type, related_id):
                raise NotFound(
                    "No such record", [{"field": "related", "message": "no such record"}]
                )
        attachment_ids = posts_store.attachments(self.db, data.get("attachment_ids"), caller)
        row = posts_store.insert_post(
            self.db,
            self.identity,
            text=text,
            channel_id=channel_id,
            related_type=related_type,
            related_id=related_id,
            author_id=caller.id,
            kind="user",
            attachment_ids=attachment_ids,
        )
        if related_id:
            store.subscribe(self.db, caller.id, related_type, related_id)
        posts_store.notify_mentions(
            self.db, list(row.mentions), caller.id, row, what="post", identity=self.identity
        )
        out = posts_store.post_out(self.db, row, caller)
        self.db.emit("post_created", out, actor=actor)
        keep_answer(self.db, idempotency_key, out)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def get_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        out = posts_store.post_out(self.db, posts_store.post_row(self.db, post_id, caller), caller)
        self.db.commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def update_post(
        self,
        post_id: str,
        data: dict[str, Any],
        *,
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a post's text (its author only); new mentions notify."""
        caller = Actor.from_dict(actor)
        row = posts_store.post_row(self.db, post_id, caller, for_update=True)
        if row.author_id != caller.id:
            raise PermissionDenied("Only the author may edit a post")
        check_version("post", row.version, parse_expected_version(expected_version))
        text = clean_post_text(data)
        if set(data) - {"text"}:
            raise bad(sorted(set(data) - {"text"})[0], "unknown field")
        html, mentions = directory.render(self.db, self.identity, text)
        new = posts_store.update_text(self.db, posts, row, text, html, mentions)
        posts_store.notify_mentions(
            self.db,
            mentions,
            caller.id,
            new,
            what="post",
            already=list(row.mentions),
            identity=self.identity,
        )
        store.stream_item(
            self.db,
            "post_updated",
            posts_store.post_audience(self.db, new),
            posts_store.post_out(self.db, new, None),
        )
        out = posts_store.post_out(self.db, new, caller)
        self.db.emit("post_updated", out, actor=actor)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def delete_post(
        self, post_id: str, *, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a post with its comments and likes (author, channel admin or administrator)."""
        caller = Actor.from_dict(actor)
        row = posts_store.post_row(self.db, post_id, caller, for_update=True)
        allowed = row.author_id == caller.id or caller.is_admin
        if not allowed and row.channel_id:
            allowed = store.is_channel_admin(self.db, row.channel_id, caller)
        if not allowed:
            raise PermissionDenied("Only the author or a channel admin may delete a post")
        check_version("post", row.version, parse_expected_version(expected_version))
        audience = posts_store.post_audience(self.db, row)
        posts_store.delete_post(self.db, row.id)
        gone = {"id": row.id, "channel_id": row.channel_id}
        gone["related"] = (
            {"type": row.related_type, "id": row.related_id} if row.related_id else None
        )
        store.stream_item(self.db, "post_deleted", audience, gone)
        self.db.emit("post_deleted", gone, actor=actor)
        store.commit(self.db)

    def _pin(self, post_id: str, actor: dict[str, Any], pinned: bool) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        row = posts_store.post_row(self.db, post_id, caller, for_update=True)
        if row.channel_id is None:
            raise Conflict(
                "Only posts in channels are pinned",
                [{"field": "post_id", "message": "not in a channel"}],
            )
        if not store.is_channel_admin(self.db, row.channel_id, caller):
            raise PermissionDenied("Only the channel's admins may pin posts")
        new = row
        if row.is_pinned != pinned:
            new = posts_store.set_pinned(self.db, row, pinned)
            store.stream_item(
                self.db,
                "post_updated",
                posts_store.post_audience(self.db, new),
                posts_store.post_out(self.db, new, None),
            )
        out = posts_store.post_out(self.db, new, caller)
        store.commit(self.db)
        return out

    @rpc(expected_exceptions=EXPECTED)
    def pin_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        return self._pin(post_id, actor, True)

    @rpc(expected_exceptions=EXPECTED)
    def unpin_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        return self._pin(post_id, actor, False)

    # -- lists ------------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_feed(
        self, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The caller's feed, newest first: posts in channels and on records they follow,
        posts that mention them (or their team) and their own."""
        caller = Actor.from_dict(actor)
        page = posts_store.post_page(self.db, posts_store.feed_of(caller), caller, query)
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def list_channel_posts(
        self, channel_id: str, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A channel's posts: pinned first, then newest first."""
        caller = Actor.from_dict(actor)
        store.channel_row(self.db, channel_id, caller)
        stmt = posts_store.posts_in_channel(channel_id)
        page = posts_store.post_page(self.db, stmt, caller, query, pinned_first=True)
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def list_record_posts(
        self,
        related_type: str,
        related_id: str,
        query: dict[str, Any] | None = None,
        *,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """A record's feed, newest first (``NotFound`` if the caller may not read the record)."""
        caller = Actor.from_dict(actor)
        if related_type not in domain.RECORD_TYPES:
            raise bad("related_type", f"one of {', '.join(domain.RECORD_TYPES)}")
        if not domain.is_uuid(related_id):
            raise bad("related_id", "must be a record id")
        if not posts_store.reads_related(self.db, caller, related_type, related_id):
            raise NotFound("No such record", [{"field": "related_id", "message": "no such record"}])
        stmt = posts_store.posts_on_record(related_type, related_id)
        page = posts_store.post_page(self.db, stmt, caller, query)
        self.db.commit()
        return page
