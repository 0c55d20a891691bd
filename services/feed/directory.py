"""The people the feed knows: a read model of identity's users and teams (handles for
mentions, team members), kept from identity's events and, for users made before the
feed ran, filled from identity's lists when a mentioned handle is unknown (at most every
``DIRECTORY_SYNC_SECONDS`` per process, waiting at most ``DIRECTORY_SYNC_TIMEOUT``).
Functions that take the session ``db`` (and the ``identity`` proxy where they ask it).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import eventlet
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor

from . import domain
from .models import directory_teams, directory_users

log = logging.getLogger(__name__)

#: How often at most one process asks identity for every user and team again.
DIRECTORY_SYNC_SECONDS = 30.0
#: How long a mention waits for identity's lists before resolving from what it has.
DIRECTORY_SYNC_TIMEOUT = 5.0
_last_directory_sync = 0.0


def sync_directory(db: Any, identity: Any, force: bool = False) -> None:
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
            teams, users = read_directory(identity, system)
    except (Exception, eventlet.Timeout):  # noqa: BLE001 - identity away or slow
        log.warning("could not read users and teams from identity", exc_info=True)
        return
    for team in teams:
        upsert_team(db, team)
    for user in users:
        upsert_user(db, user)


def read_directory(identity: Any, system: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    teams = list(identity.list_teams(actor=system) or [])
    users: list[dict] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 200}
        if cursor:
            query["cursor"] = cursor
        page = identity.list_users(query, actor=system)
        users.extend(page.get("items") or [])
        cursor = page.get("next_cursor")
        if not cursor:
            return teams, users


def upsert_user(db: Any, user: dict[str, Any]) -> None:
    if not domain.is_uuid(user.get("id")) or not user.get("email"):
        return
    values = {
        "email": user["email"],
        "handle": domain.user_handle(user["email"]),
        "full_name": user.get("full_name"),
        "team_id": user.get("team_id"),
        "is_active": user.get("is_active", True) is not False,
    }
    db.execute(
        pg_insert(directory_users)
        .values(id=user["id"], **values)
        .on_conflict_do_update(index_elements=["id"], set_=values)
    )


def upsert_team(db: Any, team: dict[str, Any]) -> None:
    if not domain.is_uuid(team.get("id")) or not team.get("name"):
        return
    values = {"name": team["name"], "handle": domain.team_handle(team["name"])}
    db.execute(
        pg_insert(directory_teams)
        .values(id=team["id"], **values)
        .on_conflict_do_update(index_elements=["id"], set_=values)
    )


def delete_team(db: Any, team_id: Any) -> None:
    if domain.is_uuid(team_id):
        db.execute(directory_teams.delete().where(directory_teams.c.id == team_id))


def find_handle(db: Any, handle: str) -> dict[str, Any] | None:
    user = db.execute(
        sa.select(directory_users.c.id, directory_users.c.handle)
        .where(directory_users.c.handle == handle, directory_users.c.is_active)
        .order_by(directory_users.c.id)
        .limit(1)
    ).first()
    if user is not None:
        return {"type": "user", "id": user.id, "handle": user.handle}
    team = db.execute(
        sa.select(directory_teams.c.id, directory_teams.c.handle)
        .where(directory_teams.c.handle == handle)
        .limit(1)
    ).first()
    if team is not None:
        return {"type": "team", "id": team.id, "handle": team.handle}
    return None


def render(db: Any, identity: Any, text: str) -> tuple[str, list[dict[str, Any]]]:
    """The text's safe HTML and the users and teams it mentions."""
    handles = domain.mentioned_handles(text)
    found: dict[str, dict[str, Any]] = {}
    missing = []
    for handle in handles:
        hit = find_handle(db, handle)
        if hit is None:
            missing.append(handle)
        else:
            found[handle] = hit
    if missing:
        sync_directory(db, identity)
        for handle in missing:
            hit = find_handle(db, handle)
            if hit is not None:
                found[handle] = hit
    html = domain.render(text, found.get)
    return html, [found[h] for h in handles if h in found]


def mentioned_user_ids(db: Any, mentions: list[dict[str, Any]]) -> list[str]:
    """Every user a mention list reaches: users, and the active members of teams."""
    ids: list[str] = []
    for mention in mentions:
        if mention["type"] == "user":
            ids.append(mention["id"])
        else:
            ids.extend(
                db.execute(
                    sa.select(directory_users.c.id).where(
                        directory_users.c.team_id == mention["id"],
                        directory_users.c.is_active,
                    )
                ).scalars()
            )
    return list(dict.fromkeys(ids))


def is_empty(db: Any) -> bool:
    """Whether the feed knows nobody yet (then identity's lists are read)."""
    return db.execute(sa.select(directory_users.c.id).limit(1)).first() is None


def starting_with(db: Any, text: str, limit: int) -> tuple[list[Any], list[Any]]:
    """Up to ``limit`` active users and ``limit`` teams whose handle or name starts with
    ``text`` (lowercased), by handle."""
    like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    users = db.execute(
        sa.select(directory_users)
        .where(
            directory_users.c.is_active,
            sa.or_(
                directory_users.c.handle.like(like),
                sa.func.lower(directory_users.c.full_name).like(like),
            ),
        )
        .order_by(directory_users.c.handle)
        .limit(limit)
    ).all()
    teams = db.execute(
        sa.select(directory_teams)
        .where(
            sa.or_(
                directory_teams.c.handle.like(like),
                sa.func.lower(directory_teams.c.name).like(like),
            )
        )
        .order_by(directory_teams.c.handle)
        .limit(limit)
    ).all()
    return list(users), list(teams)
