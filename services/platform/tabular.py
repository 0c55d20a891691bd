"""Rows of a list written out as CSV or xlsx, the same way by the gateway (a small
export streamed at once) and the imports service (a large one, as a job).

CSV is UTF-8 with a byte-order mark (so Excel opens Cyrillic right) and commas;
xlsx is written by XlsxWriter in its constant-memory mode (one row in memory at a
time), numbers as numbers. A cell that holds a list or an object (a contact's emails,
an address) is written as text: the items' main values joined by commas.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import xlsxwriter

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: cell keys whose value stands for a list item (``{"email": …, "is_primary": …}``)
_DECIMAL = re.compile(r"-?\d{1,15}\.\d{1,6}")
_ITEM_KEYS = ("email", "phone", "name", "title", "street", "city", "value", "id")


def cell_text(value: Any) -> str | int | float | bool | None:
    """A field's value as one cell: scalars as they are, lists and objects as text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list):
        return ", ".join(str(cell_text(item)) for item in value if item not in (None, ""))
    if isinstance(value, dict):
        parts = [str(value[key]) for key in _ITEM_KEYS if value.get(key) not in (None, "")]
        return ", ".join(parts[:2]) if parts else ""
    return str(value)


def row_cells(record: dict[str, Any], columns: list[str]) -> list[Any]:
    return [cell_text(record.get(column)) for column in columns]


def csv_bytes(rows: list[list[Any]], first: bool = False) -> bytes:
    """Rows as CSV lines (with the BOM when ``first``)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [["" if cell is None else cell for cell in row] for row in rows]
    )
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if first else data


class XlsxRows:
    """An xlsx being written to ``path`` a row at a time."""

    def __init__(self, path: str, header: list[str]):
        self.book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_urls": False})
        self.sheet = self.book.add_worksheet("Export")
        self.sheet.write_row(0, 0, header, self.book.add_format({"bold": True}))
        self.line = 1

    def add(self, cells: list[Any]) -> None:
        for index, cell in enumerate(cells):
            if isinstance(cell, str) and _looks_decimal(cell):
                self.sheet.write_number(self.line, index, float(cell))
            elif cell is not None:
                self.sheet.write(self.line, index, cell)
        self.line += 1

    def close(self) -> None:
        self.book.close()


def _looks_decimal(text: str) -> bool:
    """Money and amounts travel as decimal strings (``"1250.50"``): written as numbers.
    Whole numbers arrive as numbers already; a string of digits alone (a phone, a code)
    stays text."""
    return _DECIMAL.fullmatch(text) is not None
