"""Which posts a caller sees, and the posts, comments and likes as they are read and
written: functions that take the session ``db`` first.

A post is seen by whoever may see its place: a public channel by everybody signed in, a
private one by its members, a record's post by whoever may read the record
(``record_refs``; a record the feed never heard of counts as shared) or whom the
record is shared with (:mod:`.record_shares`). A system post's text names its
record's fields; a reader whose role hides any of them reads it without them.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import eventlet
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.audience import (
    ENTITY_OF_RECORD_TYPE,
    hides_any,
    reads_record,
    shared_with,
)
from services.platform.errors import NotFound
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import activity_refs, directory, domain, record_shares, store
from .models import (
    channel_members,
    channels,
    comments,
    directory_users,
    files,
    likes,
    posts,
    record_refs,
    subscriptions,
)
from .schemas import bad, dump_post, page_limit

log = logging.getLogger(__name__)

#: The most files one post carries.
MAX_ATTACHMENTS = 10
#: How long a mention or a notification waits for identity to tell users' rights.
IDENTITY_WAIT_SECONDS = 2.0


def post_audience(db: Any, post: Any) -> dict[str, Any]:
    """Who sees the post's stream items (``services.platform.audience``), with the
    post's text without its record's fields (``plain``) when it names any."""
    plain = None
    if getattr(post, "shows_fields", None) and getattr(post, "plain_text", None) is not None:
        plain = {
            "type": plain_type(post),
            "fields": list(post.shows_fields),
            "text": post.plain_text,
            "html": post.plain_html,
        }
    if post.channel_id is not None:
        channel = db.execute(sa.select(channels).where(channels.c.id == post.channel_id)).one()
        audience = store.channel_audience(db, channel)
        return {**audience, "plain": plain} if plain else audience
    ref = store.record_ref(db, post.related_type, post.related_id)
    ref.pop("title", None)
    users, teams = record_shares.shared_ids(db, post.related_type, post.related_id)
    if users:
        ref["shared_user_ids"] = users
    if teams:
        ref["shared_team_ids"] = teams
    audience: dict[str, Any] = {"kind": "record", "record": ref}
    if plain:
        audience["plain"] = plain
    return audience


def visible(caller: Actor) -> sa.ColumnElement[bool]:
    """SQL: the posts the caller may see (member of a private channel, may read the record)."""
    in_channel = sa.or_(
        posts.c.channel_id.in_(sa.select(channels.c.id).where(~channels.c.is_private)),
        posts.c.channel_id.in_(
            sa.select(channel_members.c.channel_id).where(channel_members.c.user_id == caller.id)
        ),
    )
    on_record = sa.and_(posts.c.related_id.is_not(None), _records_readable(caller))
    return sa.or_(sa.and_(posts.c.channel_id.is_not(None), in_channel), on_record)


def _records_readable(caller: Actor) -> sa.ColumnElement[bool]:
    """SQL: the caller reads the post's record. Without rights in the actor, the
    defaults (admins every record; others their own, their team's and unowned ones);
    with rights, per record type its entity's ``read`` right and read scope."""
    if caller.rights is None:
        if caller.is_admin:
            return sa.true()
        return sa.or_(~_denied(caller, "team"), record_shares.shared_with_caller(caller))
    readable = []
    shared_types = []
    for record_type in domain.RECORD_TYPES:
        entity = ENTITY_OF_RECORD_TYPE[record_type]
        if not caller.may(entity, "read"):
            continue
        scope = caller.read_scope(entity)
        of_type = posts.c.related_type == record_type
        readable.append(of_type if scope == "all" else sa.and_(of_type, ~_denied(caller, scope)))
        if scope != "all":
            shared_types.append(record_type)
    if shared_types:
        readable.append(
            sa.and_(
                posts.c.related_type.in_(shared_types), record_shares.shared_with_caller(caller)
            )
        )
    return sa.or_(*readable) if readable else sa.false()


def reads_related(db: Any, caller: Actor, record_type: str, record_id: str) -> bool:
    """Whether the caller reads the record (as the feed last heard of it): by its
    entity's read right and scope, or shared with the caller or their team (the shares
    looked up only when the scope says no)."""
    ref = store.record_ref(db, record_type, record_id)
    if reads_record(caller, record_type, ref["owner_id"], ref["team_id"]):
        return True
    users, teams = record_shares.shared_ids(db, record_type, record_id)
    if not (users or teams):
        return False
    shared = shared_with(caller, users, teams)
    return reads_record(caller, record_type, ref["owner_id"], ref["team_id"], shared)


def _denied(caller: Actor, scope: str) -> sa.ColumnElement[bool]:
    """SQL: the post's record, as the feed last heard of it, is outside ``scope`` (own
    or team) for the caller — owned or teamed, not the caller's, not the caller's team."""
    return sa.exists().where(
        record_refs.c.type == posts.c.related_type,
        record_refs.c.id == posts.c.related_id,
        sa.or_(record_refs.c.owner_id.is_not(None), record_refs.c.team_id.is_not(None)),
        sa.func.coalesce(record_refs.c.owner_id != caller.id, True),
        (
            sa.func.coalesce(record_refs.c.team_id != caller.team_id, True)
            if scope == "team" and caller.team_id
            else sa.true()
        ),
    )


def post_row(db: Any, post_id: Any, caller: Actor, *, for_update: bool = False) -> Any:
    missing = NotFound("No such post", [{"field": "post_id", "message": "no such post"}])
    if not domain.is_uuid(post_id):
        raise missing
    stmt = sa.select(posts).where(posts.c.id == post_id, visible(caller))
    if for_update:
        stmt = stmt.with_for_update(of=posts)
    row = db.execute(stmt).first()
    if row is None:
        raise missing
    return row


def posts_out(db: Any, rows: list[Any], viewer: Actor | None) -> list[dict[str, Any]]:
    """The posts as ``viewer`` reads them (None: as stored, for a stream item, which the
    stream gives each reader by ``audience.as_seen_by``)."""
    viewer_id = viewer.id if viewer is not None else None
    ids = [r.id for r in rows]
    liked: set[str] = set()
    if viewer_id and ids:
        liked = set(
            db.execute(
                sa.select(likes.c.post_id).where(
                    likes.c.post_id.in_(ids), likes.c.user_id == viewer_id
                )
            ).scalars()
        )
    file_ids = [f for r in rows for f in (r.attachment_ids or [])]
    found: dict[str, dict[str, Any]] = {}
    if file_ids:
        for f in db.execute(
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
            plain=viewer is not None
            and bool(getattr(r, "shows_fields", None))
            and getattr(r, "plain_text", None) is not None
            and hides_any(viewer, plain_type(r), r.shows_fields),
        )
        for r in rows
    ]


