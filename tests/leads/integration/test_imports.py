"""Importing leads in batches: every row checked for duplicates, bad rows reported.

With the real database and broker, and the name search both in memory and in the
table (the ``both`` fixture): look-alikes are found among existing leads and among the
rows before in the same batch; ``skip`` writes nothing for a row with look-alikes; a
bad row is reported with its errors while the others are created.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.platform.errors import ValidationFailed

from .test_duplicates import REP_A, REP_B, call
from .test_similar_search import both  # noqa: F401  (the fixture)


def lead_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM leads.leads")).scalar_one()


def created_events(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM leads.outbox WHERE type = 'lead_created'")
        ).scalar_one()


def test_rows_are_created_checked_and_reported_in_order(both, db_engine):  # noqa: F811
    leads, _sales = both
    existing = call(
        leads, "create_lead", {"contact_name": "Ottokar Wendehals", "email": "ow@firma.test"}, REP_A
    )
    rows = [
        {"contact_name": "Henrietta Kowalczyk", "email": "henrietta@kowal.test"},
        {"contact_name": "Broken Email", "email": "not an email"},
        {"contact_name": "Henriette Kowalczyk", "phone": "+48 600 100 200"},  # like row 0
        "not a row",
        {"contact_name": "O. Wendehals", "email": "OW@firma.test"},  # the existing one's email
        {"contact_name": "Someone", "stage": "converted"},
    ]
    before = created_events(db_engine)
    report = call(leads, "import_leads", rows, REP_A)

    assert (report["created"], report["skipped"], report["failed"]) == (3, 0, 3)
    statuses = [r["status"] for r in report["rows"]]
    assert statuses == ["created", "failed", "created", "failed", "created", "failed"]
    assert [r["row"] for r in report["rows"]] == list(range(6))
    assert report["rows"][1]["errors"][0]["field"] == "email"
    assert report["rows"][5]["errors"][0]["field"] == "stage"
    first = report["rows"][0]["lead_id"]
    assert [s["record"]["id"] for s in report["rows"][2]["similar"]] == [first]
    assert "name" in report["rows"][2]["similar"][0]["reasons"]
    by_email = report["rows"][4]["similar"][0]
    assert by_email["record"]["id"] == existing["id"] and "email" in by_email["reasons"]
    # Only the created rows were written, each with its event.
    assert created_events(db_engine) - before == 3
    assert lead_count(db_engine) == 4


def test_skip_leaves_out_the_rows_with_look_alikes(both, db_engine):  # noqa: F811
    leads, _sales = both
    call(leads, "create_lead", {"contact_name": "Gundula Pfefferkorn"}, REP_A)
    rows = [
        {"contact_name": "Gundula Pfeferkorn"},
        {"contact_name": "Wenzeslaus Habicht"},
        {"contact_name": "Wenzeslaus Habicht"},  # like the row before it
    ]
    report = call(leads, "import_leads", rows, REP_A, on_duplicate="skip")
    assert [r["status"] for r in report["rows"]] == ["skipped", "created", "skipped"]
    assert report["rows"][0]["lead_id"] is None and report["rows"][0]["similar"]
    assert report["rows"][2]["similar"][0]["record"]["id"] == report["rows"][1]["lead_id"]
    assert lead_count(db_engine) == 2
    # Another team's look-alike is not the caller's to see: the row is created.
    other = call(leads, "import_leads", [{"contact_name": "Gundula Pfefferkorn"}], REP_B, "skip")
    assert other["rows"][0]["status"] == "created"


@pytest.mark.parametrize(
    ("rows", "on_duplicate", "field"),
    [
        ([], "flag", "rows"),
        ({"contact_name": "x"}, "flag", "rows"),
        ([{"contact_name": f"Lead {n}"} for n in range(501)], "flag", "rows"),
        ([{"contact_name": "Ada"}], "merge", "on_duplicate"),
    ],
)
def test_a_bad_batch_is_refused_whole(both, db_engine, rows, on_duplicate, field):  # noqa: F811
    leads, _sales = both
    with pytest.raises(ValidationFailed) as refused:
        call(leads, "import_leads", rows, REP_A, on_duplicate=on_duplicate)
    assert refused.value.errors[0]["field"] == field
    assert lead_count(db_engine) == 0
