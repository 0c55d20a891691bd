"""The dependencies every part of the orders service is built on.

The service is one Nameko service (``orders``) composed of parts, one module each (the
catalogue, orders, invoices, the invoice PDF, settings, the accounting exchange, the
proposals handler); each part is a class of ``@rpc`` methods or handlers on
:class:`OrdersBase`, and ``service.py`` puts them together. A part holds no steps for
another to inherit: the SQL is in the store modules, the rules in :mod:`.domain`.
"""

from __future__ import annotations

import logging
from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from services.platform.db import Database

from .dependencies import AccountingLink
from .models import metadata

log = logging.getLogger(__name__)

#: How long a list's search waits for sales to find customers by name.
CUSTOMER_SEARCH_SECONDS = 1.5
#: The most accounts a search by customer name looks for orders or invoices of.
CUSTOMER_SEARCH_LIMIT = 200


class OrdersBase:
    """The providers: the database, the sales service, the accounting system."""

    name = "orders"

    db = Database(metadata)
    sales = RpcProxy("sales")
    accounting = AccountingLink()

    def customers_named(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> list[str]:
        """The ids of the accounts the caller may read whose name the search box's text
        finds (sales' own account search); none for no text, text that reads as a number
        or amount, or when sales does not answer in time (the number's match still holds)."""
        text = " ".join(str((query or {}).get("q") or "").split())
        if len(text) < 2 or not any(ch.isalpha() for ch in text):
            return []
        try:
            with eventlet.Timeout(CUSTOMER_SEARCH_SECONDS):
                # their ids alone: the accounts themselves cost sales more to read
                # and send than the search did
                ids = self.sales.account_ids_found(text, CUSTOMER_SEARCH_LIMIT, actor=actor)
        except (eventlet.Timeout, UnknownService):
            log.warning("sales did not find customers named %r for a list search", text)
            return []
        except Exception:  # noqa: BLE001 - a refused account search finds no customer
            return []
        return [account_id for account_id in ids or [] if account_id]
