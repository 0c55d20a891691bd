"""The lead process over HTTP with every service a process: qualify → hand off → converted."""

from __future__ import annotations

import time

import httpx
import pytest

from .test_leads_api import fields, problem, word

pytestmark = pytest.mark.e2e


def test_a_lead_from_qualification_to_converted(admin: httpx.Client) -> None:
    tag = word()
    created = admin.post(
        "/api/v1/leads",
        json={
            "contact_name": f"Lena {tag}",
            "account_name": f"Harbour {tag}",
            "email": f"lena.{tag}@harbour.example",
            "need_type": "software",
        },
    )
    assert created.status_code == 201, created.text
    lead = created.json()
    url = f"/api/v1/leads/{lead['id']}"

    body = problem(admin.post(f"{url}/handoff", json={}), 422)
    assert fields(body) == {"contact_id"}
    body = problem(admin.post(f"{url}/qualify", json={"colour": "red"}), 422)
    assert "colour" in fields(body)

    # A contact with the same email exists: qualify offers it instead of a twin.
    twin = admin.post(
        "/api/v1/contacts",
        params={"allow_duplicates": "true"},
        json={"full_name": f"Lena {tag}", "emails": [{"email": f"lena.{tag}@harbour.example"}]},
    ).json()
    offered = problem(admin.post(f"{url}/qualify", json={"contact": {}, "account": {}}), 409)
    assert offered["type"].endswith("/problems/duplicates")
    assert twin["id"] in {c["record"]["id"] for c in offered["candidates"]}

    qualified = admin.post(
        f"{url}/qualify",
        json={"contact_id": twin["id"], "account": {}},
        headers={"If-Match": '"1"'},
    )
    assert qualified.status_code == 200, qualified.text
    assert qualified.json()["stage"] == "handoff" and qualified.headers["etag"] == '"2"'

    handed = admin.post(f"{url}/handoff", json={"budget": "9000", "currency": "EUR"})
    assert handed.status_code == 200, handed.text
    opportunity_id = handed.json()["opportunity_id"]
    retried = admin.post(f"{url}/handoff", json={})
    assert retried.json()["opportunity_id"] == opportunity_id
    deals = admin.get("/api/v1/opportunities", params={"filter[lead_id]": lead["id"]})
    assert [d["id"] for d in deals.json()["items"]] == [opportunity_id]

    deadline = time.monotonic() + 20
    while admin.get(url).json()["stage"] != "converted":
        assert time.monotonic() < deadline, "the lead did not convert"
        time.sleep(0.2)
    history = admin.get(f"{url}/history").json()["items"]
    assert [h["action"] for h in history] == ["create", "qualify", "handoff", "convert"]
    problem(admin.patch(url, json={"notes": "x"}), 409)
    reopened = admin.post(f"{url}/reopen", json={"stage": "nurturing"})
    assert reopened.status_code == 200 and reopened.json()["stage"] == "nurturing"
