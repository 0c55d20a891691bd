"""The catalogue: products, price lists and each list's prices.

Everybody signed in reads the catalogue; sales managers and administrators change
it. A product's ``code`` is unique (a taken code is a 409). At most one price list
is the default: making a list the default takes the flag from the one that had it
(in the same transaction), and a product shows its price in the default list as
its read-only ``price`` and ``currency``. A price is unique per (list, product) and
is a decimal with no more decimals than the list's currency.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort, fetch_page
from services.platform.rpc import rpc

from . import domain
from .base import OrdersBase
from .domain import Entity, EntityField, failed, record_tail
from .models import OrderLine, Price, PriceList, Product
from .schemas import describe_entity, dump_entity, wire

PRODUCT_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "code",
        "string",
        "Code",
        max_length=64,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField(
        "name",
        "string",
        "Name",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("unit", "string", "Unit", max_length=32),
    EntityField("category", "string", "Category", max_length=100, filterable=True),
    EntityField("is_active", "boolean", "Active", filterable=True),
    EntityField("description", "text", "Description", max_length=5000),
    EntityField("tax_rate", "percent", "Tax rate, %"),
    EntityField("price", "money", "Price", read_only=True),
    EntityField("currency", "currency", "Currency", read_only=True),
    *record_tail(owned=False),
)
PRODUCT = Entity("product", PRODUCT_FIELDS)

PRICE_LIST_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "name", "string", "Name", max_length=200, required=True, sortable=True, filterable=True
    ),
    EntityField("currency", "currency", "Currency", required=True, filterable=True),
    EntityField("is_default", "boolean", "Default", filterable=True),
    *record_tail(owned=False),
)
PRICE_LIST = Entity("price_list", PRICE_LIST_FIELDS)

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


def dump_product(product: Any, price: Any = None, currency: str | None = None) -> dict[str, Any]:
    """A product with its price in the default price list (None when it has none)."""
    result = dump_entity(PRODUCT, product)
    result["price"] = domain.money_text(price, currency)
    result["currency"] = currency if price is not None else None
    return result


def dump_price_list(price_list: Any) -> dict[str, Any]:
    return dump_entity(PRICE_LIST, price_list)


def dump_price(price: Any, currency: str, product: Any = None) -> dict[str, Any]:
    return {
        "price_list_id": price.price_list_id,
        "product_id": price.product_id,
        "product_code": product.code if product is not None else None,
        "product_name": product.name if product is not None else None,
        "price": domain.money_text(price.price, currency),
        "currency": currency,
        "updated_at": wire(price.updated_at),
        "updated_by": price.updated_by,
    }


def describe_products() -> dict[str, Any]:
    """The product entity for ``meta/entities``."""
    return describe_entity(PRODUCT, "products", "Products", "Product")


def _taken(field: str, what: str) -> Conflict:
    return Conflict(
        f"The {field} is taken by another {what}", [{"field": field, "message": "is taken"}]
    )


class CatalogRpc(OrdersBase):
    """Products, price lists and their prices."""

    # --- products ---------------------------------------------------------------------

    def _default_prices(self, product_ids: list[str]) -> dict[str, tuple[Any, str]]:
        """product id → (price, currency) in the default price list."""
        if not product_ids:
            return {}
        rows = self.db.execute(
            sa.select(Price.product_id, Price.price, PriceList.currency)
            .join(PriceList, PriceList.id == Price.price_list_id)
            .where(PriceList.is_default, Price.product_id.in_(product_ids))
        ).all()
        return {row.product_id: (row.price, row.currency) for row in rows}

    def _dump_product(self, product: Product) -> dict[str, Any]:
        price, currency = self._default_prices([product.id]).get(product.id, (None, None))
        return dump_product(product, price, currency)

    def _flush_unique(self, field: str, what: str) -> None:
        """Flush; a unique-constraint violation is the 409 of a taken ``field``."""
        try:
            with self.db.begin_nested():
                self.db.flush()
        except IntegrityError as exc:
            if getattr(exc.orig, "pgcode", None) == "23505":
                raise _taken(field, what) from None
            raise

    @rpc(expected_exceptions=EXPECTED)
    def create_product(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Add a product and emit ``product_created``.

        ``code`` and ``name`` are required; ``is_active`` defaults to true. Raises
        ``ValidationFailed``, ``PermissionDenied`` (not a manager), ``Conflict``
        (the code is taken).
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        changes = domain.clean_changes(PRODUCT, data, require=("code", "name"))
        now = utcnow()
        values = {
            "is_active": True,
            **changes,
            "id": new_id(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": caller.id,
        }
        if values["is_active"] is None:
            values["is_active"] = True
        domain.check_record(PRODUCT, values)
        product = Product(**values)
        self.db.add(product)
        self._flush_unique("code", "product")
        result = self._dump_product(product)
        self.db.emit("product_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_product(self, product_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The product. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        result = self._dump_product(self._load(Product, "product", product_id, caller, owned=False))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_products(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of products: ``{"items", "next_cursor"}``.

        Filters: code, name (contains), category, is_active, created_at, updated_at.
        Sorts: name (default), code, created_at, updated_at. ``q`` matches word
        prefixes of the code (also its parts between ``-_./``), name and category.
        """
        Actor.from_dict(actor)
        page = fetch_page(self.db, sa.select(Product), PRODUCT_LIST_SPEC, query, lambda p: p)
        prices = self._default_prices([p.id for p in page["items"]])
        page["items"] = [dump_product(p, *prices.get(p.id, (None, None))) for p in page["items"]]
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def update_product(
        self,
        product_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``product_updated`` (the product plus ``changed_fields``).

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale version, taken
        code), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        changes = domain.clean_changes(PRODUCT, data)
        expected = domain.parse_expected_version(expected_version)
        product = self._load(Product, "product", product_id, caller, for_update=True, owned=False)
        self._check_version("product", product, expected)
        if "is_active" in changes and changes["is_active"] is None:
            raise failed("is_active", "must be true or false")
        current = dump_entity(PRODUCT, product)
        changed = domain.changed_fields(PRODUCT, current, {k: wire(v) for k, v in changes.items()})
        domain.check_record(PRODUCT, {**current, **changes})
        if not changed:
            result = self._dump_product(product)
            self.db.commit()
            return result
        for name in changed:
            setattr(product, name, changes[name])
        product.version += 1
        product.updated_at = utcnow()
        self._flush_unique("code", "product")
        result = self._dump_product(product)
        self.db.emit("product_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_product(
        self, product_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a product no order uses (its prices go with it); emit ``product_deleted``.

        A product on an order stays (deactivate it instead): ``Conflict``. Raises
        ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale version, in use).
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        expected = domain.parse_expected_version(expected_version)
        product = self._load(Product, "product", product_id, caller, for_update=True, owned=False)
        self._check_version("product", product, expected)
        used = self.db.execute(
            sa.select(OrderLine.id).where(OrderLine.product_id == product.id).limit(1)
        ).first()
        if used is not None:
            raise Conflict(
                "The product is on orders; deactivate it instead (is_active false)",
                [{"field": "product_id", "message": "is used by orders"}],
            )
        last_state = self._dump_product(product)
        self.db.delete(product)
        self.db.flush()
        self.db.emit("product_deleted", last_state, actor=actor)
        self.db.commit()

    @rpc
    def describe_products(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The product entity's metadata (fields, types, options). Needs no caller."""
        return describe_products()

    # --- price lists ------------------------------------------------------------------

    def _take_default_from_others(self, keep_id: str, actor: dict[str, Any]) -> None:
        """Clear the default flag of every other list (emitting ``price_list_updated``)."""
        others = (
            self.db.execute(
                sa.select(PriceList)
                .where(PriceList.is_default, PriceList.id != keep_id)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        for other in others:
            other.is_default = False
            other.version += 1
            other.updated_at = utcnow()
            self.db.flush()
            self.db.emit(
                "price_list_updated",
                {**dump_price_list(other), "changed_fields": ["is_default"]},
                actor=actor,
            )

    def _lock_defaults(self) -> None:
        """Serialize changes of the default flag (two lists made default at once)."""
        self.db.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('orders.price_list_default'))")
        )

    @rpc(expected_exceptions=EXPECTED)
    def create_price_list(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Add a price list ``{name, currency, is_default?}``; emit ``price_list_created``.

        With ``is_default`` true it becomes the one default (the previous default loses
        the flag, ``price_list_updated``). Raises ``ValidationFailed``,
        ``PermissionDenied``, ``Conflict`` (the name is taken).
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        changes = domain.clean_changes(PRICE_LIST, data, require=("name", "currency"))
        now = utcnow()
        values = {
            **changes,
            "is_default": bool(changes.get("is_default")),
            "id": new_id(),
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": caller.id,
        }
        domain.check_record(PRICE_LIST, values)
        if values["is_default"]:
            self._lock_defaults()
            self._take_default_from_others(values["id"], actor)
        price_list = PriceList(**values)
        self.db.add(price_list)
        self._flush_unique("name", "price list")
        result = dump_price_list(price_list)
        self.db.emit("price_list_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_price_list(self, price_list_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The price list. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        result = dump_price_list(
            self._load(PriceList, "price_list", price_list_id, caller, owned=False)
        )
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_price_lists(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of price lists. Filters: name, currency, is_default. Sorts: name, created_at."""
        Actor.from_dict(actor)
        page = fetch_page(self.db, sa.select(PriceList), PRICE_LIST_SPEC, query, dump_price_list)
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def update_price_list(
        self,
        price_list_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Rename, change the currency or make a list the default; emit ``price_list_updated``.

        The currency changes only while the list has no prices (they are amounts in
        it): ``Conflict`` otherwise. Setting ``is_default`` false leaves no default.
        Raises ``NotFound``, ``PermissionDenied``, ``Conflict``, ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        changes = domain.clean_changes(PRICE_LIST, data)
        expected = domain.parse_expected_version(expected_version)
        if changes.get("is_default"):
            self._lock_defaults()
        price_list = self._load(
            PriceList, "price_list", price_list_id, caller, for_update=True, owned=False
        )
        self._check_version("price_list", price_list, expected)
        if "is_default" in changes and changes["is_default"] is None:
            changes["is_default"] = False
        current = dump_price_list(price_list)
        changed = domain.changed_fields(PRICE_LIST, current, changes)
        domain.check_record(PRICE_LIST, {**current, **changes})
        if "currency" in changed and self._has_prices(price_list.id):
            raise Conflict(
                "The price list has prices in its currency; remove them first",
                [{"field": "currency", "message": "cannot change while the list has prices"}],
            )
        if not changed:
            self.db.commit()
            return current
        if "is_default" in changed and changes["is_default"]:
            self._take_default_from_others(price_list.id, actor)
        for name in changed:
            setattr(price_list, name, changes[name])
        price_list.version += 1
        price_list.updated_at = utcnow()
        self._flush_unique("name", "price list")
        result = dump_price_list(price_list)
        self.db.emit("price_list_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return result

    def _has_prices(self, price_list_id: str) -> bool:
        return (
            self.db.execute(
                sa.select(Price.id).where(Price.price_list_id == price_list_id).limit(1)
            ).first()
            is not None
        )

    @rpc(expected_exceptions=EXPECTED)
    def delete_price_list(
        self, price_list_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a price list and its prices; emit ``price_list_deleted``.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale version).
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        expected = domain.parse_expected_version(expected_version)
        price_list = self._load(
            PriceList, "price_list", price_list_id, caller, for_update=True, owned=False
        )
        self._check_version("price_list", price_list, expected)
        last_state = dump_price_list(price_list)
        self.db.delete(price_list)
        self.db.flush()
        self.db.emit("price_list_deleted", last_state, actor=actor)
        self.db.commit()

    # --- prices -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_prices(self, price_list_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The list's prices, by product code: ``[{product_id, product_code, price, …}]``.

        Raises ``NotFound``.
        """
        caller = Actor.from_dict(actor)
        price_list = self._load(PriceList, "price_list", price_list_id, caller, owned=False)
        rows = self.db.execute(
            sa.select(Price, Product)
            .join(Product, Product.id == Price.product_id)
            .where(Price.price_list_id == price_list.id)
            .order_by(Product.code)
        ).all()
        result = [dump_price(price, price_list.currency, product) for price, product in rows]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def set_price(
        self, price_list_id: str, product_id: str, price: Any, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Set a product's price in the list (add or change); emit ``price_list_price_set``.

        ``price`` is a decimal string in the list's currency. Raises ``NotFound`` (list
        or product), ``PermissionDenied``, ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        price_list = self._load(
            PriceList, "price_list", price_list_id, caller, for_update=True, owned=False
        )
        product = self._load(Product, "product", product_id, caller, owned=False)
        if price is None:
            raise failed("price", "is required")
        try:
            amount = domain.parse_money(price, price_list.currency)
        except domain.Invalid as exc:
            raise failed("price", str(exc)) from None
        record = self.db.execute(
            sa.select(Price)
            .where(Price.price_list_id == price_list.id, Price.product_id == product.id)
            .with_for_update()
        ).scalar_one_or_none()
        now = utcnow()
        if record is None:
            record = Price(
                id=new_id(),
                price_list_id=price_list.id,
                product_id=product.id,
                price=amount,
                updated_at=now,
                updated_by=caller.id,
            )
            self.db.add(record)
        else:
            record.price, record.updated_at, record.updated_by = amount, now, caller.id
        self.db.flush()
        result = dump_price(record, price_list.currency, product)
        self.db.emit("price_list_price_set", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def remove_price(self, price_list_id: str, product_id: str, actor: dict[str, Any]) -> None:
        """Take a product out of the list; emit ``price_list_price_removed``.

        Raises ``NotFound`` (list, or the product has no price in it), ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        self._require_catalogue_manager(caller)
        price_list = self._load(
            PriceList, "price_list", price_list_id, caller, for_update=True, owned=False
        )
        record = None
        if domain.is_uuid(product_id):
            record = self.db.execute(
                sa.select(Price).where(
                    Price.price_list_id == price_list.id, Price.product_id == product_id
                )
            ).scalar_one_or_none()
        if record is None:
            raise NotFound(
                "The product has no price in this list",
                [{"field": "product_id", "message": "has no price in this list"}],
            )
        last_state = dump_price(record, price_list.currency)
        self.db.delete(record)
        self.db.flush()
        self.db.emit("price_list_price_removed", last_state, actor=actor)
        self.db.commit()
