"""Invoices: numbered gap-free per year (``INV-2026-000045``), issued, paid, overdue.

An invoice is made from an order (its totals, currency and account are copied) or
by hand (``total`` and ``currency``). ``draft`` → ``issued`` → ``paid`` once its
payments add up to the total; an issued invoice past its due date becomes
``overdue`` (a timer checks, hourly by default); anything but a paid invoice may be
``cancelled``. Payments are rows of their own; paying more than is outstanding is
refused. Invoices are never deleted (their numbers would leave a gap).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from nameko.timer import Timer

from services.platform.access import Actor
from services.platform.errors import EXPECTED, Conflict, PermissionDenied
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.requests_once import claim_request, keep_answer
from services.platform.rpc import rpc

from . import access, domain, store
from .base import OrdersBase
from .domain import FROM_ORDER, failed
from .models import Invoice, Order
from .schemas import INVOICE, describe_invoices, dump_invoice, dump_payment, wire

RIGHTS = access.INVOICES


class ConfiguredTimer(Timer):
    """A timer whose interval a setting may override: the container's config key
    ``OVERDUE_CHECK_SECONDS`` or the environment's ``OSPREY_OVERDUE_CHECK_SECONDS``."""

    def setup(self) -> None:
        configured = self.container.config.get("OVERDUE_CHECK_SECONDS") or os.environ.get(
            "OSPREY_OVERDUE_CHECK_SECONDS"
        )
        if configured:
            self.interval = float(configured)
        super().setup()


overdue_timer = ConfiguredTimer.decorator

#: How often issued invoices are checked for a passed due date, unless configured.
OVERDUE_CHECK_SECONDS = 3600


