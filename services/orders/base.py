"""The dependencies every part of the orders service is built on.

The service is one Nameko service (``orders``) composed of parts, one module each (the
catalogue, orders, invoices, the invoice PDF, settings, the accounting exchange, the
proposals handler); each part is a class of ``@rpc`` methods or handlers on
:class:`OrdersBase`, and ``service.py`` puts them together. A part holds no steps for
another to inherit: the SQL is in the store modules, the rules in :mod:`.domain`.
"""

from __future__ import annotations

from nameko.rpc import RpcProxy

from services.platform.db import Database

from .dependencies import AccountingLink
from .models import metadata


class OrdersBase:
    """The providers: the database, the sales service, the accounting system."""

    name = "orders"

    db = Database(metadata)
    sales = RpcProxy("sales")
    accounting = AccountingLink()
