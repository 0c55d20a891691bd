"""Web forms, lookups and web-to-lead through the real gateway and services as processes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.support.stack import Stack

from .test_leads_api import World, fields, problem, word

pytestmark = pytest.mark.e2e

SITE = "https://www.example.com"


def new_form(admin: httpx.Client, **data: Any) -> dict[str, Any]:
    response = admin.post("/api/v1/web-forms", json={"name": f"Form {word()}", **data})
    assert response.status_code == 201, response.text
    form = response.json()
    assert response.headers["location"] == f"/api/v1/web-forms/{form['id']}"
    assert response.headers["etag"] == '"1"'
    return form


def submissions(stack: Stack, form: dict[str, Any]) -> str:
    return f"{stack.base_url}/api/v1/web-forms/{form['id']}/submissions"


def lead_by_email(admin: httpx.Client, email: str) -> list[dict[str, Any]]:
    response = admin.get("/api/v1/leads", params={"filter[email]": email})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_json_post_without_a_login_creates_a_lead(stack: Stack, world: World) -> None:
    admin = world.admin
    form = new_form(
        admin,
        allowed_origins=[SITE],
        source="website",
        channel="web_form",
        owner_id=world.rep_a1.id,
        team_id=world.team_a,
    )
    email = f"{word()}@example.com"
    response = httpx.post(
        submissions(stack, form),
        json={
            "contact_name": "Ann Lee",
            "email": email,
            "utm_source": "newsletter",
            "utm_campaign": "spring",
            "website": "",
        },
        headers={"Origin": SITE, "Referer": f"{SITE}/contact"},
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "received", "redirect_url": None}
    assert response.headers["access-control-allow-origin"] == SITE
    assert "Origin" in response.headers["vary"]

    [lead] = lead_by_email(admin, email)
    assert (lead["source"], lead["channel"]) == ("website", "web_form")
    assert (lead["owner_id"], lead["team_id"]) == (world.rep_a1.id, world.team_a)
    assert (lead["utm_source"], lead["utm_campaign"]) == ("newsletter", "spring")
    assert lead["referrer"] == f"{SITE}/contact" and lead["stage"] == "qualification"
    # the owner sees it like any lead of theirs
    rep = httpx.Client(base_url=stack.base_url, timeout=15)
    token = rep.post(
        "/api/v1/auth/login", json={"email": world.rep_a1.email, "password": world.rep_a1.password}
    ).json()["token"]
    mine = rep.get(f"/api/v1/leads/{lead['id']}", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200, mine.text
    rep.close()
    counted = admin.get(f"/api/v1/web-forms/{form['id']}").json()
    assert counted["submissions"] == 1 and counted["version"] == 1  # a count is no edit


def test_the_embed_html_posts_urlencoded_to_the_right_address(stack: Stack, world: World) -> None:
    admin = world.admin
    form = new_form(admin, source="website")
    action = f"{stack.base_url}/api/v1/web-forms/{form['id']}/submissions"
    assert form["submit_url"] == action
    found = re.search(r'<form method="post" action="([^"]+)"', form["embed_html"])
    assert found is not None and found.group(1) == action
    assert 'name="website"' in form["embed_html"] and 'autocomplete="off"' in form["embed_html"]

    # What a browser sends for the snippet: every input, hidden ones empty.
    email = f"{word()}@example.com"
    names = re.findall(r'name="([a-z_]+)"', form["embed_html"])
    values = {name: "" for name in names}
    values.update(contact_name="Bea Ray", email=email, notes="Call me", utm_medium="cpc")
    thanks = httpx.post(
        found.group(1),
        content=urlencode(values),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html,application/xhtml+xml",
        },
    )
    assert thanks.status_code == 200, thanks.text
    assert thanks.headers["content-type"].startswith("text/html") and "Thank you" in thanks.text
    [lead] = lead_by_email(admin, email)
    assert lead["utm_medium"] == "cpc" and lead["notes"] == "Call me"
    assert lead["owner_id"] is None  # the form names no owner: waiting for distribution

    # With a redirect_url, a plain form post is sent on with 303.
    changed = admin.patch(
        f"/api/v1/web-forms/{form['id']}",
        json={"redirect_url": f"{SITE}/thanks"},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    sent_on = httpx.post(
        action,
        data={"account_name": "Initech", "website": ""},
        headers={"Accept": "text/html"},
    )
    assert sent_on.status_code == 303 and sent_on.headers["location"] == f"{SITE}/thanks"


def test_cors_preflight_and_refused_origins(stack: Stack, world: World) -> None:
    form = new_form(world.admin, allowed_origins=[SITE, "http://localhost:3000"])
    url = submissions(stack, form)
    preflight = httpx.options(
        url,
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204, preflight.text
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()

    evil = "https://evil.example"
    refused = httpx.options(url, headers={"Origin": evil, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in refused.headers
    problem(refused, 403)

    posted = httpx.post(url, json={"contact_name": "Eve"}, headers={"Origin": evil})
    body = problem(posted, 403)
    assert fields(body) == {"origin"} and "access-control-allow-origin" not in posted.headers
    # a non-browser client sends no Origin: refused too while the form lists origins
    problem(httpx.post(url, json={"contact_name": "Eve"}), 403)


def test_past_the_rate_limit_is_429_with_retry_after(stack: Stack, world: World) -> None:
    form = new_form(world.admin, rate_limit_per_minute=2)
    url = submissions(stack, form)
    # The gateway trusts X-Forwarded-For from 127.0.0.1 only (uvicorn's forwarded_allow_ips).
    first, second = {"X-Forwarded-For": "192.0.2.10"}, {"X-Forwarded-For": "192.0.2.11"}
    for _ in range(2):
        assert httpx.post(url, json={"contact_name": "Ann"}, headers=first).status_code == 202
    limited = httpx.post(url, json={"contact_name": "Ann"}, headers=first)
    body = problem(limited, 429)
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert fields(body) == {"rate_limit"}
    # another address is not held back
    assert httpx.post(url, json={"contact_name": "Ann"}, headers=second).status_code == 202


def test_bad_submissions_get_clear_errors(stack: Stack, world: World) -> None:
    form = new_form(world.admin)
    url = submissions(stack, form)
    unknown = problem(
        httpx.post(url, json={"contact_name": "Ann", "owner_id": world.rep_a1.id, "x": 1}), 422
    )
    assert fields(unknown) == {"owner_id", "x"}
    assert fields(problem(httpx.post(url, json={"notes": "hello"}), 422)) == {"contact_name"}
    assert fields(problem(httpx.post(url, json={"email": "nope"}), 422)) == {"email"}
    problem(
        httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"}), 400
    )
    problem(httpx.post(url, json=["contact_name"]), 400)
    problem(httpx.post(url, content=b"<lead/>", headers={"Content-Type": "application/xml"}), 415)
    # a person posting a plain form reads a page that says what to fix
    page = httpx.post(url, data={"notes": "hello"}, headers={"Accept": "text/html"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "contact_name" in page.text

    problem(httpx.post(f"{stack.base_url}/api/v1/web-forms/{word()}/submissions", json={}), 404)
    off = world.admin.patch(f"/api/v1/web-forms/{form['id']}", json={"is_active": False})
    assert off.status_code == 200, off.text
    problem(httpx.post(url, json={"contact_name": "Ann"}), 404)


def test_the_honeypot_answers_like_a_success(stack: Stack, world: World) -> None:
    form = new_form(world.admin, honeypot_field="homepage")
    email = f"{word()}@example.com"
    caught = httpx.post(
        submissions(stack, form), json={"email": email, "homepage": "http://spam.example"}
    )
    person = httpx.post(submissions(stack, form), json={"email": f"{word()}@example.com"})
    assert caught.status_code == person.status_code == 202
    assert caught.json() == person.json()
    assert lead_by_email(world.admin, email) == []


def test_only_the_submission_route_is_public(stack: Stack, world: World, login: Any) -> None:
    base = stack.base_url
    problem(httpx.get(f"{base}/api/v1/web-forms"), 401)
    problem(httpx.post(f"{base}/api/v1/web-forms", json={"name": "Mine"}), 401)
    problem(httpx.get(f"{base}/api/v1/lookups/lead-sources"), 401)
    rep = login(world.rep_a1.email, world.rep_a1.password)
    problem(rep.get("/api/v1/web-forms"), 403)
    problem(rep.post("/api/v1/web-forms", json={"name": "Mine"}), 403)


def test_lookups_through_the_api(stack: Stack, world: World, login: Any) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    sources = rep.get("/api/v1/lookups/lead-sources")
    assert sources.status_code == 200, sources.text
    assert "website" in {i["code"] for i in sources.json()["items"]}
    reasons = rep.get("/api/v1/lookups/disqualification-reasons").json()["items"]
    assert "no_budget" in {i["code"] for i in reasons}
    assert rep.get("/api/v1/lookups/lead-channels").status_code == 200
    problem(rep.get("/api/v1/lookups/colours"), 404)
    problem(rep.post("/api/v1/lookups/lead-sources", json={"code": "fair", "name": "Fair"}), 403)

    admin = world.admin
    code = f"fair_{word(6)}"
    created = admin.post("/api/v1/lookups/lead-channels", json={"code": code, "name": "Fair"})
    assert created.status_code == 201, created.text
    entry = created.json()
    assert entry["kind"] == "channel" and entry["is_active"]
    assert created.headers["location"] == f"/api/v1/lookups/lead-channels/{entry['id']}"
    problem(admin.post("/api/v1/lookups/lead-channels", json={"code": code, "name": "X"}), 409)
    bad = problem(
        admin.post("/api/v1/lookups/lead-channels", json={"code": "Fair", "name": ""}), 422
    )
    assert {"code", "name"} & fields(bad)

    item = f"/api/v1/lookups/lead-channels/{entry['id']}"
    renamed = admin.patch(item, json={"name": "Fairs"}, headers={"If-Match": '"1"'})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Fairs"
    problem(admin.patch(item, json={"name": "Again"}, headers={"If-Match": '"1"'}), 409)
    problem(admin.patch(item, json={"code": "other"}), 422)
    assert admin.delete(item, headers={"If-Match": '"2"'}).status_code == 204
    problem(admin.delete(item), 404)
