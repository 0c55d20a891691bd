"""The global search's call to orders: orders and invoices searched at once, a part of
the orders service (:mod:`services.platform.section_search`). The customers whose name
the text finds are asked of sales once for both sections."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc
from services.platform.section_search import search_sections

from . import store
from .base import OrdersBase
from .schemas import dump_invoice, dump_order


class SearchRpc(OrdersBase):
    """``search_records``: each section by its own list's search box."""

    @rpc(expected_exceptions=EXPECTED)
    def search_records(
        self, sections: list[str], q: str, limit: int, actor: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """``{section: {"items", "next_cursor"} | {"refused": why}}`` for the asked
        sections of ``orders`` and ``invoices``: the first ``limit`` (1..20) records
        ``list_<section>`` finds for ``q`` (number, total or the customer's name).
        Raises ``ValidationFailed`` for an unknown section or limit."""
        caller = Actor.from_dict(actor)
        customers = self.customers_named({"q": q}, actor)
        found = search_sections(
            {
                "orders": lambda query: store.order_page(
                    self.db, caller, query, dump_order, customers
                ),
                "invoices": lambda query: store.invoice_page(
                    self.db, caller, query, dump_invoice, customers
                ),
            },
            sections,
            q,
            limit,
        )
        self.db.commit()
        return found
