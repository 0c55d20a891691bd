"""Roles and their access rights: a part of the identity service.

An administrator sets, per role and entity, the operations its holders may do, the
records they read and change, and the fields hidden from them or read-only for them
(:mod:`.rights`). The change takes effect at a user's next token check: the gateway
trusts a checked token for ``OSPREY_AUTH_CACHE_SECONDS`` and forgets every cached
caller when a role's rights change through it.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import SYSTEM, Actor
from services.platform.errors import EXPECTED, NotFound, PermissionDenied, ValidationFailed
from services.platform.rpc import rpc
from services.platform.values import is_uuid

from . import domain, rights, rights_store, store
from .dependencies import IdentityBase

#: the most users one call asks the rights of
MAX_ACTORS = 500


class RolesRpc(IdentityBase):
    """Roles and their rights."""

    @rpc(expected_exceptions=EXPECTED)
    def list_roles(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """Every role ``{id, name, permissions}``, by name."""
        Actor.from_dict(actor)
        return store.list_roles(self.db)

    @rpc(expected_exceptions=EXPECTED)
    def get_role_rights(self, role_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """``{role_id, role_name, rights: {entity: {create, read, update, delete, export,
        read_scope, write_scope, hidden, read_only}}}`` for every entity. Admins only.
        Raises ``PermissionDenied``, ``NotFound``."""
        Actor.from_dict(actor).require_admin()
        role = rights_store.load_role(self.db, role_id)
        result = rights.role_rights_out(role, rights_store.role_rights(self.db, role["id"]))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_role_rights(
        self,
        role_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        known_fields: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        """Replace the role's rights on each entity in ``data`` (shaped as
        :meth:`get_role_rights` answers; an operation left out is not granted) and emit
        ``role_rights_changed``; answers as :meth:`get_role_rights`. ``known_fields``
        (entity → its field names) lets the hidden and read-only fields be checked.
        Admins only. Raises ``PermissionDenied``, ``NotFound``, ``ValidationFailed``
        naming each bad ``<entity>.<right>``."""
        caller = Actor.from_dict(actor)
        caller.require_admin()
        changes = rights.clean_rights(data)
        rights.check_fields_known(changes, known_fields or {})
        role = rights_store.load_role(self.db, role_id, for_update=True)
        before = rights_store.role_rights(self.db, role["id"])
        rights_store.write_role_rights(self.db, role["id"], changes)
        result = rights.role_rights_out(role, {**before, **changes})
        changed = sorted(e for e, r in changes.items() if before.get(e) != r)
        if changed:
            self.db.emit(
                "role_rights_changed", {**result, "changed_entities": changed}, actor=actor
            )
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def actors_of_users(self, user_ids: list[str], actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The actor dicts (roles, team, rights: what the user's token would carry) of
        the active users among ``user_ids`` (at most 500), for a service that decides
        what another user may see (the feed's mentions and notifications). The system
        only. Raises ``PermissionDenied``, ``ValidationFailed``."""
        caller = Actor.from_dict(actor)
        if SYSTEM not in caller.roles:
            raise PermissionDenied(
                "Only Osprey's services ask for other users' rights",
                [{"field": "actor", "message": "the system only"}],
            )
        if not isinstance(user_ids, list) or len(user_ids) > MAX_ACTORS:
            raise ValidationFailed(
                f"user_ids must be a list of at most {MAX_ACTORS} ids",
                [{"field": "user_ids", "message": f"a list of at most {MAX_ACTORS} ids"}],
            )
        found = []
        for user_id in dict.fromkeys(str(u) for u in user_ids):
            if not is_uuid(user_id):
                continue
            try:
                user = store.get_user(self.db, user_id)
            except NotFound:
                continue
            if user.get("is_active"):
                permissions, rights = rights_store.permissions_and_rights(self.db, user["id"])
                found.append(domain.actor_dict(user, permissions, rights))
        self.db.commit()
        return found
