"""Roles an administrator makes, renames and deletes: a part of the identity service
(beside ``roles.py``, which lists the roles and keeps their access rights).

Osprey's own roles (admin, sales_manager, sales_rep) are neither renamed nor deleted:
its defaults name them. A role somebody holds is not deleted; the refusal names them.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import role_rules, roles_store
from .dependencies import IdentityBase


class RoleAdminRpc(IdentityBase):
    """Create, rename and delete roles."""

    @rpc(expected_exceptions=EXPECTED)
    def create_role(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """A new role ``{name, based_on?}`` → ``{id, name, permissions}``; emits
        ``role_created``. ``based_on`` (a role id): the new role starts with its
        permissions and access rights; without it, it sees the sections and grants no
        rights until they are set. Admins only. Raises ``PermissionDenied``,
        ``ValidationFailed`` (no name, too long, reserved, unknown fields), ``Conflict``
        (the name is taken, any letter case), ``NotFound`` (``based_on``)."""
        role_rules.check_may_manage_roles(Actor.from_dict(actor))
        changes = role_rules.clean_role_data(data)
        result = roles_store.create_role(self.db, changes, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def update_role(
        self, role_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Rename a role ``{name}``; emits ``role_updated`` unless the name is the same.
        Its holders carry the new name from their next request. Admins only. Raises
        ``PermissionDenied``, ``NotFound``, ``ValidationFailed``, ``Conflict`` (one of
        Osprey's own roles; a name taken)."""
        role_rules.check_may_manage_roles(Actor.from_dict(actor))
        changes = role_rules.clean_role_data(data, creating=False)
        result = roles_store.rename_role(self.db, role_id, changes, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_role(self, role_id: str, actor: dict[str, Any]) -> None:
        """Delete a role nobody holds (deactivated users count) and its rights; emits
        ``role_deleted``. Admins only. Raises ``PermissionDenied``, ``NotFound``,
        ``Conflict`` (one of Osprey's own roles; a role held, naming its holders)."""
        role_rules.check_may_manage_roles(Actor.from_dict(actor))
        roles_store.delete_role(self.db, role_id, actor=actor)
        self.db.commit()
