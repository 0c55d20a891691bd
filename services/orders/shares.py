"""Record sharing of orders and invoices: a part of the orders service (the platform's
:class:`~services.platform.record_shares.RecordSharesRpc`).

Whoever changes an order or an invoice by the scope of their roles shares it with a
user or a team for reading or editing and takes the share back; reads, lists, the
search box and every action honour the shares (:mod:`.access`).
"""

from __future__ import annotations

from services.platform.record_shares import RecordSharesRpc

from . import access
from .base import OrdersBase
from .models import Invoice, Order


class SharesRpc(OrdersBase, RecordSharesRpc):
    """``list_record_shares``, ``share_record``, ``unshare_record`` of orders' records."""

    shared_records = {
        "orders": (Order, access.ORDERS),
        "invoices": (Invoice, access.INVOICES),
    }
