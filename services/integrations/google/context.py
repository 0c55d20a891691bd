"""What one sync of one connection works with: its database session, its Google
session, its settings and owner, the other services it asks, and its counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nameko.exceptions import RemoteError

from services.platform.errors import NotFound, OspreyError, PermissionDenied

from .dependencies import GoogleSession, GoogleSettings


class CrmError(Exception):
    """A service Osprey keeps the records in refused or failed a call."""


@dataclass
class SyncContext:
    db: Any
    api: GoogleSession
    connection: dict[str, Any]
    config: GoogleSettings
    rpc: dict[str, Any]  # sales, mail, identity proxies
    keep_going: Callable[[], bool] = lambda: True
    counts: Counter = field(default_factory=Counter)
    _users: dict[str, str] | None = None

    @property
    def id(self) -> str:
        return self.connection["id"]

    @property
    def settings(self) -> dict[str, Any]:
        return self.connection["settings"]

    @property
    def owner(self) -> dict[str, Any]:
        """The owner as the services know them: syncing acts with their rights."""
        return self.connection["settings"]["owner"]

    def count(self, name: str, n: int = 1) -> None:
        if n:
            self.counts[name] += n

    def call(
        self, service: str, method: str, *args: Any, missing_ok: bool = False, **kwargs: Any
    ) -> Any:
        """An RPC to another service as the owner; a ``NotFound`` is None when
        ``missing_ok``; another refusal is a :class:`CrmError`."""
        try:
            return getattr(self.rpc[service], method)(*args, actor=self.owner, **kwargs)
        except (NotFound, PermissionDenied):
            if missing_ok:
                return None
            raise
        except (OspreyError, RemoteError) as exc:
            raise CrmError(f"{service}.{method}: {type(exc).__name__}: {str(exc)[:200]}") from exc

    def user_ids(self) -> dict[str, str]:
        """CRM users by address (asked once per sync)."""
        if self._users is None:
            self._users = {}
            cursor = None
            while True:
                query: dict[str, Any] = {"limit": 500}
                if cursor:
                    query["cursor"] = cursor
                page = self.call("identity", "list_users", query)
                for user in page["items"]:
                    if user.get("email"):
                        self._users[user["email"].lower()] = user["id"]
                cursor = page.get("next_cursor")
                if not cursor:
                    return self._users
        return self._users

    def sales(self, method: str, *args: Any, missing_ok: bool = False, **kwargs: Any) -> Any:
        return self.call("sales", method, *args, missing_ok=missing_ok, **kwargs)
