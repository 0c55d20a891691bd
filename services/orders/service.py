"""The orders service: products and price lists, orders, invoices and payments.

One Nameko service (``orders``) made of parts, a module each, side by side on
:class:`services.orders.base.OrdersBase`, which declares the providers and nothing else
(docs/architecture.md).
"""

from __future__ import annotations

from services.platform.record_batch import RecordBatchRpc

from .accounting import AccountingRpc
from .catalog import CatalogRpc
from .exports import ExportsRpc
from .invoices import InvoicesRpc
from .orders import OrdersRpc
from .pdf import InvoicePdfRpc
from .proposals import ProposalsHandlers
from .search import SearchRpc
from .settings import SettingsRpc
from .shares import SharesRpc


class OrdersService(
    CatalogRpc,
    ProposalsHandlers,
    AccountingRpc,
    OrdersRpc,
    SettingsRpc,
    InvoicesRpc,
    InvoicePdfRpc,
    ExportsRpc,
    SharesRpc,
    SearchRpc,
    RecordBatchRpc,
):
    """Every ``@rpc`` method and event handler of the parts, on one service."""

    name = "orders"
