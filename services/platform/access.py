"""Who is calling, and the default record rights every service applies.

The gateway passes the caller to every RPC as a plain dict (`actor`); services
rebuild it with :meth:`Actor.from_dict`. Default rights (API.md): a sales rep reads
the team's records and changes only their own; a sales manager changes the team's;
an admin changes everything. A record with no owner and no team is a shared queue
(e.g. a lead waiting for distribution): everybody reads it, managers change it.

Rights set per role (docs/architecture.md, "Access rights"): identity puts the caller's
effective ``rights`` into the actor dict, ``{entity: {"ops": "crudx", "read": scope,
"write": scope, "hidden": [...], "read_only": [...]}}``. :meth:`Actor.may`,
:meth:`Actor.read_scope` and the entity-aware :meth:`Actor.can_read` /
:meth:`Actor.can_change` apply them; an actor without ``rights`` (the system, a
process, an older caller) keeps the defaults above exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import PermissionDenied, Unauthenticated

ADMIN = "admin"
SALES_MANAGER = "sales_manager"
SALES_REP = "sales_rep"
SYSTEM = "system"

#: the operations of object rights and their letters in a rights map's ``ops``
OPERATIONS: dict[str, str] = {
    "create": "c",
    "read": "r",
    "update": "u",
    "delete": "d",
    "export": "x",
}
#: record scopes, narrowest first
SCOPES: tuple[str, ...] = ("own", "team", "all")
#: the entities whose rights a role sets
ENTITIES: tuple[str, ...] = (
    "leads",
    "accounts",
    "contacts",
    "opportunities",
    "activities",
    "products",
    "orders",
    "invoices",
)


@dataclass(frozen=True)
class Actor:
    id: str
    email: str = ""
    full_name: str = ""
    roles: tuple[str, ...] = ()
    team_id: str | None = None
    permissions: tuple[str, ...] = field(default_factory=tuple)
    #: the effective rights per entity (identity's ``rights`` map); None: the defaults
    rights: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)

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
            rights=data.get("rights") if isinstance(data.get("rights"), Mapping) else None,
        )

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(id="00000000-0000-0000-0000-000000000000", email=name, roles=(SYSTEM,))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["roles"] = list(self.roles)
        data["permissions"] = list(self.permissions)
        if self.rights is None:
            del data["rights"]
        else:
            data["rights"] = dict(self.rights)
        return data

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles or SYSTEM in self.roles

    @property
    def is_manager(self) -> bool:
        return self.is_admin or SALES_MANAGER in self.roles

    # --- object, record and column rights per entity -------------------------------

    def _entity(self, entity: str) -> Mapping[str, Any]:
        entry = (self.rights or {}).get(entity)
        return entry if isinstance(entry, Mapping) else {}

    def may(self, entity: str, op: str) -> bool:
        """Whether the caller's roles allow ``op`` (create, read, update, delete,
        export) on ``entity``; every operation without rights in the actor."""
        if self.rights is None:
            return True
        return OPERATIONS[op] in (self._entity(entity).get("ops") or "")

    def require(self, entity: str, op: str) -> None:
        """``PermissionDenied`` naming the entity and the operation when not :meth:`may`."""
        if not self.may(entity, op):
            raise PermissionDenied(
                f"Your role may not {op} {entity}",
                [{"field": entity, "message": f"your role may not {op} {entity}"}],
            )

    def read_scope(self, entity: str | None = None) -> str:
        """Which records of ``entity`` the caller reads: own, team or all (the shared
        queue — no owner, no team — is read at every scope)."""
        if self.rights is None or entity is None:
            return "all" if self.is_admin else "team"
        return _scope(self._entity(entity).get("read"))

    def write_scope(self, entity: str | None = None) -> str:
        """Which records of ``entity`` the caller changes: own, team (its team's and
        those of no team) or all."""
        if self.rights is None or entity is None:
            if self.is_admin:
                return "all"
            return "team" if self.is_manager else "own"
        return _scope(self._entity(entity).get("write"))

    def hidden(self, entity: str) -> frozenset[str]:
        """The fields of ``entity`` the caller may neither see nor filter, sort or write."""
        return frozenset(self._entity(entity).get("hidden") or ())

    def read_only(self, entity: str) -> frozenset[str]:
        """The fields of ``entity`` the caller sees but may not write."""
        return frozenset(self._entity(entity).get("read_only") or ())

    def can_read(
        self, owner_id: str | None, team_id: str | None, entity: str | None = None
    ) -> bool:
        """Whether the caller reads a record of this owner and team (``entity`` given:
        by that entity's read scope; otherwise by the defaults)."""
        scope = self.read_scope(entity)
        if scope == "all":
            return True
        if owner_id is None and team_id is None:
            return True
        if owner_id == self.id:
            return True
        return scope == "team" and team_id is not None and team_id == self.team_id

    def can_change(
        self, owner_id: str | None, team_id: str | None, entity: str | None = None
    ) -> bool:
        """Whether the caller changes a record of this owner and team (``entity``
        given: by that entity's write scope; otherwise by the defaults)."""
        scope = self.write_scope(entity)
        if scope == "all" or owner_id == self.id:
            return True
        if scope == "team":
            return team_id is None or team_id == self.team_id
        return False

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("Only an administrator may do this")

    def require_change(
        self, owner_id: str | None, team_id: str | None, entity: str | None = None
    ) -> None:
        if not self.can_change(owner_id, team_id, entity):
            raise PermissionDenied("You may not change this record")


def _scope(value: Any) -> str:
    """A scope from a rights map; anything unknown is the narrowest."""
    return value if value in SCOPES else "own"
