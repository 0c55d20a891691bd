"""The gateway's side of personal tokens and the cookie session: each route's scope,
403 naming a missing one, a revoked token forgotten at once, and CSRF refusals."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import create_app
from gateway.scopes import SESSION, required
from services.platform.scopes import AREAS, SCOPES

from .fake_services import REVOCABLE_TOKEN, REVOCABLE_TOKEN_ID, SCOPED_TOKEN
from .test_problems import assert_problem

# --- the route table -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "needed"),
    [
        ("GET", "/api/v1/leads", "leads:read"),
        ("HEAD", "/api/v1/leads/abc", "leads:read"),
        ("POST", "/api/v1/leads", "leads:write"),
        ("POST", "/api/v1/leads/abc/qualify", "leads:write"),
        ("DELETE", "/api/v1/web-forms/abc", "leads:write"),
        ("PATCH", "/api/v1/opportunities/abc", "sales:write"),
        ("GET", "/api/v1/pipeline", "sales:read"),
        ("GET", "/api/v1/me/activities", "sales:read"),
        ("POST", "/api/v1/orders/abc/confirm", "orders:write"),
        ("GET", "/api/v1/price-lists/abc/prices", "orders:read"),
        ("GET", "/api/v1/files/abc", "feed:read"),
        ("GET", "/api/v1/events/stream", "feed:read"),
        ("POST", "/api/v1/process-tasks/abc/complete", "processes:write"),
        ("POST", "/api/v1/emails/send", "mail:write"),
        ("GET", "/api/v1/charts/deals", "analytics:read"),
        # running a report reads, though it is a POST; saving one writes
        ("POST", "/api/v1/reports/run", "analytics:read"),
        ("POST", "/api/v1/reports/abc/run", "analytics:read"),
        ("POST", "/api/v1/reports", "analytics:write"),
        # who is who: free to read; administration needs admin
        ("GET", "/api/v1/users", None),
        ("GET", "/api/v1/users/abc", None),
        ("GET", "/api/v1/teams", None),
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/meta/entities", None),
        ("POST", "/api/v1/users", "admin"),
        ("PATCH", "/api/v1/users/abc", "admin"),
        ("GET", "/api/v1/admin/name-indexes", "admin"),
        # a signed-in session only
        ("PATCH", "/api/v1/me", SESSION),
        ("PUT", "/api/v1/me/preferences/columns.leads", SESSION),
        ("GET", "/api/v1/me/tokens", SESSION),
        ("POST", "/api/v1/me/tokens", SESSION),
        ("GET", "/api/v1/users/abc/tokens", SESSION),
        ("DELETE", "/api/v1/users/abc/tokens/def", SESSION),
        ("GET", "/api/v1/something-new", SESSION),
        ("GET", "/healthz", SESSION),
    ],
)
def test_each_route_needs_its_areas_scope(method: str, path: str, needed: str | None) -> None:
    assert required(method, path) == needed


def test_every_api_route_has_a_known_scope_or_is_for_sessions_on_purpose() -> None:
    """A new router is closed to tokens until it is given an area: this lists any route
    that falls to 'session only' by not being named, so the choice is a conscious one."""
    document = create_app().openapi()
    # bulk actions reach every area at once: a token does the same record by record
    session_only_on_purpose = {"me", "auth", "bulk-actions"}
    unnamed = []
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method in operations:
            needed = required(method.upper(), path)
            if needed == SESSION:
                if path.split("/")[3] not in session_only_on_purpose and "/tokens" not in path:
                    unnamed.append(f"{method.upper()} {path}")
            else:
                assert needed is None or needed in SCOPES, (method, path, needed)
    assert unnamed == []


def test_every_area_has_a_read_and_a_write_scope() -> None:
    assert {s.split(":")[0] for s in SCOPES if ":" in s} == set(AREAS)
    assert all(f"{area}:read" in SCOPES and f"{area}:write" in SCOPES for area in AREAS)


# --- through the gateway ---------------------------------------------------------------------


@pytest.fixture
def scoped(fake_stack) -> httpx.Client:
    with httpx.Client(
        base_url=fake_stack.base_url,
        timeout=15,
        headers={"Authorization": f"Bearer {SCOPED_TOKEN}"},
    ) as client:
        yield client


def test_a_token_reads_what_its_scope_covers_and_is_told_what_it_lacks(scoped) -> None:
    assert scoped.get("/api/v1/leads/abc").status_code == 200
    assert scoped.get("/api/v1/me").status_code == 200
    refused = assert_problem(scoped.post("/api/v1/leads", json={}), 403)
    assert refused["detail"] == "This token lacks the scope leads:write"
    assert refused["errors"] == [{"field": "scopes", "message": "needs the scope leads:write"}]
    other = assert_problem(scoped.get("/api/v1/orders"), 403)
    assert "orders:read" in other["detail"]


def test_a_token_cannot_change_its_users_password_or_manage_tokens(scoped) -> None:
    for response in (
        scoped.patch("/api/v1/me", json={"password": "Quarry-lantern-5521"}),
        scoped.get("/api/v1/me/tokens"),
        scoped.post("/api/v1/me/tokens", json={"name": "heir"}),
        scoped.delete(f"/api/v1/me/tokens/{REVOCABLE_TOKEN_ID}"),
    ):
        body = assert_problem(response, 403)
        assert body["errors"] == [{"field": "scopes", "message": "needs a signed-in session"}]


def test_a_revoked_token_is_forgotten_by_the_gateway_at_once(fake_stack, admin) -> None:
    with httpx.Client(
        base_url=fake_stack.base_url,
        timeout=15,
        headers={"Authorization": f"Bearer {REVOCABLE_TOKEN}"},
    ) as token:
        assert token.get("/api/v1/leads/abc").status_code == 200  # cached now
        assert admin.delete(f"/api/v1/me/tokens/{REVOCABLE_TOKEN_ID}").status_code == 204
        assert_problem(token.get("/api/v1/leads/abc"), 401)


def test_a_session_is_never_limited_by_scopes(admin) -> None:
    assert admin.post("/api/v1/leads", json={}).status_code == 201
    assert admin.get("/api/v1/admin/name-indexes").status_code != 403


# --- the cookie session ----------------------------------------------------------------------


def test_a_cookie_request_a_browser_marks_cross_site_is_refused(http: httpx.Client) -> None:
    http.cookies.set("osprey_session", "admin-token")
    refused = http.post("/api/v1/leads", json={}, headers={"Sec-Fetch-Site": "cross-site"})
    assert assert_problem(refused, 403)["detail"] == "Cross-site request refused"
    for site in ("same-origin", "same-site", "none"):  # "none": typed by the user
        assert (
            http.post("/api/v1/leads", json={}, headers={"Sec-Fetch-Site": site}).status_code == 201
        )
    # a bearer token is not sent by a foreign page on its own: not CSRF
    http.cookies.clear()
    bearer = http.post(
        "/api/v1/leads",
        json={},
        headers={"Sec-Fetch-Site": "cross-site", "Authorization": "Bearer admin-token"},
    )
    assert bearer.status_code == 201


def test_logout_through_a_cross_site_cookie_request_is_refused(http: httpx.Client) -> None:
    http.cookies.set("osprey_session", "admin-token")
    assert_problem(http.post("/api/v1/auth/logout", headers={"Sec-Fetch-Site": "cross-site"}), 403)


def _login_cookie(http: httpx.Client, **headers: str) -> str:
    response = http.post(
        "/api/v1/auth/login",
        json={"email": "ada@osprey.test", "password": "right"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.headers["set-cookie"].lower()


def test_the_session_cookie_is_secure_when_the_request_came_over_https(http: httpx.Client) -> None:
    # behind a TLS-terminating proxy on this host, which says so (uvicorn --proxy-headers)
    cookie = _login_cookie(http, **{"X-Forwarded-Proto": "https"})
    assert "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "; secure" not in _login_cookie(http)  # plain HTTP (development) cannot keep one
    logout = http.post("/api/v1/auth/logout", headers={"X-Forwarded-Proto": "https"})
    assert "; secure" in logout.headers["set-cookie"].lower()
