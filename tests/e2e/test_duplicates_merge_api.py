"""Duplicate checks and merges through the public API, every service its own process."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from .test_leads_api import problem, word

pytestmark = pytest.mark.e2e

DUPLICATES = "https://osprey.dev/problems/duplicates"


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def eventually(read: Any, check: Any, timeout: float = 20.0) -> Any:
    """Read until ``check`` holds: events reach the other service a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if check(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_a_likely_duplicate_is_refused_with_its_candidates(admin: httpx.Client) -> None:
    tag = word()
    email = f"ann.{tag}@acme.test"
    ann = created(
        admin.post(
            "/api/v1/contacts", json={"full_name": f"Ann {tag}", "emails": [{"email": email}]}
        )
    )
    again = {"full_name": f"Anne {tag}", "emails": [{"email": email.upper()}]}

    body = problem(admin.post("/api/v1/contacts", json=again), 409)
    assert body["type"] == DUPLICATES and body["title"] == "Likely duplicates"
    [candidate] = body["candidates"]
    assert candidate["record"]["id"] == ann["id"] and candidate["record"]["version"] == 1
    assert candidate["reasons"] == ["email", "name"] and candidate["score"] > 1
    assert isinstance(candidate["score"], float) and candidate["record"]["account_id"] is None

    checked = admin.post("/api/v1/contacts/check-duplicates", json=again)
    assert checked.status_code == 200, checked.text
    assert checked.json()["candidates"] == body["candidates"]
    listed = admin.get("/api/v1/contacts", params={"filter[full_name]": tag}).json()["items"]
    assert [c["id"] for c in listed] == [ann["id"]]  # nothing written

    problem(admin.post("/api/v1/contacts?allow_duplicates=maybe", json=again), 422)
    anne = created(admin.post("/api/v1/contacts?allow_duplicates=true", json=again))
    assert anne["full_name"] == f"Anne {tag}"
    problem(admin.post("/api/v1/contacts/check-duplicates", json={"colour": "red"}), 422)

    site = f"{tag}.example"
    acme = created(admin.post("/api/v1/accounts", json={"name": f"Acme {tag}", "web": site}))
    body = problem(
        admin.post("/api/v1/accounts", json={"name": f"Zeta {tag}", "web": f"https://www.{site}/"}),
        409,
    )
    assert body["type"] == DUPLICATES
    [candidate] = body["candidates"]
    assert candidate["record"]["id"] == acme["id"] and candidate["reasons"][0] == "domain"
    checked = admin.post("/api/v1/accounts/check-duplicates", json={"name": f"Acme {tag}"})
    assert [c["record"]["id"] for c in checked.json()["candidates"]] == [acme["id"]]


def test_merging_contacts_and_accounts_relinks_leads(admin: httpx.Client) -> None:
    tag = word()
    kept_account = created(admin.post("/api/v1/accounts", json={"name": f"Initech {tag}"}))
    merged_account = created(
        admin.post(
            "/api/v1/accounts?allow_duplicates=true",
            json={"name": f"Initech {tag} Ltd", "industry": "Software"},
        )
    )
    kept = created(admin.post("/api/v1/contacts", json={"full_name": f"Ben {tag}"}))
    merged = created(
        admin.post(
            "/api/v1/contacts?allow_duplicates=true",
            json={"full_name": f"Benjamin {tag}", "job_title": "CFO"},
        )
    )
    lead = created(
        admin.post(
            "/api/v1/leads",
            json={
                "contact_name": f"Ben {tag}",
                "contact_id": merged["id"],
                "account_id": merged_account["id"],
            },
        )
    )
    other_lead = created(admin.post("/api/v1/leads", json={"contact_name": f"Other {tag}"}))

    url = f"/api/v1/contacts/{kept['id']}"
    problem(admin.post(f"{url}/merge", json={"merged_id": kept["id"]}), 422)
    problem(admin.post(f"{url}/merge", json={}), 422)
    problem(
        admin.post(f"{url}/merge", json={"merged_id": merged["id"]}, headers={"If-Match": '"5"'}),
        409,
    )
    response = admin.post(
        f"{url}/merge", json={"merged_id": merged["id"]}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"' and response.json()["job_title"] == "CFO"
    problem(admin.get(f"/api/v1/contacts/{merged['id']}"), 404)
    merges = admin.get(f"{url}/merges")
    assert merges.status_code == 200, merges.text
    [log] = merges.json()["items"]
    assert (
        log["merged_id"] == merged["id"] and log["merged_record"]["full_name"] == f"Benjamin {tag}"
    )

    account_url = f"/api/v1/accounts/{kept_account['id']}"
    response = admin.post(f"{account_url}/merge", json={"merged_id": merged_account["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["industry"] == "Software"
    [log] = admin.get(f"{account_url}/merges").json()["items"]
    assert log["entity"] == "account" and log["moved"]["contacts"] == 0

    # The leads service hears contact_merged and account_merged and follows them.
    def read() -> dict[str, Any]:
        return admin.get(f"/api/v1/leads/{lead['id']}").json()

    relinked = eventually(read, lambda v: v["account_id"] == kept_account["id"])
    assert (relinked["contact_id"], relinked["account_id"]) == (kept["id"], kept_account["id"])
    assert relinked["version"] == lead["version"] + 2
    assert admin.get(f"/api/v1/leads/{other_lead['id']}").json()["version"] == other_lead["version"]


def test_administrators_see_the_name_indexes_ready(admin: httpx.Client, login, world) -> None:
    # Each leads and sales process builds its in-memory name index when it starts.
    items = eventually(
        lambda: admin.get("/api/v1/admin/name-indexes").json()["items"],
        lambda items: len(items) == 2 and all(i["ready"] for i in items),
    )
    assert {(i["service"], i["table"]) for i in items} == {
        ("leads", "leads.lead_name_keys"),
        ("sales", "sales.contact_name_keys"),
    }
    assert all(i["ready"] and i["build_seconds"] is not None for i in items)
    rep = login(world.rep_a1.email, world.rep_a1.password)
    problem(rep.get("/api/v1/admin/name-indexes"), 403)


def test_an_import_reports_each_row_with_its_look_alikes(admin: httpx.Client) -> None:
    name = f"Radegunde {word()}"
    rows = [
        {"contact_name": name, "email": f"{word()}@import.test"},
        {"contact_name": name + "e"},
        {"contact_name": "Bad", "email": "no"},
    ]
    response = admin.post("/api/v1/leads/import", json={"rows": rows})
    assert response.status_code == 200, response.text
    report = response.json()
    assert [r["status"] for r in report["rows"]] == ["created", "created", "failed"]
    first = report["rows"][0]["lead_id"]
    assert [s["record"]["id"] for s in report["rows"][1]["similar"]] == [first]
    assert report["rows"][2]["errors"][0]["field"] == "email"
    assert admin.get(f"/api/v1/leads/{first}").json()["contact_name"] == name

    skipped = admin.post(
        "/api/v1/leads/import", json={"rows": [{"contact_name": name}], "on_duplicate": "skip"}
    ).json()
    assert skipped["skipped"] == 1 and skipped["rows"][0]["lead_id"] is None
    problem(admin.post("/api/v1/leads/import", json={"rows": []}), 422)
    problem(admin.post("/api/v1/leads/import", json={"rows": [{}], "on_duplicate": "x"}), 422)
