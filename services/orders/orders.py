"""Orders: numbered gap-free per year, lines with their money, a status life cycle.

An order is ``draft`` → ``confirmed`` → ``in_progress`` → ``shipped`` → ``completed``;
a draft, confirmed or in-progress order may be ``cancelled``. Every move is logged
in ``order_status_history`` (from, to, who, when). Lines and currency change only
in a draft; each line's money is rounded half-up to the currency's minor unit and
the order's totals are the sums of its lines, stored on every change. Orders are
never deleted (their numbers would leave a gap): cancel one instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from nameko.rpc import RpcProxy

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, PermissionDenied
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort, fetch_page, readable_by
from services.platform.rpc import rpc
from services.platform.values import validation_failed

from . import domain
from .accounting_contract import ACCOUNTING_STATUSES
from .base import OrdersBase
from .domain import (
    ORDER_ACTIONS,
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    Entity,
    EntityField,
    Line,
    failed,
    record_tail,
)
from .models import Order, OrderLine, OrderStatusChange, Product
from .schemas import describe_entity, dump_entity, wire

ORDER_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "number",
        "string",
        "Number",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("account_id", "uuid", "Account", filterable=True, lookup="accounts"),
    EntityField("contact_id", "uuid", "Contact", filterable=True, lookup="contacts"),
    EntityField("opportunity_id", "uuid", "Opportunity", filterable=True, lookup="opportunities"),
    EntityField("currency", "currency", "Currency", max_length=3, required=True),
    EntityField(
        "status", "enum", "Status", options=ORDER_STATUSES, read_only=True, filterable=True
    ),
    EntityField("lines", "list", "Lines", items="order_line"),
    EntityField("subtotal", "money", "Subtotal", read_only=True),
    EntityField("discount_total", "money", "Discount", read_only=True),
    EntityField("tax_total", "money", "Tax", read_only=True),
    EntityField("total", "money", "Total", read_only=True, sortable=True),
    EntityField("notes", "text", "Notes", max_length=5000),
    EntityField("cancel_reason", "string", "Reason cancelled", max_length=500, read_only=True),
    EntityField(
        "accounting_status",
        "enum",
        "Accounting",
        options=ACCOUNTING_STATUSES,
        read_only=True,
        filterable=True,
    ),
    EntityField("accounting_note", "string", "Accounting note", max_length=500, read_only=True),
    EntityField("accounting_updated_at", "datetime", "Accounting updated", read_only=True),
    *record_tail(owned=True),
)
ORDER = Entity("order", ORDER_FIELDS)
MONEY_FIELDS = ("subtotal", "discount_total", "tax_total", "total")
MAX_REASON = 500

ORDER_LIST_SPEC = ListSpec(
    id_column=Order.id,
    filters={
        "number": Filter(Order.number, "contains"),
        "status": Filter(Order.status, "enum", options=ORDER_STATUSES),
        "accounting_status": Filter(Order.accounting_status, "enum", options=ACCOUNTING_STATUSES),
        "account_id": Filter(Order.account_id, "uuid"),
        "contact_id": Filter(Order.contact_id, "uuid"),
        "opportunity_id": Filter(Order.opportunity_id, "uuid"),
        "owner_id": Filter(Order.owner_id, "uuid"),
        "team_id": Filter(Order.team_id, "uuid"),
        "created_at": Filter(Order.created_at, "datetime"),
        "updated_at": Filter(Order.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Order.created_at, nullable=False),
        "updated_at": Sort(Order.updated_at, nullable=False),
        "number": Sort(Order.number, nullable=False),
        "total": Sort(Order.total, nullable=False),
    },
    default_sort="-created_at",
)


def dump_line(line: Any, currency: str) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "quantity": wire(line.quantity),
        "price": domain.money_text(line.price, currency),
        "discount": wire(line.discount),
        "tax_rate": wire(line.tax_rate),
        "amount": domain.money_text(line.amount, currency),
        "discount_amount": domain.money_text(line.discount_amount, currency),
        "net": domain.money_text(line.net, currency),
        "tax": domain.money_text(line.tax, currency),
        "total": domain.money_text(line.total, currency),
    }


def dump_order(order: Any) -> dict[str, Any]:
    """An order with its lines; money as decimal strings in the currency's minor unit."""
    result = dump_entity(ORDER, order)
    for name in MONEY_FIELDS:
        result[name] = domain.money_text(getattr(order, name), order.currency)
    result["lines"] = [dump_line(line, order.currency) for line in order.lines]
    return result


