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

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound, PermissionDenied
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import domain
from .base import FeedBase, dump_comment, invalid, page_limit
from .models import comments, files, likes, posts, subscriptions

POST_FIELDS = {"channel_id", "related", "text", "attachment_ids"}
MAX_ATTACHMENTS = 10


def _bad(field: str, message: str) -> Exception:
    return invalid(domain.Invalid(f"{field}: {message}"))


def _check_version(kind: str, row: Any, expected: Any) -> None:
    if expected is not None and int(expected) != row.version:
        raise Conflict(
            f"The {kind} was changed meanwhile (version {row.version})",
            [{"field": "version", "message": f"is {row.version}"}],
        )


class PostsRpc(FeedBase):
    """Posts, comments and likes."""

    # -- posts ------------------------------------------------------------------------

    def _clean_text(self, data: Any) -> str:
        if not isinstance(data, dict):
            raise _bad("body", "must be an object")
        try:
            return domain.clean_text(data.get("text"))
        except domain.Invalid as exc:
            raise invalid(exc) from None

    def _attachments(self, value: Any, caller: Actor) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(domain.is_uuid(v) for v in value):
            raise _bad("attachment_ids", "must be a list of file ids")
        ids = list(dict.fromkeys(value))
        if len(ids) > MAX_ATTACHMENTS:
            raise _bad("attachment_ids", f"at most {MAX_ATTACHMENTS} files")
        mine = set(
            self.db.execute(
                sa.select(files.c.id).where(files.c.id.in_(ids), files.c.created_by == caller.id)
            ).scalars()
        )
        for file_id in ids:
            if file_id not in mine:
                raise _bad("attachment_ids", f"no such file of yours: {file_id}")
        return ids

    def _notify_mentions(
        self,
        mentions: list[dict[str, Any]],
        author_id: str | None,
        post: Any,
        *,
        what: str,
        already: list[dict[str, Any]] | None = None,
    ) -> None:
        before = set(self._mentioned_user_ids(already or []))
        for user_id in self._mentioned_user_ids(mentions):
            if user_id in before or user_id == author_id:
                continue
            if not self._may_see(post, user_id):
                continue  # never leak a private post by mentioning an outsider
            self._notify(
                user_id,
                "mention",
                f"You were mentioned in a {what}",
                related=(post.related_type, post.related_id) if post.related_id else None,
                post_id=post.id,
                actor_id=author_id,
            )

    def _may_see(self, post: Any, user_id: str) -> bool:
        audience = self._post_audience(post)
        person = self._person(user_id)
        return domain.audience_includes(audience, person)

    def _person(self, user_id: str) -> dict[str, Any]:
        from .models import directory_users

        row = self.db.execute(
            sa.select(directory_users.c.team_id).where(directory_users.c.id == user_id)
        ).first()
        return {"id": user_id, "team_id": row.team_id if row else None, "roles": []}

    @rpc(expected_exceptions=EXPECTED)
    def create_post(self, data: dict[str, Any], *, actor: dict[str, Any]) -> dict[str, Any]:
        """A post ``{channel_id | related: {type, id}, text, attachment_ids?}``.

        The author follows the record (or channel) posted to. Emits ``post_created``
        and the stream item; mentions notify.
        """
        caller = Actor.from_dict(actor)
        text = self._clean_text(data)
        unknown = set(data) - POST_FIELDS
        if unknown:
            raise _bad(sorted(unknown)[0], "unknown field")
        channel_id = data.get("channel_id")
        related = data.get("related")
        if (channel_id is None) == (related is None):
            raise _bad("channel_id", "give either channel_id or related")
        related_type = related_id = None
        if channel_id is not None:
            self._channel_row(channel_id, caller)
        else:
            if (
                not isinstance(related, dict)
                or related.get("type") not in domain.RECORD_TYPES
                or not domain.is_uuid(related.get("id"))
            ):
                raise _bad("related", f"needs type ({', '.join(domain.RECORD_TYPES)}) and id")
            related_type, related_id = related["type"], related["id"]
            ref = self._record_ref(related_type, related_id)
            if not caller.can_read(ref["owner_id"], ref["team_id"]):
                raise NotFound(
                    "No such record", [{"field": "related", "message": "no such record"}]
                )
        attachment_ids = self._attachments(data.get("attachment_ids"), caller)
        row = self._insert_post(
            text=text,
            channel_id=channel_id,
            related_type=related_type,
            related_id=related_id,
            author_id=caller.id,
            kind="user",
            attachment_ids=attachment_ids,
        )
        if related_id:
            self._subscribe(caller.id, related_type, related_id)
        self._notify_mentions(list(row.mentions), caller.id, row, what="post")
        out = self._dump_post(row, caller.id)
        self.db.emit("post_created", out, actor=actor)
        self._commit()
        return out

    def _insert_post(self, **values: Any) -> Any:
        html, mentions = self._render(values["text"])
        row = self.db.execute(
            posts.insert()
            .values(id=new_id(), html=html, mentions=mentions, created_at=utcnow(), **values)
            .returning(*posts.c)
        ).one()
        self._stream("post_created", self._post_audience(row), self._dump_post(row, None))
        return row

    @rpc(expected_exceptions=EXPECTED)
    def get_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        out = self._dump_post(self._post_row(post_id, caller), caller.id)
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
        row = self._post_row(post_id, caller, for_update=True)
        if row.author_id != caller.id:
            raise PermissionDenied("Only the author may edit a post")
        _check_version("post", row, expected_version)
        text = self._clean_text(data)
        if set(data) - {"text"}:
            raise _bad(sorted(set(data) - {"text"})[0], "unknown field")
        html, mentions = self._render(text)
        new = self.db.execute(
            posts.update()
            .where(posts.c.id == row.id)
            .values(
                text=text, html=html, mentions=mentions, edited_at=utcnow(), version=row.version + 1
            )
            .returning(*posts.c)
        ).one()
        self._notify_mentions(mentions, caller.id, new, what="post", already=list(row.mentions))
        self._stream("post_updated", self._post_audience(new), self._dump_post(new, None))
        out = self._dump_post(new, caller.id)
        self.db.emit("post_updated", out, actor=actor)
        self._commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def delete_post(
        self, post_id: str, *, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a post with its comments and likes (author, channel admin or administrator)."""
        caller = Actor.from_dict(actor)
        row = self._post_row(post_id, caller, for_update=True)
        allowed = row.author_id == caller.id or caller.is_admin
        if not allowed and row.channel_id:
            allowed = self._is_channel_admin(row.channel_id, caller)
        if not allowed:
            raise PermissionDenied("Only the author or a channel admin may delete a post")
        _check_version("post", row, expected_version)
        audience = self._post_audience(row)
        self.db.execute(posts.delete().where(posts.c.id == row.id))
        gone = {"id": row.id, "channel_id": row.channel_id}
        gone["related"] = (
            {"type": row.related_type, "id": row.related_id} if row.related_id else None
        )
        self._stream("post_deleted", audience, gone)
        self.db.emit("post_deleted", gone, actor=actor)
        self._commit()

    def _pin(self, post_id: str, actor: dict[str, Any], pinned: bool) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        row = self._post_row(post_id, caller, for_update=True)
        if row.channel_id is None:
            raise Conflict(
                "Only posts in channels are pinned",
                [{"field": "post_id", "message": "not in a channel"}],
            )
        if not self._is_channel_admin(row.channel_id, caller):
            raise PermissionDenied("Only the channel's admins may pin posts")
        new = row
        if row.is_pinned != pinned:
            new = self.db.execute(
                posts.update()
                .where(posts.c.id == row.id)
                .values(is_pinned=pinned, version=row.version + 1)
                .returning(*posts.c)
            ).one()
            self._stream("post_updated", self._post_audience(new), self._dump_post(new, None))
        out = self._dump_post(new, caller.id)
        self._commit()
        return out

    @rpc(expected_exceptions=EXPECTED)
    def pin_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        return self._pin(post_id, actor, True)

    @rpc(expected_exceptions=EXPECTED)
    def unpin_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        return self._pin(post_id, actor, False)

    # -- lists ------------------------------------------------------------------------

    def _page(
        self, stmt: Any, caller: Actor, query: dict[str, Any] | None, pinned_first: bool = False
    ) -> dict[str, Any]:
        query = query or {}
        limit = page_limit(query.get("limit"), 30, 100)
        cursor = query.get("cursor")
        if cursor:
            text = str(cursor)
            if pinned_first:
                flag, _, last_id = text.partition(":")
                if flag not in ("0", "1") or not domain.is_uuid(last_id):
                    raise _bad("cursor", "not a cursor of this list")
                was_pinned = flag == "1"
                stmt = stmt.where(
                    sa.or_(
                        sa.and_(posts.c.is_pinned == was_pinned, posts.c.id < last_id),
                        (~posts.c.is_pinned) if was_pinned else sa.false(),
                    )
                )
            else:
                if not domain.is_uuid(text):
                    raise _bad("cursor", "not a cursor of this list")
                stmt = stmt.where(posts.c.id < text)
        order = (
            [posts.c.is_pinned.desc(), posts.c.id.desc()] if pinned_first else [posts.c.id.desc()]
        )
        rows = self.db.execute(
            stmt.where(self._visible(caller)).order_by(*order).limit(limit + 1)
        ).all()
        items = self._dump_posts(rows[:limit], caller.id)
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = f"{int(last.is_pinned)}:{last.id}" if pinned_first else last.id
        self.db.commit()
        return {"items": items, "next_cursor": next_cursor}

    @rpc(expected_exceptions=EXPECTED)
    def list_feed(
        self, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """The caller's feed, newest first: posts in channels and on records they follow,
        posts that mention them (or their team) and their own."""
        caller = Actor.from_dict(actor)
        follows = sa.select(subscriptions.c.target_type, subscriptions.c.target_id).where(
            subscriptions.c.user_id == caller.id
        )
        followed_channels = follows.where(
            subscriptions.c.target_type == "channel"
        ).with_only_columns(subscriptions.c.target_id)
        followed_record = sa.exists().where(
            subscriptions.c.user_id == caller.id,
            subscriptions.c.target_type == posts.c.related_type,
            subscriptions.c.target_id == posts.c.related_id,
        )
        mention_me = [posts.c.mentions.contains([{"type": "user", "id": caller.id}])]
        if caller.team_id:
            mention_me.append(posts.c.mentions.contains([{"type": "team", "id": caller.team_id}]))
        stmt = sa.select(posts).where(
            sa.or_(
                posts.c.channel_id.in_(followed_channels),
                sa.and_(posts.c.related_id.is_not(None), followed_record),
                posts.c.author_id == caller.id,
                *mention_me,
            )
        )
        return self._page(stmt, caller, query)

    @rpc(expected_exceptions=EXPECTED)
    def list_channel_posts(
        self, channel_id: str, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A channel's posts: pinned first, then newest first."""
        caller = Actor.from_dict(actor)
        self._channel_row(channel_id, caller)
        stmt = sa.select(posts).where(posts.c.channel_id == channel_id)
        return self._page(stmt, caller, query, pinned_first=True)

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
            raise _bad("related_type", f"one of {', '.join(domain.RECORD_TYPES)}")
        if not domain.is_uuid(related_id):
            raise _bad("related_id", "must be a record id")
        ref = self._record_ref(related_type, related_id)
        if not caller.can_read(ref["owner_id"], ref["team_id"]):
            raise NotFound("No such record", [{"field": "related_id", "message": "no such record"}])
        stmt = sa.select(posts).where(
            posts.c.related_type == related_type, posts.c.related_id == related_id
        )
        return self._page(stmt, caller, query)

    # -- comments ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_comments(
        self, post_id: str, query: dict[str, Any] | None = None, *, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A post's comments, oldest first (cursor: the last comment's id)."""
        caller = Actor.from_dict(actor)
        post = self._post_row(post_id, caller)
        query = query or {}
        limit = page_limit(query.get("limit"), 100, 500)
        stmt = sa.select(comments).where(comments.c.post_id == post.id)
        cursor = query.get("cursor")
        if cursor:
            if not domain.is_uuid(cursor):
                raise _bad("cursor", "not a cursor of this list")
            stmt = stmt.where(comments.c.id > cursor)
        rows = self.db.execute(stmt.order_by(comments.c.id).limit(limit + 1)).all()
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
        text = self._clean_text(data)
        if set(data) - {"text"}:
            raise _bad(sorted(set(data) - {"text"})[0], "unknown field")
        post = self._post_row(post_id, caller, for_update=True)
        html, mentions = self._render(text)
        row = self.db.execute(
            comments.insert()
            .values(
                id=new_id(),
                post_id=post.id,
                text=text,
                html=html,
                author_id=caller.id,
                mentions=mentions,
                created_at=utcnow(),
            )
            .returning(*comments.c)
        ).one()
        self.db.execute(
            posts.update()
            .where(posts.c.id == post.id)
            .values(comment_count=posts.c.comment_count + 1)
        )
        if post.author_id:
            self._notify(
                post.author_id,
                "comment",
                f"{caller.full_name or caller.email or 'Somebody'} commented on your post",
                related=(post.related_type, post.related_id) if post.related_id else None,
                post_id=post.id,
                actor_id=caller.id,
            )
        self._notify_mentions(mentions, caller.id, post, what="comment")
        out = dump_comment(row)
        self._stream(
            "comment_added",
            self._post_audience(post),
            {**out, "comment_count": post.comment_count + 1},
        )
        self.db.emit("comment_added", out, actor=actor)
        self._commit()
        return out

    def _comment_row(self, post_id: str, comment_id: str, caller: Actor) -> tuple[Any, Any]:
        post = self._post_row(post_id, caller, for_update=True)
        missing = NotFound(
            "No such comment", [{"field": "comment_id", "message": "no such comment"}]
        )
        if not domain.is_uuid(comment_id):
            raise missing
        row = self.db.execute(
            sa.select(comments)
            .where(comments.c.id == comment_id, comments.c.post_id == post.id)
            .with_for_update()
        ).first()
        if row is None:
            raise missing
        return post, row

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
        post, row = self._comment_row(post_id, comment_id, caller)
        if row.author_id != caller.id:
            raise PermissionDenied("Only the author may edit a comment")
        _check_version("comment", row, expected_version)
        text = self._clean_text(data)
        html, mentions = self._render(text)
        new = self.db.execute(
            comments.update()
            .where(comments.c.id == row.id)
            .values(
                text=text, html=html, mentions=mentions, edited_at=utcnow(), version=row.version + 1
            )
            .returning(*comments.c)
        ).one()
        self._notify_mentions(mentions, caller.id, post, what="comment", already=list(row.mentions))
        out = dump_comment(new)
        self.db.emit("comment_updated", out, actor=actor)
        self._commit()
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
        post, row = self._comment_row(post_id, comment_id, caller)
        if row.author_id != caller.id and not caller.is_admin:
            raise PermissionDenied("Only the author may delete a comment")
        _check_version("comment", row, expected_version)
        self.db.execute(comments.delete().where(comments.c.id == row.id))
        self.db.execute(
            posts.update()
            .where(posts.c.id == post.id)
            .values(comment_count=posts.c.comment_count - 1)
        )
        gone = {"id": row.id, "post_id": post.id, "comment_count": post.comment_count - 1}
        self._stream("comment_deleted", self._post_audience(post), gone)
        self.db.emit("comment_deleted", gone, actor=actor)
        self._commit()

    # -- likes ------------------------------------------------------------------------

    def _likes_answer(self, post_id: str, count: int, liked: bool) -> dict[str, Any]:
        return {"like_count": count, "liked_by_me": liked}

    @rpc(expected_exceptions=EXPECTED)
    def like_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        """Like a post (liking twice counts once); its author is notified the first time."""
        caller = Actor.from_dict(actor)
        post = self._post_row(post_id, caller, for_update=True)
        added = self.db.execute(
            pg_insert(likes)
            .values(post_id=post.id, user_id=caller.id, created_at=utcnow())
            .on_conflict_do_nothing()
            .returning(likes.c.user_id)
        ).first()
        count = post.like_count
        if added is not None:
            count += 1
            self.db.execute(posts.update().where(posts.c.id == post.id).values(like_count=count))
            if post.author_id:
                self._notify(
                    post.author_id,
                    "like",
                    f"{caller.full_name or caller.email or 'Somebody'} liked your post",
                    related=(post.related_type, post.related_id) if post.related_id else None,
                    post_id=post.id,
                    actor_id=caller.id,
                )
            self._stream(
                "post_liked",
                self._post_audience(post),
                {"post_id": post.id, "user_id": caller.id, "like_count": count},
            )
        self._commit()
        return self._likes_answer(post.id, count, True)

    @rpc(expected_exceptions=EXPECTED)
    def unlike_post(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        post = self._post_row(post_id, caller, for_update=True)
        removed = self.db.execute(
            likes.delete()
            .where(likes.c.post_id == post.id, likes.c.user_id == caller.id)
            .returning(likes.c.user_id)
        ).first()
        count = post.like_count
        if removed is not None:
            count -= 1
            self.db.execute(posts.update().where(posts.c.id == post.id).values(like_count=count))
            self._stream(
                "post_unliked",
                self._post_audience(post),
                {"post_id": post.id, "user_id": caller.id, "like_count": count},
            )
        self._commit()
        return self._likes_answer(post.id, count, False)

    @rpc(expected_exceptions=EXPECTED)
    def list_likes(self, post_id: str, *, actor: dict[str, Any]) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        post = self._post_row(post_id, caller)
        rows = self.db.execute(
            sa.select(likes).where(likes.c.post_id == post.id).order_by(likes.c.created_at)
        ).all()
        self.db.commit()
        from services.platform.events import isoformat

        return {
            "items": [{"user_id": r.user_id, "created_at": isoformat(r.created_at)} for r in rows]
        }
