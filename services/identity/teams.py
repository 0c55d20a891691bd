"""Teams, and the roles a user may be given."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import team_rules, teams_store
from .dependencies import IdentityBase


class TeamsRpc(IdentityBase):
    """Teams, and the roles a user may be given."""

    @rpc(expected_exceptions=EXPECTED)
    def list_teams(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every team ``{id, name, manager_id, user_count}``, by name (``user_count``
        counts deactivated users too: they still belong to it)."""
        Actor.from_dict(actor)
        return teams_store.list_teams(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def get_team(self, team_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The team ``{id, name, manager_id, user_count}``. Raises ``NotFound``."""
        Actor.from_dict(actor)
        return teams_store.get_team(self.db, team_id)

    @rpc(expected_exceptions=EXPECTED)
    def create_team(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a team ``{name, manager_id?}`` and emit ``team_created``. Admins only.

        Raises ``PermissionDenied``, ``Conflict`` (name taken, any letter case),
        ``ValidationFailed`` (no name, unknown fields, unknown or deactivated manager).
        """
        caller = Actor.from_dict(actor)
        team_rules.check_may_manage_teams(caller)
        changes = team_rules.clean_team_data(data)
        team = teams_store.create_team(self.db, changes, actor=actor)
        self.db.commit()
        return team

    @rpc(expected_exceptions=EXPECTED)
    def update_team(
        self, team_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Rename a team or choose its manager (``{name?, manager_id?}``, null for no
        manager); emit ``team_updated`` (the team plus ``changed_fields``) unless
        nothing changed. Admins only. Returns the team with its ``user_count``.

        Raises ``PermissionDenied``, ``NotFound``, ``Conflict`` (name taken, any letter
        case), ``ValidationFailed`` (empty name, unknown fields, unknown or
        deactivated manager).
        """
        caller = Actor.from_dict(actor)
        team_rules.check_may_manage_teams(caller)
        changes = team_rules.clean_team_data(data, creating=False)
        team = teams_store.update_team(self.db, team_id, changes, actor=actor)
        self.db.commit()
        return team

    @rpc(expected_exceptions=EXPECTED)
    def delete_team(self, team_id: str, actor: dict[str, Any]) -> None:
        """Delete a team nobody is in and emit ``team_deleted``. Admins only.

        Raises ``PermissionDenied``, ``NotFound``, ``Conflict`` naming the users still
        in the team (deactivated ones too), so they can be moved first.
        """
        caller = Actor.from_dict(actor)
        team_rules.check_may_manage_teams(caller)
        teams_store.delete_team(self.db, team_id, actor=actor)
        self.db.commit()
