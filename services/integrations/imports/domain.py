"""The rules of a spreadsheet import: which fields each entity takes, how a column's
name in English or Russian finds its field, and how a cell becomes a field's value.

Pure functions, no I/O. The owning service still validates every record it is given
(its own ``ValidationFailed`` is what a row's report shows); what is checked here is
what a cell can say wrongly before any service sees it: a date that is no date, a
number that is no number, an email without ``@``, a required field left empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

#: Entities a file may be imported into, and the service that owns each.
OWNERS: dict[str, str] = {
    "leads": "leads",
    "contacts": "sales",
    "accounts": "sales",
    "opportunities": "sales",
    "activities": "sales",
    "products": "orders",
}
ENTITIES: tuple[str, ...] = tuple(OWNERS)
ON_DUPLICATE: tuple[str, ...] = ("skip", "update", "create")
#: What the user may match existing records on, per entity (``name_company`` is a
#: person's name and their company's together).
MATCH_KEYS: dict[str, tuple[str, ...]] = {
    "leads": ("email", "phone", "name_company"),
    "contacts": ("email", "phone", "name_company"),
    "accounts": ("name", "email", "phone"),
    "opportunities": (),
    "activities": (),
    "products": ("code",),
}
#: Reasons of the services' duplicate checks that each match key accepts.
MATCH_REASONS: dict[str, frozenset[str]] = {
    "email": frozenset({"email"}),
    "phone": frozenset({"phone"}),
    "name": frozenset({"name"}),
    "name_company": frozenset({"name", "company"}),
    "code": frozenset({"code"}),
}
MAX_COLUMNS = 1000


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # text, email, phone, date, datetime, number, integer, boolean, choice
    required: bool = False
    #: other names a column may carry, English and Russian, compared folded
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    max_length: int = 300


_NAME = ("name", "full name", "contact", "contact name", "фио", "имя", "контакт", "полное имя")
_COMPANY = ("company", "account", "account name", "organization", "компания", "организация",
            "контрагент", "название компании")  # fmt: skip
_EMAIL = ("email", "e-mail", "mail", "email address", "эл. почта", "электронная почта", "почта",
          "емейл", "e-mail адрес")  # fmt: skip
_PHONE = ("phone", "telephone", "mobile", "phone number", "телефон", "тел.", "мобильный",
          "номер телефона")  # fmt: skip
_OWNER = ("owner", "owner id", "ответственный", "владелец")

FIELDS: dict[str, tuple[Field, ...]] = {
    "leads": (
        Field("contact_name", "text", aliases=_NAME),
        Field("account_name", "text", aliases=_COMPANY),
        Field("email", "email", aliases=_EMAIL, max_length=254),
        Field("phone", "phone", aliases=_PHONE, max_length=64),
        Field("source", "text", aliases=("source", "lead source", "источник"), max_length=100),
        Field("channel", "text", aliases=("channel", "канал"), max_length=100),
        Field("need_type", "text", aliases=("need", "need type", "потребность"), max_length=100),
        Field("region", "text", aliases=("region", "регион", "город", "city"), max_length=100),
        Field(
            "notes",
            "text",
            aliases=("notes", "comment", "заметки", "комментарий"),
            max_length=20000,
        ),  # fmt: skip
        Field("utm_source", "text", aliases=("utm source",)),
        Field("utm_medium", "text", aliases=("utm medium",)),
        Field("utm_campaign", "text", aliases=("utm campaign", "campaign", "кампания")),
    ),
    "contacts": (
        Field("full_name", "text", required=True, aliases=_NAME),
        Field("email", "email", aliases=_EMAIL, max_length=254),
        Field("phone", "phone", aliases=_PHONE, max_length=64),
        Field("account_name", "text", aliases=_COMPANY),
        Field(
            "job_title",
            "text",
            aliases=("job title", "title", "position", "должность"),
            max_length=200,
        ),  # fmt: skip
    ),
    "accounts": (
        Field(
            "name",
            "text",
            required=True,
            aliases=(
                "name",
                "company",
                "account",
                "account name",
                "название",
                "компания",
                "организация",
                "наименование",
            ),
        ),  # fmt: skip
        Field("industry", "text", aliases=("industry", "отрасль"), max_length=100),
        Field(
            "web", "text", aliases=("web", "website", "site", "сайт", "веб-сайт"), max_length=2000
        ),  # fmt: skip
        Field("phone", "phone", aliases=_PHONE, max_length=64),
        Field("email", "email", aliases=_EMAIL, max_length=254),
    ),
    "opportunities": (
        Field(
            "title",
            "text",
            required=True,
            aliases=("title", "opportunity", "deal", "name", "сделка", "название", "продажа"),
        ),  # fmt: skip
        Field("account_name", "text", aliases=_COMPANY),
        Field("amount", "number", aliases=("amount", "sum", "сумма")),
        Field("budget", "number", aliases=("budget", "бюджет")),
        Field("currency", "text", aliases=("currency", "валюта"), max_length=3),
        Field("probability", "integer", aliases=("probability", "вероятность")),
        Field("close_date", "date", aliases=("close date", "дата закрытия")),
        Field("need_type", "text", aliases=("need type", "потребность"), max_length=100),
    ),
    "activities": (
        Field(
            "title",
            "text",
            required=True,
            aliases=("title", "subject", "тема", "заголовок", "название"),
        ),  # fmt: skip
        Field(
            "type",
            "choice",
            required=True,
            aliases=("type", "тип"),
            choices=("task", "call", "meeting", "email"),
        ),  # fmt: skip
        Field("description", "text", aliases=("description", "описание"), max_length=10000),
        Field(
            "status",
            "choice",
            aliases=("status", "статус"),
            choices=("not_started", "in_progress", "completed", "cancelled"),
        ),  # fmt: skip
        Field(
            "priority",
            "choice",
            aliases=("priority", "приоритет"),
            choices=("low", "normal", "high"),
        ),  # fmt: skip
        Field("start_at", "datetime", aliases=("start", "starts", "start at", "начало")),
        Field("due_at", "datetime", aliases=("due", "due at", "deadline", "срок")),
    ),
    "products": (
        Field(
            "code", "text", required=True, aliases=("code", "sku", "article", "код", "артикул")
        ),  # fmt: skip
        Field(
            "name",
            "text",
            required=True,
            aliases=("name", "product", "название", "наименование", "товар", "продукт"),
        ),  # fmt: skip
        Field("unit", "text", aliases=("unit", "единица", "ед. изм.", "ед.изм."), max_length=32),
        Field("category", "text", aliases=("category", "категория"), max_length=100),
        Field("description", "text", aliases=("description", "описание"), max_length=5000),
        Field("tax_rate", "number", aliases=("tax", "tax rate", "vat", "ндс", "налог")),
        Field("is_active", "boolean", aliases=("active", "is active", "активен")),
    ),
}


def fields_of(entity: str) -> dict[str, Field]:
    return {f.name: f for f in FIELDS[entity]}


def _fold(text: str) -> str:
    text = text.strip().lower().replace("ё", "е").replace("_", " ")
    return re.sub(r"[\s*:]+", " ", text).strip()


def suggest_mapping(entity: str, headers: list[str]) -> list[str | None]:
    """For each column, the field its name names (English or Russian), or None.

    A field is given to the first column that names it; the field's own name counts
    (``contact_name``, ``Contact name``)."""
    taken: set[str] = set()
    result: list[str | None] = []
    for header in headers:
        folded = _fold(str(header or ""))
        found = None
        for field in FIELDS[entity]:
            names = {_fold(field.name), *(_fold(a) for a in field.aliases)}
            if folded in names and field.name not in taken:
                found = field.name
                break
        if found:
            taken.add(found)
        result.append(found)
    return result


def check_mapping(entity: str, mapping: Any, width: int) -> list[str | None]:
    """The user's mapping, checked: one entry per column, each a field or None, no
    field twice, every required field given. Raises ``ValueError`` with the reason."""
    if not isinstance(mapping, list) or len(mapping) != width:
        raise ValueError(f"give one entry per column ({width})")
    known = fields_of(entity)
    seen: set[str] = set()
    for value in mapping:
        if value is None or value == "":
            continue
        if value not in known:
            raise ValueError(f"{value!r} is not a field of {entity}")
        if value in seen:
            raise ValueError(f"{value!r} is given to two columns")
        seen.add(value)
    missing = [f.name for f in FIELDS[entity] if f.required and f.name not in seen]
    if missing:
        raise ValueError("no column for " + ", ".join(missing))
    return [m or None for m in mapping]


class CellError(ValueError):
    """A cell that cannot be its field's value; the message is for the user."""


