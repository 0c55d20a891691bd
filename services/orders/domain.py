"""The rules of products, price lists, orders and invoices: fields, money, states.

Pure functions, no I/O: the service loads and stores, these decide. Every problem
with the caller's data is collected and raised at once as one
:class:`ValidationFailed`, each error naming its field (``lines[1].quantity`` for a
piece of a list). Money is :class:`~decimal.Decimal`, never float, and rounds
half-up to the currency's minor unit (cents; whole units for JPY-like currencies).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.platform import fields
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied

# The field framework lives in the platform; these names stay reachable as
# ``domain.<name>`` for the orders parts.
from services.platform.fields import (  # noqa: F401
    CENT,
    HUNDRED,
    MAX_MONEY,
    Entity,
    EntityField,
    Invalid,
    changed_fields,
    check_record,
    clean_changes,
    failed,
    normalize_value,
    parse_currency,
    parse_date,
    parse_percent,
    parse_quantity,
)
from services.platform.values import (  # noqa: F401
    is_uuid,
    parse_expected_version,
    validation_failed,
)

ORDER_STATUSES: tuple[str, ...] = (
    "draft",
    "confirmed",
    "in_progress",
    "shipped",
    "completed",
    "cancelled",
)
INVOICE_STATUSES: tuple[str, ...] = ("draft", "issued", "paid", "overdue", "cancelled")

#: Which status an order may go to from which (anything else is a 409).
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("confirmed", "cancelled"),
    "confirmed": ("in_progress", "cancelled"),
    "in_progress": ("shipped", "cancelled"),
    "shipped": ("completed",),
    "completed": (),
    "cancelled": (),
}
#: The order actions and the status each leads to.
ORDER_ACTIONS: dict[str, str] = {
    "confirm": "confirmed",
    "start": "in_progress",
    "ship": "shipped",
    "complete": "completed",
    "cancel": "cancelled",
}
#: Which status an invoice may go to from which.
INVOICE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("issued", "cancelled"),
    "issued": ("paid", "overdue", "cancelled"),
    "overdue": ("paid", "cancelled"),
    "paid": (),
    "cancelled": (),
}


def can_move(transitions: Mapping[str, tuple[str, ...]], current: str, target: str) -> bool:
    """Whether the status table allows ``current`` → ``target``."""
    return target in transitions.get(current, ())


#: The longest reason a cancelled order or invoice keeps.
MAX_REASON = 500


def clean_reason(reason: Any) -> str | None:
    """A cancel reason: trimmed text of at most ``MAX_REASON`` characters, None if blank."""
    if reason is not None and not isinstance(reason, str):
        raise failed("reason", "must be a string")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise failed("reason", f"must be at most {MAX_REASON} characters")
    return reason


def check_order_move(before: str, target: str, line_count: int) -> None:
    """``Conflict`` when the order's status may not go from ``before`` to ``target``;
    ``ValidationFailed`` when an order without lines would be confirmed."""
    if not can_move(ORDER_TRANSITIONS, before, target):
        raise Conflict(
            f"A {before.replace('_', ' ')} order cannot be {target.replace('_', ' ')}",
            [{"field": "status", "message": f"is {before}"}],
        )
    if target == "confirmed" and line_count == 0:
        raise failed("lines", "an order needs at least one line to be confirmed")


def check_order_change(status: str, changed: list[str], caller: Actor) -> None:
    """Whether the fields in ``changed`` may change on an order in ``status``: nothing
    on a completed or cancelled order, lines and currency only on a draft, the team only
    by an administrator."""
    if status in ("completed", "cancelled"):
        raise Conflict(
            f"A {status} order does not change",
            [{"field": "status", "message": f"is {status}"}],
        )
    locked = [name for name in ("lines", "currency") if name in changed]
    if locked and status != "draft":
        raise Conflict(
            f"The {' and '.join(locked)} of an order change only while it is a draft",
            [{"field": name, "message": "changes only in a draft"} for name in locked],
        )
    if "team_id" in changed and not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may move the order to another team",
            [{"field": "team_id", "message": "only an administrator may change the team"}],
        )


def require_catalogue_manager(caller: Actor) -> None:
    """Products and price lists are changed by sales managers and administrators."""
    if not caller.is_manager:
        raise PermissionDenied("Only a sales manager or an administrator may change this")


def owner_and_team(
    changes: dict[str, Any], caller: Actor, entity: str
) -> tuple[str | None, str | None]:
    """A new record's owner (default the caller) and team (default the caller's); takes
    both out of ``changes``. Only an administrator puts a record in another team."""
    team_id = changes.pop("team_id", None)
    if team_id is not None and team_id != caller.team_id and not caller.is_admin:
        raise PermissionDenied(
            f"Only an administrator may put the {entity} in another team",
            [{"field": "team_id", "message": "only an administrator may set another team"}],
        )
    owner_id = changes.pop("owner_id", caller.id)
    return owner_id, team_id or caller.team_id


#: ISO 4217 currencies without a minor unit: their amounts round to whole units.
#: Every other currency rounds to cents (three-decimal currencies such as KWD are
#: kept to cents as well: amounts are stored as numeric(18, 2)).
ZERO_DECIMAL_CURRENCIES: frozenset[str] = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)


def minor_unit(currency: str | None) -> Decimal:
    """The smallest amount of the currency: ``0.01``, or ``1`` for JPY-like currencies."""
    return Decimal("1") if (currency or "").upper() in ZERO_DECIMAL_CURRENCIES else CENT


def round_money(amount: Decimal, currency: str | None) -> Decimal:
    """Half-up to the currency's minor unit (kept with two decimal places for storage)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP).quantize(CENT)


