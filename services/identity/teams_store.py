"""Teams' reads and writes (the users in them are :mod:`.store`'s).

Every function takes the session explicitly and none commits: the caller commits, so
a change and its outbox event become durable together or not at all. The rules live
in :mod:`.domain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.platform.db import ServiceSession
from services.platform.errors import Conflict, ValidationFailed
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.records import not_found

from . import domain, team_rules
from .models import Team, User
from .schemas import dump_team

#: how many users each team has (deactivated ones too: they still belong to it)
_USER_COUNT = (
    sa.select(sa.func.count())
    .select_from(User)
    .where(User.team_id == Team.id)
    .correlate(Team)
    .scalar_subquery()
    .label("user_count")
)


def _with_count(team: Team, user_count: int) -> dict[str, Any]:
    return {**dump_team(team), "user_count": user_count}


def list_teams(db: Session) -> list[dict[str, Any]]:
    """Every team with its ``user_count``, by name."""
    rows = db.execute(sa.select(Team, _USER_COUNT).order_by(Team.name, Team.id)).all()
    return [_with_count(row.Team, row.user_count) for row in rows]


def get_team(db: Session, team_id: Any) -> dict[str, Any]:
    """The team with its ``user_count``; ``NotFound`` when there is none."""
    row = None
    if domain.is_uuid(team_id):
        row = db.execute(sa.select(Team, _USER_COUNT).where(Team.id == team_id)).first()
    if row is None:
        raise not_found("team")
    return _with_count(row.Team, row.user_count)


def find_team_by_name(db: Session, name: str) -> dict[str, Any] | None:
    team = db.scalar(sa.select(Team).where(sa.func.lower(Team.name) == name.lower()))
    return dump_team(team) if team else None


def create_team(
    db: ServiceSession, changes: Mapping[str, Any], *, actor: dict[str, Any] | None
) -> dict[str, Any]:
    """Store a team from cleaned ``changes`` and emit ``team_created``. Raises
    ``Conflict`` on a taken name (any letter case), ``ValidationFailed`` on an
    unknown or deactivated manager."""
    if find_team_by_name(db, changes["name"]) is not None:
        raise _team_name_taken()
    manager_id = changes.get("manager_id")
    _check_manager(db, manager_id)
    team_id = db.execute(
        pg_insert(Team)
        .values(id=new_id(), name=changes["name"], manager_id=manager_id, created_at=utcnow())
        .on_conflict_do_nothing()
        .returning(Team.id)
    ).scalar()
    if team_id is None:
        raise _team_name_taken()
    team = dump_team(db.get(Team, team_id))
    db.emit("team_created", team, actor=actor)
    return team


def update_team(
    db: ServiceSession, team_id: Any, changes: Mapping[str, Any], *, actor: dict[str, Any]
) -> dict[str, Any]:
    """Rename a team or choose its manager from cleaned ``changes``; emit
    ``team_updated`` (the team plus ``changed_fields``) unless nothing changed.
    Raises ``NotFound``, ``Conflict`` (a name another team has, any letter case),
    ``ValidationFailed`` (unknown or deactivated manager)."""
    team = _locked(db, team_id)
    current = dump_team(team)
    changed = team_rules.changed_team_fields(current, changes)
    if not changed:
        return get_team(db, team.id)
    if "name" in changed:
        other = find_team_by_name(db, changes["name"])
        if other is not None and other["id"] != team.id:
            raise _team_name_taken()
        team.name = changes["name"]
    if "manager_id" in changed:
        _check_manager(db, changes["manager_id"])
        team.manager_id = changes["manager_id"]
    try:
        db.flush()
    except IntegrityError:
        raise _team_name_taken() from None  # renamed to the same name at the same moment
    db.emit("team_updated", {**dump_team(team), "changed_fields": changed}, actor=actor)
    return get_team(db, team.id)


def delete_team(db: ServiceSession, team_id: Any, *, actor: dict[str, Any]) -> None:
    """Delete a team nobody is in and emit ``team_deleted`` (the team as it was).
    Raises ``NotFound``, ``Conflict`` naming the users still in it."""
    team = _locked(db, team_id)
    total = db.scalar(sa.select(sa.func.count()).select_from(User).where(User.team_id == team.id))
    names = db.scalars(
        sa.select(User.full_name)
        .where(User.team_id == team.id)
        .order_by(User.full_name, User.id)
        .limit(team_rules.TEAM_MEMBERS_NAMED)
    ).all()
    team_rules.check_team_is_empty(team.name, list(names), total or 0)
    gone = dump_team(team)
    db.delete(team)
    db.flush()
    db.emit("team_deleted", gone, actor=actor)


def _locked(db: Session, team_id: Any) -> Team:
    """The team, locked until commit: a user moved into it while it is being deleted
    waits, then finds it gone (their change fails on its foreign key)."""
    team = None
    if domain.is_uuid(team_id):
        team = db.scalar(sa.select(Team).where(Team.id == team_id).with_for_update())
    if team is None:
        raise not_found("team")
    return team


def _check_manager(db: Session, manager_id: str | None) -> None:
    if manager_id is None:
        return
    is_active = db.scalar(sa.select(User.is_active).where(User.id == manager_id))
    if is_active is None:
        raise ValidationFailed(
            "manager_id: no such user", [{"field": "manager_id", "message": "no such user"}]
        )
    if not is_active:
        raise ValidationFailed(
            "manager_id: the user is deactivated",
            [{"field": "manager_id", "message": "the user is deactivated"}],
        )


def _team_name_taken() -> Conflict:
    return Conflict(
        "A team with this name already exists", [{"field": "name", "message": "is already taken"}]
    )
