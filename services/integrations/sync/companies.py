"""A synced contact's company: the name Exchange and Google keep on the contact, the
account the CRM links it to.

Going out, a contact's ``account_id`` becomes its account's name. Coming in, a company
name becomes the account of that name the owner may read (letter case aside); with none
an account is created as the owner would create one — one the sales look-alike check
finds (``Acme`` for ``ACME Ltd.``) is taken instead of a second. Each name and id is
asked once per sync.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.platform.errors import DuplicatesFound, NotFound

#: ``call(method, *args, **kwargs)``: a sales RPC as the connection's owner
Call = Callable[..., Any]


def same_name(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


class Companies:
    """Account names by id and ids by name, asked of sales once per sync."""

    def __init__(self, call: Call):
        self._call = call
        self._names: dict[str, str | None] = {}
        self._ids: dict[str, str] = {}

    def name_of(self, account_id: str | None) -> str | None:
        """The name of the contact's account (None without one or when unreadable)."""
        if not account_id:
            return None
        if account_id not in self._names:
            try:
                account = self._call("get_account", account_id)
            except NotFound:
                account = None
            self._names[account_id] = (account or {}).get("name")
        return self._names[account_id]

    def id_for(self, name: str | None) -> str | None:
        """The account called ``name``: found, else created (None for no name)."""
        name = (name or "").strip()[:300]
        if not name:
            return None
        key = name.casefold()
        if key not in self._ids:
            self._ids[key] = self._find(name) or self._create(name)
            self._names[self._ids[key]] = name
        return self._ids[key]

    def _find(self, name: str) -> str | None:
        page = self._call("list_accounts", {"q": name, "limit": 20})
        for account in page.get("items") or []:
            if same_name(account.get("name"), name):
                return account["id"]
        return None

    def _create(self, name: str) -> str:
        try:
            return self._call("create_account", {"name": name})["id"]
        except DuplicatesFound as found:
            return found.candidates[0]["record"]["id"]
