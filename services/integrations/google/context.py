"""What one sync of one connection works with: its database session, its Google
session, its settings and owner, the other services it asks, and its counts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nameko.exceptions import RemoteError

from services.integrations.sync import leases
from services.integrations.sync.sales_batch import SalesBatch
from services.platform.errors import NotFound, OspreyError, PermissionDenied

from .dependencies import GoogleSession, GoogleSettings
from .models import connections


class CrmError(Exception):
    """A service Osprey keeps the records in refused or failed a call."""


class LeaseLost(Exception):
    """Another instance holds the connection now (this one stalled past its lease): stop
    at once, write nothing more."""


@dataclass
class SyncContext:
    db: Any
    api: GoogleSession
    connection: dict[str, Any]
    config: GoogleSettings
    rpc: dict[str, Any]  # sales, mail, identity proxies
    keep_going: Callable[[], bool] = lambda: True
    counts: Counter = field(default_factory=Counter)
    #: who holds the lease, to renew it while a long sync goes on
    holder: str | None = None
    _users: dict[str, str] | None = None
    _renewed: float = field(default_factory=time.monotonic)
    _batch: SalesBatch | None = None
    #: account names and ids asked once per sync (a contact's company)
    companies: Any = None

    @property
    def batch(self) -> SalesBatch:
        """Creates and look-alike checks sent to sales many at a time: flush with
        :meth:`flush` before the page's cursor is written."""
        if self._batch is None:
            self._batch = SalesBatch(lambda ops: self.rpc["sales"].batch(ops, actor=self.owner))
        return self._batch

    def flush(self) -> None:
        """Send the batch; a refusal is a :class:`CrmError` as a single call's is."""
        try:
            self.batch.flush()
        except (NotFound, PermissionDenied):
            raise
        except (OspreyError, RemoteError) as exc:
            raise CrmError(f"sales.batch: {type(exc).__name__}: {str(exc)[:200]}") from exc

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

    def commit(self) -> None:
        """Commit a page with its cursor; renew the lease when a third of it has gone
        (a first sync of many items outlasts one lease). ``LeaseLost`` when another
        instance took the connection over meanwhile."""
        self.db.commit()
        if self.holder is None:
            return
        if time.monotonic() - self._renewed < self.config.lease_seconds / 3:
            return
        kept = leases.renew(self.db, connections, self.id, self.holder, self.config.lease_seconds)
        self.db.commit()
        if not kept:
            raise LeaseLost(self.id)
        self._renewed = time.monotonic()

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
