"""The audit trail through the gateway: a change made in the web app (the session
cookie) says source ``web``, one made with a bearer token ``api``; an administrator
searches the trail, a bad filter is a problem naming it."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support.stack import Stack


def cookie_client(stack: Stack) -> httpx.Client:
    """A client signed in like the web app: the session cookie, no Authorization."""
    client = httpx.Client(base_url=stack.base_url, timeout=15)
    response = client.post(
        "/api/v1/auth/login",
        json={"email": stack.admin_email, "password": stack.admin_password},
    )
    assert response.status_code == 200, response.text
    assert client.cookies, "the sign-in set no session cookie"
    return client


def wait_for_trail(client: httpx.Client, lead_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        response = client.get(f"/api/v1/audit/lead/{lead_id}")
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        if len(items) >= count:
            return items
        assert time.monotonic() < deadline, f"the trail has {items}"
        time.sleep(0.2)


def test_web_and_api_changes_are_told_apart(stack: Stack, admin: httpx.Client) -> None:
    web = cookie_client(stack)
    try:
        made = web.post("/api/v1/leads", json={"contact_name": "Audit Web"})
        assert made.status_code == 201, made.text
        lead = made.json()
        changed = admin.patch(f"/api/v1/leads/{lead['id']}", json={"contact_name": "Audit API"})
        assert changed.status_code == 200, changed.text

        updated, created = wait_for_trail(admin, lead["id"], 2)
        assert created["action"] == "created" and created["source"] == "web"
        assert created["changes"]["contact_name"] == [None, "Audit Web"]
        assert updated["action"] == "updated" and updated["source"] == "api"
        assert updated["changes"] == {"contact_name": ["Audit Web", "Audit API"]}
        assert updated["actor"]["email"] == stack.admin_email

        # the web app reads the same trail with its cookie
        assert [e["id"] for e in wait_for_trail(web, lead["id"], 2)] == [
            updated["id"],
            created["id"],
        ]
    finally:
        web.close()

    found = admin.get(
        "/api/v1/audit",
        params={"entity": "lead", "record_id": lead["id"], "field": "contact_name", "limit": 1},
    )
    assert found.status_code == 200, found.text
    page = found.json()
    assert [e["id"] for e in page["items"]] == [updated["id"]]
    following = admin.get(
        "/api/v1/audit",
        params={
            "entity": "lead",
            "record_id": lead["id"],
            "limit": 1,
            "cursor": page["next_cursor"],
        },
    ).json()
    assert [e["id"] for e in following["items"]] == [created["id"]]

    bad = admin.get("/api/v1/audit", params={"entity": "planet", "from": "soon"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad.json()["errors"]} == {"entity", "from"}
