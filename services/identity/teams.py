"""Teams, and the roles a user may be given."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, store
from .dependencies import IdentityBase


class TeamsRpc(IdentityBase):
    """Teams, and the roles a user may be given."""

    @rpc(expected_exceptions=EXPECTED)
    def list_teams(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every team ``{id, name, manager_id}``, by name."""
        Actor.from_dict(actor)
        return store.list_teams(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def create_team(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a team ``{name, manager_id?}`` and emit ``team_created``. Admins only.

        Raises ``PermissionDenied``, ``Conflict`` (name taken, any letter case),
        ``ValidationFailed`` (no name, unknown fields, unknown manager).
        """
        caller = Actor.from_dict(actor)
        domain.check_may_manage_teams(caller)
        changes = domain.clean_team_data(data)
        team = store.create_team(self.db, changes, actor=actor)
        self.db.commit()
        return team

    @rpc(expected_exceptions=EXPECTED)
    def list_roles(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every role ``{id, name, permissions}``, by name."""
        Actor.from_dict(actor)
        return store.list_roles(self.db)
