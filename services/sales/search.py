"""The global search's call to sales: contacts, accounts and deals searched at once, a
part of the sales service (:mod:`services.platform.section_search`)."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc
from services.platform.section_search import search_sections

from . import accounts_store, contacts_store, opportunities_store
from .dependencies import SalesBase


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
