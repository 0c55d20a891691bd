"""What the invoice PDF prints for one reader: the invoice, its order's lines, the
products on them and the customer, each without the fields the reader's column rights
hide (docs/architecture.md, "Access rights") — the PDF is one more answer, so it hides
what the JSON answers hide.

- the invoice's own fields by the invoices' rights (a hidden total, paid amount, due
  date or note is not printed; the amount due needs both the total and the paid
  amount; the payments go with ``paid_amount``; no bill-to block without ``account_id``;
  no order number nor lines without ``order_id``);
- the order's number and lines by the orders' rights (``number``, ``lines``);
- each line's product code, name and unit by the products' rights (a hidden one
  prints as a dash);
- an invoice is a document sent to the customer, printed whole or not at all: where
  products hide the price or the tax rate from the reader (and so the lines' amounts
  worked out from them, as the JSON answers leave them out), an invoice with lines is
  not printed for them — a 403 naming the column (``products.price``), as a mature CRM
  lets only a role that may see prices send its customer a priced document; an invoice
  made by hand (totals only) prints by the invoices' rights;
- the customer's name and address by the accounts' rights (a hidden name prints as
  the account's id, hidden addresses print none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.platform.access import Actor
from services.platform.errors import PermissionDenied

from . import access


def require_whole(caller: Actor) -> None:
    """``PermissionDenied`` naming each product column the invoice's lines need and the
    caller's role hides (``products.price``, ``products.tax_rate``)."""
    hidden = caller.hidden("products")
    missing = [name for name in access.PRINTED_WHOLE if name in hidden]
    if missing:
        raise PermissionDenied(
            "An invoice is printed whole: your role may not see its lines' "
            + " and ".join(f"product {name.replace('_', ' ')}" for name in missing),
            [
                {"field": f"products.{name}", "message": "is hidden for your role"}
                for name in missing
            ],
        )


def printed_invoice(caller: Actor, invoice: Mapping[str, Any]) -> dict[str, Any]:
    """The invoice (``dump_invoice``) without the fields hidden from the caller."""
    return access.INVOICES.visible(caller, dict(invoice))


def shows_order(caller: Actor, invoice: Mapping[str, Any]) -> bool:
    """Whether the caller sees which order the invoice is for."""
    return "order_id" in invoice and "order_id" not in caller.hidden("invoices")


def order_number(caller: Actor, number: str | None) -> str | None:
    return None if "number" in caller.hidden("orders") else number


def printed_lines(
    caller: Actor, rows: Sequence[tuple[Any, str, str, str | None]]
) -> list[dict[str, Any]]:
    """The order's lines (``store.lines_with_products`` rows) as printed for the caller,
    each the keyword arguments of a ``pdf.PrintedLine``: none when orders hide their
    ``lines``."""
    if "lines" in caller.hidden("orders"):
        return []
    products = caller.hidden("products")
    lines = access.hidden_line_fields(caller)
    return [
        {
            "code": None if "code" in products else code,
            "name": None if "name" in products else name,
            "unit": None if "unit" in products else unit,
            "quantity": line.quantity,
            "price": None if "price" in lines else line.price,
            "discount": line.discount,
            "tax_rate": None if "tax_rate" in lines else line.tax_rate,
            "net": line.net,
            "tax": line.tax,
            "total": line.total,
        }
        for line, code, name, unit in rows
    ]


def printed_payments(
    caller: Actor, payments: Sequence[Mapping[str, Any]]
) -> Sequence[Mapping[str, Any]]:
    """The payments, unless the invoice's paid amount is hidden from the caller."""
    return () if "paid_amount" in caller.hidden("invoices") else payments


def shows_customer(invoice: Mapping[str, Any]) -> bool:
    """Whether the caller sees whom the invoice bills (its ``account_id``)."""
    return "account_id" in invoice


def printed_account(caller: Actor, account: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The customer's account without the fields accounts hide from the caller (a
    hidden name prints as the account's id, hidden addresses print none)."""
    hidden = caller.hidden("accounts")
    if not account or not hidden:
        return account
    return {k: v for k, v in account.items() if k not in hidden}
