"""What every part of the feed service shares: the database, visibility, the live stream.

The service is one Nameko service (``feed``) composed of parts (channels, posts,
notifications, subscriptions, files, the stream, the event handlers); each part is a
class of ``@rpc`` methods or handlers on :class:`FeedBase`, put together in
``service.py``.

Every visible change also writes a *stream item* (``_stream``); ``_commit`` numbers
the transaction's items from the gap-free counter (``feed.stream_counter``, one row
taken under its row lock as the last statement before commit, so seq order is commit
order), stores them in ``feed.stream_items``, emits ``stream_item_added`` for each
into the outbox and commits — all in the same transaction as the change.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import eventlet
import sqlalchemy as sa
from nameko.rpc import RpcProxy
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.db import Database
from services.platform.errors import NotFound, ValidationFailed
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id

from . import domain
from .models import (
    channel_members,
    channels,
    directory_teams,
    directory_users,
    files,
    likes,
    metadata,
    notifications,
    posts,
    record_refs,
    stream_counter,
    stream_items,
    subscriptions,
)

log = logging.getLogger(__name__)

#: How often at most one process asks identity for every user and team again.
DIRECTORY_SYNC_SECONDS = 30.0
#: How long a mention waits for identity's lists before resolving from what it has.
DIRECTORY_SYNC_TIMEOUT = 5.0
_last_directory_sync = 0.0


def invalid(exc: domain.Invalid) -> ValidationFailed:
    text = str(exc)
    field, _, message = text.partition(": ")
    return ValidationFailed(text, [{"field": field, "message": message or text}])


def page_limit(value: Any, default: int = 50, maximum: int = 200) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "limit must be a whole number", [{"field": "limit", "message": "must be a number"}]
        ) from None
    if limit < 1 or limit > maximum:
        raise ValidationFailed(
            f"limit must be 1..{maximum}", [{"field": "limit", "message": f"1..{maximum}"}]
        )
    return limit


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


class FeedBase:
    """The shared steps; the ``@rpc`` methods live in the parts that inherit this."""

    name = "feed"

    db = Database(metadata)
    identity = RpcProxy("identity")

    # -- the live stream -------------------------------------------------------------

    def _stream(self, item_type: str, audience: dict[str, Any], data: dict[str, Any]) -> None:
        """Queue a stream item; ``_commit`` numbers and writes it with the change."""
        self.db.info.setdefault("stream", []).append((item_type, audience, data))

    def _commit(self) -> None:
        """Write the queued stream items under the gap-free counter, then commit."""
        pending = self.db.info.pop("stream", [])
        if pending:
            # The UPDATE takes the counter's row lock until commit: concurrent writers
            # queue here, so seqs are handed out in commit order and never skipped.
            bump = (
                sa.update(stream_counter)
                .where(stream_counter.c.id == 1)
                .values(last_seq=stream_counter.c.last_seq + len(pending))
                .returning(stream_counter.c.last_seq)
            )
            last = self.db.execute(bump).scalar_one_or_none()
            if last is None:
                # The row is seeded by the migration; should it be missing (an emptied
                # table), it restarts after the newest item kept.
                self.db.execute(
                    pg_insert(stream_counter)
                    .from_select(
                        ["id", "last_seq"],
                        sa.select(
                            sa.literal(1), sa.func.coalesce(sa.func.max(stream_items.c.seq), 0)
                        ),
                    )
                    .on_conflict_do_nothing(index_elements=["id"])
                )
                last = self.db.execute(bump).scalar_one()
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
            self.db.execute(stream_items.insert(), rows)
            for row in rows:
                self.db.emit("stream_item_added", stream_wire(row))
        self.db.commit()

    def _rollback(self) -> None:
        self.db.info.pop("stream", None)
        self.db.rollback()

    # -- people -----------------------------------------------------------------------

    def _sync_directory(self, force: bool = False) -> None:
        """Fill the users/teams read model from identity (users made before the feed ran).

        At most once per ``DIRECTORY_SYNC_SECONDS`` per process unless ``force``.
        """
        global _last_directory_sync
        now = time.monotonic()
        if not force and now - _last_directory_sync < DIRECTORY_SYNC_SECONDS:
            return
        _last_directory_sync = now
        system = Actor.system("feed").to_dict()
        try:
            # Only the calls run under the timeout; the rows are written after.
            with eventlet.Timeout(DIRECTORY_SYNC_TIMEOUT):
                teams, users = self._read_directory(system)
        except (Exception, eventlet.Timeout):  # noqa: BLE001 - identity away or slow
            log.warning("could not read users and teams from identity", exc_info=True)
            return
        for team in teams:
            self._upsert_team(team)
        for user in users:
            self._upsert_user(user)

    def _read_directory(self, system: dict[str, Any]) -> tuple[list[dict], list[dict]]:
        teams = list(self.identity.list_teams(actor=system) or [])
        users: list[dict] = []
        cursor = None
        while True:
            query: dict[str, Any] = {"limit": 200}
            if cursor:
                query["cursor"] = cursor
            page = self.identity.list_users(query, actor=system)
            users.extend(page.get("items") or [])
            cursor = page.get("next_cursor")
            if not cursor:
                return teams, users

    def _upsert_user(self, user: dict[str, Any]) -> None:
        if not domain.is_uuid(user.get("id")) or not user.get("email"):
            return
        values = {
            "email": user["email"],
            "handle": domain.user_handle(user["email"]),
            "full_name": user.get("full_name"),
            "team_id": user.get("team_id"),
            "is_active": user.get("is_active", True) is not False,
        }
        self.db.execute(
            pg_insert(directory_users)
            .values(id=user["id"], **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )

    def _upsert_team(self, team: dict[str, Any]) -> None:
        if not domain.is_uuid(team.get("id")) or not team.get("name"):
            return
        values = {"name": team["name"], "handle": domain.team_handle(team["name"])}
        self.db.execute(
            pg_insert(directory_teams)
            .values(id=team["id"], **values)
            .on_conflict_do_update(index_elements=["id"], set_=values)
        )

    def _find_handle(self, handle: str) -> dict[str, Any] | None:
        user = self.db.execute(
            sa.select(directory_users.c.id, directory_users.c.handle)
            .where(directory_users.c.handle == handle, directory_users.c.is_active)
            .order_by(directory_users.c.id)
            .limit(1)
        ).first()
        if user is not None:
            return {"type": "user", "id": user.id, "handle": user.handle}
        team = self.db.execute(
            sa.select(directory_teams.c.id, directory_teams.c.handle)
            .where(directory_teams.c.handle == handle)
            .limit(1)
        ).first()
        if team is not None:
            return {"type": "team", "id": team.id, "handle": team.handle}
        return None

    def _render(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """The text's safe HTML and the users and teams it mentions."""
        handles = domain.mentioned_handles(text)
        found: dict[str, dict[str, Any]] = {}
        missing = []
        for handle in handles:
            hit = self._find_handle(handle)
            if hit is None:
                missing.append(handle)
            else:
                found[handle] = hit
        if missing:
            self._sync_directory()
            for handle in missing:
                hit = self._find_handle(handle)
                if hit is not None:
                    found[handle] = hit
        html = domain.render(text, found.get)
        return html, [found[h] for h in handles if h in found]

    def _mentioned_user_ids(self, mentions: list[dict[str, Any]]) -> list[str]:
        """Every user a mention list reaches: users, and the active members of teams."""
        ids: list[str] = []
        for mention in mentions:
            if mention["type"] == "user":
                ids.append(mention["id"])
            else:
                ids.extend(
                    self.db.execute(
                        sa.select(directory_users.c.id).where(
                            directory_users.c.team_id == mention["id"],
                            directory_users.c.is_active,
                        )
                    ).scalars()
                )
        return list(dict.fromkeys(ids))

    # -- records ----------------------------------------------------------------------

    def _record_ref(self, record_type: str, record_id: str) -> dict[str, Any]:
        """The record's owner and team as the feed last heard; unknown → shared (nulls)."""
        row = self.db.execute(
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

    def _upsert_ref(
        self, record_type: str, record: dict[str, Any], *, follow: bool = True
    ) -> str | None:
        """Keep the record's owner/team/title; the owner follows it. Returns the owner
        (the one the event carries, else the one the feed knew)."""
        if not domain.is_uuid(record.get("id")):
            return None
        owner = self.db.execute(
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
            self._subscribe(owner, record_type, record["id"])
        return owner

    def _subscribe(self, user_id: str, target_type: str, target_id: str) -> None:
        """Make the user's subscription to the target if it is missing."""
        self.db.execute(
            _SUBSCRIBE,
            {
                "id": new_id(),
                "user_id": user_id,
                "target_type": target_type,
                "target_id": target_id,
                "created_at": utcnow(),
            },
        )

    def _follow(self, user_id: str, target_type: str, target_id: str) -> dict[str, Any]:
        """The user's subscription to the target, made if missing."""
        self._subscribe(user_id, target_type, target_id)
        row = self.db.execute(
            sa.select(subscriptions).where(
                subscriptions.c.user_id == user_id,
                subscriptions.c.target_type == target_type,
                subscriptions.c.target_id == target_id,
            )
        ).one()
        return dump_subscription(row)

    # -- channels and posts -----------------------------------------------------------

    def _channel_row(self, channel_id: Any, caller: Actor, *, for_update: bool = False) -> Any:
        """The channel if the caller may see it (public, or a member); else ``NotFound``."""
        missing = NotFound(
            "No such channel", [{"field": "channel_id", "message": "no such channel"}]
        )
        if not domain.is_uuid(channel_id):
            raise missing
        stmt = sa.select(channels).where(channels.c.id == channel_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.db.execute(stmt).first()
        if row is None:
            raise missing
        if row.is_private and not self._is_member(row.id, caller.id):
            raise missing
        return row

    def _is_member(self, channel_id: str, user_id: str) -> bool:
        return (
            self.db.execute(
                sa.select(channel_members.c.user_id).where(
                    channel_members.c.channel_id == channel_id,
                    channel_members.c.user_id == user_id,
                )
            ).first()
            is not None
        )

    def _is_channel_admin(self, channel_id: str, caller: Actor) -> bool:
        if caller.is_admin:
            return True
        return (
            self.db.execute(
                sa.select(channel_members.c.user_id).where(
                    channel_members.c.channel_id == channel_id,
                    channel_members.c.user_id == caller.id,
                    channel_members.c.is_admin,
                )
            ).first()
            is not None
        )

    def _channel_audience(self, channel: Any) -> dict[str, Any]:
        if not channel.is_private:
            return {"kind": "all"}
        members = self.db.execute(
            sa.select(channel_members.c.user_id)
            .where(channel_members.c.channel_id == channel.id)
            .order_by(channel_members.c.user_id)
        ).scalars()
        return {"kind": "users", "user_ids": list(members)}

    def _post_audience(self, post: Any) -> dict[str, Any]:
        if post.channel_id is not None:
            channel = self.db.execute(
                sa.select(channels).where(channels.c.id == post.channel_id)
            ).one()
            return self._channel_audience(channel)
        ref = self._record_ref(post.related_type, post.related_id)
        ref.pop("title", None)
        return {"kind": "record", "record": ref}

    def _visible(self, caller: Actor) -> sa.ColumnElement[bool]:
        """SQL: the posts the caller may see (member of a private channel, may read the record)."""
        in_channel = sa.or_(
            posts.c.channel_id.in_(sa.select(channels.c.id).where(~channels.c.is_private)),
            posts.c.channel_id.in_(
                sa.select(channel_members.c.channel_id).where(
                    channel_members.c.user_id == caller.id
                )
            ),
        )
        if caller.is_admin:
            on_record = posts.c.related_id.is_not(None)
        else:
            denied = sa.exists().where(
                record_refs.c.type == posts.c.related_type,
                record_refs.c.id == posts.c.related_id,
                sa.or_(record_refs.c.owner_id.is_not(None), record_refs.c.team_id.is_not(None)),
                sa.func.coalesce(record_refs.c.owner_id != caller.id, True),
                (
                    sa.func.coalesce(record_refs.c.team_id != caller.team_id, True)
                    if caller.team_id
                    else sa.true()
                ),
            )
            on_record = sa.and_(posts.c.related_id.is_not(None), ~denied)
        return sa.or_(sa.and_(posts.c.channel_id.is_not(None), in_channel), on_record)

    def _post_row(self, post_id: Any, caller: Actor, *, for_update: bool = False) -> Any:
        missing = NotFound("No such post", [{"field": "post_id", "message": "no such post"}])
        if not domain.is_uuid(post_id):
            raise missing
        stmt = sa.select(posts).where(posts.c.id == post_id, self._visible(caller))
        if for_update:
            stmt = stmt.with_for_update(of=posts)
        row = self.db.execute(stmt).first()
        if row is None:
            raise missing
        return row

    def _dump_posts(self, rows: list[Any], viewer_id: str | None) -> list[dict[str, Any]]:
        ids = [r.id for r in rows]
        liked: set[str] = set()
        if viewer_id and ids:
            liked = set(
                self.db.execute(
                    sa.select(likes.c.post_id).where(
                        likes.c.post_id.in_(ids), likes.c.user_id == viewer_id
                    )
                ).scalars()
            )
        file_ids = [f for r in rows for f in (r.attachment_ids or [])]
        found: dict[str, dict[str, Any]] = {}
        if file_ids:
            for f in self.db.execute(
                sa.select(files.c.id, files.c.name, files.c.content_type, files.c.size).where(
                    files.c.id.in_(file_ids)
                )
            ):
                found[f.id] = {
                    "id": f.id,
                    "name": f.name,
                    "content_type": f.content_type,
                    "size": f.size,
                }
        return [
            dump_post(
                r,
                liked_by_me=r.id in liked,
                attachments=[found[f] for f in (r.attachment_ids or []) if f in found],
            )
            for r in rows
        ]

    def _dump_post(self, row: Any, viewer_id: str | None) -> dict[str, Any]:
        return self._dump_posts([row], viewer_id)[0]

    # -- notifications ----------------------------------------------------------------

    def _notify(
        self,
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
        row = self.db.execute(
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
        self._stream(
            "notification_created",
            {"kind": "users", "user_ids": [user_id]},
            {**dump_notification(row), "unread_count": self._unread_count(user_id)},
        )

    def _unread_count(self, user_id: str) -> int:
        return self.db.execute(
            sa.select(sa.func.count())
            .select_from(notifications)
            .where(notifications.c.user_id == user_id, notifications.c.read_at.is_(None))
        ).scalar_one()


# -- the wire ---------------------------------------------------------------------------


def stream_wire(row: Any) -> dict[str, Any]:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return {
        "seq": get("seq"),
        "type": get("type"),
        "occurred_at": isoformat(get("occurred_at")),
        "audience": get("audience"),
        "data": get("data"),
    }


def dump_post(
    row: Any, *, liked_by_me: bool = False, attachments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel_id": row.channel_id,
        "related": {"type": row.related_type, "id": row.related_id} if row.related_id else None,
        "text": row.text,
        "html": row.html,
        "author_id": row.author_id,
        "kind": row.kind,
        "event_type": row.event_type,
        "mentions": list(row.mentions or []),
        "attachments": attachments or [],
        "like_count": row.like_count,
        "liked_by_me": liked_by_me,
        "comment_count": row.comment_count,
        "is_pinned": row.is_pinned,
        "created_at": isoformat(row.created_at),
        "edited_at": isoformat(row.edited_at),
        "version": row.version,
    }


def dump_comment(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "post_id": row.post_id,
        "text": row.text,
        "html": row.html,
        "author_id": row.author_id,
        "mentions": list(row.mentions or []),
        "created_at": isoformat(row.created_at),
        "edited_at": isoformat(row.edited_at),
        "version": row.version,
    }


def dump_notification(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "text": row.text,
        "related": {"type": row.related_type, "id": row.related_id} if row.related_id else None,
        "post_id": row.post_id,
        "actor_id": row.actor_id,
        "read_at": isoformat(row.read_at),
        "created_at": isoformat(row.created_at),
    }


def dump_subscription(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "target": {"type": row.target_type, "id": row.target_id},
        "created_at": isoformat(row.created_at),
    }