def money_text(amount: Decimal | None, currency: str | None) -> str | None:
    """Money on the wire: ``"1500.00"``, or ``"1500"`` in a currency without cents."""
    if amount is None:
        return None
    if minor_unit(currency) == 1:
        return f"{amount.quantize(Decimal('1'), rounding=ROUND_HALF_UP):f}"
    return f"{amount:.2f}"


def record_tail(owned: bool) -> tuple[EntityField, ...]:
    """The fields every record ends with; owned records have a required owner and a team."""
    return fields.record_tail(owned=owned, owner_required=True)


def parse_money(value: Any, currency: str | None = None) -> Decimal:
    """A non-negative amount with no more decimals than the currency has."""
    return fields.parse_money(value, minor_unit(currency), currency)


# --- order lines and totals -------------------------------------------------------------

MAX_LINES = 500
LINE_KEYS: tuple[str, ...] = ("product_id", "quantity", "price", "discount", "tax_rate")


@dataclass(frozen=True)
class Line:
    """One order line as sent: what was bought, how many, at what price, discount, tax."""

    product_id: str
    quantity: Decimal
    price: Decimal
    discount: Decimal = Decimal("0.00")
    tax_rate: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class LineAmounts:
    """A line's money, each rounded half-up to the currency's minor unit.

    ``amount`` = quantity × price; ``discount_amount`` = amount × discount %;
    ``net`` = amount − discount; ``tax`` = net × tax rate %; ``total`` = net + tax.
    """

    amount: Decimal
    discount_amount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    """An order's sums over its lines: ``total`` = subtotal − discount + tax."""

    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


ZERO = Decimal("0.00")


def line_amounts(line: Line, currency: str | None) -> LineAmounts:
    amount = round_money(line.quantity * line.price, currency)
    discount_amount = round_money(amount * line.discount / HUNDRED, currency)
    net = amount - discount_amount
    tax = round_money(net * line.tax_rate / HUNDRED, currency)
    return LineAmounts(amount, discount_amount, net, tax, net + tax)


def order_totals(lines: list[LineAmounts]) -> Totals:
    """The sums of the lines' rounded amounts (so the order adds up to its lines)."""
    subtotal = sum((a.amount for a in lines), ZERO)
    discount = sum((a.discount_amount for a in lines), ZERO)
    tax = sum((a.tax for a in lines), ZERO)
    return Totals(subtotal, discount, tax, subtotal - discount + tax)


def priced_lines(lines: list[Line], currency: str | None) -> list[tuple[Line, LineAmounts]]:
    """Each line with its rounded amounts; an amount too large to store is refused."""
    result = [(line, line_amounts(line, currency)) for line in lines]
    errors = [
        {"field": f"lines[{index}].quantity", "message": "quantity × price is too large"}
        for index, (_line, amounts) in enumerate(result)
        if amounts.amount > MAX_MONEY
    ]
    totals = order_totals([amounts for _line, amounts in result])
    if not errors and totals.subtotal > MAX_MONEY:
        errors.append({"field": "lines", "message": "the order's total is too large"})
    if errors:
        raise validation_failed(errors)
    return result


