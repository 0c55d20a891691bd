"""Reading the files users bring, made by other programs (tests/integrations/
imports_files): each good one gives the same header and rows, each bad one is refused
with its reason; the rules of mapping and cells."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from services.integrations.imports import domain, reading
from tests.integrations.imports_files import HEADER, PEOPLE, OfficeMissing, make_all


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    try:
        return make_all(tmp_path_factory.mktemp("import-files"))
    except OfficeMissing as exc:
        pytest.fail(f"{exc} (make office)")


GOOD = {
    "libreoffice.xlsx": ("xlsx", None, None),
    "libreoffice.xls": ("xls", None, None),
    "libreoffice.ods": ("ods", None, None),
    "openpyxl.xlsx": ("xlsx", None, None),
    "cp1251.csv": ("csv", "cp1251", ";"),
    "koi8r.csv": ("csv", "koi8-r", "\t"),
    "utf8bom.csv": ("csv", "utf-8-sig", ","),
    "utf8.csv": ("csv", "utf-8", ","),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_every_good_file_reads_the_same_people(files: dict[str, Path], name: str) -> None:
    info = reading.sniff(str(files[name]))
    assert (info.format, info.encoding, info.delimiter) == GOOD[name]
    header, rows = reading.header_and_preview(str(files[name]), info, 10)
    assert header == HEADER
    assert len(rows) == len(PEOPLE)
    mapping = domain.suggest_mapping("leads", header)
    assert mapping == ["contact_name", "account_name", "email", "phone", None]
    dates = []
    for row, person in zip(rows, PEOPLE, strict=True):
        values, errors = domain.convert_row("leads", mapping, row)
        assert errors == []
        assert values == {
            "contact_name": person[0],
            "account_name": person[1],
            "email": person[2],
            "phone": person[3],
        }
        dates.append(domain.convert_cell(domain.Field("d", "date"), row[4]))
    # a date cell (LibreOffice, openpyxl) and the text 31.12.2026 (CSV) are one date
    assert dates == ["2026-12-31", "2027-02-01", "2027-03-15"]


BAD = {
    "protected.xls": "password",
    "protected.ods": "password",
    "protected.xlsx": "password",
    "bomb.xlsx": "zip_bomb",
    "wide.xlsx": "too_wide",
    "wide.csv": "too_wide",
    "picture.png": "not_spreadsheet",
    "notes.zip": "not_spreadsheet",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_every_bad_file_is_refused_with_its_reason(files: dict[str, Path], name: str) -> None:
    with pytest.raises(reading.BadFile) as caught:
        info = reading.sniff(str(files[name]))
        reading.header_and_preview(str(files[name]), info, 10)
    assert caught.value.kind == BAD[name]
    assert caught.value.message


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(reading.BadFile) as caught:
        reading.sniff(str(empty))
    assert caught.value.kind == "empty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31", "2026-12-31"),
        ("31.12.2026", "2026-12-31"),
        ("31.12.26", "2026-12-31"),
        ("31/12/2026", "2026-12-31"),
        ("12/31/2026", "2026-12-31"),  # the day cannot be first: month first
        ("31 дек. 2026 г.", "2026-12-31"),
        ("31 декабря 2026", "2026-12-31"),
        ("Dec 31, 2026", "2026-12-31"),
        ("31 December 2026", "2026-12-31"),
        (46387, "2026-12-31"),  # an Excel serial a CSV kept
        (datetime.datetime(2026, 12, 31, 15, 0), "2026-12-31"),
    ],
)
def test_dates_in_several_formats_and_locales(text: object, expected: str) -> None:
    assert domain.convert_cell(domain.Field("close_date", "date"), text) == expected


@pytest.mark.parametrize("text", ["31.31.2026", "tomorrow", "2026-02-30", True])
def test_a_date_that_is_no_date_is_a_cell_error(text: object) -> None:
    with pytest.raises(domain.CellError):
        domain.convert_cell(domain.Field("close_date", "date"), text)


def test_cells_convert_by_kind() -> None:
    number = domain.Field("amount", "number")
    assert domain.convert_cell(number, "1 234,50") == "1234.50"
    assert domain.convert_cell(number, "1,234.50") == "1234.50"
    assert domain.convert_cell(number, 12.0) == "12"
    assert domain.convert_cell(domain.Field("p", "integer"), "40") == 40
    with pytest.raises(domain.CellError):
        domain.convert_cell(domain.Field("p", "integer"), "40.5")
    assert domain.convert_cell(domain.Field("e", "email"), " Ann@X.io ") == "ann@x.io"
    with pytest.raises(domain.CellError):
        domain.convert_cell(domain.Field("e", "email"), "ann at x")
    assert domain.convert_cell(domain.Field("t", "phone"), 79001112233.0) == "79001112233"
    assert domain.convert_cell(domain.Field("a", "boolean"), "Да") is True
    kinds = ("task", "call")
    assert domain.convert_cell(domain.Field("k", "choice", choices=kinds), "Call") == "call"
    with pytest.raises(domain.CellError, match="required"):
        domain.convert_cell(domain.Field("n", "text", required=True), "  ")
    with pytest.raises(domain.CellError, match="longer"):
        domain.convert_cell(domain.Field("n", "text", max_length=3), "abcd")


def test_mapping_by_english_and_russian_names() -> None:
    assert domain.suggest_mapping("contacts", ["Full name", "Email", "Компания", "Должность"]) == [
        "full_name", "email", "account_name", "job_title",
    ]  # fmt: skip
    assert domain.suggest_mapping("products", ["Артикул", "Наименование", "НДС", "x"]) == [
        "code", "name", "tax_rate", None,
    ]  # fmt: skip
    # one field for one column: the second "Email" is left for the user
    assert domain.suggest_mapping("leads", ["Email", "E-mail"]) == ["email", None]
    with pytest.raises(ValueError, match="no column for full_name"):
        domain.check_mapping("contacts", ["email"], 1)
    with pytest.raises(ValueError, match="two columns"):
        domain.check_mapping("leads", ["email", "email"], 2)


def test_an_update_never_clears_a_field_with_an_empty_cell() -> None:
    current = {"email": "a@x.io", "phone": "+1 555", "notes": "old"}
    assert domain.update_changes({"email": "a@x.io", "notes": "new"}, current) == {"notes": "new"}
    assert domain.update_changes({"phone": None, "notes": ""}, current) == {}


def test_duplicates_match_only_on_the_chosen_keys() -> None:
    by_name = {"record": {"id": "1"}, "reasons": ["name"]}
    by_both = {"record": {"id": "2"}, "reasons": ["name", "company"]}
    by_email = {"record": {"id": "3"}, "reasons": ["email", "name"]}
    assert domain.matches([by_name, by_email], ["email"]) is by_email
    assert domain.matches([by_name], ["email", "phone"]) is None
    assert domain.matches([by_name, by_both], ["name_company"]) is by_both
    with pytest.raises(ValueError, match="match_on"):
        domain.check_options("leads", {"match_on": ["code"]})
    assert domain.check_options("leads", {})["on_duplicate"] == "skip"
