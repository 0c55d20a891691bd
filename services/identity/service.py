"""The identity service: users, teams, roles, and the tokens that say who is calling.

Entrypoints are thin: check the caller, let :mod:`.domain` judge the data, let
:mod:`.store` load and write, then commit before returning (Nameko sends the reply
before dependency providers see the result). Events go through the outbox in the
same transaction as the change.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.db import Database
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, store
from .dependencies import Bootstrap, Settings
from .models import metadata


class IdentityService:
    name = "identity"

    db = Database(metadata)
    settings = Settings()
    bootstrap = Bootstrap()

    # --- sessions -------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def login(self, email: str, password: str) -> dict[str, Any]:
        """``{"token", "expires_at", "user"}`` for an active user's right email and
        password. The token is returned once; only its SHA-256 is stored.

        Raises ``Unauthenticated`` with the same message for an unknown email, a
        wrong password and an inactive user, after the same amount of hashing.
        """
        result = store.login(self.db, email, password, ttl_hours=self.settings.token_ttl_hours)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def logout(self, token: str) -> None:
        """Revoke the token. An unknown or already revoked token is fine (no error)."""
        store.logout(self.db, token)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_token(self, token: str) -> dict[str, Any]:
        """The actor dict ``{id, email, full_name, roles, team_id, permissions, locale,
        theme}`` of the token's user.

        Raises ``Unauthenticated`` if the token is unknown, expired, revoked, or its
        user is inactive.
        """
        actor = store.authenticate(self.db, token)
        self.db.commit()  # last_used_at
        return actor

    # --- users ----------------------------------------------------------------------

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

        ``email``, ``full_name`` and ``password`` (8+ characters) are required;
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
    def update_user(
        self, user_id: str, data: dict[str, Any], actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Change a user; emit ``user_updated`` (the user plus ``changed_fields``) unless
        nothing changed.

        Admins change any field; users change their own ``full_name``, ``password``,
        ``locale`` and ``theme``. Raises ``NotFound``, ``PermissionDenied`` (naming
        the refused fields), ``Conflict`` (email taken, or the last active admin
        would stop being one), ``ValidationFailed``.
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

    # --- preferences --------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def get_preferences(self, actor: dict[str, Any]) -> dict[str, Any]:
        """The caller's UI settings ``{key: value}`` (columns, saved views, ...)."""
        caller = Actor.from_dict(actor)
        return store.get_preferences(self.db, caller.id)

    @rpc(expected_exceptions=EXPECTED)
    def set_preference(self, key: str, value: Any, actor: dict[str, Any]) -> Any:
        """Store one of the caller's UI settings and return it. No event: this is
        the user's own screen state, nobody else's business.

        Raises ``ValidationFailed`` (a bad key, or a value over 64 KB of JSON).
        """
        caller = Actor.from_dict(actor)
        key, value = domain.clean_preference(key, value)
        store.set_preference(self.db, caller.id, key, value)
        self.db.commit()
        return value

    # --- teams and roles ------------------------------------------------------------

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
