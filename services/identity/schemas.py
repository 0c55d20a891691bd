"""What crosses the wire: users, teams and roles as JSON-safe dicts.

A user never carries its password or its hash, in answers or in events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.platform.events import isoformat

from .models import Role, Team, User


def dump_user(user: User, role_ids: Sequence[str], roles: Sequence[str]) -> dict[str, Any]:
    """``{id, email, full_name, role_ids, roles, team_id, is_active, locale, theme,
    created_at, updated_at}``; ``role_ids`` and ``roles`` in the same order (by name)."""
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role_ids": list(role_ids),
        "roles": list(roles),
        "team_id": user.team_id,
        "is_active": user.is_active,
        "locale": user.locale,
        "theme": user.theme,
        "accent_color": user.accent_color,
        "password_change_required": bool(user.password_change_required),
        "created_at": isoformat(user.created_at),
        "updated_at": isoformat(user.updated_at),
    }


def dump_team(team: Team) -> dict[str, Any]:
    return {"id": team.id, "name": team.name, "manager_id": team.manager_id}


def dump_role(role: Role) -> dict[str, Any]:
    return {"id": role.id, "name": role.name, "permissions": list(role.permissions)}