def dump_status_change(change: Any) -> dict[str, Any]:
    return {
        "from": change.from_status,
        "to": change.to_status,
        "reason": change.reason,
        "changed_by": change.changed_by,
        "changed_at": isoformat(change.changed_at),
    }


def describe_orders() -> dict[str, Any]:
    """The order entity for ``meta/entities``."""
    return describe_entity(ORDER, "orders", "Orders", "Order")


def priced_lines(lines: list[Line], currency: str) -> list[tuple[Line, domain.LineAmounts]]:
    """Each line with its rounded amounts; an amount too large to store is a 422."""
    result = [(line, domain.line_amounts(line, currency)) for line in lines]
    errors = [
        {"field": f"lines[{index}].quantity", "message": "quantity × price is too large"}
        for index, (_line, amounts) in enumerate(result)
        if amounts.amount > domain.MAX_MONEY
    ]
    totals = domain.order_totals([amounts for _line, amounts in result])
    if not errors and totals.subtotal > domain.MAX_MONEY:
        errors.append({"field": "lines", "message": "the order's total is too large"})
    if errors:
        raise validation_failed(errors)
    return result


def line_key(line: Line) -> dict[str, str]:
    """A line as sent, comparable with a stored line's wire form."""
    return {
        "product_id": line.product_id,
        "quantity": wire(line.quantity),
        "price": f"{line.price:.2f}",
        "discount": wire(line.discount),
        "tax_rate": wire(line.tax_rate),
    }


