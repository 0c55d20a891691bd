"""Reading back an exported .xlsx as a spreadsheet program would: the zip's first sheet,
its shared strings and its number formats (no xlsx reader is a dependency of Osprey)."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
#: Excel's built-in number formats the export may use
_BUILT_IN = {0: "General", 1: "0", 2: "0.00", 14: "mm-dd-yy"}


@dataclass(frozen=True)
class Cell:
    kind: str  # "string" or "number"
    value: str | float
    number_format: str


def read_sheet(content: bytes) -> tuple[str, list[list[Cell | None]]]:
    """``(sheet name, rows of cells)`` of the workbook's first sheet."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        names = book.namelist()
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        sheet_name = workbook.find("m:sheets/m:sheet", NS).get("name")
        strings = []
        if "xl/sharedStrings.xml" in names:
            shared = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            strings = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in shared]
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
        formats = dict(_BUILT_IN)
        for fmt in styles.findall("m:numFmts/m:numFmt", NS):
            formats[int(fmt.get("numFmtId"))] = fmt.get("formatCode")
        cell_formats = [
            formats.get(int(xf.get("numFmtId", "0")), "General")
            for xf in styles.findall("m:cellXfs/m:xf", NS)
        ]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows: list[list[Cell | None]] = []
    for row in sheet.findall("m:sheetData/m:row", NS):
        cells: list[Cell | None] = []
        for cell in row.findall("m:c", NS):
            column = _column(cell.get("r"))
            while len(cells) < column:
                cells.append(None)
            value = cell.find("m:v", NS)
            style = cell_formats[int(cell.get("s", "0"))]
            if value is None:
                cells.append(None)
            elif cell.get("t") == "s":
                cells.append(Cell("string", strings[int(value.text)], style))
            elif cell.get("t") in ("str", "inlineStr"):
                cells.append(Cell("string", value.text or "", style))
            else:
                cells.append(Cell("number", float(value.text), style))
        rows.append(cells)
    return sheet_name, rows


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for letter in letters:
        n = n * 26 + ord(letter) - 64
    return n - 1


def excel_date(serial: float) -> str:
    """A date cell's serial number as ``YYYY-MM-DD``."""
    from datetime import date, timedelta

    return (date(1899, 12, 30) + timedelta(days=int(serial))).isoformat()