def deal_lines(deal: Mapping[str, Any], tax_rates: Mapping[str, Any]) -> list[Line]:
    """A won deal's product lines as order lines: its quantity, price and discount,
    the product's tax rate (``tax_rates``: product id → rate or None; a product missing
    from it is not in the catalogue). The deal must have a currency."""
    if not deal.get("currency"):
        raise failed("currency", "the opportunity has no currency")
    lines = deal.get("lines") or []
    errors = [
        {"field": f"lines[{index}].product_id", "message": "no such product in the catalogue"}
        for index, line in enumerate(lines)
        if line.get("product_id") not in tax_rates
    ]
    if errors:
        raise validation_failed(errors)
    return clean_lines(
        [
            {
                "product_id": line["product_id"],
                "quantity": line["quantity"],
                "price": line["price"],
                "discount": line.get("discount") or "0",
                "tax_rate": f"{tax_rates[line['product_id']] or ZERO:f}",
            }
            for line in lines
        ],
        deal["currency"],
    )


def clean_lines(value: Any, currency: str | None) -> list[Line]:
    """Validate ``lines``: ``[{product_id, quantity, price, discount?, tax_rate?}]``.

    ``price`` may have no more decimals than the currency; ``discount`` and
    ``tax_rate`` are percentages (default 0). Every problem is reported at once.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise failed("lines", "must be a list")
    if len(value) > MAX_LINES:
        raise failed("lines", f"may hold at most {MAX_LINES} lines")
    errors: list[dict[str, str]] = []
    lines: list[Line] = []
    for index, item in enumerate(value):
        where = f"lines[{index}]"
        if not isinstance(item, Mapping):
            errors.append({"field": where, "message": "must be an object"})
            continue
        for key in item:
            if key not in LINE_KEYS:
                errors.append({"field": f"{where}.{key}", "message": "unknown field"})
        parts: dict[str, Any] = {}
        product_id = item.get("product_id")
        if not is_uuid(product_id):
            errors.append({"field": f"{where}.product_id", "message": "must be a UUID"})
        else:
            parts["product_id"] = str(uuid.UUID(product_id))
        for name, parse, required in (
            ("quantity", parse_quantity, True),
            ("price", lambda v: parse_money(v, currency), True),
            ("discount", parse_percent, False),
            ("tax_rate", parse_percent, False),
        ):
            raw = item.get(name)
            if raw is None:
                if required:
                    errors.append({"field": f"{where}.{name}", "message": "is required"})
                continue
            try:
                parts[name] = parse(raw)
            except Invalid as exc:
                errors.append({"field": f"{where}.{name}", "message": str(exc)})
        if {"product_id", "quantity", "price"} <= set(parts):
            lines.append(Line(**parts))
    if errors:
        raise validation_failed(errors)
    return lines


# --- invoices -----------------------------------------------------------------------------

#: Days from an invoice's creation to its due date unless one is given.
DEFAULT_PAYMENT_DAYS = 14


def outstanding(total: Decimal, paid: Decimal) -> Decimal:
    return total - paid


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    """An issued invoice whose due date has passed (the day itself is not late yet)."""
    return status == "issued" and due_date is not None and due_date < today


def check_invoice_move(status: str, target: str, action: str) -> None:
    """``Conflict`` when an invoice in ``status`` may not become ``target``."""
    if not can_move(INVOICE_TRANSITIONS, status, target):
        raise Conflict(
            f"A {status} invoice cannot be {action}",
            [{"field": "status", "message": f"is {status}"}],
        )


#: What only an invoice made by hand sets; one made from an order copies them.
FROM_ORDER = ("currency", "total", "tax_total", "account_id")


def hand_money(values: Mapping[str, Any]) -> dict[str, Any]:
    """The money of an invoice made by hand: in its currency's unit, tax within total,
    the subtotal what is left of the total after tax, no discount."""
    currency = values["currency"]
    errors = []
    money: dict[str, Any] = {}
    for name in ("total", "tax_total"):
        amount = values.get(name)
        if amount is None:
            money[name] = ZERO
            continue
        if round_money(amount, currency) != amount:
            errors.append({"field": name, "message": f"must be a whole amount in {currency}"})
        money[name] = amount
    if not errors and money["tax_total"] > money["total"]:
        errors.append({"field": "tax_total", "message": "must not be more than the total"})
    if errors:
        raise validation_failed(errors)
    money["subtotal"] = money["total"] - money["tax_total"]
    money["discount_total"] = ZERO
    return money


def check_invoice_change(
    status: str, made_from_order: bool, changed: list[str], caller: Actor
) -> None:
    """Whether the fields in ``changed`` may change on an invoice: nothing on a paid or
    cancelled one, the money, currency, order and account only on a draft made by hand,
    the order never, the team only by an administrator."""
    if status in ("paid", "cancelled"):
        raise Conflict(
            f"A {status} invoice does not change",
            [{"field": "status", "message": f"is {status}"}],
        )
    money = [name for name in (*FROM_ORDER, "order_id") if name in changed]
    if money and (status != "draft" or made_from_order):
        raise Conflict(
            "The money, currency, order and account of an invoice change only in a "
            "draft made by hand",
            [{"field": name, "message": "cannot change now"} for name in money],
        )
    if "order_id" in changed:
        raise failed("order_id", "make a new invoice from the order instead")
    if "team_id" in changed and not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may move the invoice to another team",
            [{"field": "team_id", "message": "only an administrator may change the team"}],
        )


def payment_errors(
    amount: Decimal | None, outstanding_amount: Decimal, currency: str
) -> list[dict[str, str]]:
    """What is wrong with a payment of ``amount`` (None: not given or not parsed)."""
    if amount is None:
        return []
    if amount <= 0:
        return [{"field": "amount", "message": "must be more than zero"}]
    if amount > outstanding_amount:
        owed = money_text(outstanding_amount, currency)
        return [{"field": "amount", "message": f"is more than the {owed} outstanding"}]
    return []


def parse_moment(value: Any) -> datetime:
    """An ISO 8601 time with its zone, as an aware UTC datetime."""
    message = "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"
    if not isinstance(value, str):
        raise Invalid(message)
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise Invalid(message) from None
    if moment.tzinfo is None:
        raise Invalid("must include a time zone (Z or an offset such as +03:00)")
    return moment.astimezone(UTC)


# --- settings -------------------------------------------------------------------------------

#: Each setting and the type its value must have.
SETTINGS: dict[str, type] = {
    "propose_order_on_win": bool,
    # our company, as the invoices print it (each text; empty: the environment's)
    "company_name": str,
    "company_address": str,
    "company_tax_id": str,
    "company_email": str,
    "company_phone": str,
    "company_bank": str,
}
#: The company settings, their environment variables and their longest text.
COMPANY_SETTINGS: dict[str, tuple[str, int]] = {
    "company_name": ("OSPREY_COMPANY_NAME", 200),
    "company_address": ("OSPREY_COMPANY_ADDRESS", 1000),
    "company_tax_id": ("OSPREY_COMPANY_TAX_ID", 64),
    "company_email": ("OSPREY_COMPANY_EMAIL", 320),
    "company_phone": ("OSPREY_COMPANY_PHONE", 64),
    "company_bank": ("OSPREY_COMPANY_BANK", 1000),
}
#: What turns a setting off in the environment.
FALSE = ("0", "false", "no", "off")


def setting_defaults(
    configured: str | None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Each setting's value when no administrator has set it, from the environment:
    ``OSPREY_PROPOSE_ORDER_ON_WIN`` (on unless it says off) and ``OSPREY_COMPANY_*``
    (lines of an address or bank details may be written ``\\n``)."""
    env = env or {}
    company = {
        name: (env.get(variable) or "").replace("\\n", "\n").strip()
        for name, (variable, _) in COMPANY_SETTINGS.items()
    }
    return {"propose_order_on_win": (configured or "").strip().lower() not in FALSE, **company}


