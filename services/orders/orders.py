"""Orders: numbered gap-free per year, lines with their money, a status life cycle.

An order is ``draft`` → ``confirmed`` → ``in_progress`` → ``shipped`` → ``completed``;
a draft, confirmed or in-progress order may be ``cancelled``. Every move is logged
in ``order_status_history`` (from, to, who, when). Lines and currency change only
in a draft; each line's money is rounded half-up to the currency's minor unit and
the order's totals are the sums of its lines, stored on every change. Orders are
never deleted (their numbers would leave a gap): cancel one instead.

Confirming an order asks the accounting system to reserve its goods, and cancelling
one that was sent there releases them (:mod:`.accounting`), in the move's transaction.
"""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, PermissionDenied
from services.platform.events import utcnow
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc
from services.platform.values import validation_failed

from . import access, accounting, domain, line_prices, store
from .base import OrdersBase
from .domain import ORDER_ACTIONS, Line, failed
from .models import Order
from .schemas import (
    ORDER,
    describe_orders,
    dump_order,
    dump_status_change,
    line_key,
    stored_line_key,
    wire,
)

RIGHTS = access.ORDERS


def check_products(
    db: Any, lines: list[Line], *, allow_inactive_ids: set[str] | frozenset[str] = frozenset()
) -> None:
    """Every line names a product of the catalogue that is active (or was already there)."""
    found = store.product_states(db, {line.product_id for line in lines})
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