_DATE_FORMATS = (
    "%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d",
    "%d-%m-%Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
)  # fmt: skip
_TIME_FORMATS = ("%H:%M", "%H:%M:%S")
_RU_MONTHS = {
    "янв": "Jan", "фев": "Feb", "мар": "Mar", "апр": "Apr", "мая": "May", "май": "May",
    "июн": "Jun", "июл": "Jul", "авг": "Aug", "сен": "Sep", "окт": "Oct", "ноя": "Nov",
    "дек": "Dec",
}  # fmt: skip
#: Excel's day 0 (its 1900 leap-year bug included), for dates a CSV gives as serials.
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _ru_months(text: str) -> str:
    def repl(match: re.Match[str]) -> str:
        return _RU_MONTHS.get(match.group(0)[:3].lower(), match.group(0))

    return re.sub(r"[А-Яа-яЁё]+\.?", lambda m: repl(m).rstrip("."), text)


def parse_date_text(text: str, day_first: bool = True) -> date:
    """A date written as people write them: ISO, ``31.12.2026``, ``12/31/2026`` (month
    first when the day cannot be first), ``31 дек 2026``, ``Dec 31, 2026``."""
    text = re.sub(r"\s*(г\.?|года)\s*$", "", text.strip())  # "31 дек. 2026 г."
    text = _ru_months(text).strip().rstrip(".")
    formats = list(_DATE_FORMATS)
    if not day_first:
        formats.remove("%m/%d/%Y")
        formats.insert(formats.index("%d/%m/%Y"), "%m/%d/%Y")
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError("not a date (write it as 2026-12-31 or 31.12.2026)")


