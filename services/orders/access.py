"""The caller's rights on the orders service's entities (docs/architecture.md, "Access
rights"): the platform's :class:`~services.platform.entity_access.EntityAccess` for
products, orders and invoices.

Products have no owner: every holder of the read right reads the whole catalogue, and
their object rights say who changes it (price lists and prices go with the products'
``update``, and are read with their ``read``). A caller without rights in the actor
(the system, an older caller) keeps the rule before rights could be set: managers and
administrators change the catalogue.

Products' column rights reach past the products themselves: a price in a price list
names its product's code and name and is the product's price, and an order line
repeats its product's price and tax rate (taken from the catalogue when the line is
made), so each of those is left out where products hide the field it repeats — and
so is every amount of the line worked out from it, from which the hidden value could
be worked back with the quantity and the discount: a hidden price takes the line's
amount, discount amount, net, tax and total with it, a hidden tax rate the line's tax
and total. A read-only price (or rate) hides nothing. The order's own totals
(subtotal, discount, tax, total) are the order's fields: its own column rights
govern them (an administrator hides them on orders for the role if wanted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.platform.access import Actor
from services.platform.entity_access import EntityAccess

from . import domain, models

#: a price list's price → the product field it repeats
PRICE_FROM_PRODUCT = {
    "product_code": "code",
    "product_name": "name",
    "price": "price",
    "currency": "currency",
}
#: a product field → the fields of an order line that repeat it or are worked out
#: from it (``amount`` = quantity × price, the discount amount, net, tax and total
#: follow from it; ``tax`` = net × tax rate, and the total holds the tax)
LINE_FROM_PRODUCT = {
    "price": ("price", "amount", "discount_amount", "net", "tax", "total"),
    "tax_rate": ("tax_rate", "tax", "total"),
}
#: the products' fields without which an invoice is not printed (its lines' amounts
#: come from them): a document sent to a customer is printed whole or not at all
PRINTED_WHOLE = ("price", "tax_rate")


def hidden_line_fields(caller: Actor) -> frozenset[str]:
    """The fields of an order line hidden from the caller by products' column rights."""
    hidden = caller.hidden("products")
    return frozenset(
        name
        for product_field, names in LINE_FROM_PRODUCT.items()
        if product_field in hidden
        for name in names
    )


def visible_price(caller: Actor, price: Mapping[str, Any]) -> dict[str, Any]:
    """A price list's price without what products hide from the caller."""
    hidden = caller.hidden("products")
    return {
        name: value for name, value in price.items() if PRICE_FROM_PRODUCT.get(name) not in hidden
    }


@dataclass(frozen=True)
class OrderAccess(EntityAccess):
    """An order's rights, whose answers also leave out of each line the fields that
    repeat a product field hidden from the caller."""

    def visible(self, caller: Actor, record: dict[str, Any]) -> dict[str, Any]:
        record = super().visible(caller, record)
        hidden = hidden_line_fields(caller)
        lines = record.get("lines")
        if not hidden or not isinstance(lines, list):
            return record
        return {
            **record,
            "lines": [
                {k: v for k, v in line.items() if k not in hidden}
                if isinstance(line, Mapping)
                else line
                for line in lines
            ],
        }

    def visible_page(self, caller: Actor, page: dict[str, Any]) -> dict[str, Any]:
        if not (caller.hidden(self.entity) or hidden_line_fields(caller)):
            return page
        return {**page, "items": self.visible_all(caller, page["items"])}


PRODUCTS = EntityAccess("products", "product", text_fields=("code", "name", "category"))
ORDERS = OrderAccess(
    "orders", "order", models.order_shares, text_fields=("number",), amount_fields=("total",)
)
INVOICES = EntityAccess(
    "invoices", "invoice", models.invoice_shares, text_fields=("number",), amount_fields=("total",)
)
#: the shared entities by the name a share's RPCs take (products have no owner to share)
SHARED = {rights.entity: rights for rights in (ORDERS, INVOICES)}


def require_catalogue(caller: Actor, op: str) -> None:
    """``PermissionDenied`` unless the caller may ``op`` (create, update, delete)
    products — and so price lists and prices (``update``)."""
    if caller.rights is None:
        domain.require_catalogue_manager(caller)
        return
    caller.require(PRODUCTS.entity, op)
