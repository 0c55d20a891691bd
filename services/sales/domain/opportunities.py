"""The rules of opportunities (deals): their fields and their money.

Pure functions, no I/O. A deal with product lines is worth their total; money needs
a currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from services.platform import fields
from services.platform.fields import Entity, EntityField, failed

from .records import line_total

OPPORTUNITY_STATUSES: tuple[str, ...] = ("open", "won", "lost")

OPPORTUNITY_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "title",
        "string",
        "Title",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("account_id", "uuid", "Account", filterable=True, lookup="accounts"),
    EntityField("contact_id", "uuid", "Contact", filterable=True, lookup="contacts"),
    EntityField("stage_id", "uuid", "Stage", filterable=True, lookup="opportunity-stages"),
    EntityField("need_type", "string", "Need type", max_length=100, filterable=True),
    EntityField("budget", "money", "Budget"),
    EntityField("amount", "money", "Amount", sortable=True),
    EntityField("currency", "currency", "Currency", max_length=3),
    EntityField("probability", "integer", "Probability, %", minimum=0, maximum=100),
    EntityField(
        "close_date", "date", "Close date", sortable=True, filterable=True, filter_op="range"
    ),
    EntityField(
        "status", "enum", "Status", options=OPPORTUNITY_STATUSES, read_only=True, filterable=True
    ),
    EntityField(
        "lost_reason", "string", "Reason lost", max_length=500, read_only=True, filterable=True
    ),
    EntityField("lead_id", "uuid", "Lead", filterable=True, lookup="leads"),
    EntityField("lines", "list", "Products", items="line"),
    EntityField("stage_entered_at", "datetime", "In stage since", read_only=True),
    *fields.record_tail(owner_required=True),
)
OPPORTUNITY = Entity("opportunity", OPPORTUNITY_FIELDS)


def lines_total(lines: Iterable[Mapping[str, Any]]) -> Decimal:
    """The total of product lines (each rounded to the cent first)."""
    return sum((line_total(line) for line in lines), Decimal("0.00"))


def follows_lines(lines: Iterable[Mapping[str, Any]] | None, amount: Any) -> bool:
    """Whether a deal's amount is its lines' total (else it was set by hand)."""
    lines = list(lines or [])
    return bool(lines) and amount is not None and Decimal(str(amount)) == lines_total(lines)


def apply_money_rules(
    values: dict[str, Any],
    *,
    changed: set[str],
    previous: tuple[Any, Any] | None = None,
) -> dict[str, Any]:
    """With product lines the amount follows their total unless it was set by hand;
    money needs a currency.

    An ``amount`` the caller sends (named in ``changed``) is set by hand, and kept when
    the lines change later; an amount sent empty follows the lines again. ``previous``
    (the deal's lines and amount before this change) tells whether it followed them:
    then, or on a new deal, the lines' total is put in ``values["amount"]`` and returned
    (``{"amount": total}``; nothing when the amount stays as it is or without lines).
    """
    derived: dict[str, Any] = {}
    lines = values.get("lines") or []
    if lines:
        total = lines_total(lines)
        sent = "amount" in changed
        by_hand = (values.get("amount") is not None) if sent else (
            previous is not None and bool(previous[0]) and not follows_lines(*previous)
        )  # fmt: skip
        if not by_hand:
            values["amount"] = total
            derived["amount"] = total
    has_money = values.get("amount") is not None or values.get("budget") is not None
    if has_money and not values.get("currency"):
        raise failed("currency", "is required with an amount or a budget")
    return derived
