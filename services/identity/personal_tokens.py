"""Personal API tokens: a user makes, lists and revokes their own; an administrator
lists and revokes anyone's."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import utcnow
from services.platform.rpc import rpc

from . import sessions_store, store, token_rules, tokens_store
from .dependencies import IdentityBase


class PersonalTokensRpc(IdentityBase):
    """Personal API tokens: made by their owner, listed and revoked by them or an admin."""

    @rpc(expected_exceptions=EXPECTED)
    def create_personal_token(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Make a personal token for the caller from ``{name, scopes, expires_on}``
        (a date after today and at most a year away; the token works through that day,
        UTC). The answer ``{id, user_id, name, scopes, prefix, created_at, expires_at,
        last_used_at, token}`` is the only one that ever carries ``token``.

        Raises ``PermissionDenied`` (called with a personal token rather than a
        signed-in session), ``ValidationFailed`` (naming ``name``, ``scopes`` — unknown,
        or beyond the caller's own rights — or ``expires_on``), ``Conflict`` (the
        caller has 50 live tokens).
        """
        caller = Actor.from_dict(actor)
        token_rules.check_signed_in(actor)
        owner = sessions_store.actor_for(self.db, caller.id)  # rights as stored now, not as cached
        clean = token_rules.clean_token_data(
            data,
            today=utcnow().date(),
            roles=owner["roles"],
            permissions=owner["permissions"],
        )
        token = tokens_store.create_personal_token(self.db, caller.id, clean)
        self.db.commit()
        return token

    @rpc(expected_exceptions=EXPECTED)
    def list_personal_tokens(self, user_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """``{"items": [...]}``: the user's personal tokens that are not revoked, newest
        first, each without the token itself (``prefix`` recognises it). Expired ones
        stay listed for a week.

        Raises ``PermissionDenied`` (another user's, unless the caller is an admin; or
        called with a personal token), ``NotFound`` (no such user).
        """
        caller = Actor.from_dict(actor)
        token_rules.check_signed_in(actor)
        user = store.get_user(self.db, user_id)
        token_rules.check_may_manage_tokens(caller, actor, user["id"])
        return {"items": tokens_store.list_personal_tokens(self.db, user["id"])}

    @rpc(expected_exceptions=EXPECTED)
    def revoke_personal_token(
        self, user_id: str, token_id: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Revoke one of the user's personal tokens: it stops working at once (the
        gateway forgets it too). Returns the token as it was listed.

        Raises ``PermissionDenied`` (as :meth:`list_personal_tokens`), ``NotFound``
        (no such user, or no such live personal token of theirs).
        """
        caller = Actor.from_dict(actor)
        token_rules.check_signed_in(actor)
        user = store.get_user(self.db, user_id)
        token_rules.check_may_manage_tokens(caller, actor, user["id"])
        token = tokens_store.revoke_personal_token(self.db, user["id"], token_id)
        self.db.commit()
        return token