def settings_version(expected_version: Any) -> int | None:
    """The settings' version a caller expects; 0 is the settings nobody has set yet
    (their first ETag)."""
    if type(expected_version) is int and expected_version == 0:
        return 0
    return parse_expected_version(expected_version)


def clean_settings(data: Any) -> dict[str, Any]:
    """The settings to change: known names with values of the right type."""
    if not isinstance(data, dict):
        raise validation_failed([{"field": "body", "message": "must be an object"}])
    errors = [
        {"field": name, "message": "unknown setting"} for name in data if name not in SETTINGS
    ]
    errors += [
        {
            "field": name,
            "message": "must be true or false" if SETTINGS[name] is bool else "must be text",
        }
        for name, value in data.items()
        if name in SETTINGS and not isinstance(value, SETTINGS[name])
    ]
    cleaned = dict(data)
    for name, (_, longest) in COMPANY_SETTINGS.items():
        value = cleaned.get(name)
        if not isinstance(value, str):
            continue
        value = "\n".join(line.strip() for line in value.strip().splitlines())
        if len(value) > longest:
            errors.append({"field": name, "message": f"at most {longest} characters"})
        elif any(ord(c) < 32 and c != "\n" for c in value):
            errors.append({"field": name, "message": "must not hold control characters"})
        elif name == "company_email" and value and not _looks_like_email(value):
            errors.append({"field": name, "message": "is not an email address"})
        cleaned[name] = value
    if errors:
        raise validation_failed(errors)
    return cleaned


def _looks_like_email(value: str) -> bool:
    local, at, domain_part = value.partition("@")
    return bool(local and at and "." in domain_part and " " not in value)