def plain_type(row: Any) -> str | None:
    """The type of the record a system post names (its own, or its event's)."""
    return row.related_type or domain.SYSTEM_EVENT_RECORD_TYPE.get(row.event_type)


def post_out(db: Any, row: Any, viewer: Actor | None) -> dict[str, Any]:
    return posts_out(db, [row], viewer)[0]


# -- notifications ----------------------------------------------------------------


def insert_post(db: Any, identity: Any, **values: Any) -> Any:
    """A new post (rendered, its mentions resolved) and its stream item; a system post
    may carry ``shows_fields`` and ``plain_text`` (its text without them)."""
    html, mentions = directory.render(db, identity, values["text"])
    if values.get("plain_text") is not None:
        values["plain_html"] = directory.render(db, identity, values["plain_text"])[0]
    row = db.execute(
        posts.insert()
        .values(id=new_id(), html=html, mentions=mentions, created_at=utcnow(), **values)
        .returning(*posts.c)
    ).one()
    store.stream_item(db, "post_created", post_audience(db, row), post_out(db, row, None))
    return row


def attachments(db: Any, value: Any, caller: Actor) -> list[str]:
    """The caller's own files to attach: at most ``MAX_ATTACHMENTS``, each once."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(domain.is_uuid(v) for v in value):
        raise bad("attachment_ids", "must be a list of file ids")
    ids = list(dict.fromkeys(value))
    if len(ids) > MAX_ATTACHMENTS:
        raise bad("attachment_ids", f"at most {MAX_ATTACHMENTS} files")
    mine = set(
        db.execute(
            sa.select(files.c.id).where(files.c.id.in_(ids), files.c.created_by == caller.id)
        ).scalars()
    )
    for file_id in ids:
        if file_id not in mine:
            raise bad("attachment_ids", f"no such file of yours: {file_id}")
    return ids


def notify_mentions(
    db: Any,
    mentions: list[dict[str, Any]],
    author_id: str | None,
    post: Any,
    *,
    what: str,
    already: list[dict[str, Any]] | None = None,
    identity: Any = None,
) -> None:
    """Notify the users newly mentioned (and the members of mentioned teams) who may see
    the post — by their roles' rights, which ``identity`` tells — never its author."""
    before = set(directory.mentioned_user_ids(db, already or []))
    wanted = [
        user_id
        for user_id in directory.mentioned_user_ids(db, mentions)
        if user_id not in before and user_id != author_id
    ]
    if not wanted:
        return
    known = actors_of(identity, wanted) if identity is not None else {}
    audience = post_audience(db, post)
    for user_id in wanted:
        viewer = known.get(user_id) or person(db, user_id)
        if not domain.audience_includes(audience, viewer):
            continue  # never leak a private post by mentioning an outsider
        store.notify(
            db,
            user_id,
            "mention",
            f"You were mentioned in a {what}",
            related=(post.related_type, post.related_id) if post.related_id else None,
            post_id=post.id,
            actor_id=author_id,
        )


