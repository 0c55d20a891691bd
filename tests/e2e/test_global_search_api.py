"""The global search through the API: one text, every section the caller may open,
each searched by its own service with the caller's rights; a personal token sees only
the areas of its scopes; a section that is down is named, the others still answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.support.stack import Stack

from .conftest import Login
from .test_leads_api import World, problem, word


def search(client: httpx.Client, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()


def found(answer: dict[str, Any]) -> dict[str, set[str]]:
    return {s["entity"]: {i["id"] for i in s["items"]} for s in answer["sections"]}


def test_one_box_finds_every_kind_of_record_the_caller_may_read(
    world: World, login: Login, stack: Stack
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    mate = login(world.rep_a2.email, world.rep_a2.password)
    stranger = login(world.rep_b1.email, world.rep_b1.password)
    name = word(9)
    email = f"{name}@example.com"

    def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = rep.post(path, json=body)
        assert response.status_code == 201, response.text
        return response.json()

    lead = made("/api/v1/leads", {"contact_name": f"{name.title()} Lind", "email": email})
    account = made("/api/v1/accounts", {"name": f"{name.title()} Holdings"})
    contact = made(
        "/api/v1/contacts",
        {"full_name": f"{name.title()} Moss", "account_id": account["id"]},
    )
    deal = made(
        "/api/v1/opportunities",
        {"title": f"{name.title()} rollout", "account_id": account["id"]},
    )
    order = made("/api/v1/orders", {"currency": "EUR", "account_id": account["id"]})

    everything = found(search(rep, name))
    assert lead["id"] in everything["leads"]
    assert account["id"] in everything["accounts"]
    assert contact["id"] in everything["contacts"]
    assert deal["id"] in everything["opportunities"]
    # titles and a line more, ready for the shell's list
    leads = next(s for s in search(rep, name)["sections"] if s["entity"] == "leads")
    hit = next(i for i in leads["items"] if i["id"] == lead["id"])
    assert hit["title"] == f"{name.title()} Lind" and email in hit["subtitle"]

    # an exact email is the leads' point lookup; an order by its number
    assert found(search(rep, email))["leads"] == {lead["id"]}
    assert order["id"] in found(search(rep, order["number"]))["orders"]

    # the same team reads them; another team's rep finds none of them
    assert lead["id"] in found(search(mate, name)).get("leads", set())
    assert not any(
        ids & {lead["id"], account["id"], contact["id"], deal["id"]}
        for ids in found(search(stranger, name)).values()
    )

    # a personal token with the leads' read scope searches the leads alone
    made_token = rep.post(
        "/api/v1/me/tokens",
        json={
            "name": "search",
            "scopes": ["leads:read"],
            "expires_on": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        },
    )
    assert made_token.status_code == 201, made_token.text
    with httpx.Client(
        base_url=stack.base_url,
        timeout=15,
        headers={"Authorization": f"Bearer {made_token.json()['token']}"},
    ) as token:
        assert set(found(search(token, name))) == {"leads"}

    # limit per section, and "more" when more match
    for n in range(2):
        made("/api/v1/leads", {"contact_name": f"{name.title()} Extra{n}"})
    leads = next(s for s in search(rep, name, limit=2)["sections"] if s["entity"] == "leads")
    assert len(leads["items"]) == 2 and leads["more"] is True


def test_a_short_or_empty_text_is_a_problem(admin: httpx.Client) -> None:
    for q in ("", "x"):
        body = problem(admin.get("/api/v1/search", params={"q": q}), 422)
        assert any(e["field"] == "q" for e in body["errors"]), body
    problem(admin.get("/api/v1/search", params={"q": "acme", "limit": 500}), 422)


def test_a_section_that_is_down_is_named_and_the_others_answer(
    admin: httpx.Client, stack: Stack
) -> None:
    name = word(9)
    lead = admin.post("/api/v1/leads", json={"contact_name": f"{name.title()} Down"})
    assert lead.status_code == 201, lead.text
    stack.kill("orders")
    try:
        answer = search(admin, name)
        assert set(answer["unavailable"]) == {"orders", "invoices"}
        assert lead.json()["id"] in found(answer)["leads"]
    finally:
        stack.restart("orders")
