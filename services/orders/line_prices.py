"""An order line's price and tax rate for a caller who may not set them (docs/architecture.md,
"Access rights").

A line repeats its product's price and tax rate. Where products' column rights hide the
``price`` (or ``tax_rate``) from the caller's role, or make it read-only, the caller
neither reads nor sets it on an order's lines — as a mature CRM does with a price it
keeps from a sales rep, the service prices the line itself:

- a line sent with such a field (anything but null or an empty string) is refused, a
  422 naming it (``lines[0].price``: "is read-only for your role"), as every other
  field the role may not write is;
- a line without it takes, when the order already had a line of that product (in the
  same currency), that line's price and tax rate — the first such line for the first
  line sent, and so on — so changing a quantity keeps the price agreed before;
- otherwise the product's price in a price list of the order's currency (the default
  list when it is in that currency, else the first such list by name) and the
  product's tax rate (0 when it has none); a product that no such list prices is a 422
  on ``lines[i].price``: the caller cannot give one, whoever keeps the catalogue can.

A caller whose role may set both keeps the rule before rights: ``price`` is required.
"""

from __future__ import annotations

import uuid
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from services.platform.access import Actor
from services.platform.values import is_uuid, validation_failed

from . import catalog_store, store

#: a line's field → the product's field it repeats (and whose rights it follows)
PRODUCT_FIELD = {"price": "price", "tax_rate": "tax_rate"}
#: what a line takes for a field its caller may not set, when nothing else gives it
_PLACEHOLDER = "0"


def fixed_line_fields(caller: Actor) -> frozenset[str]:
    """The line fields the caller may not set: those whose product field their role
    hides or makes read-only."""
    products = caller.hidden("products") | caller.read_only("products")
    return frozenset(line for line, product in PRODUCT_FIELD.items() if product in products)


def _sent(value: Any) -> bool:
    return value is not None and value != ""


def _product(value: Any) -> str:
    return str(uuid.UUID(value))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def fill_lines(
    db: Any,
    caller: Actor,
    raw_lines: Any,
    currency: str | None,
    kept: Iterable[Any] = (),
) -> Any:
    """``raw_lines`` (an order's ``lines`` as sent) with the price and tax rate the
    caller may not set filled in (see the module's docstring); ``kept``: the order's
    stored lines (``product_id``, ``price``, ``tax_rate``) whose prices a line of the
    same product keeps. Anything that is not a list of objects is left for
    ``domain.clean_lines`` to refuse. Raises ``ValidationFailed``."""
    fixed = fixed_line_fields(caller)
    if not fixed or not isinstance(raw_lines, list):
        return raw_lines
    errors = [
        {"field": f"lines[{index}].{name}", "message": "is read-only for your role"}
        for index, item in enumerate(raw_lines)
        if isinstance(item, Mapping)
        for name in sorted(fixed)
        if _sent(item.get(name))
    ]
    if errors:
        raise validation_failed(errors)
    earlier: dict[str, deque[Any]] = defaultdict(deque)
    for line in kept:
        earlier[str(line.product_id)].append(line)
    ids = sorted(
        {
            _product(item.get("product_id"))
            for item in raw_lines
            if isinstance(item, Mapping) and is_uuid(item.get("product_id"))
        }
    )
    listed = catalog_store.list_prices(db, ids, currency) if currency else {}
    rates = store.product_tax_rates(db, ids) if ids else {}
    filled: list[Any] = []
    for index, item in enumerate(raw_lines):
        if not isinstance(item, Mapping):
            filled.append(item)
            continue
        line = {k: v for k, v in item.items() if k not in fixed}
        product_id = _product(item.get("product_id")) if is_uuid(item.get("product_id")) else None
        before = earlier[product_id].popleft() if product_id and earlier[product_id] else None
        if "price" in fixed:
            price = before.price if before is not None else listed.get(product_id or "")
            if price is None and product_id in rates:
                errors.append(
                    {
                        "field": f"lines[{index}].price",
                        "message": f"the product has no price in a {currency} price list",
                    }
                )
            # a product that is not in the catalogue is refused by its product_id
            line["price"] = _text(price) or _PLACEHOLDER
        if "tax_rate" in fixed:
            rate = before.tax_rate if before is not None else rates.get(product_id or "")
            line["tax_rate"] = _text(rate) or _PLACEHOLDER
        filled.append(line)
    if errors:
        raise validation_failed(errors)
    return filled
