"""The caller's rights on the orders service's entities (docs/architecture.md, "Access
rights"): the platform's :class:`~services.platform.entity_access.EntityAccess` for
products, orders and invoices.

Products have no owner: every holder of the read right reads the whole catalogue, and
their object rights say who changes it (price lists and prices go with the products'
``update``). A caller without rights in the actor (the system, an older caller) keeps
the rule before rights could be set: managers and administrators change the catalogue.
"""

from __future__ import annotations

from services.platform.access import Actor
from services.platform.entity_access import EntityAccess

from . import domain, models

PRODUCTS = EntityAccess("products", "product", text_fields=("code", "name", "category"))
ORDERS = EntityAccess(
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
