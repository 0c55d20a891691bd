"""The streamed xlsx reader (services/integrations/imports/xlsx_stream.py) gives the rows
python-calamine gives, for workbooks saved by openpyxl and by LibreOffice: text with
escapes and rich runs, numbers, booleans, dates, times and durations by the cells'
number formats, formulas' cached values (never evaluated), errors, gaps of cells and of
rows, a second sheet left alone; and it refuses what calamine refuses."""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from services.integrations.imports import reading, xlsx_stream
from tests.integrations.imports_files import (
    HEADER,
    PEOPLE,
    OfficeMissing,
    libreoffice,
    openpyxl_workbook,
    too_wide_xlsx,
    write_csv,
)


def both(path: Path) -> tuple[list, list]:
    info = reading.sniff(str(path))
    assert info.format == "xlsx"
    streamed = list(reading.rows(str(path), info, stream=True))
    loaded = list(reading.rows(str(path), info, stream=False))
    return streamed, loaded


def rich_workbook(path: Path) -> Path:
    """Every kind of cell a user's workbook holds, written by openpyxl."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Count", "Price", "Active", "Day", "Moment", "Time", "Hours",
                  "Doubled", "Label", "Broken", "Share"])  # fmt: skip
    rows = [
        ["Ann\r\nLee", 3, 2.5, True, datetime.date(2026, 12, 31),
         datetime.datetime(2027, 1, 2, 15, 30, 5), datetime.time(9, 45),
         datetime.timedelta(hours=30, minutes=15), "=B2*2", '=A2&"!"', "=1/0", 0.25],
        ["Ёлка _x0041_ Грин", 0, -1e-7, False, datetime.date(1900, 1, 1),
         datetime.datetime(1999, 12, 31, 23, 59, 59), datetime.time(0, 0, 1),
         datetime.timedelta(minutes=1), "=B3*2", '=A3&"!"', "=NA()", 1],
    ]  # fmt: skip
    for row in rows:
        sheet.append(row)
    sheet.append([])  # a row left empty
    sheet.append(["Gaps", None, None, None, None, None, None, None, None, "far"])
    sheet.append([CellRichText(TextBlock(InlineFont(b=True), "Bold"), " and plain"), 12345678901])
    for row in sheet.iter_rows(min_row=2, max_row=3):
        row[4].number_format = "DD.MM.YYYY"
        row[5].number_format = "yyyy-mm-dd hh:mm:ss"
        row[6].number_format = "h:mm:ss"
        row[7].number_format = "[h]:mm"
        row[11].number_format = "0%"
    other = book.create_sheet("Second")
    other.append(["not", "this", "sheet"])
    book.save(path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("xlsx-stream")
    made = {"openpyxl.xlsx": openpyxl_workbook(folder / "openpyxl.xlsx")}
    try:
        people = write_csv(folder / "people.csv", [HEADER, *PEOPLE], "utf-8", ",")
        made["libreoffice.xlsx"] = libreoffice(people, "xlsx", folder)
        rich = rich_workbook(folder / "rich.xlsx")
        # LibreOffice opens it, computes the formulas and saves them with their values
        converted = folder / "lo"
        converted.mkdir()
        made["lo-rich.xlsx"] = libreoffice(rich, "xlsx", converted)
    except OfficeMissing as exc:
        pytest.fail(f"{exc} (make office)")
    made["rich.xlsx"] = rich
    return made


@pytest.mark.parametrize("name", ["libreoffice.xlsx", "openpyxl.xlsx", "rich.xlsx",
                                  "lo-rich.xlsx"])  # fmt: skip
def test_both_readers_give_the_same_rows(files: dict[str, Path], name: str) -> None:
    streamed, loaded = both(files[name])
    assert streamed == loaded
    assert len(streamed) >= 4


def test_the_cells_of_a_libreoffice_workbook(files: dict[str, Path]) -> None:
    streamed, _loaded = both(files["lo-rich.xlsx"])
    header, first, second, empty, gaps, rich = streamed[:6]
    assert header[0] == "Name" and len(header) == 12
    assert first[:4] == ["Ann\nLee", 3.0, 2.5, True]  # LibreOffice keeps \n of \r\n
    assert first[4] == datetime.date(2026, 12, 31)
    assert first[5] == datetime.datetime(2027, 1, 2, 15, 30, 5)
    assert first[7] == datetime.timedelta(hours=30, minutes=15)
    # formulas: the values LibreOffice cached, never computed here
    assert first[8] == 6.0 and first[9] == "Ann\nLee!"
    assert first[10] is None  # #DIV/0!: an empty cell, as calamine gives it
    assert first[6] == datetime.time(9, 45)
    assert second[0] == "Ёлка _x0041_ Грин"  # the text as typed (LibreOffice escaped it)
    assert second[4] == datetime.date(1900, 1, 1)
    assert empty == []
    assert gaps == ["Gaps", *([None] * 8), "far"]
    assert rich == ["Bold and plain", 12345678901.0]
    assert all(row != ["not", "this", "sheet"] for row in streamed)


def test_a_formula_without_a_cached_value_is_empty(files: dict[str, Path]) -> None:
    # openpyxl saves formulas without values: nothing is computed, the cell is empty
    streamed, loaded = both(files["rich.xlsx"])
    assert streamed[1][8] is None and loaded[1][8] is None


def test_refused_as_calamine_refuses(files: dict[str, Path], tmp_path: Path) -> None:
    wide = too_wide_xlsx(tmp_path / "wide.xlsx")
    with pytest.raises(reading.BadFile) as caught:
        list(reading.rows(str(wide), reading.FileInfo("xlsx"), stream=True))
    assert caught.value.kind == "too_wide"
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(files["openpyxl.xlsx"]) as source, zipfile.ZipFile(broken, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # cut in the middle: not XML any more
            out.writestr(item, data)
    with pytest.raises(reading.BadFile) as caught:
        list(reading.rows(str(broken), reading.FileInfo("xlsx"), stream=True))
    assert caught.value.kind == "not_spreadsheet"


def test_a_large_file_is_streamed_and_a_small_one_loaded(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(files["openpyxl.xlsx"])
    used = []
    real = xlsx_stream.sheet_rows

    def counted(*args: object) -> object:
        used.append(args)
        yield from real(*args)

    monkeypatch.setattr(xlsx_stream, "sheet_rows", counted)
    list(reading.rows(path, reading.FileInfo("xlsx")))
    assert used == []
    monkeypatch.setattr(reading, "STREAM_XLSX_BYTES", 1)
    list(reading.rows(path, reading.FileInfo("xlsx")))
    assert len(used) == 1


def test_shared_strings_past_the_memory_limit_are_read_from_a_file(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = files["lo-rich.xlsx"]
    in_memory, _loaded = both(path)
    monkeypatch.setattr(xlsx_stream, "STRINGS_IN_MEMORY", 10)
    spilled, _loaded = both(path)
    assert spilled == in_memory


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("General", None),
        ("0.00", None),
        ("DD.MM.YYYY", "datetime"),
        ('[$-419]d mmmm yyyy "г."', "datetime"),
        ("[h]:mm:ss", "timedelta"),
        ('"day" 0', None),  # the d is quoted
        ("[Red]0.00", None),
        ("#,##0 \\d", None),  # the d is escaped
        ("hh:mm AM/PM", "datetime"),
        ("0.00;[Red]-0.00", None),
    ],
)
def test_number_formats_that_make_a_number_a_date(code: str, kind: str | None) -> None:
    assert xlsx_stream.format_kind(code) == kind
