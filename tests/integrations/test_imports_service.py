"""The imports service with the leads, sales and orders services, on the real broker
and database: a file goes in, its rows come out as records made by their owning
services (duplicates checked there), the progress counts them, bad rows are reported
per cell in an xlsx, and a rollback takes it all back."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.integrations.imports.service import ImportsService
from services.leads.service import LeadsService
from services.orders.service import OrdersService
from services.platform.errors import Conflict, NotFound, ValidationFailed
from services.platform.ids import new_id
from services.sales.service import SalesService
from tests.integrations.imports_files import HEADER, PEOPLE, write_csv

TEAM = new_id()
MANAGER = {"id": new_id(), "email": "mia@osprey.test", "roles": ["sales_manager"],
           "team_id": TEAM}  # fmt: skip
OTHER = {"id": new_id(), "email": "olaf@osprey.test", "roles": ["sales_rep"], "team_id": TEAM}


@pytest.fixture
def services(container_factory, service_config):
    config = {**service_config, "NAME_INDEX": False}
    started = {}
    for cls in (SalesService, LeadsService, OrdersService, ImportsService):
        container = container_factory(cls, config)
        container.start()
        started[cls.name] = container
    return started


def call(container: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def upload(imports: Any, entity: str, path: Path, actor: dict = MANAGER, piece: int = 1000):
    """The file sent as the gateway sends it: in pieces, then read."""
    job = call(imports, "create_import", {"entity": entity, "file_name": path.name}, actor)
    data = path.read_bytes()
    for start in range(0, len(data), piece):
        chunk = base64.b64encode(data[start : start + piece]).decode()
        call(imports, "append_import_data", job["id"], chunk, actor)
    return call(imports, "finish_import_upload", job["id"], actor)


def wait_for(imports: Any, job_id: str, statuses: tuple[str, ...], timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = call(imports, "get_import", job_id, MANAGER)
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    raise AssertionError(f"import {job_id} still {job['status']}")


def count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def run(imports: Any, job: dict, options: dict | None = None, mapping: list | None = None):
    change: dict[str, Any] = {}
    if options is not None:
        change["options"] = options
    if mapping is not None:
        change["mapping"] = mapping
    if change:
        call(imports, "update_import", job["id"], change, MANAGER)
    call(imports, "start_import", job["id"], MANAGER)
    return wait_for(imports, job["id"], ("done", "failed"))


def test_leads_from_a_windows_1251_csv_with_a_bad_row_reported_and_rolled_back(
    services, db_engine, tmp_path
):
    imports = services["imports"]
    rows = [HEADER, *PEOPLE, ["Плохой Email", "Ромашка", "not-an-email", "", "32.13.2026"]]
    path = write_csv(tmp_path / "leads.csv", rows, "cp1251", ";")
    job = upload(imports, "leads", path)
    assert (job["format"], job["encoding"], job["delimiter"]) == ("csv", "cp1251", ";")
    assert job["mapping"] == ["contact_name", "account_name", "email", "phone", None]
    preview = call(imports, "preview_import", job["id"], MANAGER)
    assert [c["error"] for c in preview["rows"][0]["cells"]] == [None] * 5
    assert preview["rows"][3]["cells"][2] == {
        "value": "not-an-email", "field": "email", "error": "not an email address",
    }  # fmt: skip
    before = count(db_engine, "SELECT count(*) FROM leads.leads")
    done = run(imports, job)
    assert done["status"] == "done"
    assert done["progress"] == {"total": 4, "done": 4, "failed": 1}
    assert done["counts"]["created"] == 3
    assert count(db_engine, "SELECT count(*) FROM leads.leads") == before + 3
    assert (
        count(db_engine, "SELECT count(*) FROM leads.leads WHERE contact_name = 'Ёлка Грин'") == 1
    )
    # the error report: the refused row as it was, the bad cell marked with its reason
    report = call(imports, "import_error_report", job["id"], MANAGER)
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(report["content"]))).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("Row", *HEADER, "Reasons")
    assert lines[1][:4] == (5, "Плохой Email", "Ромашка", "not-an-email")
    assert "email: not an email address" in lines[1][-1]
    assert sheet.cell(row=2, column=4).comment.text == "not an email address"
    # rolled back: what it created is gone
    call(imports, "rollback_import", job["id"], MANAGER)
    rolled = wait_for(imports, job["id"], ("rolled_back",))
    assert rolled["counts"]["rolled_back"] == 3
    assert count(db_engine, "SELECT count(*) FROM leads.leads") == before
    with pytest.raises(Conflict):
        call(imports, "rollback_import", job["id"], MANAGER)


def test_duplicates_by_email_skipped_updated_or_created_and_an_update_rolled_back(
    services, db_engine, tmp_path
):
    imports, leads = services["imports"], services["leads"]
    kept = call(leads, "create_lead", {"contact_name": "Ivan Petrov", "email":
                "ivan.petrov@romashka.test", "region": "Moscow", "phone": "+7 900 000 00 00"},
                MANAGER)  # fmt: skip
    rows = [["Name", "Email", "Phone", "Region"],
            ["Ivan P.", "IVAN.PETROV@romashka.test", "", "Tver"],
            ["Zoe Quinn", "zoe@quinn.test", "+44 20 7946 0000", ""]]  # fmt: skip
    path = write_csv(tmp_path / "dupes.csv", rows, "utf-8", ",")

    def leads_with(email: str) -> int:
        return count(db_engine, f"SELECT count(*) FROM leads.leads WHERE email = '{email}'")

    skipped = run(imports, upload(imports, "leads", path),
                  {"match_on": ["email"], "on_duplicate": "skip"})  # fmt: skip
    assert skipped["counts"] == {"created": 1, "skipped": 1, "side": 0}
    assert leads_with("ivan.petrov@romashka.test") == 1

    updated = run(imports, upload(imports, "leads", path),
                  {"match_on": ["email"], "on_duplicate": "update"})  # fmt: skip
    assert updated["counts"]["updated"] == 1
    lead = call(leads, "get_lead", kept["id"], MANAGER)
    # the region changed; the empty phone cell did not clear the phone
    assert (lead["region"], lead["phone"]) == ("Tver", kept["phone"])
    assert lead["contact_name"] == "Ivan P."

    created = run(imports, upload(imports, "leads", path),
                  {"match_on": ["email"], "on_duplicate": "create"})  # fmt: skip
    assert created["counts"]["created"] == 2
    assert leads_with("ivan.petrov@romashka.test") == 2

    call(imports, "rollback_import", updated["id"], MANAGER)
    wait_for(imports, updated["id"], ("rolled_back",))
    lead = call(leads, "get_lead", kept["id"], MANAGER)
    assert (lead["region"], lead["contact_name"]) == ("Moscow", "Ivan Petrov")


def test_contacts_link_their_account_by_name_made_when_chosen(services, db_engine, tmp_path):
    imports, sales = services["imports"], services["sales"]
    existing = call(sales, "create_account", {"name": "Ромашка"}, MANAGER)
    rows = [["Full name", "Email", "Company", "Job title"],
            ["Анна Смирнова", "anna@romashka.test", "ромашка", "CEO"],
            ["Boris Brown", "boris@newco.test", "NewCo", ""],
            ["Cleo Crane", "cleo@newco.test", "NewCo", ""]]  # fmt: skip
    path = write_csv(tmp_path / "contacts.csv", rows, "utf-8-sig", ",")
    refused = run(imports, upload(imports, "contacts", path))
    assert refused["progress"] == {"total": 3, "done": 3, "failed": 2}
    assert refused["counts"]["created"] == 1

    job = upload(imports, "contacts", path)
    done = run(imports, job, {"match_on": ["email"], "on_duplicate": "skip",
                              "create_accounts": True})  # fmt: skip
    assert done["counts"] == {"skipped": 1, "created": 2, "side": 1}
    with db_engine.connect() as conn:
        links = dict(conn.execute(sa.text(
            "SELECT c.full_name, a.name FROM sales.contacts c JOIN sales.accounts a"
            " ON a.id = c.account_id")).all())  # fmt: skip
    assert links["Анна Смирнова"] == "Ромашка"
    assert links["Boris Brown"] == links["Cleo Crane"] == "NewCo"
    assert count(db_engine, "SELECT count(*) FROM sales.accounts WHERE name = 'NewCo'") == 1
    assert existing["id"]
    call(imports, "rollback_import", job["id"], MANAGER)
    wait_for(imports, job["id"], ("rolled_back",))
    assert count(db_engine, "SELECT count(*) FROM sales.accounts WHERE name = 'NewCo'") == 0
    assert (
        count(db_engine, "SELECT count(*) FROM sales.contacts WHERE full_name = 'Cleo Crane'") == 0
    )


def test_products_opportunities_and_activities(services, db_engine, tmp_path):
    imports = services["imports"]
    products = write_csv(tmp_path / "products.csv", [
        ["Артикул", "Наименование", "Ед. изм.", "НДС"],
        ["SKU-1", "Насос", "шт", "20"], ["SKU-2", "Клапан", "шт", "двадцать"],
    ], "cp1251", ";")  # fmt: skip
    done = run(imports, upload(imports, "products", products))
    assert done["progress"] == {"total": 2, "done": 2, "failed": 1}
    again = run(imports, upload(imports, "products", products),
                {"match_on": ["code"], "on_duplicate": "skip"})  # fmt: skip
    assert again["counts"]["skipped"] == 1

    call(services["sales"], "create_account", {"name": "Globex"}, MANAGER)
    deals = write_csv(tmp_path / "deals.csv", [
        ["Title", "Company", "Amount", "Currency", "Close date"],
        ["Pumps for Globex", "Globex", "1 250,50", "EUR", "31.03.2027"],
        ["No such company", "Initech", "10", "EUR", "2027-01-01"],
        ["No currency", "Globex", "10", "", "2027-01-01"],
    ], "utf-8", ",")  # fmt: skip
    done = run(imports, upload(imports, "opportunities", deals))
    assert done["progress"] == {"total": 3, "done": 3, "failed": 2}
    report = call(imports, "import_error_report", done["id"], MANAGER)
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(report["content"]))).active
    reasons = [line[-1] for line in sheet.iter_rows(min_row=2, values_only=True)]
    # the link that found nothing, and the sales service's own rule, each in words
    assert reasons == ["account_name: no account named 'Initech'",
                       "currency: is required with an amount or a budget"]  # fmt: skip
    with db_engine.connect() as conn:
        amount, close = conn.execute(sa.text(
            "SELECT amount, close_date FROM sales.opportunities WHERE title = 'Pumps for Globex'"
        )).one()  # fmt: skip
    assert (str(amount), close.isoformat()) == ("1250.50", "2027-03-31")

    tasks = write_csv(tmp_path / "tasks.csv", [
        ["Тема", "Тип", "Срок"], ["Позвонить", "call", "01.02.2027 10:30"],
        ["Встреча", "обед", ""],
    ], "koi8-r", "\t")  # fmt: skip
    done = run(imports, upload(imports, "activities", tasks))
    assert done["progress"] == {"total": 2, "done": 2, "failed": 1}


def test_a_bad_file_or_mapping_changes_nothing(services, db_engine, tmp_path):
    imports = services["imports"]
    picture = tmp_path / "photo.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    jobs_before = count(db_engine, "SELECT count(*) FROM imports.jobs")
    with pytest.raises(ValidationFailed) as caught:
        upload(imports, "leads", picture)
    assert caught.value.errors[0]["code"] == "not_spreadsheet"
    assert count(db_engine, "SELECT count(*) FROM imports.jobs") == jobs_before

    path = write_csv(tmp_path / "c.csv", [["Email"], ["a@b.io"]], "utf-8", ",")
    job = upload(imports, "contacts", path)
    with pytest.raises(ValidationFailed, match="full_name"):
        call(imports, "start_import", job["id"], MANAGER)
    with pytest.raises(ValidationFailed):
        call(imports, "update_import", job["id"], {"mapping": ["no_such_field"]}, MANAGER)
    with pytest.raises(ValidationFailed):
        call(imports, "update_import", job["id"], {"options": {"on_duplicate": "merge"}}, MANAGER)
    # another user sees nothing of it
    with pytest.raises(NotFound):
        call(imports, "get_import", job["id"], OTHER)


def name(number: int) -> str:
    """A made-up name of its own for each number (like names are duplicates' names)."""
    letters = "bcdfghklmnprstvz"
    vowels = "aeiou"
    out = ""
    for _ in range(3):
        out += letters[number % 16] + vowels[(number // 16) % 5]
        number = number * 31 + 7
    return out.capitalize()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_job_pages_through_the_list_with_its_filter(services, fmt):
    imports, leads = services["imports"], services["leads"]
    for start in range(0, 660, 220):
        rows = [{"contact_name": f"{name(i)} {name(i * 7 + 3)}", "region": "North" if i % 6
                 else "South", "email": f"p{i:04d}@export.test"}
                for i in range(start, start + 220)]  # fmt: skip
        assert call(leads, "import_leads", rows, MANAGER)["created"] == 220
    job = call(imports, "create_export", {
        "resource": "leads", "query": {"filter": {"region": ["North"]}, "sort": "-created_at"},
        "columns": ["contact_name", "email", "region"], "format": fmt,
    }, MANAGER)  # fmt: skip
    deadline = time.monotonic() + 60
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = call(imports, "get_export", job["id"], MANAGER)
    assert job["status"] == "done", job
    assert job["progress"]["done"] == job["progress"]["total"] == 550
    data, seq = b"", 0
    while True:
        piece = call(imports, "read_export_piece", job["id"], seq, MANAGER)
        data += base64.b64decode(piece["data"])
        if piece["last"]:
            break
        seq += 1
    if fmt == "csv":
        lines = data.decode("utf-8-sig").splitlines()
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        lines = [",".join(str(c) for c in row) for row in sheet.iter_rows(values_only=True)]
    assert lines[0] == "contact_name,email,region"
    assert len(lines) == 551
    expected = [f"{name(i)} {name(i * 7 + 3)},p{i:04d}@export.test,North"
                for i in range(660) if i % 6]  # fmt: skip
    # every row of the filter, once, newest first, across the list's pages of 500
    assert lines[1:] == expected[::-1]
    with pytest.raises(NotFound):  # another user's export is not theirs to read
        call(imports, "read_export_piece", job["id"], 0, OTHER)