class OrdersRpc(OrdersBase):
    """Orders, their lines, actions and status history."""

    sales = RpcProxy("sales")

    # --- shared steps -------------------------------------------------------------------

    def _check_products(
        self, lines: list[Line], *, allow_inactive_ids: set[str] = frozenset()
    ) -> None:
        """Every line names a product of the catalogue that is active (or was already there)."""
        ids = {line.product_id for line in lines}
        if not ids:
            return
        found = dict(
            self.db.execute(
                sa.select(Product.id, Product.is_active).where(Product.id.in_(ids))
            ).all()
        )
        errors = []
        for index, line in enumerate(lines):
            if line.product_id not in found:
                errors.append({"field": f"lines[{index}].product_id", "message": "no such product"})
            elif not found[line.product_id] and line.product_id not in allow_inactive_ids:
                errors.append(
                    {"field": f"lines[{index}].product_id", "message": "the product is inactive"}
                )
        if errors:
            raise validation_failed(errors)

    def _set_lines(self, order: Order, lines: list[Line]) -> None:
        """Replace the order's lines and store its totals (the sums of the rounded lines)."""
        priced = priced_lines(lines, order.currency)
        order.lines.clear()
        self.db.flush()  # the old lines go before the new take their positions
        for position, (line, amounts) in enumerate(priced):
            order.lines.append(
                OrderLine(
                    id=new_id(),
                    position=position,
                    product_id=line.product_id,
                    quantity=line.quantity,
                    price=line.price,
                    discount=line.discount,
                    tax_rate=line.tax_rate,
                    amount=amounts.amount,
                    discount_amount=amounts.discount_amount,
                    net=amounts.net,
                    tax=amounts.tax,
                    total=amounts.total,
                )
            )
        totals = domain.order_totals([amounts for _line, amounts in priced])
        order.subtotal = totals.subtotal
        order.discount_total = totals.discount_total
        order.tax_total = totals.tax_total
        order.total = totals.total

    def _log_status(
        self, order: Order, from_status: str | None, caller: Actor, reason: str | None = None
    ) -> None:
        self.db.add(
            OrderStatusChange(
                id=new_id(),
                order_id=order.id,
                from_status=from_status,
                to_status=order.status,
                reason=reason,
                changed_by=caller.id,
                changed_at=order.updated_at,
            )
        )

    def _place_order(
        self,
        values: dict[str, Any],
        lines: list[Line],
        caller: Actor,
        actor: dict[str, Any],
        announce: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Number, store and announce a new draft order (``order_placed``), then commit.

        The number is taken last, right before the insert, so the counter's row lock is
        held as briefly as possible; anything that fails after it rolls it back too.
        ``announce`` adds fields to the event's data (not to the returned order).
        """
        now = utcnow()
        order = Order(
            **values,
            id=new_id(),
            number="",
            status="draft",
            version=1,
            created_at=now,
            updated_at=now,
            created_by=caller.id,
        )
        self._set_lines(order, lines)
        order.number = f"{now.year}-{self._next_number('order', now.year):06d}"
        self.db.add(order)
        self._log_status(order, None, caller)
        self.db.flush()
        result = dump_order(order)
        self.db.emit("order_placed", {**result, **(announce or {})}, actor=actor)
        self.db.commit()
        return result

    # --- the record ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_order(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Create a draft order with the next number of the year; emit ``order_placed``.

        ``currency`` is required; the owner defaults to the caller (an explicit null is
        refused); ``lines`` are ``[{product_id, quantity, price, discount?, tax_rate?}]``
        of active products. Raises ``ValidationFailed``, ``PermissionDenied`` (another
        team).
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_changes(ORDER, data, skip=("lines",), require=("currency",))
        raw_lines = changes.pop("lines", None)
        owner_id, team_id = self._owner_and_team(changes, caller, "order")
        values = {**changes, "owner_id": owner_id, "team_id": team_id}
        domain.check_record(ORDER, values)
        lines = domain.clean_lines(raw_lines, values["currency"])
        self._check_products(lines)
        return self._place_order(values, lines, caller, actor)

    @rpc(expected_exceptions=EXPECTED)
    def create_order_from_opportunity(
        self, opportunity_id: str, actor: dict[str, Any], allow_another: bool = False
    ) -> dict[str, Any]:
        """A draft order made from a deal of the sales service; emit ``order_placed``.

        Copies the deal's account, contact, currency, owner and team and its product
        lines (quantity and price; discount 0; tax rate the product's, else 0) and
        links back through ``opportunity_id``. A deal gets one order: while it has one
        that is not cancelled, another is a ``Conflict`` unless ``allow_another``.
        Raises ``NotFound`` (the caller may not read the deal), ``PermissionDenied``
        (may not change the deal's records), ``ValidationFailed`` (no currency, a
        product not in the catalogue), ``Conflict``.
        """
        caller = Actor.from_dict(actor)
        if not isinstance(allow_another, bool):
            raise failed("allow_another", "must be true or false")
        deal = self.sales.get_opportunity(opportunity_id, actor=actor)
        if not caller.can_change(deal.get("owner_id"), deal.get("team_id")):
            raise PermissionDenied("You may not make orders from this opportunity")
        return self._order_from_deal(deal, caller, actor, allow_another=allow_another)

    def _order_from_deal(
        self,
        deal: dict[str, Any],
        caller: Actor,
        actor: dict[str, Any],
        *,
        allow_another: bool = False,
        announce: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A draft order copied from ``deal`` (as sales sends it), one per deal; committed.

        Raises ``Conflict`` (the deal has an order that is not cancelled and not
        ``allow_another``), ``ValidationFailed`` (no currency, unknown products).
        """
        # One order per deal: creates for the same deal queue here until the first commits.
        self.db.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"orders.opportunity:{deal['id']}"},
        )
        existing = self.db.execute(
            sa.select(Order.number)
            .where(Order.opportunity_id == deal["id"], Order.status != "cancelled")
            .order_by(Order.created_at)
            .limit(1)
        ).scalar_one_or_none()
        if existing is not None and not allow_another:
            raise Conflict(
                f"The opportunity already has order {existing}; "
                "send allow_another to make one more",
                [{"field": "opportunity_id", "message": f"already has order {existing}"}],
            )
        if not deal.get("currency"):
            raise failed("currency", "the opportunity has no currency")
        deal_lines = deal.get("lines") or []
        product_ids = [line.get("product_id") for line in deal_lines]
        tax_rates = dict(
            self.db.execute(
                sa.select(Product.id, Product.tax_rate).where(
                    Product.id.in_([p for p in product_ids if domain.is_uuid(p)])
                )
            ).all()
        )
        errors = [
            {"field": f"lines[{index}].product_id", "message": "no such product in the catalogue"}
            for index, product_id in enumerate(product_ids)
            if product_id not in tax_rates
        ]
        if errors:
            raise validation_failed(errors)
        lines = domain.clean_lines(
            [
                {
                    "product_id": line["product_id"],
                    "quantity": line["quantity"],
                    "price": line["price"],
                    "discount": "0",
                    "tax_rate": wire(tax_rates[line["product_id"]] or domain.ZERO),
                }
                for line in deal_lines
            ],
            deal["currency"],
        )
        values = {
            "account_id": deal.get("account_id"),
            "contact_id": deal.get("contact_id"),
            "opportunity_id": deal["id"],
            "currency": deal["currency"],
            "owner_id": deal.get("owner_id") or caller.id,
            "team_id": deal.get("team_id"),
        }
        return self._place_order(values, lines, caller, actor, announce)

    @rpc(expected_exceptions=EXPECTED)
    def get_order(self, order_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The order with its lines. Raises ``NotFound`` (also when the caller may not read it)."""
        caller = Actor.from_dict(actor)
        result = dump_order(self._load(Order, "order", order_id, caller))
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_orders(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the orders the caller may read: ``{"items", "next_cursor"}``.

        Filters: number (contains), status, account_id, contact_id, opportunity_id,
        owner_id, team_id, created_at, updated_at. Sorts: created_at (default
        ``-created_at``), updated_at, number, total.
        """
        caller = Actor.from_dict(actor)
        stmt = sa.select(Order).where(readable_by(caller, Order.owner_id, Order.team_id))
        page = fetch_page(self.db, stmt, ORDER_LIST_SPEC, query, dump_order)
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def update_order(
        self,
        order_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``order_updated`` (the order plus ``changed_fields``).

        ``lines`` and ``currency`` change only in a draft (``Conflict`` after); a
        completed or cancelled order does not change at all. The totals follow the
        lines. Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (state, stale
        version), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        changes = domain.clean_changes(ORDER, data, skip=("lines",))
        order = self._load_for_change(Order, "order", order_id, caller, expected_version)
        current = dump_order(order)
        lines_sent = "lines" in changes
        raw_lines = changes.pop("lines", None)
        currency = changes.get("currency", order.currency)
        domain.check_record(ORDER, {**current, **changes})
        if lines_sent:
            lines = domain.clean_lines(raw_lines, currency)
        else:
            lines = [
                Line(line.product_id, line.quantity, line.price, line.discount, line.tax_rate)
                for line in order.lines
            ]
            if "currency" in changes:
                # The prices must fit the new currency's minor unit.
                domain.clean_lines([line_key(line) for line in lines], currency)
        wire_changes = {name: wire(value) for name, value in changes.items()}
        changed = domain.changed_fields(ORDER, current, wire_changes)
        lines_changed = lines_sent and [line_key(line) for line in lines] != [
            {key: stored[key] for key in domain.LINE_KEYS} for stored in _plain_lines(order)
        ]
        if lines_changed:
            changed.append("lines")
        if not changed:
            self.db.commit()
            return current
        if order.status in ("completed", "cancelled"):
            raise Conflict(
                f"A {order.status} order does not change",
                [{"field": "status", "message": f"is {order.status}"}],
            )
        locked = [name for name in ("lines", "currency") if name in changed]
        if locked and order.status != "draft":
            raise Conflict(
                f"The {' and '.join(locked)} of an order change only while it is a draft",
                [{"field": name, "message": "changes only in a draft"} for name in locked],
            )
        if "team_id" in changed and not caller.is_admin:
            raise PermissionDenied(
                "Only an administrator may move the order to another team",
                [{"field": "team_id", "message": "only an administrator may change the team"}],
            )
        if lines_changed:
            known = {line.product_id for line in order.lines}
            self._check_products(lines, allow_inactive_ids=known)
        for name in changed:
            if name != "lines":
                setattr(order, name, changes[name])
        if lines_changed or "currency" in changed:
            self._set_lines(order, lines)
        order.version += 1
        order.updated_at = utcnow()
        self.db.flush()
        result = dump_order(order)
        self.db.emit("order_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return result

    @rpc
    def describe_orders(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The order entity's metadata (fields, types, options). Needs no caller."""
        return describe_orders()

    # --- the life cycle -----------------------------------------------------------------

    def _move(
        self,
        order_id: str,
        action: str,
        actor: dict[str, Any],
        expected_version: Any,
        reason: str | None = None,
    ) -> dict[str, Any]:
        caller = Actor.from_dict(actor)
        target = ORDER_ACTIONS[action]
        if reason is not None and not isinstance(reason, str):
            raise failed("reason", "must be a string")
        reason = (reason or "").strip() or None
        if reason is not None and len(reason) > MAX_REASON:
            raise failed("reason", f"must be at most {MAX_REASON} characters")
        order = self._load_for_change(Order, "order", order_id, caller, expected_version)
        before = order.status
        if not domain.can_move(ORDER_TRANSITIONS, before, target):
            raise Conflict(
                f"A {before.replace('_', ' ')} order cannot be {target.replace('_', ' ')}",
                [{"field": "status", "message": f"is {before}"}],
            )
        if target == "confirmed" and not order.lines:
            raise failed("lines", "an order needs at least one line to be confirmed")
        order.status = target
        if target == "cancelled":
            order.cancel_reason = reason
        order.version += 1
        order.updated_at = utcnow()
        self._log_status(order, before, caller, reason)
        self._after_move(order, before, target)
        self.db.flush()
        result = dump_order(order)
        self.db.emit(
            "order_status_changed", {"order": result, "from": before, "to": target}, actor=actor
        )
        if target == "cancelled":
            self.db.emit("order_cancelled", result, actor=actor)
        self.db.commit()
        return result

    def _after_move(self, order: Order, before: str, target: str) -> None:
        """A hook for the parts that follow orders (the accounting exchange), in the
        move's transaction."""

    @rpc(expected_exceptions=EXPECTED)
    def confirm_order(
        self, order_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """draft → confirmed (needs a line); emit ``order_status_changed``.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (not a draft; stale
        version), ``ValidationFailed`` (no lines).
        """
        return self._move(order_id, "confirm", actor, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def start_order(
        self, order_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """confirmed → in_progress; emit ``order_status_changed``. Raises as ``confirm_order``."""
        return self._move(order_id, "start", actor, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def ship_order(
        self, order_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """in_progress → shipped; emit ``order_status_changed``. Raises as ``confirm_order``."""
        return self._move(order_id, "ship", actor, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def complete_order(
        self, order_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """shipped → completed; emit ``order_status_changed``. Raises as ``confirm_order``."""
        return self._move(order_id, "complete", actor, expected_version)

    @rpc(expected_exceptions=EXPECTED)
    def cancel_order(
        self,
        order_id: str,
        actor: dict[str, Any],
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """draft, confirmed or in_progress → cancelled with an optional ``reason``.

        Emits ``order_status_changed`` and ``order_cancelled``. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (shipped, completed or cancelled already;
        stale version), ``ValidationFailed`` (reason too long).
        """
        return self._move(order_id, "cancel", actor, expected_version, reason)

    @rpc(expected_exceptions=EXPECTED)
    def order_history(self, order_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The order's status changes, oldest first: ``[{from, to, reason, changed_by,
        changed_at}]`` (the first is ``null`` → ``draft``). Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        order = self._load(Order, "order", order_id, caller)
        changes = (
            self.db.execute(
                sa.select(OrderStatusChange)
                .where(OrderStatusChange.order_id == order.id)
                .order_by(OrderStatusChange.changed_at, OrderStatusChange.id)
            )
            .scalars()
            .all()
        )
        result = [dump_status_change(change) for change in changes]
        self.db.commit()
        return result


def _plain_lines(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "product_id": line.product_id,
            "quantity": wire(line.quantity),
            "price": f"{line.price:.2f}",
            "discount": wire(line.discount),
            "tax_rate": wire(line.tax_rate),
        }
        for line in order.lines
    ]
