"""The catalogue's SQL: products, price lists and prices. Functions that take the
session ``db`` first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform.errors import Conflict
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort, fetch_page

from .models import OrderLine, Price, PriceList, Product

PRODUCT_LIST_SPEC = ListSpec(
    id_column=Product.id,
    filters={
        "code": Filter(Product.code, "contains"),
        "name": Filter(Product.name, "contains"),
        "category": Filter(Product.category, "text"),
        "is_active": Filter(Product.is_active, "bool"),
        "created_at": Filter(Product.created_at, "datetime"),
        "updated_at": Filter(Product.updated_at, "datetime"),
    },
    sorts={
        "name": Sort(Product.name, nullable=False),
        "code": Sort(Product.code, nullable=False),
        "created_at": Sort(Product.created_at, nullable=False),
        "updated_at": Sort(Product.updated_at, nullable=False),
    },
    default_sort="name",
    search_vector=Product.search,
)

PRICE_LIST_SPEC = ListSpec(
    id_column=PriceList.id,
    filters={
        "name": Filter(PriceList.name, "text"),
        "currency": Filter(PriceList.currency, "text", normalize=str.upper),
        "is_default": Filter(PriceList.is_default, "bool"),
    },
    sorts={
        "name": Sort(PriceList.name, nullable=False),
        "created_at": Sort(PriceList.created_at, nullable=False),
    },
    default_sort="name",
)


def product_page(db: Any, query: dict[str, Any] | None) -> dict[str, Any]:
    """A page of products (the rows; the caller adds their prices)."""
    return fetch_page(db, sa.select(Product), PRODUCT_LIST_SPEC, query, lambda p: p)


def price_list_page(
    db: Any, query: dict[str, Any] | None, dump: Callable[[Any], Any]
) -> dict[str, Any]:
    """A page of price lists."""
    return fetch_page(db, sa.select(PriceList), PRICE_LIST_SPEC, query, dump)


def default_prices(db: Any, product_ids: list[str]) -> dict[str, tuple[Any, str]]:
    """product id → (price, currency) in the default price list."""
    if not product_ids:
        return {}
    rows = db.execute(
        sa.select(Price.product_id, Price.price, PriceList.currency)
        .join(PriceList, PriceList.id == Price.price_list_id)
        .where(PriceList.is_default, Price.product_id.in_(product_ids))
    ).all()
    return {row.product_id: (row.price, row.currency) for row in rows}


def list_prices(db: Any, product_ids: list[str], currency: str) -> dict[str, Any]:
    """product id → its price in a price list of ``currency``: the default list's when
    the default is in that currency, else the first such list's by name that has it."""
    if not product_ids:
        return {}
    rows = db.execute(
        sa.select(Price.product_id, Price.price)
        .join(PriceList, PriceList.id == Price.price_list_id)
        .where(PriceList.currency == currency, Price.product_id.in_(product_ids))
        .order_by(PriceList.is_default.desc(), PriceList.name, PriceList.id)
    ).all()
    found: dict[str, Any] = {}
    for row in rows:
        found.setdefault(row.product_id, row.price)
    return found


def flush_unique(db: Any, field: str, what: str) -> None:
    """Flush; a unique-constraint violation is the 409 of a taken ``field``."""
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError as exc:
        if getattr(exc.orig, "pgcode", None) == "23505":
            raise Conflict(
                f"The {field} is taken by another {what}",
                [{"field": field, "message": "is taken"}],
            ) from None
        raise


def product_in_use(db: Any, product_id: str) -> bool:
    """Whether any order has a line of the product."""
    used = db.execute(
        sa.select(OrderLine.id).where(OrderLine.product_id == product_id).limit(1)
    ).first()
    return used is not None


def lock_defaults(db: Any) -> None:
    """Serialize changes of the default flag (two lists made default at once)."""
    db.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('orders.price_list_default'))"))


def lock_other_defaults(db: Any, keep_id: str) -> list[PriceList]:
    """Every default price list but ``keep_id``, locked."""
    return list(
        db.execute(
            sa.select(PriceList)
            .where(PriceList.is_default, PriceList.id != keep_id)
            .with_for_update()
        ).scalars()
    )


def has_prices(db: Any, price_list_id: str) -> bool:
    found = db.execute(
        sa.select(Price.id).where(Price.price_list_id == price_list_id).limit(1)
    ).first()
    return found is not None


def prices_with_products(db: Any, price_list_id: str) -> list[tuple[Price, Product]]:
    """The list's prices with their products, by product code."""
    return list(
        db.execute(
            sa.select(Price, Product)
            .join(Product, Product.id == Price.product_id)
            .where(Price.price_list_id == price_list_id)
            .order_by(Product.code)
        ).all()
    )


def price_of(db: Any, price_list_id: str, product_id: str, *, for_update: bool = False) -> Any:
    """The product's price row in the list, or None."""
    stmt = sa.select(Price).where(
        Price.price_list_id == price_list_id, Price.product_id == product_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    return db.execute(stmt).scalar_one_or_none()


def put_price(db: Any, price_list_id: str, product_id: str, amount: Any, caller_id: str) -> Price:
    """Add or change the product's price in the list (flushed)."""
    record = price_of(db, price_list_id, product_id, for_update=True)
    now = utcnow()
    if record is None:
        record = Price(
            id=new_id(),
            price_list_id=price_list_id,
            product_id=product_id,
            price=amount,
            updated_at=now,
            updated_by=caller_id,
        )
        db.add(record)
    else:
        record.price, record.updated_at, record.updated_by = amount, now, caller_id
    db.flush()
    return record
