"""A user's own preferences (language, theme, saved views)."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import domain, store
from .dependencies import IdentityBase


class PreferencesRpc(IdentityBase):
    """A user's own preferences (language, theme, saved views)."""

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
