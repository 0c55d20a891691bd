"""What the gateway sends to the services and how it answers, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.responses import FileResponse
from starlette.requests import Request

from gateway.static import DIST, WebApp

from .test_problems import assert_problem, fields


def test_list_query_string_becomes_the_rpc_query_dict(admin: httpx.Client) -> None:
    response = admin.get(
        "/api/v1/leads?filter[stage]=qualification,nurturing&filter[owner_id]=u1"
        "&filter[stage]=handoff&sort=-created_at&q=acme%20ltd&limit=20&cursor=abc"
    )
    assert response.status_code == 200, response.text
    assert response.json()["received_query"] == {
        "filter": {"stage": ["qualification", "nurturing", "handoff"], "owner_id": ["u1"]},
        "sort": "-created_at",
        "q": "acme ltd",
        "limit": 20,
        "cursor": "abc",
    }


def test_list_query_defaults(admin: httpx.Client) -> None:
    page = admin.get("/api/v1/users").json()
    assert page["received_query"] == {"filter": {}, "limit": 50, "cursor": None}
    assert page["items"] == [] and page["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("colour=red", "colour"),
    ],
)
def test_a_bad_list_query_is_422_naming_the_parameter(
    admin: httpx.Client, query: str, field: str
) -> None:
    body = assert_problem(admin.get(f"/api/v1/leads?{query}"), 422)
    assert field in fields(body)


def test_get_carries_the_version_as_etag(admin: httpx.Client) -> None:
    response = admin.get("/api/v1/leads/l1")
    assert response.status_code == 200
    assert response.headers["etag"] == '"3"'


@pytest.mark.parametrize("if_match", ["3", '"3"', 'W/"3"'])
def test_if_match_is_passed_as_expected_version(admin: httpx.Client, if_match: str) -> None:
    response = admin.patch(
        "/api/v1/leads/l1", json={"stage": "nurturing"}, headers={"If-Match": if_match}
    )
    assert response.status_code == 200, response.text
    assert response.json()["received_version"] == 3
    assert response.json()["stage"] == "nurturing"
    assert response.headers["etag"] == '"4"'


def test_without_if_match_no_version_is_expected(admin: httpx.Client) -> None:
    response = admin.patch("/api/v1/leads/l1", json={"notes": "called"})
    assert response.json()["received_version"] is None


def test_a_malformed_if_match_is_refused(admin: httpx.Client) -> None:
    body = assert_problem(
        admin.patch("/api/v1/leads/l1", json={}, headers={"If-Match": "abc"}), 422
    )
    assert "If-Match" in fields(body)


def test_delete_is_204_and_honours_if_match(admin: httpx.Client) -> None:
    ok = admin.delete("/api/v1/leads/l1", headers={"If-Match": '"3"'})
    assert ok.status_code == 204 and ok.content == b""
    assert_problem(admin.delete("/api/v1/leads/l1", headers={"If-Match": '"1"'}), 409)


def test_create_is_201_with_location_and_only_the_sent_fields(admin: httpx.Client) -> None:
    response = admin.post("/api/v1/leads", json={"contact_name": "Ann", "score": 7})
    assert response.status_code == 201, response.text
    lead = response.json()
    assert response.headers["location"] == f"/api/v1/leads/{lead['id']}"
    assert (lead["contact_name"], lead["score"]) == ("Ann", 7)
    # what the service left out (this stand-in answers only the sent fields; the leads
    # service leaves out the fields hidden from the caller) is absent, not null
    assert "email" not in lead


def test_login_sets_an_httponly_samesite_session_cookie(http: httpx.Client) -> None:
    wrong = http.post("/api/v1/auth/login", json={"email": "ada@osprey.test", "password": "no"})
    assert_problem(wrong, 401)

    response = http.post(
        "/api/v1/auth/login", json={"email": "ada@osprey.test", "password": "right"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["token"] == "admin-token"
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("osprey_session=admin-token")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie

    me = http.get("/api/v1/me")  # the client sends the cookie back
    assert me.status_code == 200 and me.json()["permissions"] == ["users.manage"]


def test_cookie_requests_from_another_origin_are_refused(fake_stack, http: httpx.Client) -> None:
    http.cookies.set("osprey_session", "admin-token")
    foreign = http.post("/api/v1/leads", json={}, headers={"Origin": "https://evil.example"})
    assert_problem(foreign, 403)
    same = http.post("/api/v1/leads", json={}, headers={"Origin": fake_stack.base_url})
    assert same.status_code == 201
    # A safe method, or a bearer token (which a foreign page cannot send), is not CSRF.
    assert http.get("/api/v1/leads", headers={"Origin": "https://evil.example"}).status_code == 200


def test_bearer_requests_are_not_subject_to_the_origin_check(admin: httpx.Client) -> None:
    response = admin.post("/api/v1/leads", json={}, headers={"Origin": "https://other.example"})
    assert response.status_code == 201


def test_logout_clears_the_cookie(http: httpx.Client) -> None:
    http.post("/api/v1/auth/login", json={"email": "ada@osprey.test", "password": "right"})
    response = http.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert "osprey_session" not in http.cookies


def test_meta_entities_collects_each_service_description(admin: httpx.Client) -> None:
    response = admin.get("/api/v1/meta/entities")
    # the stand-in admin carries no rights map: the defaults, every operation on all records
    everything = {
        "permissions": {
            "create": True, "read": True, "update": True, "delete": True, "export": True,
            "read_scope": "all", "write_scope": "all", "hidden": [], "read_only": [],
        }
    }  # fmt: skip
    assert response.json() == {
        "entities": {
            "leads": {"fields": [{"name": "stage", "type": "enum"}], **everything},
            "accounts": {"fields": [{"name": "type", "type": "enum"}], **everything},
            "contacts": {"fields": [{"name": "emails", "type": "list"}], **everything},
            "opportunities": {"fields": [{"name": "amount", "type": "money"}], **everything},
            "activities": {"fields": [{"name": "due_at", "type": "datetime"}], **everything},
            "products": {"fields": [{"name": "code", "type": "string"}], **everything},
            "orders": {"fields": [{"name": "status", "type": "enum"}], **everything},
            "invoices": {"fields": [{"name": "due_date", "type": "date"}], **everything},
        }
    }


def test_orders_and_invoices_reach_the_orders_service(admin: httpx.Client) -> None:
    created = admin.post("/api/v1/orders", json={"currency": "EUR", "lines": []})
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/orders/{created.json()['id']}"
    assert created.json()["number"] == "2026-000001"
    assert_problem(admin.post("/api/v1/orders", json={"currency": "EUR", "status": "paid"}), 422)
    confirmed = admin.post("/api/v1/orders/o1/confirm", headers={"If-Match": '"4"'})
    assert confirmed.status_code == 200 and confirmed.headers["ETag"] == '"5"'
    assert_problem(admin.post("/api/v1/orders/shipped/confirm"), 409)
    assert admin.delete("/api/v1/orders/o1").status_code == 405  # numbers stay gap-free
    paid = admin.post(
        "/api/v1/invoices/i1/register-payment",
        json={"amount": "10.00", "paid_at": "2026-11-20T10:00:00Z"},
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["received_paid_at"] == "2026-11-20T10:00:00Z"
    over = admin.post("/api/v1/invoices/i1/register-payment", json={"amount": "1000000"})
    assert_problem(over, 422)


def test_accounts_and_contacts_reach_the_sales_service(admin: httpx.Client) -> None:
    created = admin.post("/api/v1/accounts", json={"name": "Acme", "addresses": []})
    assert created.status_code == 201, created.text
    assert created.headers["Location"] == f"/api/v1/accounts/{created.json()['id']}"
    assert created.headers["ETag"] == '"1"' and created.json()["name"] == "Acme"
    assert_problem(admin.post("/api/v1/accounts", json={"name": 7}), 422)
    listed = admin.get("/api/v1/contacts?filter[account_id]=a1").json()
    assert listed["received_query"]["filter"] == {"account_id": ["a1"]}
    changed = admin.patch(
        "/api/v1/contacts/c1", json={"job_title": "CTO"}, headers={"If-Match": '"3"'}
    )
    assert changed.status_code == 200 and changed.headers["ETag"] == '"4"'
    stale = admin.patch("/api/v1/contacts/c1", json={"job_title": "X"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 409)


def test_openapi_document_and_docs(http: httpx.Client) -> None:
    document = http.get("/api/v1/openapi.json").json()
    assert {"/api/v1/leads", "/api/v1/leads/{lead_id}", "/api/v1/auth/login"} <= set(
        document["paths"]
    )
    create = document["paths"]["/api/v1/leads"]["post"]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    parameters = {p["name"] for p in document["paths"]["/api/v1/leads"]["get"]["parameters"]}
    assert {"limit", "cursor", "sort", "q", "filter[stage]"} <= parameters
    docs = http.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_root_serves_the_web_app_or_links_to_the_docs(http: httpx.Client) -> None:
    response = http.get("/")
    assert response.status_code == 200
    if WebApp().built:
        assert response.content == (DIST / "index.html").read_bytes()
    else:
        assert 'href="/api/docs"' in response.text


def request_for(path: str, method: str = "GET") -> Request:
    return Request(
        {"type": "http", "method": method, "path": path, "headers": [], "query_string": b""}
    )


def test_web_app_serves_files_and_index_for_deep_links(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<div id=app></div>")
    (tmp_path / "assets" / "app.js").write_text("run()")
    (tmp_path.parent / "secret.txt").write_text("no")
    web = WebApp(tmp_path)

    asset = web.fallback(request_for("/assets/app.js"))
    assert isinstance(asset, FileResponse) and Path(asset.path) == tmp_path / "assets" / "app.js"
    assert "immutable" in asset.headers["cache-control"]
    deep_link = web.fallback(request_for("/leads/123"))
    assert isinstance(deep_link, FileResponse) and Path(deep_link.path) == tmp_path / "index.html"
    # Not the app's: API paths, other methods, missing assets, paths outside dist/.
    assert web.fallback(request_for("/api/v1/nothing")) is None
    assert web.fallback(request_for("/leads/123", "POST")) is None
    assert web.fallback(request_for("/assets/missing.js")) is None
    assert web.fallback(request_for("/../secret.txt")) is None


def test_every_answer_carries_the_security_headers(http: httpx.Client, admin: httpx.Client) -> None:
    page = http.get("/")
    api = admin.get("/api/v1/leads")
    refused = http.get("/api/v1/leads")  # a problem, from before any route runs
    for response in (page, api, refused):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers  # plain HTTP here
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert refused.status_code == 401
    for response in (api, refused):
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
    # the interactive documentation keeps its own page scripts
    assert "content-security-policy" not in http.get("/api/docs").headers


def test_https_answers_carry_hsts(http: httpx.Client) -> None:
    # behind a proxy that ended TLS (the stack's gateway trusts its local proxy's header)
    secure = http.get("/api/v1/leads", headers={"X-Forwarded-Proto": "https"})
    assert secure.headers["strict-transport-security"] == "max-age=31536000"
    assert secure.headers["content-security-policy"].startswith("default-src 'none'")
    page = http.get("/", headers={"X-Forwarded-Proto": "https"})
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    assert "default-src 'self'" in page.headers["content-security-policy"]
