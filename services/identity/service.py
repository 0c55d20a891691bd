"""The identity service: users, teams, roles, and the tokens that say who is calling.

One Nameko service made of parts, each a thin class of ``@rpc`` methods on
:class:`~services.identity.dependencies.IdentityBase` (the providers, nothing else):
``sessions.py``, ``personal_tokens.py``, ``users.py``, ``preferences.py``, ``teams.py``,
``roles.py`` (roles and their access rights), ``role_admin.py`` (roles made, renamed and
deleted).
Entrypoints are thin: check the caller, let :mod:`.domain` judge the data, let
:mod:`.store` load and write, then commit before returning (Nameko sends the reply
before dependency providers see the result). Events go through the outbox in the
same transaction as the change.
"""

from __future__ import annotations

from .personal_tokens import PersonalTokensRpc
from .preferences import PreferencesRpc
from .role_admin import RoleAdminRpc
from .roles import RolesRpc
from .sessions import SessionsRpc
from .teams import TeamsRpc
from .users import UsersRpc


class IdentityService(
    SessionsRpc, PersonalTokensRpc, UsersRpc, PreferencesRpc, TeamsRpc, RolesRpc, RoleAdminRpc
):
    """Every part's entrypoints, in one service."""

    name = "identity"