def parse_datetime_text(text: str) -> datetime:
    text = text.strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    except ValueError:
        pass
    head, _, tail = text.rpartition(" ")
    if head and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", tail):
        day = parse_date_text(head)
        for fmt in _TIME_FORMATS:
            try:
                moment = datetime.strptime(tail, fmt).time()
                return datetime.combine(day, moment, UTC)
            except ValueError:
                continue
    return datetime.combine(parse_date_text(text), time(), UTC)


def _number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError("not a number")
    if isinstance(value, int | float):
        return Decimal(str(value))
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." in text:
        text = (
            text.replace(",", "")
            if text.rfind(".") > text.rfind(",")
            else (text.replace(".", "").replace(",", "."))
        )
    else:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise CellError("not a number") from exc
    if not number.is_finite():
        raise CellError("not a number")
    return number


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"1", "true", "yes", "y", "да", "д", "+", "истина"}
_FALSE = {"0", "false", "no", "n", "нет", "н", "-", "ложь"}


def convert_cell(field: Field, value: Any) -> Any:
    """The value a cell gives its field (JSON-safe), None for an empty cell.

    Raises :class:`CellError` with words for the user."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if field.required:
            raise CellError("required")
        return None
    kind = field.kind
    if kind in ("date", "datetime"):
        if isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        elif isinstance(value, date):
            moment = datetime.combine(value, time(), UTC)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not 1 <= value < 2958466:
                raise CellError("not a date")
            moment = (_EXCEL_EPOCH + timedelta(days=float(value))).replace(tzinfo=UTC)
        elif isinstance(value, timedelta | time):
            raise CellError("a time without a date")
        else:
            moment = parse_datetime_text(str(value))
        return moment.date().isoformat() if kind == "date" else moment.isoformat()
    if kind in ("number", "integer"):
        number = _number(value)
        if kind == "integer":
            if number != number.to_integral_value():
                raise CellError("not a whole number")
            return int(number)
        return (
            format(number.normalize(), "f")
            if number == number.to_integral_value()
            else (format(number, "f"))
        )
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        folded = _fold(str(value))
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise CellError("write yes or no")
    text = _text(value)
    if len(text) > field.max_length:
        raise CellError(f"longer than {field.max_length} characters")
    if kind == "email":
        text = text.lower()
        if not _EMAIL_RE.match(text):
            raise CellError("not an email address")
    elif kind == "phone":
        if sum(ch.isdigit() for ch in text) < 5:
            raise CellError("not a phone number")
    elif kind == "choice":
        folded = _fold(text).replace(" ", "_")
        if folded not in field.choices:
            raise CellError("one of: " + ", ".join(field.choices))
        return folded
    return text


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone or a code a spreadsheet kept as a number
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def convert_row(
    entity: str, mapping: list[str | None], cells: list[Any]
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """``(values, errors)`` of one row: each mapped cell converted; errors as
    ``[{field, column, message}]`` (``column`` the 0-based column index as text)."""
    known = fields_of(entity)
    values: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for index, name in enumerate(mapping):
        if name is None:
            continue
        cell = cells[index] if index < len(cells) else None
        try:
            converted = convert_cell(known[name], cell)
        except CellError as error:
            errors.append({"field": name, "column": str(index), "message": str(error)})
            continue
        if converted is not None:
            values[name] = converted
    return values, errors


def is_blank_row(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def payload(entity: str, values: dict[str, Any]) -> dict[str, Any]:
    """The owning service's create payload for converted values (links resolved later:
    ``account_name`` of a contact or deal is kept apart by the caller)."""
    data = {k: v for k, v in values.items() if k != "account_name" or entity == "leads"}
    if entity == "contacts":
        if "email" in data:
            data["emails"] = [{"email": data.pop("email"), "is_primary": True}]
        if "phone" in data:
            data["phones"] = [{"phone": data.pop("phone"), "is_primary": True}]
    return data


def update_changes(values: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What an update writes: the non-empty values that differ (an empty cell never
    clears a field; a list field keeps what it had)."""
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if value in (None, "", []):
            continue
        if isinstance(value, list) and isinstance(current.get(name), list):
            continue  # a contact's emails and phones are kept as they are
        if current.get(name) != value:
            changes[name] = value
    return changes


