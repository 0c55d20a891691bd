"""Imports and exports through the whole stack (issue 16): a workbook LibreOffice saved
goes in through the multipart upload, its leads come out in the list and back out as
csv and xlsx; bad files and too large ones are problems that leave nothing behind."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.integrations.imports_files import (
    OfficeMissing,
    libreoffice,
    too_wide_xlsx,
    write_csv,
    zip_bomb,
)
from tests.support.stack import Stack

from .test_leads_api import problem, word


def upload(client: httpx.Client, entity: str, path: Path, base: str = "") -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(
            f"{base}/api/v1/imports",
            data={"entity": entity},
            files={"file": (path.name, handle, "application/octet-stream")},
        )


def wait_done(client: httpx.Client, job_id: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/imports/{job_id}").json()
        if job["status"] in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"import still {job['status']}")


def test_a_libreoffice_workbook_imported_exported_and_rolled_back(
    admin: httpx.Client, tmp_path: Path
) -> None:
    marker = word()
    rows = [
        ["Имя", "Компания", "Email", "Телефон", "Источник"],
        [f"Пётр {marker}", "Ромашка", f"petr.{marker}@romashka.test", "+7 901 0000001", "Выставка"],
        [f"Olga {marker}", "Lilac Ltd", f"olga.{marker}@lilac.test", "", "Web"],
        [f"Bad {marker}", "Lilac Ltd", "no-email", "", "Web"],
    ]  # fmt: skip
    try:
        workbook = libreoffice(
            write_csv(tmp_path / "leads.csv", rows, "utf-8", ","), "ods", tmp_path
        )
    except OfficeMissing as exc:
        pytest.fail(f"{exc} (make office)")

    created = upload(admin, "leads", workbook)
    assert created.status_code == 201, created.text
    job = created.json()
    assert created.headers["location"] == f"/api/v1/imports/{job['id']}"
    assert (job["format"], job["status"]) == ("ods", "ready")
    assert job["mapping"] == ["contact_name", "account_name", "email", "phone", "source"]

    preview = admin.get(f"/api/v1/imports/{job['id']}/preview").json()
    assert preview["rows"][2]["cells"][2]["error"] == "not an email address"
    changed = admin.patch(
        f"/api/v1/imports/{job['id']}",
        json={"options": {"match_on": ["email"], "on_duplicate": "skip"}},
    )
    assert changed.status_code == 200, changed.text
    started = admin.post(f"/api/v1/imports/{job['id']}/start")
    assert started.status_code == 200, started.text
    done = wait_done(admin, job["id"], ("done", "failed"))
    assert done["progress"] == {"total": 3, "done": 3, "failed": 1}
    listed = admin.get("/api/v1/leads", params={"q": marker}).json()["items"]
    assert sorted(lead["contact_name"] for lead in listed) == [f"Olga {marker}", f"Пётр {marker}"]
    history = admin.get("/api/v1/imports").json()["items"]
    assert history[0]["id"] == job["id"]

    errors = admin.get(f"/api/v1/imports/{job['id']}/errors")
    assert errors.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(errors.content)).active
    assert [c.value for c in sheet[2]][1] == f"Bad {marker}"

    # the list out again, as its view shows it: filter, sort, columns
    body = {"resource": "leads", "q": marker, "sort": "contact_name",
            "columns": ["contact_name", "email", "account_name"]}  # fmt: skip
    as_csv = admin.post("/api/v1/exports", json={**body, "format": "csv"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "contact_name,email,account_name",
        f"Olga {marker},olga.{marker}@lilac.test,Lilac Ltd",
        f"Пётр {marker},petr.{marker}@romashka.test,Ромашка",
    ]
    as_xlsx = admin.post("/api/v1/exports", json={**body, "format": "xlsx"})
    assert as_xlsx.status_code == 200, as_xlsx.text
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert [c.value for c in book[3]] == [f"Пётр {marker}", f"petr.{marker}@romashka.test",
                                          "Ромашка"]  # fmt: skip
    refused = admin.post("/api/v1/exports", json={**body, "resource": "users"})
    problem(refused, 422)

    rolled = admin.post(f"/api/v1/imports/{job['id']}/rollback")
    assert rolled.status_code == 200, rolled.text
    wait_done(admin, job["id"], ("rolled_back",))
    assert admin.get("/api/v1/leads", params={"q": marker}).json()["items"] == []


def test_bad_files_are_problems_and_leave_nothing(admin: httpx.Client, tmp_path: Path) -> None:
    before = len(admin.get("/api/v1/imports", params={"limit": 200}).json()["items"])
    picture = tmp_path / "photo.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16)
    cases = {
        "not_spreadsheet": picture,
        "zip_bomb": zip_bomb(tmp_path / "bomb.xlsx", unpacked_mb=32),
        "too_wide": too_wide_xlsx(tmp_path / "wide.xlsx"),
    }
    for reason, path in cases.items():
        body = problem(upload(admin, "leads", path), 422)
        assert body["type"] == "https://osprey.dev/problems/import-file"
        assert body["reason"] == reason
        assert body["errors"][0]["field"] == "file"
    problem(upload(admin, "planets", picture), 422)
    no_file = admin.post("/api/v1/imports", data={"entity": "leads"}, files={"x": ("a", b"1")})
    problem(no_file, 422)
    assert problem(admin.post("/api/v1/imports", json={"entity": "leads"}), 415)
    after = len(admin.get("/api/v1/imports", params={"limit": 200}).json()["items"])
    assert after == before
    # a cursor that is no job's (the fuzzer's one-character cursor was a 500)
    for path in ("/api/v1/imports", "/api/v1/exports"):
        assert problem(admin.get(path, params={"cursor": "0"}), 422)["errors"][0]["field"] == (
            "cursor"
        )


def test_a_file_over_the_limit_is_413_and_leaves_nothing(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    base = stack.add_gateway("gateway-imports", env={"OSPREY_IMPORT_MAX_BYTES": "20000"})
    big = write_csv(
        tmp_path / "big.csv",
        [["Name", "Email"], *([f"n{i}", f"n{i}@x.test"] for i in range(2000))],
        "utf-8",
        ",",
    )
    before = len(admin.get("/api/v1/imports", params={"limit": 200}).json()["items"])
    token = admin.headers["Authorization"]
    with httpx.Client(base_url=base, headers={"Authorization": token}, timeout=30) as client:
        body = problem(upload(client, "leads", big), 413)
        assert "20000" in body["detail"]

        def chunks():  # no Content-Length: counted as it streams
            with big.open("rb") as handle:
                head = (b'--b\r\nContent-Disposition: form-data; name="entity"\r\n\r\nleads\r\n'
                        b'--b\r\nContent-Disposition: form-data; name="file"; filename="b.csv"'
                        b"\r\n\r\n")  # fmt: skip
                yield head
                while chunk := handle.read(4096):
                    yield chunk
                yield b"\r\n--b--\r\n"

        streamed = client.post(
            "/api/v1/imports", content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        )  # fmt: skip
        problem(streamed, 413)
    after = len(admin.get("/api/v1/imports", params={"limit": 200}).json()["items"])
    assert after == before


def test_osprey_import_with_a_progress_bar(stack: Stack, admin: httpx.Client, tmp_path: Path):
    marker = word()
    rows = [["Name", "Company", "Email", "Notes"]] + [
        [f"Cli {marker} {i}", "Acme", f"cli{i}.{marker}@acme.test", "from the shell"]
        for i in range(30)
    ] + [[f"Cli {marker} bad", "Acme", "bad-email", ""]]  # fmt: skip
    path = write_csv(tmp_path / "cli.csv", rows, "cp1251", ";")
    token = admin.headers["Authorization"].split(" ", 1)[1]
    command = [sys.executable, "-m", "osprey", "import", str(path), "--entity", "leads",
               "--match", "email", "--map", "Notes=", "--url", stack.base_url]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120,
        env={**os.environ, "OSPREY_API_TOKEN": token},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Email → email" in result.stdout and "Notes → notes" in result.stdout
    assert "done: 30 created, 0 updated, 0 skipped, 1 failed" in result.stdout
    assert "/errors" in result.stdout
    leads = admin.get("/api/v1/leads", params={"q": marker, "limit": 100}).json()["items"]
    assert len(leads) == 30
    assert all(lead["notes"] is None for lead in leads)  # --map Notes= left it out

    again = subprocess.run(
        command, capture_output=True, text=True, timeout=120,
        env={**os.environ, "OSPREY_API_TOKEN": token},
    )  # fmt: skip
    assert "done: 0 created, 0 updated, 30 skipped, 1 failed" in again.stdout, again.stdout
    refused = subprocess.run(
        [*command[:5], "--entity", "planets", "--url", stack.base_url],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "OSPREY_API_TOKEN": token},
    )  # fmt: skip
    assert refused.returncode == 1 and "entity" in refused.stderr


def test_a_personal_token_imports_with_the_data_scope(
    stack: Stack, admin: httpx.Client, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "t.csv", [["Name", "Email"], ["Tokened", "t@x.test"]], "utf-8", ",")

    def token(scopes: list[str]) -> str:
        expires = (date.today() + timedelta(days=30)).isoformat()
        made = admin.post("/api/v1/me/tokens", json={"name": "importer", "scopes": scopes,
                                                     "expires_on": expires})  # fmt: skip
        assert made.status_code == 201, made.text
        return made.json()["token"]

    reader = {"Authorization": f"Bearer {token(['leads:write'])}"}
    with httpx.Client(base_url=stack.base_url, headers=reader, timeout=15) as client:
        refused = problem(upload(client, "leads", path), 403)
        assert "data:write" in refused["detail"]
    writer = {"Authorization": f"Bearer {token(['data:write', 'data:read'])}"}
    with httpx.Client(base_url=stack.base_url, headers=writer, timeout=15) as client:
        job = upload(client, "leads", path)
        assert job.status_code == 201, job.text
        assert client.get(f"/api/v1/imports/{job.json()['id']}").status_code == 200
        body = {"resource": "leads", "columns": ["email"], "format": "csv", "q": "Tokened"}
        exported = client.post("/api/v1/exports", json=body)
        assert exported.status_code == 200, exported.text


def test_a_long_list_is_exported_as_a_job(stack: Stack, admin: httpx.Client) -> None:
    marker = word()
    for i in range(4):
        made = admin.post("/api/v1/leads", json={"contact_name": f"Job {marker} {i}"})
        assert made.status_code == 201, made.text
    # a gateway that streams lists of up to 2 rows: this one of 4 becomes a job
    base = stack.add_gateway("gateway-exports", env={"OSPREY_EXPORT_STREAM_ROWS": "2"})
    token = admin.headers["Authorization"]
    with httpx.Client(base_url=base, headers={"Authorization": token}, timeout=30) as client:
        body = {"resource": "leads", "q": marker, "sort": "contact_name",
                "columns": ["contact_name"], "format": "csv"}  # fmt: skip
        started = client.post("/api/v1/exports", json=body)
        assert started.status_code == 202, started.text
        job = started.json()
        assert started.headers["location"] == f"/api/v1/exports/{job['id']}"
        deadline = time.monotonic() + 60
        while job["status"] != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
            job = client.get(f"/api/v1/exports/{job['id']}").json()
        assert job["status"] == "done", job
        assert job["progress"]["done"] == job["progress"]["total"] == 4
        got = client.get(f"/api/v1/exports/{job['id']}/file")
        assert got.status_code == 200
        assert got.content.decode("utf-8-sig").splitlines() == [
            "contact_name",
            *(f"Job {marker} {i}" for i in range(4)),
        ]
        history = client.get("/api/v1/exports").json()["items"]
        assert history[0]["id"] == job["id"]
