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

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, NotFound
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.records import load_for_update, load_record
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc

from . import access, catalog_store, domain
from .base import OrdersBase
from .domain import failed
from .models import PriceList, Product
from .schemas import (
    PRICE_LIST,
    PRODUCT,
    describe_products,
    dump_entity,
    dump_price,
    dump_price_list,
    dump_product,
    wire,
)

RIGHTS = access.PRODUCTS


def product_out(db: Any, product: Product) -> dict[str, Any]:
    """A product with its price in the default price list."""
    price, currency = catalog_store.default_prices(db, [product.id]).get(product.id, (None, None))
    return dump_product(product, price, currency)


def take_default_from_others(db: Any, keep_id: str, actor: dict[str, Any]) -> None:
    """Clear the default flag of every other list (emitting ``price_list_updated``)."""
    for other in catalog_store.lock_other_defaults(db, keep_id):
        other.is_default = False
        other.version += 1
        other.updated_at = utcnow()
        db.flush()
        db.emit(
            "price_list_updated",
            {**dump_price_list(other), "changed_fields": ["is_default"]},
            actor=actor,
        )


class CatalogRpc(OrdersBase):
    """Products, price lists and their prices."""

    # --- products ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_product(
        self, data: dict[str, Any], actor: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Add a product and emit ``product_created``.

        ``code`` and ``name`` are required; ``is_active`` defaults to true. Raises
        ``ValidationFailed``, ``PermissionDenied`` (not a manager), ``Conflict``
        (the code is taken). Called again with the same
        ``idempotency_key`` it creates nothing and returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "create_product", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        access.require_catalogue(caller, "create")
        RIGHTS.check_writable(caller, data)
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
        catalog_store.flush_unique(self.db, "code", "product")
        result = product_out(self.db, product)
        self.db.emit("product_created", result, actor=actor)
        result = RIGHTS.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_product(self, product_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The product. Raises ``NotFound``, ``PermissionDenied`` (the caller's roles do
        not read products)."""
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "read")
        product = load_record(self.db, Product, product_id, "product")
        result = product_out(self.db, product)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def list_products(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of products: ``{"items", "next_cursor"}``.

        Filters: code, name (contains), category, is_active, created_at, updated_at.
        Sorts: name (default), code, created_at, updated_at. ``q`` matches word
        prefixes of the code (also its parts between ``-_./``), name and category.
        ``purpose: "export"`` takes the export right; a filter, sort or search on a
        field hidden from the caller is refused.
        """
        caller = Actor.from_dict(actor)
        query = RIGHTS.take_purpose(caller, query)
        RIGHTS.check_query(caller, query)
        page = catalog_store.product_page(self.db, query)
        prices = catalog_store.default_prices(self.db, [p.id for p in page["items"]])
        page["items"] = [dump_product(p, *prices.get(p.id, (None, None))) for p in page["items"]]
        self.db.commit()
        return RIGHTS.visible_page(caller, page)

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
        access.require_catalogue(caller, "update")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(PRODUCT, data)
        product = load_for_update(
            self.db, Product, product_id, "product", caller, expected_version, owned=False
        )
        if "is_active" in changes and changes["is_active"] is None:
            raise failed("is_active", "must be true or false")
        current = dump_entity(PRODUCT, product)
        changed = domain.changed_fields(PRODUCT, current, {k: wire(v) for k, v in changes.items()})
        domain.check_record(PRODUCT, {**current, **changes})
        if not changed:
            result = product_out(self.db, product)
            self.db.commit()
            return RIGHTS.visible(caller, result)
        for name in changed:
            setattr(product, name, changes[name])
        product.version += 1
        product.updated_at = utcnow()
        catalog_store.flush_unique(self.db, "code", "product")
        result = product_out(self.db, product)
        self.db.emit("product_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def delete_product(
        self, product_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a product no order uses (its prices go with it); emit ``product_deleted``.

        A product on an order stays (deactivate it instead): ``Conflict``. Raises
        ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale version, in use).
        """
        caller = Actor.from_dict(actor)
        access.require_catalogue(caller, "delete")
        product = load_for_update(
            self.db, Product, product_id, "product", caller, expected_version, owned=False
        )
        if catalog_store.product_in_use(self.db, product.id):
            raise Conflict(
                "The product is on orders; deactivate it instead (is_active false)",
                [{"field": "product_id", "message": "is used by orders"}],
            )
        last_state = product_out(self.db, product)
        self.db.delete(product)
        self.db.flush()
        self.db.emit("product_deleted", last_state, actor=actor)
        self.db.commit()

    @rpc
    def describe_products(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The product entity's metadata (fields, types, options). Needs no caller."""
        return describe_products()

    # --- price lists ------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_price_list(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Add a price list ``{name, currency, is_default?}``; emit ``price_list_created``.

        With ``is_default`` true it becomes the one default (the previous default loses
        the flag, ``price_list_updated``). Raises ``ValidationFailed``,
        ``PermissionDenied``, ``Conflict`` (the name is taken).
        """
        caller = Actor.from_dict(actor)
        access.require_catalogue(caller, "update")
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
            catalog_store.lock_defaults(self.db)
            take_default_from_others(self.db, values["id"], actor)
        price_list = PriceList(**values)
        self.db.add(price_list)
        catalog_store.flush_unique(self.db, "name", "price list")
        result = dump_price_list(price_list)
        self.db.emit("price_list_created", result, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_price_list(self, price_list_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The price list. Raises ``NotFound``, ``PermissionDenied`` (the caller's roles
        do not read products)."""
        Actor.from_dict(actor).require(RIGHTS.entity, "read")
        result = dump_price_list(load_record(self.db, PriceList, price_list_id, "price list"))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_price_lists(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of price lists. Filters: name, currency, is_default. Sorts: name, created_at.

        Raises ``PermissionDenied`` (the caller's roles do not read products)."""
        Actor.from_dict(actor).require(RIGHTS.entity, "read")
        page = catalog_store.price_list_page(self.db, query, dump_price_list)
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
        access.require_catalogue(caller, "update")
        changes = domain.clean_changes(PRICE_LIST, data)
        if changes.get("is_default"):
            catalog_store.lock_defaults(self.db)
        price_list = load_for_update(
            self.db, PriceList, price_list_id, "price list", caller, expected_version, owned=False
        )
        if "is_default" in changes and changes["is_default"] is None:
            changes["is_default"] = False
        current = dump_price_list(price_list)
        changed = domain.changed_fields(PRICE_LIST, current, changes)
        domain.check_record(PRICE_LIST, {**current, **changes})
        if "currency" in changed and catalog_store.has_prices(self.db, price_list.id):
            raise Conflict(
                "The price list has prices in its currency; remove them first",
                [{"field": "currency", "message": "cannot change while the list has prices"}],
            )
        if not changed:
            self.db.commit()
            return current
        if "is_default" in changed and changes["is_default"]:
            take_default_from_others(self.db, price_list.id, actor)
        for name in changed:
            setattr(price_list, name, changes[name])
        price_list.version += 1
        price_list.updated_at = utcnow()
        catalog_store.flush_unique(self.db, "name", "price list")
        result = dump_price_list(price_list)
        self.db.emit("price_list_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_price_list(
        self, price_list_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete a price list and its prices; emit ``price_list_deleted``.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale version).
        """
        caller = Actor.from_dict(actor)
        access.require_catalogue(caller, "update")
        price_list = load_for_update(
            self.db, PriceList, price_list_id, "price list", caller, expected_version, owned=False
        )
        last_state = dump_price_list(price_list)
        self.db.delete(price_list)
        self.db.flush()
        self.db.emit("price_list_deleted", last_state, actor=actor)
        self.db.commit()

    # --- prices -----------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def list_prices(self, price_list_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The list's prices, by product code: ``[{product_id, product_code, price, …}]``;
        ``product_code``, ``product_name``, ``price`` and ``currency`` are left out where
        products hide the caller their code, name, price or currency.

        Raises ``NotFound``, ``PermissionDenied`` (the caller's roles do not read products).
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "read")
        price_list = load_record(self.db, PriceList, price_list_id, "price list")
        rows = catalog_store.prices_with_products(self.db, price_list.id)
        result = [dump_price(price, price_list.currency, product) for price, product in rows]
        self.db.commit()
        return [access.visible_price(caller, price) for price in result]

    @rpc(expected_exceptions=EXPECTED)
    def set_price(
        self, price_list_id: str, product_id: str, price: Any, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """Set a product's price in the list (add or change); emit ``price_list_price_set``.

        ``price`` is a decimal string in the list's currency. Raises ``NotFound`` (list
        or product), ``PermissionDenied``, ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        access.require_catalogue(caller, "update")
        price_list = load_record(self.db, PriceList, price_list_id, "price list", for_update=True)
        product = load_record(self.db, Product, product_id, "product")
        if price is None:
            raise failed("price", "is required")
        try:
            amount = domain.parse_money(price, price_list.currency)
        except domain.Invalid as exc:
            raise failed("price", str(exc)) from None
        record = catalog_store.put_price(self.db, price_list.id, product.id, amount, caller.id)
        result = dump_price(record, price_list.currency, product)
        self.db.emit("price_list_price_set", result, actor=actor)
        self.db.commit()
        return access.visible_price(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def remove_price(self, price_list_id: str, product_id: str, actor: dict[str, Any]) -> None:
        """Take a product out of the list; emit ``price_list_price_removed``.

        Raises ``NotFound`` (list, or the product has no price in it), ``PermissionDenied``.
        """
        caller = Actor.from_dict(actor)
        access.require_catalogue(caller, "update")
        price_list = load_record(self.db, PriceList, price_list_id, "price list", for_update=True)
        record = None
        if domain.is_uuid(product_id):
            record = catalog_store.price_of(self.db, price_list.id, product_id)
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
