"""The published contract's collections (shared/API.md): each top-level plural answers
``GET /api/v1/<plural>`` as a page, ``limit`` up to 500 — posts and notifications
included (issue 20)."""

from __future__ import annotations

import httpx
import pytest

from .test_leads_api import word

COLLECTIONS = (
    "users",
    "teams",
    "roles",
    "leads",
    "lead-sources",
    "lead-channels",
    "need-types",
    "loss-reasons",
    "disqualification-reasons",
    "distribution-rules",
    "scoring-rules",
    "accounts",
    "contacts",
    "opportunities",
    "opportunity-stages",
    "activities",
    "forecasts",
    "products",
    "price-lists",
    "orders",
    "invoices",
    "channels",
    "posts",
    "subscriptions",
    "notifications",
    "process-definitions",
    "process-instances",
    "process-tasks",
    "mailboxes",
    "emails",
    "reports",
)


@pytest.mark.parametrize("plural", COLLECTIONS)
def test_every_collection_answers_a_page_of_up_to_500(admin: httpx.Client, plural: str) -> None:
    response = admin.get(f"/api/v1/{plural}", params={"limit": 500})
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["items"], list)
    assert "next_cursor" in response.json()


@pytest.mark.parametrize("plural", ["leads", "orders", "posts", "notifications", "channels"])
def test_a_page_of_more_than_500_is_refused(admin: httpx.Client, plural: str) -> None:
    # (short lists answered whole — roles, stages, rules — take no page size at all)
    too_many = admin.get(f"/api/v1/{plural}", params={"limit": 501})
    assert too_many.status_code == 422, too_many.text
    assert "limit" in [e["field"] for e in too_many.json()["errors"]]


def test_posts_as_a_collection_with_filters(admin: httpx.Client) -> None:
    lead = admin.post("/api/v1/leads", json={"contact_name": f"Posty {word()}"}).json()
    text = f"About this lead {word()}"
    created = admin.post(
        "/api/v1/posts", json={"related": {"type": "lead", "id": lead["id"]}, "text": text}
    )
    assert created.status_code == 201, created.text
    on_record = admin.get(
        "/api/v1/posts",
        params={"filter[related_type]": "lead", "filter[related_id]": lead["id"], "limit": 500},
    )
    assert [p["text"] for p in on_record.json()["items"]] == [text]
    # the older spelling still works
    old = admin.get("/api/v1/posts", params={"related_type": "lead", "related_id": lead["id"]})
    assert [p["id"] for p in old.json()["items"]] == [created.json()["id"]]
    mine = admin.get("/api/v1/posts").json()["items"]  # no filter: the caller's feed
    assert created.json()["id"] in [p["id"] for p in mine]
    refused = admin.get("/api/v1/posts", params={"filter[colour]": "red"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "filter[colour]"