class InvoicesRpc(OrdersBase):
    """Invoices, their payments and the overdue check."""

    @rpc(expected_exceptions=EXPECTED)
    def create_invoice(
        self, data: dict[str, Any], actor: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """A draft invoice with the next number of the year; emit ``invoice_created``.

        With ``order_id`` it copies the order's totals, currency, account, owner and
        team (the order must be confirmed or later, not cancelled: ``Conflict``);
        without, ``total`` and ``currency`` are required (``tax_total`` optional, at
        most the total). ``due_date`` defaults to 14 days from today. Raises
        ``ValidationFailed``, ``NotFound`` (the order), ``PermissionDenied``, ``Conflict``.
        Called again with the same
        ``idempotency_key`` it creates nothing and returns the first answer.
        """
        replay = claim_request(self.db, idempotency_key, "create_invoice", actor)
        if replay is not None:
            return replay.answer
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "create")
        RIGHTS.check_writable(caller, data)
        by_hand = not (isinstance(data, dict) and data.get("order_id"))
        changes = domain.clean_changes(
            INVOICE, data, require=("currency", "total") if by_hand else ()
        )
        now = utcnow()
        if changes.get("due_date") is None:
            changes["due_date"] = now.date() + timedelta(days=domain.DEFAULT_PAYMENT_DAYS)
        if changes.get("order_id"):
            sent = [name for name in FROM_ORDER if name in changes]
            if sent:
                raise domain.validation_failed(
                    [{"field": name, "message": "comes from the order"} for name in sent]
                )
            order = access.ORDERS.load(self.db, Order, changes["order_id"], caller)
            access.ORDERS.require_change(self.db, caller, order)
            if order.status in ("draft", "cancelled"):
                raise Conflict(
                    f"A {order.status} order is not invoiced",
                    [{"field": "order_id", "message": f"the order is {order.status}"}],
                )
            values = {
                **changes,
                "account_id": order.account_id,
                "currency": order.currency,
                "subtotal": order.subtotal,
                "discount_total": order.discount_total,
                "tax_total": order.tax_total,
                "total": order.total,
                "owner_id": changes.get("owner_id", order.owner_id),
                "team_id": changes.get("team_id", order.team_id),
            }
            if values["team_id"] != order.team_id and not caller.is_admin:
                raise PermissionDenied(
                    "Only an administrator may put the invoice in another team",
                    [{"field": "team_id", "message": "only an administrator may set another team"}],
                )
        else:
            owner_id, team_id = domain.owner_and_team(changes, caller, "invoice")
            values = {**changes, "owner_id": owner_id, "team_id": team_id}
            domain.check_record(INVOICE, values)
            values.update(domain.hand_money(values))
        domain.check_record(INVOICE, values)
        invoice = Invoice(
            **values,
            id=new_id(),
            status="draft",
            paid_amount=domain.ZERO,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=caller.id,
        )
        invoice.number = f"INV-{now.year}-{store.next_number(self.db, 'invoice', now.year):06d}"
        self.db.add(invoice)
        self.db.flush()
        result = dump_invoice(invoice)
        self.db.emit("invoice_created", result, actor=actor)
        result = RIGHTS.visible(caller, result)
        keep_answer(self.db, idempotency_key, result)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_invoice(self, invoice_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The invoice. Raises ``NotFound`` (also when the caller may not read it)."""
        caller = Actor.from_dict(actor)
        result = dump_invoice(RIGHTS.load(self.db, Invoice, invoice_id, caller))
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def list_invoices(self, query: dict[str, Any] | None, actor: dict[str, Any]) -> dict[str, Any]:
        """A page of the invoices the caller may read: ``{"items", "next_cursor"}``.

        The search box finds the number, the total and the customer's (account's) name.
        Filters: number (contains), status, order_id, account_id, owner_id, team_id,
        due_date, created_at, updated_at. Sorts: created_at (default ``-created_at``),
        updated_at, number, total, due_date. ``purpose: "export"`` takes the export
        right; a filter, sort or search on a field hidden from the caller is refused.
        """
        caller = Actor.from_dict(actor)
        customers = self.customers_named(query, actor)
        page = store.invoice_page(self.db, caller, query, dump_invoice, customers)
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def update_invoice(
        self,
        invoice_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change some fields; emit ``invoice_updated`` (the invoice plus ``changed_fields``).

        A paid or cancelled invoice does not change; the money, currency, order and
        account change only in a draft made by hand. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (state, stale version), ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        caller.require(RIGHTS.entity, "update")
        RIGHTS.check_writable(caller, data)
        changes = domain.clean_changes(INVOICE, data)
        invoice = RIGHTS.load_for_change(self.db, Invoice, invoice_id, caller, expected_version)
        current = dump_invoice(invoice)
        raw = {name: wire(value) for name, value in changes.items()}
        for name in ("total", "tax_total"):
            if name in changes and changes[name] is not None:
                raw[name] = domain.money_text(
                    changes[name], changes.get("currency") or invoice.currency
                )
        changed = domain.changed_fields(INVOICE, current, raw)
        if not changed:
            self.db.commit()
            return RIGHTS.visible(caller, current)
        domain.check_record(INVOICE, {**current, **changes})
        domain.check_invoice_change(invoice.status, invoice.order_id is not None, changed, caller)
        values = {**current, **changes}
        if {"total", "tax_total", "currency"} & set(changed):
            for name in ("total", "tax_total"):
                values[name] = changes.get(name, getattr(invoice, name))
            changes.update(domain.hand_money(values))
            changed = list(dict.fromkeys([*changed, "subtotal"]))
        for name, value in changes.items():
            setattr(invoice, name, value)
        invoice.version += 1
        invoice.updated_at = utcnow()
        self.db.flush()
        result = dump_invoice(invoice)
        self.db.emit("invoice_updated", {**result, "changed_fields": changed}, actor=actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc
    def describe_invoices(self, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        """The invoice entity's metadata (fields, types, options). Needs no caller."""
        return describe_invoices()

    # --- the life cycle -----------------------------------------------------------------

    @rpc(expected_exceptions=EXPECTED)
    def issue_invoice(
        self, invoice_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """draft → issued; emit ``invoice_issued``.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (not a draft; stale
        version), ``ValidationFailed`` (a total of zero).
        """
        caller = Actor.from_dict(actor)
        invoice = RIGHTS.load_for_change(self.db, Invoice, invoice_id, caller, expected_version)
        domain.check_invoice_move(invoice.status, "issued", "issued")
        if invoice.total <= 0:
            raise failed("total", "an invoice of nothing is not issued")
        invoice.status = "issued"
        invoice.issued_at = invoice.updated_at = utcnow()
        invoice.version += 1
        self.db.flush()
        result = dump_invoice(invoice)
        self.db.emit("invoice_issued", result, actor=actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def register_payment(
        self,
        invoice_id: str,
        amount: Any,
        actor: dict[str, Any],
        paid_at: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Record a payment of an issued or overdue invoice; emit ``invoice_payment_registered``.

        ``amount`` is positive and at most what is outstanding (more: ``ValidationFailed``);
        ``paid_at`` defaults to now. When the payments reach the total the invoice is
        ``paid`` (``invoice_paid``). Returns the invoice. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (draft, paid or cancelled; stale version),
        ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        errors: list[dict[str, str]] = []
        moment = utcnow()
        if paid_at is not None:
            try:
                moment = domain.parse_moment(paid_at)
            except domain.Invalid as exc:
                errors.append({"field": "paid_at", "message": str(exc)})
        invoice = RIGHTS.load_for_change(self.db, Invoice, invoice_id, caller, expected_version)
        if invoice.status not in ("issued", "overdue"):
            hint = "issue it first" if invoice.status == "draft" else f"it is {invoice.status}"
            raise Conflict(
                f"A payment is registered only for an issued invoice; {hint}",
                [{"field": "status", "message": f"is {invoice.status}"}],
            )
        payment_amount = None
        if amount is None:
            errors.append({"field": "amount", "message": "is required"})
        else:
            try:
                payment_amount = domain.parse_money(amount, invoice.currency)
            except domain.Invalid as exc:
                errors.append({"field": "amount", "message": str(exc)})
        outstanding = domain.outstanding(invoice.total, invoice.paid_amount)
        errors += domain.payment_errors(payment_amount, outstanding, invoice.currency)
        if errors:
            raise domain.validation_failed(errors)
        payment = store.add_payment(self.db, invoice, payment_amount, moment, caller.id)
        result = dump_invoice(invoice)
        self.db.emit(
            "invoice_payment_registered",
            {"invoice": result, "payment": dump_payment(payment, invoice.currency)},
            actor=actor,
        )
        if invoice.status == "paid":
            self.db.emit("invoice_paid", result, actor=actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def list_payments(self, invoice_id: str, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The invoice's payments, oldest first. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        invoice = RIGHTS.load(self.db, Invoice, invoice_id, caller)
        result = [dump_payment(p, invoice.currency) for p in store.payments(self.db, invoice.id)]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def cancel_invoice(
        self,
        invoice_id: str,
        actor: dict[str, Any],
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Cancel a draft, issued or overdue invoice (not a paid one); emit ``invoice_cancelled``.

        Payments already registered stay recorded. Raises ``NotFound``,
        ``PermissionDenied``, ``Conflict`` (paid or cancelled; stale version),
        ``ValidationFailed`` (reason too long).
        """
        caller = Actor.from_dict(actor)
        reason = domain.clean_reason(reason)
        invoice = RIGHTS.load_for_change(self.db, Invoice, invoice_id, caller, expected_version)
        domain.check_invoice_move(invoice.status, "cancelled", "cancelled")
        invoice.status = "cancelled"
        invoice.cancel_reason = reason
        invoice.version += 1
        invoice.updated_at = utcnow()
        self.db.flush()
        result = dump_invoice(invoice)
        self.db.emit("invoice_cancelled", result, actor=actor)
        self.db.commit()
        return RIGHTS.visible(caller, result)

    # --- overdue ------------------------------------------------------------------------

    def _mark_overdue(self, today: date) -> int:
        """Mark issued invoices due before ``today`` overdue (``invoice_overdue`` each).

        Batches of rows no other replica holds (``SKIP LOCKED``), each committed.
        """
        marked = 0
        actor = Actor.system("orders").to_dict()
        while True:
            invoices = store.lock_due_invoices(self.db, today)
            now = utcnow()
            for invoice in invoices:
                invoice.status = "overdue"
                invoice.version += 1
                invoice.updated_at = now
            self.db.flush()
            for invoice in invoices:
                self.db.emit("invoice_overdue", dump_invoice(invoice), actor=actor)
            self.db.commit()
            marked += len(invoices)
            if len(invoices) < store.OVERDUE_BATCH:
                return marked

    @overdue_timer(interval=OVERDUE_CHECK_SECONDS)
    def mark_overdue_invoices(self, today: str | None = None) -> int:
        """Issued invoices past their due date become ``overdue``; the number marked.

        Runs by the timer (every ``OVERDUE_CHECK_SECONDS``) with today's UTC date; a
        test calls it with ``today`` (``YYYY-MM-DD``). Every replica may run it.
        """
        day = domain.parse_date(today) if today is not None else utcnow().date()
        return self._mark_overdue(day)