def actors_of(identity: Any, user_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The users' actors with their roles' rights, from identity, by id. When identity
    does not answer in ``IDENTITY_WAIT_SECONDS`` (or is not running) none: the caller
    falls back to the default rule (:func:`person`)."""
    try:
        with eventlet.Timeout(IDENTITY_WAIT_SECONDS):
            found = identity.actors_of_users(list(user_ids), actor=Actor.system("feed").to_dict())
    except (Exception, eventlet.Timeout):  # noqa: BLE001 - identity away or slow
        log.warning("identity did not tell the rights of %d users", len(user_ids))
        return {}
    return {str(a["id"]): a for a in found or () if isinstance(a, dict) and a.get("id")}


def hides_from_user(identity: Any, user_id: str, record_type: str, fields: Any) -> bool:
    """Whether the user's roles hide any of the record type's ``fields`` (true when
    identity cannot tell: the text without them is the safe one)."""
    viewer = actors_of(identity, [user_id]).get(str(user_id))
    if viewer is None:
        return True
    return hides_any(viewer, record_type, fields)


def person(db: Any, user_id: str) -> dict[str, Any]:
    """A user as the audience rule knows them: id and team (no roles: never an admin)."""
    row = db.execute(
        sa.select(directory_users.c.team_id).where(directory_users.c.id == user_id)
    ).first()
    return {"id": user_id, "team_id": row.team_id if row else None, "roles": []}


def post_page(
    db: Any, stmt: Any, caller: Actor, query: dict[str, Any] | None, pinned_first: bool = False
) -> dict[str, Any]:
    """A page of the posts of ``stmt`` the caller sees, newest first (pinned first)."""
    query = query or {}
    limit = page_limit(query.get("limit"), 30, 500)
    cursor = query.get("cursor")
    if cursor:
        text = str(cursor)
        if pinned_first:
            flag, _, last_id = text.partition(":")
            if flag not in ("0", "1") or not domain.is_uuid(last_id):
                raise bad("cursor", "not a cursor of this list")
            was_pinned = flag == "1"
            stmt = stmt.where(
                sa.or_(
                    sa.and_(posts.c.is_pinned == was_pinned, posts.c.id < last_id),
                    (~posts.c.is_pinned) if was_pinned else sa.false(),
                )
            )
        else:
            if not domain.is_uuid(text):
                raise bad("cursor", "not a cursor of this list")
            stmt = stmt.where(posts.c.id < text)
    order = [posts.c.is_pinned.desc(), posts.c.id.desc()] if pinned_first else [posts.c.id.desc()]
    rows = db.execute(stmt.where(visible(caller)).order_by(*order).limit(limit + 1)).all()
    items = posts_out(db, rows[:limit], caller)
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = f"{int(last.is_pinned)}:{last.id}" if pinned_first else last.id
    return {"items": items, "next_cursor": next_cursor}


def comment_row(db: Any, post_id: str, comment_id: str, caller: Actor) -> tuple[Any, Any]:
    """The post the caller sees and its comment, both under a row lock."""
    post = post_row(db, post_id, caller, for_update=True)
    missing = NotFound("No such comment", [{"field": "comment_id", "message": "no such comment"}])
    if not domain.is_uuid(comment_id):
        raise missing
    row = db.execute(
        sa.select(comments)
        .where(comments.c.id == comment_id, comments.c.post_id == post.id)
        .with_for_update()
    ).first()
    if row is None:
        raise missing
    return post, row


# --- the lists of posts ------------------------------------------------------------------


def feed_of(caller: Actor) -> Any:
    """The posts of the caller's feed: in channels and on records they follow (and on
    those records' activities), mentioning them (or their team), and their own."""
    followed_channels = sa.select(subscriptions.c.target_id).where(
        subscriptions.c.user_id == caller.id, subscriptions.c.target_type == "channel"
    )
    followed_record = sa.exists().where(
        subscriptions.c.user_id == caller.id,
        subscriptions.c.target_type == posts.c.related_type,
        subscriptions.c.target_id == posts.c.related_id,
    )
    mention_me = [posts.c.mentions.contains([{"type": "user", "id": caller.id}])]
    if caller.team_id:
        mention_me.append(posts.c.mentions.contains([{"type": "team", "id": caller.team_id}]))
    return sa.select(posts).where(
        sa.or_(
            posts.c.channel_id.in_(followed_channels),
            sa.and_(posts.c.related_id.is_not(None), followed_record),
            activity_refs.on_followed_record(caller.id),
            posts.c.author_id == caller.id,
            *mention_me,
        )
    )


def posts_in_channel(channel_id: str) -> Any:
    return sa.select(posts).where(posts.c.channel_id == channel_id)


def posts_on_record(related_type: str, related_id: str) -> Any:
    """A record's posts, and those about its activities (each seen by its own rule)."""
    return sa.select(posts).where(activity_refs.on_record(related_type, related_id))


# --- writing posts and comments --------------------------------------------------------------


def update_text(
    db: Any, table: Any, row: Any, text: str, html: str, mentions: list[dict[str, Any]]
) -> Any:
    """A post's or comment's new text, edited now, at its next version; the new row."""
    return db.execute(
        table.update()
        .where(table.c.id == row.id)
        .values(
            text=text, html=html, mentions=mentions, edited_at=utcnow(), version=row.version + 1
        )
        .returning(*table.c)
    ).one()


def delete_post(db: Any, post_id: str) -> None:
    """The post (its comments and likes go by their foreign keys)."""
    db.execute(posts.delete().where(posts.c.id == post_id))


def set_pinned(db: Any, row: Any, pinned: bool) -> Any:
    """The post pinned or not, at its next version; the new row."""
    return db.execute(
        posts.update()
        .where(posts.c.id == row.id)
        .values(is_pinned=pinned, version=row.version + 1)
        .returning(*posts.c)
    ).one()


def comments_of(db: Any, post_id: str, limit: int, after_id: str | None) -> list[Any]:
    """Up to ``limit`` of the post's comments, oldest first, after ``after_id``."""
    stmt = sa.select(comments).where(comments.c.post_id == post_id)
    if after_id:
        stmt = stmt.where(comments.c.id > after_id)
    return list(db.execute(stmt.order_by(comments.c.id).limit(limit)).all())


def insert_comment(
    db: Any, post_id: str, text: str, html: str, mentions: list[dict[str, Any]], author_id: str
) -> Any:
    """A new comment, counted on its post; the comment's row."""
    row = db.execute(
        comments.insert()
        .values(
            id=new_id(),
            post_id=post_id,
            text=text,
            html=html,
            author_id=author_id,
            mentions=mentions,
            created_at=utcnow(),
        )
        .returning(*comments.c)
    ).one()
    db.execute(
        posts.update().where(posts.c.id == post_id).values(comment_count=posts.c.comment_count + 1)
    )
    return row


def delete_comment(db: Any, post_id: str, comment_id: str) -> None:
    """The comment, no longer counted on its post."""
    db.execute(comments.delete().where(comments.c.id == comment_id))
    db.execute(
        posts.update().where(posts.c.id == post_id).values(comment_count=posts.c.comment_count - 1)
    )


# --- likes -------------------------------------------------------------------------------------


def add_like(db: Any, post_id: str, user_id: str) -> bool:
    """The user's like of the post; False when they liked it already."""
    added = db.execute(
        pg_insert(likes)
        .values(post_id=post_id, user_id=user_id, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(likes.c.user_id)
    ).first()
    return added is not None


def remove_like(db: Any, post_id: str, user_id: str) -> bool:
    """The user's like taken back; False when there was none."""
    removed = db.execute(
        likes.delete()
        .where(likes.c.post_id == post_id, likes.c.user_id == user_id)
        .returning(likes.c.user_id)
    ).first()
    return removed is not None


def set_like_count(db: Any, post_id: str, count: int) -> None:
    db.execute(posts.update().where(posts.c.id == post_id).values(like_count=count))


def likes_of(db: Any, post_id: str) -> list[Any]:
    """Who liked the post, first first."""
    return list(
        db.execute(
            sa.select(likes).where(likes.c.post_id == post_id).order_by(likes.c.created_at)
        ).all()
    )


# --- attachments -------------------------------------------------------------------------------


def insert_file(db: Any, name: str, content_type: str, data: bytes, created_by: str) -> Any:
    """A stored file; its row without the content."""
    return db.execute(
        files.insert()
        .values(
            id=new_id(),
            name=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            content=data,
            created_by=created_by,
            created_at=utcnow(),
        )
        .returning(*[c for c in files.c if c.name != "content"])
    ).one()


def file_row(db: Any, file_id: str) -> Any:
    return db.execute(sa.select(files).where(files.c.id == file_id)).first()


def attached_to_visible_post(db: Any, file_id: str, caller: Actor) -> bool:
    """Whether a post the caller sees carries the file."""
    carrier = db.execute(
        sa.select(posts.c.id)
        .where(posts.c.attachment_ids.contains([file_id]), visible(caller))
        .limit(1)
    ).first()
    return carrier is not None


def posted_for_event(db: Any, event_id: str) -> bool:
    """Whether the event's system post was made already."""
    found = db.execute(sa.select(posts.c.id).where(posts.c.source_event_id == event_id)).first()
    return found is not None
