"""Users: read, list, create (or invite), change, reset a password, and the first
administrator."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, issued_passwords, store
from .dependencies import IdentityBase


class UsersRpc(IdentityBase):
    """Users: read, list, create (or invite), change, reset a password, and the first
    administrator."""

    @rpc(expected_exceptions=EXPECTED)
    def get_user(self, user_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The user (any signed-in caller may read any user). Raises ``NotFound``."""
        Actor.from_dict(actor)
        return store.read_user(self.db, user_id)

    @rpc(expected_exceptions=EXPECTED)
    def list_users(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of users ``{"items", "next_cursor"}``.

        Filters: ``team_id``, ``is_active``, ``role`` (role names). ``q`` matches
        word prefixes of the name and email. Sorts: ``full_name`` (default),
        ``email``, ``created_at``. Raises ``ValidationFailed`` naming the bad field.
        """
        Actor.from_dict(actor)
        return store.list_users(self.db, query)

    @rpc(expected_exceptions=EXPECTED)
    def create_user(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a user and emit ``user_created``. Admins only.

        ``email``, ``full_name`` and ``password`` (10+ characters, hard to guess:
        ``domain.check_password``) are required;
        ``role_ids`` defaults to the ``sales_rep`` role, ``locale`` to ``en``, ``theme``
        to ``light``, ``is_active`` to true. Raises ``PermissionDenied`` (not an
        admin), ``Conflict`` (email taken), ``ValidationFailed`` (bad, unknown or
        read-only fields; unknown role or team).
        """
        caller = Actor.from_dict(actor)
        domain.check_may_create_user(caller)
        changes = domain.clean_user_data(data, creating=True)
        user = store.create_user(self.db, changes, actor=actor)
        self.db.commit()
        return user

    @rpc(expected_exceptions=EXPECTED)
    def invite_user(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a user as :meth:`create_user` does, except that ``password`` may be
        left out (or null): then Osprey makes a temporary one. Admins only.

        Returns ``{"user", "temporary_password"}``: the made password (null when one
        was given), for the administrator to pass on; it is shown this once and kept
        only as its hash. Raises as :meth:`create_user`.
        """
        caller = Actor.from_dict(actor)
        domain.check_may_create_user(caller)
        data, temporary = issued_passwords.with_password(data)
        changes = domain.clean_user_data(data, creating=True)
        user = store.create_user(self.db, changes, actor=actor)
        self.db.commit()
        return {"user": user, "temporary_password": temporary}

    @rpc(expected_exceptions=EXPECTED)
    def reset_password(
        self, user_id: str, data: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """An administrator gives a user a new password: ``{"password": "..."}`` sets
        that one, ``{}`` (or a null password) makes a temporary one. Every session of
        the user ends (but the caller's own, when resetting their own password);
        emits ``user_updated`` with ``changed_fields`` ``["password"]``.

        Returns ``{"user", "temporary_password"}`` (null when a password was given).
        Raises ``PermissionDenied`` (not an admin), ``NotFound``, ``ValidationFailed``
        (a password the rules refuse, unknown fields).
        """
        caller = Actor.from_dict(actor)
        issued_passwords.check_may_issue_passwords(caller)
        changes, temporary = issued_passwords.clean_password_reset(data)
        user = store.update_user(self.db, user_id, changes, actor=caller, actor_data=actor)
        self.db.commit()
        return {"user": user, "temporary_password": temporary}

    @rpc(expected_exceptions=EXPECTED)
    def update_user(
        self, user_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Change a user; emit ``user_updated`` (the user plus ``changed_fields``) unless
        nothing changed.

        Admins change any field; users change their own ``full_name``, ``password``,
        ``locale`` and ``theme``. Raises ``NotFound``, ``PermissionDenied`` (naming
        the refused fields), ``Conflict`` (email taken, the last active admin would
        stop being one, or an admin would deactivate themself), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_user_data(data, creating=False)
        user = store.update_user(self.db, user_id, changes, actor=caller, actor_data=actor)
        self.db.commit()
        return user

    @rpc(expected_exceptions=EXPECTED)
    def ensure_admin(self, email: str, password: str) -> dict[str, Any]:
        """The user with this email, created as an administrator if the email is
        unknown (an existing user is returned unchanged). Idempotent and safe under
        concurrency. For operators and start-up, not exposed over HTTP.

        Raises ``ValidationFailed`` on a bad email or a short password.
        """
        user, _created = store.ensure_admin(self.db, email, password)
        self.db.commit()
        return user
