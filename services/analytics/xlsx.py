"""A report's rows as an Excel workbook (``.xlsx``, written by XlsxWriter): one sheet,
the header row in the reader's language, each group's value as text (a record's
name where it has one) or as a date (a bucket's first day), each figure as a number
— money and averages with two decimals, counts whole — so the sheet sums and sorts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter

from . import domain, labels

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: number fields that hold money: written with two decimals
MONEY = frozenset(
    {"amount", "budget", "total", "subtotal", "tax_total", "discount_total", "paid_amount"}
)
_BUCKET_FORMATS = {
    "day": "yyyy-mm-dd",
    "week": "yyyy-mm-dd",
    "month": "yyyy-mm",
    "quarter": "yyyy-mm",
    "year": "yyyy",
}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_FILE_FORBIDDEN = re.compile(r'[\x00-\x1f"\\/:*?<>|]+')


def filename(name: str | None, locale: str) -> str:
    """The file's name: the report's (characters no file system takes replaced)."""
    base = _FILE_FORBIDDEN.sub("_", (name or "").strip()).strip(" ._")
    return f"{(base or labels.word(locale, 'report'))[:120]}.xlsx"


def workbook(
    report: domain.Report,
    rows: list[Mapping[str, Any]],
    *,
    name: str | None,
    locale: str,
    names: Mapping[str, Mapping[str, str]] | None = None,
    truncated: bool = False,
) -> bytes:
    """The report's rows as xlsx bytes. ``names``: per group field, id → the record's
    name (an id without one is written as it is)."""
    names = names or {}
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet_name = _SHEET_FORBIDDEN.sub(" ", name or labels.word(locale, "report")).strip()[:31]
    sheet = book.add_worksheet(sheet_name or labels.word(locale, "report"))
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    whole = book.add_format({"num_format": "0"})
    plain = book.add_format({"num_format": "General"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    buckets = {b: book.add_format({"num_format": f}) for b, f in _BUCKET_FORMATS.items()}

    header = [
        labels.group_label(locale, report.entity, g.field, g.bucket) for g in report.groups
    ] + [labels.measure_label(locale, report.entity, a.fn, a.field) for a in report.aggregates]
    widths = [max(10, min(60, len(text) + 2)) for text in header]
    sheet.write_row(0, 0, header, bold)

    for n, row in enumerate(rows, start=1):
        col = 0
        for group in report.groups:
            value = row.get(group.key)
            if value is None or value == "":
                sheet.write_blank(n, col, None)
            elif group.bucket:
                sheet.write_datetime(n, col, _as_datetime(value), buckets[group.bucket])
            else:
                text = str(value)
                text = names.get(group.field, {}).get(text, text)
                sheet.write_string(n, col, text)
                widths[col] = max(widths[col], min(60, len(text) + 2))
            col += 1
        for aggregate in report.aggregates:
            value = row.get(aggregate.key)
            if value is None:
                sheet.write_blank(n, col, None)
            elif isinstance(value, datetime | date):
                is_moment = isinstance(value, datetime)
                sheet.write_datetime(n, col, _as_datetime(value), moment if is_moment else day)
            elif aggregate.fn == "count":
                sheet.write_number(n, col, int(value), whole)
            else:
                number = Decimal(str(value))
                two = aggregate.field in MONEY or aggregate.fn == "avg"
                shown = number.quantize(Decimal("0.01")) if two else number
                sheet.write_number(n, col, float(shown), money if two else plain)
            col += 1
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    if truncated:
        sheet.write_string(
            len(rows) + 2, 0, labels.word(locale, "truncated", count=domain.MAX_ROWS)
        )
    book.close()
    return buffer.getvalue()


def _as_datetime(value: Any) -> datetime:
    """A date or a time as the naive (UTC) moment a spreadsheet takes."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)
