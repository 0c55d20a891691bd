"""The Import wizard and the Export button in a real browser against the whole stack:
a Windows-1251 CSV uploaded, its columns matched by their Russian names (one changed by
hand), the preview marking the bad cell with its reason, duplicates set to update,
the import followed to the end, the rejected rows downloaded as xlsx, rolled back, and
found in the history; a list exported to xlsx and csv as it is filtered; the wizard in
Russian. Screenshots in test-artifacts/web/imports-*.png."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect

from tests.integrations.imports_files import libreoffice, write_csv
from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot


def test_import_wizard_from_upload_to_rollback(page: Page, site: Site, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    with site.api() as api:
        kept = created(api.post("/api/v1/leads", json={
            "contact_name": f"Old Name {tag}", "email": f"kept.{tag}@romashka.test",
            "region": "Moscow",
        }))  # fmt: skip
    rows = [
        ["ФИО", "Компания", "E-mail", "Телефон", "Заметки"],
        [f"Иван Петров {tag}", "Ромашка", f"ivan.{tag}@romashka.test", "+7 900 111 22 33", "VIP"],
        [f"New Name {tag}", "Ромашка", f"kept.{tag}@romashka.test", "", "обновлён"],
        [f"Плохой {tag}", "Ромашка", "не-email", "", ""],
    ]
    path = write_csv(tmp_path / f"leads-{tag}.csv", rows, "cp1251", ";")
    sign_in(page, site, "/imports")
    expect(page.get_by_role("heading", name="New import")).to_be_visible()
    page.get_by_label("Records in the file").select_option("leads")
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}$"))
    expect(page.get_by_text("CSV file, 5 columns")).to_be_visible()
    # matched by the columns' Russian names; "Заметки" left for the user
    expect(page.get_by_label("ФИО", exact=True)).to_have_value("contact_name")
    expect(page.get_by_label("E-mail", exact=True)).to_have_value("email")
    expect(page.get_by_label("Заметки", exact=True)).to_have_value("notes")
    page.get_by_label("Заметки", exact=True).select_option("")
    expect(page.get_by_label("Заметки", exact=True)).to_have_value("")
    bad = page.locator("td.cell-error")
    expect(bad).to_have_count(1)
    expect(bad).to_contain_text("not an email address")
    # saved on the server as it is chosen, then shown
    page.get_by_label("Update the record (empty cells change nothing)").click()
    expect(page.get_by_label("Update the record (empty cells change nothing)")).to_be_checked()
    expect(page.get_by_label("email", exact=True)).to_be_checked()
    snapshot(page, "imports-setup-en")
    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_role("status").filter(has_text="3 of 3 rows, 1 rejected")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("Created 1, updated 1, skipped 0, rejected 1")).to_be_visible()
    snapshot(page, "imports-done-en")
    with page.expect_download() as download:
        page.get_by_role(
            "link", name="Download the rejected rows with their reasons (xlsx)"
        ).click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert [c.value for c in sheet[2]][1:4] == [f"Плохой {tag}", "Ромашка", "не-email"]
    with site.api() as api:
        lead = api.get(f"/api/v1/leads/{kept['id']}").json()
        assert (lead["contact_name"], lead["region"]) == (f"New Name {tag}", "Moscow")
        assert lead["notes"] is None  # the column was left out

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Roll back").click()
    expect(page.get_by_text("Rolled back: 2 records undone")).to_be_visible(timeout=30_000)
    with site.api() as api:
        assert api.get(f"/api/v1/leads/{kept['id']}").json()["contact_name"] == f"Old Name {tag}"
        assert api.get("/api/v1/leads", params={"q": f"Петров {tag}"}).json()["items"] == []
    page.get_by_role("link", name="Import another file").click()
    history = page.locator(".imports-history")
    row = history.get_by_role("row").filter(has_text=path.name)
    expect(row).to_contain_text("Rolled back")
    snapshot(page, "imports-history-en")


def test_a_bad_file_says_why(page: Page, site: Site, tmp_path: Path) -> None:
    picture = tmp_path / "photo.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    sign_in(page, site, "/imports")
    page.get_by_label("File", exact=True).set_input_files(str(picture))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("not a spreadsheet")
    expect(page).to_have_url(re.compile(r"/imports$"))


def test_export_a_filtered_list_to_xlsx_and_csv(page: Page, site: Site) -> None:
    tag = uuid.uuid4().hex[:8]
    with site.api() as api:
        for name in ("Anna", "Boris", "Clara"):
            created(api.post("/api/v1/leads", json={
                "contact_name": f"{name} {tag}", "email": f"{name.lower()}.{tag}@x.test",
            }))  # fmt: skip
    sign_in(page, site, f"/leads?q={tag}&sort=contact_name")
    page.locator(".grid[aria-busy='false']").wait_for()
    expect(page.get_by_role("row").filter(has_text=f"Clara {tag}")).to_be_visible()
    page.get_by_role("button", name="Export").click()
    snapshot(page, "imports-export-menu-en")
    with page.expect_download() as download:
        page.get_by_role("menuitem", name="Excel workbook (.xlsx)").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    names = [row[0] for row in book.iter_rows(min_row=2, values_only=True)]
    header = [c.value for c in book[1]]
    assert names == [f"Anna {tag}", f"Boris {tag}", f"Clara {tag}"]
    assert header[0] == "contact_name"
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as as_csv:
        page.get_by_role("menuitem", name="CSV file (.csv)").click()
    text = Path(as_csv.value.path()).read_bytes().decode("utf-8-sig")
    assert text.splitlines()[1].startswith(f"Anna {tag},")
    assert len(text.splitlines()) == 4


def test_the_wizard_reads_in_russian(page: Page, site: Site, tmp_path: Path) -> None:
    with site.api() as api:
        roles = {r["name"]: r["id"] for r in api.get("/api/v1/roles").json()["items"]}
        email, secret = f"{uuid.uuid4().hex[:10]}@osprey.test", f"pw-{uuid.uuid4().hex}"
        created(api.post("/api/v1/users", json={
            "email": email, "full_name": "Ольга Импортова", "password": secret,
            "role_ids": [roles["sales_manager"]], "locale": "ru",
        }))  # fmt: skip
    rows = [["Название", "Отрасль", "Сайт"], ["ООО Ромашка", "Торговля", "romashka.test"]]
    try:
        workbook = libreoffice(write_csv(tmp_path / "accounts.csv", rows, "utf-8", ","), "xlsx",
                               tmp_path)  # fmt: skip
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(f"LibreOffice: {exc} (make office)") from exc
    russian = Site(site.base_url, email, secret)
    sign_in(page, russian, "/imports")
    expect(page.get_by_role("heading", name="Новый импорт")).to_be_visible()
    page.get_by_label("Записи в файле").select_option("accounts")
    page.get_by_label("Файл", exact=True).set_input_files(str(workbook))
    page.get_by_role("button", name="Загрузить").click()
    page.wait_for_url(re.compile(r"/imports/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name="Столбцы и поля")).to_be_visible()
    expect(page.get_by_label("Название", exact=True)).to_have_value("name")
    expect(page.get_by_text("Пропустить строку")).to_be_visible()
    snapshot(page, "imports-setup-ru")
    page.get_by_role("button", name="Начать импорт").click()
    expect(page.get_by_text("Создано 1, обновлено 0, пропущено 0, отклонено 0")).to_be_visible(
        timeout=30_000
    )
    snapshot(page, "imports-done-ru")
    page.goto(site.base_url + "/accounts")
    page.locator(".grid[aria-busy='false']").wait_for()
    page.get_by_role("button", name="Экспорт").click()
    expect(page.get_by_role("menuitem", name="Книга Excel (.xlsx)")).to_be_visible()
    snapshot(page, "imports-export-ru")
