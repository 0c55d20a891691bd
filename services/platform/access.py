"""Who is calling, and the default record rights every service applies.

The gateway passes the caller to every RPC as a plain dict (`actor`); services
rebuild it with :meth:`Actor.from_dict`. Default rights (API.md): a sales rep reads
the team's records and changes only their own; a sales manager changes the team's;
an admin changes everything. A record with no owner and no team is a shared queue
(e.g. a lead waiting for distribution): everybody reads it, managers change it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import PermissionDenied, Unauthenticated

ADMIN = "admin"
SALES_MANAGER = "sales_manager"
SALES_REP = "sales_rep"
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    id: str
    email: str = ""
    full_name: str = ""
    roles: tuple[str, ...] = ()
    team_id: str | None = None
    permissions: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Actor:
        if not data or not data.get("id"):
            raise Unauthenticated("No caller identity was passed")
        return cls(
            id=str(data["id"]),
            email=data.get("email") or "",
            full_name=data.get("full_name") or "",
            roles=tuple(data.get("roles") or ()),
            team_id=data.get("team_id"),
            permissions=tuple(data.get("permissions") or ()),
        )

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(id="00000000-0000-0000-0000-000000000000", email=name, roles=(SYSTEM,))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["roles"] = list(self.roles)
        data["permissions"] = list(self.permissions)
        return data

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles or SYSTEM in self.roles

    @property
    def is_manager(self) -> bool:
        return self.is_admin or SALES_MANAGER in self.roles

    def can_read(self, owner_id: str | None, team_id: str | None) -> bool:
        if self.is_admin:
            return True
        if owner_id is None and team_id is None:
            return True
        return owner_id == self.id or (team_id is not None and team_id == self.team_id)

    def can_change(self, owner_id: str | None, team_id: str | None) -> bool:
        if self.is_admin:
            return True
        if owner_id == self.id:
            return True
        if self.is_manager:
            return team_id is None or team_id == self.team_id
        return False

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("Only an administrator may do this")

    def require_change(self, owner_id: str | None, team_id: str | None) -> None:
        if not self.can_change(owner_id, team_id):
            raise PermissionDenied("You may not change this record")
