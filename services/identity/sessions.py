"""Logging in and out, and who a token belongs to."""

from __future__ import annotations

from typing import Any

from services.platform.errors import EXPECTED, Unauthenticated
from services.platform.rpc import rpc

from . import sessions_store
from .dependencies import IdentityBase


class SessionsRpc(IdentityBase):
    """Logging in and out, and who a token belongs to."""

    @rpc(expected_exceptions=EXPECTED)
    def login(self, email: str, password: str, address: str | None = None) -> dict[str, Any]:
        """``{"token", "expires_at", "user"}`` for an active user's right email and
        password. The token is returned once; only its SHA-256 is stored.

        Raises ``Unauthenticated`` with the same message for an unknown email, a
        wrong password and an inactive user, after the same amount of hashing. Every
        failure counts against the account and the client ``address``; too many lock
        them for a while: ``RateLimited`` (``retry_after`` seconds), before any
        password is checked (``domain.THROTTLES``).
        """
        try:
            result = sessions_store.login(
                self.db, email, password, ttl_hours=self.settings.token_ttl_hours, address=address
            )
        except Unauthenticated:
            self.db.rollback()
            if sessions_store.record_failure(self.db, email, address):
                self.db.commit()
            raise
        sessions_store.clear_failures(self.db, email)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def logout(self, token: str) -> None:
        """Revoke the token. An unknown or already revoked token is fine (no error)."""
        sessions_store.logout(self.db, token)
        self.db.commit()

    @rpc(expected_exceptions=EXPECTED)
    def authenticate_token(self, token: str) -> dict[str, Any]:
        """The actor dict ``{id, email, full_name, roles, team_id, permissions, locale,
        theme}`` of the token's user.

        Raises ``Unauthenticated`` if the token is unknown, expired, revoked, or its
        user is inactive.
        """
        actor = sessions_store.authenticate(self.db, token)
        self.db.commit()  # last_used_at
        return actor
