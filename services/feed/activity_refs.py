"""Activities as the feed knows them, from the sales service's ``activity_*`` events
(docs/events.md, "What the feed consumes"): who reads an activity's posts and which
record's feed shows them.

- its owner and team in ``record_refs`` (type ``activity``), as every record's, and
  the record it is for (``related_type`` / ``related_id``) as the ref's
  ``parent_type`` / ``parent_id``: that record's feed, and the feeds of whoever
  follows it, show the activity's posts — to those who read the activity;
- its user participants, who read an activity whatever their scope (as sales lets
  them), as shares of it in ``record_shares`` with an id of their own
  (:func:`participant_share_id`): a participant dropped is a share taken back, one
  added again a share made again. The owning service's own shares of the activity
  (``activity_shared``) stay apart, with the ids sales gave them;
- a change of who the activity is shared with writes ``record_access_changed``
  (:func:`services.feed.record_shares.access_changed_item`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from . import domain, record_shares, store
from .models import posts, record_refs, subscriptions
from .models import record_shares as shares_table

ACTIVITY = "activity"
#: the namespace of the ids of participants' shares (uuid5 of "<activity>:<user>")
PARTICIPANTS = uuid.UUID("6f0b7d3e-6a43-4c1e-9a0e-3b1f5f8c2d17")


def participant_share_id(activity_id: str, user_id: str) -> str:
    """The id of the share a user participant has of an activity."""
    return str(uuid.uuid5(PARTICIPANTS, f"{activity_id}:{user_id}"))


def keep_activity(db: Any, activity: Mapping[str, Any], *, follow: bool = True) -> None:
    """Keep the activity's owner, team, title, record and user participants from its
    event's data (``follow``: its owner follows it), and queue ``record_access_changed``
    when whom it is shared with changed. Not committed."""
    activity_id = str(activity["id"])
    record_shares.lock(db, activity_id)
    before = record_shares.shared_ids(db, ACTIVITY, activity_id)
    store.upsert_ref(db, ACTIVITY, dict(activity), follow=follow)
    if "related_type" in activity or "related_id" in activity:
        parent = domain.activity_parent(activity)
        db.execute(
            sa.update(record_refs)
            .where(record_refs.c.type == ACTIVITY, record_refs.c.id == activity_id)
            .values(
                parent_type=parent[0] if parent else None,
                parent_id=parent[1] if parent else None,
            )
        )
    participants = activity.get("participants")
    if isinstance(participants, list):
        keep_participants(db, activity_id, participants)
    record_shares.access_changed_item(db, ACTIVITY, activity_id, before)


def keep_participants(db: Any, activity_id: str, participants: list[Any]) -> None:
    """The user participants as the activity's participant shares: the ones no longer
    taking part marked removed, the others made (or made again)."""
    users = {
        str(p["id"])
        for p in participants
        if isinstance(p, Mapping) and p.get("type") == "user" and domain.is_uuid(p.get("id"))
    }
    rows = db.execute(
        sa.select(shares_table.c.id, shares_table.c.user_id).where(
            shares_table.c.type == ACTIVITY,
            shares_table.c.record_id == activity_id,
            shares_table.c.user_id.is_not(None),
            ~shares_table.c.removed,
        )
    ).all()
    gone = [
        row.id
        for row in rows
        if str(row.user_id) not in users
        and str(row.id) == participant_share_id(activity_id, str(row.user_id))
    ]
    if gone:
        db.execute(sa.update(shares_table).where(shares_table.c.id.in_(gone)).values(removed=True))
    for user_id in sorted(users):
        db.execute(
            pg_insert(shares_table)
            .values(
                id=participant_share_id(activity_id, user_id),
                type=ACTIVITY,
                record_id=activity_id,
                user_id=user_id,
                team_id=None,
                removed=False,
            )
            .on_conflict_do_update(index_elements=["id"], set_={"removed": False})
        )


def activities_of(record_type: str, record_id: Any) -> Any:
    """SQL: the ids of the activities for the record."""
    return sa.select(record_refs.c.id).where(
        record_refs.c.type == ACTIVITY,
        record_refs.c.parent_type == record_type,
        record_refs.c.parent_id == record_id,
    )


def on_record(related_type: str, related_id: str) -> sa.ColumnElement[bool]:
    """SQL: the post is about the record or, for a record an activity may be for, about
    one of its activities."""
    own = sa.and_(posts.c.related_type == related_type, posts.c.related_id == related_id)
    if related_type not in domain.ACTIVITY_PARENT_TYPES:
        return own
    return sa.or_(
        own,
        sa.and_(
            posts.c.related_type == ACTIVITY,
            posts.c.related_id.in_(activities_of(related_type, related_id)),
        ),
    )


def on_followed_record(user_id: str) -> sa.ColumnElement[bool]:
    """SQL: the post is about an activity for a record the user follows."""
    followed_parent = sa.exists().where(
        subscriptions.c.user_id == user_id,
        subscriptions.c.target_type == record_refs.c.parent_type,
        subscriptions.c.target_id == record_refs.c.parent_id,
    )
    return sa.and_(
        posts.c.related_type == ACTIVITY,
        posts.c.related_id.in_(
            sa.select(record_refs.c.id).where(record_refs.c.type == ACTIVITY, followed_parent)
        ),
    )