def place_order(
    db: Any,
    values: dict[str, Any],
    lines: list[Line],
    caller: Actor,
    actor: dict[str, Any],
    announce: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Number and store a new draft order and write ``order_placed`` (not committed).

    ``announce`` adds fields to the event's data (not to the returned order).
    """
    order = store.insert_order(db, values, domain.priced_lines(lines, values["currency"]), caller)
    result = dump_order(order)
    db.emit("order_placed", {**result, **(announce or {})}, actor=actor)
    return result


def draft_from_deal(
    db: Any,
    deal: dict[str, Any],
    caller: Actor,
    actor: dict[str, Any],
    *,
    allow_another: bool = False,
    announce: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A draft order copied from ``deal`` (as sales sends it), one per deal (not committed).

    Raises ``Conflict`` (the deal has an order that is not cancelled and not
    ``allow_another``), ``ValidationFailed`` (no currency, unknown products).
    """
    # One order per deal: creates for the same deal queue here until the first commits.
    store.lock_deal(db, deal["id"])
    existing = store.deal_order_number(db, deal["id"])
    if existing is not None and not allow_another:
        raise Conflict(
            f"The opportunity already has order {existing}; send allow_another to make one more",
            [{"field": "opportunity_id", "message": f"already has order {existing}"}],
        )
    product_ids = [line.get("product_id") for line in deal.get("lines") or []]
    tax_rates = store.product_tax_rates(db, [p for p in product_ids if domain.is_uuid(p)])
    lines = domain.deal_lines(deal, tax_rates)
    values = {
        "account_id": deal.get("account_id"),
        "contact_id": deal.get("contact_id"),
        "opportunity_id": deal["id"],
        "currency": deal["currency"],
        "owner_id": deal.get("owner_id") or caller.id,
        "team_id": deal.get("team_id"),
    }
    return place_order(db, values, lines, caller, actor, announce)


class OrdersRpc(OrdersBase):
    """Orders, their lines, actions and status history."""

    # --- the record ---------------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def create_order(
        self, data: dict[str, Any], actor: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Create a draft order with the next number of the year; emit ``order_placed``.

        ``currency`` is required; the owner defaults to the caller (an explicit null is
        refused); ``lines`` are ``[{product_id, quantity, price, discount?, tax_rate?}]``
        of active products — without ``price`` (``tax_rate``) from a role that may not
        set products' price (tax rate), which the price list gives (:mod:`.line_prices`).
        Raises ``ValidationFailed``, ``PermissionDenied`` (another team). Called again
        with the same ``idempotency_key`` it creates nothing and returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "create_order", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "create")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(ORDER, data, skip=("lines",), require=("currency",))
        raw_lines = changes.pop("lines", None)
        owner_id, team_id = domain.owner_and_team(changes, caller, "order")
        values = {**changes, "owner_id": owner_id, "team_id": team_id}
        domain.check_record(ORDER, values)
        currency = values["currency"]
        raw_lines = line_prices.fill_lines(self.db, caller, raw_lines, currency)
        lines = domain.clean_lines(raw_lines, currency)
        check_products(self.db, lines)
        result = RIGHTS.visible(caller, place_order(self.db, values, lines, caller, actor))
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

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
        caller.require(RIGHTS.entity, "create")
        if not isinstance(allow_another, bool):
            raise failed("allow_another", "must be true or false")
        deal = self.sales.get_opportunity(opportunity_id, actor=actor)
        # the order is the deal's owner's and team's: the caller must change theirs
        if not caller.can_change(deal.get("owner_id"), deal.get("team_id"), RIGHTS.entity):
            raise PermissionDenied("You may not make orders from this opportunity")
        result = draft_from_deal(self.db, deal, caller, actor, allow_another=allow_another)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def get_order(self, order_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The order with its lines. Raises ``NotFound`` (also when the caller may not read it)."""
        caller = Actor.from_dict(actor)
        result = dump_order(RIGHTS.load(self.db, Order, order_id, caller))
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def list_orders(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the orders the caller may read: ``{"items", "next_cursor"}``.

        The search box finds the number, the total and the customer's (account's) name.
        Filters: number (contains), status, account_id, contact_id, opportunity_id,
        owner_id, team_id, created_at, updated_at. Sorts: created_at (default
        ``-created_at``), updated_at, number, total. ``purpose: "export"`` takes the
        export right; a filter, sort or search on a field hidden from the caller is refused.
        """
        caller = Actor.from_dict(actor)
        customers = self.customers_named(query, actor)
        page = store.order_page(self.db, caller, query, dump_order, customers)
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
        completed or cancelled order does not change at all. A role that may not set
        products' price sends lines without it: a product the order had keeps its
        price, a new one takes the price list's (:mod:`.line_prices`). The totals
        follow the lines. Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (state, stale
        version), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "update")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(ORDER, data, skip=("lines",))
        order = RIGHTS.load_for_change(self.db, Order, order_id, caller, expected_version)
        current = dump_order(order)
        lines_sent = "lines" in changes
        raw_lines = changes.pop("lines", None)
        currency = changes.get("currency", order.currency)
        domain.check_record(ORDER, {**current, **changes})
        if lines_sent:
            # a role that may not set the price keeps the order's own (same currency)
            kept = order.lines if currency == order.currency else ()
            raw_lines = line_prices.fill_lines(self.db, caller, raw_lines, currency, kept)
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
            stored_line_key(line) for line in order.lines
        ]
        if lines_changed:
            changed.append("lines")
        if not changed:
            self.db.commit()
            return RIGHTS.visible(caller, current)
        domain.check_order_change(order.status, changed, caller)
        if lines_changed:
            known = {line.product_id for line in order.lines}
            check_products(self.db, lines, allow_inactive_ids=known)
        for name in changed:
            if name != "lines":
                setattr(order, name, changes[name])
        if lines_changed or "currency" in changed:
            store.set_lines(self.db, order, domain.priced_lines(lines, order.currency))
        store.touch(self.db, order)
        result = dump_order(order)
        self.db.emit("order_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

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
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Move the order by ``action``, log it, tell accounting, emit, commit; a
        request already applied under ``idempotency_key`` gets its first answer."""
        replay = claim_request(self.db, idempotency_key, f"{action}_order", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        target = ORDER_ACTIONS[action]
        reason = domain.clean_reason(reason)
        order = RIGHTS.load_for_change(self.db, Order, order_id, caller, expected_version)
        before = order.status
        domain.check_order_move(before, target, len(order.lines))
        order.status = target
        if target == "cancelled":
            order.cancel_reason = reason
        order.version += 1
        order.updated_at = utcnow()
        store.log_status(self.db, order, before, caller, reason)
        if target == "confirmed":
            accounting.request_reservation(self.db, self.accounting, order)
        elif target == "cancelled":
            accounting.release_reservation(self.db, self.accounting, order)
        self.db.flush()
        result = dump_order(order)
        self.db.emit(
            "order_status_changed", {"order": result, "from": before, "to": target}, actor=actor
        )
        if target == "cancelled":
            self.db.emit("order_cancelled", result, actor=actor)
        result = RIGHTS.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def confirm_order(
        self,
        order_id: str,
        actor: dict[str, Any],
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """draft → confirmed (needs a line); ask accounting to reserve the goods; emit
        ``order_status_changed``.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (not a draft; stale
        version), ``ValidationFailed`` (no lines). Called again with the same
        ``idempotency_key`` it returns the first answer instead of a ``Conflict``.
        """
        return self._move(
            order_id, "confirm", actor, expected_version, idempotency_key=idempotency_key
        )

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
        """draft, confirmed or in_progress → cancelled with an optional ``reason``; an
        order sent to accounting has its reservation released.

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
        order = RIGHTS.load(self.db, Order, order_id, caller)
        result = [dump_status_change(change) for change in store.status_history(self.db, order.id)]
        self.db.commit()
        return result
