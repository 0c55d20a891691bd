"""Orders (with their lines) and invoices, page by page, as the events carry them: what
the analytics read models are rebuilt from (``osprey analytics rebuild``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import selectinload

from services.platform.errors import EXPECTED
from services.platform.exports import check_exporter, export_page, unknown_entity
from services.platform.rpc import rpc

from .base import OrdersBase
from .models import Invoice, Order, Product
from .schemas import dump_invoice, dump_order, dump_product

ENTITIES = ("product", "order", "invoice")


class ExportsRpc(OrdersBase):
    """``export_records``: administrators and the system only."""

    @rpc(expected_exceptions=EXPECTED)
    def export_records(
        self,
        entity: str,
        after: str | None = None,
        limit: int = 500,
        *,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """``{items, next_after}``: ``entity`` (``product``, ``order``, ``invoice``) in id
        order after the id ``after``, each as its events carry it (a product without its
        price, which its events carry and analytics does not keep)."""
        check_exporter(actor)
        if entity == "product":
            return export_page(self.db, Product, dump_product, after=after, limit=limit)
        if entity == "order":
            return export_page(
                self.db,
                Order,
                dump_order,
                after=after,
                limit=limit,
                options=[selectinload(Order.lines)],
            )
        if entity == "invoice":
            return export_page(self.db, Invoice, dump_invoice, after=after, limit=limit)
        raise unknown_entity(entity, list(ENTITIES))
