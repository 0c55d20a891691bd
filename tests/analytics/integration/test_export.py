"""A report exported to Excel: the sheet read back from the file checks what a user
opening it sees — the header in their language, groups as text and dates, figures as
numbers (money with two decimals) — and that it counts what running it counts."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from services.platform.errors import NotFound, ValidationFailed
from services.platform.ids import new_id

from ..sheet import excel_date, read_sheet
from .conftest import ADMIN, ANN, BOB, call, event


def deal(owner: dict, amount: str, status: str, created: str, **extra: Any) -> dict:
    return {
        "id": new_id(),
        "version": 1,
        "title": f"Deal {amount}",
        "status": status,
        "amount": amount,
        "currency": "EUR",
        "owner_id": owner["id"],
        "team_id": owner["team_id"],
        "created_at": created,
        "updated_at": created,
        **extra,
    }


@pytest.fixture
def deals(analytics: Any) -> list[dict]:
    made = [
        deal(ANN, "1000.00", "won", "2026-01-15T10:00:00+00:00"),
        deal(ANN, "2500.50", "lost", "2026-01-20T10:00:00+00:00", lost_reason="price"),
        deal(ANN, "400.25", "lost", "2026-02-03T10:00:00+00:00", lost_reason="price"),
        deal(BOB, "99.99", "open", "2026-02-04T10:00:00+00:00"),
    ]
    for item in made:
        call(analytics, "handle_sales_opportunity_created", event("opportunity_created", item))
    return made


def exported(answer: dict) -> tuple[str, list[list[Any]]]:
    assert answer["content_type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return read_sheet(base64.b64decode(answer["content"]))


SPEC = {
    "entity": "opportunities",
    "group_by": ["status"],
    "aggregates": [
        {"fn": "count"},
        {"fn": "sum", "field": "amount"},
        {"fn": "avg", "field": "amount"},
    ],
}


def test_the_sheet_has_the_runs_rows_as_numbers_under_a_header_in_english(analytics, deals):
    answer = call(analytics, "export_report", SPEC, actor=ADMIN, name="Deals: by status")
    assert answer["filename"] == "Deals_ by status.xlsx"
    name, rows = exported(answer)
    assert name == "Deals  by status"
    header = [cell.value for cell in rows[0]]
    assert header == ["Status", "Count", "Sum of Amount", "Average Amount"]
    body = {row[0].value: row for row in rows[1:]}
    assert set(body) == {"lost", "open", "won"}
    lost = body["lost"]
    assert lost[0].kind == "string"
    assert (lost[1].kind, lost[1].value, lost[1].number_format) == ("number", 2.0, "0")
    # money: a number with two decimals shown, never a string
    assert (lost[2].kind, lost[2].value, lost[2].number_format) == ("number", 2900.75, "#,##0.00")
    assert (lost[3].kind, lost[3].value) == ("number", 1450.38)  # 1450.375 to the cent
    assert body["won"][2].value == 1000.0
    # the same figures as running it
    ran = call(analytics, "run_report", SPEC, actor=ADMIN)["rows"]
    assert {r["status"]: r["count"] for r in ran} == {k: int(v[1].value) for k, v in body.items()}


def test_dates_are_dates_and_a_russian_reader_gets_a_russian_header(analytics, deals):
    spec = {
        "entity": "opportunities",
        "group_by": [{"field": "created_at", "bucket": "month"}],
        "aggregates": [{"fn": "sum", "field": "amount"}, {"fn": "max", "field": "created_at"}],
    }
    answer = call(analytics, "export_report", spec, actor={**ADMIN, "locale": "ru"})
    assert answer["filename"] == "Отчёт.xlsx"
    _name, rows = exported(answer)
    assert [cell.value for cell in rows[0]] == [
        "Создано (месяц)",
        "Сумма: Сумма",
        "Наибольшее: Создано",
    ]
    months = rows[1:]
    assert [(c[0].kind, c[0].number_format) for c in months] == [("number", "yyyy-mm")] * 2
    assert [excel_date(c[0].value) for c in months] == ["2026-01-01", "2026-02-01"]
    assert [c[1].value for c in months] == [3500.5, 500.24]
    assert excel_date(months[1][2].value) == "2026-02-04"
    assert months[1][2].number_format == "yyyy-mm-dd hh:mm"


def test_an_export_counts_only_what_its_reader_may_read(analytics, deals):
    _name, rows = exported(call(analytics, "export_report", SPEC, actor=BOB))
    assert [[c.value for c in row[:2]] for row in rows[1:]] == [["open", 1.0]]
    with pytest.raises(ValidationFailed) as caught:
        call(
            analytics,
            "export_report",
            {"entity": "opportunities", "group_by": ["amount"]},
            actor=ANN,
        )
    assert caught.value.errors[0]["field"] == "group_by[0]"


def test_a_saved_report_is_exported_under_its_name_by_those_who_may_read_it(analytics, deals):
    saved = call(
        analytics,
        "create_report",
        {
            "name": "Отчёт по сделкам",
            "entity": "opportunities",
            "group_by": ["lost_reason"],
            "filters": {"status": "lost"},
        },
        actor=ANN,
    )
    answer = call(analytics, "export_saved_report", saved["id"], actor=ANN)
    assert answer["filename"] == "Отчёт по сделкам.xlsx"
    _name, rows = exported(answer)
    assert [[c.value for c in row] for row in rows[1:]] == [["price", 2.0]]
    with pytest.raises(NotFound):
        call(analytics, "export_saved_report", saved["id"], actor=BOB)
