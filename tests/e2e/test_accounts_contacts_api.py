"""Accounts and contacts through the public API, with the sales service its own process."""

from __future__ import annotations

import httpx
import pytest

from .test_leads_api import problem, word

pytestmark = pytest.mark.e2e


def test_an_account_and_its_contacts_over_http(admin: httpx.Client) -> None:
    name = f"Acme {word()}"
    created = admin.post(
        "/api/v1/accounts",
        json={"name": name, "type": "customer", "addresses": [{"kind": "office", "city": "Oslo"}]},
    )
    assert created.status_code == 201, created.text
    account = created.json()
    assert created.headers["location"] == f"/api/v1/accounts/{account['id']}"
    assert created.headers["etag"] == '"1"' and account["addresses"][0]["city"] == "Oslo"

    response = admin.post(
        "/api/v1/contacts",
        json={
            "full_name": f"Ann {word()}",
            "account_id": account["id"],
            "emails": [{"email": "Ann@Acme.Test", "is_primary": True}],
            "phones": [{"phone": "+47 22 00 00 00", "kind": "work"}],
        },
    )
    assert response.status_code == 201, response.text
    contact = response.json()
    assert contact["emails"][0]["email"] == "ann@acme.test"
    assert contact["phones"][0]["phone"] == "+4722000000"
    other = admin.post("/api/v1/contacts", json={"full_name": f"Bob {word()}"})
    assert other.status_code == 201, other.text

    listed = admin.get("/api/v1/contacts", params={"filter[account_id]": account["id"]})
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["items"]] == [contact["id"]]
    problem(admin.post("/api/v1/contacts", json={"account_id": account["id"]}), 422)

    url = f"/api/v1/contacts/{contact['id']}"
    changed = admin.patch(url, json={"job_title": "CTO"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    problem(admin.patch(url, json={"job_title": "Lost"}, headers={"If-Match": '"1"'}), 409)
    assert admin.get(url).json()["job_title"] == "CTO"

    account_url = f"/api/v1/accounts/{account['id']}"
    problem(admin.delete(account_url), 409)  # Ann still works there
    assert admin.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert admin.delete(account_url, headers={"If-Match": '"1"'}).status_code == 204
    problem(admin.get(account_url), 404)

    entities = admin.get("/api/v1/meta/entities").json()["entities"]
    assert {"leads", "accounts", "contacts"} <= set(entities)


def test_careers_and_similar_over_http(admin: httpx.Client) -> None:
    tag = word()
    account = admin.post("/api/v1/accounts", json={"name": f"Initech {tag}"}).json()
    john = admin.post(
        "/api/v1/contacts",
        json={"full_name": f"John Smith {tag}", "emails": [{"email": f"john.{tag}@x.test"}]},
    ).json()
    jon = admin.post(  # a look-alike of John on purpose
        "/api/v1/contacts?allow_duplicates=true", json={"full_name": f"Jon Smith {tag}"}
    ).json()

    url = f"/api/v1/contacts/{john['id']}/careers"
    added = admin.post(url, json={"account_id": account["id"], "is_primary": True})
    assert added.status_code == 201, added.text
    assert added.json()["is_primary"] is True
    bad = {"account_id": account["id"], "start_date": "2026-02-01", "end_date": "2026-01-01"}
    problem(admin.post(url, json=bad), 422)
    assert [c["id"] for c in admin.get(url).json()] == [added.json()["id"]]
    staff = admin.get(f"/api/v1/accounts/{account['id']}/contacts")
    assert staff.status_code == 200, staff.text
    assert [c["id"] for c in staff.json()] == [john["id"]]

    similar = admin.get(f"/api/v1/contacts/{john['id']}/similar")
    assert similar.status_code == 200, similar.text
    found = {s["record"]["id"]: s["reasons"] for s in similar.json()}
    assert found.get(jon["id"]) == ["name"] and john["id"] not in found
    accounts = admin.get(f"/api/v1/accounts/{account['id']}/similar")
    assert accounts.status_code == 200, accounts.text