def matches(similar: list[dict[str, Any]], keys: list[str]) -> dict[str, Any] | None:
    """The best of a duplicate check's look-alikes that matches on one of the chosen
    keys (its reasons cover the key's), else None."""
    for candidate in similar:
        reasons = set(candidate.get("reasons") or ())
        if any(MATCH_REASONS[key] <= reasons for key in keys):
            return candidate
    return None


def check_options(entity: str, options: Any) -> dict[str, Any]:
    """``{match_on: [...], on_duplicate, create_accounts}`` checked, defaults filled.
    Raises ``ValueError`` naming the option."""
    options = options if isinstance(options, dict) else {}
    match_on = options.get("match_on", list(MATCH_KEYS[entity][:1]))
    if not isinstance(match_on, list) or any(k not in MATCH_KEYS[entity] for k in match_on):
        raise ValueError("match_on: choose from " + (", ".join(MATCH_KEYS[entity]) or "nothing"))
    on_duplicate = options.get("on_duplicate", "skip")
    if on_duplicate not in ON_DUPLICATE:
        raise ValueError("on_duplicate: one of skip, update, create")
    create_accounts = options.get("create_accounts", False)
    if not isinstance(create_accounts, bool):
        raise ValueError("create_accounts: true or false")
    return {"match_on": match_on, "on_duplicate": on_duplicate, "create_accounts": create_accounts}


#: The lists that can be exported: the API's resource → (owning service, list RPC).
EXPORTABLE: dict[str, tuple[str, str]] = {
    "leads": ("leads", "list_leads"),
    "accounts": ("sales", "list_accounts"),
    "contacts": ("sales", "list_contacts"),
    "opportunities": ("sales", "list_opportunities"),
    "activities": ("sales", "list_activities"),
    "products": ("orders", "list_products"),
    "price-lists": ("orders", "list_price_lists"),
    "orders": ("orders", "list_orders"),
    "invoices": ("orders", "list_invoices"),
}
#: The lists whose service checks the caller's export right when asked with
#: ``purpose: export`` (gateway/routers/exports.py asks the same).
EXPORT_RIGHT_CHECKED = frozenset(
    {"leads", "accounts", "contacts", "opportunities", "activities", "products", "orders",
     "invoices"}
)  # fmt: skip
#: A list longer than this is exported as a job; a shorter one is streamed at once.
EXPORT_STREAM_MAX = 10_000
MAX_EXPORT_COLUMNS = 100
EXPORT_PAGE = 500


def check_export(data: Any) -> dict[str, Any]:
    """``{resource, query: {filter, sort, q}, columns, format}`` checked.
    Raises ``ValueError`` naming the field."""
    data = data if isinstance(data, dict) else {}
    resource = data.get("resource")
    if resource not in EXPORTABLE:
        raise ValueError("resource: one of " + ", ".join(EXPORTABLE))
    fmt = data.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise ValueError("format: xlsx or csv")
    columns = data.get("columns")
    if (
        not isinstance(columns, list)
        or not 1 <= len(columns) <= MAX_EXPORT_COLUMNS
        or not all(isinstance(c, str) and re.fullmatch(r"[a-z_][a-z0-9_]*", c) for c in columns)
    ):
        raise ValueError(f"columns: 1 to {MAX_EXPORT_COLUMNS} field names")
    query = data.get("query") if isinstance(data.get("query"), dict) else {}
    clean = {k: query[k] for k in ("filter", "sort", "q") if query.get(k) not in (None, "")}
    return {"resource": resource, "query": clean, "columns": columns, "format": fmt}
