"""A leads import through the leads service's bulk create (``create_leads_in_bulk``):
rows matched on email or phone against the existing leads and the rows before them in
the file (skip, update or create anyway), the leads announced by ``leads_imported``
rather than a ``lead_created`` each, refused rows reported per row, batches of
thousands rolled back — with the real imports, leads and sales services."""

from __future__ import annotations

import time

import sqlalchemy as sa

from services.identity.rights import SEEDED_RIGHTS, EntityRights, compact_rights, merge_rights
from services.integrations.imports.dependencies import read_settings
from services.platform.ids import new_id
from tests.integrations.imports_files import write_csv

from .test_imports_service import MANAGER, TEAM, call, count, run, services, upload, wait_for  # noqa: F401

HEAD = ["Name", "Email", "Phone", "Source"]


def outbox(engine: sa.Engine, kind: str) -> int:
    return count(engine, f"SELECT count(*) FROM leads.outbox WHERE type = '{kind}'")


def test_duplicates_inside_the_file_and_against_existing_leads(services, db_engine, tmp_path):  # noqa: F811
    imports, leads = services["imports"], services["leads"]
    old = call(leads, "create_lead", {"contact_name": "Old", "email": "old@firma.test"}, MANAGER)
    by_phone = call(leads, "create_lead", {"contact_name": "Tel", "phone": "+7 900 123 45 67"},
                    MANAGER)  # fmt: skip
    rows = [
        HEAD,
        ["Ann", "ann@firma.test", "", "fair"],
        ["Old Again", "OLD@firma.test", "", "fair"],  # the existing lead's email
        ["Ann Twice", "Ann@Firma.test", "", "fair"],  # the first row's email
        ["By Phone", "", "+7 (900) 123-45-67", "fair"],  # the existing lead's phone
        ["Bad", "not an email", "", "fair"],
        ["New", "new@firma.test", "", "fair"],
    ]
    path = write_csv(tmp_path / "dupes.csv", rows, "utf-8", ",")
    before_created = outbox(db_engine, "lead_created")
    done = run(imports, upload(imports, "leads", path),
               {"match_on": ["email", "phone"], "on_duplicate": "skip"})  # fmt: skip
    assert done["status"] == "done"
    assert done["counts"] == {"created": 2, "skipped": 3, "failed": 1, "side": 0}
    assert done["progress"] == {"total": 6, "done": 6, "failed": 1}
    with db_engine.connect() as conn:
        entries = {
            r.row_no: r
            for r in conn.execute(
                sa.text("SELECT * FROM imports.job_rows WHERE job_id = :j"), {"j": done["id"]}
            )
        }
    assert entries[2].record_id == old["id"] and entries[2].status == "skipped"
    assert entries[3].record_id == entries[1].record_id  # the first row's new lead
    assert entries[4].record_id == by_phone["id"]
    assert entries[5].status == "failed" and entries[5].errors[0]["field"] == "email"
    # the import's leads came in one batch event, none with a lead_created of its own
    assert outbox(db_engine, "lead_created") == before_created
    assert outbox(db_engine, "leads_imported") == 1
    assert count(db_engine, "SELECT count(*) FROM leads.leads WHERE email = 'ann@firma.test'") == 1

    # update: the matches take the row's non-empty cells, the first row's lead too
    updated = run(imports, upload(imports, "leads", path),
                  {"match_on": ["email"], "on_duplicate": "update"})  # fmt: skip
    assert updated["counts"]["updated"] >= 2
    assert call(leads, "get_lead", old["id"], MANAGER)["contact_name"] == "Old Again"


def test_a_caller_s_read_only_column_fails_each_row_naming_it(services, db_engine, tmp_path):  # noqa: F811
    imports = services["imports"]
    rows = [HEAD, ["Ann", "ann@firma.test", "", "fair"], ["Bo", "bo@firma.test", "", ""]]
    path = write_csv(tmp_path / "ro.csv", rows, "utf-8", ",")
    rights = dict(SEEDED_RIGHTS["sales_rep"])
    seeded = rights["leads"]
    rights["leads"] = EntityRights(seeded.ops, seeded.read, seeded.write, frozenset(),
                                   frozenset({"source"}))  # fmt: skip
    limited = {"id": new_id(), "email": "lim@osprey.test", "roles": ["sales_rep"],
               "team_id": TEAM, "rights": compact_rights(merge_rights([rights]))}  # fmt: skip
    job = upload(imports, "leads", path, actor=limited)
    call(imports, "start_import", job["id"], limited)
    deadline = time.monotonic() + 60
    while (job := call(imports, "get_import", job["id"], limited))["status"] not in (
        "done",
        "failed",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # the row with a source is refused naming the column; the one whose source cell is
    # empty does not write it and is created
    assert job["counts"] == {"created": 1, "failed": 1, "side": 0}
    with db_engine.connect() as conn:
        (entry,) = conn.execute(
            sa.text("SELECT errors FROM imports.job_rows WHERE job_id = :j AND status = 'failed'"),
            {"j": job["id"]},
        ).all()
    assert entry.errors == [{"field": "source", "message": "is read-only for your role"}]


def test_thousands_of_rows_in_batches_and_rolled_back(services, db_engine, tmp_path):  # noqa: F811
    imports = services["imports"]
    assert read_settings({}).lead_batch_rows == 500
    rows = [HEAD] + [[f"Person {n}", f"p{n}@bulk.test", "", "fair"] for n in range(2100)]
    rows.append(["Person 0 again", "P0@bulk.test", "", "fair"])
    path = write_csv(tmp_path / "many.csv", rows, "utf-8", ",")
    done = run(imports, upload(imports, "leads", path, piece=1_000_000),
               {"match_on": ["email"], "on_duplicate": "skip"})  # fmt: skip
    assert done["counts"] == {"created": 2100, "skipped": 1, "side": 0}
    assert outbox(db_engine, "leads_imported") == 5  # 4 batches of 500 (an event each) + 100
    assert count(db_engine, "SELECT count(*) FROM leads.leads") == 2100
    call(imports, "rollback_import", done["id"], MANAGER)
    rolled = wait_for(imports, done["id"], ("rolled_back",), timeout=300)
    assert rolled["counts"]["rolled_back"] == 2100
    assert count(db_engine, "SELECT count(*) FROM leads.leads") == 0
    # one bulk delete: a leads_deleted per thousand leads, no lead_deleted each
    assert outbox(db_engine, "leads_deleted") == 3
    assert outbox(db_engine, "lead_deleted") == 0
