"""The global search's call to sales: contacts, accounts and deals searched at once, a
part of the sales service (:mod:`services.platform.section_search`); and the ids of
the accounts a text finds, which orders' searches by customer name ask for."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.rpc import rpc
from services.platform.section_search import search_sections

from . import accounts_store, contacts_store, opportunities_store
from .dependencies import SalesBase

#: The most account ids :meth:`SearchRpc.account_ids_found` answers.
MAX_ACCOUNT_IDS = 500


class SearchRpc(SalesBase):
    """``search_records``: each section by its own list's search box."""

    @rpc(expected_exceptions=EXPECTED)
    def search_records(
        self, sections: list[str], q: str, limit: int, actor: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """``{section: {"items", "next_cursor"} | {"refused": why}}`` for the asked
        sections of ``contacts``, ``accounts`` and ``opportunities``: the first
        ``limit`` (1..20) records ``list_<section>`` finds for ``q``, without totals.
        Raises ``ValidationFailed`` for an unknown section or limit."""
        caller = Actor.from_dict(actor)
        found = search_sections(
            {
                "contacts": lambda query: contacts_store.list_contacts(self.db, query, caller),
                "accounts": lambda query: accounts_store.list_accounts(self.db, query, caller),
                "opportunities": lambda query: opportunities_store.list_opportunities(
                    self.db, query, caller
                ),
            },
            sections,
            q,
            limit,
        )
        self.db.commit()
        return found

    @rpc(expected_exceptions=EXPECTED)
    def account_ids_found(self, q: str, limit: int, actor: dict[str, Any]) -> list[str]:
        """The ids of the first ``limit`` (1..500) accounts the caller may read that
        the accounts' search box finds for ``q`` (its first found: by name, email or
        phone, with the list's rights and refusals) — what orders' searches by the
        customer's name need, without the accounts themselves. Raises
        ``ValidationFailed`` for a bad ``q`` or ``limit``, ``PermissionDenied`` when the
        caller may not read accounts."""
        whole = isinstance(limit, int) and not isinstance(limit, bool)
        if not whole or not 1 <= limit <= MAX_ACCOUNT_IDS:
            raise ValidationFailed(
                f"limit: must be 1..{MAX_ACCOUNT_IDS}",
                [{"field": "limit", "message": f"must be 1..{MAX_ACCOUNT_IDS}"}],
            )
        found = accounts_store.account_ids_found(self.db, q, limit, Actor.from_dict(actor))
        self.db.commit()
        return found
